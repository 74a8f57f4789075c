/**
 * The training loop on a tiny unrolled network and synthetic data: a run stopped between steps and resumed
 * (in memory or through the serialised state) ends with exactly the parameters of an uninterrupted run;
 * the optimisers' first steps are what their definitions say; the schedule, the stats and the evaluation.
 */
import { describe, expect, it } from 'vitest';
import { hostTensor } from '../../runtime/session';
import { mulberry32 } from '../../../../src-shared/math/random';
import { buildTrainingGraph, gradName, IMAGES, LABELS } from './graph';
import { defineModel, parameterSpecs, type UnrolledModel } from './model';
import type { Dataset } from './mnist';
import { CompiledGraph } from './session';
import {
  cloneTrainingState,
  createTrainingState,
  deserializeTrainingState,
  evaluate,
  learningRate,
  serializeTrainingState,
  train,
  type StepStats,
  type TrainConfig,
  type TrainingState,
} from './train';

const model: UnrolledModel = defineModel({
  input: { channels: 1, height: 10, width: 10 },
  layers: [
    { filters: 4, kernel: 3, stride: 1 },
    { filters: 6, kernel: 3, stride: 2 },
  ],
  unrolling: 'ml-fista',
  T: 3,
  classes: 4,
  options: { init: 'he' },
});

/** 40 noisy images of 4 classes (a bright quadrant per class), so the task is learnable. */
function syntheticData(count: number, seed: number): Dataset {
  const rand = mulberry32(seed);
  const images = new Float32Array(count * 100);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    const label = n % 4;
    labels[n] = label;
    for (let r = 0; r < 10; r++)
      for (let c = 0; c < 10; c++) {
        const inQuadrant = (r < 5 ? 0 : 2) + (c < 5 ? 0 : 1) === label;
        images[n * 100 + r * 10 + c] = (inQuadrant ? 0.8 : 0.1) + 0.2 * rand();
      }
  }
  return { images, labels, count, channels: 1, height: 10, width: 10 };
}

const data = syntheticData(40, 1);
const sameParams = (a: TrainingState, b: TrainingState) => {
  for (const s of parameterSpecs(model)) {
    const x = a.params[s.name]!;
    const y = b.params[s.name]!;
    expect(x.every((v, i) => v === y[i]), s.name).toBe(true);
  }
};

describe('unrolled training', () => {
  for (const optimizer of [
    { kind: 'adam', lr: 0.01 },
    { kind: 'sgd', lr: 0.05, momentum: 0.9, nesterov: true },
  ] as const) {
    it(`${optimizer.kind}: stopped and resumed (through the serialised state) equals uninterrupted, bit for bit`, async () => {
      // 40 examples, batch 8: 5 steps per epoch, 3 epochs, the learning rate halved every epoch.
      const config: TrainConfig = { batchSize: 8, epochs: 3, seed: 42, optimizer, schedule: { kind: 'step', everyEpochs: 1, gamma: 0.5 } };
      const whole = createTrainingState(model, config, data.count);
      const full = await train(whole, data, { intraOpThreads: 1 });
      expect(full.reason).toBe('completed');
      expect(full.steps).toHaveLength(15);
      expect(whole.step).toBe(15);

      // Stop mid-epoch (after step 7) with the signal, serialise, resume from the bytes; then stop again at an
      // epoch boundary with maxSteps (step 10) and resume the in-memory state.
      const controller = new AbortController();
      const first = await train(createTrainingState(model, config, data.count), data, {
        intraOpThreads: 1,
        signal: controller.signal,
        onStep: (s) => s.step === 7 && controller.abort(),
      });
      expect(first.reason).toBe('aborted');
      expect(first.state.step).toBe(7);
      expect([first.state.epoch, first.state.batchInEpoch]).toEqual([1, 2]);
      const bytes = serializeTrainingState(first.state);
      const restored = deserializeTrainingState(bytes);
      expect(serializeTrainingState(restored)).toEqual(bytes);
      const second = await train(restored, data, { intraOpThreads: 1, maxSteps: 10 });
      expect(second.reason).toBe('max-steps');
      expect([second.state.step, second.state.epoch, second.state.batchInEpoch]).toEqual([10, 2, 0]);
      const third = await train(cloneTrainingState(second.state), data, { intraOpThreads: 1 });
      expect(third.reason).toBe('completed');
      sameParams(third.state, whole);
      for (const [name, list] of Object.entries(whole.moments)) list.forEach((m, k) => expect(third.state.moments[name]![k]!.every((v, i) => v === m[i]), `${name} moment ${k}`).toBe(true));
      // The per-step losses of the pieces are those of the whole run.
      const pieces = [...first.steps, ...second.steps, ...third.steps].map((s) => s.loss);
      expect(pieces).toEqual(full.steps.map((s) => s.loss));
      // …and it learned something.
      expect(full.steps.slice(-5).reduce((a, s) => a + s.loss, 0)).toBeLessThan(full.steps.slice(0, 5).reduce((a, s) => a + s.loss, 0));
    });
  }

  it("the first step is the optimiser's definition: SGD −lr·∇L, Adam −lr·sign(∇L)", async () => {
    const { graph, trainable } = buildTrainingGraph(model, 8);
    for (const optimizer of [
      { kind: 'sgd', lr: 0.1, momentum: 0.9 },
      { kind: 'adam', lr: 0.001 },
    ] as const) {
      const state = createTrainingState(model, { batchSize: 8, epochs: 1, seed: 3, optimizer }, data.count);
      const before = cloneTrainingState(state);
      // The gradient on the first batch, from the training graph directly.
      const per = 100;
      const images = new Float32Array(8 * per);
      const oneHot = new Float32Array(8 * 4);
      state.order.subarray(0, 8).forEach((k, b) => {
        images.set(data.images.subarray(k * per, (k + 1) * per), b * per);
        oneHot[b * 4 + data.labels[k]!] = 1;
      });
      const feeds = Object.fromEntries(parameterSpecs(model).map((s) => [s.name, hostTensor(s.shape, before.params[s.name]!)]));
      const session = await CompiledGraph.create(graph, { intraOpThreads: 1 });
      const out = await session.run({ ...feeds, [IMAGES]: hostTensor([8, 1, 10, 10], images), [LABELS]: hostTensor([8, 4], oneHot) });
      await session.release();
      await train(state, data, { intraOpThreads: 1, maxSteps: 1 });
      for (const name of trainable) {
        const g = out[gradName(name)]!.data as Float32Array;
        const p0 = before.params[name]!;
        const p1 = state.params[name]!;
        for (let i = 0; i < g.length; i++) {
          const expected = optimizer.kind === 'sgd' ? -optimizer.lr * g[i]! : g[i] === 0 ? 0 : -optimizer.lr * Math.sign(g[i]!) * (Math.abs(g[i]!) / (Math.abs(g[i]!) + 1e-8));
          expect(Math.abs(p1[i]! - p0[i]! - expected), `${optimizer.kind} ${name}[${i}]`).toBeLessThan(1e-6 * Math.max(1, Math.abs(p0[i]!)) + 1e-9);
        }
      }
    }
  });

  it('step decay, per-step stats, evaluation with a confusion matrix, and refusals', async () => {
    const config: TrainConfig = { batchSize: 16, epochs: 4, seed: 1, optimizer: { kind: 'adam', lr: 0.02 }, schedule: { kind: 'step', everyEpochs: 2, gamma: 0.1 } };
    expect([0, 1, 2, 3, 4].map((e) => learningRate(config, e))).toEqual([0.02, 0.02, 0.02 * 0.1, 0.02 * 0.1, 0.02 * 0.1 * 0.1].map((v) => expect.closeTo(v, 12)));
    const stats: StepStats[] = [];
    const epochs: number[] = [];
    const state = createTrainingState(model, config, data.count);
    // 40 examples, batch 16: the partial last batch is dropped, 2 steps per epoch.
    const r = await train(state, data, { intraOpThreads: 1, onStep: (s) => stats.push(s), onEpoch: (e) => epochs.push(e.evaluation!.accuracy), evaluation: { data, batchSize: 16 } });
    expect(r.steps).toHaveLength(8);
    expect(stats.map((s) => [s.step, s.epoch, s.batch])).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((k) => [k, Math.floor((k - 1) / 2), (k - 1) % 2]));
    expect(stats.map((s) => s.lr)).toEqual([0.02, 0.02, 0.02, 0.02, 0.002, 0.002, 0.002, 0.002].map((v) => expect.closeTo(v, 12)));
    for (const s of stats) {
      expect(s.seconds).toBeGreaterThan(0);
      expect(s.imagesPerSecond).toBeCloseTo(16 / s.seconds, 6);
      expect(s.accuracy * 16).toBeCloseTo(Math.round(s.accuracy * 16), 9);
    }
    expect(epochs).toHaveLength(4);
    // 40 examples with batch 16: two graph sizes (16 and the remainder 8).
    const ev = await evaluate(model, state.params, data, { batchSize: 16, intraOpThreads: 1 });
    expect(ev.count).toBe(40);
    expect(ev.confusion.flat().reduce((a, b) => a + b, 0)).toBe(40);
    expect(ev.confusion.map((row) => row.reduce((a, b) => a + b, 0))).toEqual([10, 10, 10, 10]);
    expect(ev.confusion.reduce((a, row, i) => a + row[i]!, 0) / 40).toBe(ev.accuracy);
    expect(ev.accuracy).toBe(epochs[3]);
    expect(ev.loss).toBeGreaterThan(0);

    expect(() => createTrainingState(model, { ...config, batchSize: 64 }, data.count)).toThrow(/cannot fill one batch/);
    await expect(train(createTrainingState(model, config, 32), data)).rejects.toThrow(/created for 32 examples/);
    const aborted = new AbortController();
    aborted.abort();
    const none = await train(createTrainingState(model, config, data.count), data, { signal: aborted.signal });
    expect([none.reason, none.steps.length]).toEqual(['aborted', 0]);
    expect(() => deserializeTrainingState(new Uint8Array(20))).toThrow(/not a training state/);
  });
});
