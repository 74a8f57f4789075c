import { describe, expect, it } from 'vitest';
import type { EventPayload, RunSummary } from '../../src-shared/contract';
import { JobWatch, LONG_JOB_MS } from './job-watch';

const summary = (id: string, status: RunSummary['status'], extra: Partial<RunSummary> = {}): RunSummary => ({ id, name: `run ${id}`, kind: 'pursuit', algorithm: 'ml-fista', status, createdAt: '2026-01-01T00:00:00Z', iterations: 0, ...extra });
const status = (id: string, s: RunSummary['status'], extra: Partial<RunSummary> = {}): EventPayload<'run.status'> => ({ runId: id, status: s, summary: summary(id, s, extra) });
const progress = (id: string, fraction: number): EventPayload<'run.progress'> => ({ runId: id, fraction, totalIterations: 10, metrics: { iteration: 1, objective: 1, density: [0.1], seconds: 0, layer: 1 } });

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('desktop job watch', () => {
  it('shows the slowest running job in the taskbar and removes the bar when none runs', () => {
    const w = new JobWatch(clock().now);
    expect(w.progress()).toBe(-1);
    expect(w.onEvent('run.status', status('a', 'queued'))).toEqual({ progress: 0 });
    expect(w.onEvent('run.progress', progress('a', 0.6))).toEqual({ progress: 0.6 });
    w.onEvent('run.status', status('b', 'running'));
    expect(w.onEvent('run.progress', progress('b', 0.25))).toEqual({ progress: 0.25 });
    expect(w.onEvent('run.status', status('b', 'cancelled'))).toEqual({ progress: 0.6 });
    expect(w.onEvent('run.status', status('a', 'finished'))).toEqual({ progress: -1 });
    expect(w.onEvent('project.changed', { dir: '/p', name: 'p', schemaVersion: 1, runs: [] })).toBeUndefined();
  });

  it('notifies when a job longer than 10 s finishes or fails; not for short, cancelled or unknown ones', () => {
    const c = clock();
    const w = new JobWatch(c.now);
    w.onEvent('run.status', status('quick', 'running'));
    c.advance(LONG_JOB_MS - 1);
    expect(w.onEvent('run.status', status('quick', 'finished'))?.notice).toBeUndefined();

    w.onEvent('run.status', status('long', 'running', { kind: 'learning', name: 'ksvd' }));
    c.advance(75_000);
    expect(w.onEvent('run.status', status('long', 'finished', { kind: 'learning', name: 'ksvd' }))?.notice).toEqual({ title: 'Job finished', body: 'Learn “ksvd” finished after 1 min 15 s.' });

    w.onEvent('run.status', status('bad', 'running'));
    c.advance(LONG_JOB_MS + 1);
    const failed = w.onEvent('run.status', { ...status('bad', 'failed'), error: { code: 'engine-crashed', message: 'the engine stopped' } });
    expect(failed?.notice).toEqual({ title: 'Job failed', body: 'Pursuit “run bad” failed after 10 s: the engine stopped' });

    w.onEvent('run.status', status('stop', 'running'));
    c.advance(60_000);
    expect(w.onEvent('run.status', status('stop', 'cancelled'))?.notice).toBeUndefined();
    expect(w.onEvent('run.status', status('never-seen', 'finished'))).toBeUndefined();
  });
});
