/**
 * Supervised unrolled ML-CSC networks (Sulam, Aberdam, Beck, Elad, TPAMI 2019) as workbench sessions on
 * MNIST. One session iteration is `stepsPerIteration` optimiser steps followed by an evaluation on the test
 * images (accuracy and confusion matrix), so the graphs are compiled once per iteration, not per step.
 */
import type { NdArray } from '../../io';
import type { LearningContext, LearningMethodImpl, SavedState } from '../../jobs/learning-job';
import { loadMnist as loadLearnMnist } from '../../jobs/learn-data';
import { effectiveAtoms } from '../../ops/effective-atoms';
import { hostTensor, type HostTensor } from '../../runtime/session';
import {
  createTrainingState,
  defineModel,
  deserializeTrainingState,
  evaluate,
  loadMnist,
  mnistPaperModel,
  normalizeMeanStd,
  serializeTrainingState,
  train,
  type Dataset,
  type EvalResult,
  type TrainingState,
  type Unrolling,
  type UnrolledModel,
  type Variant,
} from '../unrolled';
import { checkParams } from '../specs';

export interface UnrolledSession {
  readonly params: Record<string, unknown>;
  readonly train: Dataset;
  readonly test: Dataset;
  state: TrainingState;
  lastEvaluation?: EvalResult;
}

const SMALL_LAYERS = [
  { filters: 16, kernel: 6, stride: 2 },
  { filters: 32, kernel: 6, stride: 2 },
  { filters: 64, kernel: 4, stride: 1 },
];

export function modelFromParams(params: Record<string, unknown>): UnrolledModel {
  const unrolling = params.unrolling as Unrolling;
  const variant = params.variant as Variant;
  const T = unrolling === 'cnn' ? 0 : (params.T as number);
  if (params.preset === 'mnist-paper') return mnistPaperModel(unrolling, { T, options: { variant } });
  return defineModel({
    name: `mnist-small-${unrolling}`,
    input: { channels: 1, height: 28, width: 28 },
    layers: SMALL_LAYERS,
    unrolling,
    T,
    classes: 10,
    options: { learnedSteps: true, learnedThresholds: true, init: 'paper', variant },
  });
}

async function datasets(ctx: LearningContext, params: Record<string, unknown>): Promise<{ train: Dataset; test: Dataset }> {
  if (ctx.config.data.kind !== 'mnist') throw new Error('unrolled-supervised trains on MNIST: choose the MNIST data source');
  // The images come from the session's data; labels too. The authors normalise by MNIST's mean and std.
  const d = await loadLearnMnist(ctx.config.data.split, ctx.config.data.count);
  const raw: Dataset = { images: d.images.data as Float32Array, labels: Uint8Array.from(d.labels!), count: d.images.shape[0]!, channels: 1, height: 28, width: 28 };
  const test = await loadMnist({ split: 'test', limit: params.testCount as number, normalize: 'mean-std' });
  return { train: normalizeMeanStd(raw), test };
}

function trainingState(ctx: LearningContext, params: Record<string, unknown>, count: number): TrainingState {
  const model = modelFromParams(params);
  const batchSize = params.batchSize as number;
  const steps = ctx.config.iterations * (params.stepsPerIteration as number);
  const epochs = Math.max(1, Math.ceil((steps * batchSize) / count));
  const lr = params.learningRate as number;
  return createTrainingState(model, { batchSize, epochs, seed: ctx.config.seed, optimizer: params.optimizer === 'adam' ? { kind: 'adam', lr } : { kind: 'sgd', lr, momentum: 0.9 } }, count);
}

export const UNROLLED_METHOD: LearningMethodImpl<UnrolledSession> = {
  async init(ctx) {
    const params = checkParams('unrolled-supervised', ctx.config.params);
    const { train: trainSet, test } = await datasets(ctx, params);
    if (trainSet.count < (params.batchSize as number)) throw new Error(`unrolled-supervised: ${trainSet.count} training images are fewer than one batch of ${params.batchSize}`);
    return { params, train: trainSet, test, state: trainingState(ctx, params, trainSet.count) };
  },
  async step(ctx, s) {
    const target = s.state.step + (s.params.stepsPerIteration as number);
    const result = await train(s.state, s.train, { maxSteps: target, runtime: ctx.runtime });
    s.state = result.state;
    const steps = result.steps;
    const mean = (f: (x: (typeof steps)[number]) => number) => steps.reduce((a, x) => a + f(x), 0) / Math.max(1, steps.length);
    s.lastEvaluation = await evaluate(s.state.model, s.state.params, s.test, { runtime: ctx.runtime });
    return {
      state: s,
      report: {
        objective: mean((x) => x.loss),
        values: {
          trainAccuracy: mean((x) => x.accuracy),
          testAccuracy: s.lastEvaluation.accuracy,
          testLoss: s.lastEvaluation.loss,
          imagesPerSecond: mean((x) => x.imagesPerSecond),
          step: s.state.step,
        },
      },
    };
  },
  save(s): SavedState {
    const bytes = serializeTrainingState(s.state);
    const state: NdArray = { dtype: 'uint8', shape: [bytes.length], data: bytes };
    return { json: { model: s.state.model.name }, tensors: { training_state: state } };
  },
  async restore(ctx, saved) {
    const params = checkParams('unrolled-supervised', ctx.config.params);
    const { train: trainSet, test } = await datasets(ctx, params);
    const bytes = saved.tensors.training_state;
    if (!bytes || bytes.dtype !== 'uint8') throw new Error('the checkpoint has no training_state array');
    return { params, train: trainSet, test, state: deserializeTrainingState(bytes.data as Uint8Array) };
  },
  async preview(ctx, s) {
    const model = s.state.model;
    const layers = model.layers.map((l, i) => {
      const w = s.state.params[`W${i + 1}`]!;
      const cin = i === 0 ? model.input.channels : model.layers[i - 1]!.filters;
      return { weights: hostTensor([l.filters, cin, l.kernel, l.kernel], w), stride: l.stride };
    });
    const atoms: { layer: number; images: HostTensor }[] = [];
    // Effective atoms need plain convolutional layers (MSD-CSC's dense dictionaries are not).
    if (model.options.variant !== 'msd-csc') for (let i = 1; i <= layers.length; i++) atoms.push({ layer: i, images: await effectiveAtoms(ctx.runtime, layers, i) });
    return { atoms, input: hostTensor([28, 28], s.test.images.slice(0, 28 * 28)) };
  },
  async results(_ctx, s) {
    const out: Record<string, HostTensor> = {};
    s.state.model.layers.forEach((l, i) => {
      const w = s.state.params[`W${i + 1}`];
      const cin = i === 0 ? s.state.model.input.channels : s.state.model.layers[i - 1]!.filters;
      if (w && w.length === l.filters * cin * l.kernel * l.kernel) out[`W${i + 1}`] = hostTensor([l.filters, cin, l.kernel, l.kernel], w);
    });
    if (s.lastEvaluation) out.confusion = hostTensor([10, 10], Float32Array.from(s.lastEvaluation.confusion.flat()));
    return out;
  },
};
