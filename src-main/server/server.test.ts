import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { encodeFrame, float32Tensor, type EventPayload } from '../../src-shared/contract';
import { DEFAULT_PORT, MAX_WS_PAYLOAD, startServer, type RunningServer } from './server';
import { connect, fakeHost, httpGet, nextMessage, rpcOver, type FakeHost } from './test-support';

let dir: string;
let staticDir: string;
let host: FakeHost;
let server: RunningServer;
const sockets: WebSocket[] = [];

const own = () => `http://127.0.0.1:${server.port}`;
const wsUrl = (token?: string) => `ws://127.0.0.1:${server.port}/ws${token === undefined ? '' : `?token=${token}`}`;

async function open(headers: Parameters<typeof connect>[1] = { origin: own() }, token: string | undefined = server.token): Promise<WebSocket> {
  const r = await connect(wsUrl(token), headers);
  if (!r.ok) throw new Error(`upgrade refused with ${r.status}`);
  sockets.push(r.ws);
  return r.ws;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sparseland-server-'));
  staticDir = path.join(dir, 'renderer');
  mkdirSync(path.join(staticDir, 'assets'), { recursive: true });
  writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Sparseland Studio</title><script type="module" src="/assets/index-abc123.js"></script>');
  writeFileSync(path.join(staticDir, 'assets', 'index-abc123.js'), 'console.log("renderer")');
  writeFileSync(path.join(staticDir, 'assets', 'style.css'), 'body{}');
  writeFileSync(path.join(staticDir, '.env'), 'SECRET=dotfile');
  writeFileSync(path.join(dir, 'secret.txt'), 'TOP-SECRET');
  symlinkSync(path.join(dir, 'secret.txt'), path.join(staticDir, 'link.txt'));
  host = fakeHost({
    'data.inspect': async () => {
      throw new Error('boom');
    },
  });
  server = await startServer({ host, port: 0, staticDir });
});

afterAll(async () => {
  for (const ws of sockets) ws.terminate();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('startServer', () => {
  it('binds 127.0.0.1 by default and prints a URL carrying a fresh 24-byte token', () => {
    expect(server.address.address).toBe('127.0.0.1');
    expect(server.port).toBeGreaterThan(0);
    expect(server.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
  });

  it('falls back to a free port when the default port is taken, but not when a port was asked for', async () => {
    // Occupy 8765 ourselves unless something else already holds it: either way it is taken.
    const blocker: Server = createServer();
    const held = await new Promise<boolean>((resolve) => {
      blocker.once('error', () => resolve(false));
      blocker.listen(DEFAULT_PORT, '127.0.0.1', () => resolve(true));
    });
    try {
      const s = await startServer({ host: fakeHost(), staticDir });
      expect(s.port).not.toBe(DEFAULT_PORT);
      await s.close();
      await expect(startServer({ host: fakeHost(), staticDir, port: DEFAULT_PORT })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      if (held) await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('warns when bound beyond loopback, and accepts the token it was given', async () => {
    const warnings: string[] = [];
    const s = await startServer({ host: fakeHost(), staticDir, port: 0, bind: '0.0.0.0', token: 'given-token-0123456789', onWarning: (m) => warnings.push(m) });
    try {
      expect(warnings.join('\n')).toMatch(/token is then the only protection/);
      expect(s.url).toBe(`http://127.0.0.1:${s.port}/?token=given-token-0123456789`);
      expect((await httpGet(s.port, '/?token=given-token-0123456789')).status).toBe(200);
    } finally {
      await s.close();
    }
    const quiet: string[] = [];
    const l = await startServer({ host: fakeHost(), staticDir, port: 0, onWarning: (m) => quiet.push(m) });
    await l.close();
    expect(quiet).toEqual([]);
  });
});

describe('HTTP', () => {
  it('refuses every request without the token, with 401 and the security headers', async () => {
    for (const p of ['/', '/index.html', '/assets/index-abc123.js', '/nothing-here']) {
      const r = await httpGet(server.port, p);
      expect(r.status, p).toBe(401);
      expect(r.body).not.toContain('renderer');
      expect(r.headers['content-security-policy']).toContain("default-src 'self'");
    }
  });

  it('refuses a wrong token, and a wrong cookie', async () => {
    expect((await httpGet(server.port, '/?token=wrong')).status).toBe(401);
    expect((await httpGet(server.port, `/?token=${server.token}x`)).status).toBe(401);
    expect((await httpGet(server.port, '/', { Cookie: `sparseland-token-${server.port}=wrong` })).status).toBe(401);
    // A cookie set by a server on another port does not open this one.
    expect((await httpGet(server.port, '/', { Cookie: `sparseland-token-1=${server.token}` })).status).toBe(401);
  });

  it('serves index.html with the token, never cached, with the strict CSP, and sets an HttpOnly SameSite=Strict cookie', async () => {
    const r = await httpGet(server.port, `/?token=${server.token}`);
    expect(r.status).toBe(200);
    expect(r.body).toContain('<title>Sparseland Studio</title>');
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['cache-control']).toBe('no-store');
    const csp = r.headers['content-security-policy'];
    for (const d of ["default-src 'self'", "connect-src 'self' ws: wss:", "img-src 'self' data: blob:", "style-src 'self' 'unsafe-inline'", "object-src 'none'", "frame-ancestors 'none'"]) expect(csp).toContain(d);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    const cookie = String(r.headers['set-cookie']);
    expect(cookie).toContain(`sparseland-token-${server.port}=${server.token}`);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
  });

  it('serves assets on the cookie alone, with their content types', async () => {
    const cookie = { Cookie: `other=1; sparseland-token-${server.port}=${server.token}` };
    const js = await httpGet(server.port, '/assets/index-abc123.js', cookie);
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.body).toBe('console.log("renderer")');
    expect(js.headers['cache-control']).toContain('immutable');
    const css = await httpGet(server.port, '/assets/style.css', cookie);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    const head = await httpGet(server.port, '/index.html', cookie, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('makes path traversal impossible: encoded, dotted and through a symlink', async () => {
    const t = `token=${server.token}`;
    for (const p of ['/../secret.txt', '/..%2fsecret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/assets/%2e%2e%2f%2e%2e%2fsecret.txt', '/..%5csecret.txt', '/../package.json', '/link.txt', '/.env', '/%00index.html', `/${encodeURIComponent(path.join(dir, 'secret.txt'))}`]) {
      const r = await httpGet(server.port, `${p}?${t}`);
      expect([403, 404], p).toContain(r.status);
      expect(r.body, p).not.toContain('TOP-SECRET');
      expect(r.body, p).not.toContain('dotfile');
      expect(r.body, p).not.toContain('"name"');
    }
  });

  it('never lists a directory', async () => {
    const r = await httpGet(server.port, `/assets/?token=${server.token}`);
    expect(r.status).toBe(404);
    expect(r.body).not.toContain('index-abc123.js');
  });

  it('refuses a foreign Host header (DNS rebinding) and methods other than GET/HEAD', async () => {
    expect((await httpGet(server.port, `/?token=${server.token}`, { Host: `evil.example:${server.port}` })).status).toBe(403);
    expect((await httpGet(server.port, `/?token=${server.token}`, { Host: `localhost:${server.port}` })).status).toBe(200);
    expect((await httpGet(server.port, `/?token=${server.token}`, {}, 'POST')).status).toBe(405);
  });

  it('says how to build the renderer when it is not built', async () => {
    const s = await startServer({ host: fakeHost(), staticDir: path.join(dir, 'missing'), port: 0 });
    try {
      expect((await httpGet(s.port, '/')).status).toBe(401);
      const r = await httpGet(s.port, `/?token=${s.token}`);
      expect(r.status).toBe(503);
      expect(r.body).toMatch(/not built/);
      expect(r.body).toContain('npm run build');
    } finally {
      await s.close();
    }
  });
});

describe('WebSocket', () => {
  it('refuses the upgrade without a token, or with a wrong one (401)', async () => {
    expect(await connect(wsUrl(), { origin: own() })).toEqual({ ok: false, status: 401 });
    expect(await connect(wsUrl('wrong'), { origin: own() })).toEqual({ ok: false, status: 401 });
  });

  it('refuses a foreign or missing Origin, and a foreign Host, even with the right token (403)', async () => {
    expect(await connect(wsUrl(server.token), { origin: 'http://evil.example' })).toEqual({ ok: false, status: 403 });
    expect(await connect(wsUrl(server.token), { origin: `http://127.0.0.1:${server.port + 1}` })).toEqual({ ok: false, status: 403 });
    expect(await connect(wsUrl(server.token), {})).toEqual({ ok: false, status: 403 });
    expect(await connect(wsUrl(server.token), { origin: `http://evil.example:${server.port}`, host: `evil.example:${server.port}` })).toEqual({ ok: false, status: 403 });
  });

  it('refuses upgrades on any path but /ws', async () => {
    expect(await connect(`ws://127.0.0.1:${server.port}/other?token=${server.token}`, { origin: own() })).toEqual({ ok: false, status: 404 });
  });

  it('accepts the token from the cookie and the localhost origin', async () => {
    const ws = await open({ origin: `http://localhost:${server.port}`, cookie: `sparseland-token-${server.port}=${server.token}` }, undefined);
    const client = rpcOver(ws);
    await expect(client['app.info']({})).resolves.toMatchObject({ host: 'browser' });
  });

  it('answers requests and broadcasts host events to every open socket', async () => {
    const a = await open();
    const b = await open();
    const client = rpcOver(a);
    await expect(client['app.info']({})).resolves.toMatchObject({ version: '0.0.0-test', providers: { used: 'cpu' } });
    const listing = await client['files.list']({ dir: '/data' });
    expect(listing.entries.map((e) => e.name)).toEqual(['images', 'x.npy']);

    const payload: EventPayload<'engine.restarted'> = { reason: 'test', at: '2026-01-01T00:00:00.000Z' };
    const arrivals = Promise.all([nextMessage(a), nextMessage(b)]);
    host.emit('engine.restarted', payload);
    expect(await arrivals).toEqual([
      { kind: 'event', event: 'engine.restarted', payload },
      { kind: 'event', event: 'engine.restarted', payload },
    ]);
  });

  it('carries typed arrays in events as binary attachments', async () => {
    const ws = await open();
    const client = rpcOver(ws);
    const got = new Promise<EventPayload<'run.preview'>>((resolve) => client.on('run.preview', resolve));
    const images = float32Tensor([2, 2, 2], Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
    host.emit('run.preview', { runId: 'r1', atoms: [{ layer: 1, images }] });
    const p = await got;
    expect(p.atoms[0]!.images.data).toBeInstanceOf(Float32Array);
    expect(Array.from(p.atoms[0]!.images.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('survives invalid frames and answers those that carry an id', async () => {
    const ws = await open();
    ws.send(Buffer.from([1, 2])); // shorter than a frame header
    ws.send(Buffer.from([0xff, 0xff, 0xff, 0x7f, 1, 2, 3, 4])); // header longer than the frame
    ws.send('{"kind":"request","id":1,"op":"app.info","params":{}}'); // text frames are not the contract
    ws.send(encodeFrame({ hello: 'world' })); // valid frame, not a message
    ws.send(encodeFrame({ kind: 'event', event: 'run.progress', id: 3, payload: {} })); // clients do not send events
    const bytes = new TextEncoder().encode('{"kind":"request","id":41,"op":"app.info","params":{}');
    const broken = new Uint8Array(4 + bytes.length);
    new DataView(broken.buffer).setUint32(0, bytes.length, true);
    broken.set(bytes, 4);
    ws.send(broken); // truncated JSON, id unreadable: dropped

    // A frame whose attachment lies: the id is still readable, so the caller gets an answer.
    const lying = encodeFrame({ kind: 'request', id: 42, op: 'app.info', params: { x: new Float32Array(4) } });
    const reply42 = nextMessage(ws);
    ws.send(lying.subarray(0, lying.byteLength - 8));
    expect(await reply42).toMatchObject({ kind: 'response', id: 42, ok: false, error: { code: 'invalid-request' } });

    const reply43 = nextMessage(ws);
    ws.send(encodeFrame({ kind: 'request', id: 43, op: 'app.info' })); // no params: the message itself is malformed
    expect(await reply43).toMatchObject({ kind: 'response', id: 43, ok: false, error: { code: 'invalid-request' } });

    expect(ws.readyState).toBe(ws.OPEN);
    await expect(rpcOver(ws)['app.info']({})).resolves.toMatchObject({ host: 'browser' });
  });

  it('answers invalid params, unknown operations and failing handlers with error responses', async () => {
    const ws = await open();
    const send = async (message: unknown) => {
      const reply = nextMessage(ws);
      ws.send(encodeFrame(message));
      return reply;
    };
    expect(await send({ kind: 'request', id: 1, op: 'files.list', params: { dir: 42 } })).toMatchObject({ id: 1, ok: false, error: { code: 'invalid-request' } });
    expect(await send({ kind: 'request', id: 2, op: 'app.info', params: { extra: true } })).toMatchObject({ id: 2, ok: false, error: { code: 'invalid-request' } });
    expect(await send({ kind: 'request', id: 3, op: 'system.exec', params: {} })).toMatchObject({ id: 3, ok: false, error: { code: 'invalid-request' } });
    // Not offered by this host (the browser has no native dialogs).
    expect(await send({ kind: 'request', id: 4, op: 'dialogs.openFile', params: { title: 't', filters: [] } })).toMatchObject({ id: 4, ok: false, error: { code: 'unavailable' } });
    expect(await send({ kind: 'request', id: 5, op: 'data.inspect', params: { path: '/x' } })).toMatchObject({ id: 5, ok: false, error: { code: 'internal', message: 'boom' } });
    expect(ws.readyState).toBe(ws.OPEN);
  });

  it('closes an over-sized message with 1009 and keeps serving others', async () => {
    // Uploads need room (datasets.upload of a few hundred MiB); the limit itself is checked on a small server.
    expect(MAX_WS_PAYLOAD).toBeGreaterThanOrEqual(512 * 1024 * 1024);
    const limit = 1024 * 1024;
    const s = await startServer({ host: fakeHost(), staticDir, port: 0, maxPayload: limit });
    try {
      const r = await connect(`ws://127.0.0.1:${s.port}/ws?token=${s.token}`, { origin: `http://127.0.0.1:${s.port}` });
      if (!r.ok) throw new Error(`refused ${r.status}`);
      const closed = new Promise<number>((resolve) => r.ws.once('close', (code) => resolve(code)));
      r.ws.on('error', () => {});
      r.ws.send(new Uint8Array(limit + 1));
      expect(await closed).toBe(1009);
      const again = await connect(`ws://127.0.0.1:${s.port}/ws?token=${s.token}`, { origin: `http://127.0.0.1:${s.port}` });
      expect(again.ok).toBe(true);
      if (again.ok) again.ws.terminate();
    } finally {
      await s.close();
    }
  });

  it('close() ends every socket with 1001 and stops listening to the host', async () => {
    const h = fakeHost();
    const s = await startServer({ host: h, staticDir, port: 0 });
    const r = await connect(`ws://127.0.0.1:${s.port}/ws?token=${s.token}`, { origin: `http://127.0.0.1:${s.port}` });
    if (!r.ok) throw new Error(`refused ${r.status}`);
    const closed = new Promise<number>((resolve) => r.ws.once('close', (code) => resolve(code)));
    expect(h.listenerCount).toBe(1);
    await s.close();
    expect(await closed).toBe(1001);
    expect(h.listenerCount).toBe(0);
    await expect(httpGet(s.port, '/')).rejects.toThrow();
  });
});
