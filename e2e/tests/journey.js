// What every journey file shares: one demo server for the file, fresh browsers (each its own
// cookie jar) closed at the end, console errors collected (CSP violations and script errors show
// up there; a clean cabinet has none), and a graceful shutdown checked.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemoServer } from './server.js';
import { launchBrowser } from './browser.js';
import { plain } from './signin.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Screenshots go here (ignored by git). */
export const RESULTS = path.resolve(here, '../test-results');

/**
 * Registers the file's before/after hooks. `onStart` receives the started server.
 * Answers `freshPage()` (a page in a new browser) and the list of console errors seen.
 */
export function journey(onStart) {
  const browsers = [];
  const consoleErrors = [];
  let server;
  before(async () => {
    mkdirSync(RESULTS, { recursive: true });
    server = await startDemoServer();
    onStart(server);
  });
  after(async () => {
    for (const browser of browsers) await browser.close();
    const code = await server?.stop();
    assert.equal(code, 0, 'SIGTERM shuts the server down gracefully');
  });
  async function freshPage() {
    const browser = await launchBrowser();
    browsers.push(browser);
    const page = await browser.context.newPage();
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      const entry = `${page.url()}: ${message.text()}`;
      // htmx logs a request the browser cut short (the page was left while a live check or a
      // conversion quote was on its way) as `htmx:afterRequest` then `htmx:sendAbort`: not a
      // script error. Any other failed request (an error status) still counts.
      if (message.text().startsWith('htmx:sendAbort')) {
        const last = consoleErrors.length - 1;
        const cutShort = /^htmx:afterRequest, \[object HTML(Form|Div)Element\]$/;
        if (last >= 0 && consoleErrors[last].startsWith(`${page.url()}: `)
          && cutShort.test(consoleErrors[last].slice(page.url().length + 2))) consoleErrors.pop();
        return;
      }
      consoleErrors.push(entry);
    });
    page.on('pageerror', (error) => consoleErrors.push(String(error)));
    return page;
  }
  return { freshPage, consoleErrors };
}

export const heading = async (page) => plain(await page.locator('h1').innerText());
export const navLinks = async (page) => (await page.locator('.site-nav a').allInnerTexts()).map(plain);
