import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src-shared/math/random';
import { gemm, mat, type Mat } from '../learn/sparseland/dense';
import { sampleLocallySparseCode } from './codes';
import { denseCoherence } from './coherence';
import { denseSynthesisMatrix } from './conv-matrix';
import { randomConvFilters } from './dictionaries';
import { effectiveDictionary, globalOmp } from './global-omp';
import { stripeSparsity } from './local-norms';
import { sampleMlcsc } from './sampler';
import type { ConvLayer } from './types';

function apply(D: Mat, x: Float64Array): Float64Array {
  return gemm(D, mat(x.length, 1, x)).data;
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function support(v: Float64Array): number[] {
  const s: number[] = [];
  v.forEach((x, i) => x !== 0 && s.push(i));
  return s;
}

const nnz = (v: Float64Array): number => support(v).length;

/** The largest integer k with k < ½(1 + 1/μ): the stripe sparsity the CSC theorem covers. */
const coveredStripe = (mu: number): number => Math.ceil(0.5 * (1 + 1 / mu)) - 1;

describe('globalOmp', () => {
  it('recovers noiseless 1-D CSC signals exactly when ‖Γ‖s0,∞ < ½(1 + 1/μ) (m = 2, n = 16, N = 160)', () => {
    let signals = 0;
    for (const seed of [1, 2, 3, 4]) {
      const f = randomConvFilters({ filters: 2, channels: 1, kernel: [1, 16], stride: 1, targetCoherence: 0.17 }, seed);
      const stripe = coveredStripe(f.mu);
      expect(stripe).toBeGreaterThanOrEqual(2);
      const s = sampleMlcsc({
        dims: '1d',
        size: 160,
        layers: [],
        dictionaries: [{ weights: f.weights, shape: [...f.shape], stride: 1 }],
        stripe,
        values: { valueRange: [1, 1], sign: 'both', distribution: 'gaussian' },
        noise: { kind: 'none' },
        count: 10,
        seed,
      });
      for (const [name, o] of [
        ['errorTarget', { errorTarget: 1e-9 }],
        ['sparsity', { sparsity: Math.max(...s.codes.map((c) => nnz(c[0]!))) }],
      ] as const) {
        const r = globalOmp(s.layers, s.clean, s.signalShape, o);
        s.codes.forEach((c, j) => {
          const truth = c[0]!;
          const got = r.codes[j]!;
          if (name === 'errorTarget') expect(support(got), `seed ${seed} signal ${j}`).toEqual(support(truth));
          expect(maxAbsDiff(got, truth), `seed ${seed} signal ${j} (${name})`).toBeLessThan(1e-8);
          expect(r.residualNorms[j]).toBeLessThan(1e-8);
        });
      }
      signals += s.codes.length;
      expect(nnz(s.codes[0]![0]!)).toBeGreaterThan(2 * stripe);
    }
    expect(signals).toBe(40);
  });

  it('gives the same codes through plain OMP (few signals) and Batch-OMP (many)', () => {
    const s = sampleMlcsc({ dims: '1d', size: 160, layers: [{ filters: 2, kernel: 16, stride: 1 }], stripe: 2, values: { valueRange: [0.5, 1], sign: 'both' }, noise: { kind: 'sigma', value: 0.05 }, count: 40, seed: 9 });
    const many = globalOmp(s.layers, s.noisy, s.signalShape, { sparsity: 6 });
    for (const j of [0, 17, 39]) {
      const one = globalOmp(s.layers, [s.noisy[j]!], s.signalShape, { sparsity: 6 });
      expect(maxAbsDiff(one.codes[0]!, many.codes[j]!)).toBeLessThan(1e-10);
      expect(one.residualNorms[0]).toBeCloseTo(many.residualNorms[j]!, 10);
    }
  });

  it('recovers Γ_2 of two-layer signals through D^{(2)} = D_1D_2 (stripe 1 over the molecules, μ(D^{(2)}) < 1)', () => {
    for (const seed of [1, 2, 3]) {
      const a = randomConvFilters({ filters: 2, channels: 1, kernel: [1, 8], stride: 2, targetCoherence: 0.25 }, seed);
      const b = randomConvFilters({ filters: 3, channels: 2, kernel: [1, 4], stride: 1, targetCoherence: 0.3 }, seed + 50);
      const layers: ConvLayer[] = [
        { weights: { shape: a.shape, data: a.weights }, stride: 2, pad: 0 },
        { weights: { shape: b.shape, data: b.weights }, stride: 1, pad: 0 },
      ];
      const input: [number, number, number] = [1, 1, 100];
      const { D, codeShape } = effectiveDictionary(layers, input);
      expect(codeShape).toEqual([3, 1, 44]);
      // D^{(2)} is itself a convolutional dictionary: molecules of length 8 + 2·3 = 14 at stride 2. Its
      // stripe theorem needs windows of the molecule's length, so the codes are drawn over that layer.
      const L = 14;
      const molecules = new Float32Array(3 * L);
      for (let j = 0; j < 3; j++) for (let t = 0; t < L; t++) molecules[j * L + t] = D.data[j * 44 * 100 + t]!;
      const moleculeLayer: ConvLayer = { weights: { shape: [3, 1, 1, L], data: molecules }, stride: 2, pad: 0 };
      expect(maxAbsDiff(denseSynthesisMatrix(moleculeLayer, input).data, D.data)).toBeLessThan(1e-6);
      const mu = denseCoherence(D);
      const stripe = coveredStripe(mu);
      expect(stripe).toBeGreaterThanOrEqual(1);
      const u = mulberry32(seed);
      const truths = Array.from({ length: 8 }, () => sampleLocallySparseCode(moleculeLayer, input, { valueRange: [0.5, 1], sign: 'both', stripe }, u).data);
      for (const g of truths) expect(stripeSparsity({ shape: codeShape, data: g }, moleculeLayer, input).value).toBe(stripe);
      const X = truths.map((g) => apply(D, g));
      const r = globalOmp(layers, X, input, { errorTarget: 1e-10 });
      truths.forEach((g, j) => {
        expect(support(r.codes[j]!), `seed ${seed} signal ${j}`).toEqual(support(g));
        expect(maxAbsDiff(r.codes[j]!, g)).toBeLessThan(1e-8);
      });
    }
  });

  it('stops at the error target, and its residuals are in the original scaling of D^{(K)}', () => {
    const s = sampleMlcsc({
      dims: '1d',
      size: 64,
      layers: [
        { filters: 3, kernel: 6, stride: 2 },
        { filters: 4, kernel: 3, stride: 1 },
      ],
      stripe: 2,
      values: { valueRange: [0.5, 1], sign: 'both' },
      noise: { kind: 'sigma', value: 0.05 },
      count: 12,
      seed: 4,
    });
    const eps = 0.6;
    const r = globalOmp(s.layers, s.noisy, s.signalShape, { errorTarget: eps });
    const { D } = effectiveDictionary(s.layers, s.signalShape);
    r.codes.forEach((g, j) => {
      const e = apply(D, g).map((v, i) => s.noisy[j]![i]! - v);
      const norm = Math.sqrt(e.reduce((acc, v) => acc + v * v, 0));
      expect(norm).toBeCloseTo(r.residualNorms[j]!, 10);
      expect(norm).toBeLessThanOrEqual(eps);
      const k = nnz(g);
      expect(k).toBeGreaterThan(0);
      // One atom fewer (the same greedy path, stopped a step earlier) would not meet the target.
      const shorter = globalOmp(s.layers, [s.noisy[j]!], s.signalShape, { sparsity: k - 1 });
      expect(shorter.residualNorms[0]).toBeGreaterThan(eps);
    });
  });

  it('rejects signals of the wrong length and an empty layer list', () => {
    const layer: ConvLayer = { weights: { shape: [1, 1, 1, 3], data: new Float32Array([1, 0, 0]) }, stride: 1, pad: 0 };
    expect(() => globalOmp([layer], [new Float64Array(5)], [1, 1, 6], { sparsity: 1 })).toThrow(/signals\[0\] has 5 samples/);
    expect(() => globalOmp([], [new Float64Array(6)], [1, 1, 6], { sparsity: 1 })).toThrow(/at least one layer/);
  });
});
