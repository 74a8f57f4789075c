/**
 * Image quality measures and seeded noise for denoising experiments: PSNR = 10·log10(R²/MSE) and SSIM
 * (Wang, Bovik, Sheikh & Simoncelli 2004, "Image quality assessment: from error visibility to structural
 * similarity", eq. 13 with the paper's 11×11 Gaussian window σ = 1.5, K1 = 0.01, K2 = 0.03).
 * Images are row-major arrays of equal length.
 */
import { gaussian, mulberry32 } from '../../../../src-shared/math/random';

function sameLength(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new RangeError(`images differ in size: ${a.length} vs ${b.length} pixels`);
  if (a.length === 0) throw new RangeError('images are empty');
}

export function mse(a: ArrayLike<number>, b: ArrayLike<number>): number {
  sameLength(a, b);
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    s += d * d;
  }
  return s / a.length;
}

/** Peak signal-to-noise ratio in dB for data range R (255 for 8-bit images); Infinity for identical images. */
export function psnr(reference: ArrayLike<number>, test: ArrayLike<number>, dataRange: number): number {
  if (!(dataRange > 0)) throw new RangeError(`dataRange must be positive, got ${dataRange}`);
  const e = mse(reference, test);
  return e === 0 ? Infinity : 10 * Math.log10((dataRange * dataRange) / e);
}

export interface SsimOptions {
  /** Gaussian window σ (default 1.5). */
  readonly sigma?: number;
  /** Window side (default 11). */
  readonly window?: number;
  readonly k1?: number;
  readonly k2?: number;
}

/** Normalised 1-D Gaussian of the given odd length. */
function gaussianKernel(size: number, sigma: number): Float64Array {
  const r = (size - 1) / 2;
  const k = new Float64Array(size);
  let s = 0;
  for (let i = 0; i < size; i++) s += k[i] = Math.exp(-((i - r) * (i - r)) / (2 * sigma * sigma));
  for (let i = 0; i < size; i++) k[i] = k[i]! / s;
  return k;
}

/** Separable 'valid' filtering: output (h − w + 1)×(width − w + 1). */
function filterValid(x: Float64Array, height: number, width: number, k: Float64Array): Float64Array {
  const w = k.length;
  const oh = height - w + 1;
  const ow = width - w + 1;
  const tmp = new Float64Array(height * ow);
  for (let y = 0; y < height; y++) {
    for (let c = 0; c < ow; c++) {
      let s = 0;
      for (let t = 0; t < w; t++) s += k[t]! * x[y * width + c + t]!;
      tmp[y * ow + c] = s;
    }
  }
  const out = new Float64Array(oh * ow);
  for (let r = 0; r < oh; r++) {
    for (let c = 0; c < ow; c++) {
      let s = 0;
      for (let t = 0; t < w; t++) s += k[t]! * tmp[(r + t) * ow + c]!;
      out[r * ow + c] = s;
    }
  }
  return out;
}

/**
 * Mean SSIM over every position where the whole window fits in the image (as the authors' reference code
 * does), with Gaussian-weighted local means, variances and covariance, C1 = (K1·R)², C2 = (K2·R)².
 */
export function ssim(reference: ArrayLike<number>, test: ArrayLike<number>, height: number, width: number, dataRange: number, o: SsimOptions = {}): number {
  sameLength(reference, test);
  if (reference.length !== height * width) throw new RangeError(`images have ${reference.length} pixels, not ${height}×${width}`);
  if (!(dataRange > 0)) throw new RangeError(`dataRange must be positive, got ${dataRange}`);
  const size = o.window ?? 11;
  if (height < size || width < size) throw new RangeError(`SSIM needs images of at least ${size}×${size}, got ${height}×${width}`);
  const k = gaussianKernel(size, o.sigma ?? 1.5);
  const c1 = ((o.k1 ?? 0.01) * dataRange) ** 2;
  const c2 = ((o.k2 ?? 0.03) * dataRange) ** 2;
  const N = height * width;
  const x = Float64Array.from(reference);
  const y = Float64Array.from(test);
  const xx = new Float64Array(N);
  const yy = new Float64Array(N);
  const xy = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    xx[i] = x[i]! * x[i]!;
    yy[i] = y[i]! * y[i]!;
    xy[i] = x[i]! * y[i]!;
  }
  const mx = filterValid(x, height, width, k);
  const my = filterValid(y, height, width, k);
  const sxx = filterValid(xx, height, width, k);
  const syy = filterValid(yy, height, width, k);
  const sxy = filterValid(xy, height, width, k);
  let total = 0;
  for (let i = 0; i < mx.length; i++) {
    const ux = mx[i]!;
    const uy = my[i]!;
    const vx = sxx[i]! - ux * ux;
    const vy = syy[i]! - uy * uy;
    const cxy = sxy[i]! - ux * uy;
    total += ((2 * ux * uy + c1) * (2 * cxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
  }
  return total / mx.length;
}

/** image + σ·N(0, 1) noise from gaussian(mulberry32(seed)): the same seed gives the same noisy image. */
export function addGaussianNoise(image: ArrayLike<number>, sigma: number, seed: number): Float64Array {
  if (!(sigma >= 0)) throw new RangeError(`sigma must be non-negative, got ${sigma}`);
  const g = gaussian(mulberry32(seed));
  const out = new Float64Array(image.length);
  for (let i = 0; i < image.length; i++) out[i] = image[i]! + sigma * g();
  return out;
}
