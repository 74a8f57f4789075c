import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { nextTick } from 'vue';
import { float32Tensor, StudioError, type LearnConfig, type ProjectSummary, type RunDetail, type RunMetrics, type RunSummary, type RunTheory } from '../../../src-shared/contract';
import { provideStudioClient } from '../client';
import { deferred, fakeClient, type FakeHandlers } from '../testing/fake-client';
import { useAppStore } from './app';
import { useCompareStore } from './compare';
import { useProjectStore } from './project';

const CONFIG: LearnConfig = { method: 'ksvd', data: { kind: 'sample', name: 'camera', downsample: 8, highPass: false }, params: { atoms: 32 }, iterations: 10, seed: 0, checkpointEvery: 2 };

function summary(id: string, status: RunSummary['status'] = 'finished', extra: Partial<RunSummary> = {}): RunSummary {
  return { id, name: id, kind: 'learning', algorithm: 'ksvd', status, createdAt: '2026-01-01T00:00:00Z', iterations: 3, ...extra };
}
const m = (iteration: number, psnr = 20 + iteration, seconds = iteration): RunMetrics => ({ iteration, objective: 10 - iteration, density: [0.1], seconds, layer: 1, values: { psnr } });
const detailOf = (id: string, status: RunSummary['status'] = 'finished', metrics = [m(1), m(2), m(3)]): RunDetail => ({ summary: summary(id, status), config: { ...CONFIG, seed: id.length }, metrics });
const theory = (id: string): RunTheory => ({ runId: id, model: 'sparseland', layers: [{ layer: 1, atoms: 32, channels: 1, kernel: 8, stride: 1, coherence: 0.5, welch: 0.1, sparsityBound: 1.5, stripeSparsity: 1, holds: true }] });

function setup(handlers: FakeHandlers = {}) {
  const fake = fakeClient({
    'runs.get': ({ runId }) => detailOf(runId),
    'runs.snapshots': () => ({ iterations: [4, 2] }),
    'runs.theory': ({ runId }) => theory(runId),
    ...handlers,
  });
  provideStudioClient(fake.client);
  setActivePinia(createPinia());
  return fake;
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
};

beforeEach(() => {
  vi.spyOn(console, 'error').mockImplementation(() => {});
});

describe('compare store: selection and details', () => {
  it('fetches details, snapshots and theory of a selected run, once', async () => {
    const fake = setup();
    const c = useCompareStore();
    c.toggle('a');
    c.toggle('b');
    await flush();
    expect(c.selected).toEqual(['a', 'b']);
    expect(c.detail('a')?.finals).toEqual({ psnr: 23 });
    expect(c.detail('b')?.config).toMatchObject({ seed: 1 });
    expect(c.snapshots.get('a')).toEqual({ state: 'loaded', value: [2, 4] });
    expect(c.theories.get('b')).toMatchObject({ state: 'loaded', value: { runId: 'b' } });
    c.toggle('a');
    c.toggle('a');
    c.ensureDetails(['a', 'b']);
    await flush();
    expect(fake.calls.filter((x) => x.op === 'runs.get').map((x) => (x.params as { runId: string }).runId)).toEqual(['a', 'b']);
    c.toggle('b', false);
    expect(c.selected).toEqual(['a']);
  });

  it('fetches at most four details at a time', async () => {
    const gates = new Map<string, ReturnType<typeof deferred<RunDetail>>>();
    setup({
      'runs.get': ({ runId }) => {
        const d = deferred<RunDetail>();
        gates.set(runId, d);
        return d.promise;
      },
    });
    const c = useCompareStore();
    c.ensureDetails(['a', 'b', 'c', 'd', 'e', 'f']);
    await flush();
    expect([...gates.keys()]).toEqual(['a', 'b', 'c', 'd']);
    gates.get('a')!.resolve(detailOf('a'));
    await flush();
    expect([...gates.keys()]).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(c.details.get('f')).toEqual({ state: 'loading' });
  });

  it('reports a run that cannot be loaded and can try again', async () => {
    let fail = true;
    setup({
      'runs.get': ({ runId }) => {
        if (fail) throw new StudioError('not-found', `no run ${runId}`);
        return detailOf(runId);
      },
    });
    const c = useCompareStore();
    c.ensureDetails(['x']);
    await flush();
    expect(c.details.get('x')).toEqual({ state: 'failed', error: 'no run x' });
    expect(useAppStore().messages[0]).toMatchObject({ context: 'Loading run x for comparison', code: 'not-found' });
    fail = false;
    c.ensureDetails(['x']);
    await flush();
    expect(c.details.get('x')?.state).toBe('failed');
    c.ensureDetails(['x'], true);
    await flush();
    expect(c.detail('x')).toBeDefined();
  });

  it('keeps an optional operation failure per run, out of the banner', async () => {
    setup({
      'runs.snapshots': () => {
        throw new StudioError('unavailable', 'runs.snapshots is not available');
      },
    });
    const c = useCompareStore();
    c.toggle('a');
    await flush();
    expect(c.snapshots.get('a')).toEqual({ state: 'failed', error: 'runs.snapshots is not available' });
    expect(c.theories.get('a')?.state).toBe('loaded');
    expect(useAppStore().messages).toEqual([]);
  });
});

describe('compare store: live runs', () => {
  it('appends run.progress metrics to a loaded run; a resumed iteration supersedes what followed', async () => {
    const fake = setup({ 'runs.get': ({ runId }) => detailOf(runId, 'running') });
    const c = useCompareStore();
    c.init();
    c.ensureDetails(['a']);
    await flush();
    fake.emit('run.progress', { runId: 'a', fraction: 0.4, totalIterations: 10, metrics: m(4, 40) });
    expect(c.detail('a')!.metrics.map((x) => x.iteration)).toEqual([1, 2, 3, 4]);
    expect(c.detail('a')!.finals.psnr).toBe(40);
    fake.emit('run.progress', { runId: 'a', fraction: 0.2, totalIterations: 10, metrics: m(2, 50) });
    expect(c.detail('a')!.metrics.map((x) => [x.iteration, x.values!.psnr])).toEqual([
      [1, 21],
      [2, 50],
    ]);
    // Events of runs not in the view are ignored.
    fake.emit('run.progress', { runId: 'zzz', fraction: 0.2, totalIterations: 10, metrics: m(2) });
    expect(c.details.has('zzz')).toBe(false);
  });

  it('keeps metrics that arrive while the details are being fetched', async () => {
    const gate = deferred<RunDetail>();
    const fake = setup({ 'runs.get': () => gate.promise });
    const c = useCompareStore();
    c.init();
    c.ensureDetails(['a']);
    await flush();
    fake.emit('run.progress', { runId: 'a', fraction: 0.3, totalIterations: 10, metrics: m(3, 99) });
    fake.emit('run.progress', { runId: 'a', fraction: 0.4, totalIterations: 10, metrics: m(4, 98) });
    gate.resolve(detailOf('a', 'running', [m(1), m(2), m(3)]));
    await flush();
    expect(c.detail('a')!.metrics.map((x) => [x.iteration, x.values!.psnr])).toEqual([
      [1, 21],
      [2, 22],
      [3, 99],
      [4, 98],
    ]);
  });

  it('updates the summary on run.status and refetches a run that has stopped', async () => {
    let status: RunSummary['status'] = 'running';
    const fake = setup({ 'runs.get': ({ runId }) => detailOf(runId, status) });
    const c = useCompareStore();
    c.init();
    c.toggle('a');
    await flush();
    expect(c.detail('a')!.summary.status).toBe('running');
    status = 'finished';
    fake.emit('run.status', { runId: 'a', status: 'finished', summary: summary('a', 'finished', { finalObjective: 7 }) });
    expect(c.detail('a')!.summary).toMatchObject({ status: 'finished', finalObjective: 7 });
    await flush();
    expect(fake.calls.filter((x) => x.op === 'runs.get')).toHaveLength(2);
    expect(fake.calls.filter((x) => x.op === 'runs.snapshots')).toHaveLength(2);
    expect(fake.calls.filter((x) => x.op === 'runs.theory')).toHaveLength(2);
    c.dispose();
    expect(fake.listeners('run.progress')).toBe(0);
  });
});

describe('compare store: atoms and settings', () => {
  it('caches atoms per run and iteration; the last ones come from runs.preview', async () => {
    const atoms = [{ layer: 1, images: float32Tensor([2, 2, 2], new Float32Array(8)) }];
    const fake = setup({ 'runs.previewAt': ({ runId, iteration }) => ({ runId, iteration, atoms }), 'runs.preview': ({ runId }) => ({ runId, atoms }) });
    const c = useCompareStore();
    await c.loadPreview('a', 2);
    await c.loadPreview('a', 2);
    await c.loadPreview('a', null);
    expect(c.preview('a', 2)).toMatchObject({ state: 'loaded', value: { iteration: 2 } });
    expect(c.preview('a', null)?.state).toBe('loaded');
    expect(c.preview('a', 4)).toBeUndefined();
    expect(fake.calls.map((x) => x.op)).toEqual(['runs.previewAt', 'runs.preview']);
  });

  it('clamps smoothing, toggles metrics, and forgets everything for another project', async () => {
    const fake = setup({ 'projects.current': () => null, 'projects.recent': () => [] });
    const c = useCompareStore();
    c.setSmoothing(5);
    expect(c.smoothing).toBe(0.99);
    c.setSmoothing(-1);
    expect(c.smoothing).toBe(0);
    c.setMetricShown('value:psnr', false);
    c.setMetricShown('value:psnr', false);
    expect(c.hiddenMetrics).toEqual(['value:psnr']);
    c.setMetricShown('value:psnr', true);
    expect(c.hiddenMetrics).toEqual([]);

    const project = useProjectStore();
    await project.init();
    const p = (dir: string, runs: RunSummary[]): ProjectSummary => ({ dir, name: dir, schemaVersion: 2, runs });
    fake.emit('project.changed', p('/p1', [summary('a'), summary('b')]));
    await nextTick();
    c.toggle('a');
    c.toggle('b');
    await flush();
    // A deleted run leaves the selection.
    fake.emit('project.changed', p('/p1', [summary('a')]));
    await nextTick();
    expect(c.selected).toEqual(['a']);
    fake.emit('project.changed', p('/p2', [summary('a')]));
    await nextTick();
    expect(c.selected).toEqual([]);
    expect(c.details.size).toBe(0);
  });
});
