import { describe, expect, it } from 'vitest';
import { hostTensor } from '../../runtime/session';
import { patchesFromItems } from './patch-learners';

/** Every p×p patch of every item, means removed, in 0–255, keyed by its values. */
function allPatches(data: Float32Array, items: number, h: number, w: number, p: number): Map<string, number> {
  const byValues = new Map<string, number>();
  for (let i = 0; i < items; i++)
    for (let y = 0; y + p <= h; y++)
      for (let x = 0; x + p <= w; x++) {
        const v: number[] = [];
        for (let r = 0; r < p; r++) for (let c = 0; c < p; c++) v.push(data[i * h * w + (y + r) * w + x + c]! * 255);
        const mean = v.reduce((a, b) => a + b, 0) / v.length;
        byValues.set(v.map((a) => (a - mean).toFixed(6)).join(','), i);
      }
  return byValues;
}

describe('training patches drawn over every item of a data set', () => {
  const items = 5;
  const h = 9;
  const w = 7;
  const p = 3;
  // Distinct values everywhere, so each patch identifies its item and position.
  const data = Float32Array.from({ length: items * h * w }, (_, k) => Math.sin(k * 1.7 + (k % 11)) * 0.5 + 0.5);
  const ctx = { data: { images: hostTensor([items, 1, h, w], data), description: 'test items' }, config: { seed: 4 } } as never;

  it.each([
    ['a few (rejection sampling)', 20],
    ['most of them (permutation)', 150],
  ])('draws %s distinct real patches, means removed, from several items', (_, wanted) => {
    const train = patchesFromItems(ctx, p, wanted);
    const known = allPatches(data, items, h, w, p);
    expect(train.rows).toBe(p * p);
    expect(train.cols).toBe(wanted);
    const seenItems = new Set<number>();
    const seenPatches = new Set<string>();
    for (let j = 0; j < train.cols; j++) {
      const col = Array.from(train.data.subarray(j * p * p, (j + 1) * p * p));
      expect(Math.abs(col.reduce((a, b) => a + b, 0))).toBeLessThan(1e-9);
      const key = col.map((a) => a.toFixed(6)).join(',');
      expect(known.has(key), `column ${j} is a patch of some item`).toBe(true);
      seenItems.add(known.get(key)!);
      seenPatches.add(key);
    }
    expect(seenPatches.size, 'no patch drawn twice').toBe(wanted);
    expect(seenItems.size).toBeGreaterThan(1);
  });

  it('is reproducible for a seed, and caps the count at the patches there are', () => {
    const a = patchesFromItems(ctx, p, 30);
    const b = patchesFromItems(ctx, p, 30);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(patchesFromItems(ctx, p, 10_000).cols).toBe(items * (h - p + 1) * (w - p + 1));
  });

  it('names the data set when its items are smaller than a patch', () => {
    expect(() => patchesFromItems(ctx, 10, 5)).toThrow(/10×10.*9×7 items of test items/);
  });
});
