/**
 * Online dictionary learning (Mairal, Bach, Ponce & Sapiro 2010, "Online learning for matrix factorization
 * and sparse coding", JMLR, Alg. 1 and 2). Sparse coding here is OMP with a fixed sparsity (Batch-OMP), not
 * the paper's Lasso: the simpler choice the brief allows, and the same ℓ0 model as K-SVD and MOD.
 *
 * Each iteration draws a mini-batch of η signals (uniformly, with replacement), codes them with the current
 * D, accumulates A ← β_t A + (1/η) Σ ααᵀ and B ← β_t B + (1/η) Σ xαᵀ, and runs the block-coordinate
 * dictionary update of Alg. 2: u_j = (b_j − D a_j)/A_jj + d_j, d_j = u_j / max(‖u_j‖₂, 1) (projection on
 * the unit ball, so atoms may end up shorter than 1). β_t = (1 − 1/t)^ρ is the paper's down-weighting of
 * the past (§3.4.2); ρ = 0 gives the plain sums of Alg. 1. Atoms with (almost) no weight in A are replaced
 * by random training signals (§3.4.5, "purging the dictionary from unused atoms"), checked about once
 * per pass over the data so that a fresh atom has time to be picked.
 */
import type { NdArray } from '../../io/npy';
import { meanL0 } from './codes';
import { col, dot, gram, mat, type Mat } from './dense';
import {
  checkSignals,
  dictionaryFromArray,
  dictionaryFromSignals,
  dictionaryToArray,
  drive,
  initialDictionary,
  LearnInputError,
  requireArray,
  rmseFromErrors,
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

export interface OnlineDlState {
  dictionary: Mat;
  /** A = Σ ααᵀ (K×K), weighted. */
  A: Mat;
  /** B = Σ xαᵀ (n×K), weighted. */
  B: Mat;
  /** Mini-batches done (t in the paper). */
  iteration: number;
  rng: RngState;
  seconds: number;
}

export interface OnlineDlOptions extends DriverOptions<OnlineDlState> {
  readonly atoms: number;
  /** T0 of the OMP coding step. */
  readonly sparsity: number;
  /** η, signals per mini-batch (default 64). */
  readonly batchSize?: number;
  /**
   * ρ in β_t = (1 − 1/t)^ρ (default 10). ρ = 0 keeps the codes of the first mini-batches, made with the
   * poor initial dictionary, at full weight for ever: on the synthetic recovery data it found ~70% of the
   * atoms after 1000 mini-batches, against ≥ 94% with ρ = 10.
   */
  readonly rho?: number;
  /** Passes of the block-coordinate update per mini-batch (default 1, the paper's warm-started choice). */
  readonly dictionaryPasses?: number;
  /** Replace atoms whose A_jj is below this fraction of the mean diagonal of A (default 1e-3; 0 disables). */
  readonly purgeThreshold?: number;
  /** Check for unused atoms every this many mini-batches (default: about one pass over the data, ⌈N/η⌉). */
  readonly purgeEvery?: number;
  readonly seed?: number;
  readonly initial?: Mat;
  readonly state?: OnlineDlState;
}

export type OnlineDlResult = LearnResult<OnlineDlState>;

export function createOnlineDlState(Y: Mat, o: Pick<OnlineDlOptions, 'atoms' | 'seed' | 'initial'>): OnlineDlState {
  if (!Number.isInteger(o.atoms) || o.atoms < 1) throw new LearnInputError(`atoms must be a positive integer, got ${o.atoms}`);
  const rng = new SeededStream(o.seed ?? 0);
  const dictionary = o.initial ? initialDictionary(o.initial, Y.rows, o.atoms) : dictionaryFromSignals(Y, o.atoms, rng);
  return { dictionary, A: mat(o.atoms, o.atoms), B: mat(Y.rows, o.atoms), iteration: 0, rng: rng.state(), seconds: 0 };
}

export function cloneOnlineDlState(s: OnlineDlState): OnlineDlState {
  const copy = (m: Mat) => mat(m.rows, m.cols, m.data.slice());
  return { dictionary: copy(s.dictionary), A: copy(s.A), B: copy(s.B), iteration: s.iteration, rng: { ...s.rng }, seconds: s.seconds };
}

/** Alg. 2: one pass of block-coordinate descent over the atoms, in place on D. */
export function onlineDictionaryUpdate(D: Mat, A: Mat, B: Mat): void {
  const n = D.rows;
  const K = D.cols;
  const u = new Float64Array(n);
  const Da = new Float64Array(n);
  for (let j = 0; j < K; j++) {
    const ajj = A.data[j * K + j]!;
    if (!(ajj > 0)) continue;
    Da.fill(0);
    for (let k = 0; k < K; k++) {
      const a = A.data[j * K + k]!;
      if (a === 0) continue;
      const o = k * n;
      for (let i = 0; i < n; i++) Da[i] += a * D.data[o + i]!;
    }
    const d = col(D, j);
    for (let i = 0; i < n; i++) u[i] = (B.data[j * n + i]! - Da[i]!) / ajj + d[i]!;
    const scale = Math.max(Math.sqrt(dot(u, 0, u, 0, n)), 1);
    for (let i = 0; i < n; i++) d[i] = u[i]! / scale;
  }
}

/** One mini-batch of Alg. 1 on `state` (in place). RMSE and mean ℓ0 are those of the mini-batch, coded before the update. */
export function onlineDlIteration(Y: Mat, state: OnlineDlState, o: Omit<OnlineDlOptions, 'atoms' | 'iterations' | 'onIteration' | 'signal' | 'state' | 'seed' | 'initial'>): IterationStats {
  const t0 = performance.now();
  const D = state.dictionary;
  const n = D.rows;
  const K = D.cols;
  if (Y.rows !== n) throw new LearnInputError(`the signals have length ${Y.rows} but the dictionary's atoms have length ${n}`);
  const eta = o.batchSize ?? 64;
  if (!Number.isInteger(eta) || eta < 1) throw new LearnInputError(`batchSize must be a positive integer, got ${eta}`);
  const rng = streamFor(state, state.rng);
  const batch = mat(n, eta);
  for (let b = 0; b < eta; b++) batch.data.set(col(Y, rng.int(Y.cols)), b * n);
  const codes = batchOmp(D, batch, { sparsity: o.sparsity, gram: gram(D) });
  const t = state.iteration + 1;
  const rho = o.rho ?? 10;
  const beta = rho > 0 ? Math.pow(1 - 1 / t, rho) : 1;
  const { A, B } = state;
  if (beta !== 1) {
    for (let i = 0; i < A.data.length; i++) A.data[i] = A.data[i]! * beta;
    for (let i = 0; i < B.data.length; i++) B.data[i] = B.data[i]! * beta;
  }
  const w = 1 / eta;
  for (let b = 0; b < eta; b++) {
    const p0 = codes.offsets[b]!;
    const p1 = codes.offsets[b + 1]!;
    for (let p = p0; p < p1; p++) {
      const kp = codes.indices[p]!;
      const vp = codes.values[p]! * w;
      for (let q = p0; q < p1; q++) A.data[codes.indices[q]! * K + kp] += vp * codes.values[q]!;
      for (let i = 0; i < n; i++) B.data[kp * n + i] += vp * batch.data[b * n + i]!;
    }
  }
  const passes = o.dictionaryPasses ?? 1;
  for (let s = 0; s < passes; s++) onlineDictionaryUpdate(D, A, B);
  let replaced = 0;
  const purge = o.purgeThreshold ?? 1e-3;
  const every = o.purgeEvery ?? Math.ceil(Y.cols / eta);
  if (purge > 0 && t % every === 0) {
    let trace = 0;
    for (let k = 0; k < K; k++) trace += A.data[k * K + k]!;
    const limit = purge * (trace / K);
    for (let j = 0; j < K; j++) {
      if (A.data[j * K + j]! > limit) continue;
      const y = col(Y, rng.int(Y.cols));
      const norm = Math.sqrt(dot(y, 0, y, 0, n));
      if (!(norm > 0)) continue;
      const d = col(D, j);
      for (let i = 0; i < n; i++) d[i] = y[i]! / norm;
      for (let k = 0; k < K; k++) {
        A.data[j * K + k] = 0;
        A.data[k * K + j] = 0;
      }
      B.data.fill(0, j * n, (j + 1) * n);
      replaced++;
    }
  }
  state.rng = rng.state();
  state.iteration = t;
  state.seconds += (performance.now() - t0) / 1000;
  return { iteration: t, rmse: rmseFromErrors(codes.residualNorms.map((r) => r * r), n), meanL0: meanL0(codes), replaced, seconds: state.seconds };
}

/** Online DL on the columns of Y (n×N); `iterations` counts mini-batches. Same driver contract as K-SVD. */
export async function onlineDictionaryLearning(Y: Mat, o: OnlineDlOptions): Promise<OnlineDlResult> {
  checkSignals(Y);
  if (!Number.isInteger(o.sparsity) || o.sparsity < 1) throw new LearnInputError(`sparsity must be a positive integer, got ${o.sparsity}`);
  const state = o.state ? cloneOnlineDlState(o.state) : createOnlineDlState(Y, o);
  if (state.dictionary.cols !== o.atoms || state.dictionary.rows !== Y.rows) {
    throw new LearnInputError(`the resumed dictionary is ${state.dictionary.rows}×${state.dictionary.cols}; the run needs ${Y.rows}×${o.atoms}`);
  }
  const { stats, stopReason } = await drive(state, o, () => onlineDlIteration(Y, state, o));
  return { dictionary: state.dictionary, stats, state, stopReason };
}

export function onlineDlStateToArrays(s: OnlineDlState): Record<string, NdArray> {
  return {
    dictionary: dictionaryToArray(s.dictionary),
    A: { dtype: 'float64', shape: [s.A.rows, s.A.cols], data: s.A.data.slice() },
    B: dictionaryToArray(s.B),
    scalars: scalarsToArray([s.iteration, s.rng.seed, s.rng.draws, s.seconds]),
  };
}

export function onlineDlStateFromArrays(arrays: ReadonlyMap<string, NdArray>): OnlineDlState {
  const [iteration, seed, draws, seconds] = scalarsFromArray(requireArray(arrays, 'scalars'), 4, 'the online DL state scalars');
  const dictionary = dictionaryFromArray(requireArray(arrays, 'dictionary'), 'the online DL dictionary');
  const a = requireArray(arrays, 'A');
  if (!(a.data instanceof Float64Array) || a.data.length !== dictionary.cols * dictionary.cols) throw new LearnInputError('the saved A must be a float64 K×K array');
  return {
    dictionary,
    A: mat(dictionary.cols, dictionary.cols, a.data.slice()),
    B: dictionaryFromArray(requireArray(arrays, 'B'), 'the online DL matrix B'),
    iteration: iteration!,
    rng: { seed: seed!, draws: draws! },
    seconds: seconds!,
  };
}
