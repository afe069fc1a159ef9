// A currency conversion in the demo cabinet (issue 5, R-3.1.1.4), as the partner's confirming user
// makes one: «Конвертация» in the payment form, from the tenge account to the dollar account, with
// the live quote (what is debited and credited, the rate, and a countdown of the seconds the rate
// holds, which asks for a new quote when it ends), saved as a draft, confirmed with the SMS code
// on a page that shows the conversion's amounts and the time to confirm before, and the new
// dollar balance on the accounts page.
//
// The demo runs on the real clock, its dollar sell rate (479.60) set half an hour before it
// starts. A conversion is carried out at confirmation only when its value date is today (a working
// day in Almaty); otherwise it waits for its day, at that day's rates, and the confirmation page
// has no quote to show. The journey reads which case it is in from the value date the form
// proposes. The end of a quote is reached with Playwright's clock, not by waiting two minutes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { RESULTS, heading, journey } from './journey.js';
import { demoUser, nextCode, plain, signIn, smsCount } from './signin.js';

let server;
const { freshPage, consoleErrors } = journey((started) => { server = started; });

/** Today's business date in Asia/Almaty (UTC+5 all year), `YYYY-MM-DD`. */
const almatyToday = () => new Date(Date.now() + 5 * 3600 * 1000).toISOString().slice(0, 10);

/** The value of the option of `select` whose text starts with `text`. */
async function optionValue(page, select, text) {
  const value = await page.locator(`${select} option`, { hasText: text }).first().getAttribute('value');
  assert.ok(value, `an option "${text}" in ${select}`);
  return value;
}

/** The seconds a countdown shows. */
const secondsOf = async (locator) => Number(plain(await locator.innerText()));
/** The seconds shown once they are below `before`: the page ticks once a second, later under load. */
async function secondsBelow(locator, before) {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const now = await secondsOf(locator);
    if (now < before || Date.now() > deadline) return now;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test('R-3.1.1.4: a conversion with a live quote and countdown, confirmed with the SMS code', async (t) => {
  const page = await freshPage();
  const user = demoUser(server, 'confirm');
  await signIn(page, server, user);
  // The page's clock runs as the real one until the journey jumps it forward.
  await page.clock.install();
  await page.getByRole('link', { name: 'Платежи' }).click();
  await page.getByRole('link', { name: 'Новый платёж' }).click();
  await page.waitForURL(/\/payments\/new$/);
  assert.equal(await heading(page), 'Новый платёжный документ');

  // A conversion is between the partner's own accounts: no bank payee; the quote block hints
  // until the accounts and the amount are chosen.
  await page.locator('#kind').selectOption({ label: 'Конвертация' });
  assert.equal(await page.locator('#payee_account').isVisible(), true);
  assert.equal(await page.locator('#payee_iban').isVisible(), false);
  const quote = page.locator('#conversion-quote');
  await quote.locator('#quote-message', { hasText: 'Выберите счета и сумму' }).waitFor();

  await page.locator('#payer_account').selectOption(await optionValue(page, '#payer_account', 'Основной счёт'));
  await page.locator('#payee_account').selectOption(await optionValue(page, '#payee_account', 'Валютный счёт USD'));
  await page.locator('#currency').selectOption('USD');
  await page.getByLabel('Сумма').fill('100,00');

  // The live quote: buying 100.00 USD at the bank's sell rate.
  await quote.locator('#quote-debit').waitFor();
  assert.equal(plain(await quote.locator('#quote-debit').innerText()), '47 960,00 ₸');
  assert.equal(plain(await quote.locator('#quote-credit').innerText()), '100,00 $');
  const leg = quote.locator('tr[data-pair="USD/KZT"]');
  assert.equal(await leg.getAttribute('data-side'), 'bank_sells');
  assert.match(plain(await leg.innerText()), /USD\/KZT\s+Банк продаёт\s+479,60/);
  const expiry = quote.locator('#quote-expiry');
  assert.match(plain(await expiry.innerText()), /^Курс действует до \d\d:\d\d:\d\d \(время Алматы\) — осталось \d+ с$/);
  assert.match(await expiry.getAttribute('data-expires-at'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);

  // The countdown goes down by the second.
  const seconds = quote.locator('#quote-seconds');
  const first = await secondsOf(seconds);
  assert.ok(first > 100 && first <= 120, `a fresh quote holds two minutes: ${first}`);
  const second = await secondsBelow(seconds, first);
  assert.ok(second < first && second >= first - 6, `the countdown went ${first} → ${second}`);
  await page.screenshot({ path: path.join(RESULTS, 'conversion-form-ru.png'), fullPage: true });

  // At zero the quote is marked expired and the block asks for a new one.
  const requoted = page.waitForResponse((response) => response.url().endsWith('/payments/conversion-quote'));
  await page.clock.fastForward('02:01');
  assert.equal((await requoted).status(), 200);
  await quote.locator('#quote-expiry:not([data-expired])').waitFor();
  const fresh = await secondsOf(seconds);
  assert.ok(fresh > 100, `the new quote holds two minutes again: ${fresh}`);
  assert.equal(plain(await quote.locator('#quote-debit').innerText()), '47 960,00 ₸');

  await page.getByLabel('КНП (код назначения платежа)').fill('343');
  await page.getByLabel('Назначение платежа').fill('Покупка валюты по контракту № 7');
  const valueDate = await page.locator('#value_date').inputValue();
  await page.getByRole('button', { name: 'Сохранить черновик' }).click();
  await page.waitForURL(/\/payments\/\d+\?done=created$/);
  const id = new URL(page.url()).pathname.split('/').pop();
  assert.equal(plain(await page.locator('#payment-kind').innerText()), 'Конвертация');
  assert.match(plain(await page.locator('#payment-payee').innerText()), /^Валютный счёт USD/);
  assert.equal(plain(await page.locator('#payment-amount').innerText()), '100,00 $');

  // The confirmation: the conversion's amounts and rate, the time to confirm before, counting down.
  let seen = smsCount(server);
  await page.getByRole('button', { name: 'Подтвердить', exact: true }).click();
  await page.waitForURL(/\/payments\/signing$/);
  assert.equal(await heading(page), 'Подтверждение документов');
  const today = valueDate === almatyToday();
  if (today) {
    const conversion = page.locator(`#signing-conversions [data-document="${id}"]`);
    assert.equal(plain(await conversion.locator(`#quote-${id}-debit`).innerText()), '47 960,00 ₸');
    assert.equal(plain(await conversion.locator(`#quote-${id}-credit`).innerText()), '100,00 $');
    assert.match(plain(await conversion.locator('tr[data-pair="USD/KZT"]').innerText()), /Банк продаёт\s+479,60/);
    const until = conversion.locator(`#quote-${id}-expiry`);
    assert.match(plain(await until.innerText()), /^Подтвердите до \d\d:\d\d:\d\d \(время Алматы\) — осталось \d+ с$/);
    const left = conversion.locator(`#quote-${id}-seconds`);
    const before = await secondsOf(left);
    assert.ok((await secondsBelow(left, before)) < before, 'the time to confirm counts down');
    assert.equal(await page.locator('#reopen-signing').isVisible(), false, 'a new confirmation only once the rate ends');

    // At the end of the hold the page says so and offers a new confirmation of the same document,
    // at the rates then (the page's clock jumps; the server's has not, so its code would still do).
    await page.clock.fastForward('02:01');
    await until.locator('.quote__expired').waitFor();
    assert.match(plain(await until.innerText()), /— Время курса истекло\. Откройте новое подтверждение/);
    await page.screenshot({ path: path.join(RESULTS, 'conversion-signing-expired-ru.png'), fullPage: true });
    seen = smsCount(server);
    await page.locator('#reopen-signing').click();
    await page.waitForURL(/\/payments\/signing$/);
    assert.equal(plain(await page.locator(`#quote-${id}-debit`).innerText()), '47 960,00 ₸');
    assert.ok((await secondsOf(page.locator(`#quote-${id}-seconds`))) > 100, 'the new confirmation holds two minutes');
  } else {
    assert.equal(await page.locator('#signing-conversions').count(), 0, 'converted on its day, at that day\'s rates');
  }
  await page.screenshot({ path: path.join(RESULTS, 'conversion-signing-ru.png'), fullPage: true });

  await page.locator('#code').fill(await nextCode(server, user.mobile, seen));
  await page.getByRole('button', { name: 'Подтвердить', exact: true }).click();
  await page.waitForURL(/\/payments\/signing\/confirm$/);
  assert.equal(await heading(page), 'Результат подтверждения');
  const row = page.locator(`tr[data-payment-id="${id}"]`);
  await page.screenshot({ path: path.join(RESULTS, 'conversion-signed-ru.png'), fullPage: true });
  if (!today) {
    assert.equal(await row.getAttribute('data-status'), 'confirmed');
    t.skip(`today is a day off in Almaty: the conversion waits for ${valueDate} and its rates`);
    return;
  }
  assert.equal(await row.getAttribute('data-status'), 'executed');
  assert.match(plain(await row.innerText()), /Исполнен/);

  await page.getByRole('link', { name: 'Счета' }).click();
  await page.waitForURL(/\/accounts$/);
  const balance = async (name) => plain(await page.locator('table.accounts tbody tr', { hasText: name }).innerText());
  assert.match(await balance('Валютный счёт USD'), /25 100,00 \$/, 'the dollars arrived');
  assert.match(await balance('Основной счёт'), /14 952 040,00 ₸/, 'the tenge left');
  await page.screenshot({ path: path.join(RESULTS, 'conversion-accounts-ru.png'), fullPage: true });
});

test('no page of the conversion journey logged a CSP violation or script error', () => {
  assert.deepEqual(consoleErrors.filter((text) => !text.includes('Failed to load resource')), []);
});
