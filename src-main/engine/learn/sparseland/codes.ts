/**
 * Sparse codes of many signals, stored like a compressed-sparse-column matrix (K atoms × N signals):
 * signal j uses atoms `indices[offsets[j] .. offsets[j+1])` with the matching `values`, in the order the
 * pursuit chose them.
 */
import { mat, type Mat } from './dense';

export interface SparseCodes {
  /** K, the number of atoms (rows of the code matrix). */
  readonly atoms: number;
  /** N, the number of signals (columns). */
  readonly signals: number;
  readonly offsets: Int32Array;
  readonly indices: Int32Array;
  readonly values: Float64Array;
}

/** Collects codes signal by signal, growing its buffers as needed. */
export class CodeBuilder {
  private indices: Int32Array;
  private values: Float64Array;
  private readonly offsets: Int32Array;
  private count = 0;
  private signal = 0;

  constructor(readonly atoms: number, readonly signals: number, expectedPerSignal = 4) {
    const cap = Math.max(16, signals * expectedPerSignal);
    this.indices = new Int32Array(cap);
    this.values = new Float64Array(cap);
    this.offsets = new Int32Array(signals + 1);
  }

  /** Appends the code of the next signal. */
  push(indices: ArrayLike<number>, values: ArrayLike<number>, length: number): void {
    if (this.signal >= this.signals) throw new RangeError(`CodeBuilder: more than ${this.signals} signals`);
    if (this.count + length > this.indices.length) {
      const cap = Math.max(2 * this.indices.length, this.count + length);
      const ni = new Int32Array(cap);
      ni.set(this.indices.subarray(0, this.count));
      const nv = new Float64Array(cap);
      nv.set(this.values.subarray(0, this.count));
      this.indices = ni;
      this.values = nv;
    }
    for (let i = 0; i < length; i++) {
      this.indices[this.count + i] = indices[i]!;
      this.values[this.count + i] = values[i]!;
    }
    this.count += length;
    this.signal++;
    this.offsets[this.signal] = this.count;
  }

  finish(): SparseCodes {
    if (this.signal !== this.signals) throw new RangeError(`CodeBuilder: ${this.signal} of ${this.signals} signals pushed`);
    return {
      atoms: this.atoms,
      signals: this.signals,
      offsets: this.offsets,
      indices: this.indices.slice(0, this.count),
      values: this.values.slice(0, this.count),
    };
  }
}

/** The K×N code matrix, dense and column-major (a Float64Array of length K·N). */
export function denseCodes(codes: SparseCodes): Mat {
  const X = mat(codes.atoms, codes.signals);
  for (let j = 0; j < codes.signals; j++) {
    for (let p = codes.offsets[j]!; p < codes.offsets[j + 1]!; p++) X.data[j * codes.atoms + codes.indices[p]!] += codes.values[p]!;
  }
  return X;
}

/** D·X for sparse X. */
export function reconstruct(D: Mat, codes: SparseCodes): Mat {
  if (D.cols !== codes.atoms) throw new RangeError(`dictionary has ${D.cols} atoms but the codes use ${codes.atoms}`);
  const n = D.rows;
  const out = mat(n, codes.signals);
  for (let j = 0; j < codes.signals; j++) {
    const o = j * n;
    for (let p = codes.offsets[j]!; p < codes.offsets[j + 1]!; p++) {
      const a = codes.indices[p]! * n;
      const v = codes.values[p]!;
      for (let i = 0; i < n; i++) out.data[o + i] += v * D.data[a + i]!;
    }
  }
  return out;
}

/** Y − D·X, column-major n×N. */
export function residual(D: Mat, Y: Mat, codes: SparseCodes): Mat {
  const R = reconstruct(D, codes);
  for (let i = 0; i < R.data.length; i++) R.data[i] = Y.data[i]! - R.data[i]!;
  return R;
}

/** ‖y_j − D x_j‖₂² for every signal j. */
export function squaredErrors(D: Mat, Y: Mat, codes: SparseCodes): Float64Array {
  const n = D.rows;
  const out = new Float64Array(codes.signals);
  const r = new Float64Array(n);
  for (let j = 0; j < codes.signals; j++) {
    r.set(Y.data.subarray(j * n, (j + 1) * n));
    for (let p = codes.offsets[j]!; p < codes.offsets[j + 1]!; p++) {
      const a = codes.indices[p]! * n;
      const v = codes.values[p]!;
      for (let i = 0; i < n; i++) r[i] -= v * D.data[a + i]!;
    }
    let s = 0;
    for (let i = 0; i < n; i++) s += r[i]! * r[i]!;
    out[j] = s;
  }
  return out;
}

/** Mean number of non-zeros per signal. */
export function meanL0(codes: SparseCodes): number {
  let nnz = 0;
  for (let p = 0; p < codes.values.length; p++) if (codes.values[p] !== 0) nnz++;
  return codes.signals === 0 ? 0 : nnz / codes.signals;
}

/** For each atom, the number of signals whose code gives it a non-zero coefficient. */
export function atomUsage(codes: SparseCodes): Int32Array {
  const use = new Int32Array(codes.atoms);
  for (let p = 0; p < codes.values.length; p++) {
    if (codes.values[p] === 0) continue;
    const k = codes.indices[p]!;
    use[k] = use[k]! + 1;
  }
  return use;
}
