// The account statement in the cabinet (issue 6; R-3.1.2.1, R-3.1.2.3, R-3.1.2.6, R-3.1.2.7): the
// full-access demo user follows "Выписка" from the accounts page for the KZT account, chooses a
// period covering the demo's data (its opening balances are posted when the server starts), sees
// the operations, downloads CSV, XLSX and PDF through the buttons and checks each file against the
// page, and opens the print view.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { RESULTS, heading, journey } from './journey.js';
import { demoUser, plain, signIn } from './signin.js';

let server;
const { freshPage, consoleErrors } = journey((started) => { server = started; });

/** Downloads the file behind the export button of `format`; answers its path and suggested name. */
async function download(page, format) {
  const [file] = await Promise.all([
    page.waitForEvent('download'),
    page.locator(`#statement-exports a[data-format="${format}"]`).click(),
  ]);
  const target = path.join(RESULTS, `statement-${server.backend ?? 'e2e'}-${file.suggestedFilename()}`);
  await file.saveAs(target);
  return { target, name: file.suggestedFilename() };
}

/** Digits, commas and dots only: amounts and IBANs compared whatever spaces a format puts in. */
const compact = (text) => text.replace(/[\s\u00a0\u202f]/g, '');

test('R-3.1.2.1, R-3.1.2.6: the statement page, its files and its print view', async () => {
  const page = await freshPage();
  await signIn(page, server, demoUser(server, 'full'));

  const kzt = page.locator('#accounts-table tbody tr').filter({ hasText: 'KZT' }).first();
  const iban = plain(await kzt.locator('.iban').innerText());
  await kzt.getByRole('link', { name: 'Выписка' }).click();
  await page.waitForURL(/\/accounts\/\d+\/statement$/);
  assert.equal(await heading(page), 'Выписка по счёту');

  // The period: from the first of January to today (the default end), covering the demo's data.
  const today = await page.locator('#to').inputValue();
  assert.match(today, /^\d{4}-\d{2}-\d{2}$/);
  await page.locator('#from').fill(`${today.slice(0, 4)}-01-01`);
  await page.getByRole('button', { name: 'Показать' }).click();
  await page.waitForURL(/\/statement\?from=\d{4}-01-01&to=/);
  assert.equal(plain(await page.locator('#statement-iban').innerText()), iban);
  const lines = page.locator('tr.statement__line');
  const lineCount = await lines.count();
  assert.ok(lineCount >= 1, 'the opening balance posted at start at least');
  assert.ok(await page.locator('tr.statement__day').count() >= 1, 'each day closes with its turnovers');
  const closing = plain(await page.locator('#statement-closing').innerText());
  assert.match(closing, /\d/);
  await page.screenshot({ path: path.join(RESULTS, 'statement-ru.png'), fullPage: true });

  // CSV: a BOM, a header row and a row per operation of the table.
  const csv = await download(page, 'csv');
  assert.match(csv.name, /^statement-KZ[0-9A-Z]+-\d{4}-01-01-\d{4}-\d{2}-\d{2}\.csv$/);
  const text = readFileSync(csv.target, 'utf8');
  assert.ok(text.startsWith('\ufeff'), 'a BOM');
  const rows = text.slice(1).split(/\r?\n/).filter((row) => row.trim() !== '');
  assert.equal(rows.length, 1 + lineCount, 'a header row and a row per operation');
  // The download showed its progress and says it is done (R-3.1.2.6: long exports show progress).
  const progress = page.locator('#export-progress');
  await progress.waitFor({ state: 'visible' });
  assert.match(await progress.innerText(), /Готово: statement-.*\.csv/);
  assert.equal(await progress.locator('progress').getAttribute('value'), '100');

  // XLSX: a zip whose sheet holds the IBAN and a numeric cell per amount (read with unzip).
  const xlsx = await download(page, 'xlsx');
  const bytes = readFileSync(xlsx.target);
  assert.ok(bytes.length > 0 && statSync(xlsx.target).size === bytes.length);
  assert.equal(bytes.subarray(0, 2).toString('latin1'), 'PK');
  const sheets = execFileSync('/usr/bin/unzip', ['-p', xlsx.target, 'xl/worksheets/*.xml'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.ok(compact(sheets).includes(compact(iban)), 'the IBAN in the workbook');
  assert.match(sheets, /<c r="[A-Z]+\d+"[^>]*><v>-?\d+(\.\d+)?<\/v><\/c>/, 'amounts are numbers, not text');

  // camt.053: valid against the ISO 20022 schema the repository ships (xmllint), for the account.
  const camt = await download(page, 'camt053');
  const xsd = path.resolve('..', 'crates', 'tiyn-statement', 'tests', 'data', 'camt.053.001.08.xsd');
  execFileSync('/usr/bin/xmllint', ['--noout', '--schema', xsd, camt.target], { stdio: 'pipe' });
  assert.ok(readFileSync(camt.target, 'utf8').includes(`<IBAN>${compact(iban)}</IBAN>`), 'the account in camt.053');

  // MT940: the SWIFT blocks with the account and the opening and closing balances.
  const mt940 = readFileSync((await download(page, 'mt940')).target, 'latin1');
  assert.match(mt940, new RegExp(`:25:${compact(iban)}`));
  assert.match(mt940, /:60F:[CD]\d{6}KZT[\d,]+/);
  assert.match(mt940, /:62F:[CD]\d{6}KZT[\d,]+/);

  // 1C: the exchange file's header, the account section and its closing balance.
  const onec = readFileSync((await download(page, '1c')).target, 'utf8');
  assert.match(onec, /^1CClientBankExchange\r?\n/);
  assert.match(onec, new RegExp(`РасчСчет=${compact(iban)}`));
  assert.match(onec, /КонечныйОстаток=-?\d+\.\d\d/);
  assert.match(onec, /КонецФайла\s*$/);

  // PDF: its text names the account and the closing balance the page shows.
  const pdf = await download(page, 'pdf');
  assert.equal(readFileSync(pdf.target).subarray(0, 4).toString('latin1'), '%PDF');
  const pdfText = compact(execFileSync('/usr/bin/pdftotext', ['-layout', pdf.target, '-'], { encoding: 'utf8' }));
  assert.ok(pdfText.includes(compact(iban)), `the IBAN ${iban} in the PDF`);
  const closingAmount = compact(closing).replace(/[^\d,.-]/g, '');
  assert.ok(pdfText.includes(closingAmount), `the closing balance ${closingAmount} in the PDF`);

  // The print view: the same statement without the navigation, with the stamp notice.
  await page.locator('#statement-print').click();
  await page.waitForURL(/\/statement\/print\?/);
  assert.equal(await page.locator('.site-nav').count(), 0, 'no navigation chrome');
  assert.equal(plain(await page.locator('#statement-closing').innerText()), closing);
  assert.match(plain(await page.locator('#stamp-notice').innerText()), /не является оригиналом печати банка/);
  assert.ok(await page.locator('#print-button').isVisible(), 'print.js shows the print button');
  await page.emulateMedia({ media: 'print' });
  await page.screenshot({ path: path.join(RESULTS, 'statement-print-ru.png'), fullPage: true });
  assert.ok(!(await page.locator('#print-button').isVisible()), 'the buttons are not printed');

  assert.deepEqual(consoleErrors, [], 'no CSP violations or script errors');
});
