/**
 * CDL (cdl.ts): the dictionary gradient against float64 finite differences, the filter constraint after every
 * step, monotone objective in batch mode, non-negative codes, and stop + resume = uninterrupted.
 * Atom recovery on synthetic data is in cdl-recovery.test.ts.
 */
import { promoteToFloat64, pruneToOutput, relativeMaxError } from '../../testing/graph-check';
import { afterAll, describe, expect, it } from 'vitest';
import { randomDictionary } from '../../ops/dictionary';
import { evaluateGraph } from '../../reference/interpreter';
import { Runtime, hostTensor, type HostTensor } from '../../runtime/session';
import { randomTensor } from '../../testing/fixtures';
import { CountingRandom } from '../../../../src-shared/math/random';
import { CdlInputError, buildDictionaryGradientGraph, learnConvolutionalDictionary, projectFilters, shiftInvariantCorrelation, type CdlOptions, type CdlState } from './cdl';
import { sampleCscImages } from './synthetic';

// One intra-op thread: identical inputs then give bit-identical outputs, which the resume test relies on.
const runtime = new Runtime({ providers: ['cpu'], intraOpThreads: 1 });
afterAll(() => runtime.dispose());




function filterNorms(w: HostTensor): number[] {
  const m = w.shape[0]!;
  const per = w.data.length / m;
  const d = w.data as Float32Array;
  return Array.from({ length: m }, (_, j) => Math.sqrt(d.subarray(j * per, (j + 1) * per).reduce((s, v) => s + v * v, 0)));
}

async function smallProblem(seed: number, count = 4, nonNegative = false) {
  const truth = randomDictionary([4, 1, 5, 5], seed);
  const s = await sampleCscImages(runtime, truth, { count, height: 20, width: 20, nonzeros: 20, seed: seed + 1, pad: 4, noise: 0.01, nonNegative });
  return s.images;
}

describe('dictionary gradient graph', () => {
  for (const [label, signal, weights, pad] of [
    ['full codes (pad k−1)', [2, 1, 9, 11], [3, 1, 4, 4], 3],
    ['pad 1, 2 channels, 3×4 kernel', [2, 2, 8, 9], [3, 2, 3, 4], 1],
    ['1-D signals', [3, 1, 1, 17], [2, 1, 1, 5], 4],
  ] as const) {
    it(`dL/dW equals float64 central differences of L, and ONNX Runtime matches float64 (${label})`, async () => {
      const ir = buildDictionaryGradientGraph(signal, weights, pad).toIR();
      const gammaShape = ir.inputs.find((i) => i.name === 'gamma')!.shape;
      // float32-representable inputs, so the float32 and float64 evaluations see the same numbers.
      const y = Float64Array.from(randomTensor(signal, 1).data as Float32Array);
      const gamma = Float64Array.from(randomTensor(gammaShape, 2).data as Float32Array);
      const w = Float64Array.from(randomTensor(weights, 3).data as Float32Array);
      const ir64 = promoteToFloat64(ir);
      const feeds = (wv: Float64Array) => ({ y: { shape: signal, data: y }, gamma: { shape: gammaShape, data: gamma }, w: { shape: weights, data: wv } });
      const exact = evaluateGraph(ir64, feeds(w));
      const grad = exact.grad_w!.data;
      const lossOnly = pruneToOutput(ir64, 'loss');
      const h = 1e-6;
      const fd = new Float64Array(w.length);
      for (let i = 0; i < w.length; i++) {
        const plus = Float64Array.from(w);
        const minus = Float64Array.from(w);
        plus[i] = plus[i]! + h;
        minus[i] = minus[i]! - h;
        fd[i] = (evaluateGraph(lossOnly, feeds(plus)).loss!.data[0]! - evaluateGraph(lossOnly, feeds(minus)).loss!.data[0]!) / (2 * h);
      }
      expect(relativeMaxError(grad, fd)).toBeLessThan(1e-6);
      const ort = await runtime.run(ir, { y: hostTensor(signal, Float32Array.from(y)), gamma: hostTensor(gammaShape, Float32Array.from(gamma)), w: hostTensor(weights, Float32Array.from(w)) });
      expect(relativeMaxError(ort.outputs.grad_w!.data as Float32Array, grad)).toBeLessThan(1e-4);
      expect(Math.abs((ort.outputs.loss!.data as Float32Array)[0]! - exact.loss!.data[0]!) / exact.loss!.data[0]!).toBeLessThan(1e-5);
    });
  }
});

describe('pure helpers', () => {
  it('projects filters onto the unit sphere or the unit ball', () => {
    const data = Float32Array.of(3, 4, 0.3, 0.4, 0, 0);
    expect(Array.from(projectFilters(data, 3, 'sphere'))).toEqual([0.6000000238418579, 0.800000011920929, 0.6000000238418579, 0.800000011920929, 0, 0]);
    expect(Array.from(projectFilters(data, 3, 'ball'))).toEqual([0.6000000238418579, 0.800000011920929, 0.30000001192092896, 0.4000000059604645, 0, 0]);
  });
  it('shift-invariant correlation is 1 for a shifted copy whose support still fits, and sign-blind', () => {
    const a = new Float32Array(16);
    a[5] = 1;
    a[6] = -2;
    a[9] = 0.5;
    const b = new Float32Array(16);
    b[0] = -1;
    b[1] = 2;
    b[4] = -0.5; // −a moved up and left by one pixel
    expect(shiftInvariantCorrelation(a, b, 1, 4, 4)).toBeCloseTo(1, 6);
    const c = new Float32Array(16);
    c[15] = 1;
    expect(shiftInvariantCorrelation(a, c, 1, 4, 4)).toBeCloseTo(2 / Math.sqrt(5.25), 6);
  });
  it('the counting generator resumes its stream exactly', () => {
    const a = new CountingRandom(7);
    a.sample(10, 3);
    a.uniform();
    const b = new CountingRandom(7, a.draws);
    expect(b.sample(20, 5)).toEqual(a.sample(20, 5));
  });
});

describe('convolutional dictionary learning', () => {
  const base: CdlOptions = { filters: 4, kernelSize: 5, lambda: 0.1, iterations: 6, seed: 3 };

  it('keeps every filter unit-norm after every dictionary step (batch and online), and inside the ball with constraint ball', async () => {
    const images = await smallProblem(10);
    for (const extra of [{ mode: 'batch' }, { mode: 'online', batchSize: 2 }, { shiftMovesEvery: 2 }] as const) {
      const norms: number[] = [];
      await learnConvolutionalDictionary(runtime, images, { ...base, ...extra, onIteration: (_, s) => norms.push(...filterNorms(s.filters)) });
      expect(norms).toHaveLength(24);
      for (const n of norms) expect(Math.abs(n - 1)).toBeLessThan(1e-5);
    }
    const ball: number[] = [];
    await learnConvolutionalDictionary(runtime, images, { ...base, constraint: 'ball', onIteration: (_, s) => ball.push(...filterNorms(s.filters)) });
    for (const n of ball) expect(n).toBeLessThanOrEqual(1 + 1e-6);
  });

  it('lowers the objective at every outer iteration in batch mode, and reports consistent statistics', async () => {
    const images = await smallProblem(20, 6);
    const r = await learnConvolutionalDictionary(runtime, images, { ...base, iterations: 15, shiftMovesEvery: 4 });
    const f = r.history.map((h) => h.objective);
    expect(r.history.map((h) => h.iteration)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    for (let t = 1; t < f.length; t++) expect(f[t]!).toBeLessThanOrEqual(f[t - 1]! * (1 + 1e-5));
    expect(f.at(-1)!).toBeLessThan(0.8 * f[0]!);
    for (const h of r.history) {
      expect(h.objective).toBeCloseTo(h.dataTerm + h.l1Term, 4);
      // The dictionary step (and the shift moves) can only lower what sparse coding left.
      expect(h.objective).toBeLessThanOrEqual(h.codingObjective * (1 + 1e-5));
      expect(h.density).toBeGreaterThan(0);
      expect(h.density).toBeLessThan(0.5);
      expect(h.images).toBe(6);
    }
    // The statistics describe the returned filters and codes: recompute ½‖Y − DΓ‖² + λ‖Γ‖₁ with the gradient graph.
    const ir = buildDictionaryGradientGraph(images.shape, r.filters.shape, 4).toIR();
    const check = await runtime.run(ir, { y: images, gamma: r.codes, w: r.filters });
    const l1 = (r.codes.data as Float32Array).reduce((s, v) => s + Math.abs(v), 0);
    const last = r.history.at(-1)!;
    expect((check.outputs.loss!.data as Float32Array)[0]!).toBeCloseTo(last.dataTerm, 3);
    expect(0.1 * l1).toBeCloseTo(last.l1Term, 3);
  });

  it('learns 1 × k filters on 1-D signals (H = 1) and lowers the objective', async () => {
    const truth = randomDictionary([3, 1, 1, 9], 60);
    const { images } = await sampleCscImages(runtime, truth, { count: 3, height: 1, width: 120, nonzeros: 10, seed: 61, pad: 8, noise: 0.01 });
    const r = await learnConvolutionalDictionary(runtime, images, { filters: 3, kernelSize: 9, lambda: 0.05, iterations: 10, init: 'patches', shiftMovesEvery: 3 });
    expect(r.filters.shape).toEqual([3, 1, 1, 9]);
    expect(r.codes.shape).toEqual([3, 3, 1, 128]);
    const f = r.history.map((h) => h.objective);
    for (let t = 1; t < f.length; t++) expect(f[t]!).toBeLessThanOrEqual(f[t - 1]! * (1 + 1e-5));
    expect(f.at(-1)!).toBeLessThan(f[0]!);
  });

  it('gives non-negative codes in non-negative mode', async () => {
    const images = await smallProblem(30, 4, true);
    const r = await learnConvolutionalDictionary(runtime, images, { ...base, iterations: 4, nonNegative: true });
    const codes = r.codes.data as Float32Array;
    expect(codes.some((v) => v > 0)).toBe(true);
    expect(Math.min(...codes)).toBeGreaterThanOrEqual(0);
  });

  for (const extra of [{ mode: 'batch', shiftMovesEvery: 2 }, { mode: 'online', batchSize: 2, momentum: 0.7 }] as const) {
    it(`stop after 3 iterations + resume equals an uninterrupted run of 7 (${extra.mode})`, async () => {
      const images = await smallProblem(40, 5);
      const options: CdlOptions = { ...base, ...extra, iterations: 7, init: 'patches' };
      const full = await learnConvolutionalDictionary(runtime, images, options);
      const abort = new AbortController();
      let saved: CdlState | undefined;
      const first = await learnConvolutionalDictionary(runtime, images, {
        ...options,
        signal: abort.signal,
        onIteration: (stats, state) => {
          saved = state;
          if (stats.iteration === 3) abort.abort();
        },
      });
      expect(first.stopReason).toBe('cancelled');
      expect(first.state.iteration).toBe(3);
      expect(first.state).toBe(saved);
      const second = await learnConvolutionalDictionary(runtime, images, { ...options, state: first.state });
      expect(second.stopReason).toBe('iterations');
      expect(second.history.map((h) => h.iteration)).toEqual([4, 5, 6, 7]);
      expect(Array.from(second.filters.data as Float32Array)).toEqual(Array.from(full.filters.data as Float32Array));
      expect(Array.from(second.codes.data as Float32Array)).toEqual(Array.from(full.codes.data as Float32Array));
      expect(second.history.map((h) => h.objective)).toEqual(full.history.slice(3).map((h) => h.objective));
      expect(second.state.rng).toEqual(full.state.rng);
      if (extra.mode === 'online') expect(full.state.rng.draws).toBeGreaterThan(0);
    });
  }

  it('refuses bad input with a message naming the field', async () => {
    const images = await smallProblem(50, 2);
    await expect(learnConvolutionalDictionary(runtime, images, { ...base, lambda: -1 })).rejects.toThrow(/lambda must be a finite non-negative number/);
    await expect(learnConvolutionalDictionary(runtime, images, { ...base, kernelSize: 40 })).rejects.toThrow(CdlInputError);
    const nan = hostTensor(images.shape, Float32Array.from(images.data as Float32Array));
    (nan.data as Float32Array)[7] = Number.NaN;
    await expect(learnConvolutionalDictionary(runtime, nan, base)).rejects.toThrow(/NaN at flat index 7/);
    const other = await smallProblem(51, 3);
    const r = await learnConvolutionalDictionary(runtime, images, { ...base, iterations: 1 });
    await expect(learnConvolutionalDictionary(runtime, other, { ...base, state: r.state })).rejects.toThrow(/resume with the same images/);
  });
});
