// What the journeys share: the demo credentials the server wrote, the SMS codes it "sent" (one
// JSON line each in sms.jsonl), and signing in through the cabinet's two steps.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';

export const PARTNER_ONE = 'ТОО «Демо Трейд»';

/** `${dataDir}/demo-credentials.json`: `{users: [{login, password, level, partner, mobile}], operators: [{login, password, mobile}]}`. */
export function credentials(server) {
  return JSON.parse(readFileSync(path.join(server.dataDir, 'demo-credentials.json'), 'utf8'));
}

/** The demo user of `level` in partner 1. */
export function demoUser(server, level) {
  const user = credentials(server).users.find((entry) => entry.level === level && entry.partner === PARTNER_ONE);
  assert.ok(user, `a demo user of level ${level}`);
  return { ...user };
}

function smsLines(server) {
  const file = path.join(server.dataDir, 'sms.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line));
}

/** How many SMS were sent so far: pass to `nextCode` to wait for a newer one. */
export function smsCount(server) {
  return smsLines(server).length;
}

/** The 6-digit code of the first SMS to `mobile` after the first `seen` lines; polls briefly. */
export async function nextCode(server, mobile, seen) {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const message = smsLines(server).slice(seen).find((line) => line.to === mobile && /\b\d{6}\b/.test(line.text));
    if (message) return message.text.match(/\b(\d{6})\b/)[1];
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no SMS code to ${mobile} in sms.jsonl`);
}

/**
 * Signs in through /login: login and password, then the code from the SMS. Ends on /accounts, or
 * on `home` (a bank operator lands on /bank).
 */
export async function signIn(page, server, { login, password, mobile }, { home = /\/accounts$/ } = {}) {
  await page.goto(`${server.url}/login`);
  await page.locator('#login').fill(login);
  await page.locator('#password').fill(password);
  const seen = smsCount(server);
  await page.locator('form[action="/login"] button[type="submit"]').click();
  await page.locator('#code').waitFor();
  const code = await nextCode(server, mobile, seen);
  await page.locator('#code').fill(code);
  await page.locator('form[action="/login/confirm"] button[type="submit"]').click();
  await page.waitForURL(home);
}

/** Signs out with the navigation's button. Ends on /login. */
export async function signOut(page) {
  await page.locator('form[action="/logout"] button').click();
  await page.waitForURL(/\/login$/);
}

/**
 * A page whose session has ended (blocked, recovered elsewhere) sends the person to /login.
 *
 * Interim: `tiyn_api::authz::refuse` redirects only requests without a credential (or with an
 * expired session); an ended session's cookie gets a 401 problem document instead (reported to
 * the tiyn-api owners). Until then that refusal is accepted too: either way nothing of the page
 * is shown.
 */
export async function expectSentToLogin(page, response) {
  const body = await page.locator('body').innerText();
  assert.equal(new URL(page.url()).pathname, '/login', `expected /login, got ${page.url()} (${response?.status()}): ${body}`);
}

/** Text as a person reads it: narrow and ordinary no-break spaces become plain spaces. */
export const plain = (text) => text.replace(/[\u202F\u00A0]/g, ' ').trim();
