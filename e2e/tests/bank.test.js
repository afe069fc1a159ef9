// The bank operator's journeys in the console: the
// demo operator lands on /bank, connects a partner from its application, the partner's new user
// activates and signs in, and the operator blocks that user, whose open page then ends at /login.
// The operator registers a collection order on a demo account, collected at once, and the
// partner's user sees it. A partner's user gets the refusal page on the console.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { RESULTS, heading, journey, navLinks } from './journey.js';
import { PARTNER_ONE, credentials, demoUser, expectSentToLogin, nextCode, plain, signIn, smsCount } from './signin.js';

let server;
const { freshPage, consoleErrors } = journey((started) => { server = started; });

/**
 * A valid BIN no demo partner has: registered May 2021, a legal entity's head office, and the
 * Kazakhstan check digit (weights 1..11, then 3..11,1,2 when the first pass gives 10).
 */
function freshBin() {
  const weighted = (digits, weights) => digits.reduce((sum, digit, index) => sum + digit * weights[index], 0) % 11;
  for (let serial = 0; serial < 1000; serial += 1) {
    const eleven = `210540${String(serial).padStart(5, '0')}`;
    const digits = [...eleven].map(Number);
    let check = weighted(digits, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    if (check === 10) check = weighted(digits, [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]);
    if (check !== 10) return `${eleven}${check}`;
  }
  throw new Error('no BIN with a check digit');
}

test('R-8.2 R-6.1.8: the operator connects a partner from its application and blocks its new user', async () => {
  const console_ = await freshPage();
  const operator = credentials(server).operators[0];
  await signIn(console_, server, operator, { home: /\/bank$/ });
  assert.equal(await heading(console_), 'Партнёры банка');
  assert.deepEqual(await navLinks(console_), ['Партнёры', 'Подключить партнёра', 'Уведомления клиентам', 'Журнал банка', 'Список ФТ/ФЭ', 'Курсы валют', 'Новый оператор', 'Профиль']);
  assert.equal(plain(await console_.locator('.site-nav__level').innerText()), 'Администратор банка');
  assert.equal(await console_.locator('table.partners tbody tr').count(), 2, 'the two demo partners');
  await console_.screenshot({ path: path.join(RESULTS, 'bank-partners-ru.png'), fullPage: true });

  await console_.getByRole('link', { name: 'Подключить партнёра' }).first().click();
  await console_.waitForURL(/\/bank\/partners\/new$/);
  assert.equal(await heading(console_), 'Подключение партнёра по заявке');
  await console_.getByLabel('Организация', { exact: true }).fill('ТОО «Жаңа Серіктес»');
  await console_.getByLabel('БИН').fill(freshBin());
  await console_.getByLabel('Юридический адрес').fill('050000, г. Алматы, ул. Абая, д. 10');
  await console_.locator('#account0-currency').selectOption('KZT');
  await console_.locator('#account0-name').fill('Текущий счёт');
  await console_.locator('#account1-currency').selectOption('USD');
  await console_.locator('#account1-name').fill('Валютный счёт USD');
  await console_.locator('#user0-full_name').fill('Бауыржан Оспанов');
  await console_.locator('#user0-mobile').fill('+7 705 000 11 22');
  await console_.locator('#user0-email').fill('director@zhana.kz');
  await console_.locator('#user0-level').selectOption('full');
  await console_.locator('#user0-consent').check();
  await console_.locator('#user1-full_name').fill('Гульнара Ахметова');
  await console_.locator('#user1-mobile').fill('+7 705 000 33 44');
  await console_.locator('#user1-level').selectOption('create');
  await console_.getByRole('button', { name: 'Подключить партнёра' }).click();
  // The second user's consent is missing: refused on that row, the values kept.
  const row1 = console_.locator('[data-row="user-1"]');
  assert.equal(plain(await row1.locator('.field__error').innerText()), 'Нужно согласие на обработку данных');
  assert.equal(await console_.locator('#user0-full_name').inputValue(), 'Бауыржан Оспанов');
  await console_.locator('#user1-consent').check();
  await console_.getByRole('button', { name: 'Подключить партнёра' }).click();
  await console_.waitForURL(/\/bank\/partners\/\d+\?done=created$/);
  assert.equal(plain(await console_.locator('.alert--ok').innerText()), 'Партнёр подключён: счета открыты, пользователи ждут активации.');
  assert.equal(await heading(console_), 'ТОО «Жаңа Серіктес»');
  const ibans = (await console_.locator('#accounts td.iban').allInnerTexts()).map(plain);
  assert.equal(ibans.length, 2);
  for (const iban of ibans) assert.match(iban, /^KZ\d{2} 722S 0000 0000 \d{4}$/, `an IBAN of the bank: ${iban}`);
  const newcomerRow = console_.locator('#users tbody tr', { hasText: 'Гульнара Ахметова' });
  assert.match(plain(await newcomerRow.innerText()), /Ожидает активации/);
  await console_.screenshot({ path: path.join(RESULTS, 'bank-partner-created-ru.png'), fullPage: true });

  // The new user activates by SMS and signs in to the new cabinet.
  const newcomer = await freshPage();
  const mobile = '+77050003344';
  const password = 'жаңа-серіктес-2026-көктем';
  await newcomer.goto(`${server.url}/activation`);
  await newcomer.getByLabel('Логин').fill(mobile);
  const seen = smsCount(server);
  await newcomer.getByRole('button', { name: 'Получить код' }).click();
  await newcomer.locator('#code').waitFor();
  await newcomer.getByLabel('Код').fill(await nextCode(server, mobile, seen));
  await newcomer.getByLabel('Новый пароль').fill(password);
  await newcomer.getByRole('button', { name: 'Активировать' }).click();
  assert.equal(await heading(newcomer), 'Доступ активирован');
  await signIn(newcomer, server, { login: mobile, password, mobile });
  assert.equal(plain(await newcomer.locator('.partner__name').innerText()), 'ТОО «Жаңа Серіктес»');
  assert.equal(await newcomer.locator('table.accounts tbody tr').count(), 2);

  // The operator blocks them: their open page ends at /login on the next navigation.
  await console_.reload();
  await newcomerRow.getByRole('button', { name: 'Заблокировать' }).click();
  await console_.waitForURL(/\?done=blocked#users$/);
  assert.match(plain(await newcomerRow.innerText()), /Заблокирован банком/);
  const [response] = await Promise.all([
    newcomer.waitForNavigation(),
    newcomer.getByRole('link', { name: 'Профиль' }).click(),
  ]);
  await expectSentToLogin(newcomer, response);

  // The bank's trail shows the block, filtered to the new partner.
  await console_.getByRole('link', { name: 'Журнал действий этого партнёра' }).click();
  await console_.waitForURL(/\/bank\/audit\?partner=\d+$/);
  const records = console_.locator('table.audit tbody tr');
  assert.ok(await records.filter({ hasText: 'users.block' }).count() >= 1, 'the block is recorded');
  assert.ok(await records.filter({ hasText: 'partners.create' }).count() >= 1, 'the creation is recorded');
  await console_.screenshot({ path: path.join(RESULTS, 'bank-audit-ru.png'), fullPage: true });
});

test('R-6.1.2: the operator registers a collection order; the partner sees what it collected', async () => {
  const console_ = await freshPage();
  await signIn(console_, server, credentials(server).operators[0], { home: /\/bank$/ });
  await console_.locator('table.partners tbody tr', { hasText: PARTNER_ONE }).getByRole('link').click();
  await console_.waitForURL(/\/bank\/partners\/\d+$/);
  // The demo's EUR account holds 12 500,50 €; the order is for 20 000,00 €.
  const account = console_.locator('.restrictions', { hasText: 'Валютный счёт EUR' });
  await account.getByLabel('Ограничение', { exact: true }).selectOption('collection_order');
  await account.getByLabel('Сумма (EUR)').fill('20 000,00');
  await account.getByLabel('Очерёдность').fill('0');
  await account.getByLabel('Взыскатель', { exact: true }).fill('ТОО «Ромашка»');
  await account.getByLabel('ИИН/БИН взыскателя').fill('180140010005');
  await account.getByLabel('IBAN взыскателя').fill('KZ86 125K ZT50 0410 0100');
  await account.getByLabel('КБе (код бенефициара)').fill('17');
  await account.getByLabel('КНП (код назначения платежа)').fill('710');
  await account.getByLabel('Основание').fill('Решение суда № 12 от 03.03.2026');
  await account.getByRole('button', { name: 'Зарегистрировать' }).click();
  // Priority 0 is refused next to its field; the other values stay.
  assert.equal(plain(await account.locator('[id^="restriction-priority-"][id$="-error"]').innerText()), 'Очерёдность — число от 1 до 9');
  assert.equal(await account.getByLabel('IBAN взыскателя').inputValue(), 'KZ86 125K ZT50 0410 0100');
  await account.getByLabel('Очерёдность').fill('3');
  await account.getByRole('button', { name: 'Зарегистрировать' }).click();
  await console_.waitForURL(/\?done=restriction_added#account-\d+$/);
  const order = account.locator('tr[data-kind="collection_order"]');
  assert.match(plain(await order.locator('th').innerText()), /^Инкассовое распоряжение\s+Очерёдность\s+3\s+Взыскатель\s+ТОО «Ромашка»/);
  assert.equal(plain(await order.locator('[data-collected]').innerText()), '12 500,50 €');
  assert.equal(plain(await order.locator('[data-outstanding]').innerText()), '7 499,50 €');
  await account.scrollIntoViewIfNeeded();
  await console_.screenshot({ path: path.join(RESULTS, 'bank-collection-order-ru.png'), fullPage: true });

  const partner = await freshPage();
  await signIn(partner, server, demoUser(server, 'full'));
  const eur = partner.locator('table.accounts tbody tr', { hasText: 'Валютный счёт EUR' });
  assert.equal(plain(await eur.locator('td').nth(2).innerText()), '0,00 €', 'the balance went to the creditor');
  const seen = partner.locator('#restrictions tr[data-kind="collection_order"]');
  assert.match(plain(await seen.locator('th').innerText()), /^Инкассовое распоряжение/);
  assert.equal(plain(await seen.locator('[data-collected]').innerText()), '12 500,50 €');
  assert.equal(plain(await seen.locator('[data-outstanding]').innerText()), '7 499,50 €');
  await partner.screenshot({ path: path.join(RESULTS, 'accounts-collection-order-ru.png'), fullPage: true });
});

test('R-8.2 R-8.1: a partner user gets the refusal page on the console', async () => {
  const page = await freshPage();
  await signIn(page, server, demoUser(server, 'full'));
  assert.ok(!(await navLinks(page)).includes('Партнёры'), 'no console link for a partner user');
  for (const section of ['/bank', '/bank/partners/new', '/bank/audit']) {
    const response = await page.goto(`${server.url}${section}`);
    assert.equal(response.status(), 403, section);
    assert.match(await page.locator('body').innerText(), /Недостаточно прав доступа/, section);
  }
});

test('no page of the journeys logged a CSP violation or script error', () => {
  // The refused pages (403) are expected answers.
  assert.deepEqual(consoleErrors.filter((text) => !text.includes('Failed to load resource')), []);
});
