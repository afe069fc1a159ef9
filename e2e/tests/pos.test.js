// POS terminals in the cabinet (issue 6; R-3.1.2.4, R-3.1.2.5, R-3.1.2.6): the full-access demo
// user follows "POS-терминалы" in the navigation, opens the first terminal of the demo (its
// operations of the last days are seeded through the acquirer's use cases when the server starts),
// sees its operations, totals and the daily chart drawn as SVG, downloads the CSV through the
// button and parses it against the page, and opens the planned credits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RESULTS, heading, journey } from './journey.js';
import { demoUser, signIn } from './signin.js';

let server;
const { freshPage, consoleErrors } = journey((started) => { server = started; });

/** Splits one CSV record (RFC 4180: quoted fields may hold the separator and doubled quotes). */
function parseRecord(line, separator) {
  const fields = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { field += '"'; i += 1; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === separator) { fields.push(field); field = ''; }
    else field += c;
  }
  fields.push(field);
  return fields;
}

test('R-3.1.2.4, R-3.1.2.6: a terminal\'s operations, its chart and its CSV', async () => {
  const page = await freshPage();
  await signIn(page, server, demoUser(server, 'full'));

  await page.locator('.site-nav').getByRole('link', { name: 'POS-терминалы' }).click();
  await page.waitForURL(/\/pos$/);
  assert.equal(await heading(page), 'POS-терминалы');
  const terminals = page.locator('#pos-terminals tbody tr');
  assert.ok(await terminals.count() >= 2, 'the demo has its terminals');
  const first = terminals.first();
  const terminalId = await first.getAttribute('data-terminal');
  await first.getByRole('link', { name: terminalId }).click();
  await page.waitForURL(new RegExp(`/pos/${terminalId}$`));

  // The default period (the last 30 days) has the demo's operations, the totals and the chart.
  const rows = page.locator('#pos-table tbody tr[data-operation]');
  const rowCount = await rows.count();
  assert.ok(rowCount >= 10, `operations on the page: ${rowCount}`);
  assert.match(await rows.first().locator('td.iban').innerText(), /^\d{6}\*+\d{4}$/, 'masked cards only');
  assert.ok(await page.locator('#pos-chart svg').isVisible(), 'the daily chart');
  assert.ok(await page.locator('#pos-chart rect.pos-chart__bar').count() >= 5, 'a bar per day');
  assert.equal(Number(await page.locator('#pos-total-operations').innerText()), rowCount);
  await page.screenshot({ path: path.join(RESULTS, 'pos-terminal-ru.png'), fullPage: true });

  // The CSV: a BOM, the header row, a row per operation of the page, then the totals.
  const [file] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('#pos-exports a[data-format="csv-semicolon"]').click(),
  ]);
  assert.match(file.suggestedFilename(), new RegExp(`^pos-${terminalId}-\\d{4}-\\d{2}-\\d{2}-\\d{4}-\\d{2}-\\d{2}\\.csv$`));
  const target = path.join(RESULTS, `pos-${server.backend ?? 'e2e'}-${file.suggestedFilename()}`);
  await file.saveAs(target);
  const text = readFileSync(target, 'utf8');
  assert.ok(text.startsWith('\ufeff'), 'a BOM');
  const records = text.slice(1).split(/\r?\n/).filter((row) => row.trim() !== '').map((row) => parseRecord(row, ';'));
  assert.deepEqual(records[0].slice(0, 3), ['Дата и время', 'Терминал', 'Номер операции']);
  const operations = records.slice(1).filter((record) => record[1] === terminalId);
  assert.equal(operations.length, rowCount, 'a row per operation of the page');
  const pageIds = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-operation')));
  assert.deepEqual(operations.map((record) => record[2]), pageIds, 'the same operations in the same order');
  const net = records.find((record) => record[0] === 'К зачислению');
  assert.ok(net, 'the net total');
  const pageNet = (await page.locator('#pos-total-net').innerText()).replace(/[^\d,]/g, '').replace(',', '.');
  assert.equal(net[6], pageNet, 'the same net amount');

  // XLSX (read with unzip: the operation ids of the page, amounts as numbers) and PDF (pdftotext:
  // the terminal, the first operation, the net total and the stamp's notice).
  const save = async (format) => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator(`#pos-exports a[data-format="${format}"]`).click(),
    ]);
    const saved = path.join(RESULTS, `pos-${server.backend ?? 'e2e'}-${download.suggestedFilename()}`);
    await download.saveAs(saved);
    return saved;
  };
  const sheet = execFileSync('/usr/bin/unzip', ['-p', await save('xlsx'), 'xl/worksheets/*.xml'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.ok(pageIds.every((id) => sheet.includes(id)), 'every operation of the page in the workbook');
  assert.match(sheet, /<c r="[A-Z]+\d+"[^>]*><v>-?\d+(\.\d+)?<\/v><\/c>/, 'amounts are numbers');
  const pdfText = execFileSync('/usr/bin/pdftotext', ['-layout', await save('pdf'), '-'], { encoding: 'utf8' }).replace(/\u00a0/g, ' ');
  assert.ok(pdfText.includes(terminalId), 'the terminal in the PDF');
  assert.ok(pdfText.includes(pageIds[0]), 'the first operation in the PDF');
  assert.ok(pdfText.replace(/\s/g, '').includes(pageNet.replace('.', ',')), `the net total ${pageNet} in the PDF`);
  assert.match(pdfText, /не является оригиналом печати банка/);

  // The planned credits: the last days' settlements are still expected.
  await page.goto(`${server.url}/planned-credits`);
  assert.equal(await heading(page), 'Ожидаемые зачисления');
  assert.ok(await page.locator('#planned-credits tbody tr[data-date]').count() >= 1, 'a planned credit');

  assert.deepEqual(consoleErrors, [], 'no CSP violations or script errors');
});
