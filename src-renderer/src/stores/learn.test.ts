import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { float32Tensor, StudioError, type EventPayload, type LearnConfig, type MethodSpec, type RunMetrics, type RunSummary } from '../../../src-shared/contract';
import { provideStudioClient } from '../client';
import { deferred, fakeClient, type FakeHandlers } from '../testing/fake-client';
import { useAppStore } from './app';
import { useLearnStore } from './learn';
import { useLearnFormStore } from './learn-form';
import { useRunStore } from './run';
import { useViewStore } from './view';

const INFO = { version: '0.1.0', onnxruntime: '1.30.0', providers: { available: ['cpu' as const], used: 'cpu' as const }, host: 'browser' as const };

const KSVD: MethodSpec = {
  method: 'ksvd',
  title: 'K-SVD (patches)',
  citation: 'Aharon, Elad, Bruckstein, IEEE TSP 2006',
  summary: 'OMP, then rank-1 updates.',
  data: ['sample', 'file'],
  defaultIterations: 10,
  params: [
    { name: 'atoms', label: 'Atoms', kind: 'integer', default: 256, min: 4, max: 1024, help: 'Dictionary size.' },
    { name: 'sigma', label: 'Noise σ', kind: 'number', default: 25, min: 0, max: 100, help: 'Noise.' },
  ],
};
const CDL: MethodSpec = { ...KSVD, method: 'cdl', title: 'CDL', data: ['sample', 'mnist', 'file'], defaultIterations: 30, params: [{ name: 'filters', label: 'Filters', kind: 'integer', default: 16, min: 1, max: 256, help: 'm.' }] };

const CONFIG: LearnConfig = { method: 'ksvd', data: { kind: 'sample', name: 'camera', downsample: 8, highPass: false }, params: { atoms: 32, sigma: 25 }, iterations: 10, seed: 0, checkpointEvery: 2 };

function summary(id: string, status: RunSummary['status'], extra: Partial<RunSummary> = {}): RunSummary {
  return { id, name: id, kind: 'learning', algorithm: 'ksvd', status, createdAt: '2026-01-01T00:00:00Z', iterations: 0, ...extra };
}
const metrics = (iteration: number, objective: number): RunMetrics => ({ iteration, objective, density: [0.05], seconds: iteration / 10, layer: 1, values: { psnr: 20 + iteration, secondsPerIteration: 0.1 } });
const progress = (runId: string, iteration: number, objective = 10 - iteration): EventPayload<'run.progress'> => ({ runId, fraction: iteration / 10, totalIterations: 10, metrics: metrics(iteration, objective) });
const status = (runId: string, s: RunSummary['status'], extra: Partial<RunSummary> = {}): EventPayload<'run.status'> => ({ runId, status: s, summary: summary(runId, s, extra) });
const preview = (runId: string): EventPayload<'run.preview'> => ({ runId, atoms: [{ layer: 1, images: float32Tensor([4, 3, 3], new Float32Array(36)) }] });

function setup(handlers: FakeHandlers = {}) {
  const fake = fakeClient({ 'app.info': () => INFO, 'sessions.methods': () => [KSVD, CDL], ...handlers });
  provideStudioClient(fake.client);
  setActivePinia(createPinia());
  return fake;
}

beforeEach(() => {
  vi.spyOn(console, 'error').mockImplementation(() => {});
});

describe('learn store: methods', () => {
  it('fetches the methods after subscribing; an empty list is a valid answer', async () => {
    const fake = setup({ 'sessions.methods': () => [] });
    const learn = useLearnStore();
    expect(learn.methodsState).toBe('idle');
    await learn.init();
    expect(fake.listeners('run.progress')).toBe(1);
    expect(learn.methodsState).toBe('loaded');
    expect(learn.methods).toEqual([]);
    expect(useAppStore().messages).toEqual([]);
  });

  it('reports a failure in the banner and can try again', async () => {
    let fail = true;
    setup({
      'sessions.methods': () => {
        if (fail) throw new StudioError('internal', 'engine busy');
        return [KSVD];
      },
    });
    const learn = useLearnStore();
    await learn.init();
    expect(learn.methodsState).toBe('failed');
    expect(learn.methodsError).toBe('engine busy');
    expect(useAppStore().messages[0]).toMatchObject({ context: 'Listing the learning methods', code: 'internal' });
    fail = false;
    await learn.loadMethods();
    expect(learn.methodsState).toBe('loaded');
    expect(learn.methodTitle('ksvd')).toBe('K-SVD (patches)');
    expect(learn.methodTitle('mod')).toBe('mod');
  });
});

describe('learn store: a session', () => {
  it('starts, shows only its events (also those that beat the answer), cancels, resumes from the checkpoint and finishes', async () => {
    const answer = deferred<{ runId: string }>();
    const fake = setup({ 'sessions.start': () => answer.promise, 'runs.cancel': () => ({ cancelled: true }), 'sessions.resume': ({ runId }) => ({ runId }) });
    const learn = useLearnStore();
    await learn.init();
    const started = learn.start(CONFIG);
    expect(learn.canStart).toBe(false);
    fake.emit('run.status', status('s1', 'running'));
    fake.emit('run.progress', progress('s1', 1));
    fake.emit('run.progress', progress('other', 1, 99));
    answer.resolve({ runId: 's1' });
    expect(await started).toBe(true);
    expect(learn.runId).toBe('s1');
    expect(learn.status).toBe('running');
    expect(learn.liveRunId).toBe('s1');

    for (const i of [2, 3, 4, 5]) fake.emit('run.progress', progress('s1', i));
    fake.emit('run.preview', preview('s1'));
    expect(learn.series.objective[0]!.points.map((p) => p[0])).toEqual([1, 2, 3, 4, 5]);
    expect(learn.series.values.map((v) => v.name)).toEqual(['psnr', 'secondsPerIteration']);
    expect(learn.progress).toEqual({ fraction: 0.5, iteration: 5, total: 10 });
    // Checkpoints every 2 iterations: the schedule says 4 until the host reports one.
    expect(learn.checkpoint).toEqual({ iteration: 4, saved: false });
    expect(learn.preview?.atoms).toHaveLength(1);
    expect(learn.canCancel).toBe(true);
    expect(learn.canResume).toBe(false);

    expect(await learn.cancel()).toBe(true);
    expect(fake.calls.at(-1)).toEqual({ op: 'runs.cancel', params: { runId: 's1' } });
    expect(learn.cancelling).toBe(true);
    fake.emit('run.status', status('s1', 'cancelled', { iterations: 5, checkpointIteration: 5 }));
    expect(learn.cancelling).toBe(false);
    expect(learn.liveRunId).toBeNull();
    expect(learn.checkpoint).toEqual({ iteration: 5, saved: true });
    expect(learn.canResume).toBe(true);
    expect(learn.canStart).toBe(true);

    // The answer comes before the queued status (the desktop app's IPC does not order the two).
    expect(await learn.resume()).toBe(true);
    expect(fake.calls.at(-1)).toEqual({ op: 'sessions.resume', params: { runId: 's1' } });
    expect(learn.status).toBe('queued');
    expect(learn.liveRunId).toBe('s1');
    expect(learn.canResume).toBe(false);
    expect(learn.canStart).toBe(false);
    expect(learn.progress?.iteration).toBe(5);
    fake.emit('run.status', status('s1', 'queued', { iterations: 5, checkpointIteration: 5 }));
    // The resumed job repeats nothing before its checkpoint; a repeat would supersede.
    fake.emit('run.progress', progress('s1', 5, 4.25));
    for (const i of [6, 7, 8, 9, 10]) fake.emit('run.progress', progress('s1', i));
    expect(learn.status).toBe('running');
    expect(learn.series.objective[0]!.points.map((p) => p[0])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(learn.series.objective[0]!.points[4]).toEqual([5, 4.25]);
    expect(learn.checkpoint).toEqual({ iteration: 10, saved: false });
    fake.emit('run.status', status('s1', 'finished', { iterations: 10, checkpointIteration: 10, finalObjective: 0.5 }));
    expect(learn.status).toBe('finished');
    expect(learn.progress).toEqual({ fraction: 1, iteration: 10, total: 10 });
    expect(learn.finalObjective).toBe(0.5);
    expect(learn.liveRunId).toBeNull();
    expect(learn.canResume).toBe(false); // finished: nothing to resume
  });

  it('after a resume whose status events came first, does not force it back to queued', async () => {
    const fake = setup({
      'runs.get': ({ runId }) => ({ summary: summary(runId, 'cancelled', { iterations: 3, checkpointIteration: 2 }), config: CONFIG, metrics: [metrics(1, 9), metrics(2, 8), metrics(3, 7)] }),
      'runs.preview': ({ runId }) => ({ runId, atoms: [] }),
      'sessions.resume': ({ runId }) => {
        fake.emit('run.status', status(runId, 'queued', { checkpointIteration: 2 }));
        fake.emit('run.progress', progress(runId, 3, 6.5));
        return { runId };
      },
    });
    const learn = useLearnStore();
    await learn.select('old');
    expect(learn.canResume).toBe(true);
    expect(await learn.resume()).toBe(true);
    expect(learn.status).toBe('running');
    expect(learn.liveRunId).toBe('old');
    expect(learn.series.objective[0]!.points).toEqual([
      [1, 9],
      [2, 8],
      [3, 6.5],
    ]);
  });

  it('reports a refused start or resume in the banner and stays ready', async () => {
    setup({
      'sessions.start': () => {
        throw new StudioError('unavailable', 'the learning method ksvd is not available in this build', 'method');
      },
    });
    const learn = useLearnStore();
    expect(await learn.start(CONFIG)).toBe(false);
    expect(useAppStore().messages[0]).toMatchObject({ code: 'unavailable', context: 'Starting the learning session', where: 'method' });
    expect(learn.canStart).toBe(true);
    expect(learn.runId).toBeNull();
    expect(await learn.resume()).toBe(false); // nothing on show
  });

  it('shows a past session from runs.get + runs.preview, and explains an empty preview', async () => {
    setup({
      'runs.get': ({ runId }) => ({ summary: summary(runId, 'finished', { iterations: 10, finalObjective: 1, checkpointIteration: 10 }), config: CONFIG, metrics: [metrics(5, 3), metrics(10, 1)] }),
      'runs.preview': ({ runId }) => ({ runId, atoms: [] }),
    });
    const learn = useLearnStore();
    await learn.init();
    await learn.select('done');
    expect(learn.config).toEqual(CONFIG);
    expect(learn.status).toBe('finished');
    expect(learn.progress).toEqual({ fraction: 1, iteration: 10, total: 10 });
    expect(learn.series.values.find((v) => v.name === 'psnr')!.points).toEqual([
      [5, 25],
      [10, 30],
    ]);
    expect(learn.preview).toBeNull();
    expect(learn.previewMissing).toMatch(/No preview was saved/);
    expect(learn.checkpoint).toEqual({ iteration: 10, saved: true });
    expect(learn.methodSpec?.title).toBe('K-SVD (patches)');
    expect(learn.canResume).toBe(false);
  });
});

describe('learn form store', () => {
  it('starts on the first method once the methods are known, and switches method with its defaults', async () => {
    setup();
    const learn = useLearnStore();
    const form = useLearnFormStore();
    expect(form.spec).toBeNull();
    await learn.init();
    expect(form.form.method).toBe('ksvd');
    expect(form.form.params).toEqual({ atoms: 256, sigma: 25 });
    expect(form.dataKinds).toEqual(['sample', 'file']);
    form.form.data.kind = 'file';
    form.setMethod('cdl');
    expect(form.form).toMatchObject({ method: 'cdl', iterations: 30, params: { filters: 16 } });
    expect(form.form.data.kind).toBe('file');
  });

  it('refuses to start with field errors and does not call the host, then starts the validated config', async () => {
    const fake = setup({ 'sessions.start': () => ({ runId: 'x' }) });
    const learn = useLearnStore();
    await learn.init();
    const form = useLearnFormStore();
    form.form.params.atoms = 2;
    form.form.iterations = '';
    expect(await form.submit()).toBe(false);
    expect(form.errors).toEqual({ 'params.atoms': 'Must be at least 4.', iterations: 'Enter a number.' });
    expect(fake.calls.some((c) => c.op === 'sessions.start')).toBe(false);
    // Fixing a field clears its error as the user types.
    form.form.params.atoms = 32;
    await Promise.resolve();
    expect(form.errors).toEqual({ iterations: 'Enter a number.' });
    form.form.iterations = 6;
    form.form.checkpointEvery = 2;
    expect(await form.submit()).toBe(true);
    const sent = fake.calls.find((c) => c.op === 'sessions.start')?.params as { config: LearnConfig };
    expect(sent.config).toEqual({ method: 'ksvd', data: { kind: 'sample', name: 'camera', downsample: 2, highPass: false }, params: { atoms: 32, sigma: 25 }, iterations: 6, seed: 0, checkpointEvery: 2 });
    expect(learn.runId).toBe('x');
  });

  it('copies a saved session into the form, unless its method is not offered', async () => {
    setup({ 'sessions.methods': () => [KSVD] });
    await useLearnStore().init();
    const form = useLearnFormStore();
    expect(form.load({ ...CONFIG, name: 'again' })).toBe(true);
    expect(form.form).toMatchObject({ name: 'again', iterations: 10, checkpointEvery: 2, params: { atoms: 32, sigma: 25 } });
    expect(form.load({ ...CONFIG, method: 'mod' })).toBe(false);
    expect(useAppStore().messages[0]).toMatchObject({ severity: 'warning' });
  });
});

describe('view store', () => {
  it('opens a learning session in Learn and a pursuit run in Pursuit', async () => {
    const fake = setup({
      'runs.get': ({ runId }) => ({ summary: summary(runId, 'finished'), config: CONFIG, metrics: [] }),
      'runs.preview': ({ runId }) => preview(runId),
    });
    const view = useViewStore();
    expect(view.view).toBe('pursuit');
    await view.openRun({ id: 'L', kind: 'learning' });
    expect(view.view).toBe('learn');
    expect(useLearnStore().runId).toBe('L');
    expect(view.currentRunId()).toBe('L');
    const selecting = view.openRun({ id: 'P', kind: 'pursuit' });
    expect(view.view).toBe('pursuit');
    await selecting;
    expect(useRunStore().runId).toBe('P');
    expect(view.currentRunId()).toBe('P');
    expect(fake.calls.filter((c) => c.op === 'runs.get').map((c) => c.params)).toEqual([{ runId: 'L' }, { runId: 'P' }]);
  });
});
