// Foreign-currency transfers in the demo cabinet (issue 5, R-3.1.1.3, R-13.1), as the partner's
// confirming user makes them: «Перевод в иностранной валюте» in the payment form, dollars from
// the dollar account to JPMorgan Chase in New York (an account number, KBe 27, charges shared)
// and euros from the same dollar account to a German IBAN at Commerzbank (with the contract),
// each SWIFT BIC named by the lookup as it is typed; both ticked on the list and confirmed with
// one SMS code on a page that shows their requisites abroad and, for the euros, that the
// correspondent's rate decides the debit; the demo's simulated correspondent settles them a
// moment later, and the dollar account's statement shows what it debited.
//
// The demo runs on the real clock. A transfer is sent at confirmation only when its value date is
// today (a working day in Almaty); otherwise it waits for its day. The journey reads which case it
// is in from the value date the form proposes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { RESULTS, heading, journey } from './journey.js';
import { demoUser, nextCode, plain, signIn, smsCount } from './signin.js';

let server;
const { freshPage, consoleErrors } = journey((started) => { server = started; });

/** Today's business date in Asia/Almaty (UTC+5 all year), `YYYY-MM-DD`. */
const almatyToday = () => new Date(Date.now() + 5 * 3600 * 1000).toISOString().slice(0, 10);

/** How long the simulated correspondent may take to settle (it answers a moment after the dispatcher hands off). */
const SETTLE_TIMEOUT_MS = 30_000;

/** The value of the option of `select` whose text starts with `text`. */
async function optionValue(page, select, text) {
  const value = await page.locator(`${select} option`, { hasText: text }).first().getAttribute('value');
  assert.ok(value, `an option "${text}" in ${select}`);
  return value;
}

/** Types a SWIFT BIC and waits for the lookup to name its bank under the field. */
async function typeBic(page, input, bic, bank) {
  await page.locator(`#${input}`).fill(bic);
  await page.locator(`#${input}-bank .swift-bank[data-state="found"]`, { hasText: bank }).waitFor();
  // The type-ahead's list (static/lookup.js), if it opened, is not needed: the BIC is typed.
  await page.locator(`#${input}`).press('Escape');
}

/**
 * Fills the form as a person does for a transfer abroad and saves the draft. Answers its id and
 * the value date the form proposed.
 */
async function createForeign(page, transfer) {
  await page.goto(`${server.url}/payments`);
  await page.getByRole('link', { name: 'Новый платёж' }).click();
  await page.waitForURL(/\/payments\/new$/);
  await page.locator('#kind').selectOption({ label: 'Перевод в иностранной валюте' });
  // The foreign fields replace the BIN and the Kazakhstan BIC; the payee's name, account and KBe stay.
  assert.equal(await page.locator('#payee_address').isVisible(), true);
  assert.equal(await page.locator('#payee_bin').isVisible(), false);
  assert.equal(await page.locator('#payee_bic').isVisible(), false);
  assert.equal(await page.locator('#payee_account').isVisible(), false);
  assert.equal(await page.locator('#charges-SHA').isChecked(), true, 'charges shared unless chosen');

  await page.locator('#payer_account').selectOption(await optionValue(page, '#payer_account', 'Валютный счёт USD'));
  await page.locator('#currency').selectOption(transfer.currency);
  await page.getByLabel('Сумма').fill(transfer.amount);
  await page.locator('#payee_name').fill(transfer.name);
  await page.locator('#payee_address').fill(transfer.address);
  await page.locator('#payee_country').fill(transfer.country);
  await page.locator('#payee_iban').fill(transfer.account);
  await typeBic(page, 'payee_swift_bic', transfer.bic, transfer.bank);
  if (transfer.intermediary) await typeBic(page, 'intermediary_swift_bic', transfer.intermediary, transfer.intermediaryBank);
  await page.locator(`#charges-${transfer.charges}`).check();
  if (transfer.contract) {
    await page.locator('#contract_number').fill(transfer.contract.number);
    await page.locator('#contract_date').fill(transfer.contract.date);
  }
  await page.locator('#kbe').fill('27');
  await page.getByLabel('КНП (код назначения платежа)').fill('710');
  await page.getByLabel('Назначение платежа').fill(transfer.purpose);
  const valueDate = await page.locator('#value_date').inputValue();
  await page.screenshot({ path: path.join(RESULTS, `foreign-form-${transfer.currency}-ru.png`), fullPage: true });
  await page.getByRole('button', { name: 'Сохранить черновик' }).click();
  await page.waitForURL(/\/payments\/\d+\?done=created$/);
  assert.equal(plain(await page.locator('#payment-kind').innerText()), 'Перевод в иностранной валюте');
  assert.equal(plain(await page.locator('#payment-payee').innerText()), transfer.name);
  assert.equal(plain(await page.locator('#payment-payee-country').innerText()), transfer.country);
  assert.match(plain(await page.locator('#payment-payee-bank').innerText()), new RegExp(`^${transfer.bic} — `));
  const id = new URL(page.url()).pathname.split('/').pop();
  return { id, valueDate };
}

/** Reloads the document's page until its status is `status`. */
async function waitForStatus(page, id, status) {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    await page.goto(`${server.url}/payments/${id}`);
    const now = await page.locator('#payment-status').getAttribute('data-status');
    if (now === status) return;
    assert.ok(Date.now() < deadline, `document ${id} is still ${now}, not ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

test('R-3.1.1.3, R-13.1: two transfers abroad, looked up, confirmed with the SMS code and settled', async (t) => {
  const page = await freshPage();
  const user = demoUser(server, 'confirm');
  await signIn(page, server, user);

  const dollars = await createForeign(page, {
    currency: 'USD',
    amount: '150,00',
    name: 'ACME Trading Inc.',
    address: '350 Fifth Avenue, New York, NY 10118',
    country: 'US',
    account: '400123456789',
    bic: 'CHASUS33',
    bank: 'JPMorgan Chase Bank',
    charges: 'SHA',
    purpose: 'Payment for goods, invoice 15',
  });
  assert.equal(await page.locator('#payment-rate-note').count(), 0, 'dollars from the dollar account');

  const euros = await createForeign(page, {
    currency: 'EUR',
    amount: '500,00',
    name: 'Muster Maschinenbau GmbH',
    address: 'Hauptstrasse 1, 60311 Frankfurt am Main',
    country: 'DE',
    account: 'DE89370400440532013000',
    bic: 'COBADEFF',
    bank: 'Commerzbank AG',
    intermediary: 'DEUTDEFF',
    intermediaryBank: 'Deutsche Bank AG',
    charges: 'OUR',
    contract: { number: 'C-2025/17', date: '2025-12-01' },
    purpose: 'Payment under contract C-2025/17',
  });
  assert.match(plain(await page.locator('#payment-intermediary').innerText()), /^DEUTDEFF — Deutsche Bank AG/);
  assert.equal(plain(await page.locator('#payment-contract').innerText()), '№ C-2025/17 от 01.12.2025');
  assert.match(plain(await page.locator('#payment-rate-note').innerText()), /^Перевод в EUR со счёта в USD: счёт списывается по курсу банка-корреспондента/);
  await page.screenshot({ path: path.join(RESULTS, 'foreign-document-ru.png'), fullPage: true });

  // Both ticked on the list, one code for both.
  await page.goto(`${server.url}/payments`);
  await page.locator(`#select-${dollars.id}`).check();
  await page.locator(`#select-${euros.id}`).check();
  const seen = smsCount(server);
  await page.locator('#confirm-selected').click();
  await page.waitForURL(/\/payments\/signing$/);
  assert.equal(await heading(page), 'Подтверждение документов');
  const signing = page.locator('#signing-foreign');
  const us = signing.locator(`[data-document="${dollars.id}"]`);
  const germany = signing.locator(`[data-document="${euros.id}"]`);
  assert.match(plain(await us.locator('[data-fact="payment-payee-bank"]').innerText()), /^CHASUS33 — JPMorgan Chase Bank/);
  assert.equal(await us.locator('[data-note="correspondent-rate"]').count(), 0);
  assert.equal(plain(await germany.locator('[data-fact="payment-payee-account"]').innerText()), 'DE89370400440532013000');
  assert.match(plain(await germany.locator('[data-note="correspondent-rate"]').innerText()), /по курсу банка-корреспондента/);
  await page.screenshot({ path: path.join(RESULTS, 'foreign-signing-ru.png'), fullPage: true });

  await page.locator('#code').fill(await nextCode(server, user.mobile, seen));
  await page.getByRole('button', { name: 'Подтвердить', exact: true }).click();
  await page.waitForURL(/\/payments\/signing\/confirm$/);
  assert.equal(await heading(page), 'Результат подтверждения');
  const today = dollars.valueDate === almatyToday();
  const expected = today ? /^(sent|settled)$/ : /^confirmed$/;
  for (const { id } of [dollars, euros]) {
    assert.match(await page.locator(`tr[data-payment-id="${id}"]`).getAttribute('data-status'), expected);
  }
  if (!today) {
    t.skip(`today is a day off in Almaty: the transfers wait for ${dollars.valueDate}`);
    return;
  }

  // The simulated correspondent settles both a moment later.
  await waitForStatus(page, dollars.id, 'settled');
  await waitForStatus(page, euros.id, 'settled');
  assert.equal(plain(await page.locator('#payment-status').innerText()), 'Зачислен получателю');
  await page.screenshot({ path: path.join(RESULTS, 'foreign-settled-ru.png'), fullPage: true });

  // The dollar account's statement: the dollars, and the equivalent the correspondent debited for the euros.
  const usd = await (async () => {
    await page.goto(`${server.url}/payments/new`);
    return optionValue(page, '#payer_account', 'Валютный счёт USD');
  })();
  await page.goto(`${server.url}/accounts/${usd}/statement?from=${dollars.valueDate}&to=${dollars.valueDate}`);
  const line = (name) => page.locator('tr.statement__line', { hasText: name }).first();
  assert.match(plain(await line('ACME Trading Inc.').innerText()), /150,00/);
  const euroLine = plain(await line('Muster Maschinenbau GmbH').innerText());
  const debit = euroLine.match(/(\d[\d ]*,\d\d)/g);
  assert.ok(debit, `a debit on the line: ${euroLine}`);
  // 500 € at the bank's rates in dollars is about 585 $: never 500 (the euros themselves).
  assert.ok(debit.some((amount) => /^5[0-9]{2},\d\d$/.test(amount) && amount !== '500,00'), `the equivalent in dollars: ${euroLine}`);
  await page.screenshot({ path: path.join(RESULTS, 'foreign-statement-ru.png'), fullPage: true });
});

test('no page of the foreign transfer journey logged a CSP violation or script error', () => {
  assert.deepEqual(consoleErrors.filter((text) => !text.includes('Failed to load resource')), []);
});
