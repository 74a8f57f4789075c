/**
 * Mutual coherence (Donoho & Elad 2003: μ(D) = max_{i≠j} |d_iᵀd_j| over normalised atoms) of a
 * convolutional dictionary, computed from its filters instead of its (huge) matrix: two atoms interact only
 * when they overlap, so μ is the largest normalised cross-correlation of two filters at a relative shift that
 * the stride allows (SCIENCE.md, Conventions; Papyan, Sulam & Elad 2017, "Working locally thinking globally",
 * Part I). Also the Welch (1974) lower bound, in the form the sources quote for CSC (001, "The Need for a
 * Theoretical Study": m = 2, n = 64 ⇒ μ ≥ 0.063).
 */
import { columnNorms, dot, type Mat } from '../learn/sparseland/dense';
import { checkStride, filterDims } from './conv-matrix';
import type { ConvLayer } from './types';

export interface FilterCoherence {
  /** max over `pairs`: the mutual coherence of the convolutional dictionary (complete atoms). */
  mu: number;
  /**
   * m×m row-major: pairs[a·m + b] is the largest |normalised correlation| of filters a and b over the
   * allowed shifts; the diagonal uses only non-zero shifts (0 when there are none). Symmetric.
   */
  pairs: Float64Array;
  /** Where μ is attained: atom of filter b placed (dy, dx) input pixels below/right of the atom of filter a. */
  worst: { a: number; b: number; dy: number; dx: number };
}

/**
 * Each filter as its non-zero taps grouped by channel, so that sparse filter banks (the sources' D_2, D_3
 * are > 99% sparse) cost nnz_a·nnz_b per pair instead of c·(kh·kw)².
 */
interface SparseFilters {
  /** start[f·(c+1) + ch] … start[f·(c+1) + ch + 1): the taps of filter f in channel ch. */
  start: Int32Array;
  chan: Int32Array;
  row: Int32Array;
  colx: Int32Array;
  value: Float64Array;
  norm: Float64Array;
}

function sparseFilters(weights: ConvLayer['weights']): SparseFilters {
  const [m, c, kh, kw] = filterDims(weights);
  const w = weights.data;
  let nnz = 0;
  for (let i = 0; i < w.length; i++) if (w[i] !== 0) nnz++;
  const out: SparseFilters = {
    start: new Int32Array(m * (c + 1)),
    chan: new Int32Array(nnz),
    row: new Int32Array(nnz),
    colx: new Int32Array(nnz),
    value: new Float64Array(nnz),
    norm: new Float64Array(m),
  };
  let t = 0;
  for (let f = 0; f < m; f++) {
    let e = 0;
    for (let ch = 0; ch < c; ch++) {
      out.start[f * (c + 1) + ch] = t;
      for (let p = 0; p < kh; p++) {
        for (let q = 0; q < kw; q++) {
          const v = w[((f * c + ch) * kh + p) * kw + q]!;
          if (v === 0) continue;
          out.chan[t] = ch;
          out.row[t] = p;
          out.colx[t] = q;
          out.value[t] = v;
          e += v * v;
          t++;
        }
      }
    }
    out.start[f * (c + 1) + c] = t;
    if (!(e > 0)) throw new RangeError(`filter ${f} has zero norm (or non-finite values): its atoms cannot be normalised`);
    out.norm[f] = Math.sqrt(e);
  }
  return out;
}

export interface FilterCoherenceOptions {
  /**
   * 'sparse' walks the non-zero taps of each pair (cost: their products); 'dense' takes one overlap dot
   * product per allowed shift (cost: c·overlap per stride-multiple shift, contiguous loops). 'auto' (default)
   * picks sparse below 25% non-zero weights. Both give the same numbers up to summation order.
   */
  readonly method?: 'auto' | 'dense' | 'sparse';
}

export function filterCoherence(layer: Pick<ConvLayer, 'weights' | 'stride'>, o: FilterCoherenceOptions = {}): FilterCoherence {
  const [m, c, kh, kw] = filterDims(layer.weights);
  const s = layer.stride;
  checkStride(s);
  const f = sparseFilters(layer.weights);
  const auto = f.value.length < 0.25 * layer.weights.data.length ? 'sparse' : 'dense';
  const method = o.method === undefined || o.method === 'auto' ? auto : o.method;
  const pairs = new Float64Array(m * m);
  let mu = 0;
  let worst = { a: 0, b: 0, dy: 0, dx: 0 };
  // Pairs are visited with a ≤ b only: corr(b, a, −dy, −dx) = corr(a, b, dy, dx), so all shifts of the
  // ordered pairs a ≤ b already cover every atom pair.
  const consider: Visit = (a, b, dy, dx, sum) => {
    if (dy % s !== 0 || dx % s !== 0 || (a === b && dy === 0 && dx === 0)) return;
    const val = Math.abs(sum) / (f.norm[a]! * f.norm[b]!);
    if (val > pairs[a * m + b]!) pairs[a * m + b] = val;
    if (val > mu) {
      mu = val;
      worst = { a, b, dy, dx };
    }
  };
  if (method === 'sparse') sparseCorrelations(f, m, c, kh, kw, consider);
  else denseCorrelations(layer.weights.data, m, c, kh, kw, s, consider);
  for (let a = 0; a < m; a++) for (let b = a + 1; b < m; b++) pairs[b * m + a] = pairs[a * m + b]!;
  return { mu, pairs, worst };
}

/** Receives Σ_{ch,p,q} w_a[ch, p, q]·w_b[ch, p − dy, q − dx] for a pair a ≤ b and one shift. */
type Visit = (a: number, b: number, dy: number, dx: number, sum: number) => void;

/** Every shift with a non-zero product, pair by pair, from the non-zero taps. */
function sparseCorrelations(f: SparseFilters, m: number, c: number, kh: number, kw: number, visit: Visit): void {
  const W2 = 2 * kw - 1;
  // acc[(dy + kh − 1)·W2 + dx + kw − 1] collects all relative shifts of one pair at once. Only the touched
  // entries are visited and reset, so a pair of sparse filters costs its products, not the (2kh−1)(2kw−1)
  // shifts; an untouched shift has correlation 0 and cannot raise a maximum.
  const acc = new Float64Array((2 * kh - 1) * W2);
  const mark = new Uint8Array(acc.length);
  const touched = new Int32Array(acc.length);
  for (let a = 0; a < m; a++) {
    const aEnd = f.start[a * (c + 1) + c]!;
    for (let b = a; b < m; b++) {
      let nt = 0;
      for (let i = f.start[a * (c + 1)]!; i < aEnd; i++) {
        const ch = f.chan[i]!;
        const b1 = f.start[b * (c + 1) + ch + 1]!;
        const base = (f.row[i]! + kh - 1) * W2 + f.colx[i]! + kw - 1;
        const va = f.value[i]!;
        for (let k = f.start[b * (c + 1) + ch]!; k < b1; k++) {
          const at = base - f.row[k]! * W2 - f.colx[k]!;
          if (mark[at] === 0) {
            mark[at] = 1;
            touched[nt++] = at;
          }
          acc[at] += va * f.value[k]!;
        }
      }
      for (let t = 0; t < nt; t++) {
        const at = touched[t]!;
        const sum = acc[at]!;
        acc[at] = 0;
        mark[at] = 0;
        visit(a, b, Math.floor(at / W2) - (kh - 1), (at % W2) - (kw - 1), sum);
      }
    }
  }
}

/**
 * Every stride-multiple shift, shift by shift: the overlapping parts of all filters are gathered into two
 * m×L blocks (a's taps, and b's taps moved by the shift), so each pair is one contiguous dot product of
 * length L = c·overlap, which V8 runs several times faster than short per-row loops.
 */
function denseCorrelations(data: ArrayLike<number>, m: number, c: number, kh: number, kw: number, s: number, visit: Visit): void {
  const w = Float64Array.from(data);
  const A = new Float64Array(w.length);
  const B = new Float64Array(w.length);
  const ty = Math.floor((kh - 1) / s);
  const tx = Math.floor((kw - 1) / s);
  for (let u = -ty; u <= ty; u++) {
    // + 0 turns the −0 of u = −0 (when ty = 0) into +0, so reported shifts never read as "−0".
    const dy = u * s + 0;
    const p0 = Math.max(0, dy);
    const p1 = Math.min(kh, kh + dy);
    for (let v = -tx; v <= tx; v++) {
      const dx = v * s + 0;
      const q0 = Math.max(0, dx);
      const q1 = Math.min(kw, kw + dx);
      const L = c * (p1 - p0) * (q1 - q0);
      let t = 0;
      for (let fi = 0; fi < m; fi++) {
        for (let ch = 0; ch < c; ch++) {
          for (let p = p0; p < p1; p++) {
            const ao = ((fi * c + ch) * kh + p) * kw;
            const bo = ao - dy * kw - dx;
            for (let q = q0; q < q1; q++) {
              A[t] = w[ao + q]!;
              B[t] = w[bo + q]!;
              t++;
            }
          }
        }
      }
      for (let a = 0; a < m; a++) for (let b = a; b < m; b++) visit(a, b, dy, dx, dot(A, a * L, B, b * L, L));
    }
  }
}

export function mutualCoherence(layer: Pick<ConvLayer, 'weights' | 'stride'>, o: FilterCoherenceOptions = {}): number {
  return filterCoherence(layer, o).mu;
}

/** μ of an explicit matrix: max_{i≠j} |d_iᵀd_j| / (‖d_i‖‖d_j‖); zero columns are no atoms and are skipped. */
export function denseCoherence(D: Mat): number {
  const norms = columnNorms(D);
  const n = D.rows;
  let mu = 0;
  for (let j = 0; j < D.cols; j++) {
    const nj = norms[j]!;
    if (nj === 0) continue;
    for (let i = 0; i < j; i++) {
      const ni = norms[i]!;
      if (ni === 0) continue;
      const v = Math.abs(dot(D.data, i * n, D.data, j * n, n)) / (ni * nj);
      if (v > mu) mu = v;
    }
  }
  return mu;
}

/** Welch (1974): M unit vectors in dimension d have μ ≥ √((M − d)/(d(M − 1))); vacuous (0) when M ≤ d. */
export function welchBound(atoms: number, dimension: number): number {
  if (!(atoms >= 1 && dimension >= 1)) throw new RangeError(`Welch's bound needs atoms ≥ 1 and dimension ≥ 1, got ${atoms} and ${dimension}`);
  if (atoms <= dimension) return 0;
  return Math.sqrt((atoms - dimension) / (dimension * (atoms - 1)));
}

/**
 * Welch's bound on the smallest window in which every relative shift of two atoms occurs: (2kh−1)×(2kw−1)
 * pixels (height 1 when kh = 1) over c channels, holding m atoms per stride step in each direction. For
 * m = 2, 1×64 filters, stride 1 it is √(1/253) ≈ 0.063, the number 001 quotes for the CSC dictionary.
 */
export function convolutionalWelchBound(layer: Pick<ConvLayer, 'weights' | 'stride'>): number {
  const [m, c, kh, kw] = filterDims(layer.weights);
  const s = layer.stride;
  checkStride(s);
  const d = c * (2 * kh - 1) * (2 * kw - 1);
  const M = m * Math.ceil((2 * kh - 1) / s) * Math.ceil((2 * kw - 1) / s);
  return welchBound(M, d);
}
