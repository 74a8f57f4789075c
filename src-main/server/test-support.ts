/**
 * Test helpers for the server: a small fake StudioHost (unit tests of the binding only; end-to-end tests
 * use the real host) and a WebSocket client that can set Origin, Host and Cookie the way a browser would.
 */
import { request, type IncomingHttpHeaders } from 'node:http';
import WebSocket from 'ws';
import { createRpcClient, decodeFrame, encodeFrame, type EventName, type EventPayload, type Handlers, type StudioClient } from '../../src-shared/contract';
import type { HostEventListener, StudioHost } from '../host/types';

export interface FakeHost extends StudioHost {
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void;
  readonly listenerCount: number;
}

export function fakeHost(overrides: Partial<Handlers> = {}): FakeHost {
  const listeners = new Set<HostEventListener>();
  const handlers: Partial<Handlers> = {
    'app.info': async () => ({ version: '0.0.0-test', onnxruntime: 'none', providers: { available: ['cpu'], used: 'cpu' }, host: 'browser' }),
    'files.list': async ({ dir }) => ({
      dir: dir ?? '/data',
      parent: null,
      entries: [
        { name: 'images', path: '/data/images', kind: 'directory' },
        { name: 'x.npy', path: '/data/x.npy', kind: 'file', size: 128 },
      ],
      roots: ['/data'],
    }),
    ...overrides,
  };
  return {
    handlers,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(event, payload) {
      for (const l of listeners) l(event, payload);
    },
    get listenerCount() {
      return listeners.size;
    },
    async dispose() {
      listeners.clear();
    },
  };
}

export interface HttpReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A raw GET: the path goes on the wire exactly as given (fetch would normalise "/../" away). */
export function httpGet(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export type WsOutcome = { ok: true; ws: WebSocket } | { ok: false; status: number };

/** Opens a WebSocket and reports either the open socket or the HTTP status the upgrade was refused with. */
export function connect(url: string, headers: { origin?: string; host?: string; cookie?: string } = {}): Promise<WsOutcome> {
  return new Promise((resolve, reject) => {
    const extra: Record<string, string> = {};
    if (headers.host) extra.Host = headers.host;
    if (headers.cookie) extra.Cookie = headers.cookie;
    const ws = new WebSocket(url, { ...(headers.origin ? { origin: headers.origin } : {}), headers: extra });
    ws.binaryType = 'nodebuffer';
    ws.once('open', () => resolve({ ok: true, ws }));
    ws.once('unexpected-response', (req, res) => {
      resolve({ ok: false, status: res.statusCode ?? 0 });
      res.resume();
      req.destroy();
    });
    ws.once('error', reject);
  });
}

/** The contract's own client over a test socket, so the tests speak exactly what the renderer will. */
export function rpcOver(ws: WebSocket): StudioClient {
  return createRpcClient({
    send: (message) => ws.send(encodeFrame(message)),
    onMessage(receive) {
      const onData = (data: Buffer) => receive(decodeFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)));
      ws.on('message', onData);
      return () => ws.off('message', onData);
    },
    onClose(closed) {
      ws.on('close', (code) => closed(`closed with code ${code}`));
    },
  });
}

/** The next decoded frame on a socket. */
export function nextMessage(ws: WebSocket, timeoutMs = 5000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no message arrived')), timeoutMs);
    ws.once('message', (data: Buffer) => {
      clearTimeout(timer);
      resolve(decodeFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)));
    });
  });
}
