import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RunTheory } from '../../../src-shared/contract';
import { gaussian, mulberry32 } from '../../../src-shared/math/random';
import { serializeNpy } from '../io/npy';
import { filterCoherence } from './coherence';
import { codeShapeOf, denseSynthesisMatrix } from './conv-matrix';
import { MissingDictionaryError, convolutionalLayerTheory, runTheoryFromFolder, sparselandLayerTheory } from './run-theory';
import type { ConvLayer } from './types';

const tmp = mkdtempSync(path.join(tmpdir(), 'sparseland-run-theory-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function randomWeights(shape: [number, number, number, number], seed: number): Float32Array {
  const g = gaussian(mulberry32(seed));
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => g());
}

/** A code batch [B, m, Hc, Wc] with about `density` of its entries non-zero. */
function sparseCodes(shape: [number, number, number, number], density: number, seed: number): Float32Array {
  const u = mulberry32(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (u() < density ? 0.5 + u() : 0));
}

/** μ from the normalised Gram of the explicit dictionary on an input large enough to hold every shift (pad 0). */
function bruteCoherence(layer: ConvLayer): number {
  const [, c, kh, kw] = layer.weights.shape as [number, number, number, number];
  const D = denseSynthesisMatrix({ ...layer, pad: 0 }, [c, 4 * kh, 4 * kw]);
  const n = D.rows;
  const norm = (j: number) => Math.sqrt(D.data.subarray(j * n, (j + 1) * n).reduce((s, v) => s + v * v, 0));
  let mu = 0;
  for (let i = 0; i < D.cols; i++) {
    for (let j = i + 1; j < D.cols; j++) {
      let s = 0;
      for (let r = 0; r < n; r++) s += D.data[i * n + r]! * D.data[j * n + r]!;
      mu = Math.max(mu, Math.abs(s) / (norm(i) * norm(j)));
    }
  }
  return mu;
}

/**
 * ‖Γ‖s0,∞ by its definition: for every k×k window of the input, count the non-zeros whose atom (support
 * rows s·a − pad … s·a − pad + k − 1, columns likewise) overlaps it.
 */
function bruteStripe(code: Float32Array, m: number, Hc: number, Wc: number, k: number, s: number, pad: number, H: number, W: number): number {
  let best = 0;
  for (let r0 = 0; r0 + k <= H; r0++) {
    for (let c0 = 0; c0 + k <= W; c0++) {
      let count = 0;
      for (let j = 0; j < m; j++) {
        for (let a = 0; a < Hc; a++) {
          for (let b = 0; b < Wc; b++) {
            if (code[(j * Hc + a) * Wc + b] === 0) continue;
            const top = s * a - pad;
            const left = s * b - pad;
            if (top <= r0 + k - 1 && top + k - 1 >= r0 && left <= c0 + k - 1 && left + k - 1 >= c0) count++;
          }
        }
      }
      best = Math.max(best, count);
    }
  }
  return best;
}

describe('convolutional layer theory', () => {
  const shape: [number, number, number, number] = [4, 2, 3, 3];
  const layer: ConvLayer = { weights: { shape, data: randomWeights(shape, 11) }, stride: 2, pad: 1 };

  it('μ over all atom pairs and shifts at the stride matches the Gram of the dense dictionary; the bound is ½(1 + 1/μ)', () => {
    const { theory, notes } = convolutionalLayerTheory(1, layer);
    expect(theory.coherence).toBeCloseTo(bruteCoherence(layer), 6);
    expect(theory.sparsityBound).toBeCloseTo(0.5 * (1 + 1 / theory.coherence), 12);
    // Welch over the 5×5 window of all relative shifts: d = 2·25 = 50 ≥ M = 4·3·3 = 36 atoms, so it says nothing here.
    expect(theory.welch).toBe(0);
    const wide = convolutionalLayerTheory(1, { weights: { shape: [12, 1, 3, 3], data: randomWeights([12, 1, 3, 3], 2) }, stride: 1, pad: 0 }).theory;
    // d = 25, M = 12·25 = 300: √((M − d)/(d(M − 1))).
    expect(wide.welch).toBeCloseTo(Math.sqrt(275 / (25 * 299)), 12);
    expect(wide.welch).toBeLessThanOrEqual(wide.coherence);
    expect([theory.atoms, theory.channels, theory.kernel, theory.stride]).toEqual([4, 2, 3, 2]);
    expect(theory.stripeSparsity).toBeUndefined();
    expect(notes).toEqual([]);
  });

  it('measures the stripe sparsity of saved codes as a brute-force count of overlapping atoms, worst item of the batch', () => {
    const input: [number, number, number] = [2, 11, 9];
    const [m, Hc, Wc] = codeShapeOf(layer, input);
    const B = 3;
    const codes = sparseCodes([B, m, Hc, Wc], 0.3, 5);
    const { theory } = convolutionalLayerTheory(1, { ...layer, codes: { shape: [B, m, Hc, Wc], data: codes }, input: { shape: [B, ...input], data: new Float32Array(B * 2 * 11 * 9) } });
    const per = m * Hc * Wc;
    const expected = Math.max(...Array.from({ length: B }, (_, b) => bruteStripe(codes.subarray(b * per, (b + 1) * per), m, Hc, Wc, 3, 2, 1, 11, 9)));
    expect(theory.stripeSparsity).toBe(expected);
    expect(theory.density).toBeCloseTo(codes.filter((v) => v !== 0).length / codes.length, 12);
    expect(theory.holds).toBe(expected < theory.sparsityBound);
  });

  it('measures a too-large layer on a subset of its filters and says so', () => {
    const full = convolutionalLayerTheory(1, layer).theory.coherence;
    const { theory, notes } = convolutionalLayerTheory(1, layer, 500);
    expect(notes.join(' ')).toMatch(/lower bound/);
    const kept = Number(/on (\d+) evenly spaced filters of 4/.exec(notes[0]!)![1]);
    expect(kept).toBeLessThan(4);
    const subset = Array.from({ length: kept }, (_, i) => Math.floor((i * 4) / kept));
    const size = 2 * 3 * 3;
    const data = new Float64Array(kept * size);
    subset.forEach((f, i) => data.set(layer.weights.data.subarray(f * size, (f + 1) * size), i * size));
    expect(theory.coherence).toBeCloseTo(filterCoherence({ weights: { shape: [kept, 2, 3, 3], data }, stride: 2 }).mu, 12);
    expect(theory.coherence).toBeLessThanOrEqual(full + 1e-12);
    // Beyond sampling: even two filters are far over the budget.
    expect(() => convolutionalLayerTheory(2, layer, 10)).toThrow(/layer 2 \(\[4, 2, 3, 3\], stride 2\) is too large to measure/);
  });
});

describe('Sparseland theory', () => {
  it('μ is the largest off-diagonal entry of the normalised Gram; ‖γ‖0 the most non-zeros of one signal', () => {
    const K = 12;
    const p = 3;
    const W = randomWeights([K, 1, p, p], 3);
    const n = p * p;
    let mu = 0;
    for (let i = 0; i < K; i++) {
      for (let j = 0; j < K; j++) {
        if (i === j) continue;
        let s = 0;
        let a = 0;
        let b = 0;
        for (let r = 0; r < n; r++) {
          s += W[i * n + r]! * W[j * n + r]!;
          a += W[i * n + r]! ** 2;
          b += W[j * n + r]! ** 2;
        }
        mu = Math.max(mu, Math.abs(s) / Math.sqrt(a * b));
      }
    }
    const N = 20;
    const codes = sparseCodes([N, K, 1, 1], 0.2, 9);
    const rows = Array.from({ length: N }, (_, i) => codes.subarray(i * K, (i + 1) * K).filter((v) => v !== 0).length);
    const { theory } = sparselandLayerTheory({ shape: [K, 1, p, p], data: W }, { shape: [N, K], data: codes });
    expect(theory.coherence).toBeCloseTo(mu, 10);
    expect(theory.welch).toBeCloseTo(Math.sqrt((K - n) / (n * (K - 1))), 12);
    expect(theory.sparsityBound).toBeCloseTo(0.5 * (1 + 1 / mu), 10);
    expect(theory.stripeSparsity).toBe(Math.max(...rows));
    expect(theory.holds).toBe(Math.max(...rows) < theory.sparsityBound);
  });

  it('orthogonal atoms (μ = 0) give an unlimited bound that still fits the contract', () => {
    const I = new Float32Array(16);
    for (let i = 0; i < 4; i++) I[i * 4 + i] = 1;
    const { theory, notes } = sparselandLayerTheory({ shape: [4, 1, 2, 2], data: I });
    expect(theory.coherence).toBe(0);
    expect(theory.sparsityBound).toBe(Number.MAX_VALUE);
    expect(notes.join(' ')).toMatch(/orthogonal/);
    expect(RunTheory.safeParse({ runId: 'r', model: 'sparseland', layers: [theory] }).success).toBe(true);
  });
});

describe('a run folder', () => {
  it('reads W<k>.npy, gamma<k>.npy and input.npy; deeper layers take the previous code as their input', async () => {
    const dir = path.join(tmp, 'two-layer');
    mkdirSync(dir);
    const s1: [number, number, number, number] = [3, 1, 3, 3];
    const s2: [number, number, number, number] = [5, 3, 2, 2];
    const W1 = randomWeights(s1, 1);
    const W2 = randomWeights(s2, 2);
    const g1Shape: [number, number, number, number] = [1, 3, 8, 8];
    const g2Shape: [number, number, number, number] = [1, 5, 7, 7];
    const g1 = sparseCodes(g1Shape, 0.25, 3);
    const g2 = sparseCodes(g2Shape, 0.25, 4);
    const write = (name: string, shape: number[], data: Float32Array) => writeFileSync(path.join(dir, `${name}.npy`), serializeNpy({ dtype: 'float32', shape, data }));
    write('W1', s1, W1);
    write('W2', s2, W2);
    write('gamma1', g1Shape, g1);
    write('gamma2', g2Shape, g2);
    write('input', [1, 1, 10, 10], new Float32Array(100));
    const t = RunTheory.parse(await runTheoryFromFolder('r1', dir, 'convolutional', [{ stride: 1, pad: 0 }, { stride: 1, pad: 0 }]));
    expect(t.layers).toHaveLength(2);
    expect(t.layers[0]!.stripeSparsity).toBe(bruteStripe(g1, 3, 8, 8, 3, 1, 0, 10, 10));
    expect(t.layers[1]!.stripeSparsity).toBe(bruteStripe(g2, 5, 7, 7, 2, 1, 0, 8, 8));
    expect(t.layers[1]!.coherence).toBeCloseTo(bruteCoherence({ weights: { shape: s2, data: W2 }, stride: 1, pad: 0 }), 6);
    expect(t.note).toBeUndefined();
  });

  it('says when no codes were saved, and refuses a folder without dictionaries', async () => {
    const dir = path.join(tmp, 'session');
    mkdirSync(dir);
    await expect(runTheoryFromFolder('r2', dir, 'sparseland', [{ stride: 1, pad: 0 }])).rejects.toBeInstanceOf(MissingDictionaryError);
    writeFileSync(path.join(dir, 'W1.npy'), serializeNpy({ dtype: 'float32', shape: [6, 1, 2, 2], data: randomWeights([6, 1, 2, 2], 8) }));
    const t = RunTheory.parse(await runTheoryFromFolder('r2', dir, 'sparseland', [{ stride: 1, pad: 0 }]));
    expect(t.model).toBe('sparseland');
    expect(t.layers[0]!.stripeSparsity).toBeUndefined();
    expect(t.note).toMatch(/saved no codes/);
  });
});
