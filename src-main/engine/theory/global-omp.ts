/**
 * Global OMP over a convolutional dictionary: the pursuit of the CSC phase-transition experiment (`001`,
 * "Phase Transition Experiment": global OMP and BP on m = 2, n = 64, N = 640), whose success the stripe
 * theorem guarantees when ‖Γ‖s0,∞ < ½(1 + 1/μ(D)) (SCIENCE.md, CSC). With several layers it pursues the
 * deepest code against the effective dictionary D^{(K)} = D_1D_2⋯D_K, as projection pursuit does (Sulam,
 * Papyan, Romano & Elad 2018, `004`; SCIENCE.md, ML-CSC); Γ_{i−1} = D_iΓ_i then gives the other codes.
 *
 * The dictionary is formed densely (conv-matrix.ts) and handed to the Sparseland OMP (Pati et al. 1993) or
 * Batch-OMP (Rubinstein, Zibulevsky & Elad 2008): fine for the theory's sizes (hundreds of samples).
 */
import { batchOmp, omp, type OmpResult } from '../learn/sparseland/omp';
import { mat, normalizeColumns, type Mat } from '../learn/sparseland/dense';
import { codeShapeOf, denseProduct, denseSynthesisMatrix } from './conv-matrix';
import type { ConvLayer } from './types';

/** D^{(K)} = D_1⋯D_K as a dense matrix (rows: signal entries, columns: deepest-code entries, row-major). */
export function effectiveDictionary(layers: readonly ConvLayer[], input: readonly [number, number, number]): { D: Mat; codeShape: [number, number, number] } {
  if (layers.length === 0) throw new RangeError('globalOmp needs at least one layer');
  let shape: readonly [number, number, number] = input;
  let D: Mat | null = null;
  for (const layer of layers) {
    const Di = denseSynthesisMatrix(layer, shape);
    D = D === null ? Di : denseProduct(D, Di);
    shape = codeShapeOf(layer, shape);
  }
  return { D: D!, codeShape: [shape[0], shape[1], shape[2]] };
}

/**
 * The deepest code of each signal by OMP over D^{(K)}, stopping at `sparsity` atoms and/or residual
 * ‖x − D^{(K)}Γ_K‖₂ ≤ `errorTarget`. Atoms are selected and solved for over the normalised columns of
 * D^{(K)} (the molecules of a multi-layer dictionary are not unit-norm, and the theory's μ is over
 * normalised atoms); the code is then rescaled so that x ≈ D^{(K)}Γ_K in the original scaling.
 */
export function globalOmp(
  layers: readonly ConvLayer[],
  signals: readonly Float64Array[],
  input: readonly [number, number, number],
  o: { sparsity?: number; errorTarget?: number },
): { codes: Float64Array[]; residualNorms: Float64Array } {
  const { D } = effectiveDictionary(layers, input);
  const n = D.rows;
  const K = D.cols;
  const norms = normalizeColumns(D);
  const Y = mat(n, signals.length);
  signals.forEach((x, j) => {
    if (x.length !== n) throw new RangeError(`signals[${j}] has ${x.length} samples; the input shape [${input.join(', ')}] has ${n}`);
    Y.data.set(x, j * n);
  });
  // Batch-OMP pays for the Gram matrix (K²n/2) once, then about Kn + KT² per signal; plain OMP pays
  // about T·Kn per signal. Take the cheaper one for the expected number of atoms T.
  const T = Math.min(o.sparsity ?? Math.ceil(n / 8), n, K);
  const batchCost = (K * K * n) / 2 + signals.length * (K * n + K * T * T);
  const plainCost = signals.length * T * K * n;
  const r: OmpResult = batchCost < plainCost ? batchOmp(D, Y, o) : omp(D, Y, o);
  const codes: Float64Array[] = [];
  for (let j = 0; j < signals.length; j++) {
    const g = new Float64Array(K);
    for (let p = r.offsets[j]!; p < r.offsets[j + 1]!; p++) {
      const k = r.indices[p]!;
      // α over unit atoms d_k/‖d_k‖ equals Γ_k·‖d_k‖ over the original atoms.
      g[k] = norms[k]! > 0 ? r.values[p]! / norms[k]! : 0;
    }
    codes.push(g);
  }
  return { codes, residualNorms: r.residualNorms };
}
