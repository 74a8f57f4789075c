import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { float32Tensor, StudioError, type EventPayload, type ProjectSummary, type RunConfig, type RunMetrics, type RunSummary } from '../../../src-shared/contract';
import { provideStudioClient } from '../client';
import { defaultForm, formToConfig } from '../lib/run-form';
import { deferred, fakeClient, type FakeHandlers } from '../testing/fake-client';
import { useAppStore } from './app';
import { dirname, usePickerStore } from './picker';
import { sortRuns, upsertRun, useProjectStore } from './project';
import { plannedIterations, useRunStore } from './run';
import { useRunFormStore } from './run-form';

const INFO = { version: '0.1.0', onnxruntime: '1.30.0', providers: { available: ['cpu' as const], used: 'cpu' as const }, host: 'browser' as const };
const CONFIG: RunConfig = formToConfig(defaultForm());

function summary(id: string, status: RunSummary['status'], extra: Partial<RunSummary> = {}): RunSummary {
  return { id, name: id, kind: 'pursuit', algorithm: 'ml-fista', status, createdAt: '2026-01-01T00:00:00Z', iterations: 0, ...extra };
}

function project(runs: RunSummary[] = []): ProjectSummary {
  return { dir: '/p', name: 'P', schemaVersion: 1, runs };
}

const metrics = (iteration: number, objective: number): RunMetrics => ({ iteration, objective, density: [0.5, 0.1], seconds: iteration / 10, layer: 2 });
const progress = (runId: string, iteration: number, objective: number): EventPayload<'run.progress'> => ({ runId, fraction: iteration / 100, totalIterations: 100, metrics: metrics(iteration, objective) });
const status = (runId: string, s: RunSummary['status'], extra: Partial<RunSummary> = {}): EventPayload<'run.status'> => ({ runId, status: s, summary: summary(runId, s, extra) });
const preview = (runId: string): EventPayload<'run.preview'> => ({
  runId,
  atoms: [{ layer: 1, images: float32Tensor([8, 6, 6], new Float32Array(288)) }],
  input: float32Tensor([64, 64], new Float32Array(4096)),
  reconstruction: float32Tensor([64, 64], new Float32Array(4096)),
});

function setup(handlers: FakeHandlers = {}) {
  const fake = fakeClient({ 'app.info': () => INFO, ...handlers });
  provideStudioClient(fake.client);
  setActivePinia(createPinia());
  return fake;
}

beforeEach(() => {
  vi.spyOn(console, 'error').mockImplementation(() => {});
});

describe('app store', () => {
  it('fetches app.info, then reports engine restarts as a warning in the banner', async () => {
    const fake = setup();
    const app = useAppStore();
    await app.init();
    expect(app.info?.host).toBe('browser');
    expect(app.isElectron).toBe(false);
    fake.emit('engine.restarted', { reason: 'exit code 1', at: '2026-01-01T00:00:00Z' });
    expect(app.messages).toHaveLength(1);
    expect(app.messages[0]).toMatchObject({ severity: 'warning' });
    expect(app.messages[0]!.message).toContain('exit code 1');
  });

  it('toggles the theme and keeps the StudioError code and message of a reported error', () => {
    setup();
    const app = useAppStore();
    const before = app.theme;
    app.toggleTheme();
    expect(app.theme).not.toBe(before);
    expect(app.palette.text).toBeTruthy();
    const m = app.reportError(new StudioError('no-project', 'Open a project first.', 'runs.start'), 'Starting the run');
    app.reportError(new StudioError('no-project', 'Open a project first.'), 'Starting the run');
    expect(app.messages).toHaveLength(1); // the same failure twice is shown once
    expect(m).toMatchObject({ code: 'no-project', message: 'Open a project first.', where: 'runs.start', context: 'Starting the run' });
    app.dismiss(app.messages[0]!.id);
    expect(app.messages).toEqual([]);
  });
});

describe('project store', () => {
  it('loads current and recent, then follows project.changed and run.status', async () => {
    const fake = setup({ 'projects.current': () => project([summary('a', 'finished')]), 'projects.recent': () => [{ dir: '/p', name: 'P', openedAt: 'x' }] });
    const store = useProjectStore();
    await store.init();
    expect(store.current?.name).toBe('P');
    expect(store.recent).toHaveLength(1);
    fake.emit('run.status', status('b', 'running', { createdAt: '2026-02-01T00:00:00Z' }));
    expect(store.runs.map((r) => r.id)).toEqual(['b', 'a']); // newest first
    fake.emit('run.status', status('b', 'finished', { createdAt: '2026-02-01T00:00:00Z', finalObjective: 1.5 }));
    expect(store.runs[0]).toMatchObject({ id: 'b', status: 'finished', finalObjective: 1.5 });
    fake.emit('project.changed', project([]));
    expect(store.runs).toEqual([]);
  });

  it('creates a project (trimmed) and reports a refusal in the banner', async () => {
    const fake = setup({
      'projects.create': (p) => {
        if (p.dir === '/forbidden') throw new StudioError('forbidden', '/forbidden is outside the allowed folders.');
        return { ...project(), name: p.name, dir: p.dir };
      },
      'projects.recent': () => [],
    });
    const store = useProjectStore();
    const app = useAppStore();
    expect(await store.create(' New ', ' /work/new ')).toBe(true);
    expect(fake.calls.find((c) => c.op === 'projects.create')?.params).toEqual({ name: 'New', dir: '/work/new' });
    expect(store.current?.dir).toBe('/work/new');
    expect(await store.create('X', '/forbidden')).toBe(false);
    expect(app.messages[0]).toMatchObject({ code: 'forbidden', context: 'Creating the project' });
    expect(store.current?.dir).toBe('/work/new');
    expect(store.busy).toBe(false);
  });

  it('sortRuns and upsertRun keep one entry per id, newest first', () => {
    const runs = upsertRun([summary('a', 'running')], summary('a', 'finished'));
    expect(runs).toHaveLength(1);
    expect(runs[0]!.status).toBe('finished');
    expect(sortRuns([summary('x', 'finished', { createdAt: 'bad' }), summary('y', 'finished')]).map((r) => r.id)).toEqual(['y', 'x']);
  });
});

describe('run store', () => {
  it('starts a run and shows only its events, including those that beat the runs.start answer', async () => {
    const answer = deferred<{ runId: string }>();
    const fake = setup({ 'runs.start': () => answer.promise });
    const run = useRunStore();
    run.init();
    const started = run.start(CONFIG);
    expect(run.canStart).toBe(false);
    // The host is fast: the run is queued and running before the request returns.
    fake.emit('run.status', status('r1', 'running'));
    fake.emit('run.progress', progress('r1', 10, 5));
    fake.emit('run.progress', progress('other', 10, 99));
    answer.resolve({ runId: 'r1' });
    expect(await started).toBe(true);
    expect(run.runId).toBe('r1');
    expect(run.status).toBe('running');
    expect(run.series.objective[0]!.points).toEqual([[10, 5]]);

    fake.emit('run.progress', progress('r1', 20, 4));
    fake.emit('run.progress', progress('other', 20, 98));
    fake.emit('run.preview', preview('r1'));
    expect(run.series.objective[0]!.points).toEqual([
      [10, 5],
      [20, 4],
    ]);
    expect(run.progress).toEqual({ fraction: 0.2, iteration: 20, total: 100 });
    expect(run.preview?.atoms).toHaveLength(1);
    expect(run.canCancel).toBe(true);
    expect(run.canStart).toBe(false);

    fake.emit('run.status', status('r1', 'finished', { iterations: 100, finalObjective: 3 }));
    expect(run.status).toBe('finished');
    expect(run.progress?.fraction).toBe(1);
    expect(run.finalObjective).toBe(3);
    expect(run.canStart).toBe(true);
    expect(run.canCancel).toBe(false);
  });

  it('cancels the run on show and lets another start after it is cancelled', async () => {
    const fake = setup({ 'runs.start': () => ({ runId: 'r2' }), 'runs.cancel': () => ({ cancelled: true }) });
    const run = useRunStore();
    run.init();
    await run.start(CONFIG);
    expect(await run.cancel()).toBe(true);
    expect(fake.calls.at(-1)).toEqual({ op: 'runs.cancel', params: { runId: 'r2' } });
    expect(run.cancelling).toBe(true);
    fake.emit('run.status', { ...status('r2', 'cancelled'), error: { code: 'cancelled', message: 'Cancelled by the user.' } });
    expect(run.cancelling).toBe(false);
    expect(run.error?.code).toBe('cancelled');
    expect(run.canStart).toBe(true);
  });

  it('reports a refused start in the banner and stays ready', async () => {
    setup({
      'runs.start': () => {
        throw new StudioError('no-project', 'No project is open: create or open one first.');
      },
    });
    const run = useRunStore();
    expect(await run.start(CONFIG)).toBe(false);
    expect(useAppStore().messages[0]).toMatchObject({ code: 'no-project', context: 'Starting the run' });
    expect(run.canStart).toBe(true);
    expect(run.runId).toBeNull();
  });

  it('shows a past run from runs.get + runs.preview', async () => {
    setup({
      'runs.get': ({ runId }) => ({ summary: summary(runId, 'finished', { iterations: 100, finalObjective: 2 }), config: CONFIG, metrics: [metrics(50, 3), metrics(100, 2)] }),
      'runs.preview': ({ runId }) => preview(runId),
    });
    const run = useRunStore();
    await run.select('old');
    expect(run.status).toBe('finished');
    expect(run.config).toEqual(CONFIG);
    expect(run.series.objective[0]!.points).toEqual([
      [50, 3],
      [100, 2],
    ]);
    expect(run.progress).toEqual({ fraction: 1, iteration: 100, total: 100 });
    expect(run.preview?.runId).toBe('old');
    expect(run.loading).toBe(false);
  });

  it('merges events that arrive while a running run is being fetched, and explains a missing preview', async () => {
    const detail = deferred<never>();
    const fake = setup({
      'runs.get': () => detail.promise,
      'runs.preview': () => {
        throw new StudioError('not-found', 'no preview yet');
      },
    });
    const run = useRunStore();
    const selecting = run.select('live');
    fake.emit('run.progress', progress('live', 30, 1));
    (detail.resolve as (v: unknown) => void)({ summary: summary('live', 'running', { iterations: 20 }), config: CONFIG, metrics: [metrics(10, 3), metrics(20, 2)] });
    await selecting;
    expect(run.series.objective[0]!.points.map((p) => p[0])).toEqual([10, 20, 30]);
    expect(run.status).toBe('running');
    expect(run.progress?.iteration).toBe(30);
    expect(run.previewMissing).toMatch(/first preview/);
  });

  it('discards a slow fetch when another run was chosen meanwhile', async () => {
    const slow = deferred<never>();
    setup({
      'runs.get': ({ runId }) => (runId === 'slow' ? slow.promise : { summary: summary(runId, 'failed', { error: { code: 'diverged', message: 'NaN at 12' } }), config: CONFIG, metrics: [] }),
      'runs.preview': () => {
        throw new StudioError('not-found', 'none');
      },
    });
    const run = useRunStore();
    const first = run.select('slow');
    await run.select('fast');
    (slow.resolve as (v: unknown) => void)({ summary: summary('slow', 'finished'), config: CONFIG, metrics: [] });
    await first;
    expect(run.runId).toBe('fast');
    expect(run.status).toBe('failed');
    expect(run.error?.message).toBe('NaN at 12');
    expect(run.previewMissing).toMatch(/No preview was saved/);
  });

  it('plans layered-BP iterations per layer', () => {
    expect(plannedIterations(CONFIG)).toBe(100);
    expect(plannedIterations({ ...CONFIG, pursuit: { ...CONFIG.pursuit, algorithm: 'layered-bp' } })).toBe(200);
  });
});

describe('run form store', () => {
  it('refuses to start with field errors and does not call the host', async () => {
    const fake = setup({ 'runs.start': () => ({ runId: 'x' }) });
    const form = useRunFormStore();
    form.form.layers[0]!.filters = '';
    expect(await form.submit()).toBe(false);
    expect(form.errors['layers.0.filters']).toBe('Enter a number.');
    expect(fake.calls.some((c) => c.op === 'runs.start')).toBe(false);
  });

  it('starts the run with the validated config', async () => {
    const fake = setup({ 'runs.start': () => ({ runId: 'x' }) });
    const form = useRunFormStore();
    form.layerCount = 3;
    expect(await form.submit()).toBe(true);
    const sent = fake.calls.find((c) => c.op === 'runs.start')?.params as { config: RunConfig };
    expect(sent.config.layers).toHaveLength(3);
    expect(sent.config.pursuit.lambdas).toHaveLength(3);
    expect(form.geometry?.layers.map((g) => g.code)).toEqual([
      [8, 30, 30],
      [16, 28, 28],
      [32, 26, 26],
    ]);
  });

  it('inspects a data file and uses its shape for the geometry', async () => {
    setup({ 'data.inspect': ({ path }) => ({ path, shape: [1, 1, 28, 28], dtype: 'float32', min: 0, max: 1 }) });
    const form = useRunFormStore();
    form.form.source.kind = 'file';
    form.form.source.path = '/d/digit.npy';
    await form.inspect('/d/digit.npy');
    expect(form.dataInfo?.shape).toEqual([1, 1, 28, 28]);
    expect(form.geometry?.layers[0]!.code).toEqual([8, 12, 12]);
  });

  it('shows why a data file cannot be read', async () => {
    setup({
      'data.inspect': () => {
        throw new StudioError('invalid-input', 'cat.npy: unsupported dtype <c8');
      },
    });
    const form = useRunFormStore();
    await form.inspect('cat.npy');
    expect(form.dataInfo).toBeNull();
    expect(form.dataError).toBe('cat.npy: unsupported dtype <c8');
  });
});

describe('picker store', () => {
  const listing = (dir: string) => ({
    dir,
    parent: dir === '/' ? null : dirname(dir) || '/',
    roots: ['/'],
    entries: [
      { name: 'sub', path: `${dir}/sub`, kind: 'directory' as const },
      { name: 'a.png', path: `${dir}/a.png`, kind: 'file' as const, size: 10 },
      { name: 'b.txt', path: `${dir}/b.txt`, kind: 'file' as const, size: 10 },
    ],
  });

  it('in a browser, lists folders with files.list and resolves with the chosen file', async () => {
    const fake = setup({ 'files.list': ({ dir }) => listing(dir ?? '/home') });
    await useAppStore().init();
    const picker = usePickerStore();
    const chosen = picker.pickFile('Pick', [{ name: 'PNG', extensions: ['png'] }], '/data/old.png');
    await vi.waitFor(() => expect(picker.listing?.dir).toBe('/data'));
    expect(picker.entries.map((e) => e.name)).toEqual(['sub', 'a.png']);
    picker.filterIndex = 1; // "All files"
    expect(picker.entries.map((e) => e.name)).toEqual(['sub', 'a.png', 'b.txt']);
    await picker.navigate('/data/sub');
    picker.choose('/data/sub/a.png');
    expect(await chosen).toBe('/data/sub/a.png');
    expect(picker.request).toBeNull();
    expect(fake.calls.filter((c) => c.op === 'files.list').map((c) => c.params)).toEqual([{ dir: '/data' }, { dir: '/data/sub' }]);
  });

  it('resolves null on cancel and shows only folders when choosing a folder', async () => {
    setup({ 'files.list': ({ dir }) => listing(dir ?? '/home') });
    const picker = usePickerStore();
    const chosen = picker.pickDirectory('Folder');
    await vi.waitFor(() => expect(picker.listing?.dir).toBe('/home'));
    expect(picker.entries.map((e) => e.kind)).toEqual(['directory']);
    picker.cancel();
    expect(await chosen).toBeNull();
  });

  it('uses the native dialog in the desktop app', async () => {
    const fake = setup({ 'app.info': () => ({ ...INFO, host: 'electron' as const }), 'dialogs.openDirectory': () => ({ path: '/chosen' }) });
    await useAppStore().init();
    expect(await usePickerStore().pickDirectory('Folder')).toBe('/chosen');
    expect(fake.calls.some((c) => c.op === 'files.list')).toBe(false);
  });

  it('dirname handles POSIX, Windows and bare names', () => {
    expect(dirname('/a/b.png')).toBe('/a');
    expect(dirname('/b.png')).toBe('/');
    expect(dirname('C:\\d\\x.npy')).toBe('C:\\d');
    expect(dirname('x.npy')).toBe('');
  });
});

describe('run store and projects', () => {
  it('clears the run on show when another project is opened', async () => {
    setup({
      'projects.current': () => project(),
      'projects.recent': () => [],
      'projects.open': ({ dir }) => ({ ...project(), dir }),
      'runs.start': () => ({ runId: 'r9' }),
    });
    const projects = useProjectStore();
    await projects.init();
    const run = useRunStore();
    await run.start(CONFIG);
    expect(run.runId).toBe('r9');
    await projects.open('/other');
    await new Promise((r) => setTimeout(r, 0));
    expect(run.runId).toBeNull();
  });
});
