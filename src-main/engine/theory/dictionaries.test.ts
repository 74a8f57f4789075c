import { describe, expect, it } from 'vitest';
import { columnNorms } from '../learn/sparseland/dense';
import { convolutionalWelchBound, denseCoherence, filterCoherence, welchBound } from './coherence';
import { denseSynthesisMatrix } from './conv-matrix';
import { randomConvFilters, randomSparselandDictionary } from './dictionaries';

function filterNorms(w: Float32Array, m: number): number[] {
  const fs = w.length / m;
  return Array.from({ length: m }, (_, j) => Math.sqrt(w.subarray(j * fs, (j + 1) * fs).reduce((s, v) => s + v * v, 0)));
}

describe('randomSparselandDictionary', () => {
  it('has unit Gaussian columns, is seeded, and reports denseCoherence', () => {
    const a = randomSparselandDictionary(20, 40, 7);
    const b = randomSparselandDictionary(20, 40, 7);
    const c = randomSparselandDictionary(20, 40, 8);
    expect(a.D.data).toEqual(b.D.data);
    expect(a.D.data).not.toEqual(c.D.data);
    for (const v of columnNorms(a.D)) expect(v).toBeCloseTo(1, 12);
    expect(a.mu).toBe(denseCoherence(a.D));
  });

  it('lowers μ of a 64×128 dictionary to ≤ 0.25 quickly, staying above the Welch bound', () => {
    const welch = welchBound(128, 64);
    for (const seed of [1, 2, 3]) {
      const raw = randomSparselandDictionary(64, 128, seed);
      const t = performance.now();
      const red = randomSparselandDictionary(64, 128, seed, { targetCoherence: 0.25 });
      const ms = performance.now() - t;
      console.log(`Sparseland 64×128 seed ${seed}: raw μ = ${raw.mu.toFixed(4)}, reduced μ = ${red.mu.toFixed(4)} (Welch ${welch.toFixed(4)}), ${ms.toFixed(0)} ms`);
      expect(raw.mu).toBeGreaterThan(0.35);
      expect(red.mu).toBeLessThanOrEqual(0.25);
      expect(red.mu).toBeGreaterThanOrEqual(welch);
      expect(red.mu).toBe(denseCoherence(red.D));
      expect(ms).toBeLessThan(1000);
      for (const v of columnNorms(red.D)) expect(v).toBeCloseTo(1, 12);
    }
  });

  it('stops at the iteration budget when the target is below the Welch bound, returning the best seen', () => {
    const raw = randomSparselandDictionary(16, 48, 4);
    const red = randomSparselandDictionary(16, 48, 4, { targetCoherence: 0.05, iterations: 200 });
    expect(red.mu).toBeGreaterThanOrEqual(welchBound(48, 16));
    expect(red.mu).toBeLessThan(raw.mu);
  });

  it('rejects bad arguments, naming them', () => {
    expect(() => randomSparselandDictionary(0, 4, 1)).toThrow(/n must be a positive integer/);
    expect(() => randomSparselandDictionary(4, 2.5, 1)).toThrow(/atoms/);
    expect(() => randomSparselandDictionary(4, 8, 1, { targetCoherence: 1.5 })).toThrow(/targetCoherence/);
    expect(() => randomSparselandDictionary(4, 8, 1, { targetCoherence: 0.5, iterations: -1 })).toThrow(/iterations/);
  });
});

describe('randomConvFilters', () => {
  it('m = 2, 1×64, stride 1 (the phase-transition dictionary): μ well below random Gaussian filters', () => {
    const o = { filters: 2, channels: 1, kernel: [1, 64] as const, stride: 1 };
    for (const seed of [1, 2, 3]) {
      const raw = randomConvFilters(o, seed);
      const t = performance.now();
      const red = randomConvFilters({ ...o, targetCoherence: 0.15 }, seed);
      const ms = performance.now() - t;
      const layer = { weights: { shape: red.shape, data: red.weights }, stride: 1 };
      const welch = convolutionalWelchBound(layer);
      console.log(`conv m=2 n=64 seed ${seed}: raw μ = ${raw.mu.toFixed(4)}, reduced μ = ${red.mu.toFixed(4)} (Welch ${welch.toFixed(4)}), ${ms.toFixed(0)} ms`);
      expect(red.shape).toEqual([2, 1, 1, 64]);
      expect(raw.mu).toBeGreaterThan(0.25);
      expect(red.mu).toBeLessThanOrEqual(0.15);
      expect(red.mu).toBeGreaterThanOrEqual(welch);
      expect(red.mu).toBe(filterCoherence(layer).mu);
      expect(ms).toBeLessThan(1000);
      for (const v of filterNorms(red.weights, 2)) expect(v).toBeCloseTo(1, 6);
    }
  });

  it('m = 2, 1×64 gets within 1.5× of the convolutional Welch bound (0.063) when asked', () => {
    const red = randomConvFilters({ filters: 2, channels: 1, kernel: [1, 64], stride: 1, targetCoherence: 0.09 }, 1);
    console.log(`conv m=2 n=64 target 0.09: μ = ${red.mu.toFixed(4)}`);
    expect(red.mu).toBeLessThanOrEqual(0.09);
  });

  it('its μ is the brute-force coherence of the dense valid dictionary (2-D, stride 2: all stride-multiple shifts)', () => {
    const r = randomConvFilters({ filters: 4, channels: 2, kernel: [3, 3], stride: 2, targetCoherence: 0.3 }, 5);
    expect(r.mu).toBeLessThanOrEqual(0.3);
    const D = denseSynthesisMatrix({ weights: { shape: r.shape, data: r.weights }, stride: 2, pad: 0 }, [2, 11, 11]);
    expect(denseCoherence(D)).toBeCloseTo(r.mu, 6);
  });

  it('sparse filters keep exactly q non-zeros each, and their pattern, through the reduction', () => {
    const o = { filters: 8, channels: 3, kernel: [5, 5] as const, stride: 2, nonzeros: 6 };
    const raw = randomConvFilters(o, 9);
    const red = randomConvFilters({ ...o, targetCoherence: 0.2, iterations: 400 }, 9);
    const fs = 3 * 25;
    for (let j = 0; j < 8; j++) {
      let nnz = 0;
      for (let p = 0; p < fs; p++) {
        expect(red.weights[j * fs + p] !== 0).toBe(raw.weights[j * fs + p] !== 0);
        if (red.weights[j * fs + p] !== 0) nnz++;
      }
      expect(nnz).toBe(6);
    }
    for (const v of filterNorms(red.weights, 8)) expect(v).toBeCloseTo(1, 6);
    expect(red.mu).toBeLessThan(raw.mu);
  });

  it("'sign' filters have equal-magnitude non-zeros ±1/√q, kept by the sign-flip search", () => {
    const o = { filters: 2, channels: 1, kernel: [1, 32] as const, stride: 1, nonzeros: 16, values: 'sign' as const };
    const raw = randomConvFilters(o, 3);
    const red = randomConvFilters({ ...o, targetCoherence: 0.1, iterations: 1000 }, 3);
    for (const w of [raw.weights, red.weights]) {
      let nnz = 0;
      for (const v of w) {
        if (v === 0) continue;
        nnz++;
        expect(Math.abs(v)).toBeCloseTo(1 / 4, 7);
      }
      expect(nnz).toBe(32);
    }
    expect(red.mu).toBeLessThanOrEqual(raw.mu);
  });

  it('is seeded', () => {
    const o = { filters: 3, channels: 2, kernel: [3, 3] as const, stride: 1, targetCoherence: 0.4 };
    expect(randomConvFilters(o, 11).weights).toEqual(randomConvFilters(o, 11).weights);
    expect(randomConvFilters(o, 11).weights).not.toEqual(randomConvFilters(o, 12).weights);
  });

  it('rejects bad options, naming the field', () => {
    const o = { filters: 2, channels: 1, kernel: [3, 3] as const, stride: 1 };
    expect(() => randomConvFilters({ ...o, filters: 0 }, 1)).toThrow(/filters/);
    expect(() => randomConvFilters({ ...o, kernel: [3, 0] }, 1)).toThrow(/kernel\[1\]/);
    expect(() => randomConvFilters({ ...o, stride: 1.5 }, 1)).toThrow(/stride/);
    expect(() => randomConvFilters({ ...o, nonzeros: 10 }, 1)).toThrow(/nonzeros must be an integer in \[1, 9\]/);
    expect(() => randomConvFilters({ ...o, targetCoherence: 0 }, 1)).toThrow(/targetCoherence/);
  });
});
