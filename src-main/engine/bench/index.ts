/**
 * The standard benchmark problems (issue: engine). Each reports ms per iteration, achieved GFLOP/s
 * (2 × multiply–adds of the convolutions actually executed), the MatMul GFLOP/s ceiling measured in the same
 * run, session build time for a 20-iteration graph and, for the CSC problems, the time and iterations to reach
 * a relative objective gap against a long-run optimum.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { downsample, highPass } from '../../../src-shared/math/image';
import { randn } from '../../../src-shared/math/random';
import { GraphBuilder } from '../graph/builder';
import type { GraphIR } from '../graph/ir';
import { readPngAsGray } from '../io';
import { analysis, codeShape, modelShapes, randomDictionary, synthesizer } from '../ops/dictionary';
import { runPursuit, type LayerSpec, type PursuitProblem } from '../pursuit';
import { defaultChunk } from '../pursuit/driver';
import { buildMultiLayerChunk } from '../pursuit/multi-layer';
import { buildProxGradChunk } from '../pursuit/proximal-gradient';
import { Runtime, hostTensor, type HostTensor, type ProviderName } from '../runtime/session';
import { APP_VERSION } from '../version';
import { naiveAnalysis, naiveSynthesis } from './naive';

export const BENCH_PROBLEMS = ['csc-256', 'csc-full-12', 'mnist-mlcsc', 'train-mnist-unrolled', 'train-cdl-256'] as const;
export type BenchProblemName = (typeof BENCH_PROBLEMS)[number];

export interface GapPoint {
  readonly gap: number;
  readonly iterations: number | null;
  readonly seconds: number | null;
}

export interface ProblemReport {
  readonly name: string;
  readonly description: string;
  readonly provider: ProviderName;
  /** One full pursuit iteration (convolutions, thresholds, momentum, objective). */
  readonly msPerIteration: number;
  /** Convolution GFLOP/s over the whole iteration. */
  readonly gflops: number;
  /** The analysis + synthesis pair alone. */
  readonly convPairMs?: number;
  readonly convPairGflops?: number;
  /** Conv-pair GFLOP/s (or whole-iteration GFLOP/s where no pair is timed) over the MatMul ceiling. */
  readonly ratioToCeiling: number;
  readonly sessionBuildMs: number;
  readonly naiveMsPerIteration?: number;
  readonly naiveSpeedup?: number;
  readonly timeToGap?: GapPoint[];
  readonly referenceIterations?: number;
}

/** Training throughput: images per second through forward, backward and update (or one CDL outer iteration). */
export interface TrainingReport {
  readonly name: string;
  readonly description: string;
  readonly imagesPerSecond: number;
  readonly secondsPerStep: number;
  readonly steps: number;
}

export interface BenchReport {
  readonly version: string;
  readonly onnxruntime: string;
  readonly provider: ProviderName;
  readonly threads: number;
  readonly matmulGflops: number;
  readonly problems: ProblemReport[];
  readonly training: TrainingReport[];
  readonly targets: { readonly convPairAtLeast60PercentOfMatmul: boolean; readonly sessionBuildUnder1s: boolean; readonly atLeast50xNaive: boolean | null };
}

export interface BenchOptions {
  readonly providers?: readonly ProviderName[];
  readonly problems: readonly string[];
  readonly threads?: number;
  readonly quick: boolean;
  readonly log?: (line: string) => void;
}

const GAPS = [1e-2, 1e-3, 1e-4];

function samplePath(name: string): string {
  return fileURLToPath(new URL(`../../../resources/samples/${name}`, import.meta.url));
}

/** camera.png (512×512, CC0) box-downsampled to 256×256, in [0, 1]. */
export function cameraImage256(): HostTensor {
  const img = readPngAsGray(readFileSync(samplePath('camera.png')), 'camera.png');
  const small = downsample(img.data, img.shape[0], img.shape[1], 2);
  return hostTensor([1, 1, small.height, small.width], small.data);
}

async function timeRuns(runtime: Runtime, graph: GraphIR, feeds: Record<string, HostTensor>, repeats: number): Promise<{ bestMs: number; medianMs: number; provider: ProviderName }> {
  const first = await runtime.run(graph, feeds);
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await runtime.run(graph, feeds);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { bestMs: times[0]!, medianMs: times[Math.floor(times.length / 2)]!, provider: first.provider };
}

/** GFLOP/s of a square float32 MatMul: the practical ceiling for dense linear algebra on this provider. */
export async function matmulCeiling(runtime: Runtime, n = 1024, repeats = 5): Promise<{ gflops: number; provider: ProviderName }> {
  const g = new GraphBuilder('matmul_ceiling');
  const a = g.input('a', 'float32', [n, n]);
  const b = g.input('b', 'float32', [n, n]);
  g.output('c', g.matmul(a, b));
  const feeds = { a: hostTensor([n, n], randn(n * n, 1)), b: hostTensor([n, n], randn(n * n, 2)) };
  const t = await timeRuns(runtime, g.toIR(), feeds, repeats);
  return { gflops: (2 * n ** 3) / (t.medianMs * 1e6), provider: t.provider };
}

/** Multiply–adds of one analysis Conv for a layer (the synthesis costs the same). */
function convMacs(signalShape: readonly number[], layer: LayerSpec): number {
  const [m, c, kh, kw] = layer.weights.shape as [number, number, number, number];
  const code = codeShape(signalShape, { weightShape: layer.weights.shape, stride: layer.stride, pad: layer.pad });
  return code[0]! * m * c * kh * kw * code[2]! * code[3]!;
}

/** ms for one analysis + synthesis pair: 10 unrolled v ← DDᵀv/‖DDᵀv‖ steps in one graph, per step. */
async function timeConvPair(runtime: Runtime, problem: PursuitProblem, repeats: number): Promise<number> {
  const layer = problem.layers[0]!;
  const geo = { weightShape: layer.weights.shape, stride: layer.stride, pad: layer.pad };
  const g = new GraphBuilder('conv_pair');
  let v = g.input('v', 'float32', problem.signal.shape);
  const w = g.input('w', 'float32', layer.weights.shape);
  const synthesize = synthesizer(g, w, geo, 'auto');
  for (let t = 0; t < 10; t++) {
    const u = synthesize(analysis(g, v, w, geo), problem.signal.shape);
    v = g.div(u, g.sqrt(g.sumSquares(u)));
  }
  g.output('v_out', v);
  const t = await timeRuns(runtime, g.toIR(), { v: problem.signal, w: layer.weights }, repeats);
  return t.medianMs / 10;
}

async function cscProblem(
  runtime: Runtime,
  name: BenchProblemName,
  description: string,
  problem: PursuitProblem,
  lambda: number,
  o: BenchOptions,
  ceiling: number,
  naive: boolean,
): Promise<ProblemReport> {
  const log = o.log ?? (() => undefined);
  const layer = problem.layers[0]!;
  const cShape = codeShape(problem.signal.shape, { weightShape: layer.weights.shape, stride: layer.stride, pad: layer.pad });
  const setup = {
    runtime,
    y: problem.signal,
    weights: layer.weights,
    layer: { weightShape: layer.weights.shape, stride: layer.stride, pad: layer.pad },
    codeShape: cShape,
    lambda,
    step: 0.01,
    threshold: 'soft' as const,
    momentum: true,
    restart: true,
    synthesisMode: 'auto' as const,
  };
  const chunk = defaultChunk(cShape.reduce((a, b) => a * b, 1));
  const chunkGraph = buildProxGradChunk(setup, chunk).toIR();
  const buildGraph = buildProxGradChunk(setup, 20).toIR();
  const fresh = new Runtime({ providers: runtime.providers, intraOpThreads: runtime.intraOpThreads });
  const t0 = performance.now();
  await fresh.prepare(buildGraph);
  const sessionBuildMs = performance.now() - t0;
  await fresh.dispose();

  const zeros = (shape: readonly number[]) => hostTensor(shape, new Float32Array(shape.reduce((a, b) => a * b, 1)));
  const scalar = (v: number) => hostTensor([], Float32Array.of(v));
  const feeds = {
    y: problem.signal,
    w: layer.weights,
    gamma: hostTensor(cShape, randn(cShape.reduce((a, b) => a * b, 1), 3)),
    d_gamma: zeros(problem.signal.shape),
    z: zeros(cShape),
    d_z: zeros(problem.signal.shape),
    t: scalar(1),
    objective: scalar(Infinity),
    step: scalar(0.01),
    beta: scalar(0.01 * lambda),
    lambda: scalar(lambda),
  };
  const timing = await timeRuns(runtime, chunkGraph, feeds, o.quick ? 2 : 5);
  const msPerIteration = timing.medianMs / chunk;
  const flops = 2 * 2 * convMacs(problem.signal.shape, layer);
  const gflops = flops / (msPerIteration * 1e6);
  log(`${name}: ${msPerIteration.toFixed(2)} ms/iteration, ${gflops.toFixed(1)} GFLOP/s`);

  const pair = await timeConvPair(runtime, problem, o.quick ? 2 : 5);
  const pairGflops = flops / (pair * 1e6);
  log(`${name}: conv pair ${pair.toFixed(2)} ms, ${pairGflops.toFixed(1)} GFLOP/s (${((100 * pairGflops) / ceiling).toFixed(0)}% of MatMul)`);

  let naiveMs: number | undefined;
  if (naive) {
    const [m, , k] = layer.weights.shape as [number, number, number];
    const [, , h, w] = problem.signal.shape as [number, number, number, number];
    const x = problem.signal.data as Float32Array;
    const t1 = performance.now();
    const a = naiveAnalysis(x, h, w, layer.weights.data as Float32Array, m, k, layer.pad);
    naiveSynthesis(a, cShape[2]!, cShape[3]!, layer.weights.data as Float32Array, m, k, layer.pad, h, w);
    naiveMs = performance.now() - t1;
    log(`${name}: naive TypeScript conv pair ${naiveMs.toFixed(0)} ms`);
  }

  // Time to a relative objective gap: one long FISTA run; F* is its final objective.
  const referenceIterations = o.quick ? 100 : 1500;
  const run = await runPursuit(runtime, problem, { algorithm: 'fista', lambdas: [lambda], iterations: referenceIterations });
  const fStar = Math.min(...run.history.map((h) => h.objective));
  // Seconds run from the pursuit's start, so they include what a user waits for: the Lipschitz estimate
  // and the session build. History points carry the time at the end of their chunk.
  const timeToGap = GAPS.map((gap) => {
    const hit = run.history.find((h) => (h.objective - fStar) / Math.abs(fStar) <= gap);
    return hit ? { gap, iterations: hit.iteration, seconds: hit.seconds } : { gap, iterations: null, seconds: null };
  });
  log(`${name}: gaps ${timeToGap.map((g) => `${g.gap}→${g.iterations ?? '—'} it`).join(', ')}`);
  return {
    name,
    description,
    provider: timing.provider,
    msPerIteration,
    gflops,
    convPairMs: pair,
    convPairGflops: pairGflops,
    ratioToCeiling: pairGflops / ceiling,
    sessionBuildMs,
    ...(naiveMs !== undefined ? { naiveMsPerIteration: naiveMs, naiveSpeedup: naiveMs / msPerIteration } : {}),
    timeToGap,
    referenceIterations,
  };
}

async function mnistProblem(runtime: Runtime, o: BenchOptions, ceiling: number): Promise<ProblemReport> {
  const T = 6;
  const signal = hostTensor([64, 1, 28, 28], randn(64 * 28 * 28, 11));
  const layers: LayerSpec[] = [
    { weights: randomDictionary([32, 1, 6, 6], 1), stride: 2, pad: 0 },
    { weights: randomDictionary([64, 32, 6, 6], 2), stride: 2, pad: 0 },
    { weights: randomDictionary([512, 64, 4, 4], 3), stride: 1, pad: 0 },
  ];
  const problem = { signal, layers };
  const shapes = modelShapes(signal.shape, layers.map((l) => ({ weightShape: l.weights.shape, stride: l.stride, pad: l.pad })));
  const chunk = buildMultiLayerChunk(problem, shapes, T, { momentum: true, threshold: 'soft-nonneg', synthesis: 'auto' });
  const fresh = new Runtime({ providers: runtime.providers, intraOpThreads: runtime.intraOpThreads });
  const t0 = performance.now();
  await fresh.prepare(chunk);
  const sessionBuildMs = performance.now() - t0;
  await fresh.dispose();
  const scalar = (v: number) => hostTensor([], Float32Array.of(v));
  const feeds: Record<string, HostTensor> = { y: signal, gamma3: hostTensor(shapes[3]!, randn(shapes[3]!.reduce((a, b) => a * b, 1), 4)), z: hostTensor(shapes[3]!, new Float32Array(shapes[3]!.reduce((a, b) => a * b, 1))), momentum: hostTensor([T], new Float32Array(T).fill(0.5)) };
  layers.forEach((l, i) => {
    feeds[`w${i + 1}`] = l.weights;
    feeds[`step${i + 1}`] = scalar(0.1);
    feeds[`beta${i + 1}`] = scalar(0.01);
    feeds[`lambda${i + 1}`] = scalar(0.1);
  });
  const timing = await timeRuns(runtime, chunk, feeds, o.quick ? 2 : 10);
  const msPerIteration = timing.medianMs / T;
  // Per iteration: K syntheses and K analyses; the chunk's final objective adds K syntheses once.
  const macs = layers.reduce((s, l, i) => s + convMacs(shapes[i]!, l), 0);
  const flopsPerChunk = 2 * macs * (2 * T + 1);
  const gflops = flopsPerChunk / (timing.medianMs * 1e6);
  o.log?.(`mnist-mlcsc: ${msPerIteration.toFixed(2)} ms/iteration, ${gflops.toFixed(1)} GFLOP/s`);
  return {
    name: 'mnist-mlcsc',
    description: 'batch 64 of 28×28; 32 6×6 s2, 64 6×6 s2, 512 4×4 s1; ML-FISTA T = 6 in one graph',
    provider: timing.provider,
    msPerIteration,
    gflops,
    ratioToCeiling: gflops / ceiling,
    sessionBuildMs,
  };
}

/** The ML-ISTA paper's MNIST model unrolled as ML-FISTA (T = 6), Adam, batch 64. */
async function trainMnistThroughput(o: BenchOptions): Promise<TrainingReport> {
  const { createTrainingState, loadMnist, mnistPaperModel, train } = await import('../learn/unrolled');
  const steps = o.quick ? 3 : 20;
  const data = await loadMnist({ split: 'train', limit: 64 * (steps + 1), normalize: 'mean-std' });
  const state = createTrainingState(mnistPaperModel('ml-fista'), { batchSize: 64, epochs: 1, seed: 1, optimizer: { kind: 'adam', lr: 1e-3 } }, data.count);
  await train(state, data, { maxSteps: 1 }); // graph build and first-run allocations
  const t0 = performance.now();
  const r = await train(state, data, { maxSteps: 1 + steps });
  const seconds = (performance.now() - t0) / 1000;
  o.log?.(`train-mnist-unrolled: ${((64 * r.steps.length) / seconds).toFixed(0)} images/s`);
  return { name: 'train-mnist-unrolled', description: 'MNIST, 32 6×6 s2 / 64 6×6 s2 / 512 4×4 s1 + linear, ML-FISTA T = 6, Adam, batch 64 (forward, backward, update)', imagesPerSecond: (64 * r.steps.length) / seconds, secondsPerStep: seconds / r.steps.length, steps: r.steps.length };
}

/** Convolutional dictionary learning on the 256×256 camera: one outer iteration = 30 FISTA steps + 5 filter steps. */
async function trainCdlThroughput(runtime: Runtime, o: BenchOptions): Promise<TrainingReport> {
  const { learnConvolutionalDictionary } = await import('../learn/csc/cdl');
  const img = cameraImage256();
  const images = hostTensor(img.shape, highPass(img.data as Float32Array, 256, 256, 4));
  const iterations = o.quick ? 2 : 5;
  const options = { filters: 36, kernelSize: 8, lambda: 0.1, init: 'patches' as const, seed: 1 };
  const first = await learnConvolutionalDictionary(runtime, images, { ...options, iterations: 1 });
  const t0 = performance.now();
  const r = await learnConvolutionalDictionary(runtime, images, { ...options, iterations: 1 + iterations, state: first.state });
  const seconds = (performance.now() - t0) / 1000;
  o.log?.(`train-cdl-256: ${(seconds / r.history.length).toFixed(2)} s per outer iteration`);
  return { name: 'train-cdl-256', description: 'CDL on the high-passed 256×256 camera, 36 filters 8×8, λ = 0.1, batch mode (one outer iteration = 30 FISTA + 5 filter steps)', imagesPerSecond: r.history.length / seconds, secondsPerStep: seconds / r.history.length, steps: r.history.length };
}

export async function runBenchmarks(o: BenchOptions): Promise<BenchReport> {
  const runtime = new Runtime({ providers: o.providers, intraOpThreads: o.threads });
  try {
    const ceiling = await matmulCeiling(runtime);
    o.log?.(`MatMul ceiling: ${ceiling.gflops.toFixed(1)} GFLOP/s on ${ceiling.provider}`);
    const reports: ProblemReport[] = [];
    const training: TrainingReport[] = [];
    for (const name of o.problems as BenchProblemName[]) {
      if (name === 'train-mnist-unrolled') {
        training.push(await trainMnistThroughput(o));
        continue;
      }
      if (name === 'train-cdl-256') {
        training.push(await trainCdlThroughput(runtime, o));
        continue;
      }
      if (name === 'csc-256') {
        const problem = { signal: cameraImage256(), layers: [{ weights: randomDictionary([64, 1, 8, 8], 256), stride: 1, pad: 0 }] };
        // Pad k−1 gives the "full" code (every atom position touching the image).
        const full = { ...problem, layers: [{ ...problem.layers[0]!, pad: 7 }] };
        reports.push(await cscProblem(runtime, name, '256×256 camera image, 64 filters 8×8, FISTA, full codes (263×263)', full, 0.1, o, ceiling.gflops, true));
      } else if (name === 'csc-full-12') {
        const img = cameraImage256();
        const hp = highPass(img.data as Float32Array, 256, 256, 4);
        const problem = { signal: hostTensor([1, 1, 256, 256], hp), layers: [{ weights: randomDictionary([36, 1, 12, 12], 12), stride: 1, pad: 11 }] };
        reports.push(await cscProblem(runtime, name, '256×256 camera image, high-pass (Gaussian σ=4), 36 filters 12×12, λ = 0.05, zero boundary, codes 267×267', problem, 0.05, o, ceiling.gflops, false));
      } else if (name === 'mnist-mlcsc') {
        reports.push(await mnistProblem(runtime, o, ceiling.gflops));
      }
    }
    const csc = reports.filter((r) => r.name.startsWith('csc'));
    return {
      version: APP_VERSION,
      onnxruntime: Runtime.version(),
      provider: ceiling.provider,
      threads: runtime.intraOpThreads,
      matmulGflops: ceiling.gflops,
      problems: reports,
      training,
      targets: {
        convPairAtLeast60PercentOfMatmul: csc.length > 0 && csc.every((r) => r.ratioToCeiling >= 0.6),
        sessionBuildUnder1s: reports.every((r) => r.sessionBuildMs < 1000),
        atLeast50xNaive: reports.some((r) => r.naiveSpeedup !== undefined) ? reports.every((r) => r.naiveSpeedup === undefined || r.naiveSpeedup >= 50) : null,
      },
    };
  } finally {
    await runtime.dispose();
  }
}
