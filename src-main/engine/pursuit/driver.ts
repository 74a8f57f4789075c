/**
 * The chunked iteration loop shared by the iterative pursuits: T iterations run unrolled inside one graph,
 * state is carried between chunks, and between chunks the host records the objective, applies the stopping
 * test, detects NaN/Inf, reports progress and honours cancellation.
 */
import type { HostTensor, ProviderName } from '../runtime/session';
import { DivergenceError, type Algorithm, type HistoryPoint, type PursuitProgress, type StopReason } from './types';

/**
 * Iterations per graph when the caller does not choose. ONNX Runtime gives every unrolled iteration's
 * temporaries their own buffers (measured: 2 GB resident for 20 iterations of a 64×263×263 code), and
 * past a few hundred MB the memory traffic costs more than the per-run overhead a longer chunk saves
 * (csc-256: 30 ms/iteration at T = 5, 43 ms at T = 20). So the chunk shrinks as the codes grow.
 */
export function defaultChunk(codeElements: number, temporariesPerIteration = 7): number {
  const budgetBytes = 600e6;
  const perIteration = Math.max(1, codeElements * 4 * temporariesPerIteration);
  return Math.min(20, Math.max(2, Math.round(budgetBytes / perIteration)));
}

export interface ChunkOutcome<S> {
  readonly state: S;
  /** Objectives measured in the chunk. */
  readonly objectives: readonly number[];
  /** 1-based iteration within the chunk of each objective; default: every iteration. */
  readonly objectiveIterations?: readonly number[];
  /** ‖Γ⁺ − Γ‖ / ‖Γ⁺‖ over the chunk's last iteration. */
  readonly relativeChange: number;
  readonly provider: ProviderName;
}

export interface IterateOptions<S> {
  readonly algorithm: Algorithm;
  readonly layer: number;
  readonly iterations: number;
  readonly chunk: number;
  readonly tol: number;
  /** Iterations already done before this loop (layered BP counts across layers). */
  readonly offset?: number;
  readonly totalIterations?: number;
  readonly startedAt: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (event: PursuitProgress) => void;
  readonly runChunk: (state: S, firstIteration: number, count: number) => Promise<ChunkOutcome<S>>;
  /** The codes a progress event reports for a state. */
  readonly codesOf?: (state: S) => readonly HostTensor[];
}

export interface IterateResult<S> {
  readonly state: S;
  readonly history: HistoryPoint[];
  readonly iterations: number;
  readonly stopReason: StopReason;
  readonly provider: ProviderName | undefined;
}

export async function iterate<S>(initial: S, o: IterateOptions<S>): Promise<IterateResult<S>> {
  let state = initial;
  const history: HistoryPoint[] = [];
  let done = 0;
  let provider: ProviderName | undefined;
  let stopReason: StopReason = 'iterations';
  const offset = o.offset ?? 0;
  while (done < o.iterations) {
    if (o.signal?.aborted) {
      stopReason = 'cancelled';
      break;
    }
    const count = Math.min(o.chunk, o.iterations - done);
    const outcome = await o.runChunk(state, done, count);
    provider = outcome.provider;
    const seconds = (performance.now() - o.startedAt) / 1000;
    outcome.objectives.forEach((objective, t) => {
      const iteration = offset + done + (outcome.objectiveIterations?.[t] ?? t + 1);
      if (!Number.isFinite(objective)) {
        throw new DivergenceError(o.algorithm, iteration, `the objective became ${objective} (layer ${o.layer}); lower λ or the step size, and check the signal and dictionaries for extreme values`);
      }
      history.push({ iteration, objective, seconds, layer: o.layer });
    });
    if (!Number.isFinite(outcome.relativeChange)) throw new DivergenceError(o.algorithm, offset + done + count, `the code became NaN/Inf (layer ${o.layer})`);
    state = outcome.state;
    done += count;
    o.onProgress?.({
      algorithm: o.algorithm,
      iteration: offset + done,
      totalIterations: o.totalIterations ?? o.iterations,
      layer: o.layer,
      objective: outcome.objectives[outcome.objectives.length - 1]!,
      relativeChange: outcome.relativeChange,
      seconds,
      codes: o.codesOf?.(state),
    });
    if (o.tol > 0 && outcome.relativeChange < o.tol) {
      stopReason = 'tolerance';
      break;
    }
  }
  return { state, history, iterations: done, stopReason, provider };
}

/** FISTA momentum coefficients (t_k − 1)/t_{k+1}, t_1 = 1, t_{k+1} = (1 + √(1 + 4t_k²))/2 (Beck–Teboulle 2009). */
export function fistaMomentum(firstIteration: number, count: number): Float32Array {
  let t = 1;
  for (let k = 0; k < firstIteration; k++) t = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
  const out = new Float32Array(count);
  for (let k = 0; k < count; k++) {
    const next = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
    out[k] = (t - 1) / next;
    t = next;
  }
  return out;
}
