import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src-shared/math/random';
import { sampleLocallySparseCode, sampleSparseVector, type CodeValueOptions } from './codes';
import { stripeSparsity } from './local-norms';
import type { ConvLayer } from './types';

function layerOf(m: number, c: number, kh: number, kw: number, stride = 1, pad = 0): ConvLayer {
  return { weights: { shape: [m, c, kh, kw], data: new Float32Array(m * c * kh * kw).fill(1) }, stride, pad };
}

const uniformValues: CodeValueOptions = { valueRange: [0.5, 1], sign: 'both' };

/** Layer, input and stripe for the oracle sweep: 1-D and 2-D, strides 1 and 2, with and without padding. */
const cases: { name: string; layer: ConvLayer; input: [number, number, number]; stripe: number }[] = [
  { name: '1-D m=2 n=16 s=1', layer: layerOf(2, 1, 1, 16), input: [1, 1, 160], stripe: 3 },
  { name: '1-D m=3 n=8 s=2', layer: layerOf(3, 2, 1, 8, 2), input: [2, 1, 64], stripe: 2 },
  { name: '1-D m=2 n=5 s=1 pad 2', layer: layerOf(2, 1, 1, 5, 1, 2), input: [1, 1, 30], stripe: 4 },
  { name: '2-D m=4 k=3 s=1', layer: layerOf(4, 1, 3, 3), input: [1, 12, 12], stripe: 3 },
  { name: '2-D m=3 k=4 s=2', layer: layerOf(3, 2, 4, 4, 2), input: [2, 14, 14], stripe: 2 },
  { name: '2-D m=2 k=3 s=2 pad 1', layer: layerOf(2, 1, 3, 3, 2, 1), input: [1, 9, 9], stripe: 1 },
];

describe('sampleLocallySparseCode', () => {
  it('achieves exactly the requested stripe sparsity (local-norms oracle), many seeds', () => {
    for (const c of cases) {
      for (let seed = 1; seed <= 12; seed++) {
        const r = sampleLocallySparseCode(c.layer, c.input, { ...uniformValues, stripe: c.stripe }, mulberry32(seed));
        const oracle = stripeSparsity({ shape: r.shape, data: r.data }, c.layer, c.input);
        expect(oracle.value, `${c.name} seed ${seed}`).toBe(c.stripe);
        expect(r.stripe).toBe(oracle.value);
      }
    }
  });

  it('is maximal: turning on any zero entry breaks the stripe cap', () => {
    for (const c of [cases[1]!, cases[3]!, cases[5]!]) {
      const r = sampleLocallySparseCode(c.layer, c.input, { ...uniformValues, stripe: c.stripe }, mulberry32(3));
      for (let e = 0; e < r.data.length; e++) {
        if (r.data[e] !== 0) continue;
        const d = r.data.slice();
        d[e] = 1;
        expect(stripeSparsity({ shape: r.shape, data: d }, c.layer, c.input).value, `${c.name} entry ${e}`).toBe(c.stripe + 1);
      }
    }
  });

  it('uses every entry when the whole code fits under the cap', () => {
    const layer = layerOf(2, 1, 1, 4);
    const r = sampleLocallySparseCode(layer, [1, 1, 6], { ...uniformValues, stripe: 100 }, mulberry32(1));
    expect(r.data.every((v) => v !== 0)).toBe(true);
    expect(r.stripe).toBe(stripeSparsity({ shape: r.shape, data: r.data }, layer, [1, 1, 6]).value);
    expect(r.stripe).toBeLessThan(100);
  });

  it('fill < 1 keeps a prefix of the maximal fill: a subset with ≈ that fraction of non-zeros, still under the cap', () => {
    const c = cases[0]!;
    for (let seed = 1; seed <= 5; seed++) {
      const full = sampleLocallySparseCode(c.layer, c.input, { ...uniformValues, stripe: c.stripe }, mulberry32(seed));
      const part = sampleLocallySparseCode(c.layer, c.input, { ...uniformValues, stripe: c.stripe, fill: 0.5 }, mulberry32(seed));
      const nFull = full.data.filter((v) => v !== 0).length;
      const nPart = part.data.filter((v) => v !== 0).length;
      expect(nPart).toBe(Math.round(0.5 * nFull));
      for (let e = 0; e < part.data.length; e++) if (part.data[e] !== 0) expect(full.data[e]).not.toBe(0);
      const oracle = stripeSparsity({ shape: part.shape, data: part.data }, c.layer, c.input).value;
      expect(part.stripe).toBe(oracle);
      expect(oracle).toBeLessThanOrEqual(c.stripe);
    }
  });

  it('draws values as asked', () => {
    const layer = layerOf(2, 1, 1, 8);
    const input: [number, number, number] = [1, 1, 400];
    const pos = sampleLocallySparseCode(layer, input, { valueRange: [2, 3], sign: 'positive', stripe: 4 }, mulberry32(1)).data.filter((v) => v !== 0);
    expect(pos.every((v) => v >= 2 && v <= 3)).toBe(true);
    const both = sampleLocallySparseCode(layer, input, { valueRange: [2, 3], sign: 'both', stripe: 4 }, mulberry32(1)).data.filter((v) => v !== 0);
    expect(both.every((v) => Math.abs(v) >= 2 && Math.abs(v) <= 3)).toBe(true);
    expect(both.some((v) => v < 0) && both.some((v) => v > 0)).toBe(true);
    const g = sampleLocallySparseCode(layer, [1, 1, 4000], { valueRange: [2, 3], sign: 'both', distribution: 'gaussian', stripe: 6 }, mulberry32(1)).data.filter((v) => v !== 0);
    const mean = g.reduce((s, v) => s + v, 0) / g.length;
    const sd = Math.sqrt(g.reduce((s, v) => s + (v - mean) ** 2, 0) / g.length);
    expect(g.length).toBeGreaterThan(1000);
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(sd).toBeGreaterThan(0.9);
    expect(sd).toBeLessThan(1.1);
    expect(g.some((v) => Math.abs(v) < 0.5)).toBe(true);
  });

  it('is fast on the phase-transition geometry (m = 2, n = 64, N = 640)', () => {
    const layer = layerOf(2, 1, 1, 64);
    const u = mulberry32(5);
    const t = performance.now();
    for (let i = 0; i < 50; i++) sampleLocallySparseCode(layer, [1, 1, 640], { ...uniformValues, stripe: 8 }, u);
    expect((performance.now() - t) / 50).toBeLessThan(20);
  });

  it('rejects bad options, naming the field', () => {
    const layer = layerOf(2, 1, 1, 4);
    const u = mulberry32(1);
    expect(() => sampleLocallySparseCode(layer, [1, 1, 10], { ...uniformValues, stripe: 0 }, u)).toThrow(/stripe/);
    expect(() => sampleLocallySparseCode(layer, [1, 1, 10], { ...uniformValues, stripe: 1, fill: 0 }, u)).toThrow(/fill/);
    expect(() => sampleLocallySparseCode(layer, [1, 1, 10], { valueRange: [1, 0.5], sign: 'both', stripe: 1 }, u)).toThrow(/valueRange/);
    expect(() => sampleLocallySparseCode(layer, [1, 1, 10], { valueRange: [0, 1], sign: 'both', stripe: 1 }, u)).toThrow(/valueRange/);
  });
});

describe('sampleSparseVector', () => {
  it('has exactly nnz non-zeros at distinct positions, values in range, seeded', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const v = sampleSparseVector(50, 7, uniformValues, mulberry32(seed));
      const nz = v.filter((x) => x !== 0);
      expect(nz.length).toBe(7);
      expect(nz.every((x) => Math.abs(x) >= 0.5 && Math.abs(x) <= 1)).toBe(true);
      expect(sampleSparseVector(50, 7, uniformValues, mulberry32(seed))).toEqual(v);
    }
    expect(sampleSparseVector(5, 5, uniformValues, mulberry32(1)).every((x) => x !== 0)).toBe(true);
    expect(sampleSparseVector(5, 0, uniformValues, mulberry32(1)).every((x) => x === 0)).toBe(true);
  });

  it('spreads its support uniformly', () => {
    const hits = new Float64Array(10);
    const u = mulberry32(2);
    for (let t = 0; t < 4000; t++) sampleSparseVector(10, 3, uniformValues, u).forEach((x, i) => (hits[i] += x !== 0 ? 1 : 0));
    for (const h of hits) expect(Math.abs(h / 4000 - 0.3)).toBeLessThan(0.03);
  });

  it('rejects nnz > length', () => {
    expect(() => sampleSparseVector(4, 5, uniformValues, mulberry32(1))).toThrow(/nnz/);
  });
});
