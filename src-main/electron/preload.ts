/**
 * The preload: runs sandboxed and context-isolated before the page, and exposes the contract to it as
 * `window.sparseland` — one method per operation and `on(event, handler)`, plus `onMenuCommand` and `pathForFile`. The page
 * never sees ipcRenderer, a channel name or an Electron object: each method sends exactly one kind of message,
 * and the main process checks the sender and validates the message again.
 *
 * Sandboxed preloads cannot load modules: this file may import only 'electron', and everything else
 * (the contract, zod) is bundled into it by electron-vite.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { ErrorCode, EVENTS, OPERATIONS, type EventName, type OperationName } from '../../src-shared/contract/schemas';
import { isEvent, isOperation, ResponseMessage } from '../../src-shared/contract/wire';
import { CALL_CHANNEL, EVENT_CHANNEL, MENU_CHANNEL, MenuCommand, type BridgeError, type SparselandBridge } from './bridge';

function bridgeError(code: string, message: string, where?: string): BridgeError {
  const text = `StudioError [${code}]: ${message}`;
  return {
    name: 'StudioError',
    code: ErrorCode.safeParse(code).success ? code : 'internal',
    message,
    ...(where === undefined ? {} : { where }),
    toString: () => text,
  };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

let nextId = 1;

async function call(op: OperationName, params: unknown): Promise<unknown> {
  const id = nextId++;
  let reply: unknown;
  try {
    reply = await ipcRenderer.invoke(CALL_CHANNEL, { kind: 'request', id, op, params: params ?? {} });
  } catch (err) {
    // The main process refused the message or could not receive it (e.g. parameters that cannot be cloned).
    throw bridgeError('unavailable', `${op} could not reach the app's main process: ${messageOf(err)}`, op);
  }
  const response = ResponseMessage.safeParse(reply);
  if (!response.success || response.data.id !== id) throw bridgeError('internal', `${op}: the main process answered with a malformed response`, op);
  if (response.data.ok) return response.data.result;
  const { code, message, where } = response.data.error;
  throw bridgeError(code, message, where);
}

// ---- events: one IPC listener, fanned out to the page's handlers by event name ----------------------------

const eventHandlers = new Map<EventName, Set<(payload: unknown) => void>>();
const menuHandlers = new Set<(command: MenuCommand) => void>();

function deliver<T>(handlers: Iterable<(value: T) => void>, value: T, what: string): void {
  for (const handler of [...handlers]) {
    try {
      handler(value);
    } catch (err) {
      // One failing page handler must not keep the others from hearing.
      console.error(`sparseland: a handler of ${what} threw:`, err);
    }
  }
}

ipcRenderer.on(EVENT_CHANNEL, (_event, message: unknown) => {
  if (typeof message !== 'object' || message === null) return;
  const { event, payload } = message as { event?: unknown; payload?: unknown };
  if (typeof event !== 'string' || !isEvent(event)) return;
  const handlers = eventHandlers.get(event);
  if (handlers?.size) deliver(handlers, payload, `event ${event}`);
});

ipcRenderer.on(MENU_CHANNEL, (_event, message: unknown) => {
  const command = MenuCommand.safeParse(message);
  if (command.success && menuHandlers.size) deliver(menuHandlers, command.data, `menu command ${command.data.command}`);
});

function on(event: EventName, handler: (payload: unknown) => void): () => void {
  if (typeof event !== 'string' || !isEvent(event)) throw new TypeError(`sparseland.on: unknown event "${String(event)}"; known events: ${Object.keys(EVENTS).join(', ')}`);
  if (typeof handler !== 'function') throw new TypeError(`sparseland.on("${event}"): the handler must be a function`);
  let set = eventHandlers.get(event);
  if (!set) eventHandlers.set(event, (set = new Set()));
  set.add(handler);
  return () => {
    set.delete(handler);
  };
}

function onMenuCommand(handler: (command: MenuCommand) => void): () => void {
  if (typeof handler !== 'function') throw new TypeError('sparseland.onMenuCommand: the handler must be a function');
  menuHandlers.add(handler);
  return () => {
    menuHandlers.delete(handler);
  };
}

/**
 * The path on disk of a File the user dropped on the window ('' for one not backed by a file), so the Data
 * view imports it where it lies instead of sending its bytes. Electron no longer puts `path` on File.
 */
function pathForFile(file: File): string {
  if (typeof file !== 'object' || file === null) throw new TypeError('sparseland.pathForFile: expected a File from a drop or a file input');
  return webUtils.getPathForFile(file);
}

// ---- the API ------------------------------------------------------------------------------------------------

const operations: Record<string, (params?: unknown) => Promise<unknown>> = {};
for (const op of Object.keys(OPERATIONS)) {
  if (isOperation(op)) operations[op] = (params?: unknown) => call(op, params);
}

const api = { ...operations, on, onMenuCommand, pathForFile } as unknown as SparselandBridge & { pathForFile(file: File): string };

contextBridge.exposeInMainWorld('sparseland', api);
