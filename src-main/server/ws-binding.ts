/**
 * The contract over WebSocket: binary frames (codec.ts) carrying requests in, responses and host events
 * out. Authentication happens before a socket gets here (server.ts); this module trusts nothing inside
 * the frames and never lets one bring the process down.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import { decodeFrame, dispatch, encodeFrame, toErrorShape, type EventName, type ResponseMessage } from '../../src-shared/contract';
import type { StudioHost } from '../host/types';

export interface WsBindingOptions {
  /** Largest incoming message; ws closes the socket (1009) on anything bigger before buffering it all. */
  readonly maxPayload: number;
  /** How often dead peers are looked for (ms). */
  readonly heartbeatMs?: number;
}

export interface WsBinding {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  readonly clientCount: number;
  /** Closes every socket (1001) and stops listening to the host. */
  close(): Promise<void>;
}

/**
 * Previews carry whole atom images and are superseded by the next one, so a client that cannot keep up
 * loses previews rather than making the server buffer them without bound. Every other event is small
 * and its loss would leave the client's state wrong, so those always go out.
 */
const DROPPABLE_EVENTS: ReadonlySet<EventName> = new Set(['run.preview']);
const SLOW_CLIENT_BYTES = 16 * 1024 * 1024;

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** The id of a request whose frame or message was malformed, when it can still be read, so the caller's promise is not left hanging. */
function salvageId(bytes: Uint8Array, decoded?: unknown): number | undefined {
  let message = decoded;
  if (message === undefined) {
    try {
      if (bytes.byteLength < 4) return undefined;
      const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
      if (4 + headerLength > bytes.byteLength) return undefined;
      message = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + headerLength)));
    } catch {
      return undefined;
    }
  }
  if (!message || typeof message !== 'object') return undefined;
  const m = message as { kind?: unknown; id?: unknown };
  // Responses and events from a client are not questions; answering them would invent a conversation.
  if (m.kind === 'response' || m.kind === 'event') return undefined;
  return typeof m.id === 'number' && Number.isSafeInteger(m.id) && m.id >= 0 ? m.id : undefined;
}

function invalidRequest(id: number, message: string): ResponseMessage {
  return { kind: 'response', id, ok: false, error: { code: 'invalid-request', message } };
}

export function createWsBinding(host: StudioHost, options: WsBindingOptions): WsBinding {
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload, perMessageDeflate: false });
  const alive = new WeakMap<WebSocket, boolean>();

  function send(ws: WebSocket, frame: Uint8Array): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.send(frame, { binary: true }, (err) => {
      if (err) ws.terminate();
    });
  }

  function sendResponse(ws: WebSocket, response: ResponseMessage): void {
    let frame: Uint8Array;
    try {
      frame = encodeFrame(response);
    } catch (err) {
      // A result JSON cannot carry (a BigInt, a cycle) is the host's bug; the caller still gets an answer.
      frame = encodeFrame({ kind: 'response', id: response.id, ok: false, error: { ...toErrorShape(err), code: 'internal' } } satisfies ResponseMessage);
    }
    send(ws, frame);
  }

  async function onMessage(ws: WebSocket, data: RawData, isBinary: boolean): Promise<void> {
    if (!isBinary) return; // The contract travels in binary frames only; text is noise.
    const bytes = toBytes(data);
    let message: unknown;
    try {
      message = decodeFrame(bytes);
    } catch (err) {
      const id = salvageId(bytes);
      if (id !== undefined) sendResponse(ws, invalidRequest(id, `the request frame could not be decoded: ${err instanceof Error ? err.message : String(err)}`));
      return;
    }
    const response = await dispatch(host.handlers, message);
    if (response) return sendResponse(ws, response);
    const id = salvageId(bytes, message);
    if (id !== undefined) sendResponse(ws, invalidRequest(id, 'not a request: expected {kind: "request", id, op, params}'));
  }

  wss.on('connection', (ws) => {
    alive.set(ws, true);
    ws.on('pong', () => alive.set(ws, true));
    // Without a listener, a protocol error on one socket (oversized frame, bad opcode) would be an uncaught 'error' event.
    ws.on('error', () => ws.terminate());
    ws.on('message', (data, isBinary) => {
      onMessage(ws, data, isBinary).catch(() => {
        // dispatch() never throws; anything else here is a bug in this file, not a reason to drop the process.
      });
    });
  });

  const unsubscribe = host.subscribe((event, payload) => {
    if (wss.clients.size === 0) return;
    let frame: Uint8Array;
    try {
      frame = encodeFrame({ kind: 'event', event, payload });
    } catch {
      return;
    }
    for (const ws of wss.clients) {
      if (DROPPABLE_EVENTS.has(event) && ws.bufferedAmount > SLOW_CLIENT_BYTES) continue;
      send(ws, frame);
    }
  });

  // Browsers that sleep or lose the network leave half-open sockets; pings find them so they stop receiving broadcasts.
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.get(ws)) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, options.heartbeatMs ?? 30_000);
  heartbeat.unref();

  let closing: Promise<void> | undefined;
  return {
    handleUpgrade(req, socket, head) {
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    },
    get clientCount() {
      return wss.clients.size;
    },
    close() {
      closing ??= (async () => {
        unsubscribe();
        clearInterval(heartbeat);
        const closed = [...wss.clients].map(
          (ws) =>
            new Promise<void>((resolve) => {
              if (ws.readyState === WebSocket.CLOSED) return resolve();
              ws.once('close', () => resolve());
              ws.close(1001, 'the server is shutting down');
              // A peer that never answers the close handshake must not hold the shutdown up.
              setTimeout(() => {
                ws.terminate();
                resolve();
              }, 1000).unref();
            }),
        );
        await Promise.all(closed);
        await new Promise<void>((resolve) => wss.close(() => resolve()));
      })();
      return closing;
    },
  };
}
