// Payment documents in the demo cabinet, as the partner's confirming user makes them: drafts through
// the form with its live check (R-3.1.1.2, R-6.1.3), two drafts ticked on the list and confirmed
// with one SMS code read from the server's sms.jsonl, and a draft above the
// available balance refused with its reason; the list exported as CSV, XLSX and PDF from
// its buttons (R-3.1.2.6); a 1C file uploaded from the import page becomes drafts (R-3.1.1.2).
//
// The demo runs on the real clock. The form's value date starts on the first day the bank
// executes payments: today on a working day in Almaty, else the next working day. A document
// is executed at confirmation only when its value date is today; otherwise it stays confirmed
// until that day, and no refusal for funds can happen yet. The journeys read which case they are
// in from the value date the form proposes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

/**
 * Fills the form as a person does and saves the draft. Answers its id and the value date the
 * form proposed.
 */
async function createTransfer(page, { from, to, amount, purpose }) {
  await page.goto(`${server.url}/payments`);
  await page.getByRole('link', { name: 'Новый платёж' }).click();
  await page.waitForURL(/\/payments\/new$/);
  assert.equal(await heading(page), 'Новый платёжный документ');
  assert.equal(await page.locator('#kind').inputValue(), 'internal');
  await page.locator('#payer_account').selectOption(await optionValue(page, '#payer_account', from));
  await page.locator('#payee_account').selectOption(await optionValue(page, '#payee_account', to));
  await page.getByLabel('Сумма').fill(amount);
  await page.getByLabel('КНП (код назначения платежа)').fill('343');
  await page.getByLabel('Назначение платежа').fill(purpose);
  const valueDate = await page.locator('#value_date').inputValue();
  await page.getByRole('button', { name: 'Сохранить черновик' }).click();
  await page.waitForURL(/\/payments\/\d+\?done=created$/);
  assert.equal(plain(await page.locator('.alert--ok').innerText()), 'Черновик создан.');
  assert.equal(plain(await page.locator('#payment-status').innerText()), 'Черновик');
  const id = new URL(page.url()).pathname.split('/').pop();
  return { id, valueDate };
}

/** The main account's balance on the accounts page, in tiyn (the demo credits it as it runs). */
async function mainBalance(page) {
  await page.goto(`${server.url}/accounts`);
  const main = page.locator('table.accounts tbody tr', { hasText: 'Основной счёт' });
  const balance = plain(await main.locator('td').nth(3).innerText());
  const match = /^([\d ]+),(\d\d) ₸$/.exec(balance);
  assert.ok(match, `a balance in tenge: ${balance}`);
  return Number(match[1].replace(/ /g, '')) * 100 + Number(match[2]);
}

/** On the confirmation page: the code from the SMS sent after `seen`, then the result page. */
async function typeCode(page, mobile, seen) {
  await page.locator('#code').fill(await nextCode(server, mobile, seen));
  await page.getByRole('button', { name: 'Подтвердить', exact: true }).click();
  await page.waitForURL(/\/payments\/signing\/confirm$/);
}

test('R-6.1.3: the form shows the payee fields of the kind and checks a field as it is left', async () => {
  const page = await freshPage();
  await signIn(page, server, demoUser(server, 'confirm'));
  await page.getByRole('link', { name: 'Платежи' }).click();
  await page.waitForURL(/\/payments$/);
  assert.equal(await heading(page), 'Платёжные документы');
  await page.getByRole('link', { name: 'Новый платёж' }).click();
  await page.waitForURL(/\/payments\/new$/);

  // An internal transfer asks for one of the partner's accounts; the other kinds for a payee.
  assert.equal(await page.locator('#payee_account').isVisible(), true);
  assert.equal(await page.locator('#payee_iban').isVisible(), false);
  await page.locator('#kind').selectOption('interbank');
  assert.equal(await page.locator('#payee_iban').isVisible(), true);
  assert.equal(await page.locator('#payee_account').isVisible(), false);
  assert.equal(await page.locator('#kbk').isVisible(), false, 'a KBK is for budget payments');
  await page.locator('#kind').selectOption('budget');
  assert.equal(await page.locator('#kbk').isVisible(), true);
  await page.locator('#kind').selectOption('internal');

  // The live check: a mistake shows when the field is left, and goes when it is corrected.
  await page.getByLabel('Сумма').fill('10,001');
  await page.getByLabel('Сумма').press('Tab');
  await page.locator('#amount-error', { hasText: 'Слишком много знаков после запятой' }).waitFor();
  assert.equal(plain(await page.locator('#knp-error').innerText()), '', 'a field not filled in yet is not a mistake yet');
  await page.getByLabel('Сумма').fill('10,01');
  await page.getByLabel('Сумма').press('Tab');
  await page.locator('#amount-error').waitFor({ state: 'hidden' });

  // On submit every problem is shown next to its field, and what was typed stays.
  await page.getByLabel('КНП (код назначения платежа)').fill('12');
  await page.getByRole('button', { name: 'Сохранить черновик' }).click();
  await page.waitForURL(/\/payments$/);
  assert.equal(plain(await page.locator('#payment-summary').innerText()), 'Документ не сохранён: исправьте отмеченные поля.');
  assert.equal(plain(await page.locator('#knp-error').innerText()), 'КНП — три цифры');
  assert.equal(plain(await page.locator('#payee_account-error').innerText()), 'Обязательное поле');
  assert.equal(plain(await page.locator('#purpose-error').innerText()), 'Обязательное поле');
  assert.equal(await page.locator('#amount').inputValue(), '10,01');
  await page.screenshot({ path: path.join(RESULTS, 'payment-form-errors-ru.png'), fullPage: true });
});

test('R-3.1.1.2 R-4.11 R-8.8: two drafts through the form, ticked and confirmed with one SMS code', async () => {
  const page = await freshPage();
  const user = demoUser(server, 'confirm');
  await signIn(page, server, user);
  const first = await createTransfer(page, { from: 'Основной счёт', to: 'Зарплатный счёт', amount: '1 000', purpose: 'Пополнение зарплатного счёта' });
  const second = await createTransfer(page, { from: 'Основной счёт', to: 'Зарплатный счёт', amount: '2 500,50', purpose: 'Пополнение зарплатного счёта, аванс' });
  const today = first.valueDate === almatyToday();
  assert.ok(first.valueDate >= almatyToday(), `the form proposes today or the next working day: ${first.valueDate}`);
  const before = await mainBalance(page);

  await page.goto(`${server.url}/payments`);
  await page.locator(`#select-${first.id}`).check();
  await page.locator(`#select-${second.id}`).check();
  const seen = smsCount(server);
  await page.getByRole('button', { name: 'Подтвердить выбранные' }).click();
  await page.waitForURL(/\/payments\/signing$/);
  assert.equal(await heading(page), 'Подтверждение документов');
  assert.equal(plain(await page.locator('#signing-count').innerText()), '2');
  assert.equal(plain(await page.locator('#signing-totals').innerText()), '3 500,50 ₸');
  assert.equal(plain(await page.locator('#signing-commission').innerText()), '0,00 ₸');
  assert.match(plain(await page.locator('#code-note').innerText()), /^Код отправлен на \+7 701 ••• •• \d\d, действует до \d\d:\d\d\.$/);
  await page.screenshot({ path: path.join(RESULTS, 'payment-signing-ru.png'), fullPage: true });

  // A wrong code confirms nothing and lets the person try again.
  await page.locator('#code').fill('000000');
  await page.getByRole('button', { name: 'Подтвердить', exact: true }).click();
  await page.waitForURL(/\/payments\/signing\/confirm$/);
  assert.equal(plain(await page.locator('#code-error').innerText()), 'Неверный код');
  assert.equal(plain(await page.locator('#signing-count').innerText()), '2');

  await typeCode(page, user.mobile, seen);
  assert.equal(await heading(page), 'Результат подтверждения');
  const expected = today ? ['executed', 'Исполнен'] : ['confirmed', 'Подтверждён'];
  for (const { id } of [first, second]) {
    const row = page.locator(`tr[data-payment-id="${id}"]`);
    assert.equal(await row.getAttribute('data-status'), expected[0], `document ${id}`);
    assert.match(plain(await row.innerText()), new RegExp(expected[1]));
  }
  await page.screenshot({ path: path.join(RESULTS, 'payment-signed-ru.png'), fullPage: true });

  await page.locator(`tr[data-payment-id="${first.id}"] a`).click();
  await page.waitForURL(new RegExp(`/payments/${first.id}$`));
  assert.equal(plain(await page.locator('#payment-status').innerText()), expected[1]);
  assert.equal(plain(await page.locator('#payment-confirmed-by').innerText()), 'Нурлан Ахметов');
  assert.match(plain(await page.locator('#payment-content-digest').innerText()), /^[0-9a-f]{64}$/);
  assert.equal(await page.locator('#edit-payment').count(), 0, 'a confirmed document is not edited');
  if (today) {
    assert.equal(await mainBalance(page), before - 350050, 'the money moved at once: 1 000,00 + 2 500,50');
  }
});

test('R-6.1.1: a draft above the available balance is refused at confirmation with its reason', async (t) => {
  const page = await freshPage();
  const user = demoUser(server, 'confirm');
  await signIn(page, server, user);
  const draft = await createTransfer(page, { from: 'Зарплатный счёт', to: 'Основной счёт', amount: '99 000 000,00', purpose: 'Больше, чем есть на счёте' });
  const seen = smsCount(server);
  await page.getByRole('button', { name: 'Подтвердить', exact: true }).click();
  await page.waitForURL(/\/payments\/signing$/);
  assert.equal(plain(await page.locator('#signing-totals').innerText()), '99 000 000,00 ₸');
  await typeCode(page, user.mobile, seen);
  const row = page.locator(`tr[data-payment-id="${draft.id}"]`);
  if (draft.valueDate !== almatyToday()) {
    // A day off: the document waits for its value date, and funds are checked then.
    assert.equal(await row.getAttribute('data-status'), 'confirmed');
    t.skip(`today is a day off in Almaty: the document waits for ${draft.valueDate}, when funds are checked`);
    return;
  }
  assert.equal(await row.getAttribute('data-status'), 'refused');
  assert.match(plain(await row.innerText()), /Отклонён\s+Недостаточно средств/);

  await row.locator('a').click();
  await page.waitForURL(new RegExp(`/payments/${draft.id}$`));
  assert.equal(plain(await page.locator('#payment-status').innerText()), 'Отклонён');
  assert.equal(await page.locator('#payment-refusal').getAttribute('data-code'), 'insufficient_funds');
  assert.equal(plain(await page.locator('#payment-refusal').innerText()), 'Недостаточно средств');
  assert.ok(plain(await page.locator('#payment-refusal-detail').innerText()).length > 0, "the bank's explanation");
  await page.screenshot({ path: path.join(RESULTS, 'payment-refused-ru.png'), fullPage: true });

  await page.getByRole('link', { name: 'English' }).click();
  await page.waitForURL(/lang=en/);
  assert.equal(plain(await page.locator('#payment-status').innerText()), 'Refused');
  assert.equal(plain(await page.locator('#payment-refusal').innerText()), 'Insufficient funds');
  await page.getByRole('link', { name: 'Қазақша' }).click();
  await page.waitForURL(/lang=kk/);
  assert.equal(plain(await page.locator('#payment-refusal').innerText()), 'Қаражат жеткіліксіз');

  await page.goto(`${server.url}/payments?status=refused&lang=ru`);
  const listed = page.locator(`tr[data-payment-id="${draft.id}"]`);
  assert.match(plain(await listed.innerText()), /Недостаточно средств/);
  assert.equal(await page.locator('table.payments tbody tr').count(), 1, 'the filter by status');
});

test('R-3.1.2.6: the list of documents downloads as CSV, XLSX and PDF from its buttons', async () => {
  const page = await freshPage();
  await signIn(page, server, demoUser(server, 'confirm'));
  const draft = await createTransfer(page, { from: 'Основной счёт', to: 'Зарплатный счёт', amount: '777,70', purpose: 'Выгрузка списка: проверка' });
  await page.goto(`${server.url}/payments?status=draft`);
  const listed = await page.locator('tr[data-payment-id]').count();
  assert.ok(listed >= 1, 'the draft is listed');
  const download = async (format) => {
    const [file] = await Promise.all([
      page.waitForEvent('download'),
      page.locator(`#payments-exports a[data-format="${format}"]`).click(),
    ]);
    const target = path.join(RESULTS, `payments-${server.backend ?? 'e2e'}-${format}-${file.suggestedFilename()}`);
    await file.saveAs(target);
    return { target, name: file.suggestedFilename() };
  };

  const csv = await download('csv-semicolon');
  assert.equal(csv.name, 'payments.csv');
  const text = readFileSync(csv.target, 'utf8');
  assert.ok(text.startsWith('\ufeff'), 'a BOM');
  const rows = text.slice(1).split(/\r?\n/).filter((row) => row.trim() !== '');
  assert.ok(rows.length - 1 >= listed, `a header row and a row per document the filter selects: ${rows.length - 1} for ${listed} on the page`);
  assert.ok(rows.slice(1).every((row) => row.includes(';Черновик;')), 'only drafts: the filter applies');
  assert.ok(rows.some((row) => row.includes('777.70') && row.includes('Выгрузка списка: проверка')), 'the draft\'s row');

  const xlsx = await download('xlsx');
  assert.equal(readFileSync(xlsx.target).subarray(0, 2).toString('latin1'), 'PK');

  const pdf = await download('pdf');
  assert.equal(pdf.name, 'payments.pdf');
  const pdfText = execFileSync('/usr/bin/pdftotext', ['-layout', pdf.target, '-'], { encoding: 'utf8' }).replace(/\u00a0/g, ' ');
  assert.match(pdfText, /Платёжные документы/);
  assert.match(pdfText, /Черновик/);
  assert.match(pdfText, /777,70 KZT/);
  assert.match(pdfText, /не является оригиналом печати банка/);
  assert.ok(draft.id, 'the draft was made');
});

test('R-3.1.1.2 R-6.1.3: a 1C file uploaded from the cabinet becomes drafts; its bad order is named by line', async () => {
  const page = await freshPage();
  await signIn(page, server, demoUser(server, 'confirm'));
  // The payer: the main account's IBAN as the accounts page groups it; the date: the value date
  // the payment form proposes (a day the bank executes payments).
  await page.goto(`${server.url}/accounts`);
  const main = page.locator('table.accounts tbody tr', { hasText: 'Основной счёт' });
  const payer = plain(await main.innerText()).match(/KZ\d{2}(?: [0-9A-Z]{4}){4}/)[0].replace(/ /g, '');
  await page.goto(`${server.url}/payments/new`);
  const [year, month, day] = (await page.locator('#value_date').inputValue()).split('-');
  const order = (number, amount, payeeIban) => [
    'СекцияДокумент=Платежное поручение', `НомерДокумента=${number}`, `ДатаДокумента=${day}.${month}.${year}`,
    `Сумма=${amount}`, 'Валюта=KZT', 'ПлательщикНаименование=ТОО «Демо Трейд»', `ПлательщикИИК=${payer}`,
    'ПолучательНаименование=ТОО «Ромашка»', 'ПолучательБИН_ИИН=180140010005', 'ПолучательКБЕ=17',
    `ПолучательИИК=${payeeIban}`, 'ПолучательБанкБИК=HSBKKZKX', `НазначениеПлатежа=Оплата по счёту № ${number}`,
    'КодНазначенияПлатежа=710', 'КонецДокумента',
  ];
  const lines = [
    '1CClientBankExchange', 'ВерсияФормата=2.0', 'Кодировка=UTF-8', 'Отправитель=1С:Бухгалтерия',
    ...order(41, '4100.25', 'KZ806014482455345985'), ...order(42, '42.00', 'KZ806014482455345986'), 'КонецФайла',
  ];
  const badLine = lines.indexOf('ПолучательИИК=KZ806014482455345986') + 1;

  await page.goto(`${server.url}/payments`);
  await page.getByRole('link', { name: 'Загрузить из файла' }).click();
  await page.waitForURL(/\/payments\/import$/);
  assert.equal(await heading(page), 'Загрузка платёжных поручений из файла');
  await page.locator('#file').setInputFiles({
    name: 'orders.txt', mimeType: 'text/plain', buffer: Buffer.from(lines.join('\r\n') + '\r\n', 'utf8'),
  });
  await page.getByLabel('Загрузить правильные документы, даже если в других есть ошибки').check();
  await page.getByRole('button', { name: 'Загрузить', exact: true }).click();
  await page.locator('#import-summary').waitFor();
  assert.match(plain(await page.locator('#import-summary').innerText()), /^Загружено документов: 1 из 2\./);
  const error = plain(await page.locator('#import-errors tbody tr').innerText());
  assert.match(error, new RegExp(`^2\\s+${badLine}\\s+ПолучательИИК\\s+\\S`), `document, line, key, message: ${error}`);
  const drafts = page.locator('#import-drafts tbody tr');
  assert.equal(await drafts.count(), 1);
  assert.match(plain(await drafts.innerText()), /ТОО «Ромашка»\s+4 100,25 ₸\s+Черновик/);
  await drafts.getByRole('link').click();
  await page.waitForURL(/\/payments\/\d+$/);
  assert.equal(plain(await page.locator('#payment-status').innerText()), 'Черновик');
});

test('no page of the payment journeys logged a CSP violation or script error', () => {
  assert.deepEqual(consoleErrors.filter((text) => !text.includes('Failed to load resource')), []);
});
