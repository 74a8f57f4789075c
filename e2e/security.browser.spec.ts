/**
 * The headless server's doors, against the real server: without the token the browser gets no workbench
 * (HTTP 401); a page from another origin cannot open the WebSocket even when it knows the token or the
 * browser holds the token cookie (Origin check, 403); a foreign Host header is refused (DNS rebinding); and
 * through the contract itself, paths outside the allowed roots are refused with `forbidden`.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { StudioError } from '../src-shared/contract';
import { httpGet, openSocket, rpcOver } from './support/rpc';
import { expect, test } from './support/server';
import { openWorkbench, watchPageErrors } from './support/workbench';

test.use({ serverFor: 'security' });

/** A second local web server: another origin (another port) serving a page that tries the studio's WebSocket. */
let foreign: Server;
let foreignOrigin: string;

test.beforeAll(async () => {
  foreign = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>Another site</title><h1>Another site</h1>');
  });
  await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
  foreignOrigin = `http://127.0.0.1:${(foreign.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  foreign.closeAllConnections();
  await new Promise<void>((resolve) => foreign.close(() => resolve()));
});

/** In the page: tries a WebSocket and reports whether it opened, or how it closed. */
function tryWebSocket(url: string): Promise<{ opened: boolean; code: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => resolve({ opened: false, code: -1 }), 10_000);
    ws.onopen = () => {
      clearTimeout(timer);
      ws.close();
      resolve({ opened: true, code: 0 });
    };
    ws.onclose = (ev) => {
      clearTimeout(timer);
      resolve({ opened: false, code: ev.code });
    };
  });
}

test('without the token the browser gets 401 and no workbench', async ({ page, server }) => {
  for (const url of [`${server.origin}/`, `${server.origin}/?token=wrong-token`, `${server.origin}/index.html`]) {
    const response = await page.goto(url);
    expect(response?.status(), url).toBe(401);
    await expect(page.locator('body')).toContainText('needs its access token');
    await expect(page.getByTestId('run-form')).toHaveCount(0);
  }
  // The same server with the token serves the workbench (and the page then works on the cookie).
  await openWorkbench(page, server.url);
});

test('a page from another origin cannot open the WebSocket, even with the token or the cookie', async ({ page, server }) => {
  const errors = watchPageErrors(page);
  // Load the studio first, so this browser holds the token cookie (cookies ignore ports: the other site shares it).
  await openWorkbench(page, server.url);
  const cookies = await page.context().cookies(server.origin);
  expect(cookies.map((c) => c.name)).toContain(`sparseland-token-${server.port}`);
  // The studio's own page may connect.
  expect(await page.evaluate(tryWebSocket, `ws://127.0.0.1:${server.port}/ws`)).toEqual({ opened: true, code: 0 });
  expect(errors).toEqual([]);

  const upgrades: number[] = [];
  page.on('websocket', () => upgrades.push(Date.now()));
  await page.goto(`${foreignOrigin}/`);
  await expect(page.locator('h1')).toHaveText('Another site');
  // 1006: the upgrade was refused (the browser hides the 403 from the page).
  expect(await page.evaluate(tryWebSocket, `ws://127.0.0.1:${server.port}/ws?token=${server.token}`)).toEqual({ opened: false, code: 1006 });
  expect(await page.evaluate(tryWebSocket, `ws://127.0.0.1:${server.port}/ws`)).toEqual({ opened: false, code: 1006 });
  expect(upgrades.length, 'the browser did try').toBe(2);
  // Nor can it read the workbench: a cross-origin fetch is opaque at best.
  const fetched = await page.evaluate(async (url) => {
    try {
      const r = await fetch(url, { credentials: 'include' });
      return `status ${r.status}`;
    } catch (e) {
      return `blocked: ${(e as Error).name}`;
    }
  }, `http://127.0.0.1:${server.port}/?token=${server.token}`);
  expect(fetched).toMatch(/^blocked/);
});

test('the WebSocket checks Origin, Host and token (Node client, raw upgrade)', async ({ server }) => {
  const ws = `ws://127.0.0.1:${server.port}/ws?token=${server.token}`;
  expect(await openSocket(ws, { origin: 'http://evil.example' })).toEqual({ ok: false, status: 403 });
  expect(await openSocket(ws, { origin: foreignOrigin })).toEqual({ ok: false, status: 403 });
  expect(await openSocket(ws, {})).toEqual({ ok: false, status: 403 });
  expect(await openSocket(`ws://127.0.0.1:${server.port}/ws`, { origin: server.origin })).toEqual({ ok: false, status: 401 });
  expect(await openSocket(`ws://127.0.0.1:${server.port}/ws?token=nope`, { origin: server.origin })).toEqual({ ok: false, status: 401 });
  // DNS rebinding: the attacker's name in Host (and Origin) is refused.
  expect(await openSocket(ws, { origin: 'http://rebound.example:' + server.port, host: `rebound.example:${server.port}` })).toEqual({ ok: false, status: 403 });
  expect((await httpGet(server.port, `/?token=${server.token}`, { Host: `rebound.example:${server.port}` })).status).toBe(403);

  const good = await openSocket(ws, { origin: server.origin });
  expect(good.ok).toBe(true);
  if (good.ok) good.ws.terminate();
});

test('paths outside the roots are refused through the contract with `forbidden`', async ({ server }) => {
  const r = await openSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`, { origin: server.origin });
  if (!r.ok) throw new Error(`upgrade refused with ${r.status}`);
  const client = rpcOver(r.ws);
  try {
    const refused = async (what: string, call: Promise<unknown>) => {
      const err = await call.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, `${what} is refused`).toBeInstanceOf(StudioError);
      expect((err as StudioError).code, what).toBe('forbidden');
    };

    // Inside: fine.
    const listing = await client['files.list']({ dir: server.samples });
    expect(listing.entries.map((e) => e.name)).toContain('camera.png');
    expect(listing.roots).toEqual([server.tmp, server.samples]);
    expect(listing.parent, 'no way up out of a root').toBeNull();

    await refused("files.list of '/'", client['files.list']({ dir: '/' }));
    await refused('files.list of /etc', client['files.list']({ dir: '/etc' }));
    await refused('files.list climbing out with ..', client['files.list']({ dir: `${server.tmp}/../..` }));
    await refused('data.inspect of /etc/passwd', client['data.inspect']({ path: '/etc/passwd' }));
    const outside = path.join(path.dirname(server.tmp), 'outside-project');
    await refused('projects.create outside the roots', client['projects.create']({ dir: outside, name: 'nope' }));
    expect(existsSync(outside), 'nothing was created outside the roots').toBe(false);
    await refused('projects.open of /', client['projects.open']({ dir: '/' }));
  } finally {
    r.ws.terminate();
  }
});
