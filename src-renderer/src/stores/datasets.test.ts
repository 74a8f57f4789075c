import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { nextTick } from 'vue';
import { float32Tensor, StudioError, type DatasetPreview, type DatasetSummary, type MethodSpec, type ProjectSummary } from '../../../src-shared/contract';
import { provideStudioClient } from '../client';
import { deferred, fakeClient, type FakeHandlers } from '../testing/fake-client';
import { useAppStore } from './app';
import { useDatasetsStore, type DroppedFile } from './datasets';
import { useLearnStore } from './learn';
import { useLearnFormStore } from './learn-form';
import { useProjectStore } from './project';

const INFO = { version: '0.1.0', onnxruntime: '1.30.0', providers: { available: ['cpu' as const], used: 'cpu' as const }, host: 'browser' as const };

function dataset(id: string, extra: Partial<DatasetSummary> = {}): DatasetSummary {
  return {
    id,
    name: id,
    format: 'npy',
    source: `/data/${id}.npy`,
    stored: 'reference',
    sourceDtype: 'float32',
    sourceShape: [4, 8, 8],
    preprocessing: [],
    stats: { shape: [4, 1, 8, 8], min: 0, max: 1, mean: 0.5, std: 0.25, perChannel: [{ min: 0, max: 1, mean: 0.5, std: 0.25 }] },
    createdAt: '2026-01-01T00:00:00Z',
    files: { data: `datasets/${id}/data.npy` },
    ...extra,
  };
}

function project(datasets?: DatasetSummary[], dir = '/p'): ProjectSummary {
  return { dir, name: 'P', schemaVersion: 2, runs: [], ...(datasets ? { datasets } : {}) };
}

const previewOf = (id: string): DatasetPreview => ({ id, thumbnails: float32Tensor([2, 2, 2], new Float32Array([0, 1, 0.5, 0.25, 1, 0, 0.5, 0.75])), stats: dataset(id).stats });

function file(name: string, bytes: number[] = [1, 2, 3], path: string | null = null): DroppedFile & { reads: number } {
  const f = {
    name,
    size: bytes.length,
    path,
    reads: 0,
    async read() {
      f.reads++;
      return new Uint8Array(bytes);
    },
  };
  return f;
}

function setup(handlers: FakeHandlers = {}) {
  const fake = fakeClient({ 'app.info': () => INFO, 'datasets.preview': ({ id }) => previewOf(id), ...handlers });
  provideStudioClient(fake.client);
  setActivePinia(createPinia());
  return fake;
}

/** A project is open with these data sets, and the datasets store follows it. */
async function opened(list: DatasetSummary[] | undefined, handlers: FakeHandlers = {}) {
  const fake = setup({ 'projects.current': () => project(list), 'projects.recent': () => [], ...handlers });
  const p = useProjectStore();
  await p.init();
  const store = useDatasetsStore();
  store.init();
  await nextTick();
  return { fake, store, project: p };
}

beforeEach(() => {
  vi.spyOn(console, 'error').mockImplementation(() => {});
});

describe('datasets store: the list', () => {
  it('mirrors the project summary, newest first, and follows project.changed', async () => {
    const { fake, store } = await opened([dataset('old', { createdAt: '2026-01-01T00:00:00Z' }), dataset('new', { createdAt: '2026-02-01T00:00:00Z' })]);
    expect(store.list.map((d) => d.id)).toEqual(['new', 'old']);
    expect(fake.calls.filter((c) => c.op === 'datasets.list')).toHaveLength(0);
    fake.emit('project.changed', project([dataset('new'), dataset('third', { createdAt: '2026-03-01T00:00:00Z' })]));
    await nextTick();
    expect(store.list.map((d) => d.id)).toEqual(['third', 'new']);
  });

  it('asks datasets.list when the summary does not carry the list (an older host)', async () => {
    const { fake, store } = await opened(undefined, { 'datasets.list': () => [dataset('a')] });
    await vi.waitFor(() => expect(store.list.map((d) => d.id)).toEqual(['a']));
    expect(fake.calls.filter((c) => c.op === 'datasets.list')).toHaveLength(1);
  });

  it('forgets the selection and previews when another project opens', async () => {
    const { fake, store } = await opened([dataset('a')]);
    await store.select('a');
    expect(store.preview?.id).toBe('a');
    fake.emit('project.changed', project([dataset('a')], '/other'));
    await nextTick();
    expect(store.selectedId).toBeNull();
    expect(store.preview).toBeNull();
    // The same id in another project is another data set: asked for again.
    await store.select('a');
    expect(fake.calls.filter((c) => c.op === 'datasets.preview')).toHaveLength(2);
  });
});

describe('datasets store: preview', () => {
  it('loads the preview of the selected data set once, and shows the latest choice when answers cross', async () => {
    const slow = deferred<DatasetPreview>();
    const { fake, store } = await opened([dataset('a'), dataset('b')], { 'datasets.preview': ({ id }) => (id === 'a' ? slow.promise : previewOf(id)) });
    const first = store.select('a');
    expect(store.previewLoading).toBe(true);
    await store.select('b');
    expect(store.preview?.id).toBe('b');
    slow.resolve(previewOf('a'));
    await first;
    expect(store.preview?.id).toBe('b');
    expect(store.previewLoading).toBe(false);
    await store.select('a');
    expect(store.preview?.id).toBe('a');
    expect(fake.calls.filter((c) => c.op === 'datasets.preview')).toHaveLength(2);
  });

  it('reports a failed preview in the banner and keeps its message for the view', async () => {
    const { store } = await opened([dataset('a')], {
      'datasets.preview': () => {
        throw new StudioError('not-found', 'data.npy of a is missing');
      },
    });
    await store.select('a');
    expect(store.preview).toBeNull();
    expect(store.previewError).toBe('data.npy of a is missing');
    expect(useAppStore().messages[0]).toMatchObject({ context: 'Showing the data set', code: 'not-found' });
  });
});

describe('datasets store: import and remove', () => {
  it('imports by path, adds and selects the new data set, busy meanwhile', async () => {
    const answer = deferred<DatasetSummary>();
    const { fake, store } = await opened([], { 'datasets.import': () => answer.promise });
    const params = { path: '/d/x.npz', array: 'x', stored: 'copy' as const, preprocessing: [{ op: 'scale01' as const }] };
    const pending = store.importPath(params);
    expect(store.importing).toBe(true);
    answer.resolve(dataset('x1', { format: 'npz' }));
    expect((await pending)?.id).toBe('x1');
    expect(store.importing).toBe(false);
    expect(fake.calls.find((c) => c.op === 'datasets.import')?.params).toEqual(params);
    expect(store.list.map((d) => d.id)).toEqual(['x1']);
    expect(store.selectedId).toBe('x1');
    await vi.waitFor(() => expect(store.preview?.id).toBe('x1'));
  });

  it('shows a refused import inline and in the banner, naming the file', async () => {
    const { store } = await opened([], {
      'datasets.import': () => {
        throw new StudioError('invalid-input', '/d/bad.png: content is a JPEG image, but the name says a PNG image');
      },
    });
    expect(await store.importPath({ path: '/d/bad.png' })).toBeNull();
    expect(store.importError).toContain('bad.png');
    expect(useAppStore().messages[0]).toMatchObject({ context: 'Importing /d/bad.png', code: 'invalid-input' });
    expect(store.list).toEqual([]);
  });

  it('removes a data set and clears the selection; a failure keeps it and says so', async () => {
    let fail = true;
    const { store } = await opened([dataset('a'), dataset('b')], {
      'datasets.remove': ({ id }) => {
        if (fail) throw new StudioError('internal', `cannot remove ${id}`);
        return { removed: true };
      },
    });
    await store.select('a');
    expect(await store.remove('a')).toBe(false);
    expect(store.list.map((d) => d.id).sort()).toEqual(['a', 'b']);
    expect(useAppStore().messages[0]?.message).toBe('cannot remove a');
    fail = false;
    expect(await store.remove('a')).toBe(true);
    expect(store.list.map((d) => d.id)).toEqual(['b']);
    expect(store.selectedId).toBeNull();
  });
});

describe('datasets store: dropped files', () => {
  it('in the browser uploads several images as one image folder and each other file alone, reporting each', async () => {
    let n = 0;
    const { fake, store } = await opened([], {
      'datasets.upload': ({ files }) => {
        if (files[0]!.name === 'broken.npy') throw new StudioError('invalid-input', 'broken.npy: not a NumPy file');
        return dataset(`u${++n}`, { name: files.length > 1 ? 'imgs' : files[0]!.name });
      },
    });
    const drop = [file('a.png', [1]), file('broken.npy', [9]), file('b.png', [2, 3]), file('s.csv', [4])];
    const outcomes = await store.importDropped(drop);
    const uploads = fake.calls.filter((c) => c.op === 'datasets.upload').map((c) => c.params as { files: { name: string; bytes: Uint8Array }[]; name: string });
    expect(uploads.map((u) => u.files.map((f) => f.name))).toEqual([['a.png', 'b.png'], ['broken.npy'], ['s.csv']]);
    expect(Array.from(uploads[0]!.files[1]!.bytes)).toEqual([2, 3]);
    expect(uploads[0]!.name).toBe('a (2 images)');
    expect(outcomes.map((o) => [o.name, o.ok])).toEqual([
      ['a.png', true],
      ['b.png', true],
      ['broken.npy', false],
      ['s.csv', true],
    ]);
    expect(outcomes.find((o) => o.name === 'broken.npy')?.message).toBe('broken.npy: not a NumPy file');
    expect(store.dropOutcomes).toEqual(outcomes);
    expect(store.list).toHaveLength(2);
    expect(useAppStore().messages).toHaveLength(1);
    expect(useAppStore().messages[0]!.message).toContain('broken.npy');
    expect(store.dropping).toBe(false);
  });

  it('in the desktop app imports a file by its path without reading it; several images still go up as one folder', async () => {
    const { fake, store } = await opened([], { 'datasets.import': ({ path }) => dataset('p1', { source: path }), 'datasets.upload': () => dataset('u1') });
    const npy = file('x.npy', [1], '/data/x.npy');
    const imgs = [file('a.png', [1], '/data/a.png'), file('b.png', [2], '/other/b.png')];
    await store.importDropped([npy, ...imgs]);
    expect(fake.calls.find((c) => c.op === 'datasets.import')?.params).toEqual({ path: '/data/x.npy', stored: 'reference', preprocessing: [] });
    expect(npy.reads).toBe(0);
    expect(imgs.map((f) => f.reads)).toEqual([1, 1]);
    expect(store.list.map((d) => d.id).sort()).toEqual(['p1', 'u1']);
  });

  it('refuses a drop too large to upload before reading it, and names the file', async () => {
    const { fake, store } = await opened([], { 'datasets.upload': () => dataset('u') });
    const big = { ...file('huge.npy'), size: 600 * 1024 * 1024 };
    const [o] = await store.importDropped([big]);
    expect(o).toMatchObject({ name: 'huge.npy', ok: false });
    expect(o!.message).toMatch(/more than a browser may upload/);
    expect(big.reads).toBe(0);
    expect(fake.calls.filter((c) => c.op === 'datasets.upload')).toHaveLength(0);
  });

  it('says which file could not be read (a folder dropped in the browser)', async () => {
    const { store } = await opened([], { 'datasets.upload': () => dataset('u') });
    const folder: DroppedFile = { name: 'pics', size: 0, path: null, read: () => Promise.reject(new Error('NotReadableError')) };
    const [o] = await store.importDropped([folder]);
    expect(o).toMatchObject({ name: 'pics', ok: false });
    expect(o!.message).toMatch(/^pics could not be read .*NotReadableError/);
  });
});

describe('learn form: a data set of the project', () => {
  const WITH_DATASET: MethodSpec = { method: 'cdl', title: 'CDL', citation: 'c', summary: 's', data: ['sample', 'dataset'], defaultIterations: 30, params: [] };
  const WITHOUT: MethodSpec = { ...WITH_DATASET, method: 'ksvd', title: 'K-SVD', data: ['sample', 'file'] };

  async function learnSetup(methods: MethodSpec[], list: DatasetSummary[]) {
    const ctx = await opened(list, { 'sessions.methods': () => methods, 'sessions.start': () => ({ runId: 'r1' }), 'runs.get': () => new Promise(() => {}) });
    await useLearnStore().loadMethods();
    const form = useLearnFormStore();
    await nextTick();
    return { ...ctx, form };
  }

  it('switches to a method that learns from data sets and starts with {kind: dataset, id, split}', async () => {
    const { fake, form } = await learnSetup([WITHOUT, WITH_DATASET], [dataset('d1', { stats: { ...dataset('d1').stats, testItems: 2 } })]);
    expect(form.form.method).toBe('ksvd');
    expect(form.useDataset('d1', 'test')).toBe(true);
    expect(form.form.method).toBe('cdl');
    expect(form.form.data).toMatchObject({ kind: 'dataset', datasetId: 'd1', datasetSplit: 'test' });
    expect(await form.submit()).toBe(true);
    const started = fake.calls.find((c) => c.op === 'sessions.start')?.params as { config: { data: unknown } };
    expect(started.config.data).toEqual({ kind: 'dataset', id: 'd1', split: 'test' });
  });

  it('refuses a test split the data set does not have, and a data set no longer in the project', async () => {
    const { fake, form } = await learnSetup([WITH_DATASET], [dataset('d1')]);
    form.useDataset('d1', 'test');
    expect(await form.submit()).toBe(false);
    expect(form.errors['data.split']).toMatch(/d1 has no test split/);
    form.form.data.datasetSplit = 'train';
    fake.emit('project.changed', project([]));
    await nextTick();
    expect(await form.submit()).toBe(false);
    expect(form.errors['data.id']).toBe('The data set d1 is no longer in this project; choose another.');
  });

  it('warns when no method on offer learns from data sets, keeping the choice for later', async () => {
    const { form } = await learnSetup([WITHOUT], [dataset('d1')]);
    expect(form.useDataset('d1')).toBe(false);
    expect(form.form.method).toBe('ksvd');
    expect(form.form.data.kind).toBe('sample');
    expect(form.form.data.datasetId).toBe('d1');
    expect(useAppStore().messages[0]).toMatchObject({ severity: 'warning', context: 'Training on a data set' });
  });
});
