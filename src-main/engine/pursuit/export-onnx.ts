/**
 * A run's pursuit with its own dictionaries as a standalone ONNX model: input `signal` [B, C, H, W] (static
 * shape), outputs `gamma1`…`gammaK` and `reconstruction` = D_1Γ_1. The dictionaries W_i, the step sizes c_i
 * and the thresholds β_i are initializers; the iterations are unrolled (the graph builder has no Loop), so the
 * count is fixed and capped at MAX_EXPORT_ITERATIONS. Everything that describes the model (run, algorithm,
 * λ, iterations, strides, pads, step sizes) is in metadata_props.
 *
 * The graphs mirror the engine's own pursuits operation for operation — the same up-pass, the same linearity
 * trick for DZ, the same FISTA coefficients — so the exported model run on the run's input gives the run's
 * codes to float32 rounding. What a static graph cannot do is left out and said in the metadata: the stopping
 * tolerance (a fixed count instead; a run that stopped on tolerance had converged to within it) and the
 * divergence restarts of the ML-CSC learner's pursuit (its step is already 1/(1.05·L) with L by power iteration).
 */
import path from 'node:path';
import { randn } from '../../../src-shared/math/random';
import { GraphBuilder, type Tensor } from '../graph/builder';
import { emitOnnx } from '../graph/emit';
import type { GraphIR, Shape } from '../graph/ir';
import { readNpyFile } from '../io/npy';
import { buildEffectivePowerGraph, MLCSC_DEFAULTS, PURSUIT_LIPSCHITZ_SAFETY } from '../learn/mlcsc/mlcsc-unsupervised';
import { analysis, modelShapes, synthesizer, type LayerGeometry, type SynthesisMode } from '../ops/dictionary';
import { hostTensor, type HostTensor, type Runtime } from '../runtime/session';
import { APP_VERSION } from '../version';
import { applyThreshold, stepSizes } from './common';
import { fistaMomentum } from './driver';
import { PursuitInputError, type Algorithm, type ThresholdKind } from './types';

/** More unrolled iterations than this make a model that takes long to load and gains nothing measurable. */
export const MAX_EXPORT_ITERATIONS = 200;

/**
 * The pursuits an export can carry: the engine's own algorithms, and `projection-fista`, the pursuit of the
 * unsupervised ML-CSC learner (FISTA on Γ_K against D_1⋯D_K, then Γ_{i−1} = D_iΓ_i).
 */
export type ExportAlgorithm = Algorithm | 'projection-fista';

export interface PursuitExportSpec {
  readonly runId: string;
  /** What made the dictionaries: a pursuit run, or a learning method ('cdl', 'mlcsc-unsupervised'). */
  readonly source: string;
  readonly algorithm: ExportAlgorithm;
  /** λ_i per layer (thresholds β_i for thr/layered-thr); projection-fista: one λ, for Γ_K. */
  readonly lambdas: readonly number[];
  /**
   * Iterations as the run configured them (per layer for layered-bp); capped at MAX_EXPORT_ITERATIONS. Left
   * out for projection-fista: the ML-CSC learner's own count (MLCSC_DEFAULTS.pursuitIterations).
   */
  readonly iterations?: number | undefined;
  readonly threshold?: ThresholdKind | undefined;
  /** FISTA's adaptive restart (the CDL learner codes with it). */
  readonly restart?: boolean | undefined;
  readonly layers: readonly { readonly stride: number; readonly pad: number }[];
  /** The static shape of the `signal` input. */
  readonly signalShape: readonly [number, number, number, number];
  /** Extra metadata_props entries (e.g. where the input size came from). */
  readonly metadata?: Readonly<Record<string, string>> | undefined;
}

export interface PursuitExport {
  readonly bytes: Uint8Array;
  /** Iterations unrolled in the model. */
  readonly iterations: number;
  readonly capped: boolean;
  /** c_i per layer (projection-fista: the one step 1/(1.05·L) of Γ_K); empty for thresholding. */
  readonly stepSizes: number[];
  readonly metadata: Record<string, string>;
}

export const PURSUIT_METADATA_KEYS = {
  kind: 'sparseland.kind',
  run: 'sparseland.run',
  source: 'sparseland.source',
  algorithm: 'sparseland.algorithm',
  lambdas: 'sparseland.lambdas',
  iterations: 'sparseland.iterations',
  requestedIterations: 'sparseland.iterations_requested',
  threshold: 'sparseland.threshold',
  stepSizes: 'sparseland.step_sizes',
  strides: 'sparseland.strides',
  pads: 'sparseland.pads',
  signalShape: 'sparseland.signal_shape',
  outputs: 'sparseland.outputs',
  note: 'sparseland.note',
} as const;

/** Thresholds each algorithm uses when the run names none (as the engine's pursuits default). */
function defaultThreshold(algorithm: ExportAlgorithm): ThresholdKind {
  return algorithm === 'layered-thr' ? 'soft-nonneg' : 'soft';
}

const SINGLE_LAYER: readonly ExportAlgorithm[] = ['thr', 'ista', 'fista'];

function iterationsOf(spec: PursuitExportSpec): number {
  if (spec.iterations !== undefined) return spec.iterations;
  if (spec.algorithm === 'projection-fista') return MLCSC_DEFAULTS.pursuitIterations;
  if (spec.algorithm === 'thr' || spec.algorithm === 'layered-thr') return 0;
  throw new PursuitInputError(`${spec.algorithm}: the number of iterations to unroll is missing`);
}

function checkSpec(spec: PursuitExportSpec, weights: readonly HostTensor[]): LayerGeometry[] {
  const K = spec.layers.length;
  if (K === 0) throw new PursuitInputError('an export needs at least one layer');
  if (weights.length !== K) throw new PursuitInputError(`${K} layer(s) need ${K} dictionaries, got ${weights.length}`);
  if (SINGLE_LAYER.includes(spec.algorithm) && K !== 1) throw new PursuitInputError(`${spec.algorithm} is a single-layer pursuit, but the run has ${K} layers`);
  const lambdaCount = spec.algorithm === 'projection-fista' ? 1 : K;
  if (spec.lambdas.length !== lambdaCount) throw new PursuitInputError(`${spec.algorithm} needs ${lambdaCount} λ value(s), got ${spec.lambdas.length}`);
  spec.lambdas.forEach((l, i) => {
    if (!Number.isFinite(l) || l < 0) throw new PursuitInputError(`λ ${i + 1} must be a finite non-negative number, got ${l}`);
  });
  const iterations = iterationsOf(spec);
  if (!Number.isInteger(iterations) || iterations < 0) throw new PursuitInputError(`iterations must be a non-negative integer, got ${iterations}`);
  if (spec.signalShape.length !== 4 || spec.signalShape.some((d) => !Number.isInteger(d) || d < 1)) throw new PursuitInputError(`the signal shape must be four positive integers [B, C, H, W], got [${spec.signalShape.join(', ')}]`);
  let channels = spec.signalShape[1];
  return weights.map((w, i) => {
    if (w.dtype !== 'float32' || w.shape.length !== 4) throw new PursuitInputError(`dictionary ${i + 1} must be float32 [m, c, k, k], got ${w.dtype} [${w.shape.join(', ')}]`);
    if (w.shape[1] !== channels) throw new PursuitInputError(`dictionary ${i + 1} has ${w.shape[1]} input channel(s) where layer ${i} gives ${channels}`);
    const bad = (w.data as Float32Array).findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new PursuitInputError(`dictionary ${i + 1} holds ${(w.data as Float32Array)[bad]} at flat index ${bad}`);
    channels = w.shape[0]!;
    return { weightShape: w.shape, stride: spec.layers[i]!.stride, pad: spec.layers[i]!.pad };
  });
}

interface Layer {
  readonly w: Tensor;
  readonly geo: LayerGeometry;
  readonly synthesize: (gamma: Tensor, outputShape: Shape) => Tensor;
}

/**
 * FISTA or ISTA from Γ = 0 on one layer, as proximal-gradient.ts computes it: DZ follows from DΓ by linearity,
 * t_k lives in the graph, and with `restart` the momentum is dropped when F rises. The zero start is a scalar 0,
 * which broadcasts exactly (0 − x = −x), so no zero code is stored in the model.
 */
function proximalGradient(
  g: GraphBuilder,
  y: Tensor,
  layer: Layer,
  o: { step: Tensor; beta: Tensor; lambda?: Tensor; threshold: ThresholdKind; momentum: boolean; restart: boolean; iterations: number },
): Tensor {
  const zero = g.scalar(0);
  let gamma: Tensor = zero;
  let dGamma: Tensor = zero;
  let z: Tensor = zero;
  let dZ: Tensor = zero;
  let t: Tensor | undefined = o.momentum ? g.scalar(1) : undefined;
  let previous: Tensor = g.scalar(Infinity);
  const scaledW = g.mul(layer.w, o.step);
  for (let it = 0; it < o.iterations; it++) {
    const scaledGrad = analysis(g, g.sub(dZ, y), scaledW, layer.geo);
    const next = applyThreshold(g, o.threshold, g.sub(z, scaledGrad), o.beta);
    const dNext = layer.synthesize(next, y.shape);
    if (t) {
      let tNext = g.mul(g.add(g.sqrt(g.add(g.mul(g.mul(t, t), 4), 1)), 1), 0.5);
      let m = g.div(g.sub(t, 1), tNext);
      if (o.restart) {
        const objective = g.add(g.mul(g.sumSquares(g.sub(dNext, y)), 0.5), g.mul(g.sumAbs(next), o.lambda!));
        const increased = g.greater(objective, previous);
        m = g.where(increased, 0, m);
        tNext = g.where(increased, 1, tNext);
        previous = objective;
      }
      t = tNext;
      z = g.add(next, g.mul(g.sub(next, gamma), m));
      dZ = g.add(dNext, g.mul(g.sub(dNext, dGamma), m));
    } else {
      z = next;
      dZ = dNext;
    }
    gamma = next;
    dGamma = dNext;
  }
  // Zero iterations leave Γ = 0: a real tensor of the code's shape, so the output has its declared shape.
  return gamma === zero ? g.mul(analysis(g, y, layer.w, layer.geo), 0) : gamma;
}

/** ML-ISTA / ML-FISTA as multi-layer.ts: the layered-thresholding up-pass, then `iterations` down–up sweeps. */
function multiLayer(g: GraphBuilder, y: Tensor, layers: readonly Layer[], shapes: readonly Shape[], o: { steps: Tensor[]; betas: Tensor[]; threshold: ThresholdKind; momentum: boolean; iterations: number }): Tensor[] {
  const K = layers.length;
  const scaledW = layers.map((l, i) => g.mul(l.w, o.steps[i]!));
  let codes: Tensor[] = [];
  let x = y;
  layers.forEach((l, i) => {
    x = applyThreshold(g, o.threshold, analysis(g, x, scaledW[i]!, l.geo), o.betas[i]!);
    codes.push(x);
  });
  let gammaK = codes[K - 1]!;
  let z = gammaK;
  const momentum = o.momentum ? fistaMomentum(0, o.iterations) : undefined;
  for (let t = 0; t < o.iterations; t++) {
    const down: Tensor[] = new Array(K + 1);
    down[K] = z;
    for (let i = K; i >= 1; i--) down[i - 1] = layers[i - 1]!.synthesize(down[i]!, shapes[i - 1]!);
    codes = [];
    let below = y;
    for (let i = 1; i <= K; i++) {
      const scaledGrad = analysis(g, g.sub(down[i - 1]!, below), scaledW[i - 1]!, layers[i - 1]!.geo);
      below = applyThreshold(g, o.threshold, g.sub(down[i]!, scaledGrad), o.betas[i - 1]!);
      codes.push(below);
    }
    const next = codes[K - 1]!;
    z = momentum ? g.add(next, g.mul(g.sub(next, gammaK), g.constant([momentum[t]!], [1]))) : next;
    gammaK = next;
  }
  return codes;
}

/** The ML-CSC learner's projection pursuit (mlcsc-unsupervised.ts `buildPursuitChunk`), from Γ_K = 0. */
function projectionFista(g: GraphBuilder, y: Tensor, layers: readonly Layer[], shapes: readonly Shape[], o: { step: Tensor; beta: Tensor; nonNegative: boolean; iterations: number }): Tensor[] {
  const K = layers.length;
  const downFrom = (gamma: Tensor): Tensor[] => {
    const out: Tensor[] = new Array(K + 1);
    out[K] = gamma;
    for (let i = K; i >= 1; i--) out[i - 1] = layers[i - 1]!.synthesize(out[i]!, shapes[i - 1]!);
    return out;
  };
  const up = (x: Tensor) => layers.reduce((v, l) => analysis(g, v, l.w, l.geo), x);
  const zero = g.scalar(0);
  const momentum = fistaMomentum(0, o.iterations);
  let gamma: Tensor = zero;
  let z: Tensor = zero;
  for (let t = 0; t < o.iterations; t++) {
    // D^{(K)}·0 = 0 exactly, so the first residual is 0 − y.
    const residual = g.sub(z === zero ? zero : downFrom(z)[0]!, y);
    const moved = g.sub(z, g.mul(up(residual), o.step));
    const next = o.nonNegative ? g.softThresholdNonNegative(moved, o.beta) : g.softThreshold(moved, o.beta);
    z = g.add(next, g.mul(g.sub(next, gamma), g.constant([momentum[t]!], [1])));
    gamma = next;
  }
  const gammaK = gamma === zero ? g.mul(up(y), 0) : gamma;
  return downFrom(gammaK).slice(1);
}

/** The model's graph, from the dictionaries and the step sizes (thresholding needs none). */
export function buildPursuitExportGraph(spec: PursuitExportSpec, weights: readonly HostTensor[], steps: readonly number[]): { graph: GraphIR; iterations: number } {
  const geos = checkSpec(spec, weights);
  const shapes = modelShapes(spec.signalShape, geos);
  const iterations = Math.min(iterationsOf(spec), MAX_EXPORT_ITERATIONS);
  const threshold = spec.threshold ?? defaultThreshold(spec.algorithm);
  const g = new GraphBuilder(`sparseland_${spec.algorithm.replace(/-/g, '_')}_${geos.length}`);
  const signal = g.input('signal', 'float32', spec.signalShape);
  // The learner synthesises with ConvTranspose explicitly; the pursuits with 'auto' (also ConvTranspose today).
  const mode: SynthesisMode = spec.algorithm === 'projection-fista' ? 'conv-transpose' : 'auto';
  // Copies, so the caller's arrays can change after the graph is built.
  const layers: Layer[] = weights.map((w, i) => {
    const t = g.initializer(`W${i + 1}`, 'float32', w.shape, Float32Array.from(w.data as Float32Array));
    return { w: t, geo: geos[i]!, synthesize: synthesizer(g, t, geos[i]!, mode) };
  });
  const scalar = (name: string, v: number) => g.initializer(name, 'float32', [], Float32Array.of(v));
  const stepOf = (i: number) => scalar(`step${i + 1}`, steps[i]!);
  // β_i = c_iλ_i, computed as the pursuits compute it (in double, then rounded once).
  const betaOf = (i: number) => scalar(`threshold${i + 1}`, steps[i]! * spec.lambdas[i]!);
  let codes: Tensor[];
  switch (spec.algorithm) {
    case 'thr':
    case 'layered-thr': {
      let x = signal;
      codes = layers.map((l, i) => (x = applyThreshold(g, threshold, analysis(g, x, l.w, l.geo), scalar(`threshold${i + 1}`, spec.lambdas[i]!))));
      break;
    }
    case 'ista':
    case 'fista': {
      // λ itself enters the graph only through the objective that the adaptive restart compares.
      const restart = spec.algorithm === 'fista' && spec.restart === true;
      codes = [proximalGradient(g, signal, layers[0]!, { step: stepOf(0), beta: betaOf(0), ...(restart ? { lambda: scalar('lambda1', spec.lambdas[0]!) } : {}), threshold, momentum: spec.algorithm === 'fista', restart, iterations })];
      break;
    }
    case 'layered-bp': {
      let x = signal;
      codes = layers.map((l, i) => (x = proximalGradient(g, x, l, { step: stepOf(i), beta: betaOf(i), threshold, momentum: true, restart: false, iterations })));
      break;
    }
    case 'ml-ista':
    case 'ml-fista':
      codes = multiLayer(g, signal, layers, shapes, { steps: layers.map((_, i) => stepOf(i)), betas: layers.map((_, i) => betaOf(i)), threshold, momentum: spec.algorithm === 'ml-fista', iterations });
      break;
    case 'projection-fista': {
      const step = scalar('step', steps[0]!);
      codes = projectionFista(g, signal, layers, shapes, { step, beta: scalar('threshold', steps[0]! * spec.lambdas[0]!), nonNegative: threshold === 'soft-nonneg', iterations });
      break;
    }
    default:
      throw new PursuitInputError(`unknown algorithm "${String(spec.algorithm)}"`);
  }
  codes.forEach((c, i) => g.output(`gamma${i + 1}`, c));
  g.output('reconstruction', synthesizer(g, layers[0]!.w, geos[0]!, mode)(codes[0]!, spec.signalShape));
  return { graph: g.toIR(), iterations };
}

/** ‖D_1⋯D_K‖₂² as the ML-CSC learner's standalone pursuit estimates it (50 power iterations, seeded start). */
async function effectiveLipschitz(runtime: Runtime, weights: readonly HostTensor[], geos: readonly LayerGeometry[], signalShape: Shape): Promise<number> {
  const chunk = 5;
  const graph = buildEffectivePowerGraph(signalShape, geos, chunk).toIR();
  const one = [1, ...signalShape.slice(1)];
  let v = hostTensor(one, randn(one.reduce((a, b) => a * b, 1), (MLCSC_DEFAULTS.seed ^ 0x9e3779b9) >>> 0));
  let value = 0;
  const feeds: Record<string, HostTensor> = {};
  weights.forEach((w, i) => (feeds[`w${i + 1}`] = w));
  for (let done = 0; done < 50; done += chunk) {
    const out = await runtime.run(graph, { v, ...feeds });
    v = out.outputs.v_next!;
    value = (out.outputs.norm!.data as Float32Array)[0]!;
  }
  if (!(value > 0) || !Number.isFinite(value)) throw new PursuitInputError(`‖D_1⋯D_K‖² is ${value}: the dictionaries are zero or not finite`);
  return value;
}

/** The step sizes the run's pursuit uses: 1/L_i per layer (Fourier bound or power iteration), as common.ts. */
async function exportStepSizes(runtime: Runtime, spec: PursuitExportSpec, weights: readonly HostTensor[]): Promise<number[]> {
  if (spec.algorithm === 'thr' || spec.algorithm === 'layered-thr') return [];
  const geos = checkSpec(spec, weights);
  const shapes = modelShapes(spec.signalShape, geos);
  if (spec.algorithm === 'projection-fista') return [1 / (PURSUIT_LIPSCHITZ_SAFETY * (await effectiveLipschitz(runtime, weights, geos, spec.signalShape)))];
  // Only the shapes and the layers are read; the signal is a placeholder of the right shape.
  const placeholder = hostTensor([1, 1, 1, 1], new Float32Array(1));
  return stepSizes(runtime, { signal: placeholder, layers: weights.map((w, i) => ({ weights: w, stride: geos[i]!.stride, pad: geos[i]!.pad })) }, shapes);
}

export async function exportPursuitOnnx(runtime: Runtime, spec: PursuitExportSpec, weights: readonly HostTensor[]): Promise<PursuitExport> {
  const steps = await exportStepSizes(runtime, spec, weights);
  const { graph, iterations } = buildPursuitExportGraph(spec, weights, steps);
  const K = weights.length;
  const requested = iterationsOf(spec);
  const capped = requested > iterations;
  const iterative = !(spec.algorithm === 'thr' || spec.algorithm === 'layered-thr');
  const notes: string[] = [];
  if (capped) notes.push(`the run asked for ${requested} iterations; ${iterations} are unrolled (at most ${MAX_EXPORT_ITERATIONS})`);
  if (iterative) notes.push('a fixed number of iterations from a zero code: no stopping tolerance');
  if (spec.algorithm === 'projection-fista') notes.push('FISTA on the deepest code against D1…DK with step 1/(1.05·L), L = ‖D1…DK‖² by 50 power iterations; Γ(i−1) = Di·Γi');
  if (spec.algorithm === 'layered-bp') notes.push('iterations are per layer');
  const K_ = Array.from({ length: K }, (_, i) => i + 1);
  const metadata: Record<string, string> = {
    [PURSUIT_METADATA_KEYS.kind]: 'pursuit',
    [PURSUIT_METADATA_KEYS.run]: spec.runId,
    [PURSUIT_METADATA_KEYS.source]: spec.source,
    [PURSUIT_METADATA_KEYS.algorithm]: spec.algorithm,
    [PURSUIT_METADATA_KEYS.lambdas]: JSON.stringify(spec.lambdas),
    [PURSUIT_METADATA_KEYS.iterations]: String(iterative ? iterations : 0),
    ...(capped ? { [PURSUIT_METADATA_KEYS.requestedIterations]: String(requested) } : {}),
    [PURSUIT_METADATA_KEYS.threshold]: spec.threshold ?? defaultThreshold(spec.algorithm),
    [PURSUIT_METADATA_KEYS.stepSizes]: JSON.stringify(steps),
    [PURSUIT_METADATA_KEYS.strides]: JSON.stringify(spec.layers.map((l) => l.stride)),
    [PURSUIT_METADATA_KEYS.pads]: JSON.stringify(spec.layers.map((l) => l.pad)),
    [PURSUIT_METADATA_KEYS.signalShape]: JSON.stringify(spec.signalShape),
    [PURSUIT_METADATA_KEYS.outputs]: [...K_.map((i) => `gamma${i}`), 'reconstruction'].join(','),
    ...(notes.length ? { [PURSUIT_METADATA_KEYS.note]: notes.join('; ') } : {}),
    ...(spec.metadata ?? {}),
  };
  const doc = `${spec.algorithm} over ${K} convolutional layer(s) of run ${spec.runId} (${spec.source}), ${iterative ? `${iterations} iteration(s) unrolled` : 'one pass'}`;
  return { bytes: emitOnnx(graph, { producerVersion: APP_VERSION, docString: doc, metadata }), iterations, capped, stepSizes: steps, metadata };
}

/** Reads W1…WK.npy from a run folder (float32, as runs save them) and exports the pursuit. */
export async function exportPursuitFromFolder(runtime: Runtime, dir: string, spec: PursuitExportSpec): Promise<PursuitExport> {
  const weights: HostTensor[] = [];
  for (let i = 1; i <= spec.layers.length; i++) {
    const file = path.join(dir, `W${i}.npy`);
    const a = await readNpyFile(file);
    if (a.dtype !== 'float32') throw new PursuitInputError(`${file} is ${a.dtype}; a run's dictionaries are float32`);
    weights.push(hostTensor(a.shape, a.data as Float32Array));
  }
  return exportPursuitOnnx(runtime, spec, weights);
}
