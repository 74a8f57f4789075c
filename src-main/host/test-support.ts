/** Helpers for tests that drive a real host through the contract. */
import { dispatch, type EventName, type EventPayload, type RunStatus } from '../../src-shared/contract';
import type { StudioHost } from './types';

/** Calls an operation as a binding would; rejects with the StudioError's message and code. */
export async function callHost(host: StudioHost, op: string, params: unknown): Promise<never> {
  const r = await dispatch(host.handlers, { kind: 'request', id: 1, op, params });
  if (!r) throw new Error('no response');
  if (!r.ok) throw Object.assign(new Error(r.error.message), { code: r.error.code });
  return r.result as never;
}

/** The next event of a kind that satisfies `pred`. */
export function waitForEvent<E extends EventName>(host: StudioHost, event: E, pred: (p: EventPayload<E>) => boolean, timeoutMs = 120_000): Promise<EventPayload<E>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${event}`)), timeoutMs);
    const off = host.subscribe((e: EventName, p: unknown) => {
      if (e === (event as EventName) && pred(p as EventPayload<E>)) {
        clearTimeout(timer);
        off();
        resolve(p as EventPayload<E>);
      }
    });
  });
}

export const statusIs =
  (runId: string, ...s: RunStatus[]) =>
  (p: EventPayload<'run.status'>) =>
    p.runId === runId && s.includes(p.status);
