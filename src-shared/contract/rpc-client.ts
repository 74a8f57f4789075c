/**
 * A StudioClient over any message port that carries WireMessages (the WebSocket in browser mode, a
 * child process in the CLI). Results and events are validated on arrival.
 */
import type { StudioClient } from './client';
import { StudioError } from './errors';
import { OPERATIONS, type EventName, type OperationName } from './schemas';
import { WireMessage, isEvent, isOperation, parseEvent, parseResult, type RequestMessage } from './wire';

export interface MessagePortLike {
  send(message: RequestMessage): void;
  /** Registers the receiver; returns a function that stops it. */
  onMessage(receive: (message: unknown) => void): () => void;
  onClose?(closed: (reason: string) => void): void;
}

export function createRpcClient(port: MessagePortLike): StudioClient {
  let nextId = 1;
  const pending = new Map<number, { op: OperationName; resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const handlers = new Map<EventName, Set<(p: unknown) => void>>();

  port.onMessage((raw) => {
    const parsed = WireMessage.safeParse(raw);
    if (!parsed.success) return;
    const msg = parsed.data;
    if (msg.kind === 'response') {
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if (msg.ok) {
        try {
          p.resolve(parseResult(p.op, msg.result));
        } catch (err) {
          p.reject(err as Error);
        }
      } else p.reject(StudioError.from(msg.error));
    } else if (msg.kind === 'event' && isEvent(msg.event)) {
      const set = handlers.get(msg.event);
      if (!set?.size) return;
      let payload: unknown;
      try {
        payload = parseEvent(msg.event, msg.payload);
      } catch {
        return;
      }
      for (const h of set) h(payload);
    }
  });
  port.onClose?.((reason) => {
    for (const p of pending.values()) p.reject(new StudioError('unavailable', `the connection to the engine host closed: ${reason}`));
    pending.clear();
  });

  const client: Record<string, unknown> = {
    on(event: EventName, handler: (p: unknown) => void) {
      let set = handlers.get(event);
      if (!set) handlers.set(event, (set = new Set()));
      set.add(handler);
      return () => set!.delete(handler);
    },
  };
  for (const op of Object.keys(OPERATIONS)) {
    if (!isOperation(op)) continue;
    client[op] = (params: unknown) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { op, resolve, reject });
        try {
          port.send({ kind: 'request', id, op, params: params ?? {} });
        } catch (err) {
          pending.delete(id);
          reject(err as Error);
        }
      });
  }
  return client as StudioClient;
}
