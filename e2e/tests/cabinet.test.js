// Journeys through sign-in, users, passwords and the audit trail of the demo cabinet (R-4.9,
// Credentials come from the server's
// demo-credentials.json, SMS codes from its sms.jsonl, as a person running the demo reads them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { RESULTS, heading, journey, navLinks } from './journey.js';
import { credentials, demoUser, expectSentToLogin, nextCode, plain, signIn, signOut, smsCount } from './signin.js';

let server;
const { freshPage, consoleErrors } = journey((started) => { server = started; });

test('R-4.9: the full user signs in with the SMS code, sees the accounts, signs out', async () => {
  const page = await freshPage();
  const full = demoUser(server, 'full');
  await page.goto(`${server.url}/accounts`);
  assert.equal(new URL(page.url()).pathname, '/login', 'signed out: the accounts lead to the login');
  assert.equal(await heading(page), 'Вход в кабинет');
  const text = await page.locator('body').innerText();
  assert.match(text, /demo-credentials\.json/, 'the demo login page says where the credentials are');
  for (const user of credentials(server).users) assert.ok(!text.includes(user.password), 'no password on the page');

  await page.getByLabel('Логин').fill(full.login);
  await page.getByLabel('Пароль').fill(full.password);
  const seen = smsCount(server);
  await page.getByRole('button', { name: 'Продолжить' }).click();
  await page.locator('#code').waitFor();
  assert.match(plain(await page.locator('#code-note').innerText()), /^Код отправлен на \+7 701 ••• •• 01, действует до \d\d:\d\d\.$/);
  await page.screenshot({ path: path.join(RESULTS, 'login-code-ru.png'), fullPage: true });
  await page.getByLabel('Код').fill(await nextCode(server, full.mobile, seen));
  await page.getByRole('button', { name: 'Войти' }).click();
  await page.waitForURL(/\/accounts$/);

  assert.equal(await heading(page), 'Счета и остатки');
  assert.equal(await page.locator('table.accounts tbody tr').count(), 4);
  assert.equal(plain(await page.locator('.site-nav__name').innerText()), 'Айгерим Сапарова');
  assert.equal(plain(await page.locator('.site-nav__level').innerText()), 'Полный доступ');
  assert.deepEqual(await navLinks(page), ['Счета', 'Курсы валют', 'Справочники', 'POS-терминалы', 'Сообщения банка', 'Сверки маркетплейса', 'Платежи', 'Пользователи', 'API-ключи', 'Журнал действий', 'Профиль']);
  const [cookie] = (await page.context().cookies()).filter((entry) => entry.name === 'tiyn_session');
  assert.ok(cookie, 'a session cookie');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.equal(cookie.path, '/');

  await signOut(page);
  assert.equal(await heading(page), 'Вход в кабинет');
  assert.equal((await page.context().cookies()).filter((entry) => entry.name === 'tiyn_session').length, 0);
  await page.goto(`${server.url}/accounts`);
  assert.equal(new URL(page.url()).pathname, '/login', 'signed out: back to the login');
});

test('R-6.3.6 R-5.2 R-6.3.8: a new user is created, activates, signs in, and is blocked', async () => {
  const admin = await freshPage();
  await signIn(admin, server, demoUser(server, 'full'));
  await admin.getByRole('link', { name: 'Пользователи' }).click();
  await admin.waitForURL(/\/users$/);
  assert.equal(await admin.locator('table.users tbody tr').count(), 3);
  await admin.getByRole('link', { name: 'Добавить пользователя' }).click();
  await admin.getByLabel('ФИО').fill('Тимур Алиев');
  await admin.getByLabel('Мобильный телефон').fill('+7 702 000 01 23');
  await admin.getByLabel('Эл. почта').fill('timur@demo-trade.kz');
  await admin.getByLabel('Уровень доступа').selectOption('confirm');
  await admin.getByRole('button', { name: 'Создать' }).click();
  // Without the consent the form is refused, with the values kept.
  assert.equal(plain(await admin.locator('#consent-error').innerText()), 'Нужно согласие на обработку данных');
  assert.equal(await admin.getByLabel('ФИО').inputValue(), 'Тимур Алиев');
  await admin.getByLabel(/согласие пользователя/).check();
  await admin.getByRole('button', { name: 'Создать' }).click();
  await admin.waitForURL(/\/users\/\d+\?done=created$/);
  assert.equal(plain(await admin.locator('.alert--ok').innerText()), 'Пользователь создан и ожидает активации.');
  assert.equal(plain(await admin.locator('#user-status').innerText()), 'Ожидает активации');
  const userPage = admin.url().split('?')[0];

  // The new user, in another browser: first access with the code, then a password.
  const newcomer = await freshPage();
  const mobile = '+77020000123';
  const password = 'степь-ветер-2026-караван';
  await newcomer.goto(`${server.url}/login`);
  await newcomer.getByRole('link', { name: 'Первый вход: активировать доступ' }).click();
  await newcomer.getByLabel('Логин').fill(mobile);
  const seen = smsCount(server);
  await newcomer.getByRole('button', { name: 'Получить код' }).click();
  await newcomer.locator('#code').waitFor();
  assert.match(plain(await newcomer.locator('#code-note').innerText()), /\+7 702 ••• •• 23/);
  await newcomer.getByLabel('Код').fill(await nextCode(server, mobile, seen));
  await newcomer.getByLabel('Новый пароль').fill('short');
  await newcomer.getByRole('button', { name: 'Активировать' }).click();
  assert.equal(plain(await newcomer.locator('#password-error').innerText()), 'Пароль слишком короткий', 'the policy speaks next to the field');
  await newcomer.getByLabel('Код').fill(await nextCode(server, mobile, seen));
  await newcomer.getByLabel('Новый пароль').fill(password);
  await newcomer.getByRole('button', { name: 'Активировать' }).click();
  assert.equal(await heading(newcomer), 'Доступ активирован');
  await newcomer.getByRole('link', { name: 'Ко входу' }).click();
  await newcomer.waitForURL(/\/login$/);
  await signIn(newcomer, server, { login: mobile, password, mobile });
  assert.equal(plain(await newcomer.locator('.site-nav__name').innerText()), 'Тимур Алиев');
  assert.equal(plain(await newcomer.locator('.site-nav__level').innerText()), 'Подтверждение документов');

  // The full user blocks them: their open page, on the next navigation, is signed out.
  await admin.goto(userPage);
  await admin.getByRole('button', { name: 'Заблокировать' }).click();
  await admin.waitForURL(/done=blocked$/);
  assert.equal(plain(await admin.locator('#user-status').innerText()), 'Заблокирован');
  await admin.screenshot({ path: path.join(RESULTS, 'user-blocked-ru.png'), fullPage: true });
  const [response] = await Promise.all([
    newcomer.waitForNavigation(),
    newcomer.getByRole('link', { name: 'Профиль' }).click(),
  ]);
  await expectSentToLogin(newcomer, response);

  await admin.goto(`${server.url}/users`);
  const row = admin.locator('table.users tbody tr', { hasText: 'Тимур Алиев' });
  assert.match(plain(await row.innerText()), /Заблокирован администратором организации, \d\d\.\d\d\.\d{4} \d\d:\d\d/);
});

test('R-5.7: password recovery by SMS, then sign-in with the new password; change from the profile', async () => {
  const page = await freshPage();
  const user = demoUser(server, 'confirm');
  await page.goto(`${server.url}/login`);
  await page.getByRole('link', { name: 'Забыли пароль?' }).click();
  await page.waitForURL(/\/recovery$/);
  assert.equal(await heading(page), 'Восстановление пароля');
  await page.getByLabel('Логин').fill(user.login);
  const seen = smsCount(server);
  await page.getByRole('button', { name: 'Получить код' }).click();
  await page.locator('#code').waitFor();
  const recovered = 'тихий-вечер-над-рекой-1';
  await page.getByLabel('Код').fill(await nextCode(server, user.mobile, seen));
  await page.getByLabel('Новый пароль').fill(recovered);
  await page.getByRole('button', { name: 'Сменить пароль' }).click();
  assert.equal(await heading(page), 'Пароль изменён');
  await page.getByRole('link', { name: 'Ко входу' }).click();
  await signIn(page, server, { ...user, password: recovered });
  assert.equal(plain(await page.locator('.site-nav__name').innerText()), 'Нурлан Ахметов');

  await page.getByRole('link', { name: 'Профиль' }).click();
  await page.waitForURL(/\/profile$/);
  assert.equal(await heading(page), 'Профиль');
  assert.equal(plain(await page.locator('#profile-level').innerText()), 'Подтверждение документов');
  await page.getByLabel('Текущий пароль').fill('not the password at all');
  await page.getByLabel('Новый пароль').fill('другой-пароль-2026-осень');
  await page.locator('#password').getByRole('button', { name: 'Сменить пароль' }).click();
  assert.equal(plain(await page.locator('#old_password-error').innerText()), 'Текущий пароль неверен');
  const changed = 'другой-пароль-2026-осень';
  await page.getByLabel('Текущий пароль').fill(recovered);
  await page.getByLabel('Новый пароль').fill(changed);
  await page.locator('#password').getByRole('button', { name: 'Сменить пароль' }).click();
  await page.waitForURL(/\/profile\?done=password$/);
  assert.equal(plain(await page.locator('.alert--ok').innerText()), 'Пароль изменён. Другие сеансы завершены.');
  await signOut(page);
  await signIn(page, server, { ...user, password: changed });
  await signOut(page);
});

test('R-3.4 R-8.1: the audit trail lists the login; a create-level user has no Users or Audit section', async () => {
  const admin = await freshPage();
  await signIn(admin, server, demoUser(server, 'full'));
  await admin.getByRole('link', { name: 'Журнал действий' }).click();
  await admin.waitForURL(/\/audit$/);
  assert.equal(await heading(admin), 'Журнал действий');
  const rows = admin.locator('table.audit tbody tr');
  const first = plain(await rows.filter({ hasText: 'auth.login_confirm' }).first().innerText());
  assert.match(first, /Айгерим Сапарова/);
  assert.match(first, /успешно/);
  assert.ok(await rows.filter({ hasText: /auth\.login\s/ }).count() >= 1, 'the password step is recorded too');
  await admin.screenshot({ path: path.join(RESULTS, 'audit-ru.png'), fullPage: true });

  const clerk = await freshPage();
  await signIn(clerk, server, demoUser(server, 'create'));
  assert.equal(plain(await clerk.locator('.site-nav__level').innerText()), 'Создание документов');
  assert.deepEqual(await navLinks(clerk), ['Счета', 'Курсы валют', 'Справочники', 'POS-терминалы', 'Сообщения банка', 'Сверки маркетплейса', 'Платежи', 'Профиль'], 'no Users or Audit link');
  for (const section of ['/users', '/audit']) {
    const response = await clerk.goto(`${server.url}${section}`);
    assert.equal(response.status(), 403, section);
    assert.match(await clerk.locator('body').innerText(), /Недостаточно прав доступа/, section);
  }
});

test('the login form speaks Kazakh and English before sign-in; the choice is remembered', async () => {
  const page = await freshPage();
  await page.goto(`${server.url}/login`);
  await page.getByRole('link', { name: 'Қазақша' }).click();
  await page.waitForURL(/\/login\?lang=kk$/);
  assert.equal(await page.locator('html').getAttribute('lang'), 'kk');
  assert.equal(await heading(page), 'Кабинетке кіру');
  assert.ok(await page.getByLabel('Құпиясөз').isVisible());
  assert.ok(await page.getByRole('button', { name: 'Жалғастыру' }).isVisible());
  await page.screenshot({ path: path.join(RESULTS, 'login-kk.png'), fullPage: true });

  await page.getByRole('link', { name: 'English' }).click();
  await page.waitForURL(/\/login\?lang=en$/);
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  assert.equal(await heading(page), 'Sign in');
  assert.ok(await page.getByLabel('Password').isVisible());
  await page.screenshot({ path: path.join(RESULTS, 'login-en.png'), fullPage: true });

  // The cookie keeps English through the sign-in, up to the accounts.
  const full = demoUser(server, 'full');
  await page.goto(`${server.url}/login`);
  await page.getByLabel('Login').fill(full.login);
  await page.getByLabel('Password').fill(full.password);
  const seen = smsCount(server);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.locator('#code').waitFor();
  assert.match(plain(await page.locator('#code-note').innerText()), /^Code sent to \+7 701 ••• •• 01, valid until \d\d:\d\d\.$/);
  await page.getByLabel('Code').fill(await nextCode(server, full.mobile, seen));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/accounts$/);
  assert.equal(await heading(page), 'Accounts and balances');
  assert.deepEqual(await navLinks(page), ['Accounts', 'Exchange rates', 'Directories', 'POS terminals', 'Bank notices', 'Marketplace', 'Payments', 'Users', 'API keys', 'Audit trail', 'Profile']);
});

test('no page of the journeys logged a CSP violation or script error', () => {
  // Refused pages (403 for the create level, the blocked user's 401) are expected answers.
  assert.deepEqual(consoleErrors.filter((text) => !text.includes('Failed to load resource')), []);
});
