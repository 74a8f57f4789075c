import { describe, expect, it } from 'vitest';
import { PhaseConfig } from '../../../src-shared/contract';
import {
  defaultPhaseForm,
  defaultTheoryForm,
  formToAnalyzeParams,
  formToModel,
  geometryText,
  layerCount,
  modelGeometry,
  phaseConfigToForm,
  theoryFieldKeys,
  validatePhaseForm,
  validateTheoryForm,
  withKind,
  withMlcscLayerCount,
} from './theory-form';

describe('theory form defaults', () => {
  it('validate as they are: CSC N = 256, two filters of 32, OMP, BP and thresholding', () => {
    const v = validateTheoryForm(defaultTheoryForm());
    expect(v.errors).toEqual({});
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.params.model).toEqual({ kind: 'convolutional', dims: '1d', size: 256, channels: 1, layers: [{ filters: 2, kernel: 32, stride: 1, values: 'gaussian', targetCoherence: 0.2 }] });
    expect(v.params.pursuits.map((p) => p.pursuit)).toEqual(['omp', 'bp', 'layered-thr']);
    // λ left on auto is not sent: the theorem's value is used.
    expect(v.params.pursuits.every((p) => p.lambdas === undefined)).toBe(true);
    expect(v.params.sampling).toMatchObject({ sparsity: 2, noise: { kind: 'none', value: 0 }, values: { valueRange: [1, 2], sign: 'both', distribution: 'uniform' } });
  });

  it('the ML-CSC default has two layers, the second sparse with ±1 values', () => {
    const form = withKind(defaultTheoryForm(), 'mlcsc');
    expect(layerCount(form)).toBe(2);
    expect(form.pursuits.bp.lambdas).toEqual(['', '']);
    const model = formToModel(form);
    expect(model).toEqual({
      kind: 'convolutional',
      dims: '1d',
      size: 200,
      layers: [
        { filters: 4, kernel: 9, stride: 1, values: 'gaussian', targetCoherence: 0.3 },
        { filters: 6, kernel: 5, stride: 1, values: 'sign', nonzeros: 3 },
      ],
    });
    expect(validateTheoryForm(form).ok).toBe(true);
    expect(geometryText(modelGeometry(model).layers, false)).toBe('Γ1 4×192 · Γ2 6×188');
  });

  it('Sparseland sends n, atoms and the target coherence', () => {
    const form = withKind(defaultTheoryForm(), 'sparseland');
    expect(formToModel(form)).toEqual({ kind: 'sparseland', n: 64, atoms: 128, targetCoherence: 0.3 });
    form.sparseland.targetCoherence = '';
    expect(formToModel(form)).toEqual({ kind: 'sparseland', n: 64, atoms: 128 });
  });
});

describe('theory form: layers and λ', () => {
  it('grows to three layers and back, keeping what was typed', () => {
    let form = withKind(defaultTheoryForm(), 'mlcsc');
    form.mlcsc.layers[0]!.filters = 7;
    form.pursuits['layered-thr'].lambdas = ['0.1', '0.2'];
    form = withMlcscLayerCount(form, 3);
    expect(form.mlcsc.layers).toHaveLength(3);
    expect(form.mlcsc.layers[0]!.filters).toBe(7);
    expect(form.pursuits['layered-thr'].lambdas).toEqual(['0.1', '0.2', '']);
    form = withMlcscLayerCount(form, 1); // ML-CSC has at least two layers
    expect(form.mlcsc.layers).toHaveLength(2);
    expect(form.pursuits['layered-thr'].lambdas).toEqual(['0.1', '0.2']);
  });

  it('sends λ per layer when given for all, refuses a partial list', () => {
    const form = withKind(defaultTheoryForm(), 'mlcsc');
    form.pursuits['layered-thr'].lambdas = ['0.1', 'auto'];
    const v = validateTheoryForm(form);
    expect(v.ok).toBe(false);
    expect(v.errors['pursuits.layered-thr.lambdas.1']).toBe('Give β for every layer, or leave all on auto.');
    form.pursuits['layered-thr'].lambdas = ['0.1', '0.05'];
    const ok = validateTheoryForm(form);
    expect(ok.ok && ok.params.pursuits.find((p) => p.pursuit === 'layered-thr')?.lambdas).toEqual([0.1, 0.05]);
  });

  it('reports schema errors of a pursuit under its name, and a λ that is not a number', () => {
    const form = defaultTheoryForm();
    form.pursuits.bp.lambdas = ['-1'];
    form.pursuits.bp.iterations = 0;
    const v = validateTheoryForm(form);
    expect(v.errors['pursuits.bp.lambdas.0']).toBe('Must be at least 0.');
    expect(v.errors['pursuits.bp.iterations']).toBe('Must be at least 1.');
    form.pursuits.bp = { ...form.pursuits.bp, lambdas: ['abc'], iterations: 10 };
    expect(validateTheoryForm(form).errors['pursuits.bp.lambdas.0']).toBe('Enter a number.');
  });

  it('needs at least one pursuit; OMP takes no λ and no iterations', () => {
    const form = defaultTheoryForm();
    for (const p of ['omp', 'bp', 'layered-thr'] as const) form.pursuits[p].enabled = false;
    expect(validateTheoryForm(form).errors['pursuits']).toBe('Choose at least one pursuit.');
    form.pursuits.omp = { enabled: true, lambdas: ['5'], iterations: 3 };
    expect(formToAnalyzeParams(form).pursuits).toEqual([{ pursuit: 'omp' }]);
  });
});

describe('theory form: checks', () => {
  it('says when a kernel does not fit or a sparse filter has no room', () => {
    const form = defaultTheoryForm();
    form.csc.size = 16;
    expect(validateTheoryForm(form).errors['model.layers.0.kernel']).toBe('A kernel of 32 does not fit the 16-sample signal (layer 1); use a smaller kernel or a larger size.');
    const ml = withKind(defaultTheoryForm(), 'mlcsc');
    ml.mlcsc.layers[1]!.nonzeros = 30; // D2's filters have 4 channels × 5 = 20 entries
    expect(validateTheoryForm(ml).errors['model.layers.1.nonzeros']).toBe('A filter of layer 2 has 20 entries (4 channels × 5); at most 20 non-zeros.');
    ml.mlcsc.layers[1]!.nonzeros = 3;
    ml.mlcsc.dims = '2d';
    ml.mlcsc.size = 12;
    ml.mlcsc.layers[1]!.kernel = 5;
    expect(validateTheoryForm(ml).errors['model.layers.1.kernel']).toBe('A kernel of 5 does not fit the 4×4 code Γ1 (layer 2); use a smaller kernel or a larger size.');
  });

  it('uses the contract schema: ranges, whole numbers, a ≤ b, coherence in (0, 1)', () => {
    const form = defaultTheoryForm();
    form.csc.layer.targetCoherence = 1;
    form.sampling.sparsity = '';
    form.sampling.valueMin = 3;
    form.sampling.count = 1.5;
    const e = validateTheoryForm(form).errors;
    expect(e['model.layers.0.targetCoherence']).toBeTruthy();
    expect(e['sampling.sparsity']).toBe('Enter a number.');
    expect(e['sampling.values.valueRange']).toBe('the value range needs a ≤ b');
    expect(e['sampling.count']).toBeTruthy();
    for (const k of Object.keys(e)) expect(theoryFieldKeys(form)).toContain(k);
  });

  it('sends dictionaries to load, one per layer, and asks for the missing ones', () => {
    const form = withKind(defaultTheoryForm(), 'mlcsc');
    form.dictionaries = { use: true, paths: ['/d/W1.npy', '', ''] };
    expect(validateTheoryForm(form).errors['model.dictionaries.1']).toBe('Choose the .npy file of W2, or turn off loading dictionaries.');
    form.dictionaries.paths[1] = ' /d/W2.npy ';
    const v = validateTheoryForm(form);
    expect(v.ok && v.params.model.kind === 'convolutional' && v.params.model.dictionaries).toEqual(['/d/W1.npy', '/d/W2.npy']);
  });

  it('sends the noise value only with a noise kind', () => {
    const form = defaultTheoryForm();
    form.sampling.noiseValue = 5;
    expect(formToAnalyzeParams(form).sampling.noise).toEqual({ kind: 'none', value: 0 });
    form.sampling.noiseKind = 'snr';
    expect(formToAnalyzeParams(form).sampling.noise).toEqual({ kind: 'snr', value: 5 });
  });
});

describe('phase form', () => {
  it('builds a PhaseConfig from the model, the sampled values and the grid', () => {
    const phase = { ...defaultPhaseForm(), sparsities: '1-4', noise: '0, 0.1', trials: 3, name: ' quick ' };
    const v = validatePhaseForm(defaultTheoryForm(), phase);
    expect(v.errors).toEqual({});
    expect(v.ok && v.config).toMatchObject({ name: 'quick', pursuits: ['omp', 'bp'], sparsities: [1, 2, 3, 4], noise: [0, 0.1], noiseKind: 'patch', trials: 3, values: { valueRange: [1, 2] } });
    expect(v.ok && PhaseConfig.safeParse(v.config).success).toBe(true);
  });

  it('reports list, pursuit and schema errors under the phase form, model errors under the model', () => {
    const form = defaultTheoryForm();
    form.csc.layer.filters = 0;
    const phase = { ...defaultPhaseForm(), sparsities: '1-x', noise: '', trials: 0, pursuits: { omp: false, bp: false, 'layered-thr': false, 'layered-bp': false, 'ml-fista': false } };
    const e = validatePhaseForm(form, phase).errors;
    expect(e['phase.sparsities']).toContain('not a whole number');
    expect(e['phase.noise']).toContain('at least one number');
    expect(e['phase.pursuits']).toBe('Choose at least one pursuit.');
    expect(e['phase.trials']).toBe('Must be at least 1.');
    expect(e['model.layers.0.filters']).toBe('Must be at least 1.');
    form.csc.layer.filters = 2;
    form.sampling.valueMin = 5;
    expect(validatePhaseForm(form, defaultPhaseForm()).errors['sampling.values.valueRange']).toBe('the value range needs a ≤ b');
  });

  it('shows a saved experiment in the phase form', () => {
    const v = validatePhaseForm(defaultTheoryForm(), { ...defaultPhaseForm(), sparsities: '1-6, 8', pursuits: { ...defaultPhaseForm().pursuits, 'ml-fista': true } });
    if (!v.ok) throw new Error('invalid');
    const back = phaseConfigToForm(v.config);
    expect(back.sparsities).toBe('1-6, 8');
    expect(back.pursuits).toEqual({ omp: true, bp: true, 'layered-thr': false, 'layered-bp': false, 'ml-fista': true });
    expect(back.noise).toBe('0');
  });
});
