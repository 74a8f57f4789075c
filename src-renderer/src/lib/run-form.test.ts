import { describe, expect, it } from 'vitest';
import { RunConfig } from '../../../src-shared/contract';
import {
  algorithmForLayers,
  algorithmsFor,
  codeGeometry,
  configToForm,
  convOutputSize,
  defaultForm,
  fieldKeys,
  formToConfig,
  inputShape,
  toNumber,
  validateForm,
  withLayerCount,
} from './run-form';

describe('run form defaults', () => {
  it('describe a valid two-layer ML-FISTA run whose layers chain (64 → 30 → 28)', () => {
    const v = validateForm(defaultForm());
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.config.pursuit).toMatchObject({ algorithm: 'ml-fista', lambdas: [0.05, 0.02], iterations: 100 });
    expect(v.config.source).toEqual({ kind: 'synthetic', height: 64, width: 64, nonzeros: 8, seed: 0, noise: 0 });
    expect(v.config.layers.map((l) => [l.filters, l.kernel, l.stride])).toEqual([
      [8, 6, 2],
      [16, 3, 1],
    ]);
    expect(codeGeometry([1, 64, 64], v.config.layers).layers.map((g) => g.code)).toEqual([
      [8, 30, 30],
      [16, 28, 28],
    ]);
  });
});

describe('formToConfig', () => {
  it('produces what the contract accepts, omitting an empty name and the default threshold', () => {
    const c = formToConfig(defaultForm());
    expect(c.name).toBeUndefined();
    expect(c.pursuit.threshold).toBeUndefined();
    expect(RunConfig.safeParse(c).success).toBe(true);
  });

  it('maps file sources and file dictionaries, trimming paths', () => {
    const f = defaultForm();
    f.name = '  sweep ';
    f.source = { ...f.source, kind: 'file', path: ' /data/cat.png ' };
    f.layers[1] = { ...f.layers[1]!, dictionary: 'file', path: '/d/W2.npy' };
    f.threshold = 'soft-nonneg';
    const c = formToConfig(f);
    expect(c.name).toBe('sweep');
    expect(c.source).toEqual({ kind: 'file', path: '/data/cat.png' });
    expect(c.layers[1]!.dictionary).toEqual({ kind: 'file', path: '/d/W2.npy' });
    expect(c.layers[0]!.dictionary).toEqual({ kind: 'random', seed: 1 });
    expect(c.pursuit.threshold).toBe('soft-nonneg');
  });

  it('sends zero iterations for thresholding pursuits (a single pass)', () => {
    const f = { ...defaultForm(), algorithm: 'layered-thr' as const };
    expect(formToConfig(f).pursuit.iterations).toBe(0);
  });

  it('round-trips through configToForm', () => {
    const f = withLayerCount(defaultForm(), 3);
    f.algorithm = 'layered-bp';
    f.layers[2]!.lambda = 0.003;
    const c = formToConfig(f);
    expect(formToConfig(configToForm(c))).toEqual(c);
  });
});

describe('validateForm', () => {
  it('reports each bad field by its path, in words', () => {
    const f = defaultForm();
    f.source.height = '';
    f.source.width = 3.5;
    f.layers[1]!.filters = 0;
    f.layers[0]!.lambda = -1;
    f.iterations = 'abc';
    const v = validateForm(f);
    expect(v.ok).toBe(false);
    expect(v.errors).toMatchObject({
      'source.height': 'Enter a number.',
      'source.width': 'Enter a whole number.',
      'layers.1.filters': 'Must be at least 1.',
      'pursuit.lambdas.0': 'Must be at least 0.',
      'pursuit.iterations': 'Enter a number.',
    });
    const known = new Set(fieldKeys(f));
    for (const k of Object.keys(v.errors)) expect(known.has(k)).toBe(true);
  });

  it('requires the file paths that were switched on', () => {
    const f = defaultForm();
    f.source.kind = 'file';
    f.layers[0]!.dictionary = 'file';
    expect(validateForm(f).errors).toMatchObject({ 'source.path': 'Required.', 'layers.0.dictionary.path': 'Required.' });
  });

  it('rejects a layer whose kernel does not fit the code of the layer before', () => {
    const f = defaultForm();
    f.source.height = 16;
    f.source.width = 16;
    f.layers[1]!.kernel = 9; // 16 → 6 → does not fit
    const v = validateForm(f);
    expect(v.ok).toBe(false);
    expect(v.errors['layers.1.kernel']).toMatch(/9×9 kernel.*6×6 input of layer 2/);
  });

  it('checks geometry of a file source only once its shape is known', () => {
    const f = defaultForm();
    f.source = { ...f.source, kind: 'file', path: '/x.npy' };
    expect(validateForm(f).ok).toBe(true);
    expect(validateForm(f, [1, 1, 8, 8]).ok).toBe(false);
    expect(validateForm(f, [28, 28]).ok).toBe(true);
  });
});

describe('helpers', () => {
  it('toNumber turns blanks and text into NaN', () => {
    expect(toNumber(3)).toBe(3);
    expect(toNumber(' 0.5 ')).toBe(0.5);
    expect(toNumber('')).toBeNaN();
    expect(toNumber('x')).toBeNaN();
  });

  it('convOutputSize follows ⌊(n + 2p − k)/s⌋ + 1', () => {
    expect(convOutputSize(28, 6, 2, 0)).toBe(12);
    expect(convOutputSize(64, 6, 2, 0)).toBe(30);
    expect(convOutputSize(5, 3, 1, 1)).toBe(5);
    expect(convOutputSize(4, 7, 1, 0)).toBeLessThan(1);
  });

  it('inputShape reads [C, H, W] from synthetic sizes or the last dims of a file', () => {
    const c = formToConfig(defaultForm());
    expect(inputShape(c)).toEqual([1, 64, 64]);
    const fc = { ...c, source: { kind: 'file' as const, path: '/a' } };
    expect(inputShape(fc, [10, 3, 32, 32])).toEqual([3, 32, 32]);
    expect(inputShape(fc, [28, 28])).toEqual([1, 28, 28]);
    expect(inputShape(fc)).toBeUndefined();
  });

  it('offers single-layer algorithms only for one layer and maps them when layers are added', () => {
    expect(algorithmsFor(1)).toContain('fista');
    expect(algorithmsFor(2)).not.toContain('fista');
    expect(algorithmForLayers('thr', 2)).toBe('layered-thr');
    expect(algorithmForLayers('fista', 3)).toBe('ml-fista');
    expect(algorithmForLayers('ml-ista', 2)).toBe('ml-ista');
    const one = withLayerCount({ ...defaultForm(), algorithm: 'ista' }, 1);
    expect(one.layers.length).toBe(1);
    const three = withLayerCount(one, 3);
    expect(three.algorithm).toBe('ml-ista');
    expect(three.layers.map((l) => l.seed)).toEqual([1, 2, 3]);
    expect(withLayerCount(three, 9).layers.length).toBe(3);
  });
});

describe('a data set item as the source', () => {
  const stats = (shape: number[], testItems?: number) => ({ shape, min: 0, max: 1, mean: 0.5, std: 0.2, perChannel: [], ...(testItems !== undefined ? { testItems } : {}) });
  const datasets = [
    { id: 'd-digits', name: 'digits', stats: stats([10, 1, 16, 16], 4), files: { data: 'datasets/d-digits/data.npy', test: 'datasets/d-digits/test.npy' } },
    { id: 'd-rgb', name: 'rgb', stats: stats([3, 3, 8, 8]), files: { data: 'datasets/d-rgb/data.npy' } },
  ];
  const withSource = (source: Partial<ReturnType<typeof defaultForm>['source']>) => {
    const f = withLayerCount(defaultForm(), 1);
    f.layers[0] = { ...f.layers[0]!, kernel: 3, stride: 1 };
    f.algorithm = 'layered-thr';
    f.source = { ...f.source, kind: 'dataset', ...source };
    return f;
  };

  it('round-trips through configToForm and the contract', () => {
    const c = formToConfig(withSource({ datasetId: 'd-digits', datasetSplit: 'test', index: 3 }));
    expect(c.source).toEqual({ kind: 'dataset', id: 'd-digits', split: 'test', index: 3 });
    expect(RunConfig.parse(c).source).toEqual(c.source);
    const back = configToForm(c);
    expect(back.source).toMatchObject({ kind: 'dataset', datasetId: 'd-digits', datasetSplit: 'test', index: 3 });
    expect(formToConfig(back)).toEqual(c);
  });

  it('takes [C, H, W] from the chosen data set for the geometry, and is valid within N', () => {
    const v = validateForm(withSource({ datasetId: 'd-rgb', index: 2 }), undefined, datasets);
    expect(v.errors).toEqual({});
    expect(inputShape(formToConfig(withSource({ datasetId: 'd-rgb' })), undefined, datasets)).toEqual([3, 8, 8]);
    const f = withSource({ datasetId: 'd-rgb' });
    f.layers[0]!.kernel = 9;
    expect(validateForm(f, undefined, datasets).errors['layers.0.kernel']).toMatch(/does not fit the 8×8 input/);
  });

  it('bounds the item index by N of the chosen split, naming the field', () => {
    expect(validateForm(withSource({ datasetId: 'd-digits', index: 10 }), undefined, datasets).errors['source.index']).toMatch(/Item index must be below N = 10/);
    expect(validateForm(withSource({ datasetId: 'd-digits', index: 9 }), undefined, datasets).ok).toBe(true);
    expect(validateForm(withSource({ datasetId: 'd-digits', datasetSplit: 'test', index: 4 }), undefined, datasets).errors['source.index']).toMatch(/below N = 4 \(the test split of digits/);
    expect(validateForm(withSource({ datasetId: 'd-digits', index: -1 }), undefined, datasets).errors['source.index']).toMatch(/^Item index: Must be at least 0/);
    expect(validateForm(withSource({ datasetId: 'd-digits', index: '' }), undefined, datasets).errors['source.index']).toMatch(/Item index: Enter a number/);
  });

  it('asks for a data set, and refuses one that is gone or a test split it lacks', () => {
    expect(validateForm(withSource({ datasetId: '' }), undefined, datasets).errors['source.id']).toBe('Choose a data set of the project.');
    expect(validateForm(withSource({ datasetId: '' }), undefined, []).errors['source.id']).toMatch(/no data sets yet/);
    expect(validateForm(withSource({ datasetId: 'd-gone' }), undefined, datasets).errors['source.id']).toMatch(/d-gone is no longer in this project/);
    expect(validateForm(withSource({ datasetId: 'd-rgb', datasetSplit: 'test' }), undefined, datasets).errors['source.split']).toMatch(/rgb has no test split/);
    expect(fieldKeys(defaultForm())).toEqual(expect.arrayContaining(['source.id', 'source.split', 'source.index']));
  });
});
