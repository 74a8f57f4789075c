/**
 * The unsupervised ML-CSC learner (TSP 2018 online algorithm), on tiny deterministic problems:
 *  - the dictionary-step graph's ∂/∂W_i against float64 central differences of the same graph IR, evaluated by
 *    the reference interpreter, and ONNX Runtime's float32 gradient against that float64 reference;
 *  - the block power-iteration graph against the gradient graph (A_iᵀA_iV_i is ∂data/∂W_i at y = 0, W_i = V_i);
 *  - the chained FISTA (projection pursuit) against the KKT conditions of BP on the effective dictionary;
 *  - learning on signals from a known 2-layer ML-CSC model (theory/synthetic): the loss falls, every accepted
 *    dictionary step lowers the mini-batch objective, D_1 stays unit-norm, deeper filters stay in the unit ball;
 *  - ζ = 0 vs growing ζ: W_2 gets clearly and monotonically sparser;
 *  - stop after m steps (AbortSignal) + resume from a structured-cloned state = an uninterrupted run, bit for bit.
 */
import { CountingRandom } from '../../../../src-shared/math/random';
import { promoteToFloat64, pruneToOutput, relativeMaxError } from '../../testing/graph-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32, randn } from '../../../../src-shared/math/random';
import { GraphBuilder } from '../../graph/builder';
import { analysis, modelShapes, normalizeAtoms, randomDictionary, synthesizer, type LayerGeometry } from '../../ops/dictionary';
import type { LayerSpec } from '../../pursuit/types';
import { evaluateGraph } from '../../reference/interpreter';
import { Runtime, hostTensor, type HostTensor } from '../../runtime/session';
import { sampleMultiLayerSignal } from '../../theory/synthetic';
import {
  MlcscInputError,
  buildBlockPowerGraph,
  buildGradientGraph,
  layerGeometries,
  learnMlcscUnsupervised,
  mlcscProjectionPursuit,
  proximalFilterStep,
  zeroFraction,
  type MlcscLayerConfig,
  type MlcscOptions,
  type MlcscState,
  type MlcscStepStats,
} from './mlcsc-unsupervised';

const runtime = new Runtime({ providers: ['cpu'], intraOpThreads: 1 });
afterAll(() => runtime.dispose());

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);





/** float32-representable uniform values in [−1, 1]. */
function uniformData(n: number, rand: () => number, scale = 1): Float64Array {
  return Float64Array.from({ length: n }, () => Math.fround(scale * (2 * rand() - 1)));
}

function filterNorms(w: HostTensor): number[] {
  const m = w.shape[0]!;
  const per = w.data.length / m;
  const d = w.data as Float32Array;
  return Array.from({ length: m }, (_, j) => {
    let s = 0;
    for (let t = j * per; t < (j + 1) * per; t++) s += d[t]! * d[t]!;
    return Math.sqrt(s);
  });
}

// A 3-layer geometry with a strided first layer (12×12 → 5×5 → 3×3 → 1×1), for the graph checks.
const GRAPH_LAYERS: MlcscLayerConfig[] = [
  { filters: 3, kernel: 3, stride: 2 },
  { filters: 4, kernel: 3 },
  { filters: 5, kernel: 3 },
];
const GRAPH_SIGNAL = [2, 1, 12, 12];

describe('dictionary-step graph', () => {
  it('∂/∂W_i of ½‖Y − D_1D_2D_3Γ_3‖² matches float64 finite differences of the same IR, and ONNX Runtime matches the float64 reference', async () => {
    const geos = layerGeometries(GRAPH_LAYERS, 1);
    const shapes = modelShapes(GRAPH_SIGNAL, geos);
    expect(shapes.map((s) => s.slice(1))).toEqual([
      [1, 12, 12],
      [3, 5, 5],
      [4, 3, 3],
      [5, 1, 1],
    ]);
    const ir = buildGradientGraph(GRAPH_SIGNAL, geos).toIR();
    const ir64 = promoteToFloat64(ir);
    const rand = mulberry32(2024);
    const feeds: Record<string, { shape: number[]; data: Float64Array }> = {
      y: { shape: GRAPH_SIGNAL, data: uniformData(size(GRAPH_SIGNAL), rand) },
      gamma: { shape: shapes[3]!, data: uniformData(size(shapes[3]!), rand) },
    };
    geos.forEach((g, i) => (feeds[`w${i + 1}`] = { shape: [...g.weightShape], data: uniformData(size(g.weightShape), rand, 0.5) }));
    const exact = evaluateGraph(ir64, feeds);
    const lossGraph = pruneToOutput(ir64, 'data');
    const lossAt = (f: typeof feeds) => evaluateGraph(lossGraph, f)['data']!.data[0]!;
    const h = 1e-6;
    for (let i = 1; i <= 3; i++) {
      const name = `w${i}`;
      const x = feeds[name]!.data;
      const analytic = exact[`grad_${name}`]!.data;
      const fd: number[] = [];
      const an: number[] = [];
      for (let c = 0; c < 8; c++) {
        const j = Math.floor(rand() * x.length);
        const plus = Float64Array.from(x);
        const minus = Float64Array.from(x);
        plus[j] = plus[j]! + h;
        minus[j] = minus[j]! - h;
        fd.push((lossAt({ ...feeds, [name]: { shape: feeds[name]!.shape, data: plus } }) - lossAt({ ...feeds, [name]: { shape: feeds[name]!.shape, data: minus } })) / (2 * h));
        an.push(analytic[j]!);
      }
      expect(relativeMaxError(an, fd), name).toBeLessThan(1e-6);
    }
    // ONNX Runtime, float32, on the same inputs.
    const f32 = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, hostTensor(v.shape, Float32Array.from(v.data))]));
    const r = await runtime.run(ir, f32);
    expect(relativeMaxError(r.outputs.data!.data as Float32Array, exact['data']!.data)).toBeLessThan(1e-5);
    for (let i = 1; i <= 3; i++) expect(relativeMaxError(r.outputs[`grad_w${i}`]!.data as Float32Array, exact[`grad_w${i}`]!.data), `ORT grad_w${i}`).toBeLessThan(1e-4);
  });

  it('the block power graph gives A_iᵀA_iV_i, the gradient of the data term at y = 0 with W_i replaced by V_i', async () => {
    const geos = layerGeometries(GRAPH_LAYERS, 1);
    const shapes = modelShapes(GRAPH_SIGNAL, geos);
    const weights = geos.map((g, i) => randomDictionary(g.weightShape, 10 + i));
    const probes = geos.map((g, i) => hostTensor(g.weightShape, randn(size(g.weightShape), 20 + i)));
    const gamma = hostTensor(shapes[3]!, randn(size(shapes[3]!), 30));
    const feeds: Record<string, HostTensor> = { gamma };
    weights.forEach((w, i) => (feeds[`w${i + 1}`] = w));
    probes.forEach((v, i) => (feeds[`v${i + 1}`] = v));
    const block = await runtime.run(buildBlockPowerGraph(GRAPH_SIGNAL, geos).toIR(), feeds);
    const gradGraph = buildGradientGraph(GRAPH_SIGNAL, geos).toIR();
    const zeros = hostTensor(GRAPH_SIGNAL, new Float32Array(size(GRAPH_SIGNAL)));
    for (let i = 0; i < 3; i++) {
      const ws: Record<string, HostTensor> = {};
      weights.forEach((w, j) => (ws[`w${j + 1}`] = j === i ? probes[i]! : w));
      const g = await runtime.run(gradGraph, { y: zeros, gamma, ...ws });
      expect(relativeMaxError(block.outputs[`u${i + 1}`]!.data as Float32Array, g.outputs[`grad_w${i + 1}`]!.data as Float32Array)).toBeLessThan(1e-5);
    }
  });
});

// ---- a known 2-layer ML-CSC model ---------------------------------------------------------------------------------------

const TRUE_LAYERS: MlcscLayerConfig[] = [
  { filters: 4, kernel: 3 },
  { filters: 6, kernel: 3 },
];
const N = 8;
let signals: HostTensor;
let truth: LayerSpec[];

/** D_2 with 4 non-zeros per filter (seeded), unit-norm: a sparse deeper dictionary, as the model wants. */
function sparseDictionary(shape: number[], nonzeros: number, seed: number): HostTensor {
  const rand = mulberry32(seed);
  const values = randn(size(shape), seed + 1);
  const per = size(shape.slice(1));
  const data = new Float32Array(size(shape));
  for (let j = 0; j < shape[0]!; j++)
    for (let placed = 0; placed < nonzeros; ) {
      const at = j * per + Math.floor(rand() * per);
      if (data[at] !== 0) continue;
      data[at] = values[at]!;
      placed++;
    }
  return normalizeAtoms(hostTensor(shape, data));
}

beforeAll(async () => {
  const geos = layerGeometries(TRUE_LAYERS, 1);
  truth = [
    { weights: randomDictionary(geos[0]!.weightShape, 101), stride: 1, pad: 0 },
    { weights: sparseDictionary([...geos[1]!.weightShape], 4, 202), stride: 1, pad: 0 },
  ];
  const data = new Float32Array(N * 14 * 14);
  for (let s = 0; s < N; s++) {
    const sample = await sampleMultiLayerSignal(runtime, truth, { height: 14, width: 14, nonzeros: 4, seed: 300 + s });
    data.set(sample.signal.data as Float32Array, s * 14 * 14);
  }
  signals = hostTensor([N, 1, 14, 14], data);
});

const base = (o: Partial<MlcscOptions> = {}): MlcscOptions => ({ layers: TRUE_LAYERS, lambda: 0.05, steps: 25, batchSize: N, pursuitIterations: 40, seed: 7, ...o });

describe('projection pursuit', () => {
  it('FISTA on the chained operator solves BP against the effective dictionary (KKT), and Γ_1 = D_2Γ_2 exactly', async () => {
    const lambda = 0.05;
    const p = await mlcscProjectionPursuit(runtime, signals, truth.map((l) => l.weights), { layers: TRUE_LAYERS, lambda, iterations: 400, chunk: 50 });
    const geos: LayerGeometry[] = truth.map((l) => ({ weightShape: l.weights.shape, stride: 1, pad: 0 }));
    const shapes = modelShapes(signals.shape, geos);
    // g = D^{(2)ᵀ}(Y − D^{(2)}Γ_2) and D_2Γ_2, in float64 by the reference interpreter.
    const b = new GraphBuilder('kkt');
    const y = b.input('y', 'float32', signals.shape);
    const gamma = b.input('gamma', 'float32', shapes[2]!);
    const ws = geos.map((g, i) => b.input(`w${i + 1}`, 'float32', g.weightShape));
    const g1 = synthesizer(b, ws[1]!, geos[1]!, 'conv-transpose')(gamma, shapes[1]!);
    const x = synthesizer(b, ws[0]!, geos[0]!, 'conv-transpose')(g1, shapes[0]!);
    b.output('g', analysis(b, analysis(b, b.sub(y, x), ws[0]!, geos[0]!), ws[1]!, geos[1]!));
    b.output('gamma1', g1);
    const feed = (t: HostTensor) => ({ shape: [...t.shape], data: Float64Array.from(t.data as Float32Array) });
    const ref = evaluateGraph(promoteToFloat64(b.toIR()), { y: feed(signals), gamma: feed(p.codes[1]!), w1: feed(truth[0]!.weights), w2: feed(truth[1]!.weights) });
    const gk = p.codes[1]!.data as Float32Array;
    const grad = ref['g']!.data;
    let worstOff = 0;
    let worstOn = 0;
    let support = 0;
    for (let j = 0; j < gk.length; j++) {
      if (gk[j] === 0) worstOff = Math.max(worstOff, Math.abs(grad[j]!) - lambda);
      else {
        support++;
        worstOn = Math.max(worstOn, Math.abs(grad[j]! - lambda * Math.sign(gk[j]!)));
      }
    }
    expect(support).toBeGreaterThan(0);
    expect(worstOff).toBeLessThan(0.02 * lambda);
    expect(worstOn).toBeLessThan(0.02 * lambda);
    expect(relativeMaxError(p.codes[0]!.data as Float32Array, ref['gamma1']!.data)).toBeLessThan(1e-5);
    expect(p.restarts).toBe(0);

    // Divergence safeguard: with L/16, FISTA diverges, is restarted with 4L twice, and lands on exactly L.
    const low = await mlcscProjectionPursuit(runtime, signals, truth.map((l) => l.weights), { layers: TRUE_LAYERS, lambda, iterations: 400, chunk: 50, lipschitz: p.lipschitz / 16 });
    expect(low.restarts).toBe(2);
    expect(low.lipschitz).toBe(p.lipschitz);
    expect(Array.from(low.codes[1]!.data as Float32Array)).toEqual(Array.from(gk));
  });
});

describe('learning on a known 2-layer ML-CSC model', () => {
  it('the loss falls, each accepted step lowers the mini-batch objective, and every filter stays unit-norm', async () => {
    const stats: MlcscStepStats[] = [];
    const r = await learnMlcscUnsupervised(runtime, signals, base({ zeta: 0.01, onStep: (s) => stats.push(s) }));
    expect(r.stopReason).toBe('steps');
    expect(r.history).toEqual(stats);
    expect(stats).toHaveLength(25);
    const first = stats[0]!;
    const last = stats[stats.length - 1]!;
    expect(last.loss).toBeLessThan(0.7 * first.loss);
    expect(last.dataTerm).toBeLessThan(0.5 * first.dataTerm);
    // Step t: F after the update ≤ F before it (the pursuit's objective plus the ℓ1 of the old filters).
    for (let t = 1; t < stats.length; t++) {
      const s = stats[t]!;
      expect(s.accepted).toBe(true);
      expect(s.loss).toBeLessThanOrEqual((s.codingObjective + stats[t - 1]!.weightL1) * (1 + 1e-4));
    }
    for (const w of r.weights) for (const v of filterNorms(w)) expect(Math.abs(v - 1)).toBeLessThan(1e-5);
    for (const s of stats) {
      expect(s.weightSparsity).toHaveLength(2);
      expect(s.codeSparsity).toHaveLength(2);
      expect(s.codeSparsity[1]!).toBeGreaterThan(0.5);
      expect(s.seconds).toBeGreaterThan(0);
    }
  });

  it('W_2 becomes sparser as ζ grows (ζ = 0 leaves it dense), on the sphere and in the ball', async () => {
    for (const deepConstraint of ['sphere', 'ball'] as const) {
      const sparsity: number[] = [];
      for (const zeta of [0, 0.01, 0.04]) {
        const r = await learnMlcscUnsupervised(runtime, signals, base({ zeta, steps: 20, deepConstraint }));
        sparsity.push(zeroFraction(r.weights[1]!.data as Float32Array));
        expect(zeroFraction(r.weights[0]!.data as Float32Array)).toBe(0);
        const norms = filterNorms(r.weights[1]!);
        for (const v of norms) {
          if (deepConstraint === 'sphere') expect(Math.abs(v - 1)).toBeLessThan(1e-5);
          else expect(v).toBeLessThanOrEqual(1 + 1e-6);
        }
      }
      expect(sparsity[0], deepConstraint).toBe(0);
      expect(sparsity[1]!, deepConstraint).toBeGreaterThan(0.1);
      expect(sparsity[2]!, deepConstraint).toBeGreaterThan(sparsity[1]! + 0.1);
    }
  });

  it('stopping after m steps (AbortSignal) and resuming from the state equals an uninterrupted run, bit for bit', async () => {
    const o = base({ zeta: 0.01, steps: 7, batchSize: 3 });
    const full = await learnMlcscUnsupervised(runtime, signals, o);
    const controller = new AbortController();
    let saved: MlcscState | undefined;
    const part = await learnMlcscUnsupervised(runtime, signals, {
      ...o,
      signal: controller.signal,
      onStep: (s, state) => {
        saved = state;
        if (s.step === 3) controller.abort();
      },
    });
    expect(part.stopReason).toBe('cancelled');
    expect(part.state.step).toBe(3);
    expect(part.state).toBe(saved);
    const resumed = await learnMlcscUnsupervised(runtime, signals, { ...o, state: structuredClone(part.state) });
    expect(resumed.stopReason).toBe('steps');
    expect(resumed.history.map((s) => s.step)).toEqual([4, 5, 6, 7]);
    resumed.weights.forEach((w, i) => expect(Array.from(w.data as Float32Array)).toEqual(Array.from(full.weights[i]!.data as Float32Array)));
    expect(resumed.state.rng).toEqual(full.state.rng);
    const strip = (s: MlcscStepStats) => ({ ...s, seconds: 0 });
    expect(resumed.history.map(strip)).toEqual(full.history.slice(3).map(strip));
    expect([...part.history, ...resumed.history].map((s) => s.loss)).toEqual(full.history.map((s) => s.loss));
  });
});

describe('pieces', () => {
  it('CountingRandom draws distinct indices and replays from (seed, draws)', () => {
    const a = new CountingRandom(5);
    const first = a.sample(10, 4);
    expect(new Set(first).size).toBe(4);
    expect(first.every((i) => i >= 0 && i < 10)).toBe(true);
    expect(a.draws).toBe(4);
    const replayed = new CountingRandom(5, a.draws);
    expect(replayed.sample(1000, 6)).toEqual(a.sample(1000, 6));
    expect(new CountingRandom(6).sample(10, 10).sort((x, y) => x - y)).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  it('proximalFilterStep: soft threshold, then sphere / ball projection per filter', () => {
    const w = Float32Array.of(3, 0.5, -4, 0, 0.1, 0.2);
    const g = new Float32Array(6);
    expect(Array.from(proximalFilterStep(w, g, 1, 0, 2, 'none'))).toEqual(Array.from(w));
    const t = proximalFilterStep(w, g, 1, 0.25, 2, 'none');
    expect(Array.from(t).map((v) => +v.toFixed(5))).toEqual([2.75, 0.25, -3.75, 0, 0, 0]);
    const ball = proximalFilterStep(w, g, 1, 0.25, 2, 'ball');
    expect(filterNorms(hostTensor([2, 3], ball)).map((v) => +v.toFixed(5))).toEqual([1, 0]);
    const small = proximalFilterStep(Float32Array.of(0.3, 0.4), new Float32Array(2), 1, 0, 1, 'ball');
    expect(Array.from(small)).toEqual([Math.fround(0.3), Math.fround(0.4)]);
    const sphere = proximalFilterStep(Float32Array.of(0.3, 0.4), new Float32Array(2), 1, 0, 1, 'sphere');
    expect(Array.from(sphere).map((v) => +v.toFixed(5))).toEqual([0.6, 0.8]);
    // On the sphere a filter the threshold removes entirely becomes ±e_j at its largest |v_j|; v = 0 stays 0.
    expect(Array.from(proximalFilterStep(Float32Array.of(0.1, -0.2, 0, 0, 0, 0), new Float32Array(6), 1, 0.5, 2, 'sphere'))).toEqual([0, -1, 0, 0, 0, 0]);
  });

  it('rejects inputs it cannot use, naming the field', async () => {
    await expect(learnMlcscUnsupervised(runtime, signals, base({ zeta: [0.1, 0.2] }))).rejects.toThrow(/zeta needs 1 value/);
    await expect(learnMlcscUnsupervised(runtime, signals, base({ layers: [{ filters: 4, kernel: 9 }, { filters: 6, kernel: 9 }] }))).rejects.toThrow(MlcscInputError);
    await expect(learnMlcscUnsupervised(runtime, signals, base({ lambda: -1 }))).rejects.toThrow(/lambda/);
    await expect(learnMlcscUnsupervised(runtime, signals, base({ lambda: 1e6, steps: 1 }))).rejects.toThrow(/too large/);
  });
});
