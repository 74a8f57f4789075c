import { describe, expect, it } from 'vitest';
import { gaussian, mulberry32 } from '../../../src-shared/math/random';
import { mat } from '../learn/sparseland/dense';
import { codeShapeOf, denseSynthesisMatrix } from './conv-matrix';
import { convolutionalWelchBound, denseCoherence, filterCoherence, mutualCoherence, welchBound } from './coherence';
import type { ConvLayer } from './types';

function randomLayer(m: number, c: number, kh: number, kw: number, stride: number, seed: number, density = 1): ConvLayer {
  const u = mulberry32(seed);
  const g = gaussian(mulberry32(seed + 1));
  const data = new Float64Array(m * c * kh * kw);
  for (let k = 0; k < data.length; k++) if (u() < density) data[k] = g();
  // A sparse draw may leave a filter empty; give it one tap so it has a norm.
  for (let f = 0; f < m; f++) {
    const o = f * c * kh * kw;
    if (data.subarray(o, o + c * kh * kw).every((v) => v === 0)) data[o + Math.floor(u() * c * kh * kw)] = 1;
  }
  return { weights: { shape: [m, c, kh, kw], data }, stride, pad: 0 };
}

/** μ and the per-filter-pair maxima from the normalised Gram of the explicit matrix (pad 0: complete atoms). */
function bruteForce(layer: ConvLayer): { mu: number; pairs: Float64Array } {
  const [m, c, kh, kw] = layer.weights.shape as [number, number, number, number];
  const input: [number, number, number] = [c, kh === 1 ? 1 : 3 * kh, 3 * kw];
  const [, Hc, Wc] = codeShapeOf(layer, input);
  const D = denseSynthesisMatrix(layer, input);
  const n = D.rows;
  const norm = Array.from({ length: D.cols }, (_, j) => Math.sqrt(D.data.subarray(j * n, (j + 1) * n).reduce((s, v) => s + v * v, 0)));
  const pairs = new Float64Array(m * m);
  let mu = 0;
  for (let i = 0; i < D.cols; i++) {
    for (let j = i + 1; j < D.cols; j++) {
      let s = 0;
      for (let r = 0; r < n; r++) s += D.data[i * n + r]! * D.data[j * n + r]!;
      const v = Math.abs(s) / (norm[i]! * norm[j]!);
      const a = Math.floor(i / (Hc * Wc));
      const b = Math.floor(j / (Hc * Wc));
      pairs[a * m + b] = Math.max(pairs[a * m + b]!, v);
      pairs[b * m + a] = Math.max(pairs[b * m + a]!, v);
      mu = Math.max(mu, v);
    }
  }
  return { mu, pairs };
}

/** Normalised correlation of filter b shifted by (dy, dx) against filter a, by a plain loop. */
function correlation(layer: ConvLayer, a: number, b: number, dy: number, dx: number): number {
  const [, c, kh, kw] = layer.weights.shape as [number, number, number, number];
  const w = (f: number, ch: number, p: number, q: number) =>
    p < 0 || p >= kh || q < 0 || q >= kw ? 0 : layer.weights.data[((f * c + ch) * kh + p) * kw + q]!;
  let s = 0;
  let na = 0;
  let nb = 0;
  for (let ch = 0; ch < c; ch++) {
    for (let p = 0; p < kh; p++) {
      for (let q = 0; q < kw; q++) {
        s += w(a, ch, p, q) * w(b, ch, p - dy, q - dx);
        na += w(a, ch, p, q) ** 2;
        nb += w(b, ch, p, q) ** 2;
      }
    }
  }
  return Math.abs(s) / Math.sqrt(na * nb);
}

const cases: [string, number, number, number, number, number, number][] = [];
for (const s of [1, 2, 3]) {
  cases.push([`2-D 3×3, c=2, s=${s}`, 3, 2, 3, 3, s, 1]);
  cases.push([`2-D 2×4, c=1, s=${s}`, 2, 1, 2, 4, s, 1]);
  cases.push([`2-D 4×4 sparse, c=3, s=${s}`, 4, 3, 4, 4, s, 0.3]);
  cases.push([`1-D 1×7, c=1, s=${s}`, 3, 1, 1, 7, s, 1]);
  cases.push([`1-D 1×6, c=2, s=${s}`, 2, 2, 1, 6, s, 1]);
  cases.push([`1-D 1×9 sparse, c=2, s=${s}`, 3, 2, 1, 9, s, 0.4]);
}
cases.push(['1×1 filters (no overlapping shift)', 4, 3, 1, 1, 1, 1]);

describe('filterCoherence', () => {
  it.each(cases.map((c, i) => [...c, i] as const))('matches the brute-force Gram of the dense dictionary (%s)', (_, m, c, kh, kw, s, density, i) => {
    const layer = randomLayer(m, c, kh, kw, s, 1000 + 17 * i, density);
    const ref = bruteForce(layer);
    for (const method of ['dense', 'sparse'] as const) {
      const other = filterCoherence(layer, { method });
      expect(Math.abs(other.mu - ref.mu)).toBeLessThan(1e-12);
      for (let k = 0; k < m * m; k++) expect(Math.abs(other.pairs[k]! - ref.pairs[k]!)).toBeLessThan(1e-12);
    }
    const fc = filterCoherence(layer);
    expect(mutualCoherence(layer)).toBe(fc.mu);
    const { a, b, dy, dx } = fc.worst;
    expect(Math.abs(dy % s)).toBe(0);
    expect(Math.abs(dx % s)).toBe(0);
    expect(Math.abs(dy)).toBeLessThan(kh);
    expect(Math.abs(dx)).toBeLessThan(kw);
    expect(a === b && dy === 0 && dx === 0).toBe(fc.mu === 0);
    if (fc.mu > 0) expect(Math.abs(correlation(layer, a, b, dy, dx) - fc.mu)).toBeLessThan(1e-12);
  });

  it('is scale invariant per filter and reads float32 weights', () => {
    const layer = randomLayer(3, 2, 3, 3, 1, 5);
    const scaled = Float64Array.from(layer.weights.data, (v, k) => v * (1 + Math.floor(k / 18)));
    const a = filterCoherence(layer);
    const b = filterCoherence({ ...layer, weights: { shape: layer.weights.shape, data: scaled } });
    expect(Math.abs(a.mu - b.mu)).toBeLessThan(1e-12);
    const f32 = filterCoherence({ ...layer, weights: { shape: layer.weights.shape, data: Float32Array.from(layer.weights.data) } });
    expect(Math.abs(f32.mu - a.mu)).toBeLessThan(1e-5);
  });

  it('gives a single 1×1 filter coherence 0 and two identical filters coherence 1', () => {
    expect(filterCoherence({ weights: { shape: [1, 3, 1, 1], data: new Float64Array([1, 2, 3]) }, stride: 1 }).mu).toBe(0);
    const twin = filterCoherence({ weights: { shape: [2, 1, 1, 3], data: new Float64Array([1, -2, 3, 2, -4, 6]) }, stride: 2 });
    expect(twin.mu).toBeCloseTo(1, 14);
    expect(twin.worst).toEqual({ a: 0, b: 1, dy: 0, dx: 0 });
    // Barker-13: every off-peak aperiodic autocorrelation is ±1/13.
    const barker = new Float64Array([1, 1, 1, 1, 1, -1, -1, 1, 1, -1, 1, -1, 1]);
    expect(filterCoherence({ weights: { shape: [1, 1, 1, 13], data: barker }, stride: 1 }).mu).toBeCloseTo(1 / 13, 14);
  });

  it('throws RangeError naming a zero filter', () => {
    const data = new Float64Array(2 * 1 * 1 * 4);
    data.set([1, 0, 0, 0]);
    expect(() => filterCoherence({ weights: { shape: [2, 1, 1, 4], data }, stride: 1 })).toThrow(/filter 1 has zero norm/);
    expect(() => filterCoherence({ weights: { shape: [2, 1, 1, 4], data }, stride: 1 })).toThrow(RangeError);
  });

  it('handles a sparse bank the size of the sources’ MNIST D_3 quickly', () => {
    // 1024 filters 7×7×128, 99.89% sparse (000, 001): brute force would need a 10^5-column Gram.
    const layer = randomLayer(1024, 128, 7, 7, 1, 9, 0.0011);
    const t0 = performance.now();
    const fc = filterCoherence(layer);
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(fc.mu).toBeGreaterThan(0);
    expect(fc.mu).toBeLessThanOrEqual(1 + 1e-12);
  });
});

describe('denseCoherence', () => {
  it('is the largest normalised off-diagonal Gram entry, skipping zero columns', () => {
    const D = mat(2, 4, new Float64Array([1, 0, 0, 0, 3, 4, 0, 2]));
    expect(denseCoherence(D)).toBeCloseTo(0.8, 15);
    expect(denseCoherence(mat(3, 1, new Float64Array([1, 2, 3])))).toBe(0);
  });
});

describe('Welch bounds', () => {
  it('matches the closed form and vanishes when atoms do not outnumber dimensions', () => {
    expect(welchBound(10, 10)).toBe(0);
    expect(welchBound(3, 5)).toBe(0);
    expect(welchBound(3, 2)).toBeCloseTo(0.5, 15);
  });

  it('reproduces the sources’ 0.063 for m = 2 filters of length 64 (001)', () => {
    const layer = randomLayer(2, 1, 1, 64, 1, 3);
    expect(convolutionalWelchBound(layer)).toBeCloseTo(Math.sqrt(1 / 253), 15);
    expect(convolutionalWelchBound(layer)).toBeCloseTo(0.063, 3);
  });

  it('counts stride steps and 2-D windows', () => {
    // d = 2·5·5 = 50, M = 3·⌈5/2⌉² = 27 ≤ d: vacuous; stride 1: M = 75.
    expect(convolutionalWelchBound(randomLayer(3, 2, 3, 3, 2, 1))).toBe(0);
    expect(convolutionalWelchBound(randomLayer(3, 2, 3, 3, 1, 1))).toBeCloseTo(Math.sqrt(25 / (50 * 74)), 15);
  });

  it('is never beaten by random 1-D filter banks at stride 1', () => {
    for (let seed = 0; seed < 20; seed++) {
      const layer = randomLayer(2 + (seed % 3), 1, 1, 8 + seed, 1, 50 + seed);
      expect(mutualCoherence(layer)).toBeGreaterThanOrEqual(convolutionalWelchBound(layer));
    }
  });
});
