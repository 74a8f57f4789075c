/** Stores of run management and comfort: project edits (rename, notes, tags, delete/undo, save as), toasts, shortcuts, long-job notifications, interrupted runs. */
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StudioError, type EventPayload, type LearnConfig, type ProjectSummary, type RunConfig, type RunSummary } from '../../../src-shared/contract';
import { provideStudioClient } from '../client';
import { defaultForm, formToConfig } from '../lib/run-form';
import { deferred, fakeClient, type FakeHandlers } from '../testing/fake-client';
import { useAppStore } from './app';
import { resumeKind, useInterruptedStore } from './interrupted';
import { useLearnStore } from './learn';
import { endMessage, formatDuration, LONG_JOB_MS, useNotifyStore } from './notify';
import { useProjectStore } from './project';
import { useRunStore } from './run';
import { useShortcutStore } from './shortcuts';
import { TOAST_MS, UNDO_TOAST_MS, useToastStore } from './toasts';
import { useViewStore } from './view';

const INFO = { version: '0.1.0', onnxruntime: '1.30.0', providers: { available: ['cpu' as const], used: 'cpu' as const }, host: 'browser' as const };
const PURSUIT: RunConfig = formToConfig(defaultForm());
const LEARN: LearnConfig = { method: 'ksvd', data: { kind: 'sample', name: 'camera', downsample: 8, highPass: false }, params: { atoms: 32, sigma: 25 }, iterations: 10, seed: 0, checkpointEvery: 2 };

function summary(id: string, status: RunSummary['status'], extra: Partial<RunSummary> = {}): RunSummary {
  return { id, name: id, kind: 'pursuit', algorithm: 'ml-fista', status, createdAt: '2026-01-01T00:00:00Z', iterations: 0, ...extra };
}
const project = (runs: RunSummary[] = [], dir = '/p'): ProjectSummary => ({ dir, name: 'P', schemaVersion: 1, runs });
const status = (s: RunSummary, st: RunSummary['status'], error?: { code: 'internal'; message: string }): EventPayload<'run.status'> => ({ runId: s.id, status: st, summary: { ...s, status: st }, ...(error ? { error } : {}) });
const progress = (runId: string, fraction: number): EventPayload<'run.progress'> => ({ runId, fraction, totalIterations: 100, metrics: { iteration: Math.round(fraction * 100), objective: 1, density: [0.1], seconds: 1, layer: 1 } });

function setup(handlers: FakeHandlers = {}) {
  const fake = fakeClient({ 'app.info': () => INFO, 'projects.current': () => null, 'projects.recent': () => [], ...handlers });
  provideStudioClient(fake.client);
  setActivePinia(createPinia());
  return fake;
}

async function openProject(fake: ReturnType<typeof setup>, runs: RunSummary[]) {
  const store = useProjectStore();
  await store.init();
  fake.emit('project.changed', project(runs));
  return store;
}

beforeEach(() => {
  vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('toast store', () => {
  it('closes a toast by itself after its time; an undo toast stays longer', () => {
    vi.useFakeTimers();
    setup();
    const toasts = useToastStore();
    toasts.show('plain');
    toasts.show('undoable', { action: { label: 'Undo', run: () => {} } });
    vi.advanceTimersByTime(TOAST_MS + 1);
    expect(toasts.toasts.map((t) => t.message)).toEqual(['undoable']);
    vi.advanceTimersByTime(UNDO_TOAST_MS - TOAST_MS);
    expect(toasts.toasts).toEqual([]);
  });

  it('takes an action once and closes its toast; keeps at most four', async () => {
    setup();
    const toasts = useToastStore();
    const run = vi.fn();
    const id = toasts.show('x', { action: { label: 'Undo', run } });
    await toasts.act(id);
    await toasts.act(id);
    expect(run).toHaveBeenCalledOnce();
    expect(toasts.toasts).toEqual([]);
    for (let i = 0; i < 6; i++) toasts.show(`t${i}`);
    expect(toasts.toasts.map((t) => t.message)).toEqual(['t2', 't3', 't4', 't5']);
    toasts.clear();
  });
});

describe('project store: run edits', () => {
  it('renames, sets notes and tags through runs.update and shows the answer; saving is visible while a write is on its way', async () => {
    const answer = deferred<RunSummary>();
    const fake = setup({ 'runs.update': () => answer.promise });
    const store = await openProject(fake, [summary('a', 'finished')]);
    const pending = store.updateRun('a', { name: 'renamed', tags: ['x'] });
    expect(store.saving).toBe(true);
    expect(store.savedAt).toBeNull();
    answer.resolve(summary('a', 'finished', { name: 'renamed', tags: ['x'] }));
    expect(await pending).toMatchObject({ name: 'renamed' });
    expect(store.saving).toBe(false);
    expect(store.savedAt).not.toBeNull();
    expect(store.runs[0]).toMatchObject({ name: 'renamed', tags: ['x'] });
    expect(fake.calls.find((c) => c.op === 'runs.update')?.params).toEqual({ runId: 'a', name: 'renamed', tags: ['x'] });
  });

  it('reports a refused edit in the banner and leaves the run as it was', async () => {
    const fake = setup({ 'runs.update': () => Promise.reject(new StudioError('invalid-request', 'tags are one line of text')) });
    const store = await openProject(fake, [summary('a', 'finished')]);
    expect(await store.updateRun('a', { tags: ['bad'] })).toBeNull();
    expect(store.saving).toBe(false);
    expect(useAppStore().messages[0]).toMatchObject({ context: 'Saving the tags', message: 'tags are one line of text' });
    expect(store.runs[0]!.tags).toBeUndefined();
  });

  it('deletes a run, and Undo in the toast restores it from the trash', async () => {
    const fake = setup({ 'runs.delete': () => ({ deleted: true }), 'runs.restore': ({ runId }) => summary(runId, 'finished') });
    const store = await openProject(fake, [summary('a', 'finished'), summary('b', 'finished')]);
    expect(await store.deleteRun('a')).toBe(true);
    expect(store.runs.map((r) => r.id)).toEqual(['b']);
    const toasts = useToastStore();
    expect(toasts.toasts).toHaveLength(1);
    expect(toasts.toasts[0]!.message).toContain('Deleted');
    expect(toasts.toasts[0]!.timeoutMs).toBe(UNDO_TOAST_MS);
    await toasts.act(toasts.toasts[0]!.id);
    expect(fake.calls.map((c) => c.op)).toContain('runs.restore');
    expect(store.runs.map((r) => r.id).sort()).toEqual(['a', 'b']);
    toasts.clear();
  });

  it('a refused delete keeps the run and offers no undo', async () => {
    const fake = setup({ 'runs.delete': () => Promise.reject(new StudioError('invalid-request', 'run a is still running')) });
    const store = await openProject(fake, [summary('a', 'running')]);
    expect(await store.deleteRun('a')).toBe(false);
    expect(store.runs).toHaveLength(1);
    expect(useToastStore().toasts).toEqual([]);
    expect(useAppStore().messages[0]!.message).toContain('still running');
  });

  it('undo after another project was opened does not restore into the wrong project', async () => {
    const fake = setup({ 'runs.delete': () => ({ deleted: true }), 'runs.restore': ({ runId }) => summary(runId, 'finished') });
    const store = await openProject(fake, [summary('a', 'finished')]);
    await store.deleteRun('a');
    fake.emit('project.changed', project([], '/other'));
    const toasts = useToastStore();
    await toasts.act(toasts.toasts[0]!.id);
    expect(fake.calls.map((c) => c.op)).not.toContain('runs.restore');
    expect(useAppStore().messages[0]!.message).toContain('/p');
  });

  it('saves the project as a copy (name optional, trimmed) and offers the last project to reopen when none is open', async () => {
    const fake = setup({
      'projects.current': () => null,
      'projects.recent': () => [{ dir: '/old', name: 'Old', openedAt: '2026-01-01T00:00:00Z' }],
      'projects.saveAs': ({ dir, name }) => ({ ...project([], dir), name: name ?? 'P' }),
    });
    const store = useProjectStore();
    await store.init();
    expect(store.lastProject).toMatchObject({ dir: '/old' });
    fake.emit('project.changed', project([]));
    expect(store.lastProject).toBeNull();
    expect(await store.saveAs(' /copy ', '  ')).toBe(true);
    expect(fake.calls.find((c) => c.op === 'projects.saveAs')?.params).toEqual({ dir: '/copy' });
    expect(store.current).toMatchObject({ dir: '/copy' });
    await store.saveAs('/copy2', ' Copy 2 ');
    expect(fake.calls.filter((c) => c.op === 'projects.saveAs')[1]!.params).toEqual({ dir: '/copy2', name: 'Copy 2' });
    expect(store.current?.name).toBe('Copy 2');
  });
});

describe('project store: exports', () => {
  it('lists what a run can be exported as and fetches one export with the array asked for', async () => {
    const bytes = new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
    const fake = setup({
      'runs.exports': () => ({ arrays: [{ name: 'W1', dtype: 'float32', shape: [8, 1, 6, 6] }], formats: ['npz', 'npy', 'report'] }),
      'runs.export': ({ format, array }) => ({ name: format === 'npy' ? `${array}.npy` : `run.${format}`, mediaType: 'application/octet-stream', bytes }),
    });
    const store = await openProject(fake, [summary('a', 'finished')]);
    expect((await store.listExports('a'))?.arrays[0]).toEqual({ name: 'W1', dtype: 'float32', shape: [8, 1, 6, 6] });
    const file = await store.exportRun('a', 'npy', 'W1');
    expect(file?.name).toBe('W1.npy');
    expect(file?.bytes).toEqual(bytes);
    expect(fake.calls.filter((c) => c.op === 'runs.export').map((c) => c.params)).toEqual([{ runId: 'a', format: 'npy', array: 'W1' }]);
    await store.exportRun('a', 'npz');
    expect(fake.calls.filter((c) => c.op === 'runs.export')[1]!.params).toEqual({ runId: 'a', format: 'npz' });
  });

  it('says which export failed', async () => {
    const fake = setup({ 'runs.export': () => Promise.reject(new StudioError('not-found', 'run a has no W9.npy')) });
    const store = await openProject(fake, [summary('a', 'finished')]);
    expect(await store.exportRun('a', 'npy', 'W9')).toBeNull();
    expect(useAppStore().messages[0]).toMatchObject({ context: 'Exporting the run as W9.npy', message: 'run a has no W9.npy' });
  });
});

describe('notify store: title and long-job notices', () => {
  it('puts the progress of running jobs in the title and clears it when they end', async () => {
    const fake = setup();
    await openProject(fake, []);
    const notify = useNotifyStore();
    notify.init();
    const s = summary('l1', 'running', { kind: 'learning', algorithm: 'ksvd' });
    fake.emit('run.status', status(s, 'running'));
    expect(notify.title).toBe('… · Learn · Sparseland Studio');
    fake.emit('run.progress', progress('l1', 0.42));
    expect(notify.title).toBe('42% · Learn · Sparseland Studio');
    fake.emit('run.status', status(s, 'finished'));
    expect(notify.title).toBe('Sparseland Studio');
    // A quick job says nothing when it ends.
    expect(useToastStore().toasts).toEqual([]);
  });

  it('follows a job already running when the window opened', async () => {
    const fake = setup();
    await openProject(fake, [summary('p1', 'running')]);
    const notify = useNotifyStore();
    notify.init();
    fake.emit('run.progress', progress('p1', 0.5));
    expect(notify.title).toBe('50% · Pursuit · Sparseland Studio');
  });

  it('after a job longer than 10 s: a toast, and a system notification only when wanted and allowed in a browser', async () => {
    vi.useFakeTimers();
    const shown: { title: string; body?: string }[] = [];
    class FakeNotification {
      static permission: NotificationPermission = 'default';
      static requestPermission = vi.fn(async () => (FakeNotification.permission = 'granted'));
      constructor(title: string, options?: NotificationOptions) {
        shown.push({ title, ...(options?.body ? { body: options.body } : {}) });
      }
    }
    vi.stubGlobal('Notification', FakeNotification);
    const fake = setup();
    await openProject(fake, []);
    const notify = useNotifyStore();
    notify.init();
    const s = summary('p1', 'running', { name: 'big sweep' });

    fake.emit('run.status', status(s, 'running'));
    vi.advanceTimersByTime(LONG_JOB_MS + 2_000);
    fake.emit('run.status', status(s, 'finished'));
    expect(useToastStore().toasts.map((t) => t.message)).toEqual(['Pursuit “big sweep” finished after 12 s.']);
    expect(shown).toEqual([]);

    await notify.setWanted(true);
    expect(FakeNotification.requestPermission).toHaveBeenCalledOnce();
    expect(notify.systemNotifications).toBe(true);
    fake.emit('run.status', status(s, 'running'));
    vi.advanceTimersByTime(LONG_JOB_MS + 1);
    fake.emit('run.status', status(s, 'failed', { code: 'internal', message: 'out of memory' }));
    expect(shown).toHaveLength(1);
    expect(shown[0]!.body).toContain('failed after 10 s: out of memory');
    useToastStore().clear();
  });

  it('leaves system notifications to the desktop app’s main process', async () => {
    vi.stubGlobal('Notification', class {
      static permission = 'granted';
    });
    setup({ 'app.info': () => ({ ...INFO, host: 'electron' as const }) });
    await useAppStore().init();
    const notify = useNotifyStore();
    await notify.setWanted(true);
    expect(notify.permission).toBe('granted');
    expect(notify.systemNotifications).toBe(false);
  });

  it('words the endings and durations', () => {
    expect(formatDuration(65_000)).toBe('1 min 5 s');
    expect(formatDuration(120_000)).toBe('2 min');
    expect(formatDuration(3_720_000)).toBe('1 h 2 min');
    expect(endMessage(summary('x', 'cancelled'), 20_000)).toBeUndefined();
    expect(endMessage(summary('x', 'interrupted', { kind: 'phase', name: 'grid' }), 20_000)?.text).toBe('Phase transition “grid” was interrupted after 20 s.');
  });
});

describe('shortcut store', () => {
  const ev = (key: string, extra: Record<string, unknown> = {}) => ({ key, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, target: null, preventDefault: vi.fn(), ...extra });

  it('listens on the window, runs the handler of the shortcut and stops when uninstalled', () => {
    setup();
    const store = useShortcutStore();
    store.mac = false;
    const target = new EventTarget();
    const start = vi.fn();
    const off = store.install(target, { 'run.start': start });
    const e = Object.assign(new Event('keydown', { cancelable: true }), { key: 'Enter', ctrlKey: true, metaKey: false, shiftKey: false, altKey: false });
    target.dispatchEvent(e);
    expect(start).toHaveBeenCalledOnce();
    expect(e.defaultPrevented).toBe(true);
    off();
    target.dispatchEvent(Object.assign(new Event('keydown'), { key: 'Enter', ctrlKey: true, metaKey: false, shiftKey: false, altKey: false }));
    expect(start).toHaveBeenCalledOnce();
  });

  it('opens help (F1) and closes it with Escape before any other Escape handler; leaves typing alone', () => {
    setup();
    const store = useShortcutStore();
    store.mac = false;
    const close = vi.fn();
    const view = vi.fn();
    store.install(new EventTarget(), { 'dialog.close': close, 'view.learn': view });
    expect(store.handle(ev('F1'))).toBe(true);
    expect(store.helpOpen).toBe(true);
    store.handle(ev('Escape'));
    expect(store.helpOpen).toBe(false);
    expect(close).not.toHaveBeenCalled();
    store.handle(ev('Escape'));
    expect(close).toHaveBeenCalledOnce();
    const typing = ev('3', { target: { tagName: 'INPUT', type: 'text' } });
    expect(store.handle(typing)).toBe(false);
    expect(typing.preventDefault).not.toHaveBeenCalled();
    expect(store.handle(ev('3'))).toBe(true);
    expect(view).toHaveBeenCalledOnce();
    // A shortcut without a handler leaves the key to the page.
    const unhandled = ev('o', { ctrlKey: true });
    expect(store.handle(unhandled)).toBe(false);
    expect(unhandled.preventDefault).not.toHaveBeenCalled();
  });
});

describe('interrupted runs', () => {
  const interruptedLearn = summary('s1', 'interrupted', { kind: 'learning', algorithm: 'ksvd', checkpointIteration: 4, name: 'ksvd long' });
  const interruptedPursuit = summary('p1', 'interrupted', { name: 'fista long' });

  it('lists the interrupted runs of the open project; Later hides them for this project only', async () => {
    const fake = setup();
    await openProject(fake, [interruptedLearn, interruptedPursuit, summary('ok', 'finished')]);
    const store = useInterruptedStore();
    expect(store.runs.map((r) => r.id).sort()).toEqual(['p1', 's1']);
    store.later();
    expect(store.runs).toEqual([]);
    fake.emit('project.changed', project([summary('q', 'interrupted')], '/other'));
    expect(store.runs.map((r) => r.id)).toEqual(['q']);
    expect(resumeKind(interruptedLearn)).toBe('checkpoint');
    expect(resumeKind({ kind: 'learning' })).toBe('restart');
    expect(resumeKind(interruptedPursuit)).toBe('restart');
  });

  it('resumes a learning session from its checkpoint with sessions.resume and shows it in Learn', async () => {
    const fake = setup({
      'sessions.methods': () => [],
      'runs.get': ({ runId }) => ({ summary: runId === 's1' ? interruptedLearn : interruptedPursuit, config: LEARN, metrics: [] }),
      'runs.preview': () => Promise.reject(new StudioError('not-found', 'no preview')),
      'sessions.resume': ({ runId }) => ({ runId }),
    });
    await openProject(fake, [interruptedLearn]);
    const store = useInterruptedStore();
    expect(await store.resume(interruptedLearn)).toBe(true);
    expect(fake.calls.find((c) => c.op === 'sessions.resume')?.params).toEqual({ runId: 's1' });
    expect(useViewStore().view).toBe('learn');
    expect(useLearnStore().liveRunId).toBe('s1');
    fake.emit('run.status', status(interruptedLearn, 'queued'));
    expect(store.runs).toEqual([]);
  });

  it('starts a pursuit run again with the same settings (runs.get + runs.start); the old one leaves the banner', async () => {
    const fake = setup({
      'runs.get': () => ({ summary: interruptedPursuit, config: PURSUIT, metrics: [] }),
      'runs.start': () => ({ runId: 'p2' }),
    });
    await openProject(fake, [interruptedPursuit]);
    const store = useInterruptedStore();
    useViewStore().show('data');
    expect(await store.resume(interruptedPursuit)).toBe(true);
    expect(fake.calls.find((c) => c.op === 'runs.start')?.params).toEqual({ config: PURSUIT });
    expect(useViewStore().view).toBe('pursuit');
    expect(useRunStore().runId).toBe('p2');
    expect(store.runs).toEqual([]);
  });

  it('a refused restart keeps the run in the banner and says why', async () => {
    const fake = setup({
      'runs.get': () => ({ summary: interruptedPursuit, config: PURSUIT, metrics: [] }),
      'runs.start': () => Promise.reject(new StudioError('no-project', 'open a project first')),
    });
    await openProject(fake, [interruptedPursuit]);
    const store = useInterruptedStore();
    expect(await store.resume(interruptedPursuit)).toBe(false);
    expect(store.runs.map((r) => r.id)).toEqual(['p1']);
    expect(useAppStore().messages[0]!.message).toBe('open a project first');
  });

  it('discards to the trash; undone, the run is listed again', async () => {
    const fake = setup({ 'runs.delete': () => ({ deleted: true }), 'runs.restore': () => interruptedPursuit });
    await openProject(fake, [interruptedPursuit]);
    const store = useInterruptedStore();
    expect(await store.discard(interruptedPursuit)).toBe(true);
    expect(store.runs).toEqual([]);
    const toasts = useToastStore();
    await toasts.act(toasts.toasts[0]!.id);
    expect(store.runs.map((r) => r.id)).toEqual(['p1']);
    toasts.clear();
  });
});
