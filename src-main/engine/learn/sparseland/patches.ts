/**
 * Overlapping image patches as signals, and the patch-averaging inverse R_iᵀ of Elad & Aharon 2006
 * (eq. 8, "Image denoising via sparse and redundant representations over learned dictionaries").
 * Images are row-major (index y·width + x); a p×p patch is vectorised row by row into a column of an
 * n×N matrix (n = p²).
 */
import { mat, type Mat } from './dense';

export interface PatchSet {
  /** n×N, one patch per column. */
  readonly patches: Mat;
  /** Top-left corner of patch j: (rows[j], cols[j]). */
  readonly rows: Int32Array;
  readonly cols: Int32Array;
  readonly patchSize: number;
  readonly height: number;
  readonly width: number;
}

/** Patch origins along one axis: 0, s, 2s, …, plus extent − p so that the last pixels are covered. */
export function patchOrigins(extent: number, patchSize: number, stride = 1): number[] {
  if (!Number.isInteger(stride) || stride < 1) throw new RangeError(`stride must be a positive integer, got ${stride}`);
  if (patchSize > extent) throw new RangeError(`a ${patchSize}-pixel patch does not fit in ${extent} pixels`);
  const out: number[] = [];
  for (let o = 0; o + patchSize <= extent; o += stride) out.push(o);
  if (out[out.length - 1] !== extent - patchSize) out.push(extent - patchSize);
  return out;
}

/** All p×p patches at the given stride (default 1: every overlapping patch). */
export function extractPatches(image: ArrayLike<number>, height: number, width: number, patchSize: number, stride = 1): PatchSet {
  if (image.length !== height * width) throw new RangeError(`the image has ${image.length} pixels, not ${height}×${width}`);
  if (!Number.isInteger(patchSize) || patchSize < 1) throw new RangeError(`patchSize must be a positive integer, got ${patchSize}`);
  const ys = patchOrigins(height, patchSize, stride);
  const xs = patchOrigins(width, patchSize, stride);
  const n = patchSize * patchSize;
  const N = ys.length * xs.length;
  const patches = mat(n, N);
  const rows = new Int32Array(N);
  const cols = new Int32Array(N);
  let j = 0;
  for (const y of ys) {
    for (const x of xs) {
      rows[j] = y;
      cols[j] = x;
      const o = j * n;
      for (let r = 0; r < patchSize; r++) {
        for (let c = 0; c < patchSize; c++) patches.data[o + r * patchSize + c] = image[(y + r) * width + x + c]!;
      }
      j++;
    }
  }
  return { patches, rows, cols, patchSize, height, width };
}

/** Subtracts each column's mean in place; returns the means. */
export function removeMeans(patches: Mat): Float64Array {
  const n = patches.rows;
  const means = new Float64Array(patches.cols);
  for (let j = 0; j < patches.cols; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += patches.data[j * n + i]!;
    const m = s / n;
    means[j] = m;
    for (let i = 0; i < n; i++) patches.data[j * n + i] = patches.data[j * n + i]! - m;
  }
  return means;
}

/** Adds means[j] to every entry of column j, in place. */
export function addMeans(patches: Mat, means: Float64Array): void {
  const n = patches.rows;
  for (let j = 0; j < patches.cols; j++) for (let i = 0; i < n; i++) patches.data[j * n + i] = patches.data[j * n + i]! + means[j]!;
}

/**
 * Puts patches back: x = (λ·y + Σ_j R_jᵀ p_j) / (λ + Σ_j R_jᵀR_j 1), the closed-form minimiser of
 * λ‖x − y‖² + Σ_j ‖R_j x − p_j‖² (Elad & Aharon 2006, eq. 8). With λ = 0 (or no `noisy`), plain averaging;
 * pixels no patch covers then take the noisy value, or 0 without one.
 */
export function assemblePatches(set: Pick<PatchSet, 'rows' | 'cols' | 'patchSize' | 'height' | 'width'>, patches: Mat, o: { noisy?: ArrayLike<number>; lambda?: number } = {}): Float64Array {
  const { height, width, patchSize: p } = set;
  const n = p * p;
  if (patches.rows !== n || patches.cols !== set.rows.length) throw new RangeError(`expected ${n}×${set.rows.length} patches, got ${patches.rows}×${patches.cols}`);
  const lambda = o.noisy ? (o.lambda ?? 0) : 0;
  if (!(lambda >= 0)) throw new RangeError(`lambda must be non-negative, got ${lambda}`);
  const sum = new Float64Array(height * width);
  const weight = new Float64Array(height * width);
  for (let j = 0; j < patches.cols; j++) {
    const y = set.rows[j]!;
    const x = set.cols[j]!;
    const po = j * n;
    for (let r = 0; r < p; r++) {
      const io = (y + r) * width + x;
      for (let c = 0; c < p; c++) {
        sum[io + c] += patches.data[po + r * p + c]!;
        weight[io + c] += 1;
      }
    }
  }
  const out = new Float64Array(height * width);
  for (let i = 0; i < out.length; i++) {
    const yv = o.noisy ? o.noisy[i]! : 0;
    const w = weight[i]! + lambda;
    out[i] = w > 0 ? (sum[i]! + lambda * yv) / w : yv;
  }
  return out;
}
