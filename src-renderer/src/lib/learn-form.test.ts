import { describe, expect, it } from 'vitest';
import { LearnConfig, type MethodSpec, type ParamSpec } from '../../../src-shared/contract';
import {
  checkDatasetChoice,
  checkParam,
  describeLearnData,
  checkParams,
  defaultLearnForm,
  defaultParams,
  formData,
  hasTestSplit,
  learnConfigToForm,
  learnFieldKeys,
  learnFormToConfig,
  paramInput,
  paramRange,
  validateLearnForm,
  withMethod,
} from './learn-form';

/** Specs in the shape sessions.methods answers with (one of each parameter kind). */
const KSVD: MethodSpec = {
  method: 'ksvd',
  title: 'K-SVD (patches)',
  citation: 'Aharon, Elad, Bruckstein, IEEE TSP 2006',
  summary: 'OMP coding, then rank-1 atom updates.',
  data: ['sample', 'file'],
  defaultIterations: 10,
  params: [
    { name: 'patchSize', label: 'Patch size', kind: 'integer', default: 8, min: 4, max: 16, help: 'Patches are √n×√n.' },
    { name: 'sigma', label: 'Noise σ', kind: 'number', default: 25, min: 0, max: 100, help: 'Added noise.' },
    { name: 'replaceAtoms', label: 'Replace unused atoms', kind: 'boolean', default: true, help: 'Replace unused atoms.' },
  ],
};

const MLCSC: MethodSpec = {
  method: 'mlcsc-unsupervised',
  title: 'ML-CSC dictionary learning',
  citation: 'Sulam et al., IEEE TSP 2018',
  summary: 'Projection pursuit, then gradient steps.',
  data: ['mnist', 'sample', 'file'],
  defaultIterations: 100,
  params: [
    { name: 'filters', label: 'Filters per layer', kind: 'integers', default: [32, 64], help: 'mᵢ per layer.' },
    { name: 'kernels', label: 'Kernels per layer', kind: 'integers', default: [7, 5], max: 32, help: 'kᵢ per layer.' },
    { name: 'lambda', label: 'λ', kind: 'number', default: 0.1, min: 0, max: 10, help: 'ℓ1 weight.' },
  ],
};

const UNROLLED: MethodSpec = {
  method: 'unrolled-supervised',
  title: 'Unrolled ML-CSC network',
  citation: 'Sulam, Aberdam, Beck, Elad, TPAMI 2019',
  summary: 'A pursuit unrolled T times.',
  data: ['mnist'],
  defaultIterations: 500,
  params: [
    { name: 'unrolling', label: 'Pursuit', kind: 'choice', default: 'ml-fista', choices: ['cnn', 'ml-ista', 'ml-fista'], help: 'cnn is T = 0.' },
    { name: 'T', label: 'Unfoldings', kind: 'integer', default: 6, min: 0, max: 20, help: 'Iterations inside.' },
  ],
};

const spec = (over: Partial<ParamSpec>): ParamSpec => ({ name: 'p', label: 'P', kind: 'number', default: 0, help: '', ...over });

describe('spec → default parameters', () => {
  it('takes every default, lists as "a, b" text and booleans as booleans', () => {
    expect(defaultParams(KSVD)).toEqual({ patchSize: 8, sigma: 25, replaceAtoms: true });
    expect(defaultParams(MLCSC)).toEqual({ filters: '32, 64', kernels: '7, 5', lambda: 0.1 });
    expect(defaultParams(UNROLLED)).toEqual({ unrolling: 'ml-fista', T: 6 });
  });

  it('a fresh form for a method: its defaults, its default iterations, a data kind it accepts', () => {
    const f = defaultLearnForm(UNROLLED);
    expect(f.method).toBe('unrolled-supervised');
    expect(f.iterations).toBe(500);
    expect(f.data.kind).toBe('mnist');
    expect(f.checkpointEvery).toBe(10);
    // Without specs there is no method yet.
    expect(defaultLearnForm().method).toBe('');
  });

  it('switching method keeps name, seed, checkpoints and a data kind the new method accepts', () => {
    const f = { ...defaultLearnForm(MLCSC), name: 'mine', seed: 7, checkpointEvery: 3 };
    f.data.kind = 'mnist';
    const g = withMethod(f, KSVD);
    expect(g).toMatchObject({ name: 'mine', seed: 7, checkpointEvery: 3, method: 'ksvd', iterations: 10, params: defaultParams(KSVD) });
    expect(g.data.kind).toBe('sample'); // K-SVD does not learn from MNIST
    expect(withMethod(g, MLCSC).data.kind).toBe('sample'); // accepted: kept
  });

  it('paramRange and paramInput describe bounds and show values', () => {
    expect(paramRange(KSVD.params[0]!)).toBe('4–16');
    expect(paramRange(spec({ min: 0 }))).toBe('≥ 0');
    expect(paramRange(spec({ max: 3 }))).toBe('≤ 3');
    expect(paramRange(spec({ kind: 'boolean', default: true }))).toBe('');
    expect(paramInput(MLCSC.params[0]!, [1, 2, 3])).toBe('1, 2, 3');
    expect(paramInput(KSVD.params[2]!, false)).toBe(false);
  });
});

describe('parameter validation against the spec', () => {
  it('numbers: finite, within [min, max]; text that is not a number is refused', () => {
    const sigma = KSVD.params[1]!;
    expect(checkParam(sigma, 12.5)).toEqual({ ok: true, value: 12.5 });
    expect(checkParam(sigma, ' 30 ')).toEqual({ ok: true, value: 30 });
    expect(checkParam(sigma, '')).toEqual({ ok: false, error: 'Enter a number.' });
    expect(checkParam(sigma, 'abc')).toEqual({ ok: false, error: 'Enter a number.' });
    expect(checkParam(sigma, -1)).toEqual({ ok: false, error: 'Must be at least 0.' });
    expect(checkParam(sigma, 101)).toEqual({ ok: false, error: 'Must be at most 100.' });
    expect(checkParam(sigma, undefined)).toEqual({ ok: false, error: 'Enter a number.' });
  });

  it('integers must be whole and within bounds', () => {
    const patch = KSVD.params[0]!;
    expect(checkParam(patch, 8)).toEqual({ ok: true, value: 8 });
    expect(checkParam(patch, 7.5)).toEqual({ ok: false, error: 'Enter a whole number.' });
    expect(checkParam(patch, 3)).toEqual({ ok: false, error: 'Must be at least 4.' });
    expect(checkParam(patch, 17)).toEqual({ ok: false, error: 'Must be at most 16.' });
    expect(checkParam(UNROLLED.params[1]!, 0)).toEqual({ ok: true, value: 0 });
  });

  it('lists: comma- or space-separated whole numbers ≥ 1, each within the bounds', () => {
    const filters = MLCSC.params[0]!;
    const kernels = MLCSC.params[1]!;
    expect(checkParam(filters, '32, 64, 128')).toEqual({ ok: true, value: [32, 64, 128] });
    expect(checkParam(filters, '16 32')).toEqual({ ok: true, value: [16, 32] });
    expect(checkParam(filters, '8,')).toEqual({ ok: true, value: [8] });
    expect(checkParam(filters, 12)).toEqual({ ok: true, value: [12] });
    expect(checkParam(filters, '')).toMatchObject({ ok: false, error: expect.stringContaining('separated by commas') });
    expect(checkParam(filters, '32, 6.5')).toEqual({ ok: false, error: '"6.5" is not a whole number.' });
    expect(checkParam(filters, '32, x')).toEqual({ ok: false, error: '"x" is not a whole number.' });
    expect(checkParam(filters, '32, 0')).toEqual({ ok: false, error: 'Value 2 (0): Must be at least 1.' });
    expect(checkParam(kernels, '7, 33')).toEqual({ ok: false, error: 'Value 2 (33): Must be at most 32.' });
    expect(checkParam(filters, Array.from({ length: 65 }, () => '1').join(','))).toEqual({ ok: false, error: 'At most 64 values.' });
  });

  it('booleans and choices', () => {
    expect(checkParam(KSVD.params[2]!, false)).toEqual({ ok: true, value: false });
    expect(checkParam(KSVD.params[2]!, 'yes')).toMatchObject({ ok: false });
    expect(checkParam(UNROLLED.params[0]!, 'cnn')).toEqual({ ok: true, value: 'cnn' });
    expect(checkParam(UNROLLED.params[0]!, 'lista')).toEqual({ ok: false, error: 'Choose one of cnn, ml-ista, ml-fista.' });
  });

  it('checks all parameters of a method, errors keyed params.<name>', () => {
    const r = checkParams(MLCSC, { filters: '8, 16', kernels: '5, x', lambda: 20 });
    expect(r.values).toEqual({ filters: [8, 16] });
    expect(r.errors).toEqual({ 'params.kernels': '"x" is not a whole number.', 'params.lambda': 'Must be at most 10.' });
  });
});

describe('form → LearnConfig', () => {
  it('the default form of every method is a valid LearnConfig with typed parameters', () => {
    for (const s of [KSVD, MLCSC, UNROLLED]) {
      const v = validateLearnForm(defaultLearnForm(s), s);
      expect(v.ok, s.method).toBe(true);
      if (!v.ok) continue;
      expect(LearnConfig.parse(v.config)).toEqual(v.config);
      expect(v.config.method).toBe(s.method);
      expect(v.config.iterations).toBe(s.defaultIterations);
    }
    const v = validateLearnForm(defaultLearnForm(MLCSC), MLCSC);
    expect(v.ok && v.config.params).toEqual({ filters: [32, 64], kernels: [7, 5], lambda: 0.1 });
  });

  it('converts each kind of data, trims the name and the path', () => {
    const f = defaultLearnForm(MLCSC);
    f.name = '  first try ';
    f.data = { ...f.data, kind: 'sample', sample: 'brick', downsample: 4, highPass: true };
    expect(formData(f)).toEqual({ kind: 'sample', name: 'brick', downsample: 4, highPass: true });
    f.data = { ...f.data, kind: 'mnist', split: 'test', count: 64 };
    expect(formData(f)).toEqual({ kind: 'mnist', split: 'test', count: 64 });
    f.data = { ...f.data, kind: 'file', path: ' /data/x.npy ' };
    f.iterations = 5;
    f.seed = 3;
    f.checkpointEvery = 2;
    const { config, paramErrors } = learnFormToConfig(f, MLCSC);
    expect(paramErrors).toEqual({});
    expect(config).toEqual({ name: 'first try', method: 'mlcsc-unsupervised', data: { kind: 'file', path: '/data/x.npy' }, params: { filters: [32, 64], kernels: [7, 5], lambda: 0.1 }, iterations: 5, seed: 3, checkpointEvery: 2 });
  });

  it('drops parameters of another method and leaves out a blank name', () => {
    const f = { ...defaultLearnForm(KSVD), params: { ...defaultParams(KSVD), stale: 1 } };
    const { config } = learnFormToConfig(f, KSVD);
    expect(Object.keys(config.params)).toEqual(['patchSize', 'sigma', 'replaceAtoms']);
    expect('name' in config).toBe(false);
  });

  it('reports schema errors, bound errors and a data kind the method does not accept, by field', () => {
    const f = defaultLearnForm(KSVD);
    f.iterations = 0;
    f.seed = '';
    f.checkpointEvery = 1.5;
    f.data.downsample = 9;
    f.params.patchSize = 20;
    const v = validateLearnForm(f, KSVD);
    expect(v.ok).toBe(false);
    expect(v.errors).toEqual({
      iterations: 'Must be at least 1.',
      seed: 'Enter a number.',
      checkpointEvery: 'Enter a whole number.',
      'data.downsample': 'Must be at most 8.',
      'params.patchSize': 'Must be at most 16.',
    });
    const g = { ...defaultLearnForm(KSVD), data: { ...defaultLearnForm(KSVD).data, kind: 'mnist' as const } };
    expect(validateLearnForm(g, KSVD).errors['data.kind']).toMatch(/K-SVD \(patches\) learns from bundled sample image or file/);
    const h = { ...defaultLearnForm(KSVD), data: { ...defaultLearnForm(KSVD).data, kind: 'file' as const, path: '   ' } };
    expect(validateLearnForm(h, KSVD).errors['data.path']).toBe('Required.');
    expect(validateLearnForm(defaultLearnForm(), null)).toEqual({ ok: false, errors: { method: 'Choose a learning method.' } });
  });

  it('every error a form can produce has a field that shows it', () => {
    const keys = new Set(learnFieldKeys(MLCSC));
    for (const k of ['params.filters', 'params.kernels', 'params.lambda', 'data.count', 'iterations', 'checkpointEvery']) expect(keys.has(k), k).toBe(true);
  });

  it('a saved config goes back into the form and out again unchanged', () => {
    const config: LearnConfig = { name: 'saved', method: 'mlcsc-unsupervised', data: { kind: 'mnist', split: 'train', count: 256 }, params: { filters: [8, 16], lambda: 0.2 }, iterations: 40, seed: 9, checkpointEvery: 5 };
    const f = learnConfigToForm(config, MLCSC);
    expect(f.params).toEqual({ filters: '8, 16', kernels: '7, 5', lambda: 0.2 });
    const v = validateLearnForm(f, MLCSC);
    expect(v.ok && v.config).toEqual({ ...config, params: { filters: [8, 16], kernels: [7, 5], lambda: 0.2 } });
    const s = learnConfigToForm({ ...config, method: 'ksvd', data: { kind: 'sample', name: 'grass', downsample: 1, highPass: true }, params: { replaceAtoms: false } }, KSVD);
    expect(s.data).toMatchObject({ kind: 'sample', sample: 'grass', downsample: 1, highPass: true });
    expect(s.params.replaceAtoms).toBe(false);
  });
});

describe('a data set of the project as data', () => {
  const CDL_DS: MethodSpec = { ...KSVD, method: 'cdl', title: 'CDL', data: ['sample', 'dataset'], params: [] };
  const stats = { shape: [4, 1, 8, 8], min: 0, max: 1, mean: 0.5, std: 0.2, perChannel: [] };
  const split = { id: 'ds-split', name: 'digits', stats: { ...stats, testItems: 2 }, files: { data: 'd.npy', test: 't.npy' } };
  const plain = { id: 'ds-plain', name: 'camera', stats, files: { data: 'd.npy' } };

  it('converts to {kind: dataset, id, split} and back', () => {
    const form = defaultLearnForm(CDL_DS);
    form.data = { ...form.data, kind: 'dataset', datasetId: 'ds-split', datasetSplit: 'test' };
    expect(formData(form)).toEqual({ kind: 'dataset', id: 'ds-split', split: 'test' });
    const v = validateLearnForm(form, CDL_DS, [split, plain]);
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(LearnConfig.parse(v.config)).toEqual(v.config);
    const back = learnConfigToForm(v.config, CDL_DS);
    expect(back.data).toMatchObject({ kind: 'dataset', datasetId: 'ds-split', datasetSplit: 'test' });
    expect(learnFormToConfig(back, CDL_DS).config).toEqual(v.config);
  });

  it('knows which data sets have a test split', () => {
    expect(hasTestSplit(split)).toBe(true);
    expect(hasTestSplit(plain)).toBe(false);
    expect(hasTestSplit({ stats: { ...stats, testItems: 0 }, files: { data: 'd', test: 't' } })).toBe(true);
  });

  it('asks for a choice, refuses an unknown one and a test split that does not exist', () => {
    expect(checkDatasetChoice('', 'train', [])).toEqual({ 'data.id': 'The project has no data sets yet; import one in the Data view.' });
    expect(checkDatasetChoice('', 'train', [plain])).toEqual({ 'data.id': 'Choose a data set of the project.' });
    expect(checkDatasetChoice('gone', 'train', [plain])['data.id']).toMatch(/gone is no longer in this project/);
    expect(checkDatasetChoice('ds-plain', 'test', [plain])['data.split']).toMatch(/^camera has no test split/);
    expect(checkDatasetChoice('ds-plain', 'train', [plain])).toEqual({});
    expect(checkDatasetChoice('ds-split', 'test', [split])).toEqual({});
  });

  it('validation shows the choice error, not the id pattern, and the kind error for a method without data sets', () => {
    const form = defaultLearnForm(CDL_DS);
    form.data.kind = 'dataset';
    const v = validateLearnForm(form, CDL_DS, [plain]);
    expect(v.errors['data.id']).toBe('Choose a data set of the project.');
    const k = validateLearnForm({ ...form, method: 'ksvd', data: { ...form.data, datasetId: 'ds-plain' } }, KSVD, [plain]);
    expect(k.errors['data.kind']).toMatch(/choose one of those/);
    for (const key of Object.keys(v.errors)) expect(learnFieldKeys(CDL_DS)).toContain(key);
  });
});

describe('a session’s data in words', () => {
  it('names each kind, a data set by its name (its id once removed) and split', () => {
    expect(describeLearnData({ kind: 'sample', name: 'camera', downsample: 2, highPass: true })).toBe('camera ÷2, high-pass');
    expect(describeLearnData({ kind: 'mnist', split: 'test', count: 100 })).toBe('MNIST test × 100');
    expect(describeLearnData({ kind: 'file', path: '/data/x/img.npy' })).toBe('img.npy');
    expect(describeLearnData({ kind: 'file', path: 'C:\\d\\img.png' })).toBe('img.png');
    expect(describeLearnData({ kind: 'dataset', id: 'd1', split: 'test' }, [{ id: 'd1', name: 'digits' }])).toBe('data set digits (test split)');
    expect(describeLearnData({ kind: 'dataset', id: 'gone', split: 'train' }, [{ id: 'd1', name: 'digits' }])).toBe('data set gone');
  });
});
