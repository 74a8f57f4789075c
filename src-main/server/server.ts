/**
 * Headless mode: the built renderer over HTTP and the contract over a WebSocket, both behind a per-launch
 * token (like Jupyter's). Anyone holding the token can read and write under the host's allowed roots, so
 * every door checks it, and the WebSocket also checks Origin and Host, so that neither another site open
 * in the same browser nor a DNS-rebound name can drive the studio.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { StudioHost } from '../host/types';
import { MAX_FRAME_BYTES } from '../../src-shared/contract';
import {
  SECURITY_HEADERS,
  allowedHosts,
  allowedOrigins,
  generateToken,
  hostAllowed,
  isLoopbackAddress,
  isWildcardAddress,
  originAllowed,
  presentedToken,
  tokenCookie,
  urlHostname,
} from './security';
import { sendText, serveStatic } from './static-files';
import { createWsBinding } from './ws-binding';

export const DEFAULT_PORT = 8765;
export const DEFAULT_BIND = '127.0.0.1';
/**
 * Tensors and uploaded files travel as raw attachments. The codec's own frame limit (512 MiB): a dropped data
 * file of a few hundred MiB goes through (datasets.upload), and one message still cannot make the server
 * buffer more; ws closes the socket (1009) on a bigger frame as soon as its header says so.
 */
export const MAX_WS_PAYLOAD = MAX_FRAME_BYTES;
export const WS_PATH = '/ws';

export interface ServerOptions {
  /** The host whose handlers answer requests; the caller creates it (with its allowedRoots) and disposes it. */
  readonly host: StudioHost;
  /** 0 picks any free port. Left out: 8765, or a free port when 8765 is taken. */
  readonly port?: number;
  /** Interface to listen on; loopback unless the user asks otherwise. */
  readonly bind?: string;
  /** The built renderer (out/renderer). */
  readonly staticDir: string;
  /** Defaults to a fresh random token. */
  readonly token?: string;
  /** Where warnings go (binding beyond loopback); stderr by default, so stdout stays parseable. */
  readonly onWarning?: (message: string) => void;
  /** Largest incoming WebSocket message; MAX_WS_PAYLOAD unless a test needs a small one. */
  readonly maxPayload?: number;
}

export interface RunningServer {
  /** The address to open, token included: http://127.0.0.1:PORT/?token=TOKEN */
  readonly url: string;
  readonly port: number;
  readonly token: string;
  /** What the socket is actually bound to. */
  readonly address: AddressInfo;
  /** Closes every WebSocket and the listener. Does not dispose the host. */
  close(): Promise<void>;
}

const STATUS_TEXT: Readonly<Record<number, string>> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' };

/** Refuses an upgrade with a plain HTTP response, since the socket is not a WebSocket yet. */
function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  const body = `${reason}\n`;
  const head = [
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(SECURITY_HEADERS).map(([k, v]) => `${k}: ${v}`),
  ].join('\r\n');
  if (socket.writable) socket.end(`${head}\r\n\r\n${body}`);
  socket.destroy();
}

function requestUrl(req: IncomingMessage): URL | undefined {
  try {
    // A fixed base: the Host header is attacker-controlled and is checked separately.
    return new URL(req.url ?? '/', 'http://localhost');
  } catch {
    return undefined;
  }
}

function listen(server: Server, port: number, bind: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, bind);
  });
}

const UNAUTHORIZED = [
  'Sparseland Studio: this server needs its access token.',
  'Open the full address that `sparseland serve` printed when it started (it ends in ?token=…).',
].join('\n');

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { host, staticDir } = options;
  const bind = options.bind ?? DEFAULT_BIND;
  const token = options.token ?? generateToken();
  if (!token) throw new Error('the access token must not be empty');
  const warn = options.onWarning ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));

  // Filled once listening: the allow-lists name the port.
  let port = 0;
  let hosts = new Set<string>();
  let origins = new Set<string>();

  const binding = createWsBinding(host, { maxPayload: options.maxPayload ?? MAX_WS_PAYLOAD });

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    if (!hostAllowed(req.headers.host, hosts)) return sendText(res, 403, 'Sparseland Studio: unknown Host header. Use the address the server printed.');
    const url = requestUrl(req);
    if (!url) return sendText(res, 400, 'Bad request.');
    const auth = presentedToken(req, url, port, token);
    if (!auth) return sendText(res, 401, UNAUTHORIZED);
    // The first load carries the token in the URL; the page's assets and its WebSocket then ride on the cookie.
    if (auth === 'query') res.setHeader('Set-Cookie', tokenCookie(port, token));
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'Method not allowed.', { Allow: 'GET, HEAD' });
    if (url.pathname === WS_PATH) return sendText(res, 426, 'This address takes WebSocket connections only.', { Upgrade: 'websocket' });
    await serveStatic(req, res, staticDir, url.pathname);
  }

  function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Errors on a socket that is being refused are expected (the peer hangs up); they must not surface as uncaught.
    socket.on('error', () => socket.destroy());
    const url = requestUrl(req);
    if (!url || url.pathname !== WS_PATH) return refuseUpgrade(socket, 404, 'Not found.');
    if (!hostAllowed(req.headers.host, hosts)) return refuseUpgrade(socket, 403, 'Unknown Host header.');
    if (!presentedToken(req, url, port, token)) return refuseUpgrade(socket, 401, 'Missing or wrong access token.');
    if (!originAllowed(req.headers.origin, origins)) return refuseUpgrade(socket, 403, 'Cross-origin WebSocket refused.');
    binding.handleUpgrade(req, socket, head);
  }

  const server = createServer((req, res) => {
    onRequest(req, res).catch(() => sendText(res, 500, 'Internal error.'));
  });
  server.on('upgrade', onUpgrade);
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    socket.destroy();
  });

  try {
    try {
      await listen(server, options.port ?? DEFAULT_PORT, bind);
    } catch (err) {
      // Only the default port falls back: a port the user named is a promise to them, and a different one would surprise.
      if (options.port !== undefined || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      await listen(server, 0, bind);
    }
  } catch (err) {
    await binding.close();
    throw err;
  }

  const address = server.address() as AddressInfo;
  port = address.port;
  hosts = allowedHosts(bind, port);
  origins = allowedOrigins(hosts);

  if (!isLoopbackAddress(bind)) {
    warn(
      `listening on ${isWildcardAddress(bind) ? 'every network interface' : bind}, reachable from other machines: ` +
        'the token is then the only protection, and anyone who sees it can read and write files under the allowed roots. ' +
        'Traffic is plain HTTP; prefer the default 127.0.0.1 with an SSH tunnel.',
    );
  }

  const urlHost = isWildcardAddress(bind) ? '127.0.0.1' : urlHostname(bind);
  const url = `http://${urlHost}:${port}/?token=${encodeURIComponent(token)}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    token,
    address,
    close() {
      closing ??= (async () => {
        await binding.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          // Keep-alive connections would otherwise hold close() open until they time out.
          server.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}
