import { describe, expect, it } from 'vitest';
import type { PreprocessStep } from '../../../src-shared/contract';
import { mulberry32 } from '../../../src-shared/math/random';
import type { ImportedArray } from './import';
import { patchGrid, preprocess } from './preprocess';

function arr(shape: [number, number, number, number], f: (i: number) => number, labels?: number[]): ImportedArray {
  const n = shape.reduce((a, b) => a * b, 1);
  const a: ImportedArray = { name: 't', data: Float32Array.from({ length: n }, (_, i) => f(i)), shape, sourceDtype: 'float32', sourceShape: shape.slice() };
  if (labels) a.labels = Int32Array.from(labels);
  return a;
}

const rand = (seed: number) => {
  const r = mulberry32(seed);
  return () => r() * 10 - 3;
};

const run = (a: ImportedArray, ...steps: PreprocessStep[]) => preprocess(a, steps);

describe('preprocess', () => {
  it('grayscale: BT.601 luma of RGB(A); 1 channel unchanged; 2 channels refused', () => {
    const rgb = arr([1, 3, 1, 2], (i) => [1, 0, 0, 1, 0, 1][i]!);
    const g = run(rgb, { op: 'grayscale' }).train;
    expect(g.shape).toEqual([1, 1, 1, 2]);
    expect(g.data[0]).toBeCloseTo(0.299 + 0);
    expect(g.data[1]).toBeCloseTo(0.587 + 0.114);
    const rgba = arr([1, 4, 1, 1], (i) => [0, 1, 0, 0.2][i]!);
    expect(run(rgba, { op: 'grayscale' }).train.data[0]).toBeCloseTo(0.587);
    const gray = arr([2, 1, 2, 2], (i) => i);
    expect(run(gray, { op: 'grayscale' }).train).toBe(gray);
    expect(() => run(arr([1, 2, 2, 2], (i) => i), { op: 'grayscale' })).toThrow(/grayscale needs 1, 3 or 4 channels .* has 2/);
  });

  it('scale01 maps the data set onto [0, 1]; a constant set becomes 0', () => {
    const out = run(arr([3, 2, 4, 4], rand(1)), { op: 'scale01' }).train.data;
    expect(Math.min(...out)).toBe(0);
    expect(Math.max(...out)).toBeCloseTo(1, 6);
    expect(Array.from(run(arr([1, 1, 2, 2], () => 5), { op: 'scale01' }).train.data)).toEqual([0, 0, 0, 0]);
  });

  it('remove-mean leaves every item with zero mean', () => {
    const a = run(arr([4, 3, 5, 5], rand(2)), { op: 'remove-mean' }).train;
    const item = 75;
    for (let n = 0; n < 4; n++) {
      let s = 0;
      for (let i = 0; i < item; i++) s += a.data[n * item + i]!;
      expect(Math.abs(s / item)).toBeLessThan(1e-5);
    }
  });

  it('high-pass removes a constant (and a 1-D signal works along W)', () => {
    const c = run(arr([2, 1, 9, 9], () => 3.5), { op: 'high-pass', sigma: 2 }).train.data;
    expect(Math.max(...c.map(Math.abs))).toBeLessThan(1e-5);
    const img = arr([1, 1, 16, 16], rand(3));
    const hp = run(img, { op: 'high-pass', sigma: 3 }).train;
    expect(hp.shape).toEqual([1, 1, 16, 16]);
    expect(Math.max(...hp.data.map(Math.abs))).toBeGreaterThan(0.1);
    const sig = run(arr([1, 1, 1, 20], () => -1), { op: 'high-pass', sigma: 1 }).train.data;
    expect(Math.max(...sig.map(Math.abs))).toBeLessThan(1e-6);
  });

  it('crop and resize give the requested shapes; crop outside the image is refused', () => {
    const a = arr([2, 3, 6, 8], (i) => i);
    const c = run(a, { op: 'crop', x: 2, y: 1, width: 4, height: 3 }).train;
    expect(c.shape).toEqual([2, 3, 3, 4]);
    expect(c.data[0]).toBe(1 * 8 + 2);
    expect(c.data[c.data.length - 1]).toBe(a.data[(2 * 3 - 1) * 48 + 3 * 8 + 5]);
    expect(() => run(a, { op: 'crop', x: 6, y: 0, width: 3, height: 1 })).toThrow(/crop x 6\.\.8, y 0\.\.0 lies outside the 8x6/);
    for (const [w, h] of [
      [4, 3],
      [16, 12],
      [5, 7],
    ] as const) {
      expect(run(a, { op: 'resize', width: w, height: h }).train.shape).toEqual([2, 3, h, w]);
    }
  });

  it('resize: area averaging when shrinking, bilinear when growing, constants preserved', () => {
    const a = arr([1, 1, 2, 4], (i) => [1, 3, 5, 7, 1, 3, 5, 7][i]!);
    expect(Array.from(run(a, { op: 'resize', width: 2, height: 1 }).train.data)).toEqual([2, 6]);
    const up = run(arr([1, 1, 1, 2], (i) => [0, 4][i]!), { op: 'resize', width: 4, height: 1 }).train.data;
    expect(Array.from(up)).toEqual([0, 1, 3, 4]);
    const k = run(arr([1, 1, 5, 7], () => 2.5), { op: 'resize', width: 3, height: 11 }).train.data;
    for (const v of k) expect(v).toBeCloseTo(2.5, 6);
  });

  it('patches: count = N · (⌊(H−s)/t⌋+1) · (⌊(W−s)/t⌋+1); max draws a seeded subset; 1-D gives 1×s windows', () => {
    const a = arr([3, 2, 10, 13], (i) => i, [4, 5, 6]);
    for (const [s, t] of [
      [2, 1],
      [4, 3],
      [8, 8],
      [10, 2],
    ] as const) {
      const p = run(a, { op: 'patches', size: s, stride: t, seed: 0 }).train;
      const rows = Math.floor((10 - s) / t) + 1;
      const cols = Math.floor((13 - s) / t) + 1;
      expect(p.shape).toEqual([3 * rows * cols, 2, s, s]);
      expect(patchGrid(a.shape, s, t)).toMatchObject({ rows, cols });
    }
    const p = run(a, { op: 'patches', size: 4, stride: 3, seed: 0 }).train;
    // Patch 1 of item 0: rows 0..3, columns 3..6, channel 0.
    expect(p.data[2 * 16 + 0]).toBe(3);
    expect(Array.from(p.labels!.subarray(0, 2))).toEqual([4, 4]);
    const pick = (seed: number) => run(a, { op: 'patches', size: 4, stride: 3, max: 7, seed }).train;
    expect(pick(5).shape).toEqual([7, 2, 4, 4]);
    expect(Array.from(pick(5).data)).toEqual(Array.from(pick(5).data));
    expect(Array.from(pick(5).data)).not.toEqual(Array.from(pick(6).data));
    expect(run(arr([2, 1, 1, 50], (i) => i), { op: 'patches', size: 8, stride: 4, seed: 0 }).train.shape).toEqual([2 * 11, 1, 1, 8]);
    expect(() => run(a, { op: 'patches', size: 11, stride: 1, seed: 0 })).toThrow(/patches of 11x11 do not fit in 13x10/);
  });

  it('split: sizes, disjoint and complete, reproducible per seed; later steps use the train statistics', () => {
    const a = arr([20, 1, 2, 2], (i) => Math.floor(i / 4), Array.from({ length: 20 }, (_, i) => i));
    const s = run(a, { op: 'split', testFraction: 0.25, seed: 7 });
    expect(s.train.shape[0]).toBe(15);
    expect(s.test!.shape[0]).toBe(5);
    const ids = [...s.train.labels!, ...s.test!.labels!].sort((x, y) => x - y);
    expect(ids).toEqual(Array.from({ length: 20 }, (_, i) => i));
    // Items travel with their labels (item i is filled with the value i).
    s.test!.labels!.forEach((l, k) => expect(s.test!.data[k * 4]).toBe(l));
    const again = run(a, { op: 'split', testFraction: 0.25, seed: 7 });
    expect(Array.from(again.test!.labels!)).toEqual(Array.from(s.test!.labels!));
    expect(Array.from(run(a, { op: 'split', testFraction: 0.25, seed: 8 }).test!.labels!)).not.toEqual(Array.from(s.test!.labels!));
    const scaled = run(a, { op: 'split', testFraction: 0.25, seed: 7 }, { op: 'scale01' });
    expect(Math.min(...scaled.train.data)).toBe(0);
    expect(Math.max(...scaled.train.data)).toBe(1);
    expect(() => run(arr([1, 1, 2, 2], (i) => i), { op: 'split', testFraction: 0.5, seed: 0 })).toThrow(/cannot split 1 item/);
    expect(() => run(a, { op: 'split', testFraction: 0.5, seed: 0 }, { op: 'split', testFraction: 0.5, seed: 0 })).toThrow(/already split/);
    expect(() => run(a, { op: 'split', testFraction: 0.5, seed: 0 }, { op: 'split', testFraction: 0.5, seed: 0 })).toThrow(RangeError);
  });
});
