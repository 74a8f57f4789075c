/**
 * A Node-side client of the server's WebSocket that can set Origin, Host and Cookie the way a browser (or an
 * attacker's page) would, and speaks the contract with the app's own codec and RPC client from src-shared.
 */
import { request } from 'node:http';
import WebSocket from 'ws';
import { createRpcClient, decodeFrame, encodeFrame, type StudioClient } from '../../src-shared/contract';

export type UpgradeOutcome = { ok: true; ws: WebSocket } | { ok: false; status: number };

/** Opens a WebSocket; resolves with the open socket, or with the HTTP status the upgrade was refused with. */
export function openSocket(url: string, headers: { origin?: string; host?: string; cookie?: string } = {}): Promise<UpgradeOutcome> {
  return new Promise((resolve, reject) => {
    const extra: Record<string, string> = {};
    if (headers.host) extra['Host'] = headers.host;
    if (headers.cookie) extra['Cookie'] = headers.cookie;
    const ws = new WebSocket(url, { ...(headers.origin ? { origin: headers.origin } : {}), headers: extra, handshakeTimeout: 10_000 });
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

/** The contract's client over an open socket: exactly what the renderer speaks. */
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

/** A raw HTTP GET (the path and headers go on the wire exactly as given). */
export function httpGet(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
