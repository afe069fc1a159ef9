// The htmx the server embeds is exactly the file of the pinned npm package (see
// crates/tiyn-web/static/VENDORED.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

test('static/htmx.min.js is the pinned htmx.org dist file, unchanged', () => {
  const pinned = JSON.parse(readFileSync(path.resolve(here, '../package.json'), 'utf8')).devDependencies['htmx.org'];
  const packageDir = path.dirname(require.resolve('htmx.org/package.json'));
  const installed = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')).version;
  assert.equal(installed, pinned);
  const vendored = readFileSync(path.resolve(here, '../../crates/tiyn-web/static/htmx.min.js'));
  const original = readFileSync(path.join(packageDir, 'dist/htmx.min.js'));
  assert.ok(vendored.equals(original), 'vendored htmx.min.js differs from the npm package');
  const notes = readFileSync(path.resolve(here, '../../crates/tiyn-web/static/VENDORED.md'), 'utf8');
  assert.ok(notes.includes(`| ${pinned} |`), 'VENDORED.md names the version');
});
