/**
 * A learning session as the workbench runs it: a method (K-SVD, CDL, …) advanced one outer iteration at a
 * time, with progress after every iteration, a preview about once a second, a checkpoint every
 * `checkpointEvery` iterations (and when cancelled or finished), and resume from a checkpoint. Methods keep
 * all their randomness in their state, so a resumed session ends exactly where an uninterrupted one would.
 */
import type { LearnConfig, LearnMethod } from '../../../src-shared/contract';
import type { NdArray } from '../io';
import type { HostTensor, Runtime } from '../runtime/session';
import type { JobPreview } from './pursuit-job';
import { loadLearnData, type DatasetFiles, type LearnDataset } from './learn-data';

export interface LearningContext {
  readonly runtime: Runtime;
  readonly config: LearnConfig;
  readonly data: LearnDataset;
}

export interface StepReport {
  /** The method's objective (loss) after the iteration. */
  readonly objective: number;
  /** ℓ0 density of each layer's code, where the method has codes. */
  readonly density?: number[];
  readonly values?: Record<string, number>;
}

/** A method's whole state: small values as JSON, arrays (any NumPy dtype) as tensors. */
export interface SavedState {
  readonly json: unknown;
  readonly tensors: Record<string, NdArray>;
}

export interface LearningMethodImpl<S> {
  /** Creates the initial state (parameters are checked here, with a message naming the bad one). */
  init(ctx: LearningContext): Promise<S>;
  step(ctx: LearningContext, state: S, iteration: number): Promise<{ state: S; report: StepReport }>;
  save(state: S): SavedState;
  restore(ctx: LearningContext, saved: SavedState): Promise<S>;
  preview(ctx: LearningContext, state: S): Promise<JobPreview>;
  /** What the finished session keeps besides its checkpoint (e.g. a denoised image). */
  results?(ctx: LearningContext, state: S): Promise<Record<string, HostTensor>>;
}

export class UnknownMethodError extends Error {}

const registry = new Map<LearnMethod, LearningMethodImpl<unknown>>();

export function registerLearningMethod<S>(name: LearnMethod, impl: LearningMethodImpl<S>): void {
  registry.set(name, impl as LearningMethodImpl<unknown>);
}

export function learningMethod(name: LearnMethod): LearningMethodImpl<unknown> {
  const m = registry.get(name);
  if (!m) throw new UnknownMethodError(`the learning method "${name}" is not available in this build`);
  return m;
}

export interface LearningSink {
  progress(p: { iteration: number; totalIterations: number; report: StepReport; seconds: number }): void;
  /** `iteration`: the iterations done when the state was previewed (the snapshots of the step slider). */
  preview(p: JobPreview & { iteration: number }): void;
  checkpoint(iteration: number, saved: SavedState): Promise<void> | void;
}

export interface LearningOutcome {
  readonly iterations: number;
  readonly cancelled: boolean;
  readonly finalObjective?: number;
  readonly tensors: Record<string, HostTensor>;
}

const PREVIEW_INTERVAL_MS = 1000;

/** Methods that train on labels: their data must carry them (MNIST does; a data set when it has labels.npy). */
const SUPERVISED_METHODS: ReadonlySet<LearnMethod> = new Set(['unrolled-supervised']);

export async function runLearningJob(
  runtime: Runtime,
  config: LearnConfig,
  sink: LearningSink,
  signal: AbortSignal,
  resume?: { iteration: number; saved: SavedState },
  dataset?: DatasetFiles,
): Promise<LearningOutcome> {
  const method = learningMethod(config.method);
  const data = await loadLearnData(config.data, dataset);
  if (SUPERVISED_METHODS.has(config.method) && !data.labels) throw new Error(`${config.method} is supervised and needs class labels; ${data.description} has none`);
  const ctx: LearningContext = { runtime, config, data };
  let state = resume ? await method.restore(ctx, resume.saved) : await method.init(ctx);
  let iteration = resume?.iteration ?? 0;
  let lastCheckpoint = iteration;
  let finalObjective: number | undefined;
  const started = performance.now();
  sink.preview({ ...(await method.preview(ctx, state)), iteration });
  let lastPreview = performance.now();
  let cancelled = false;
  while (iteration < config.iterations) {
    // Steps may be synchronous (K-SVD is plain TypeScript): yield so a cancel message can be received.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (signal.aborted) {
      cancelled = true;
      break;
    }
    const t0 = performance.now();
    const out = await method.step(ctx, state, iteration + 1);
    state = out.state;
    iteration++;
    finalObjective = out.report.objective;
    if (!Number.isFinite(out.report.objective)) throw new Error(`${config.method} diverged at iteration ${iteration}: the objective became ${out.report.objective}; lower the step size or λ`);
    const values = { ...(out.report.values ?? {}), secondsPerIteration: (performance.now() - t0) / 1000 };
    sink.progress({ iteration, totalIterations: config.iterations, report: { ...out.report, values }, seconds: (performance.now() - started) / 1000 });
    if (iteration % config.checkpointEvery === 0) {
      await sink.checkpoint(iteration, method.save(state));
      lastCheckpoint = iteration;
    }
    if (performance.now() - lastPreview > PREVIEW_INTERVAL_MS) {
      sink.preview({ ...(await method.preview(ctx, state)), iteration });
      lastPreview = performance.now();
    }
  }
  if (lastCheckpoint !== iteration) await sink.checkpoint(iteration, method.save(state));
  sink.preview({ ...(await method.preview(ctx, state)), iteration });
  // A stopped session keeps its results too (dictionaries, atoms), so it can be looked at before resuming.
  const tensors = method.results ? await method.results(ctx, state) : {};
  return { iterations: iteration, cancelled, ...(finalObjective !== undefined ? { finalObjective } : {}), tensors };
}
