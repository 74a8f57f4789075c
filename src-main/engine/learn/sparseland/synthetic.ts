/**
 * Seeded synthetic Sparseland data, as in the K-SVD paper's synthetic experiment (Aharon, Elad &
 * Bruckstein 2006, synthetic experiments): a random dictionary of unit atoms and signals that each combine a few of its atoms
 * with random coefficients, plus Gaussian noise.
 */
import { gaussian, mulberry32 } from '../../../../src-shared/math/random';
import { CodeBuilder, type SparseCodes } from './codes';
import { mat, normalizeColumns, type Mat } from './dense';

/** n×K with i.i.d. Gaussian entries, columns normalised. */
export function randomUnitDictionary(n: number, K: number, seed: number): Mat {
  const g = gaussian(mulberry32(seed));
  const D = mat(n, K);
  for (let i = 0; i < D.data.length; i++) D.data[i] = g();
  normalizeColumns(D);
  return D;
}

export interface SparseSignals {
  /** n×N signals Dα + noise. */
  readonly signals: Mat;
  /** The noiseless signals Dα. */
  readonly clean: Mat;
  readonly codes: SparseCodes;
}

/**
 * N signals, each Σ of `nonzeros` distinct atoms chosen uniformly, with N(0, 1) coefficients (or, with
 * `minMagnitude`, signs times U[minMagnitude, 1]), plus `noise`·N(0, 1) per entry.
 */
export function sparseSignals(D: Mat, o: { count: number; nonzeros: number; seed: number; noise?: number; minMagnitude?: number }): SparseSignals {
  const n = D.rows;
  const K = D.cols;
  if (o.nonzeros > K) throw new RangeError(`cannot pick ${o.nonzeros} distinct atoms out of ${K}`);
  const u = mulberry32(o.seed);
  const g = gaussian(mulberry32(o.seed ^ 0x9e3779b9));
  const clean = mat(n, o.count);
  const builder = new CodeBuilder(K, o.count, o.nonzeros);
  const idx = new Int32Array(o.nonzeros);
  const val = new Float64Array(o.nonzeros);
  for (let j = 0; j < o.count; j++) {
    for (let s = 0; s < o.nonzeros; ) {
      const k = Math.floor(u() * K);
      let dup = false;
      for (let t = 0; t < s; t++) if (idx[t] === k) dup = true;
      if (dup) continue;
      idx[s] = k;
      val[s] = o.minMagnitude === undefined ? g() : (u() < 0.5 ? -1 : 1) * (o.minMagnitude + (1 - o.minMagnitude) * u());
      s++;
    }
    for (let s = 0; s < o.nonzeros; s++) {
      const a = idx[s]! * n;
      for (let i = 0; i < n; i++) clean.data[j * n + i] += val[s]! * D.data[a + i]!;
    }
    builder.push(idx, val, o.nonzeros);
  }
  const signals = mat(n, o.count, clean.data.slice());
  if (o.noise && o.noise > 0) for (let i = 0; i < signals.data.length; i++) signals.data[i] = signals.data[i]! + o.noise * g();
  return { signals, clean, codes: builder.finish() };
}
