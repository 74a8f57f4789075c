/** Helpers shared by engine tests: seeded data and float64 inner products. */
import { randn } from '../../../src-shared/math/random';
import { hostTensor, type HostTensor } from '../runtime/session';
import type { RefTensor } from '../reference/tensor';

export function randomTensor(shape: readonly number[], seed: number, scale = 1): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = randn(n, seed);
  if (scale !== 1) for (let i = 0; i < n; i++) data[i] = data[i]! * scale;
  return hostTensor(shape, data);
}

export function toRef(t: HostTensor): RefTensor {
  return { shape: [...t.shape], data: Float64Array.from(t.data as Float32Array), dtype: 'float64' };
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
