/**
 * K-SVD (Aharon, Elad & Bruckstein 2006, "K-SVD: an algorithm for designing overcomplete dictionaries for
 * sparse representation", Fig. 2): alternate Batch-OMP sparse coding with an atom-by-atom update in which
 * atom k and its coefficients become the best rank-1 approximation of the residual E_kΩ_k restricted to
 * the signals that use atom k.
 */
import type { NdArray } from '../../io/npy';
import { atomUsage, meanL0, squaredErrors, type SparseCodes } from './codes';
import { col, gram, mat, rank1, type Mat } from './dense';
import {
  checkSignals,
  codesFromArrays,
  codesToArrays,
  dictionaryFromArray,
  dictionaryFromSignals,
  dictionaryToArray,
  drive,
  initialDictionary,
  LearnInputError,
  replaceAtoms,
  requireArray,
  scalarsFromArray,
  scalarsToArray,
  SeededStream,
  streamFor,
  type DriverOptions,
  type IterationStats,
  type LearnResult,
  type RngState,
} from './learning';
import { batchOmp } from './omp';

export interface KsvdState {
  dictionary: Mat;
  /** Iterations done. */
  iteration: number;
  rng: RngState;
  /** The codes of the last iteration (they match the dictionary before that iteration's replacements). */
  codes: SparseCodes | undefined;
  /** Seconds spent in iterations so far, over all resumed runs. */
  seconds: number;
}

export interface KsvdOptions extends DriverOptions<KsvdState> {
  /** K, the number of atoms (must match `initial` or a resumed state). */
  readonly atoms: number;
  /** T0: fixed sparsity of every code (with `errorTarget`, the cap on atoms per code). */
  readonly sparsity?: number;
  /** ε: code each signal until ‖y − Dα‖₂ ≤ ε (the denoising mode). */
  readonly errorTarget?: number;
  /** Seed of the random stream (initial atoms drawn from the data, atom visiting order). Default 0. */
  readonly seed?: number;
  /** Initial dictionary n×K (normalised on entry); default K random signals, normalised. */
  readonly initial?: Mat;
  /** Replace unused and near-duplicate atoms (default true); never in the final iteration. */
  readonly replaceAtoms?: boolean;
  /** Replacement threshold on |d_iᵀd_j| (default 0.99). */
  readonly maxCoherence?: number;
  /** Replace atoms used by fewer signals than this (default 1). */
  readonly minUsage?: number;
  /**
   * With a fixed sparsity only: keep a signal's previous code when OMP's new code represents it worse.
   * OMP is greedy, so its code can be worse than the rank-1-updated one from the last iteration, and the
   * RMSE of plain K-SVD can then rise slightly (seen on the synthetic test data). Keeping the better of the
   * two codes is the safeguard the paper mentions (its convergence discussion) to make every iteration non-increasing in error.
   * Default false: the safeguard also keeps codes that OMP would move out of a poor local minimum, and on
   * the synthetic recovery experiment plain K-SVD recovered more atoms.
   */
  readonly monotone?: boolean;
  /** Power-iteration limit for each rank-1 update (default 30; it stops earlier once converged). */
  readonly powerIterations?: number;
  /** Resume from a saved state instead of starting afresh. It is copied, never modified. */
  readonly state?: KsvdState;
}

export interface KsvdResult extends LearnResult<KsvdState> {
  /** The codes of the last iteration; they match `dictionary` (no replacement happens in the final iteration). */
  readonly codes: SparseCodes | undefined;
}

export function createKsvdState(Y: Mat, o: Pick<KsvdOptions, 'atoms' | 'seed' | 'initial'>): KsvdState {
  if (!Number.isInteger(o.atoms) || o.atoms < 1) throw new LearnInputError(`atoms must be a positive integer, got ${o.atoms}`);
  const rng = new SeededStream(o.seed ?? 0);
  const dictionary = o.initial ? initialDictionary(o.initial, Y.rows, o.atoms) : dictionaryFromSignals(Y, o.atoms, rng);
  return { dictionary, iteration: 0, rng: rng.state(), codes: undefined, seconds: 0 };
}

export function cloneKsvdState(s: KsvdState): KsvdState {
  return {
    dictionary: mat(s.dictionary.rows, s.dictionary.cols, s.dictionary.data.slice()),
    iteration: s.iteration,
    rng: { ...s.rng },
    codes: s.codes && { ...s.codes, offsets: s.codes.offsets.slice(), indices: s.codes.indices.slice(), values: s.codes.values.slice() },
    seconds: s.seconds,
  };
}

/** Keeps, per signal, whichever of two codes has the smaller squared error. */
function betterCodes(a: SparseCodes, errA: Float64Array, b: SparseCodes, errB: Float64Array): SparseCodes {
  const N = a.signals;
  const offsets = new Int32Array(N + 1);
  const pick = new Uint8Array(N);
  for (let j = 0; j < N; j++) {
    pick[j] = errB[j]! < errA[j]! ? 1 : 0;
    const c = pick[j] ? b : a;
    offsets[j + 1] = offsets[j]! + c.offsets[j + 1]! - c.offsets[j]!;
  }
  const indices = new Int32Array(offsets[N]!);
  const values = new Float64Array(offsets[N]!);
  for (let j = 0; j < N; j++) {
    const c = pick[j] ? b : a;
    indices.set(c.indices.subarray(c.offsets[j]!, c.offsets[j + 1]!), offsets[j]!);
    values.set(c.values.subarray(c.offsets[j]!, c.offsets[j + 1]!), offsets[j]!);
  }
  return { atoms: a.atoms, signals: N, offsets, indices, values };
}

/**
 * The dictionary-update stage (paper, Fig. 2, stage 2), in place on D and on the code values, with R = Y − DX
 * kept up to date: for each atom k (in `order`) with signal set ω_k, E = R_ω + d_k x_{k,ω}ᵀ, then
 * (d_k, x_{k,ω}) ← (u, σv) from the leading singular triplet of E and R_ω ← E − d_k x_{k,ω}ᵀ.
 * The power iteration starts from the current atom, so each update lowers ‖R‖_F or leaves it unchanged.
 */
export function updateAtoms(D: Mat, codes: SparseCodes, R: Mat, order: ArrayLike<number>, powerIterations = 30): void {
  const n = D.rows;
  const K = D.cols;
  // Transpose the code pattern: for atom k, the value positions p (and so the signals) that use it.
  const start = new Int32Array(K + 1);
  for (let p = 0; p < codes.indices.length; p++) {
    const k = codes.indices[p]! + 1;
    start[k] = start[k]! + 1;
  }
  for (let k = 0; k < K; k++) start[k + 1] = start[k + 1]! + start[k]!;
  const fill = start.slice(0, K);
  const positions = new Int32Array(codes.indices.length);
  const signalOf = new Int32Array(codes.indices.length);
  for (let j = 0; j < codes.signals; j++) {
    for (let p = codes.offsets[j]!; p < codes.offsets[j + 1]!; p++) {
      const k = codes.indices[p]!;
      const at = fill[k]!;
      positions[at] = p;
      signalOf[at] = j;
      fill[k] = at + 1;
    }
  }
  for (let t = 0; t < order.length; t++) {
    const k = order[t]!;
    const m = start[k + 1]! - start[k]!;
    if (m === 0) continue;
    const d = col(D, k);
    const E = mat(n, m);
    for (let q = 0; q < m; q++) {
      const j = signalOf[start[k]! + q]!;
      const x = codes.values[positions[start[k]! + q]!]!;
      const eo = q * n;
      const ro = j * n;
      for (let i = 0; i < n; i++) E.data[eo + i] = R.data[ro + i]! + x * d[i]!;
    }
    const { u, v, sigma } = rank1(E, { u0: d, maxIterations: powerIterations });
    if (sigma > 0) d.set(u);
    for (let q = 0; q < m; q++) {
      const j = signalOf[start[k]! + q]!;
      const x = sigma * v[q]!;
      codes.values[positions[start[k]! + q]!] = x;
      const eo = q * n;
      const ro = j * n;
      for (let i = 0; i < n; i++) R.data[ro + i] = E.data[eo + i]! - x * d[i]!;
    }
  }
}

export type KsvdIterationOptions = Omit<KsvdOptions, 'atoms' | 'iterations' | 'onIteration' | 'signal' | 'state' | 'seed' | 'initial'> & {
  /** The final iteration of a run: no atom replacement, so the codes match the returned dictionary. */
  readonly lastIteration?: boolean;
};

/** One K-SVD iteration on `state` (modified in place); returns its statistics. */
export function ksvdIteration(Y: Mat, state: KsvdState, o: KsvdIterationOptions): IterationStats {
  const t0 = performance.now();
  const D = state.dictionary;
  const n = D.rows;
  const N = Y.cols;
  if (Y.rows !== n) throw new LearnInputError(`the signals have length ${Y.rows} but the dictionary's atoms have length ${n}`);
  const rng = streamFor(state, state.rng);
  // Stage 1: sparse coding.
  const { atoms, signals, offsets, indices, values } = batchOmp(D, Y, { sparsity: o.sparsity, errorTarget: o.errorTarget, gram: gram(D) });
  let codes: SparseCodes = { atoms, signals, offsets, indices, values };
  if ((o.monotone ?? false) && o.errorTarget === undefined && state.codes && state.codes.signals === N && state.codes.atoms === D.cols) {
    codes = betterCodes(codes, squaredErrors(D, Y, codes), state.codes, squaredErrors(D, Y, state.codes));
  }
  // Stage 2: atom-by-atom update, in a seeded random order.
  const R = mat(n, N, Y.data.slice());
  for (let j = 0; j < N; j++) {
    for (let p = codes.offsets[j]!; p < codes.offsets[j + 1]!; p++) {
      const a = codes.indices[p]! * n;
      const x = codes.values[p]!;
      for (let i = 0; i < n; i++) R.data[j * n + i] -= x * D.data[a + i]!;
    }
  }
  updateAtoms(D, codes, R, rng.permutation(D.cols), o.powerIterations ?? 30);
  const errors = new Float64Array(N);
  let total = 0;
  for (let j = 0; j < N; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += R.data[j * n + i]! * R.data[j * n + i]!;
    errors[j] = s;
    total += s;
  }
  const rmse = Math.sqrt(total / (n * N));
  const l0 = meanL0(codes);
  const last = o.lastIteration ?? false;
  let replaced = 0;
  if ((o.replaceAtoms ?? true) && !last) {
    replaced = replaceAtoms(D, Y, errors, atomUsage(codes), { maxCoherence: o.maxCoherence, minUsage: o.minUsage });
  }
  state.codes = codes;
  state.rng = rng.state();
  state.iteration++;
  state.seconds += (performance.now() - t0) / 1000;
  return { iteration: state.iteration, rmse, meanL0: l0, replaced, seconds: state.seconds };
}

/**
 * K-SVD on the columns of Y (n×N). RMSE in the statistics is that of Y against the updated dictionary and
 * codes, before replacement. Stops after `iterations` in total or at the first check after `signal` aborts;
 * a stopped run's `state` resumes (option `state`) to exactly the result of an uninterrupted run.
 */
export async function ksvd(Y: Mat, o: KsvdOptions): Promise<KsvdResult> {
  checkSignals(Y);
  if (o.sparsity === undefined && o.errorTarget === undefined) throw new LearnInputError('K-SVD needs a fixed sparsity (sparsity), an error target (errorTarget) or both');
  const state = o.state ? cloneKsvdState(o.state) : createKsvdState(Y, o);
  if (state.dictionary.cols !== o.atoms || state.dictionary.rows !== Y.rows) {
    throw new LearnInputError(`the resumed dictionary is ${state.dictionary.rows}×${state.dictionary.cols}; the run needs ${Y.rows}×${o.atoms}`);
  }
  const { stats, stopReason } = await drive(state, o, () => ksvdIteration(Y, state, { ...o, lastIteration: state.iteration + 1 === o.iterations }));
  return { dictionary: state.dictionary, codes: state.codes, stats, state, stopReason };
}

/** The state as named arrays for an .npz checkpoint (see io/npz writeNpz). */
export function ksvdStateToArrays(s: KsvdState): Record<string, NdArray> {
  return {
    dictionary: dictionaryToArray(s.dictionary),
    scalars: scalarsToArray([s.iteration, s.rng.seed, s.rng.draws, s.seconds]),
    ...(s.codes ? codesToArrays(s.codes, 'codes') : {}),
  };
}

export function ksvdStateFromArrays(arrays: ReadonlyMap<string, NdArray>): KsvdState {
  const [iteration, seed, draws, seconds] = scalarsFromArray(requireArray(arrays, 'scalars'), 4, 'the K-SVD state scalars');
  return {
    dictionary: dictionaryFromArray(requireArray(arrays, 'dictionary'), 'the K-SVD dictionary'),
    iteration: iteration!,
    rng: { seed: seed!, draws: draws! },
    codes: codesFromArrays(arrays, 'codes'),
    seconds: seconds!,
  };
}
