/**
 * Orthogonal Matching Pursuit (Pati, Rezaiifar & Krishnaprasad 1993; SCIENCE.md, Sparseland) and
 * Batch-OMP (Rubinstein, Zibulevsky & Elad 2008, "Efficient implementation of the K-SVD algorithm using
 * batch orthogonal matching pursuit", Alg. 5) for the columns of Y (n×N) over a dictionary D (n×K).
 *
 * Both grow the support greedily, picking the atom most correlated with the residual (correlation divided
 * by the atom's norm, which is the plain |d_kᵀr| for unit atoms), and solve least squares on the support by
 * a progressively grown Cholesky factor of D_IᵀD_I. They stop before adding an atom when the support holds
 * `sparsity` atoms, when ‖y − Dα‖₂ ≤ `errorTarget`, when no atom correlates with the residual, or when the
 * chosen atom is numerically in the span of the support.
 */
import { CodeBuilder, type SparseCodes } from './codes';
import { columnNorms, dot, gemvT, gram, ProgressiveCholesky, type Mat } from './dense';

export interface OmpOptions {
  /** T0: the most atoms per signal. Default, when only `errorTarget` is given: min(n, K). */
  readonly sparsity?: number;
  /** ε: stop as soon as ‖y − Dα‖₂ ≤ ε. */
  readonly errorTarget?: number;
}

export interface BatchOmpOptions extends OmpOptions {
  /** G = DᵀD, when the caller already has it (K-SVD codes many batches with one dictionary). */
  readonly gram?: Mat;
}

export interface OmpResult extends SparseCodes {
  /** ‖y_j − Dα_j‖₂ for every signal. */
  readonly residualNorms: Float64Array;
}

/** Thrown for inputs OMP cannot handle; the message names the field and what to do. */
export class OmpInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OmpInputError';
  }
}

function limits(D: Mat, Y: Mat, o: OmpOptions): { T: number; eps2: number } {
  if (D.rows !== Y.rows) throw new OmpInputError(`the dictionary has atoms of length ${D.rows} but the signals have length ${Y.rows}`);
  if (o.sparsity === undefined && o.errorTarget === undefined) {
    throw new OmpInputError('give OMP a sparsity target (sparsity), an error target (errorTarget) or both');
  }
  const cap = Math.min(D.rows, D.cols);
  if (o.sparsity !== undefined && (!Number.isInteger(o.sparsity) || o.sparsity < 0)) {
    throw new OmpInputError(`sparsity must be a non-negative integer, got ${o.sparsity}`);
  }
  if (o.errorTarget !== undefined && !(o.errorTarget >= 0)) {
    throw new OmpInputError(`errorTarget must be a non-negative number, got ${o.errorTarget}`);
  }
  const T = Math.min(o.sparsity ?? cap, cap);
  const eps = o.errorTarget ?? -1;
  return { T, eps2: eps < 0 ? -1 : eps * eps };
}

/** Index of the largest |c_k|/‖d_k‖ over atoms not in the support and of non-zero norm; −1 if all are 0. */
function select(c: Float64Array, invNorms: Float64Array, used: Uint8Array): number {
  let best = -1;
  let bestVal = 0;
  for (let k = 0; k < c.length; k++) {
    if (used[k] !== 0) continue;
    const v = Math.abs(c[k]!) * invNorms[k]!;
    if (v > bestVal) {
      bestVal = v;
      best = k;
    }
  }
  return best;
}

function inverseNorms(D: Mat): Float64Array {
  return columnNorms(D).map((v) => (v > 0 ? 1 / v : 0));
}

/**
 * Plain OMP: an explicit residual r = y − D_Iα_I, correlations Dᵀr recomputed each step, and the normal
 * equations D_IᵀD_I α_I = D_Iᵀy from inner products of the atoms themselves.
 */
export function omp(D: Mat, Y: Mat, o: OmpOptions): OmpResult {
  const { T, eps2 } = limits(D, Y, o);
  const n = D.rows;
  const K = D.cols;
  const N = Y.cols;
  const inv = inverseNorms(D);
  const chol = new ProgressiveCholesky(Math.max(T, 1));
  const support = new Int32Array(Math.max(T, 1));
  const used = new Uint8Array(K);
  const c = new Float64Array(K);
  const cross = new Float64Array(Math.max(T, 1));
  const rhs = new Float64Array(Math.max(T, 1));
  const coef = new Float64Array(Math.max(T, 1));
  const r = new Float64Array(n);
  const builder = new CodeBuilder(K, N, Math.max(1, T));
  const norms = new Float64Array(N);
  for (let j = 0; j < N; j++) {
    const yo = j * n;
    r.set(Y.data.subarray(yo, yo + n));
    let err2 = dot(r, 0, r, 0, n);
    chol.reset();
    let s = 0;
    while (s < T && err2 > eps2) {
      for (let k = 0; k < K; k++) c[k] = dot(D.data, k * n, r, 0, n);
      const k = select(c, inv, used);
      if (k < 0) break;
      for (let i = 0; i < s; i++) cross[i] = dot(D.data, support[i]! * n, D.data, k * n, n);
      if (!chol.add(cross, dot(D.data, k * n, D.data, k * n, n))) break;
      support[s] = k;
      used[k] = 1;
      rhs[s] = dot(D.data, k * n, Y.data, yo, n);
      s++;
      chol.solve(rhs, coef);
      r.set(Y.data.subarray(yo, yo + n));
      for (let i = 0; i < s; i++) {
        const a = support[i]! * n;
        const v = coef[i]!;
        for (let t = 0; t < n; t++) r[t] -= v * D.data[a + t]!;
      }
      err2 = dot(r, 0, r, 0, n);
    }
    for (let i = 0; i < s; i++) used[support[i]!] = 0;
    builder.push(support, coef, s);
    norms[j] = Math.sqrt(err2);
  }
  return { ...builder.finish(), residualNorms: norms };
}

/**
 * Batch-OMP: with G = DᵀD and α⁰ = Dᵀy, the correlations after each least-squares step are
 * α = α⁰ − G_Iγ_I (no residual is formed), the Cholesky rows come from G, and the squared residual is
 * ‖y‖² − γ_Iᵀα⁰_I (the paper's δ recursion telescoped), except near an exact fit where it is formed.
 */
export function batchOmp(D: Mat, Y: Mat, o: BatchOmpOptions): OmpResult {
  const { T, eps2 } = limits(D, Y, o);
  const n = D.rows;
  const K = D.cols;
  const N = Y.cols;
  const G = o.gram ?? gram(D);
  if (G.rows !== K || G.cols !== K) throw new OmpInputError(`the Gram matrix is ${G.rows}×${G.cols}; it must be ${K}×${K} (DᵀD)`);
  const g = G.data;
  const inv = inverseNorms(D);
  const cap = Math.max(T, 1);
  const chol = new ProgressiveCholesky(cap);
  const support = new Int32Array(cap);
  const used = new Uint8Array(K);
  const a0 = new Float64Array(K);
  const alpha = new Float64Array(K);
  const cross = new Float64Array(cap);
  const rhs = new Float64Array(cap);
  const coef = new Float64Array(cap);
  const builder = new CodeBuilder(K, N, cap);
  const norms = new Float64Array(N);
  const r = new Float64Array(n);
  for (let j = 0; j < N; j++) {
    const yo = j * n;
    gemvT(D, Y.data, yo, a0);
    alpha.set(a0);
    const yy = dot(Y.data, yo, Y.data, yo, n);
    let err2 = yy;
    chol.reset();
    let s = 0;
    while (s < T && err2 > eps2) {
      const k = select(alpha, inv, used);
      if (k < 0) break;
      for (let i = 0; i < s; i++) cross[i] = g[k * K + support[i]!]!;
      if (!chol.add(cross, g[k * K + k]!)) break;
      support[s] = k;
      used[k] = 1;
      rhs[s] = a0[k]!;
      s++;
      chol.solve(rhs, coef);
      alpha.set(a0);
      for (let i = 0; i < s; i++) {
        const go = support[i]! * K;
        const v = coef[i]!;
        for (let t = 0; t < K; t++) alpha[t] -= v * g[go + t]!;
      }
      let delta = 0;
      for (let i = 0; i < s; i++) delta += coef[i]! * a0[support[i]!]!;
      err2 = yy - delta;
      // ‖y‖² − δ cancels: it resolves ‖r‖ only down to about 1e-8·‖y‖. Near an exact fit, form r instead
      // (n·s work, rare) so that small error targets still stop where plain OMP stops.
      if (err2 < 1e-6 * yy) err2 = explicitResidual(D, Y.data, yo, support, coef, s, r);
    }
    for (let i = 0; i < s; i++) used[support[i]!] = 0;
    builder.push(support, coef, s);
    norms[j] = Math.sqrt(Math.max(err2, 0));
  }
  return { ...builder.finish(), residualNorms: norms };
}

/** ‖y − Σ_i coef_i d_{support_i}‖², using `r` as scratch. */
function explicitResidual(D: Mat, y: Float64Array, yo: number, support: Int32Array, coef: Float64Array, s: number, r: Float64Array): number {
  const n = D.rows;
  r.set(y.subarray(yo, yo + n));
  for (let i = 0; i < s; i++) {
    const a = support[i]! * n;
    const v = coef[i]!;
    for (let t = 0; t < n; t++) r[t] -= v * D.data[a + t]!;
  }
  return dot(r, 0, r, 0, n);
}
