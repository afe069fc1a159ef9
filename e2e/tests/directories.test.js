// The reference directories (R-3.1.2.2), as a partner's user meets them: the "Справочники" page
// from the navigation, its tabs, a search that filters the rows as one types (htmx), and the
// payment form's KNP field, whose type-ahead (static/lookup.js) offers codes from the directory
// and fills the field with the one picked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { RESULTS, heading, journey, navLinks } from './journey.js';
import { demoUser, plain, signIn } from './signin.js';

let server;
const { freshPage, consoleErrors } = journey((started) => { server = started; });

/** The codes of the directory table's rows, in order. */
const rowCodes = (page) => page.locator('#directory-rows tr[data-code]').evaluateAll(
  (rows) => rows.map((row) => row.getAttribute('data-code')),
);

test('R-3.1.2.2: the directories page searches as one types; the payment form looks codes up', async () => {
  const page = await freshPage();
  await signIn(page, server, demoUser(server, 'create'));
  assert.ok((await navLinks(page)).includes('Справочники'), 'the navigation links to the directories');
  await page.getByRole('link', { name: 'Справочники' }).click();
  await page.waitForURL(/\/directories$/);
  assert.equal(await heading(page), 'Справочники');
  assert.ok((await rowCodes(page)).includes('911'), 'the KNP tab lists the codes');

  // The Kazakhstan banks: typing a Russian word narrows the rows without reloading the page.
  await page.locator('.tabs a[data-tab="banks"]').click();
  await page.waitForURL(/\/directories\?kind=banks$/);
  const before = (await rowCodes(page)).length;
  assert.ok(before > 20, `the banks are listed (${before})`);
  await page.locator('#directory-q').pressSequentially('народный', { delay: 30 });
  await page.waitForFunction(() => document.querySelectorAll('#directory-rows tr[data-code]').length === 1);
  assert.deepEqual(await rowCodes(page), ['HSBKKZKX']);
  assert.match(plain(await page.locator('#directory-rows tr[data-code="HSBKKZKX"]').innerText()), /Народный/i);
  assert.ok(page.url().endsWith('/directories?kind=banks'), 'htmx swapped the rows in place');

  // Banks abroad by BIC.
  await page.locator('.tabs a[data-tab="foreign-banks"]').click();
  await page.waitForURL(/kind=foreign-banks$/);
  await page.locator('#directory-q').pressSequentially('deutdeff', { delay: 30 });
  await page.waitForFunction(() => document.querySelector('#directory-rows tr[data-code]')?.getAttribute('data-code') === 'DEUTDEFF'
    && document.querySelectorAll('#directory-rows tr[data-code]').length < 20);
  assert.match(plain(await page.locator('#directory-rows tr[data-code="DEUTDEFF"]').innerText()), /Deutsche Bank AG/);
  await page.screenshot({ path: path.join(RESULTS, 'directories-ru.png'), fullPage: true });

  // The payment form: the KNP field offers the directory's codes as one types; picking one fills it.
  await page.goto(`${server.url}/payments/new`);
  assert.equal(await heading(page), 'Новый платёжный документ');
  const knp = page.locator('#knp');
  assert.equal(await knp.getAttribute('data-lookup'), 'knp');
  await knp.click();
  await knp.pressSequentially('91', { delay: 50 });
  const choices = page.locator('#knp + .lookup__list');
  const tax = choices.locator('[data-value="911"]');
  await tax.waitFor({ state: 'visible' });
  assert.equal(await knp.getAttribute('aria-expanded'), 'true');
  assert.ok((await choices.locator('[data-value]').count()) >= 1);
  await page.screenshot({ path: path.join(RESULTS, 'directories-lookup-ru.png'), fullPage: true });
  await tax.click();
  assert.equal(await knp.inputValue(), '911');
  assert.ok(await choices.isHidden(), 'the choices close once one is picked');
  assert.equal(await knp.getAttribute('aria-expanded'), 'false');

  // The keyboard works as well: arrows and Enter in the payee bank's BIC field.
  await page.locator('#kind').selectOption('interbank');
  const bic = page.locator('#payee_bic');
  assert.equal(await bic.getAttribute('data-lookup'), 'banks');
  await bic.click();
  await bic.pressSequentially('kaspi', { delay: 50 });
  await page.locator('#payee_bic + .lookup__list [data-value="CASPKZKA"]').waitFor({ state: 'visible' });
  await bic.press('ArrowDown');
  await bic.press('Enter');
  assert.equal(await bic.inputValue(), 'CASPKZKA');

  assert.deepEqual(consoleErrors, [], 'no CSP violations or script errors');
});
