/**
 * A StudioClient for store tests: operations answer from the handlers given (others reject as
 * 'unavailable'), every call is recorded, and `emit` delivers an event as the host would.
 */
import { OPERATIONS, StudioError, type EventName, type EventPayload, type OperationName, type Params, type Result, type StudioClient } from '../../../src-shared/contract';

export type FakeHandlers = { [Op in OperationName]?: (params: Params<Op>) => Result<Op> | Promise<Result<Op>> };

export interface FakeClient {
  readonly client: StudioClient;
  readonly calls: { op: OperationName; params: unknown }[];
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void;
  /** Number of handlers subscribed to an event. */
  listeners(event: EventName): number;
}

export function fakeClient(handlers: FakeHandlers = {}): FakeClient {
  const calls: { op: OperationName; params: unknown }[] = [];
  const subs = new Map<EventName, Set<(p: unknown) => void>>();
  const client: Record<string, unknown> = {
    on(event: EventName, handler: (p: unknown) => void) {
      let set = subs.get(event);
      if (!set) subs.set(event, (set = new Set()));
      set.add(handler);
      return () => set.delete(handler);
    },
  };
  for (const op of Object.keys(OPERATIONS) as OperationName[]) {
    client[op] = async (params: unknown) => {
      calls.push({ op, params });
      const h = handlers[op] as ((p: unknown) => unknown) | undefined;
      if (!h) throw new StudioError('unavailable', `${op} is not available in this test`);
      return h(params);
    };
  }
  return {
    client: client as StudioClient,
    calls,
    emit(event, payload) {
      for (const h of subs.get(event) ?? []) h(payload);
    },
    listeners: (event) => subs.get(event)?.size ?? 0,
  };
}

/** A promise with its resolve/reject exposed, to control when a fake answers. */
export function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
