import { describe, expect, it } from 'vitest';
import { DatasetStats } from '../../../src-shared/contract';
import type { ImportedArray } from './import';
import { datasetStats, thumbnails } from './stats';

function arr(shape: [number, number, number, number], f: (i: number) => number): ImportedArray {
  const n = shape.reduce((a, b) => a * b, 1);
  return { name: 't', data: Float32Array.from({ length: n }, (_, i) => f(i)), shape, sourceDtype: 'float32', sourceShape: shape.slice() };
}

describe('datasetStats', () => {
  it('whole-set and per-channel min, max, mean, std; valid against the contract schema', () => {
    // Two items, two channels of 1x2: channel 0 holds 0, 1, 4, 5; channel 1 holds 2, 3, 6, 7.
    const s = datasetStats(arr([2, 2, 1, 2], (i) => i), 3);
    expect(s).toMatchObject({ shape: [2, 2, 1, 2], min: 0, max: 7, mean: 3.5, testItems: 3 });
    expect(s.std).toBeCloseTo(Math.sqrt(5.25));
    expect(s.perChannel[0]).toMatchObject({ min: 0, max: 5, mean: 2.5 });
    expect(s.perChannel[1]).toMatchObject({ min: 2, max: 7, mean: 4.5 });
    expect(s.perChannel[0]!.std).toBeCloseTo(Math.sqrt(4.25));
    expect(DatasetStats.safeParse(s).success).toBe(true);
    expect(datasetStats(arr([0, 1, 2, 2], () => 0))).toMatchObject({ min: 0, max: 0, mean: 0, std: 0 });
  });
});

describe('thumbnails', () => {
  it('first `count` items, channel mean, each scaled to [0, 1], longer side ≤ size', () => {
    const a = arr([5, 3, 130, 70], (i) => Math.sin(i));
    const t = thumbnails(a, { count: 3, size: 64 });
    expect(t.shape).toEqual([3, 44, 24]); // factor 3: ceil(130/3) x ceil(70/3)
    expect(t.data.length).toBe(3 * 44 * 24);
    for (let n = 0; n < 3; n++) {
      const item = t.data.subarray(n * 44 * 24, (n + 1) * 44 * 24);
      expect(Math.min(...item)).toBe(0);
      expect(Math.max(...item)).toBeCloseTo(1, 6);
    }
    expect(thumbnails(a).shape[0]).toBe(5);
    expect(thumbnails(arr([1, 1, 4, 4], () => 2)).data.every((v) => v === 0.5)).toBe(true);
  });

  it('channel mean and box averaging are exact on small inputs; 1-D signals stay strips', () => {
    const a = arr([1, 2, 2, 2], (i) => [0, 2, 4, 6, 2, 2, 2, 2][i]!); // mean planes: 1, 2, 3, 4
    expect(Array.from(thumbnails(a, { size: 1 }).data)).toEqual([0.5]);
    expect(Array.from(thumbnails(a, { size: 2 }).data)).toEqual([0, 1 / 3, 2 / 3, 1].map(Math.fround));
    const sig = thumbnails(arr([2, 1, 1, 1000], (i) => i % 1000), { size: 64 });
    expect(sig.shape).toEqual([2, 1, 63]);
  });
});
