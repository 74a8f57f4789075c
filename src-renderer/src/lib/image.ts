/** Grayscale rendering of Float32 images for <canvas>: planes of tensors, value ranges, RGBA conversion. */
import type { Float32Tensor } from '../../../src-shared/contract';

export interface Plane {
  readonly data: Float32Array;
  readonly height: number;
  readonly width: number;
}

/**
 * The first image of a tensor whose last two dimensions are height and width ([H, W], [C, H, W] or
 * [B, C, H, W]); a 1-D tensor is shown as a single row.
 */
export function firstPlane(t: Pick<Float32Tensor, 'shape' | 'data'>): Plane {
  const shape = t.shape;
  const width = shape.length >= 1 ? shape[shape.length - 1]! : 1;
  const height = shape.length >= 2 ? shape[shape.length - 2]! : 1;
  return { data: t.data.subarray(0, height * width), height, width };
}

/** [min, max] of the finite values of all arrays; [0, 1] when there are none. */
export function valueRange(...arrays: readonly Float32Array[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of arrays)
    for (let i = 0; i < a.length; i++) {
      const v = a[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  return Number.isFinite(lo) && Number.isFinite(hi) ? [lo, hi] : [0, 1];
}

/** Maps v ∈ [lo, hi] to a gray level 0…255; a flat range maps to mid-gray; NaN to 0. */
export function grayLevel(v: number, lo: number, hi: number): number {
  if (Number.isNaN(v)) return 0;
  if (!(hi > lo)) return 128;
  const t = (v - lo) / (hi - lo);
  return Math.round(255 * (t < 0 ? 0 : t > 1 ? 1 : t));
}

/** Row-major grayscale → opaque RGBA bytes, scaled by a fixed [lo, hi] (shared between images compared side by side). */
export function grayscaleRGBA(data: Float32Array, lo: number, hi: number): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(data.length * 4);
  for (let i = 0; i < data.length; i++) {
    const g = grayLevel(data[i]!, lo, hi);
    out[4 * i] = out[4 * i + 1] = out[4 * i + 2] = g;
    out[4 * i + 3] = 255;
  }
  return out;
}

/** Peak signal-to-noise ratio of `b` against `a` over the peak-to-peak range of `a`, in dB. */
export function psnr(a: Float32Array, b: Float32Array): number {
  const n = Math.min(a.length, b.length);
  if (n === 0) return NaN;
  let mse = 0;
  for (let i = 0; i < n; i++) mse += (a[i]! - b[i]!) ** 2;
  mse /= n;
  const [lo, hi] = valueRange(a.subarray(0, n));
  const peak = hi - lo;
  if (mse === 0) return Infinity;
  return 10 * Math.log10((peak * peak) / mse);
}
