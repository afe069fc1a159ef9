// The bank's notices and the marketplace's reconciliation reports in the cabinet (issue 6;
// R-3.1.2.8, R-3.1.2.6): the create-level demo user (information services are every level's)
// follows the navigation to the bank's notices and finds the demo's notice of the partner's new
// legal address and the promotion to every partner, opens the marketplace reports, the demo's
// report with its three payouts (two credited, one expected) and the orders each covered, downloads the CSV through its button
// and checks it against the page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RESULTS, heading, journey } from './journey.js';
import { demoUser, signIn } from './signin.js';

let server;
const { freshPage, consoleErrors } = journey((started) => { server = started; });

/** Splits one CSV line on commas outside quotes (the exporter quotes only what needs it). */
function fields(line) {
  const out = [];
  let current = '';
  let quoted = false;
  for (let index = 0; index < line.length; index += 1) {
    const character = line[index];
    if (quoted && character === '"' && line[index + 1] === '"') {
      current += '"';
      index += 1;
    } else if (character === '"') {
      quoted = !quoted;
    } else if (character === ',' && !quoted) {
      out.push(current);
      current = '';
    } else {
      current += character;
    }
  }
  out.push(current);
  return out;
}

test('R-3.1.2.8: the notices, a marketplace report with its payouts, and its CSV', async () => {
  const page = await freshPage();
  await signIn(page, server, demoUser(server, 'create'));

  await page.locator('.site-nav').getByRole('link', { name: 'Сообщения банка' }).click();
  await page.waitForURL(/\/messages$/);
  assert.equal(await heading(page), 'Сообщения банка');
  const address = page.locator('article.notice[data-kind="legal_address_change"]');
  assert.equal(await address.count(), 1, 'the demo notice of the new legal address');
  assert.match(await address.innerText(), /Юридический адрес обновлён/);
  assert.equal(await page.locator('article.notice[data-kind="promotion"]').count(), 1, 'the promotion to all');
  await page.screenshot({ path: path.join(RESULTS, 'messages-ru.png'), fullPage: true });

  await page.locator('.site-nav').getByRole('link', { name: 'Сверки маркетплейса' }).click();
  await page.waitForURL(/\/marketplace$/);
  const report = page.locator('#marketplace-reports tbody tr[data-report]').first();
  const reportId = await report.getAttribute('data-report');
  assert.match(reportId, /^DEMO-MP-\d{4}-\d{2}$/);
  await report.getByRole('link', { name: reportId }).click();
  await page.waitForURL(new RegExp(`/marketplace/${reportId}$`));

  const payouts = page.locator('.marketplace-payout');
  assert.equal(await payouts.count(), 3, 'three payouts');
  assert.equal(await payouts.locator('[data-credited="true"]').count(), 2, 'two payouts credited');
  assert.equal(await payouts.locator('[data-credited="false"]').count(), 1, 'one expected');
  const covered = {};
  for (let index = 0; index < 3; index += 1) {
    const payout = payouts.nth(index);
    const id = await payout.getAttribute('data-payout');
    const orders = await payout.locator('tr[data-order]').evaluateAll((rows) => rows.map((row) => row.dataset.order));
    assert.ok(orders.length > 0, `payout ${id} covers orders`);
    covered[id] = orders;
  }
  const unpaid = await page.locator('#marketplace-unpaid-orders tr[data-order]')
    .evaluateAll((rows) => rows.map((row) => row.dataset.order));
  assert.ok(unpaid.length > 0, 'some orders are not paid out yet');
  await page.screenshot({ path: path.join(RESULTS, 'marketplace-report-ru.png'), fullPage: true });

  // The CSV: a BOM, a header row, a row per order naming its payout, and the totals row.
  const [file] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('#marketplace-exports a[data-format="csv"]').click(),
  ]);
  assert.equal(file.suggestedFilename(), `marketplace-${reportId}.csv`);
  const target = path.join(RESULTS, `messages-${server.backend ?? 'e2e'}-${file.suggestedFilename()}`);
  await file.saveAs(target);
  const text = readFileSync(target, 'utf8');
  assert.ok(text.startsWith('\ufeff'), 'a BOM');
  const rows = text.slice(1).split(/\r?\n/).filter((row) => row.trim() !== '').map(fields);
  assert.equal(rows[0][0], 'Заказ');
  assert.equal(rows[0][6], 'Выплата');
  const orders = rows.slice(1, -1);
  const allOrders = Object.values(covered).flat().length + unpaid.length;
  assert.equal(orders.length, allOrders, 'a row per order');
  for (const [payoutId, ids] of Object.entries(covered)) {
    for (const id of ids) {
      const row = orders.find((fields) => fields[0] === id);
      assert.ok(row, `order ${id} in the CSV`);
      assert.equal(row[6], payoutId, `order ${id} is paid by ${payoutId}`);
    }
  }
  for (const id of unpaid) {
    assert.equal(orders.find((fields) => fields[0] === id)[6], '', `order ${id} is not paid out`);
  }
  assert.equal(rows.at(-1)[0], 'Итого');

  assert.deepEqual(consoleErrors, [], 'no CSP violations or script errors');
});
