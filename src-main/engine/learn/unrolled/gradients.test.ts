/**
 * Gradients of the unrolled networks' training graphs, checked two ways for every unrolling and variant on a
 * tiny model (12×12 images, batch 2, T = 2 or 3):
 *  1. the emitted reverse-mode gradient, evaluated in float64 by the reference interpreter on the same graph
 *     IR (promoted to float64), against float64 central differences of the loss, on random coordinates of
 *     every parameter tensor; a coordinate whose ±h perturbation moves any ReLU input across 0 (a kink) is
 *     retried with a smaller h, then resampled;
 *  2. ONNX Runtime's float32 gradients against the float64 reference, whole tensors.
 */
import { promoteToFloat64, pruneToOutput, relativeMaxError } from '../../testing/graph-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { GraphIR } from '../../graph/ir';
import { evaluateGraph, type FeedValue } from '../../reference/interpreter';
import { hostTensor, Runtime, type HostTensor } from '../../runtime/session';
import { mulberry32 } from '../../../../src-shared/math/random';
import { buildTrainingGraph, gradName, IMAGES, LABELS, LAMBDA, LOSS } from './graph';
import { defineModel, initParameters, parameterSpecs, type UnrolledModelInput } from './model';

const runtime = new Runtime({ providers: ['cpu'], intraOpThreads: 1 });
const worst = { fd: 0, ort: 0 };
afterAll(async () => {
  await runtime.dispose();
  // Opt-in summary of the observed accuracy, for reports.
  if (process.env.GRADIENT_REPORT) console.log(`unrolled gradients: worst finite-difference error ${worst.fd.toExponential(2)}, worst ONNX Runtime error ${worst.ort.toExponential(2)}`);
});

const H = 1e-5;
const COORDINATES = 6;
const BATCH = 2;




const TINY_LAYERS = [
  { filters: 4, kernel: 3, stride: 1 },
  { filters: 6, kernel: 3, stride: 2 },
];
const TINY = { input: { channels: 1, height: 12, width: 12 }, classes: 10 } as const;
const OPTIONS = { learnedSteps: true, learnedThresholds: true, init: 'he' as const };

const CASES: Record<string, UnrolledModelInput> = {
  cnn: { ...TINY, layers: TINY_LAYERS, unrolling: 'cnn', T: 0, options: OPTIONS },
  'ml-ista': { ...TINY, layers: TINY_LAYERS, unrolling: 'ml-ista', T: 2, options: OPTIONS },
  // ML-FISTA's momentum starts at its third iteration (graph.ts).
  'ml-fista': { ...TINY, layers: TINY_LAYERS, unrolling: 'ml-fista', T: 3, options: OPTIONS },
  'layered-bp': { ...TINY, layers: TINY_LAYERS, unrolling: 'layered-bp', T: 2, options: OPTIONS },
  'ml-lista': { ...TINY, layers: TINY_LAYERS, unrolling: 'ml-ista', T: 2, options: { ...OPTIONS, variant: 'ml-lista' } },
  // Γ_3 has Γ_1's shape, so layer 3's pursuit starts from Γ_1 (the residual connection).
  'res-csc': {
    ...TINY,
    layers: [
      { filters: 4, kernel: 3, stride: 1, pad: 1 },
      { filters: 6, kernel: 3, stride: 1, pad: 1 },
      { filters: 4, kernel: 3, stride: 1, pad: 1 },
    ],
    unrolling: 'layered-bp',
    T: 2,
    options: { ...OPTIONS, variant: 'res-csc' },
  },
  'msd-csc': {
    ...TINY,
    layers: [
      { filters: 3, kernel: 3, stride: 1 },
      { filters: 3, kernel: 3, stride: 1 },
    ],
    unrolling: 'ml-fista',
    T: 3,
    options: { ...OPTIONS, variant: 'msd-csc' },
  },
  sdnet: { ...TINY, layers: TINY_LAYERS, unrolling: 'cnn', T: 2, options: { ...OPTIONS, variant: 'sdnet', lambda: 0.05 } },
};

interface Setup {
  readonly ir: GraphIR;
  readonly trainable: readonly string[];
  readonly feeds: Record<string, HostTensor>;
}

function setup(name: string, input: UnrolledModelInput, seed: number): Setup {
  const model = defineModel(input);
  const { graph, trainable } = buildTrainingGraph(model, BATCH);
  const rand = mulberry32(seed);
  const params = initParameters(model, seed);
  // Move every parameter off its structured initial value (B_i = W_i, b_i = 0, …) so nothing is degenerate.
  for (const s of parameterSpecs(model)) {
    const p = params[s.name]!;
    const scale = s.role === 'bias' ? 0.05 : s.role === 'step' ? 0.1 * p[0]! : 0.3 * Math.sqrt(p.reduce((a, v) => a + v * v, 0) / p.length);
    for (let i = 0; i < p.length; i++) p[i] = Math.fround(p[i]! + scale * (2 * rand() - 1));
  }
  const feeds: Record<string, HostTensor> = {};
  for (const s of parameterSpecs(model)) feeds[s.name] = hostTensor(s.shape, params[s.name]!);
  const pixels = model.input.height * model.input.width;
  feeds[IMAGES] = hostTensor([BATCH, 1, model.input.height, model.input.width], Float32Array.from({ length: BATCH * pixels }, () => rand()));
  const oneHot = new Float32Array(BATCH * model.classes);
  for (let b = 0; b < BATCH; b++) oneHot[b * model.classes + ((b * 7 + 3) % model.classes)] = 1;
  feeds[LABELS] = hostTensor([BATCH, model.classes], oneHot);
  if (model.options.variant === 'sdnet') feeds[LAMBDA] = hostTensor([], Float32Array.of(model.options.lambda));
  expect(trainable.length, name).toBe(parameterSpecs(model).length);
  return { ir: graph, trainable, feeds };
}

const toFeed = (t: HostTensor): FeedValue => ({ shape: t.shape, data: Float64Array.from(t.data as Float32Array) });

describe('unrolled networks: gradients', () => {
  for (const [name, input] of Object.entries(CASES)) {
    it(`${name}: reverse mode matches float64 finite differences, and ONNX Runtime matches the reference`, async () => {
      const { ir, trainable, feeds } = setup(name, input, 1234 + name.length);
      const ir64 = promoteToFloat64(ir);
      const feeds64 = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, toFeed(v)]));
      const exact = evaluateGraph(ir64, feeds64);

      // (2) ONNX Runtime (float32) against the float64 reference.
      const ort = await runtime.run(ir, feeds);
      expect(relativeMaxError(ort.outputs[LOSS]!.data as Float32Array, exact[LOSS]!.data), `${name}: loss`).toBeLessThan(1e-5);
      for (const p of trainable) {
        const err = relativeMaxError(ort.outputs[gradName(p)]!.data as Float32Array, exact[gradName(p)]!.data);
        worst.ort = Math.max(worst.ort, err);
        expect(err, `${name}: ONNX Runtime gradient of ${p}`).toBeLessThan(1e-4);
      }

      // (1) analytic gradient against central differences, both in float64.
      const lossGraph = pruneToOutput(ir64, LOSS);
      const reluInputs = lossGraph.nodes.filter((n) => n.opType === 'Relu').map((n) => n.inputs[0]!);
      const at = (feedsAt: Record<string, FeedValue>) => {
        const all = evaluateGraph(lossGraph, feedsAt, { keepAll: true });
        const pattern = reluInputs.map((x) => Array.from(all[x]!.data, (v) => (v > 0 ? 1 : 0)).join('')).join('|');
        return { loss: all[LOSS]!.data[0]!, pattern };
      };
      const rand = mulberry32(99 + name.length);
      for (const p of trainable) {
        const base = feeds64[p]!.data as Float64Array;
        const analytic = exact[gradName(p)]!.data;
        const fd: number[] = [];
        const an: number[] = [];
        const wanted = Math.min(COORDINATES, base.length);
        for (let tries = 0; fd.length < wanted; tries++) {
          expect(tries, `${name}: no kink-free coordinate of ${p}`).toBeLessThan(50);
          const i = wanted === base.length ? fd.length : Math.floor(rand() * base.length);
          const shifted = (d: number) => {
            const data = Float64Array.from(base);
            data[i] = data[i]! + d;
            return at({ ...feeds64, [p]: { shape: feeds64[p]!.shape, data } });
          };
          // A ReLU input crossing 0 within ±h is a kink: a smaller h first (a scalar such as c_i has no
          // other coordinate), then another coordinate.
          for (let h = H * Math.max(1, Math.abs(base[i]!)), k = 0; k < 4; k++, h /= 8) {
            const plus = shifted(h);
            const minus = shifted(-h);
            if (plus.pattern !== minus.pattern) continue;
            fd.push((plus.loss - minus.loss) / (2 * h));
            an.push(analytic[i]!);
            break;
          }
        }
        worst.fd = Math.max(worst.fd, relativeMaxError(an, fd));
        expect(relativeMaxError(an, fd), `${name}: gradient of ${p} vs finite differences (fd ${fd.map((v) => v.toExponential(3)).join(', ')}; analytic ${an.map((v) => v.toExponential(3)).join(', ')})`).toBeLessThan(1e-5);
      }
    });
  }
});
