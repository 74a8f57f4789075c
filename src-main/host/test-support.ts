/** Helpers for tests that drive a real host through the contract. */
import { spawnSync } from 'node:child_process';
import { dispatch, type EventName, type EventPayload, type RunStatus, type RunSummary } from '../../src-shared/contract';
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

/** Starts a run, session or phase experiment and waits for its end; throws unless it finished. */
export async function finishRun(host: StudioHost, op: 'runs.start' | 'sessions.start' | 'theory.phaseStart', config: unknown): Promise<RunSummary> {
  const { runId } = (await callHost(host, op, { config })) as { runId: string };
  const end = await waitForEvent(host, 'run.status', statusIs(runId, 'finished', 'failed', 'cancelled'));
  if (end.status !== 'finished') throw new Error(`${op} ${runId} ended ${end.status}: ${JSON.stringify(end.error)}`);
  return end.summary;
}

/** Why NumPy cross-checks cannot run here, or undefined when python3 with NumPy is installed. */
export function pythonWithNumpy(): string | undefined {
  const probe = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8', timeout: 30_000 });
  if (probe.error) return 'python3 is not installed';
  if (probe.status !== 0) return 'python3 has no numpy (pip install numpy)';
  return undefined;
}
