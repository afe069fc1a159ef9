// FX rates (R-13.2, R-3.1.1.4): the demo operator sets a dealing rate in the console (a refused
// one first: the error stands next to its field), uploads the National Bank's stored sample file,
// and a partner's user sees the new rate on the rates page, next to the NBK's reference rate, with
// the 30-day history chart drawn as SVG by the server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RESULTS, heading, journey, navLinks } from './journey.js';
import { credentials, demoUser, plain, signIn } from './signin.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The NBK's sample day (31.07.2026), vendored with the reference data. */
const NBK_SAMPLE = path.resolve(here, '../../data/kz/nbk_get_rates_example.xml');

let server;
const { freshPage, consoleErrors } = journey((started) => { server = started; });

test('R-13.2: the operator sets a rate in the console; the partner sees it with the chart', async () => {
  const console_ = await freshPage();
  await signIn(console_, server, credentials(server).operators[0], { home: /\/bank$/ });
  assert.ok((await navLinks(console_)).includes('Курсы валют'), 'the console links to the rates');
  await console_.getByRole('link', { name: 'Курсы валют' }).click();
  await console_.waitForURL(/\/bank\/rates$/);
  assert.equal(await heading(console_), 'Курсы валют банка');

  // Refused: buy above sell, shown next to the buy field, the typed values kept.
  await console_.locator('#base').selectOption('USD');
  await console_.locator('#quote').selectOption('KZT');
  await console_.getByLabel('Покупка').fill('490,00');
  await console_.getByLabel('Продажа').fill('480,00');
  await console_.getByRole('button', { name: 'Установить курс' }).click();
  assert.equal(plain(await console_.locator('#buy-error').innerText()), 'Курс покупки выше курса продажи');
  assert.equal(await console_.getByLabel('Продажа').inputValue(), '480,00');

  await console_.getByLabel('Покупка').fill('476,25');
  await console_.getByLabel('Продажа').fill('482,75');
  await console_.getByRole('button', { name: 'Установить курс' }).click();
  await console_.waitForURL(/\/bank\/rates\?done=set$/);
  assert.equal(plain(await console_.locator('#rates-notice').innerText()), 'Курс установлен.');
  const usdRow = console_.locator('#rates-table tr[data-pair="USD/KZT"]');
  assert.equal(plain(await usdRow.locator('[data-buy]').innerText()), '476,25');

  // The NBK's file, uploaded from the form (the demo imported that day already: nothing changes).
  await console_.locator('#file').setInputFiles(NBK_SAMPLE);
  await console_.getByRole('button', { name: 'Загрузить курсы' }).click();
  await console_.waitForURL(/\/bank\/rates\?done=imported/);
  assert.equal(
    plain(await console_.locator('#rates-notice').innerText()),
    'Курсы НБ РК на 31.07.2026 загружены: добавлено 0, заменено 0, без изменений 4.',
  );
  assert.equal(plain(await console_.locator('#official tr[data-code="JPY"] [data-per-unit]').innerText()), '2,92');
  await console_.screenshot({ path: path.join(RESULTS, 'bank-rates-ru.png'), fullPage: true });

  // The partner's user: the rates page from the navigation, next to the accounts.
  const partner = await freshPage();
  await signIn(partner, server, demoUser(server, 'create'));
  const links = await navLinks(partner);
  assert.equal(links[links.indexOf('Счета') + 1], 'Курсы валют', 'the rates are next to the accounts');
  await partner.getByRole('link', { name: 'Курсы валют' }).click();
  await partner.waitForURL(/\/rates$/);
  assert.equal(await heading(partner), 'Курсы валют');
  const row = partner.locator('#rates-table tr[data-pair="USD/KZT"]');
  assert.equal(plain(await row.locator('[data-buy]').innerText()), '476,25');
  assert.equal(plain(await row.locator('[data-sell]').innerText()), '482,75');
  assert.equal(plain(await row.locator('[data-official]').innerText()), '474,20', 'the NBK rate as reference');
  assert.match(plain(await partner.locator('#official-note').innerText()), /на 31\.07\.2026 — справочно/);

  // The chart: one per currency against tenge, drawn by the server; USD's last step is the new rate.
  const charts = partner.locator('figure.chart');
  assert.equal(await charts.count(), 4);
  const usd = partner.locator('figure[data-chart="USD/KZT"] svg');
  assert.ok(await usd.isVisible(), 'the USD chart is shown');
  const box = await usd.boundingBox();
  assert.ok(box && box.width > 300 && box.height > 80, `a readable chart: ${JSON.stringify(box)}`);
  const sell = (await usd.locator('polyline.chart__line--sell').getAttribute('points')).trim().split(' ');
  assert.ok(sell.length >= 12, `steps for every demo change and the new rate: ${sell.length} points`);
  assert.equal(await usd.locator('title').textContent(), 'USD/KZT: курсы покупки и продажи с ' +
    (await usd.locator('text.chart__label').nth(2).textContent()) + ' по ' +
    (await usd.locator('text.chart__label').nth(3).textContent()));
  await partner.screenshot({ path: path.join(RESULTS, 'rates-ru.png'), fullPage: true });
});

test('no page of the rates journey logged a CSP violation or script error', () => {
  // The refused form (422) is an expected answer.
  assert.deepEqual(consoleErrors.filter((text) => !text.includes('Failed to load resource')), []);
});
