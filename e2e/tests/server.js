// Starts a real `tiyn serve --demo` on a free port and stops it. The binary is built by
// scripts/test (or by hand); this file builds nothing. TIYN_BIN overrides its path.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const TIYN_BIN = process.env.TIYN_BIN ?? path.resolve(here, '../../target/debug/tiyn');

/** How long the server may take to print its URL and become ready (a cold SQLite file). */
const START_TIMEOUT_MS = 30_000;

/** `postgres` runs the journeys on a fresh PostgreSQL database per server (scripts/test does both). */
export const BACKEND = process.env.TIYN_E2E_BACKEND ?? 'sqlite';

/** The `--database` arguments for one server: its own SQLite file, or a fresh PostgreSQL database. */
function databaseArgs() {
  if (BACKEND === 'sqlite') return [];
  if (BACKEND !== 'postgres') throw new Error(`TIYN_E2E_BACKEND=${BACKEND}: expected sqlite or postgres`);
  const url = execFileSync(TIYN_BIN, ['dev', 'test-database'], { encoding: 'utf8' }).trim();
  return ['--database', url];
}

export async function startDemoServer() {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tiyn-e2e-'));
  const args = ['serve', '--demo', '--data-dir', dataDir, '--listen', '127.0.0.1:0', ...databaseArgs()];
  const child = spawn(TIYN_BIN, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn' },
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  // All the server printed: the URL, the demo credentials, the simulated gateway's key.
  let stdout = '';
  child.stdout.on('data', (chunk) => { stdout += chunk; });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tiyn did not print its URL in time\n${stderr}`)), START_TIMEOUT_MS);
    child.stdout.on('data', () => {
      const match = stdout.match(/listening on (https?:\/\/[^\s/]+)\//);
      if (match) { clearTimeout(timer); resolve(match[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`tiyn exited with ${code}\n${stderr}`)); });
    child.on('error', (error) => { clearTimeout(timer); reject(error); });
  });
  await waitReady(url);
  return {
    url,
    dataDir,
    /** What the server printed on stdout so far. */
    stdout: () => stdout,
    /** Sends SIGTERM and resolves with the exit code: 0 when the shutdown was graceful. */
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
      child.kill('SIGTERM');
      const code = await exited;
      rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}

async function waitReady(url) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/readyz`);
      if (response.ok) return;
    } catch { /* not listening yet */ }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url}/readyz never answered 200`);
}
