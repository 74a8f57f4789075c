/** What the data set view shows of an array: summary statistics and small gray thumbnails. */
import type { DatasetStats } from '../../../src-shared/contract';
import type { ImportedArray } from './import';

/**
 * Min, max, mean and (population) standard deviation of the whole array and of each channel,
 * accumulated in float64. An empty array reports zeros.
 */
export function datasetStats(a: ImportedArray, testItems?: number): DatasetStats {
  const [N, C, H, W] = a.shape;
  const plane = H * W;
  const per = Array.from({ length: C }, () => ({ min: Infinity, max: -Infinity, sum: 0, sq: 0, n: 0 }));
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const s = per[c]!;
      const base = (n * C + c) * plane;
      for (let i = 0; i < plane; i++) {
        const v = a.data[base + i]!;
        if (v < s.min) s.min = v;
        if (v > s.max) s.max = v;
        s.sum += v;
        s.sq += v * v;
      }
      s.n += plane;
    }
  }
  const finish = (s: { min: number; max: number; sum: number; sq: number; n: number }) => {
    if (s.n === 0) return { min: 0, max: 0, mean: 0, std: 0 };
    const mean = s.sum / s.n;
    return { min: s.min, max: s.max, mean, std: Math.sqrt(Math.max(0, s.sq / s.n - mean * mean)) };
  };
  const all = per.reduce(
    (t, s) => ({ min: Math.min(t.min, s.min), max: Math.max(t.max, s.max), sum: t.sum + s.sum, sq: t.sq + s.sq, n: t.n + s.n }),
    { min: Infinity, max: -Infinity, sum: 0, sq: 0, n: 0 },
  );
  const stats: DatasetStats = { shape: [N, C, H, W], ...finish(all), perChannel: per.map(finish) };
  if (testItems !== undefined) stats.testItems = testItems;
  return stats;
}

/**
 * The first `count` items (default 64) as gray images [n, h, w]: channels averaged, each item
 * scaled to [0, 1] by its own min and max (a constant item becomes 0.5), and box-downsampled by one
 * integer factor so that the longer side is at most `size` (default 64). Blocks at the right and
 * bottom edges average the pixels they have, so nothing is dropped; 1-D signals (H = 1) stay
 * [1, w] strips.
 */
export function thumbnails(a: ImportedArray, o: { count?: number; size?: number } = {}): { data: Float32Array; shape: [number, number, number] } {
  const [N, C, H, W] = a.shape;
  const count = Math.min(N, Math.max(0, Math.floor(o.count ?? 64)));
  const size = Math.max(1, Math.floor(o.size ?? 64));
  const f = Math.max(1, Math.ceil(Math.max(H, W) / size));
  const h = Math.ceil(H / f);
  const w = Math.ceil(W / f);
  const out = new Float32Array(count * h * w);
  const plane = H * W;
  const gray = new Float64Array(plane);
  for (let n = 0; n < count; n++) {
    gray.fill(0);
    for (let c = 0; c < C; c++) {
      const base = (n * C + c) * plane;
      for (let i = 0; i < plane; i++) gray[i] += a.data[base + i]! / C;
    }
    const t = out.subarray(n * h * w, (n + 1) * h * w);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        let k = 0;
        for (let yy = y * f; yy < Math.min(H, (y + 1) * f); yy++) {
          for (let xx = x * f; xx < Math.min(W, (x + 1) * f); xx++, k++) s += gray[yy * W + xx]!;
        }
        t[y * w + x] = s / k;
      }
    }
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < t.length; i++) {
      if (t[i]! < min) min = t[i]!;
      if (t[i]! > max) max = t[i]!;
    }
    if (max > min) for (let i = 0; i < t.length; i++) t[i] = (t[i]! - min) / (max - min);
    else t.fill(0.5);
  }
  return { data: out, shape: [count, h, w] };
}
