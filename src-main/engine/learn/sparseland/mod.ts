/**
 * MOD, the Method of Optimal Directions (Engan, Aase & Husøy 1999): alternate Batch-OMP sparse coding with
 * the least-squares dictionary D = YXᵀ(XXᵀ)⁻¹, then normalise the atoms.
 */
import type { NdArray } from '../../io/npy';
import { atomUsage, meanL0, squaredErrors, type SparseCodes } from './codes';
import { cholesky, choleskySolve, gram, mat, normalizeColumns, type Mat } from './dense';
import {
  checkSignals,
  dictionaryFromArray,
  dictionaryFromSignals,
  dictionaryToArray,
  drive,
  initialDictionary,
  LearnInputError,
  replaceAtoms,
  requireArray,
  rmseFromErrors,
  scalarsFromArray,
  scalarsToArray,
  SeededStream,
  type DriverOptions,
  type IterationStats,
  type LearnResult,
  type RngState,
} from './learning';
import { batchOmp } from './omp';

export interface ModState {
  dictionary: Mat;
  iteration: number;
  rng: RngState;
  seconds: number;
}

export interface ModOptions extends DriverOptions<ModState> {
  readonly atoms: number;
  readonly sparsity?: number;
  readonly errorTarget?: number;
  readonly seed?: number;
  readonly initial?: Mat;
  /**
   * Ridge ρ, relative to the mean diagonal of XXᵀ: D = YXᵀ(XXᵀ + ρ·tr(XXᵀ)/K·I)⁻¹. XXᵀ is singular when an
   * atom is unused (a zero row of X) and ill-conditioned when two atoms always appear together; the small
   * ridge keeps the solve defined and barely moves a well-posed solution. Default 1e-8.
   */
  readonly ridge?: number;
  /** Replace unused and near-duplicate atoms by the worst-represented signals (default true). */
  readonly replaceAtoms?: boolean;
  readonly maxCoherence?: number;
  readonly minUsage?: number;
  readonly state?: ModState;
}

export type ModResult = LearnResult<ModState>;

export function createModState(Y: Mat, o: Pick<ModOptions, 'atoms' | 'seed' | 'initial'>): ModState {
  if (!Number.isInteger(o.atoms) || o.atoms < 1) throw new LearnInputError(`atoms must be a positive integer, got ${o.atoms}`);
  const rng = new SeededStream(o.seed ?? 0);
  const dictionary = o.initial ? initialDictionary(o.initial, Y.rows, o.atoms) : dictionaryFromSignals(Y, o.atoms, rng);
  return { dictionary, iteration: 0, rng: rng.state(), seconds: 0 };
}

/** D = YXᵀ(XXᵀ + ρI)⁻¹ for sparse X, solved by Cholesky: (XXᵀ + ρI) Dᵀ = XYᵀ, one right-hand side per row of D. */
export function modDictionary(Y: Mat, codes: SparseCodes, ridge = 1e-8): Mat {
  const n = Y.rows;
  const K = codes.atoms;
  const XXt = mat(K, K);
  const YXt = mat(n, K);
  for (let j = 0; j < codes.signals; j++) {
    const a = codes.offsets[j]!;
    const b = codes.offsets[j + 1]!;
    for (let p = a; p < b; p++) {
      const kp = codes.indices[p]!;
      const vp = codes.values[p]!;
      for (let q = a; q < b; q++) XXt.data[codes.indices[q]! * K + kp] += vp * codes.values[q]!;
      const yo = j * n;
      const d = kp * n;
      for (let i = 0; i < n; i++) YXt.data[d + i] += vp * Y.data[yo + i]!;
    }
  }
  let trace = 0;
  for (let k = 0; k < K; k++) trace += XXt.data[k * K + k]!;
  const rho = ridge * (trace > 0 ? trace / K : 1);
  for (let k = 0; k < K; k++) XXt.data[k * K + k] += rho;
  const L = cholesky(XXt);
  const D = mat(n, K);
  const rhs = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < K; k++) rhs[k] = YXt.data[k * n + i]!;
    const row = choleskySolve(L, rhs);
    for (let k = 0; k < K; k++) D.data[k * n + i] = row[k]!;
  }
  return D;
}

/** One MOD iteration on `state` (in place). RMSE is that of the codes against the dictionary they were coded with. */
export function modIteration(Y: Mat, state: ModState, o: Omit<ModOptions, 'atoms' | 'iterations' | 'onIteration' | 'signal' | 'state' | 'seed' | 'initial'>): IterationStats {
  const t0 = performance.now();
  const D = state.dictionary;
  if (Y.rows !== D.rows) throw new LearnInputError(`the signals have length ${Y.rows} but the dictionary's atoms have length ${D.rows}`);
  const codes = batchOmp(D, Y, { sparsity: o.sparsity, errorTarget: o.errorTarget, gram: gram(D) });
  const errors = codes.residualNorms.map((r) => r * r);
  const rmse = rmseFromErrors(errors, D.rows);
  const next = modDictionary(Y, codes, o.ridge ?? 1e-8);
  const norms = normalizeColumns(next);
  // An unused atom solves to a zero column: keep the old atom there (replacement may then swap it out).
  for (let k = 0; k < next.cols; k++) if (!(norms[k]! > 1e-12)) next.data.set(D.data.subarray(k * D.rows, (k + 1) * D.rows), k * D.rows);
  let replaced = 0;
  if (o.replaceAtoms ?? true) {
    // Unused atoms come out of the solve as (near) zero columns; judge the rest by the new dictionary's errors.
    replaced = replaceAtoms(next, Y, squaredErrors(next, Y, codes), atomUsage(codes), { maxCoherence: o.maxCoherence, minUsage: o.minUsage });
  }
  D.data.set(next.data);
  state.iteration++;
  state.seconds += (performance.now() - t0) / 1000;
  return { iteration: state.iteration, rmse, meanL0: meanL0(codes), replaced, seconds: state.seconds };
}

/** MOD on the columns of Y (n×N); same driver contract as K-SVD (resumable state, callback, abort). */
export async function mod(Y: Mat, o: ModOptions): Promise<ModResult> {
  checkSignals(Y);
  if (o.sparsity === undefined && o.errorTarget === undefined) throw new LearnInputError('MOD needs a fixed sparsity (sparsity), an error target (errorTarget) or both');
  const state: ModState = o.state
    ? { dictionary: mat(o.state.dictionary.rows, o.state.dictionary.cols, o.state.dictionary.data.slice()), iteration: o.state.iteration, rng: { ...o.state.rng }, seconds: o.state.seconds }
    : createModState(Y, o);
  if (state.dictionary.cols !== o.atoms || state.dictionary.rows !== Y.rows) {
    throw new LearnInputError(`the resumed dictionary is ${state.dictionary.rows}×${state.dictionary.cols}; the run needs ${Y.rows}×${o.atoms}`);
  }
  const { stats, stopReason } = await drive(state, o, () => modIteration(Y, state, o));
  return { dictionary: state.dictionary, stats, state, stopReason };
}

export function modStateToArrays(s: ModState): Record<string, NdArray> {
  return { dictionary: dictionaryToArray(s.dictionary), scalars: scalarsToArray([s.iteration, s.rng.seed, s.rng.draws, s.seconds]) };
}

export function modStateFromArrays(arrays: ReadonlyMap<string, NdArray>): ModState {
  const [iteration, seed, draws, seconds] = scalarsFromArray(requireArray(arrays, 'scalars'), 4, 'the MOD state scalars');
  return { dictionary: dictionaryFromArray(requireArray(arrays, 'dictionary'), 'the MOD dictionary'), iteration: iteration!, rng: { seed: seed!, draws: draws! }, seconds: seconds! };
}
