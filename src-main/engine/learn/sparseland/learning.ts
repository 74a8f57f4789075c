/**
 * What the Sparseland learners (MOD, K-SVD, online DL) share: a resumable seeded random stream,
 * per-iteration statistics in the manner of SPORCO's IterationStats, initial dictionaries drawn from the
 * data, the K-SVD paper's atom replacement (Aharon, Elad & Bruckstein 2006, implementation details), and the recovery score
 * of its synthetic experiment.
 */
import { mulberry32 } from '../../../../src-shared/math/random';
import type { NdArray } from '../../io/npy';
import type { SparseCodes } from './codes';
import { col, columnNorms, dot, mat, type Mat } from './dense';

/** Everything needed to continue a seeded stream: mulberry32(seed) after `draws` draws. */
export interface RngState {
  readonly seed: number;
  readonly draws: number;
}

/**
 * mulberry32 (src-shared/math/random) with a draw counter, so that a stream can be saved as
 * {seed, draws} and resumed exactly by replaying `draws` draws.
 */
export class SeededStream {
  private readonly uniform: () => number;
  private count = 0;

  constructor(readonly seed: number, draws = 0) {
    if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
    if (!Number.isSafeInteger(draws) || draws < 0) throw new RangeError(`rng draws must be a non-negative integer, got ${draws}`);
    this.uniform = mulberry32(seed);
    for (let i = 0; i < draws; i++) this.uniform();
    this.count = draws;
  }

  static from(state: RngState): SeededStream {
    return new SeededStream(state.seed, state.draws);
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.count++;
    return this.uniform();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.min(n - 1, Math.floor(this.next() * n));
  }

  /** A uniformly random permutation of 0…n−1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }

  get draws(): number {
    return this.count;
  }

  state(): RngState {
    return { seed: this.seed, draws: this.count };
  }
}

const liveStreams = new WeakMap<object, SeededStream>();

/**
 * The stream of a learner state positioned at `rng`: the one kept from the previous iteration of the same
 * state object when it is at exactly that position, else a fresh one replayed from the seed (a resumed or
 * copied state). Saves replaying every earlier draw at every iteration.
 */
export function streamFor(owner: object, rng: RngState): SeededStream {
  const live = liveStreams.get(owner);
  if (live && live.seed === rng.seed && live.draws === rng.draws) return live;
  const fresh = SeededStream.from(rng);
  liveStreams.set(owner, fresh);
  return fresh;
}

/** One record per learning iteration (cf. SPORCO's IterationStats). */
export interface IterationStats {
  /** 1-based count of iterations done, including those of a resumed run. */
  readonly iteration: number;
  /** Root-mean-square representation error √(‖Y − DX‖²_F / (nN)) (see each learner for which Y and X). */
  readonly rmse: number;
  /** Mean number of non-zeros per code. */
  readonly meanL0: number;
  /** Atoms replaced in this iteration. */
  readonly replaced: number;
  /** Wall-clock seconds since the run started, summed over resumed runs. */
  readonly seconds: number;
}

export type LearnStopReason = 'iterations' | 'cancelled';

/** Options every learner's driver takes. `iterations` is the total, counting iterations of resumed runs. */
export interface DriverOptions<S> {
  readonly iterations: number;
  /** Called after each iteration; the state is live, so read it during the call (clone to keep it). */
  readonly onIteration?: (stats: IterationStats, state: S) => void;
  /** Checked between iterations; a cancelled run returns its state, which can be resumed. */
  readonly signal?: AbortSignal;
}

export interface LearnResult<S> {
  readonly dictionary: Mat;
  readonly stats: IterationStats[];
  readonly state: S;
  readonly stopReason: LearnStopReason;
}

/** Thrown for learner inputs that cannot work; the message names the field and what to do. */
export class LearnInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LearnInputError';
  }
}

/** Lets timers and abort events run between iterations of a synchronous learner. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Runs `step` until `iterations` are done or `signal` aborts, yielding to the event loop in between. */
export async function drive<S extends { iteration: number }>(state: S, o: DriverOptions<S>, step: () => IterationStats): Promise<{ stats: IterationStats[]; stopReason: LearnStopReason }> {
  if (!Number.isInteger(o.iterations) || o.iterations < 0) throw new LearnInputError(`iterations must be a non-negative integer, got ${o.iterations}`);
  const stats: IterationStats[] = [];
  let stopReason: LearnStopReason = 'iterations';
  while (state.iteration < o.iterations) {
    if (o.signal?.aborted) {
      stopReason = 'cancelled';
      break;
    }
    const s = step();
    stats.push(s);
    o.onIteration?.(s, state);
    await yieldToEventLoop();
  }
  if (stopReason === 'iterations' && o.signal?.aborted && state.iteration < o.iterations) stopReason = 'cancelled';
  return { stats, stopReason };
}

export function checkSignals(Y: Mat, what = 'signals'): void {
  if (Y.rows < 1 || Y.cols < 1) throw new LearnInputError(`${what} must be a non-empty n×N matrix, got ${Y.rows}×${Y.cols}`);
  for (let i = 0; i < Y.data.length; i++) {
    if (!Number.isFinite(Y.data[i]!)) throw new LearnInputError(`${what} hold a non-finite value at signal ${Math.floor(i / Y.rows)}, entry ${i % Y.rows}`);
  }
}

/** A copy of `initial` with unit columns, checked against n. */
export function initialDictionary(initial: Mat, n: number, K: number): Mat {
  if (initial.rows !== n || initial.cols !== K) throw new LearnInputError(`the initial dictionary is ${initial.rows}×${initial.cols}; expected ${n}×${K} (signal length × atoms)`);
  const D = mat(n, K, initial.data.slice());
  const norms = columnNorms(D);
  for (let k = 0; k < K; k++) {
    if (!(norms[k]! > 0) || !Number.isFinite(norms[k]!)) throw new LearnInputError(`atom ${k} of the initial dictionary has norm ${norms[k]}; every atom must be finite and non-zero`);
    const c = col(D, k);
    for (let i = 0; i < n; i++) c[i] = c[i]! / norms[k]!;
  }
  return D;
}

/**
 * K distinct non-zero signals chosen at random, normalised: the initial dictionary of the K-SVD paper's
 * synthetic experiments.
 */
export function dictionaryFromSignals(Y: Mat, K: number, rng: SeededStream): Mat {
  const norms = columnNorms(Y);
  const candidates: number[] = [];
  for (let j = 0; j < Y.cols; j++) if (norms[j]! > 0) candidates.push(j);
  if (candidates.length < K) throw new LearnInputError(`cannot draw ${K} initial atoms from ${candidates.length} non-zero signals; give more signals, fewer atoms or an initial dictionary`);
  const D = mat(Y.rows, K);
  for (let k = 0; k < K; k++) {
    const pick = k + rng.int(candidates.length - k);
    const j = candidates[pick]!;
    candidates[pick] = candidates[k]!;
    candidates[k] = j;
    const c = col(D, k);
    const y = col(Y, j);
    for (let i = 0; i < Y.rows; i++) c[i] = y[i]! / norms[j]!;
  }
  return D;
}

export interface ReplacementOptions {
  /** Replace atoms used by fewer signals than this (default 1: only unused atoms). */
  readonly minUsage?: number;
  /** Replace an atom whose |d_iᵀd_j| with another atom exceeds this (default 0.99). */
  readonly maxCoherence?: number;
}

/**
 * Atom replacement (K-SVD paper, implementation details): an atom used by fewer than `minUsage` signals, or too similar to
 * another atom (|d_iᵀd_j| > maxCoherence), is replaced by the worst-represented signal (largest
 * `errors[j]`), normalised; each signal serves at most once. Atoms are visited in index order against the
 * dictionary as it stands, so of two near-identical atoms only the first is replaced. Returns the count.
 */
export function replaceAtoms(D: Mat, Y: Mat, errors: Float64Array, usage: Int32Array, o: ReplacementOptions = {}): number {
  const minUsage = o.minUsage ?? 1;
  const maxCoherence = o.maxCoherence ?? 0.99;
  const n = D.rows;
  const K = D.cols;
  const taken = new Uint8Array(Y.cols);
  const yNorms = columnNorms(Y);
  let replaced = 0;
  for (let j = 0; j < K; j++) {
    let bad = usage[j]! < minUsage;
    if (!bad && maxCoherence < 1) {
      for (let i = 0; i < K && !bad; i++) if (i !== j && Math.abs(dot(D.data, i * n, D.data, j * n, n)) > maxCoherence) bad = true;
    }
    if (!bad) continue;
    let worst = -1;
    for (let s = 0; s < Y.cols; s++) {
      if (taken[s] || !(yNorms[s]! > 0)) continue;
      if (worst < 0 || errors[s]! > errors[worst]!) worst = s;
    }
    if (worst < 0 || !(errors[worst]! > 0)) break;
    taken[worst] = 1;
    const c = col(D, j);
    const y = col(Y, worst);
    for (let i = 0; i < n; i++) c[i] = y[i]! / yNorms[worst]!;
    replaced++;
  }
  return replaced;
}

/** μ(D) = max_{i≠j} |d_iᵀd_j| / (‖d_i‖‖d_j‖) (SCIENCE.md, conventions). */
export function mutualCoherence(D: Mat): number {
  const norms = columnNorms(D);
  let mu = 0;
  for (let i = 0; i < D.cols; i++) {
    for (let j = i + 1; j < D.cols; j++) {
      const v = Math.abs(dot(D.data, i * D.rows, D.data, j * D.rows, D.rows)) / (norms[i]! * norms[j]!);
      if (v > mu) mu = v;
    }
  }
  return mu;
}

/**
 * The K-SVD paper's recovery score (synthetic experiments): the fraction of true atoms that some learned atom matches with
 * |correlation| ≥ threshold (the paper counts 1 − |d_iᵀd̃_j| < 0.01, i.e. threshold 0.99).
 */
export function atomRecovery(trueD: Mat, learned: Mat, threshold: number): { fraction: number; best: Float64Array } {
  if (trueD.rows !== learned.rows) throw new RangeError(`atom lengths differ: ${trueD.rows} vs ${learned.rows}`);
  const n = trueD.rows;
  const tn = columnNorms(trueD);
  const ln = columnNorms(learned);
  const best = new Float64Array(trueD.cols);
  let found = 0;
  for (let i = 0; i < trueD.cols; i++) {
    let b = 0;
    for (let j = 0; j < learned.cols; j++) {
      const v = Math.abs(dot(trueD.data, i * n, learned.data, j * n, n)) / (tn[i]! * ln[j]! || 1);
      if (v > b) b = v;
    }
    best[i] = b;
    if (b >= threshold) found++;
  }
  return { fraction: trueD.cols === 0 ? 0 : found / trueD.cols, best };
}

/** √(Σ errors / (n·N)) for squared per-signal errors. */
export function rmseFromErrors(errors: Float64Array, n: number): number {
  let s = 0;
  for (let j = 0; j < errors.length; j++) s += errors[j]!;
  return Math.sqrt(s / (n * Math.max(errors.length, 1)));
}

// Saving and loading states: every learner state is a set of typed arrays and numbers, written here as
// named float64/int32 arrays so a checkpoint is a plain .npz NumPy can open.

/** A dictionary as an NdArray of shape [K, n]: one atom per row (the column-major data as is). */
export function dictionaryToArray(D: Mat): NdArray {
  return { dtype: 'float64', shape: [D.cols, D.rows], data: D.data.slice() };
}

export function dictionaryFromArray(a: NdArray, what: string): Mat {
  if (a.dtype !== 'float64' || !(a.data instanceof Float64Array) || a.shape.length !== 2) throw new LearnInputError(`${what} must be a 2-D float64 array [atoms, n]`);
  return mat(a.shape[1]!, a.shape[0]!, a.data.slice());
}

export function scalarsToArray(values: readonly number[]): NdArray {
  return { dtype: 'float64', shape: [values.length], data: Float64Array.from(values) };
}

export function codesToArrays(codes: SparseCodes, prefix: string): Record<string, NdArray> {
  return {
    [`${prefix}_shape`]: { dtype: 'int32', shape: [2], data: Int32Array.from([codes.atoms, codes.signals]) },
    [`${prefix}_offsets`]: { dtype: 'int32', shape: [codes.offsets.length], data: codes.offsets.slice() },
    [`${prefix}_indices`]: { dtype: 'int32', shape: [codes.indices.length], data: codes.indices.slice() },
    [`${prefix}_values`]: { dtype: 'float64', shape: [codes.values.length], data: codes.values.slice() },
  };
}

export function codesFromArrays(arrays: ReadonlyMap<string, NdArray>, prefix: string): SparseCodes | undefined {
  const shape = arrays.get(`${prefix}_shape`);
  if (!shape) return undefined;
  const get = <T>(name: string, ctor: new (...args: never[]) => T): T => {
    const a = arrays.get(`${prefix}_${name}`);
    if (!a || !(a.data instanceof ctor)) throw new LearnInputError(`the saved state lacks a valid "${prefix}_${name}" array`);
    return a.data;
  };
  const s = get('shape', Int32Array);
  return {
    atoms: s[0]!,
    signals: s[1]!,
    offsets: get('offsets', Int32Array).slice(),
    indices: get('indices', Int32Array).slice(),
    values: get('values', Float64Array).slice(),
  };
}

export function requireArray(arrays: ReadonlyMap<string, NdArray>, name: string): NdArray {
  const a = arrays.get(name);
  if (!a) throw new LearnInputError(`the saved state lacks the array "${name}"; was it written by this learner?`);
  return a;
}

export function scalarsFromArray(a: NdArray, count: number, what: string): number[] {
  if (!(a.data instanceof Float64Array) || a.data.length !== count) throw new LearnInputError(`${what} must be ${count} float64 values`);
  return Array.from(a.data);
}
