/**
 * Minimal float64 dense linear algebra for the Sparseland learners (Golub & Van Loan, "Matrix
 * Computations": GEMM, Cholesky, power iteration). Matrices are column-major, so a signal or an atom is a
 * contiguous column: `A.data[j * A.rows + i]` is entry (i, j).
 */

export interface Mat {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

/** A rows×cols matrix; zero-filled unless `data` (column-major, length rows·cols) is given. */
export function mat(rows: number, cols: number, data?: Float64Array): Mat {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new RangeError(`matrix shape ${rows}×${cols} is not a pair of non-negative integers`);
  }
  if (data && data.length !== rows * cols) {
    throw new RangeError(`a ${rows}×${cols} matrix needs ${rows * cols} values, got ${data.length}`);
  }
  return { rows, cols, data: data ?? new Float64Array(rows * cols) };
}

/** Column j as a view (writes go to A). */
export function col(A: Mat, j: number): Float64Array {
  return A.data.subarray(j * A.rows, (j + 1) * A.rows);
}

export function cloneMat(A: Mat): Mat {
  return { rows: A.rows, cols: A.cols, data: A.data.slice() };
}

/** Σ a[ao+i]·b[bo+i] for i < n. */
export function dot(a: Float64Array, ao: number, b: Float64Array, bo: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[ao + i]! * b[bo + i]!;
  return s;
}

/**
 * out = Aᵀx for x = v[vo … vo+m): four columns per pass so each x_i is loaded once for four products
 * (2–3× faster in V8 than one dot at a time); each entry is still summed in the order of `dot`.
 */
export function gemvT(A: Mat, v: Float64Array, vo: number, out: Float64Array): Float64Array {
  const m = A.rows;
  const a = A.data;
  let k = 0;
  for (; k + 4 <= A.cols; k += 4) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    const o0 = k * m;
    const o1 = o0 + m;
    const o2 = o1 + m;
    const o3 = o2 + m;
    for (let i = 0; i < m; i++) {
      const x = v[vo + i]!;
      s0 += a[o0 + i]! * x;
      s1 += a[o1 + i]! * x;
      s2 += a[o2 + i]! * x;
      s3 += a[o3 + i]! * x;
    }
    out[k] = s0;
    out[k + 1] = s1;
    out[k + 2] = s2;
    out[k + 3] = s3;
  }
  for (; k < A.cols; k++) out[k] = dot(a, k * m, v, vo, m);
  return out;
}

/** C = Aᵀ B (A: m×p, B: m×q, C: p×q); each entry is a dot product of two contiguous columns. */
export function gemmTN(A: Mat, B: Mat): Mat {
  if (A.rows !== B.rows) throw new RangeError(`AᵀB needs equal row counts, got ${A.rows} and ${B.rows}`);
  const m = A.rows;
  const C = mat(A.cols, B.cols);
  for (let j = 0; j < B.cols; j++) {
    for (let i = 0; i < A.cols; i++) C.data[j * A.cols + i] = dot(A.data, i * m, B.data, j * m, m);
  }
  return C;
}

/** C = A B (A: m×p, B: p×q); column j of C is Σ_k B(k,j)·A(:,k). */
export function gemm(A: Mat, B: Mat): Mat {
  if (A.cols !== B.rows) throw new RangeError(`AB needs A.cols = B.rows, got ${A.cols} and ${B.rows}`);
  const m = A.rows;
  const C = mat(m, B.cols);
  for (let j = 0; j < B.cols; j++) {
    const co = j * m;
    for (let k = 0; k < A.cols; k++) {
      const b = B.data[j * B.rows + k]!;
      if (b === 0) continue;
      const ao = k * m;
      for (let i = 0; i < m; i++) C.data[co + i] += b * A.data[ao + i]!;
    }
  }
  return C;
}

/** The Gram matrix AᵀA (symmetric; each pair computed once). */
export function gram(A: Mat): Mat {
  const K = A.cols;
  const m = A.rows;
  const G = mat(K, K);
  for (let j = 0; j < K; j++) {
    for (let i = 0; i <= j; i++) {
      const v = dot(A.data, i * m, A.data, j * m, m);
      G.data[j * K + i] = v;
      G.data[i * K + j] = v;
    }
  }
  return G;
}

export function columnNorms(A: Mat): Float64Array {
  const out = new Float64Array(A.cols);
  for (let j = 0; j < A.cols; j++) out[j] = Math.sqrt(dot(A.data, j * A.rows, A.data, j * A.rows, A.rows));
  return out;
}

/** Scales every non-zero column to unit ℓ2 norm in place; returns the norms before scaling. */
export function normalizeColumns(A: Mat): Float64Array {
  const norms = columnNorms(A);
  for (let j = 0; j < A.cols; j++) {
    const s = norms[j]!;
    if (s === 0) continue;
    const o = j * A.rows;
    for (let i = 0; i < A.rows; i++) A.data[o + i] = A.data[o + i]! / s;
  }
  return norms;
}

/** Cholesky factor L (lower, A = LLᵀ) of a symmetric positive-definite matrix; throws if A is not PD. */
export function cholesky(A: Mat): Mat {
  const n = A.rows;
  if (A.cols !== n) throw new RangeError(`Cholesky needs a square matrix, got ${A.rows}×${A.cols}`);
  const L = mat(n, n);
  const l = L.data;
  for (let j = 0; j < n; j++) {
    let d = A.data[j * n + j]!;
    for (let k = 0; k < j; k++) d -= l[k * n + j]! * l[k * n + j]!;
    if (!(d > 0)) throw new RangeError(`matrix is not positive definite (pivot ${j} is ${d}); add a ridge`);
    const djj = Math.sqrt(d);
    l[j * n + j] = djj;
    for (let i = j + 1; i < n; i++) {
      let s = A.data[j * n + i]!;
      for (let k = 0; k < j; k++) s -= l[k * n + i]! * l[k * n + j]!;
      l[j * n + i] = s / djj;
    }
  }
  return L;
}

/** Solves (LLᵀ) x = b for x, given the lower Cholesky factor L. */
export function choleskySolve(L: Mat, b: Float64Array): Float64Array {
  const n = L.rows;
  const l = L.data;
  const x = Float64Array.from(b);
  for (let i = 0; i < n; i++) {
    let s = x[i]!;
    for (let k = 0; k < i; k++) s -= l[k * n + i]! * x[k]!;
    x[i] = s / l[i * n + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i]!;
    for (let k = i + 1; k < n; k++) s -= l[i * n + k]! * x[k]!;
    x[i] = s / l[i * n + i]!;
  }
  return x;
}

/**
 * A Cholesky factor grown one row at a time, for the Gram matrix of a growing support (OMP-Cholesky,
 * Rubinstein, Zibulevsky & Elad 2008): adding atom k with cross-products g = G_{I,k} and diagonal
 * G_kk gives the new row [wᵀ, √(G_kk − wᵀw)] with L w = g. Stored row-major with a fixed capacity.
 */
export class ProgressiveCholesky {
  private readonly l: Float64Array;
  private readonly w: Float64Array;
  size = 0;

  constructor(readonly capacity: number) {
    this.l = new Float64Array(capacity * capacity);
    this.w = new Float64Array(capacity);
  }

  reset(): void {
    this.size = 0;
  }

  /**
   * Appends an atom. Returns false, leaving the factor unchanged, when the atom is (numerically) in the
   * span of the support: the new pivot G_kk − wᵀw is at most `relTol`·G_kk.
   */
  add(cross: Float64Array, diag: number, relTol = 1e-12): boolean {
    const k = this.size;
    if (k >= this.capacity) throw new RangeError(`progressive Cholesky is full (capacity ${this.capacity})`);
    const { l, w } = this;
    const c = this.capacity;
    for (let i = 0; i < k; i++) {
      let s = cross[i]!;
      for (let j = 0; j < i; j++) s -= l[i * c + j]! * w[j]!;
      w[i] = s / l[i * c + i]!;
    }
    let pivot = diag;
    for (let i = 0; i < k; i++) pivot -= w[i]! * w[i]!;
    if (!(pivot > relTol * diag)) return false;
    for (let i = 0; i < k; i++) l[k * c + i] = w[i]!;
    l[k * c + k] = Math.sqrt(pivot);
    this.size = k + 1;
    return true;
  }

  /** Solves (LLᵀ) x = b for the current size; `out` may alias `b`. */
  solve(b: Float64Array, out: Float64Array): Float64Array {
    const n = this.size;
    const c = this.capacity;
    const l = this.l;
    for (let i = 0; i < n; i++) {
      let s = b[i]!;
      for (let j = 0; j < i; j++) s -= l[i * c + j]! * out[j]!;
      out[i] = s / l[i * c + i]!;
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = out[i]!;
      for (let j = i + 1; j < n; j++) s -= l[j * c + i]! * out[j]!;
      out[i] = s / l[i * c + i]!;
    }
    return out;
  }
}

export interface Rank1 {
  /** Unit left singular vector (length rows). */
  readonly u: Float64Array;
  /** Unit right singular vector (length cols); zero when sigma is 0. */
  readonly v: Float64Array;
  readonly sigma: number;
  readonly iterations: number;
}

/**
 * Leading singular triplet of E by power iteration on EEᵀ, started from u0 (default: the column of largest
 * norm). The Rayleigh quotient ‖Eᵀu‖² never decreases along the iteration (moments of a PSD matrix are
 * log-convex), so any number of steps gives a rank-1 approximation σuvᵀ no worse than the one from u0; this
 * is what makes the K-SVD atom update monotone. Stops when ‖Eᵀu‖² changes by less than `tol` (relative).
 */
export function rank1(E: Mat, o: { u0?: Float64Array; maxIterations?: number; tol?: number } = {}): Rank1 {
  const m = E.rows;
  const q = E.cols;
  const maxIt = o.maxIterations ?? 100;
  const tol = o.tol ?? 1e-12;
  const u = new Float64Array(m);
  const v = new Float64Array(q);
  if (o.u0) u.set(o.u0);
  else if (q > 0) {
    const norms = columnNorms(E);
    let best = 0;
    for (let j = 1; j < q; j++) if (norms[j]! > norms[best]!) best = j;
    u.set(col(E, best));
  }
  let nu = Math.sqrt(dot(u, 0, u, 0, m));
  if (nu > 0) for (let i = 0; i < m; i++) u[i] = u[i]! / nu;
  if (nu === 0 || q === 0) return { u, v, sigma: 0, iterations: 0 };
  const z = new Float64Array(m);
  let energy = applyT(E, u, v);
  let it = 0;
  while (it < maxIt && energy > 0) {
    z.fill(0);
    for (let j = 0; j < q; j++) {
      const s = v[j]!;
      if (s === 0) continue;
      const o2 = j * m;
      for (let i = 0; i < m; i++) z[i] += s * E.data[o2 + i]!;
    }
    nu = Math.sqrt(dot(z, 0, z, 0, m));
    if (nu === 0) break;
    for (let i = 0; i < m; i++) u[i] = z[i]! / nu;
    it++;
    const next = applyT(E, u, v);
    const change = next - energy;
    energy = next;
    if (change <= tol * energy) break;
  }
  const sigma = Math.sqrt(energy);
  if (sigma > 0) for (let j = 0; j < q; j++) v[j] = v[j]! / sigma;
  return { u, v, sigma, iterations: it };
}

/** v = Eᵀu; returns ‖v‖². */
function applyT(E: Mat, u: Float64Array, v: Float64Array): number {
  let e = 0;
  for (let j = 0; j < E.cols; j++) {
    const s = dot(E.data, j * E.rows, u, 0, E.rows);
    v[j] = s;
    e += s * s;
  }
  return e;
}
