// The accounts journey a person makes in the demo cabinet, signed in as the demo partner's
// full-access user (R-4.2, R-3.1.2.1, R-6.4.2).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemoServer } from './server.js';
import { launchBrowser } from './browser.js';
import { demoUser, plain, signIn } from './signin.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const RESULTS = path.resolve(here, '../test-results');

let server;
let browser;
let page;
const consoleErrors = [];

before(async () => {
  mkdirSync(RESULTS, { recursive: true });
  server = await startDemoServer();
  browser = await launchBrowser();
  page = await browser.context.newPage();
  // CSP violations and script errors show up here; a clean cabinet has none.
  page.on('console', (message) => { if (message.type() === 'error') consoleErrors.push(message.text()); });
  page.on('pageerror', (error) => consoleErrors.push(String(error)));
  await signIn(page, server, demoUser(server, 'full'));
});

after(async () => {
  await browser?.close();
  const code = await server?.stop();
  assert.equal(code, 0, 'SIGTERM shuts the server down gracefully');
});

test('R-3.1.2.1 R-4.2: the demo partner sees its four accounts with IBANs and balances', async () => {
  await page.goto(`${server.url}/`);
  assert.equal(new URL(page.url()).pathname, '/accounts', '/ leads to the accounts');
  assert.equal(plain(await page.locator('h1').innerText()), 'Счета и остатки');
  assert.equal(plain(await page.locator('.partner__name').innerText()), 'ТОО «Демо Трейд»');
  assert.match(plain(await page.locator('.partner__bin').innerText()), /^БИН \d{12}$/);

  const rows = page.locator('table.accounts tbody tr');
  assert.equal(await rows.count(), 4);
  const table = [];
  for (let index = 0; index < 4; index += 1) {
    const cells = rows.nth(index).locator('th, td');
    table.push((await cells.allInnerTexts()).map(plain));
  }
  for (const [, iban] of table) {
    assert.match(iban, /^KZ\d{2} 722S 0000 0000 000\d$/, `IBAN grouped in fours: ${iban}`);
  }
  // The second KZT account: its opening balance and the demo's POS settlements credited since
  // (issue 6), all of it available.
  const [main, salary, ...others] = table.map((row) => [row[0], row[2], row[3], row[4], row[5]]);
  assert.deepEqual([salary[0], salary[1], salary[4]], ['Зарплатный счёт', 'KZT', '0,00 ₸']);
  assert.equal(salary[2], salary[3], 'all of it available');
  assert.ok(Number(salary[2].replace(/[^\d,]/g, '').replace(',', '.')) > 2500000, `opening + POS settlements: ${salary[2]}`);
  assert.deepEqual([main, ...others], [
    ['Основной счёт', 'KZT', '15 000 000,00 ₸', '15 000 000,00 ₸', '0,00 ₸'],
    ['Валютный счёт USD', 'USD', '25 000,00 $', '25 000,00 $', '0,00 $'],
    ['Валютный счёт EUR', 'EUR', '12 500,50 €', '12 500,50 €', '0,00 €'],
  ]);
  await page.screenshot({ path: path.join(RESULTS, 'accounts-ru.png'), fullPage: true });
});

test('R-6.4.2: the other demo partner is nowhere in the cabinet', async () => {
  await page.goto(`${server.url}/accounts`);
  const text = plain(await page.locator('body').innerText());
  assert.ok(!text.includes('Степной'), 'partner 2 name must not appear');
  assert.ok(!text.includes('0000 0101'), 'partner 2 IBAN must not appear');
  assert.ok(!text.includes('7 777 777,77'), 'partner 2 balance must not appear');
});

test('the language switch translates the page and is remembered', async () => {
  await page.goto(`${server.url}/accounts`);
  await page.getByRole('link', { name: 'English' }).click();
  await page.waitForURL(/lang=en/);
  assert.equal(plain(await page.locator('h1').innerText()), 'Accounts and balances');
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  assert.equal(plain(await page.locator('table.accounts tbody tr').first().locator('td').nth(2).innerText()), '15,000,000.00 ₸');
  await page.screenshot({ path: path.join(RESULTS, 'accounts-en.png'), fullPage: true });

  // The cookie keeps English on a plain visit.
  await page.goto(`${server.url}/accounts`);
  assert.equal(plain(await page.locator('h1').innerText()), 'Accounts and balances');

  await page.getByRole('link', { name: 'Қазақша' }).click();
  await page.waitForURL(/lang=kk/);
  assert.equal(plain(await page.locator('h1').innerText()), 'Шоттар мен қалдықтар');
  assert.equal(plain(await page.locator('th').filter({ hasText: 'Қалдық' }).first().innerText()), 'ҚАЛДЫҚ');
  await page.screenshot({ path: path.join(RESULTS, 'accounts-kk.png'), fullPage: true });

  await page.getByRole('link', { name: 'Русский' }).click();
  await page.waitForURL(/lang=ru/);
  assert.equal(plain(await page.locator('h1').innerText()), 'Счета и остатки');
});

test('htmx refreshes the accounts table in place, under the CSP, without console errors', async () => {
  await page.goto(`${server.url}/accounts`);
  const refreshed = page.waitForResponse((response) => response.url().endsWith('/accounts/table') && response.status() === 200);
  await page.getByRole('button', { name: 'Обновить' }).click();
  await refreshed;
  await page.locator('#accounts-table table.accounts').waitFor();
  assert.equal(await page.locator('table.accounts tbody tr').count(), 4);
  assert.deepEqual(consoleErrors, []);
});
