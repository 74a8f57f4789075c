/**
 * Which binding of the contract this window talks through. In the desktop app the preload exposes a
 * StudioClient as `window.sparseland`; in a plain browser (`sparseland serve`) the page opens a
 * WebSocket to the server it came from, authorised by the token in the URL the server printed.
 */
import { createRpcClient, decodeFrame, encodeFrame, type MessagePortLike, type StudioClient } from '../../src-shared/contract';
import { socketUrl, takeToken } from './lib/token';

export type ConnectionProblem = 'no-token' | 'refused' | 'timeout' | 'closed';

/** Why the window cannot talk to the engine host, in words for a full-page message. */
export class ConnectionError extends Error {
  constructor(
    readonly problem: ConnectionProblem,
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'ConnectionError';
  }
}

export interface ConnectOptions {
  /** Called once if an open connection closes later (server stopped, network lost). */
  onClose?: (error: ConnectionError) => void;
  /** How long to wait for the socket to open. */
  timeoutMs?: number;
}

const TOKEN_HINT =
  'Open the exact address that `sparseland serve` printed in its terminal (it ends in ?token=…). If the server was restarted, its token changed: use the new address.';

function browserSession(): Storage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    return undefined;
  }
}

export async function connect(options: ConnectOptions = {}): Promise<StudioClient> {
  if (window.sparseland) return window.sparseland;
  const lookup = takeToken(window.location.href, browserSession());
  if (lookup.cleanUrl !== window.location.href) window.history.replaceState(window.history.state, '', lookup.cleanUrl);
  const url = socketUrl(window.location, lookup.token);
  const socket = await openSocket(url, lookup.token !== null, options.timeoutMs ?? 10_000);
  return createRpcClient(socketPort(socket, options.onClose));
}

function openSocket(url: string, hasToken: boolean, timeoutMs: number): Promise<WebSocket> {
  const shownUrl = url.replace(/\?token=.*$/, '');
  return new Promise((resolve, reject) => {
    let socket: WebSocket;
    try {
      socket = new WebSocket(url);
    } catch (err) {
      reject(new ConnectionError('refused', `Could not open a connection to ${shownUrl}: ${(err as Error).message}`, TOKEN_HINT));
      return;
    }
    socket.binaryType = 'arraybuffer';
    const timer = setTimeout(() => {
      socket.close();
      reject(new ConnectionError('timeout', `The engine host at ${shownUrl} did not answer within ${Math.round(timeoutMs / 1000)} s.`, 'Check that `sparseland serve` is still running, then reload this page.'));
    }, timeoutMs);
    socket.addEventListener('open', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    // Browsers give an error event no detail; the close event that always follows says what happened.
    socket.addEventListener('error', () => {});
    // A refused upgrade (wrong or missing token, server gone) shows up as a close before open.
    socket.addEventListener('close', (ev) => {
      clearTimeout(timer);
      if (!hasToken) reject(new ConnectionError('no-token', 'This page has no access token, so the engine host refused the connection.', TOKEN_HINT));
      else reject(new ConnectionError('refused', `The engine host at ${shownUrl} refused the connection${ev.reason ? `: ${ev.reason}` : ''}. The access token may be wrong or expired.`, TOKEN_HINT));
    });
  });
}

function socketPort(socket: WebSocket, onClose: ConnectOptions['onClose']): MessagePortLike {
  const closeHandlers: ((reason: string) => void)[] = [];
  socket.addEventListener('close', (ev) => {
    const reason = ev.reason || (ev.wasClean ? `closed (code ${ev.code})` : `connection lost (code ${ev.code})`);
    for (const h of closeHandlers) h(reason);
    onClose?.(new ConnectionError('closed', `The connection to the engine host closed: ${reason}.`, 'Check that `sparseland serve` is still running, then reload this page. Runs that were in progress are kept in the project.'));
  });
  return {
    send(message) {
      if (socket.readyState !== WebSocket.OPEN) throw new Error('the connection to the engine host is closed');
      // encodeFrame allocates a fresh ArrayBuffer-backed array, never a shared one.
      socket.send(encodeFrame(message) as Uint8Array<ArrayBuffer>);
    },
    onMessage(receive) {
      const listener = (ev: MessageEvent) => {
        let message: unknown;
        try {
          message = typeof ev.data === 'string' ? JSON.parse(ev.data) : decodeFrame(new Uint8Array(ev.data as ArrayBuffer));
        } catch (err) {
          console.error('Dropped a malformed frame from the engine host:', err);
          return;
        }
        receive(message);
      };
      socket.addEventListener('message', listener);
      return () => socket.removeEventListener('message', listener);
    },
    onClose(closed) {
      closeHandlers.push(closed);
    },
  };
}
