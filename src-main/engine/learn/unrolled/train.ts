/**
 * Supervised training of unrolled ML-CSC networks (TPAMI 2019, Sec. 6: unroll the pursuit, put a linear
 * classifier on Γ_K, minimise the cross-entropy end to end).
 *
 * One ONNX Runtime session runs the training graph (graph.ts: forward, loss and every gradient); the
 * optimiser step runs on the host over the parameters' Float32Arrays. The update is a handful of
 * element-wise operations per parameter, a few milliseconds against the graph's hundreds, and on the host
 * it keeps the parameters and moments in one place that serialises directly.
 *
 * Mini-batches come from a seeded Fisher–Yates shuffle per epoch; a partial last batch is dropped (the
 * graph has a static batch size). The whole state — parameters, optimiser moments, step, epoch, position
 * in the epoch, the epoch's order and the generator's state — is in `TrainingState`, so a run stopped
 * between two steps and resumed from it (in memory or after `serializeTrainingState`) produces bit for
 * bit the parameters of an uninterrupted run with the same seed.
 */
import type { HostTensor } from '../../runtime/session';
import { hostTensor } from '../../runtime/session';
import { buildForwardGraph, buildTrainingGraph, gradName, IMAGES, LABELS, LAMBDA, LOGITS, LOSS } from './graph';
import { cloneParameters, initParameters, parameterSpecs, type Parameters, type UnrolledModel } from './model';
import type { Dataset } from './mnist';
import { CompiledGraph, type SessionOptions } from './session';

// ---- configuration -------------------------------------------------------------------------------------------

export type OptimizerConfig =
  /** SGD with (heavy-ball, PyTorch convention) momentum: v ← μv + g; p ← p − lr·v (Nesterov: p ← p − lr·(g + μv)). */
  | { readonly kind: 'sgd'; readonly lr: number; readonly momentum?: number; readonly nesterov?: boolean; readonly weightDecay?: number }
  /** Adam (Kingma & Ba 2015) with bias correction. */
  | { readonly kind: 'adam'; readonly lr: number; readonly beta1?: number; readonly beta2?: number; readonly eps?: number; readonly weightDecay?: number };

export type Schedule =
  | { readonly kind: 'constant' }
  /** Step decay: lr·gamma^⌊epoch / everyEpochs⌋. */
  | { readonly kind: 'step'; readonly everyEpochs: number; readonly gamma: number };

export interface TrainConfig {
  readonly batchSize: number;
  readonly epochs: number;
  /** Seeds the parameter initialisation and the shuffling. */
  readonly seed: number;
  readonly optimizer: OptimizerConfig;
  readonly schedule?: Schedule;
  /** SDNet: λ fed during training (default: the model's options.lambda). */
  readonly lambda?: number;
}

export interface TrainingState {
  readonly model: UnrolledModel;
  readonly config: TrainConfig;
  readonly datasetSize: number;
  params: Parameters;
  /** Per trainable parameter: [velocity] (SGD) or [m, v] (Adam). */
  moments: Record<string, Float32Array[]>;
  /** Optimiser steps taken so far. */
  step: number;
  /** Current epoch (0-based); equals config.epochs once training is complete. */
  epoch: number;
  /** Batches of the current epoch already taken. */
  batchInEpoch: number;
  /** The current epoch's order of the examples. */
  order: Uint32Array;
  /** State of the shuffling generator after drawing `order`. */
  rngState: number;
}

export interface StepStats {
  readonly step: number;
  readonly epoch: number;
  readonly batch: number;
  readonly loss: number;
  /** Accuracy on this batch, from the logits of the same forward pass. */
  readonly accuracy: number;
  readonly lr: number;
  /** Wall-clock seconds of the whole step (batch assembly, graph, update). */
  readonly seconds: number;
  readonly imagesPerSecond: number;
}

export interface EvalResult {
  readonly accuracy: number;
  /** Mean cross-entropy. */
  readonly loss: number;
  /** confusion[true][predicted]. */
  readonly confusion: number[][];
  readonly count: number;
  readonly seconds: number;
}

export interface EpochStats {
  readonly epoch: number;
  readonly meanLoss: number;
  readonly trainAccuracy: number;
  readonly seconds: number;
  readonly evaluation?: EvalResult;
}

export interface TrainOptions extends SessionOptions {
  readonly onStep?: (s: StepStats) => void;
  readonly onEpoch?: (s: EpochStats) => void;
  /** Checked between steps; an aborted run returns its state, ready to resume. */
  readonly signal?: AbortSignal;
  /** Stop after this many optimiser steps in total (state.step), e.g. for a time budget. */
  readonly maxSteps?: number;
  /** Evaluated at the end of every epoch. */
  readonly evaluation?: { readonly data: Dataset; readonly batchSize?: number; readonly lambda?: number };
}

export type StopReason = 'completed' | 'aborted' | 'max-steps';

export interface TrainResult {
  readonly state: TrainingState;
  readonly reason: StopReason;
  /** The steps taken by this call. */
  readonly steps: readonly StepStats[];
}

// ---- seeded generator with an exposed state -------------------------------------------------------------------

/** mulberry32 (as src-shared/math/random.ts) with its 32-bit state readable and restorable. */
export class SeededRandom {
  state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

function shuffled(n: number, rng: SeededRandom): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

// ---- state -------------------------------------------------------------------------------------------------------

function validateConfig(c: TrainConfig, datasetSize: number): void {
  if (!Number.isInteger(c.batchSize) || c.batchSize < 1) throw new Error(`training: batchSize must be a positive integer, got ${c.batchSize}`);
  if (!Number.isInteger(c.epochs) || c.epochs < 0) throw new Error(`training: epochs must be a non-negative integer, got ${c.epochs}`);
  if (datasetSize < c.batchSize) throw new Error(`training: ${datasetSize} examples cannot fill one batch of ${c.batchSize}`);
  if (!(c.optimizer.lr > 0)) throw new Error(`training: the learning rate must be positive, got ${c.optimizer.lr}`);
  if (c.schedule?.kind === 'step' && (!(c.schedule.everyEpochs >= 1) || !(c.schedule.gamma > 0))) throw new Error('training: step decay needs everyEpochs ≥ 1 and gamma > 0');
}

/** A fresh state: parameters initialised from `config.seed` (or given), zero moments, epoch 0 shuffled. */
export function createTrainingState(model: UnrolledModel, config: TrainConfig, datasetSize: number, params?: Parameters): TrainingState {
  validateConfig(config, datasetSize);
  const p = params ? cloneParameters(params) : initParameters(model, config.seed);
  const moments: Record<string, Float32Array[]> = {};
  for (const s of parameterSpecs(model)) {
    if (!p[s.name] || p[s.name]!.length !== s.shape.reduce((a, b) => a * b, 1)) throw new Error(`training: parameter ${s.name} must have shape [${s.shape.join(', ')}]`);
    if (!s.trainable) continue;
    const n = p[s.name]!.length;
    moments[s.name] = config.optimizer.kind === 'adam' ? [new Float32Array(n), new Float32Array(n)] : [new Float32Array(n)];
  }
  // The shuffle stream is seeded apart from the initialisation stream.
  const rng = new SeededRandom((config.seed ^ 0x2545f491) >>> 0);
  const order = shuffled(datasetSize, rng);
  return { model, config, datasetSize, params: p, moments, step: 0, epoch: 0, batchInEpoch: 0, order, rngState: rng.state };
}

export function cloneTrainingState(s: TrainingState): TrainingState {
  return {
    ...s,
    params: cloneParameters(s.params),
    moments: Object.fromEntries(Object.entries(s.moments).map(([k, v]) => [k, v.map((a) => Float32Array.from(a))])),
    order: Uint32Array.from(s.order),
  };
}

export function learningRate(config: TrainConfig, epoch: number): number {
  const s = config.schedule ?? { kind: 'constant' };
  return s.kind === 'step' ? config.optimizer.lr * Math.pow(s.gamma, Math.floor(epoch / s.everyEpochs)) : config.optimizer.lr;
}

function applyUpdate(state: TrainingState, name: string, grad: Float32Array, lr: number): void {
  const p = state.params[name]!;
  const o = state.config.optimizer;
  const [m1, m2] = state.moments[name]!;
  const wd = o.weightDecay ?? 0;
  if (o.kind === 'sgd') {
    const mu = o.momentum ?? 0.9;
    for (let i = 0; i < p.length; i++) {
      const g = grad[i]! + wd * p[i]!;
      const v = mu * m1![i]! + g;
      m1![i] = v;
      p[i] = p[i]! - lr * (o.nesterov ? g + mu * v : v);
    }
    return;
  }
  const b1 = o.beta1 ?? 0.9;
  const b2 = o.beta2 ?? 0.999;
  const eps = o.eps ?? 1e-8;
  const t = state.step + 1;
  const c1 = 1 - Math.pow(b1, t);
  const c2 = 1 - Math.pow(b2, t);
  for (let i = 0; i < p.length; i++) {
    const g = grad[i]! + wd * p[i]!;
    const m = b1 * m1![i]! + (1 - b1) * g;
    const v = b2 * m2![i]! + (1 - b2) * g * g;
    m1![i] = m;
    m2![i] = v;
    p[i] = p[i]! - (lr * (m / c1)) / (Math.sqrt(v / c2) + eps);
  }
}

// ---- feeds ---------------------------------------------------------------------------------------------------

function parameterFeeds(model: UnrolledModel, params: Parameters): Record<string, HostTensor> {
  const feeds: Record<string, HostTensor> = {};
  for (const s of parameterSpecs(model)) feeds[s.name] = hostTensor(s.shape, params[s.name]!);
  return feeds;
}

function checkData(model: UnrolledModel, data: Dataset): void {
  const i = model.input;
  if (data.channels !== i.channels || data.height !== i.height || data.width !== i.width) {
    throw new Error(`the data are ${data.channels}×${data.height}×${data.width} images but the model expects ${i.channels}×${i.height}×${i.width}`);
  }
  for (let t = 0; t < data.count; t++) if (data.labels[t]! >= model.classes) throw new Error(`label ${data.labels[t]} at index ${t} is out of range for ${model.classes} classes`);
}

function gather(data: Dataset, indices: ArrayLike<number>, classes: number): { images: Float32Array; oneHot: Float32Array; labels: Uint8Array } {
  const per = data.channels * data.height * data.width;
  const n = indices.length;
  const images = new Float32Array(n * per);
  const oneHot = new Float32Array(n * classes);
  const labels = new Uint8Array(n);
  for (let b = 0; b < n; b++) {
    const k = indices[b]!;
    images.set(data.images.subarray(k * per, (k + 1) * per), b * per);
    labels[b] = data.labels[k]!;
    oneHot[b * classes + labels[b]!] = 1;
  }
  return { images, oneHot, labels };
}

function argmax(logits: Float32Array, row: number, classes: number): number {
  let best = 0;
  for (let c = 1; c < classes; c++) if (logits[row * classes + c]! > logits[row * classes + best]!) best = c;
  return best;
}

// ---- training ------------------------------------------------------------------------------------------------

/**
 * Runs optimiser steps from `state` (mutated in place and returned) until `config.epochs` are done, the
 * signal aborts, or `maxSteps` is reached.
 */
export async function train(state: TrainingState, data: Dataset, o: TrainOptions = {}): Promise<TrainResult> {
  const { model, config } = state;
  validateConfig(config, data.count);
  checkData(model, data);
  if (data.count !== state.datasetSize) throw new Error(`training: the state was created for ${state.datasetSize} examples but the data have ${data.count}`);
  const B = config.batchSize;
  const batchesPerEpoch = Math.floor(data.count / B);
  const steps: StepStats[] = [];
  const finished = () => state.epoch >= config.epochs;
  if (finished()) return { state, reason: 'completed', steps };
  if (o.signal?.aborted) return { state, reason: 'aborted', steps };
  if (o.maxSteps !== undefined && state.step >= o.maxSteps) return { state, reason: 'max-steps', steps };

  const { graph, trainable } = buildTrainingGraph(model, B);
  const session = await CompiledGraph.create(graph, o);
  const imageShape = [B, model.input.channels, model.input.height, model.input.width];
  const lambda = hostTensor([], Float32Array.of(config.lambda ?? model.options.lambda));
  let epochLoss = 0;
  let epochCorrect = 0;
  let epochSeen = 0;
  let epochStarted = performance.now();
  let reason: StopReason = 'completed';
  try {
    while (!finished()) {
      if (o.signal?.aborted) {
        reason = 'aborted';
        break;
      }
      if (o.maxSteps !== undefined && state.step >= o.maxSteps) {
        reason = 'max-steps';
        break;
      }
      const started = performance.now();
      const lr = learningRate(config, state.epoch);
      const indices = state.order.subarray(state.batchInEpoch * B, (state.batchInEpoch + 1) * B);
      const batch = gather(data, indices, model.classes);
      const feeds: Record<string, HostTensor> = {
        ...parameterFeeds(model, state.params),
        [IMAGES]: hostTensor(imageShape, batch.images),
        [LABELS]: hostTensor([B, model.classes], batch.oneHot),
      };
      if (model.options.variant === 'sdnet') feeds[LAMBDA] = lambda;
      const out = await session.run(feeds);
      const loss = (out[LOSS]!.data as Float32Array)[0]!;
      if (!Number.isFinite(loss)) throw new Error(`training diverged at step ${state.step + 1} (epoch ${state.epoch + 1}): the loss is ${loss}; lower the learning rate or the steps c_i`);
      const logits = out[LOGITS]!.data as Float32Array;
      let correct = 0;
      for (let b = 0; b < B; b++) if (argmax(logits, b, model.classes) === batch.labels[b]) correct++;
      for (const name of trainable) applyUpdate(state, name, out[gradName(name)]!.data as Float32Array, lr);
      state.step++;
      state.batchInEpoch++;
      const batchIndex = state.batchInEpoch - 1;
      const epochOfStep = state.epoch;
      epochLoss += loss;
      epochCorrect += correct;
      epochSeen += B;
      if (state.batchInEpoch >= batchesPerEpoch) {
        const rng = new SeededRandom(0);
        rng.state = state.rngState;
        state.order = shuffled(data.count, rng);
        state.rngState = rng.state;
        state.batchInEpoch = 0;
        state.epoch++;
      }
      const seconds = (performance.now() - started) / 1000;
      const stats: StepStats = { step: state.step, epoch: epochOfStep, batch: batchIndex, loss, accuracy: correct / B, lr, seconds, imagesPerSecond: B / seconds };
      steps.push(stats);
      o.onStep?.(stats);
      if (state.batchInEpoch === 0) {
        const evaluation = o.evaluation ? await evaluate(model, state.params, o.evaluation.data, { batchSize: o.evaluation.batchSize ?? B, lambda: o.evaluation.lambda ?? config.lambda, intraOpThreads: o.intraOpThreads }) : undefined;
        const epochStats: EpochStats = {
          epoch: epochOfStep,
          meanLoss: epochLoss / Math.max(1, epochSeen / B),
          trainAccuracy: epochCorrect / Math.max(1, epochSeen),
          seconds: (performance.now() - epochStarted) / 1000,
          ...(evaluation ? { evaluation } : {}),
        };
        o.onEpoch?.(epochStats);
        epochLoss = 0;
        epochCorrect = 0;
        epochSeen = 0;
        epochStarted = performance.now();
      }
    }
  } finally {
    await session.release();
  }
  return { state, reason, steps };
}

// ---- evaluation --------------------------------------------------------------------------------------------------

export interface EvaluateOptions extends SessionOptions {
  readonly batchSize?: number;
  /** SDNet: the λ to evaluate with (default: the model's options.lambda). */
  readonly lambda?: number;
  readonly signal?: AbortSignal;
}

/** Accuracy, mean cross-entropy and the 10×10 (classes×classes) confusion matrix over a whole dataset. */
export async function evaluate(model: UnrolledModel, params: Parameters, data: Dataset, o: EvaluateOptions = {}): Promise<EvalResult> {
  checkData(model, data);
  const started = performance.now();
  const B = Math.min(o.batchSize ?? 256, data.count);
  const C = model.classes;
  const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  const pfeeds = parameterFeeds(model, params);
  if (model.options.variant === 'sdnet') pfeeds[LAMBDA] = hostTensor([], Float32Array.of(o.lambda ?? model.options.lambda));
  const sessions = new Map<number, CompiledGraph>();
  let lossSum = 0;
  let correct = 0;
  try {
    for (let start = 0; start < data.count; start += B) {
      if (o.signal?.aborted) throw new Error('evaluation cancelled');
      const n = Math.min(B, data.count - start);
      let session = sessions.get(n);
      if (!session) sessions.set(n, (session = await CompiledGraph.create(buildForwardGraph(model, n), o)));
      const indices = Array.from({ length: n }, (_, i) => start + i);
      const batch = gather(data, indices, C);
      const out = await session.run({ ...pfeeds, [IMAGES]: hostTensor([n, model.input.channels, model.input.height, model.input.width], batch.images) });
      const logits = out[LOGITS]!.data as Float32Array;
      for (let b = 0; b < n; b++) {
        const label = batch.labels[b]!;
        const pred = argmax(logits, b, C);
        confusion[label]![pred]!++;
        if (pred === label) correct++;
        // −log softmax(logits)[label], stabilised by the row maximum.
        let max = -Infinity;
        for (let c = 0; c < C; c++) max = Math.max(max, logits[b * C + c]!);
        let sum = 0;
        for (let c = 0; c < C; c++) sum += Math.exp(logits[b * C + c]! - max);
        lossSum += Math.log(sum) + max - logits[b * C + label]!;
      }
    }
  } finally {
    for (const s of sessions.values()) await s.release();
  }
  return { accuracy: correct / data.count, loss: lossSum / data.count, confusion, count: data.count, seconds: (performance.now() - started) / 1000 };
}

// The byte format lives in training-state.ts (free of ONNX Runtime, so the host can read checkpoints).
export { deserializeTrainingState, serializeTrainingState } from './training-state';
