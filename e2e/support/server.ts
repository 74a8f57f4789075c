/**
 * The real headless server for browser tests: `node bin/sparseland.mjs serve --port 0 --json` with the real
 * host and engine (a child process running ONNX Runtime on the CPU). Nothing is mocked.
 *
 * `server` is a worker-scoped fixture. Playwright keeps a worker (and its worker fixtures) across test
 * files, so each spec file sets its own `serverFor` (a worker-scoped option): a different value makes
 * Playwright start a fresh worker, and so a fresh server with a fresh temp folder, for that file.
 *
 *   import { test } from './support/server';
 *   test.use({ serverFor: 'workflow' });
 *   test('…', async ({ page, server }) => { await page.goto(server.url); … });
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { test as base, expect } from '@playwright/test';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The sample images shipped with the app, the server's second root. */
export const samplesRoot = realpathSync(path.join(repoRoot, 'resources/samples'));

export interface StudioServer {
  /** The address the server printed, `?token=` included. */
  readonly url: string;
  /** http://127.0.0.1:PORT — the only origin allowed to open the WebSocket. */
  readonly origin: string;
  readonly port: number;
  readonly token: string;
  /** The first --root: an empty temp folder (canonical path) the test may fill. */
  readonly tmp: string;
  /** The second --root: resources/samples (canonical path). */
  readonly samples: string;
  /** The roots as the server reported them. */
  readonly roots: readonly string[];
  /** Everything the server wrote to stderr so far (for failure reports). */
  stderr(): string;
}

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

function firstLine(child: ChildProcess, timeoutMs: number, stderr: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => fail(new Error(`sparseland serve printed nothing within ${timeoutMs} ms`)), timeoutMs);
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => fail(new Error(`sparseland serve exited (${code ?? signal}) before printing its address`));
    function fail(err: Error) {
      clearTimeout(timer);
      child.off('exit', onExit);
      lines.close();
      err.message += `\n--- serve stderr ---\n${stderr()}`;
      reject(err);
    }
    child.once('exit', onExit);
    lines.once('line', (line) => {
      clearTimeout(timer);
      child.off('exit', onExit);
      lines.close();
      resolve(line);
    });
  });
}

/** SIGTERM (the server marks live runs interrupted and stops its engine), then SIGKILL to the whole group. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS).unref());
  if ((await Promise.race([exited, timer])) === 'timeout') {
    console.warn(`[e2e] sparseland serve (pid ${child.pid}) ignored SIGTERM for ${STOP_TIMEOUT_MS} ms; killing its process group`);
    try {
      // The child leads its own process group (detached), so this reaches the engine process too.
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
    await exited;
  }
}

export interface OwnedStudioServer extends StudioServer {
  /** The folder holding the root and the state folder: give it to another server to continue where this one was. */
  readonly base: string;
  /** SIGKILL to the server and its engine (the whole process group), as a crash or `kill -9` would; the files stay. */
  crash(): Promise<void>;
  /** Stops the server and removes its folders (unless they were lent with `reuse`). */
  close(): Promise<void>;
}

/**
 * Starts a server with a fresh temp root and state folder; the caller must `close()` it. With `reuse`, the
 * root and state folder (recent projects) of an earlier server are used again, as when the app is started
 * again on the same machine, and are left in place on close.
 */
export async function startStudioServer(label = 'e2e', reuse?: { base: string }): Promise<OwnedStudioServer> {
  const base = reuse?.base ?? realpathSync(mkdtempSync(path.join(tmpdir(), `sparseland-${label.replace(/[^A-Za-z0-9_-]/g, '_')}-`)));
  // The state folder (recent projects) lies beside the root, so the file browser does not show it.
  const tmp = path.join(base, 'root');
  const state = path.join(base, 'state');
  mkdirSync(tmp, { recursive: true });
  mkdirSync(state, { recursive: true });
  let stderr = '';
  const child = spawn(process.execPath, ['bin/sparseland.mjs', 'serve', '--port', '0', '--json', '--root', tmp, '--root', samplesRoot], {
    cwd: repoRoot,
    env: { ...process.env, SPARSELAND_STATE_DIR: state },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: process.platform !== 'win32',
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
  });
  const close = async () => {
    await stop(child);
    if (!reuse) rmSync(base, { recursive: true, force: true });
  };
  const crash = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
    await exited;
  };
  try {
    const line = await firstLine(child, START_TIMEOUT_MS, () => stderr);
    const info = JSON.parse(line) as { url: string; port: number; token: string; roots: string[] };
    expect(info.roots, 'the server confines the browser to the two roots it was given').toEqual([tmp, samplesRoot]);
    return { url: info.url, origin: `http://127.0.0.1:${info.port}`, port: info.port, token: info.token, tmp, samples: samplesRoot, roots: info.roots, stderr: () => stderr, base, crash, close };
  } catch (err) {
    await close();
    throw err;
  }
}

export const test = base.extend<{ serverLogOnFailure: void }, { serverFor: string; server: StudioServer }>({
  serverFor: ['shared', { scope: 'worker', option: true }],
  server: [
    async ({ serverFor }, use) => {
      const server = await startStudioServer(serverFor);
      try {
        await use(server);
      } finally {
        await server.close();
      }
    },
    { scope: 'worker', timeout: START_TIMEOUT_MS + STOP_TIMEOUT_MS + 10_000 },
  ],
  // When a test fails, the server's stderr usually says why (an engine crash, a host error).
  serverLogOnFailure: [
    async ({ server }, use, testInfo) => {
      await use();
      if (testInfo.status !== testInfo.expectedStatus) {
        await testInfo.attach('server-stderr.txt', { body: server.stderr().slice(-50_000) || '(nothing)', contentType: 'text/plain' });
      }
    },
    { auto: true },
  ],
});

export { expect };
