// The interbank round trip through the demo's simulated gateway (issue 4, R-3.1.1.1, R-6.4.3): an
// interbank payment made through the cabinet's form and confirmed with the SMS code is held and
// sent; the simulator answers it with a pacs.002 a moment later, settling it, or rejecting it
// (AC04) when the payee is named «ОТКАЗ»; and an incoming credit the gateway posts with its key
// lands once on the partner's account, as the cabinet shows.
//
// The demo runs on the real clock. A document is executed (for an interbank one: held and sent)
// at confirmation only when its value date is today; on a day off in Almaty the form proposes the
// next working day and the document stays confirmed until then, so nothing reaches the gateway
// and the settlement journeys skip with that reason. The incoming credit needs no working day.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { RESULTS, heading, journey } from './journey.js';
import { demoUser, nextCode, plain, signIn, smsCount } from './signin.js';

let server;
const { freshPage, consoleErrors } = journey((started) => { server = started; });

/** The simulator answers 1.5 s after the dispatcher (every 0.5 s) hands a payment over. */
const SETTLE_TIMEOUT_MS = 15_000;

/** Today's business date in Asia/Almaty (UTC+5 all year), `YYYY-MM-DD`. */
const almatyToday = () => new Date(Date.now() + 5 * 3600 * 1000).toISOString().slice(0, 10);

/** The key the server printed for the gateway's callbacks under /api/gateway/v1. */
async function gatewayKey() {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const match = server.stdout().match(/its callbacks under \/api\/gateway\/v1 take the key (\S+)/);
    if (match) return match[1];
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the server printed no gateway key:\n${server.stdout()}`);
}

/** An amount as the cabinet shows it in Russian ("15 000 000,00 ₸") in minor units (tiyn). */
function minor(text) {
  const match = plain(text).match(/^(-?[\d ]+),(\d{2})\s*₸$/);
  assert.ok(match, `an amount in tenge: "${text}"`);
  const sign = match[1].startsWith('-') ? -1 : 1;
  return sign * (Number(match[1].replace(/[- ]/g, '')) * 100 + Number(match[2]));
}

/** The main account's row on the accounts page: IBAN (without spaces), balance, available, held. */
async function mainAccount(page) {
  await page.goto(`${server.url}/accounts`);
  assert.equal(await heading(page), 'Счета и остатки');
  const row = page.locator('table.accounts tbody tr', { hasText: 'Основной счёт' });
  const cells = (await row.locator('td').allInnerTexts()).map(plain);
  return { iban: cells[0].replace(/\s/g, ''), balance: minor(cells[2]), available: minor(cells[3]), held: minor(cells[4]) };
}

/** The value of the option of `select` whose text starts with `text`. */
async function optionValue(page, select, text) {
  const value = await page.locator(`${select} option`, { hasText: text }).first().getAttribute('value');
  assert.ok(value, `an option "${text}" in ${select}`);
  return value;
}

/**
 * Fills the form for a payment to another bank as a person does, saves the draft, and confirms
 * it from its page with the SMS code. Ends on the confirmation's result page; answers the
 * document's id, the value date the form proposed, and the result row.
 */
async function payInterbank(page, user, { payee, amount }) {
  await page.goto(`${server.url}/payments`);
  await page.getByRole('link', { name: 'Новый платёж' }).click();
  await page.waitForURL(/\/payments\/new$/);
  await page.locator('#kind').selectOption('interbank');
  await page.locator('#payer_account').selectOption(await optionValue(page, '#payer_account', 'Основной счёт'));
  await page.getByLabel('Наименование получателя').fill(payee);
  await page.locator('#payee_bin').fill('180140010005');
  await page.locator('#kbe').fill('17');
  await page.locator('#payee_iban').fill('KZ806014482455345985');
  await page.getByLabel('Сумма').fill(amount);
  await page.getByLabel('КНП (код назначения платежа)').fill('710');
  await page.getByLabel('Назначение платежа').fill('Оплата по счёту №15 за товары');
  const valueDate = await page.locator('#value_date').inputValue();
  await page.getByRole('button', { name: 'Сохранить черновик' }).click();
  await page.waitForURL(/\/payments\/\d+\?done=created$/);
  assert.equal(plain(await page.locator('#payment-status').innerText()), 'Черновик');
  assert.equal(plain(await page.locator('#payment-payee-iban').innerText()), 'KZ806014482455345985');
  const id = new URL(page.url()).pathname.split('/').pop();

  const seen = smsCount(server);
  await page.locator('#confirm-payment').click();
  await page.waitForURL(/\/payments\/signing$/);
  assert.equal(await heading(page), 'Подтверждение документов');
  await page.locator('#code').fill(await nextCode(server, user.mobile, seen));
  await page.getByRole('button', { name: 'Подтвердить', exact: true }).click();
  await page.waitForURL(/\/payments\/signing\/confirm$/);
  assert.equal(await heading(page), 'Результат подтверждения');
  const row = page.locator(`tr[data-payment-id="${id}"]`);
  return { id, valueDate, row };
}

/** Reloads the document's page until its status is `status` (at most SETTLE_TIMEOUT_MS). */
async function waitForStatus(page, id, status) {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  let seen;
  for (;;) {
    await page.goto(`${server.url}/payments/${id}`);
    seen = await page.locator('#payment-status').getAttribute('data-status');
    if (seen === status || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  assert.equal(seen, status, `document ${id} did not become ${status} within ${SETTLE_TIMEOUT_MS / 1000} s`);
}

/** On a day off the document waits for its value date and never reaches the gateway today. */
async function skipOnDayOff(t, { row, valueDate }) {
  if (valueDate === almatyToday()) return false;
  assert.equal(await row.getAttribute('data-status'), 'confirmed');
  t.skip(`today is a day off in Almaty: the document waits for ${valueDate} and reaches the gateway then`);
  return true;
}

test('R-3.1.1.1 R-6.4.3: an interbank payment through the form is sent, then settled by the gateway', async (t) => {
  const page = await freshPage();
  const user = demoUser(server, 'confirm');
  await signIn(page, server, user);
  const before = await mainAccount(page);
  const payment = await payInterbank(page, user, { payee: 'ТОО Ромашка', amount: '1 500,05' });
  if (await skipOnDayOff(t, payment)) return;
  assert.equal(await payment.row.getAttribute('data-status'), 'sent');
  assert.match(plain(await payment.row.innerText()), /1 500,05 ₸/);
  assert.match(plain(await payment.row.innerText()), /Отправлен в банк получателя/);

  // Until the gateway answers the amount is held, not posted.
  await page.locator(`tr[data-payment-id="${payment.id}"] a`).click();
  await page.waitForURL(new RegExp(`/payments/${payment.id}$`));
  const status = await page.locator('#payment-status').getAttribute('data-status');
  assert.ok(['sent', 'settled'].includes(status), `sent or already settled: ${status}`);
  assert.match(plain(await page.locator('#payment-message-id').innerText()), /\S/, 'the message id it travels under');
  if (status === 'sent') {
    assert.equal(plain(await page.locator('#payment-status').innerText()), 'Отправлен в банк получателя');
  }

  await waitForStatus(page, payment.id, 'settled');
  assert.equal(plain(await page.locator('#payment-status').innerText()), 'Зачислен получателю');
  assert.equal(await page.locator('#refusal').count(), 0);
  assert.equal(await page.locator('#confirm-payment').count(), 0, 'a settled document is not confirmed again');
  assert.equal(await page.locator('#edit-payment').count(), 0, 'a settled document is not edited');
  const commission = minor(await page.locator('#payment-commission').innerText());
  await page.screenshot({ path: path.join(RESULTS, 'payment-settled-ru.png'), fullPage: true });

  // The settlement posted the amount and its commission and released the hold.
  const after = await mainAccount(page);
  assert.equal(after.balance, before.balance - 150_005 - commission);
  assert.equal(after.held, before.held);

  await page.goto(`${server.url}/payments?status=settled`);
  assert.match(plain(await page.locator(`tr[data-payment-id="${payment.id}"]`).innerText()), /Зачислен получателю/);

  await page.goto(`${server.url}/payments/${payment.id}?lang=en`);
  assert.equal(plain(await page.locator('#payment-status').innerText()), 'Settled');
  await page.goto(`${server.url}/payments/${payment.id}?lang=kk`);
  assert.equal(plain(await page.locator('#payment-status').innerText()), 'Алушыға есептелді');
});

test('R-3.1.1.1 R-6.4.3: an interbank payment to «ОТКАЗ» is refused by the gateway with its reason', async (t) => {
  const page = await freshPage();
  const user = demoUser(server, 'confirm');
  await signIn(page, server, user);
  const before = await mainAccount(page);
  const payment = await payInterbank(page, user, { payee: 'ТОО ОТКАЗ', amount: '2 000,00' });
  if (await skipOnDayOff(t, payment)) return;
  assert.equal(await payment.row.getAttribute('data-status'), 'sent', 'the bank itself accepts it');

  await waitForStatus(page, payment.id, 'refused');
  assert.equal(plain(await page.locator('#payment-status').innerText()), 'Отклонён');
  assert.equal(await page.locator('#payment-refusal').getAttribute('data-code'), 'gateway_rejected');
  assert.equal(plain(await page.locator('#payment-refusal').innerText()), 'Отклонён платёжной системой');
  assert.match(plain(await page.locator('#payment-refusal-detail').innerText()), /AC04/, "the gateway's reason code");
  assert.equal(await page.locator('#confirm-payment').count(), 0, 'a refused document is not confirmed again');
  await page.screenshot({ path: path.join(RESULTS, 'payment-gateway-refused-ru.png'), fullPage: true });

  await page.goto(`${server.url}/payments/${payment.id}?lang=en`);
  assert.equal(plain(await page.locator('#payment-refusal').innerText()), 'Rejected by the payment system');
  await page.goto(`${server.url}/payments/${payment.id}?lang=kk`);
  assert.equal(plain(await page.locator('#payment-refusal').innerText()), 'Төлем жүйесі қабылдамады');

  await page.goto(`${server.url}/payments?status=refused&lang=ru`);
  assert.match(plain(await page.locator(`tr[data-payment-id="${payment.id}"]`).innerText()), /Отклонён платёжной системой/);

  // The hold is released: the money never left.
  const after = await mainAccount(page);
  assert.equal(after.balance, before.balance);
  assert.equal(after.held, before.held);
  assert.equal(after.available, before.available);
});

test('R-3.1.1.1: an incoming credit with the gateway key lands once on the account the cabinet shows', async () => {
  const page = await freshPage();
  await signIn(page, server, demoUser(server, 'confirm'));
  const before = await mainAccount(page);
  assert.match(before.iban, /^KZ\d{2}[0-9A-Z]{16}$/);
  const key = await gatewayKey();
  const credit = {
    message_id: `E2E-IN-${Date.now()}`,
    payee_iban: before.iban,
    amount: { amount: '75000.00', currency: 'KZT' },
    payer_name: 'ТОО «Покупатель»',
    payer_bin: '180140010005',
    purpose: 'Оплата по договору 7',
  };
  const post = (body, authorization) => fetch(`${server.url}/api/gateway/v1/incoming`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify(body),
  });

  // Without the gateway's key nothing is booked.
  assert.equal((await post(credit, 'Bearer not-the-key')).status, 401, 'a wrong key');
  assert.equal((await post(credit)).status, 401, 'no key');
  assert.equal((await mainAccount(page)).balance, before.balance);

  const first = await post(credit, `Bearer ${key}`);
  const booked = await first.json();
  assert.equal(first.status, 201, JSON.stringify(booked));
  assert.equal(booked.suspense, false);
  assert.equal(booked.replayed, false);
  const credited = await mainAccount(page);
  assert.equal(credited.balance, before.balance + 7_500_000, 'the balance rose by 75 000,00 ₸');
  assert.equal(credited.available, before.available + 7_500_000);
  await page.screenshot({ path: path.join(RESULTS, 'accounts-incoming-ru.png'), fullPage: true });

  // The gateway repeating its message changes nothing.
  const again = await post(credit, `Bearer ${key}`);
  const replayed = await again.json();
  assert.equal(again.status, 200, JSON.stringify(replayed));
  assert.equal(replayed.replayed, true);
  assert.equal(replayed.account, booked.account);
  assert.equal((await mainAccount(page)).balance, credited.balance, 'a repeat is not booked twice');
});

test('no page of the gateway journeys logged a CSP violation or script error', () => {
  assert.deepEqual(consoleErrors.filter((text) => !text.includes('Failed to load resource')), []);
});
