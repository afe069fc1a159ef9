// Journeys through the means of access in the demo cabinet: a marker enrolled from its QR code and
// activated with a code computed here as an authenticator app would (RFC 6238), then a sign-in with
// the marker instead of SMS; a device refused for an old OS and one
// registered; an API key issued, used from Node and revoked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { RESULTS, heading, journey } from './journey.js';
import { demoUser, plain, signIn, signOut, smsCount } from './signin.js';
import { stepAt, totp } from './totp.js';

let server;
const { freshPage, consoleErrors } = journey((started) => { server = started; });

test('R-2.1.21 R-4.17 R-8.10: a marker is enrolled from its QR code, activated, and signs the user in instead of SMS', async () => {
  const page = await freshPage();
  const user = demoUser(server, 'confirm');
  await signIn(page, server, user);
  await page.getByRole('link', { name: 'Профиль' }).click();
  await page.waitForURL(/\/profile$/);
  await page.locator('#means').getByRole('link', { name: 'Маркеры' }).click();
  await page.waitForURL(/\/profile\/markers$/);
  assert.equal(await heading(page), 'Маркеры');
  assert.match(await page.locator('.empty').innerText(), /Маркеров пока нет/);

  await page.getByRole('button', { name: 'Подключить маркер' }).click();
  await page.locator('#marker-serial').waitFor();
  assert.equal(await heading(page), 'Новый маркер: добавьте его в приложение');
  const qr = page.getByRole('img', { name: /^QR-код маркера TYN-/ });
  assert.ok(await qr.isVisible(), 'the QR code is shown');
  const box = await qr.boundingBox();
  assert.ok(box.width >= 200 && box.height >= 200, `large enough to scan: ${JSON.stringify(box)}`);
  assert.match(await page.locator('#secret-warning').innerText(), /показывается только сейчас, один раз/);
  const serial = plain(await page.locator('#marker-serial').innerText());
  const secret = plain(await page.locator('#marker-secret').innerText()).replace(/\s/g, '');
  assert.match(serial, /^TYN-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
  assert.match(secret, /^[A-Z2-7]{32}$/);
  await page.screenshot({ path: path.join(RESULTS, 'marker-enrol-ru.png'), fullPage: true });

  // A wrong code first: refused next to the marker in the list, which never shows the secret.
  await page.getByLabel('Первый код из приложения').fill(totp(secret, stepAt() + 5));
  await page.getByRole('button', { name: 'Активировать' }).click();
  const row = page.locator(`tr[data-serial="${serial}"]`);
  assert.equal(plain(await row.locator('.field__error').innerText()), 'Неверный код маркера');
  assert.ok(!(await page.locator('body').innerText()).replace(/\s/g, '').includes(secret), 'the secret is shown once');

  const activationStep = stepAt();
  await row.getByLabel('Первый код из приложения').fill(totp(secret, activationStep));
  await row.getByRole('button', { name: 'Активировать' }).click();
  await page.waitForURL(/\/profile\/markers\?done=activated$/);
  assert.equal(plain(await page.locator('.alert--ok').innerText()), 'Маркер активирован: теперь им можно подтверждать вход.');
  assert.equal(plain(await row.locator('.status').innerText()), 'Действует');
  await signOut(page);

  // Sign-in with the marker: no SMS; the code of the next step (the activation's is spent).
  await page.getByLabel('Логин').fill(user.login);
  await page.getByLabel('Пароль').fill(user.password);
  await page.getByLabel('Войти по маркеру вместо SMS').check();
  const seen = smsCount(server);
  await page.getByRole('button', { name: 'Продолжить' }).click();
  await page.locator('#code').waitFor();
  assert.equal(plain(await page.locator('h2').innerText()), 'Код маркера');
  assert.match(plain(await page.locator('#code-note').innerText()), new RegExp(`^Введите код маркера ${serial} из приложения-аутентификатора`));
  await page.screenshot({ path: path.join(RESULTS, 'login-marker-ru.png'), fullPage: true });
  await page.getByLabel('Код').fill(totp(secret, activationStep + 1));
  await page.getByRole('button', { name: 'Войти' }).click();
  await page.waitForURL(/\/accounts$/);
  assert.equal(plain(await page.locator('.site-nav__name').innerText()), 'Нурлан Ахметов');
  assert.equal(smsCount(server), seen, 'no SMS was sent');
});

test('R-2.1.17 R-4.10: a device with an old OS is refused with the minimum named; a current one is registered', async () => {
  const page = await freshPage();
  await signIn(page, server, demoUser(server, 'create'));
  await page.goto(`${server.url}/profile`);
  await page.locator('#means').getByRole('link', { name: 'Устройства' }).click();
  await page.waitForURL(/\/profile\/devices$/);
  assert.equal(plain(await page.locator('#os_version-hint').innerText()), 'Минимальные версии: Android 10 и новее, iOS 15 и новее.');

  await page.getByLabel('Платформа').selectOption('android');
  await page.getByLabel('Версия ОС').fill('9');
  await page.getByLabel('Название').fill('Старый Samsung');
  await page.getByRole('button', { name: 'Зарегистрировать' }).click();
  assert.equal(
    plain(await page.locator('#os_version-error').innerText()),
    'Android 9 больше не поддерживается: обновите устройство до версии 10 или новее.',
  );
  assert.equal(await page.getByLabel('Название').inputValue(), 'Старый Samsung', 'the values stay');
  await page.screenshot({ path: path.join(RESULTS, 'device-refused-ru.png'), fullPage: true });

  await page.getByLabel('Платформа').selectOption('ios');
  await page.getByLabel('Версия ОС').fill('17.4');
  await page.getByLabel('Название').fill('Рабочий iPhone');
  await page.getByRole('button', { name: 'Зарегистрировать' }).click();
  await page.waitForURL(/\/profile\/devices\?done=registered$/);
  const rows = page.locator('table.devices tbody tr');
  assert.equal(await rows.count(), 1);
  assert.deepEqual((await rows.first().locator('th, td').allInnerTexts()).slice(0, 3).map(plain), ['Рабочий iPhone', 'iOS', '17.4']);
  await rows.first().getByRole('button', { name: 'Отозвать' }).click();
  await page.waitForURL(/\/profile\/devices\?done=revoked$/);
  assert.equal(await page.locator('table.devices tbody tr').count(), 0);
});

test('R-8.1: an API key is issued for one account, works from Node with Bearer, and stops when revoked', async () => {
  const page = await freshPage();
  await signIn(page, server, demoUser(server, 'full'));
  await page.getByRole('link', { name: 'API-ключи' }).click();
  await page.waitForURL(/\/api-keys$/);
  assert.equal(await heading(page), 'API-ключи');
  await page.getByLabel('Название ключа').fill('1С: Бухгалтерия');
  await page.getByLabel('Уровень доступа').selectOption('create');
  await page.getByLabel(/^Зарплатный счёт/).check();
  await page.getByRole('button', { name: 'Выпустить ключ' }).click();
  const secret = plain(await page.locator('#api-key-secret').innerText());
  assert.match(secret, /^tiyn_key_[A-Za-z0-9_-]{43}$/);
  assert.match(await page.locator('#issued').innerText(), /показывается один раз/);
  await page.screenshot({ path: path.join(RESULTS, 'api-key-issued-ru.png'), fullPage: true });

  const accounts = async () => fetch(`${server.url}/api/v1/accounts`, { headers: { Authorization: `Bearer ${secret}` } });
  const response = await accounts();
  assert.equal(response.status, 200);
  const body = await response.json();
  assert.deepEqual(body.items.map((account) => account.name), ['Зарплатный счёт'], 'the key sees its account only');

  await page.goto(`${server.url}/api-keys`);
  assert.ok(!(await page.locator('body').innerText()).includes(secret), 'the secret is shown once');
  const row = page.locator('table.api-keys tbody tr', { hasText: '1С: Бухгалтерия' });
  assert.match(plain(await row.innerText()), new RegExp(`${secret.slice(0, 13)}…`));
  assert.match(plain(await row.innerText()), /Создание документов/);
  await row.getByRole('button', { name: 'Отозвать' }).click();
  await page.waitForURL(/\/api-keys\?done=revoked$/);
  assert.equal(plain(await page.locator('.alert--ok').innerText()), 'Ключ отозван: запросы с ним больше не принимаются.');
  assert.equal((await accounts()).status, 401, 'a revoked key stops at once');
});

test('no page of the journeys logged a CSP violation or script error', () => {
  assert.deepEqual(consoleErrors.filter((text) => !text.includes('Failed to load resource')), []);
});
