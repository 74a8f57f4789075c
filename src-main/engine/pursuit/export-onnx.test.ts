/**
 * An exported pursuit, loaded from its bytes by a fresh onnxruntime-node session (no engine code in the way),
 * gives the codes the engine's own pursuit gives on the same signal — every algorithm, with the step sizes the
 * pursuit computes itself — and the ML-CSC learner's projection pursuit; it carries the dictionaries bit for bit
 * and says what it computes in metadata_props.
 */
import ort from 'onnxruntime-node';
import protobuf from 'protobufjs';
import { afterAll, describe, expect, it } from 'vitest';
import { ONNX_SUBSET_PROTO } from '../graph/onnx-schema';
import { mlcscProjectionPursuit } from '../learn/mlcsc/mlcsc-unsupervised';
import { randomDictionary, synthesis } from '../ops/dictionary';
import { GraphBuilder } from '../graph/builder';
import { Runtime, type HostTensor } from '../runtime/session';
import { maxAbs, maxAbsDiff, randomTensor } from '../testing/fixtures';
import { exportPursuitOnnx, MAX_EXPORT_ITERATIONS, PURSUIT_METADATA_KEYS, type PursuitExportSpec } from './export-onnx';
import { runPursuit, type Algorithm, type PursuitProblem, type ThresholdKind } from './index';

const runtime = new Runtime({ providers: ['cpu'], intraOpThreads: 1 });
afterAll(() => runtime.dispose());

const ModelProto = protobuf.parse(ONNX_SUBSET_PROTO, { keepCase: true }).root.lookupType('onnx.ModelProto');
interface DecodedModel {
  metadata_props: { key: string; value: string }[];
  graph: { input: { name: string }[]; output: { name: string }[]; initializer: { name: string; raw_data: Uint8Array; dims: number[] }[] };
}
const decode = (bytes: Uint8Array) => ModelProto.toObject(ModelProto.decode(bytes), { longs: Number }) as DecodedModel;

async function runModel(bytes: Uint8Array, signal: HostTensor): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  try {
    const out = await session.run({ signal: new ort.Tensor('float32', signal.data as Float32Array, [...signal.shape]) });
    return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.data as Float32Array]));
  } finally {
    await session.release();
  }
}

/** max |a − b| relative to max |b| (b the reference), so the bound reads the same at any scale. */
function relDiff(a: Float32Array, b: ArrayLike<number>): number {
  return maxAbsDiff(a, b) / Math.max(maxAbs(b), 1e-30);
}

async function reconstruction(problem: PursuitProblem, gamma1: HostTensor): Promise<Float32Array> {
  const l = problem.layers[0]!;
  const g = new GraphBuilder('reconstruction');
  const gamma = g.input('gamma', 'float32', gamma1.shape);
  const w = g.input('w', 'float32', l.weights.shape);
  g.output('x', synthesis(g, gamma, w, { weightShape: l.weights.shape, stride: l.stride, pad: l.pad }, problem.signal.shape));
  return (await runtime.run(g.toIR(), { gamma: gamma1, w: l.weights })).outputs.x!.data as Float32Array;
}

const single: PursuitProblem = { signal: randomTensor([1, 1, 14, 15], 11), layers: [{ weights: randomDictionary([5, 1, 4, 4], 12), stride: 1, pad: 3 }] };
const twoLayer: PursuitProblem = {
  signal: randomTensor([1, 1, 18, 18], 13),
  layers: [
    { weights: randomDictionary([6, 1, 4, 4], 14), stride: 2, pad: 0 },
    { weights: randomDictionary([7, 6, 3, 3], 15), stride: 1, pad: 1 },
  ],
};

function specFor(problem: PursuitProblem, algorithm: Algorithm, lambdas: number[], iterations: number, o: { threshold?: ThresholdKind; restart?: boolean } = {}): PursuitExportSpec {
  return {
    runId: 'r-test',
    source: 'pursuit',
    algorithm,
    lambdas,
    iterations,
    threshold: o.threshold,
    restart: o.restart,
    layers: problem.layers.map((l) => ({ stride: l.stride, pad: l.pad })),
    signalShape: problem.signal.shape as [number, number, number, number],
  };
}

const CASES: [string, PursuitProblem, Algorithm, number[], number, { threshold?: ThresholdKind; restart?: boolean }][] = [
  ['thr', single, 'thr', [0.4], 0, {}],
  ['ista', single, 'ista', [0.2], 30, {}],
  ['fista', single, 'fista', [0.2], 40, {}],
  ['fista with adaptive restart and S⁺ (as CDL codes)', single, 'fista', [0.1], 40, { restart: true, threshold: 'soft-nonneg' }],
  ['layered thresholding', twoLayer, 'layered-thr', [0.3, 0.2], 0, {}],
  ['layered BP', twoLayer, 'layered-bp', [0.1, 0.05], 15, {}],
  ['ML-ISTA', twoLayer, 'ml-ista', [0.1, 0.05], 12, {}],
  ['ML-FISTA (hard threshold)', twoLayer, 'ml-fista', [0.1, 0.05], 25, { threshold: 'hard' }],
  ['ML-FISTA', twoLayer, 'ml-fista', [0.1, 0.05], 25, {}],
];

describe('exported pursuits', () => {
  it.each(CASES)('%s gives the codes of the engine’s pursuit', async (_name, problem, algorithm, lambdas, iterations, o) => {
    const engine = await runPursuit(runtime, problem, { algorithm, lambdas, iterations, tol: 0, ...(o.threshold ? { threshold: o.threshold } : {}), ...(o.restart ? { restart: true } : {}) });
    const exported = await exportPursuitOnnx(runtime, specFor(problem, algorithm, lambdas, iterations, o), problem.layers.map((l) => l.weights));
    const out = await runModel(exported.bytes, problem.signal);
    expect(Object.keys(out).sort()).toEqual([...problem.layers.map((_, i) => `gamma${i + 1}`), 'reconstruction'].sort());
    engine.codes.forEach((c, i) => {
      // The codes are not trivial (some non-zeros), and equal to float32 rounding.
      expect(maxAbs(c.data as Float32Array), `gamma${i + 1}`).toBeGreaterThan(0);
      expect(relDiff(out[`gamma${i + 1}`]!, c.data as Float32Array), `gamma${i + 1}`).toBeLessThan(1e-5);
    });
    expect(relDiff(out.reconstruction!, await reconstruction(problem, engine.codes[0]!))).toBeLessThan(1e-5);
    // The step sizes are the pursuit's own.
    if (engine.layers[0]?.stepSize !== undefined) expect(exported.stepSizes).toEqual(engine.layers.map((l) => l.stepSize));
  });

  it('carries the dictionaries bit for bit, and its description in metadata', async () => {
    const exported = await exportPursuitOnnx(runtime, specFor(twoLayer, 'ml-fista', [0.1, 0.05], 7), twoLayer.layers.map((l) => l.weights));
    const model = decode(exported.bytes);
    expect(model.graph.input.map((i) => i.name)).toEqual(['signal']);
    expect(model.graph.output.map((o) => o.name)).toEqual(['gamma1', 'gamma2', 'reconstruction']);
    twoLayer.layers.forEach((l, i) => {
      const init = model.graph.initializer.find((t) => t.name === `W${i + 1}`)!;
      expect(init.dims).toEqual(l.weights.shape);
      const w = l.weights.data as Float32Array;
      expect(Buffer.from(init.raw_data).equals(Buffer.from(w.buffer, w.byteOffset, w.byteLength))).toBe(true);
    });
    const meta = Object.fromEntries(model.metadata_props.map((p) => [p.key, p.value]));
    expect(meta).toMatchObject({
      [PURSUIT_METADATA_KEYS.kind]: 'pursuit',
      [PURSUIT_METADATA_KEYS.run]: 'r-test',
      [PURSUIT_METADATA_KEYS.algorithm]: 'ml-fista',
      [PURSUIT_METADATA_KEYS.lambdas]: '[0.1,0.05]',
      [PURSUIT_METADATA_KEYS.iterations]: '7',
      [PURSUIT_METADATA_KEYS.strides]: '[2,1]',
      [PURSUIT_METADATA_KEYS.pads]: '[0,1]',
      [PURSUIT_METADATA_KEYS.signalShape]: '[1,1,18,18]',
      [PURSUIT_METADATA_KEYS.threshold]: 'soft',
    });
    expect(JSON.parse(meta[PURSUIT_METADATA_KEYS.stepSizes]!)).toEqual(exported.stepSizes);
    expect(meta[PURSUIT_METADATA_KEYS.requestedIterations]).toBeUndefined();
  });

  it('caps the unrolled iterations and says so', async () => {
    const exported = await exportPursuitOnnx(runtime, specFor(single, 'ista', [0.2], MAX_EXPORT_ITERATIONS + 50), single.layers.map((l) => l.weights));
    expect(exported).toMatchObject({ iterations: MAX_EXPORT_ITERATIONS, capped: true });
    const meta = Object.fromEntries(decode(exported.bytes).metadata_props.map((p) => [p.key, p.value]));
    expect(meta[PURSUIT_METADATA_KEYS.iterations]).toBe(String(MAX_EXPORT_ITERATIONS));
    expect(meta[PURSUIT_METADATA_KEYS.requestedIterations]).toBe(String(MAX_EXPORT_ITERATIONS + 50));
    expect(meta[PURSUIT_METADATA_KEYS.note]).toMatch(/asked for 250 iterations; 200 are unrolled/);
    const engine = await runPursuit(runtime, single, { algorithm: 'ista', lambdas: [0.2], iterations: MAX_EXPORT_ITERATIONS, tol: 0 });
    expect(relDiff((await runModel(exported.bytes, single.signal)).gamma1!, engine.codes[0]!.data as Float32Array)).toBeLessThan(1e-5);
  });

  it('refuses dictionaries that do not fit the layers, naming what is wrong', async () => {
    const w = twoLayer.layers.map((l) => l.weights);
    await expect(exportPursuitOnnx(runtime, specFor(twoLayer, 'fista', [0.1, 0.1], 5), w)).rejects.toThrow(/fista is a single-layer pursuit, but the run has 2 layers/);
    await expect(exportPursuitOnnx(runtime, specFor(twoLayer, 'ml-ista', [0.1], 5), w)).rejects.toThrow(/needs 2 λ value\(s\), got 1/);
    await expect(exportPursuitOnnx(runtime, specFor(twoLayer, 'ml-ista', [0.1, 0.1], 5), [w[1]!, w[0]!])).rejects.toThrow(/dictionary 1 has 6 input channel\(s\) where layer 0 gives 1/);
  });
});

describe('the ML-CSC learner’s projection pursuit', () => {
  it('gives the codes of mlcscProjectionPursuit, with Γ(i−1) = D_iΓ_i', async () => {
    const signal = randomTensor([1, 1, 20, 20], 21);
    const weights = [randomDictionary([6, 1, 5, 5], 22), randomDictionary([8, 6, 3, 3], 23)];
    const layers = [{ stride: 2, pad: 0 }, { stride: 1, pad: 0 }];
    const reference = await mlcscProjectionPursuit(runtime, signal, weights, { layers, lambda: 0.05, iterations: 30 });
    expect(reference.restarts).toBe(0);
    const exported = await exportPursuitOnnx(runtime, { runId: 'r-ml', source: 'mlcsc-unsupervised', algorithm: 'projection-fista', lambdas: [0.05], iterations: 30, layers, signalShape: [1, 1, 20, 20] }, weights);
    expect(exported.stepSizes).toEqual([1 / (1.05 * reference.lipschitz)]);
    const out = await runModel(exported.bytes, signal);
    reference.codes.forEach((c, i) => {
      expect(maxAbs(c.data as Float32Array), `gamma${i + 1}`).toBeGreaterThan(0);
      expect(relDiff(out[`gamma${i + 1}`]!, c.data as Float32Array), `gamma${i + 1}`).toBeLessThan(1e-5);
    });
    const problem: PursuitProblem = { signal, layers: weights.map((w, i) => ({ weights: w, ...layers[i]! })) };
    expect(relDiff(out.reconstruction!, await reconstruction(problem, reference.codes[0]!))).toBeLessThan(1e-5);
  });
});
