/**
 * End to end: the real `sparseland serve` with the real host (and its engine process), driven the way a
 * script would: parse the JSON line, then talk HTTP and WebSocket to it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { StudioError } from '../../src-shared/contract';
import { connect, httpGet, rpcOver } from './test-support';

const root = path.resolve(import.meta.dirname, '../..');
const hostExists = existsSync(path.join(root, 'src-main/host/studio-host.ts'));

let child: ChildProcess | undefined;
let stateDir: string | undefined;
let stderr = '';

afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

function firstLine(proc: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no output within ${timeoutMs} ms`)), timeoutMs);
    createInterface({ input: proc.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    proc.once('exit', (code) => reject(new Error(`serve exited with ${code} before printing`)));
  });
}

describe('sparseland serve (real CLI, real host)', () => {
  it.skipIf(!hostExists)('prints a tokened URL as JSON, refuses GET / without the token, confines files.list, and stops on SIGTERM', async () => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'sparseland-serve-'));
    child = spawn(process.execPath, ['bin/sparseland.mjs', 'serve', '--port', '0', '--json'], {
      cwd: root,
      env: { ...process.env, SPARSELAND_STATE_DIR: stateDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await exercise(child);
    } catch (err) {
      // The server's own stderr is what explains a failure here (a crash in the host, an engine that would not start).
      if (err instanceof Error) err.message += `\n--- serve stderr ---\n${stderr}`;
      throw err;
    }
  });
});

async function exercise(child: ChildProcess): Promise<void> {
  const info = JSON.parse(await firstLine(child, 30_000)) as { url: string; port: number; token: string; roots: string[] };
  expect(info.url).toBe(`http://127.0.0.1:${info.port}/?token=${info.token}`);
  expect(info.token.length).toBeGreaterThanOrEqual(32);
  expect(info.roots).toContain(root);

  expect((await httpGet(info.port, '/')).status).toBe(401);
  expect((await httpGet(info.port, '/?token=nope')).status).toBe(401);
  // 200 when the renderer is built, 503 (with the build command) when it is not; never 401 with the token.
  expect([200, 503]).toContain((await httpGet(info.port, `/?token=${info.token}`)).status);

  expect(await connect(`ws://127.0.0.1:${info.port}/ws?token=${info.token}`, { origin: 'http://evil.example' })).toEqual({ ok: false, status: 403 });
  const r = await connect(`ws://127.0.0.1:${info.port}/ws?token=${info.token}`, { origin: `http://127.0.0.1:${info.port}` });
  if (!r.ok) throw new Error(`upgrade refused with ${r.status}`);
  const client = rpcOver(r.ws);
  const listing = await client['files.list']({ dir: root });
  expect(listing.entries.map((e) => e.name)).toContain('package.json');
  // Outside every allowed root: the host refuses, the server passes the refusal on.
  const outside = await client['files.list']({ dir: '/' }).catch((e: unknown) => e);
  expect(outside).toBeInstanceOf(StudioError);
  expect((outside as StudioError).code).toBe('forbidden');
  // Last, as it is the one that starts the engine process.
  await expect(client['app.info']({})).resolves.toMatchObject({ host: 'browser' });
  r.ws.terminate();

  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
}
