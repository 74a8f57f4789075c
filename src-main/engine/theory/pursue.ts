/**
 * The theory's pursuits run on sampled signals, with the parameters the theorems prescribe unless the user
 * gives others, and the per-layer verdicts: the theorem's condition and error bound next to the measured
 * error and support recovery.
 *
 * Parameters (SCIENCE.md): BP with λ = 4ε (Papyan, Sulam & Elad 2017, Part II); layered BP with
 * ξ_i = 4ε_{i−1} (Papyan, Romano & Elad 2017); layered soft thresholding with β_i inside the admissible range
 * of its stability theorem. The BP results need only ε ≥ ‖E‖^p_{2,∞}, so on noiseless signals (where λ = 0
 * would be an equality-constrained problem FISTA cannot solve) a small λ is used and ε is taken as λ/4.
 */
import type { LayerVerdict, TheoryPursuit } from '../../../src-shared/contract';
import type { Mat } from '../learn/sparseland/dense';
import { runPursuit, type LayerSpec } from '../pursuit';
import { hostTensor, type HostTensor, type ProviderName, type Runtime } from '../runtime/session';
import { bpStability, layeredBp, layeredThresholding, ompStability, pursuitSuccessBound } from './bounds';
import { denseProduct, denseSynthesisMatrix } from './conv-matrix';
import { globalOmp } from './global-omp';
import { codePatchWindow, patchEnergy } from './local-norms';
import { codeShape, type SampleStats, type TheoryInstance } from './model';
import { synthesize, type MlcscSample } from './sampler';
import { errorNorms, supportRecovery } from './support';

export type ThresholdChoice = 'soft' | 'hard';

/**
 * λ on noiseless signals, relative to the largest true coefficient of the layer. Coefficients much smaller
 * than λ are lost to its shrinkage (and, far enough down, to float32): with Gaussian values a few are.
 */
const NOISELESS_LAMBDA = 1e-3;
/** Entries below this fraction of the layer's largest true coefficient count as zero in float32 estimates. */
const SUPPORT_TOLERANCE = 1e-5;

export interface TheoryEstimate {
  readonly pursuit: TheoryPursuit;
  /** codes[item][i] = Γ̂_{i+1}, float64, row-major [m, H, W]. */
  readonly codes: Float64Array[][];
  /** The λ/β/ξ used per layer (OMP: the largest number of atoms it was allowed). */
  readonly parameters: number[];
  /** Layered thresholding's threshold function. */
  readonly threshold?: ThresholdChoice;
  readonly seconds: number;
  readonly provider: ProviderName | 'float64';
}

/** The synthesis matrices D_1 … D_K of an instance (float64, for exact pushes between layers). */
export function synthesisMatrices(instance: TheoryInstance): Mat[] {
  return instance.layers.map((l, i) => denseSynthesisMatrix(l, instance.inputs[i]!));
}

/** Γ_{i−1} = D_iΓ_i for every shallower layer, from the deepest code (direct loops: no dense matrices). */
function pushDown(instance: TheoryInstance, deepest: Float64Array): Float64Array[] {
  const K = instance.layers.length;
  const codes: Float64Array[] = new Array(K);
  codes[K - 1] = deepest;
  for (let i = K - 1; i >= 1; i--) codes[i - 1] = synthesize(instance.layers[i]!, codes[i]!, codeShape(instance, i + 1), instance.inputs[i]!);
  return codes;
}

/**
 * D_1⋯D_K as one convolutional layer (projection pursuit): stride ∏s_i and kernel k_1 + s_1(k_2 − 1) + …,
 * its filters read from the effective atom at code position (0, 0), which with pad 0 starts at the origin.
 */
export function effectiveLayer(instance: TheoryInstance, matrices: readonly Mat[]): LayerSpec {
  const [c, H, W] = instance.inputs[0]!;
  let product = matrices[0]!;
  for (let i = 1; i < matrices.length; i++) product = denseProduct(product, matrices[i]!);
  let stride = 1;
  let kh = 1;
  let kw = 1;
  for (const l of instance.layers) {
    const [, , lh, lw] = l.weights.shape as [number, number, number, number];
    kh += stride * (lh - 1);
    kw += stride * (lw - 1);
    stride *= l.stride;
  }
  const [m, Hc, Wc] = codeShape(instance, instance.layers.length);
  const weights = new Float32Array(m * c * kh * kw);
  for (let j = 0; j < m; j++) {
    const column = product.data.subarray(j * Hc * Wc * product.rows, (j * Hc * Wc + 1) * product.rows);
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++) weights[((j * c + ch) * kh + y) * kw + x] = column[(ch * H + y) * W + x]!;
  }
  return { weights: hostTensor([m, c, kh, kw], weights), stride, pad: 0 };
}

/** ε_i upper bounds used to pick BP-type parameters, and the parameters themselves. */
export function defaultParameters(pursuit: TheoryPursuit, stats: SampleStats, given?: readonly number[], threshold: ThresholdChoice = 'soft'): number[] {
  const K = stats.layers.length;
  if (given) {
    if (given.length === K) return [...given];
    if (given.length === 1) return new Array(K).fill(given[0]);
    throw new RangeError(`${pursuit}: ${given.length} parameter(s) given for ${K} layer(s)`);
  }
  switch (pursuit) {
    case 'omp':
      return [stats.layers.at(-1)!.nnz];
    case 'bp': {
      const eps = Math.max(stats.noisePatch, (NOISELESS_LAMBDA * stats.layers.at(-1)!.gammaMax) / 4);
      return [4 * eps];
    }
    case 'layered-thr': {
      const out: number[] = [];
      let eps = stats.noisePatch;
      for (const l of stats.layers) {
        const v = layeredThresholding([l], eps, threshold).layers[0]!;
        out.push(Math.max(0, v.beta));
        eps = v.epsilon;
      }
      return out;
    }
    case 'ml-fista':
      // No stability theorem to take λ from: BP's choice on the signal, for every layer.
      return stats.layers.map((l) => 4 * Math.max(stats.noisePatch, (NOISELESS_LAMBDA * l.gammaMax) / 4));
    case 'layered-bp': {
      const out: number[] = [];
      let eps = stats.noisePatch;
      for (const l of stats.layers) {
        const bound = Math.max(eps, (NOISELESS_LAMBDA * l.gammaMax) / 4);
        out.push(4 * bound);
        eps = layeredBp([l], bound).layers[0]!.epsilon;
      }
      return out;
    }
  }
}

function toFloat64(data: Float32Array, offset: number, length: number): Float64Array {
  const out = new Float64Array(length);
  for (let j = 0; j < length; j++) out[j] = data[offset + j]!;
  return out;
}

export async function runTheoryPursuit(
  runtime: Runtime,
  instance: TheoryInstance,
  sample: MlcscSample,
  stats: SampleStats,
  choice: { pursuit: TheoryPursuit; lambdas?: readonly number[]; iterations: number; threshold?: ThresholdChoice },
  signal?: AbortSignal,
): Promise<TheoryEstimate> {
  const started = performance.now();
  const K = instance.layers.length;
  const threshold = choice.threshold ?? 'soft';
  const parameters = defaultParameters(choice.pursuit, stats, choice.lambdas, threshold);
  const seconds = () => (performance.now() - started) / 1000;
  const input = instance.inputs[0]!;

  if (choice.pursuit === 'omp') {
    const codes = sample.noisy.map((y, b) => {
      const sparsity = choice.lambdas ? Math.round(parameters[0]!) : sample.codes[b]![K - 1]!.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0);
      const deepest = globalOmp(instance.layers, [y], input, { sparsity }).codes[0]!;
      return pushDown(instance, deepest);
    });
    return { pursuit: 'omp', codes, parameters: [parameters[0]!], seconds: seconds(), provider: 'float64' };
  }

  const B = sample.noisy.length;
  const size = input[0] * input[1] * input[2];
  const batch = new Float32Array(B * size);
  sample.noisy.forEach((y, b) => batch.set(Float32Array.from(y), b * size));
  const signalTensor = hostTensor([B, ...input], batch);
  const specs: LayerSpec[] = instance.layers.map((l) => ({ weights: hostTensor([...l.weights.shape], Float32Array.from(l.weights.data)), stride: l.stride, pad: 0 }));

  if (choice.pursuit === 'bp') {
    const layer = K > 1 ? effectiveLayer(instance, synthesisMatrices(instance)) : specs[0]!;
    const r = await basisPursuit(runtime, signalTensor, layer, parameters[0]!, stats.layers.at(-1)!.gammaMax, choice.iterations, signal);
    const code = r.code;
    const per = code.data.length / B;
    const codes = Array.from({ length: B }, (_, b) => pushDown(instance, toFloat64(code.data as Float32Array, b * per, per)));
    return { pursuit: 'bp', codes, parameters: [parameters[0]!], seconds: seconds(), provider: r.provider };
  }

  const algorithm = choice.pursuit;
  const r = await runPursuit(
    runtime,
    { signal: signalTensor, layers: specs },
    { algorithm, lambdas: parameters, iterations: choice.iterations, threshold: choice.pursuit === 'layered-thr' ? threshold : 'soft', ...(signal ? { signal } : {}) },
  );
  const codes = Array.from({ length: B }, (_, b) =>
    r.codes.map((t) => {
      const per = t.data.length / B;
      return toFloat64(t.data as Float32Array, b * per, per);
    }),
  );
  return { pursuit: choice.pursuit, threshold, codes, parameters, seconds: seconds(), provider: r.provider };
}

/**
 * FISTA on ½‖Y − DΓ‖² + λ‖Γ‖₁ with continuation (Hale, Yin & Zhang 2008): λ falls geometrically from the
 * largest true coefficient to the target, each stage warm-started from the last, so a small noiseless λ is
 * reached in a few hundred iterations instead of thousands.
 */
async function basisPursuit(runtime: Runtime, signalTensor: HostTensor, layer: LayerSpec, lambda: number, start: number, iterations: number, signal?: AbortSignal) {
  const ratio = 0.2;
  const stages = lambda > 0 && start > lambda ? Math.min(6, Math.ceil(Math.log(start / lambda) / Math.log(1 / ratio))) + 1 : 1;
  let code: HostTensor | undefined;
  let provider: ProviderName = 'cpu';
  for (let t = 0; t < stages; t++) {
    const stageLambda = Math.max(lambda, start * ratio ** (stages - 1 - t) * (t === stages - 1 ? 0 : 1));
    const stageIterations = t === stages - 1 ? iterations - Math.floor(iterations / (2 * stages)) * (stages - 1) : Math.floor(iterations / (2 * stages));
    if (stageIterations < 1) continue;
    const r = await runPursuit(runtime, { signal: signalTensor, layers: [layer] }, { algorithm: 'fista', lambdas: [stageLambda], iterations: stageIterations, ...(code ? { initialCode: code } : {}), ...(signal ? { signal } : {}) });
    code = r.codes[0]!;
    provider = r.provider;
  }
  return { code: code!, provider };
}

interface Theorem {
  name: string;
  source: string;
}

/** Per layer: the theorem that covers this pursuit here, its condition and bound, and the measurements. */
export function verdicts(instance: TheoryInstance, sample: MlcscSample, stats: SampleStats, estimate: TheoryEstimate): LayerVerdict[] {
  const K = instance.layers.length;
  const single = K === 1;
  const noisy = stats.noisePatch > 0;
  const out: LayerVerdict[] = [];
  let eps = stats.noisePatch;
  // The layered theorems assume their condition at every layer up to this one.
  let upstream = true;
  for (let i = 1; i <= K; i++) {
    const l = stats.layers[i - 1]!;
    const shape = codeShape(instance, i);
    const window = codePatchWindow(instance.layers, i);
    const tolerance = SUPPORT_TOLERANCE * l.gammaMax;
    let theorem: Theorem | null = null;
    let condition: number | null = null;
    let holds: boolean | null = null;
    let predicted: number | null = null;
    let norm: LayerVerdict['norm'] = 'p2inf';
    const parameter = estimate.parameters[Math.min(i - 1, estimate.parameters.length - 1)]!;
    switch (estimate.pursuit) {
      case 'omp':
        if (!single) break;
        norm = 'l2';
        if (!noisy) {
          const b = pursuitSuccessBound(l.mu);
          [theorem, condition, holds, predicted] = [b.theorem, b.bound, l.stripe < b.bound, 0];
        } else {
          const b = ompStability({ mu: l.mu, stripe: l.stripe, noisePatch: stats.noisePatch, noiseEnergy: stats.noiseEnergy, gammaMin: l.gammaMin });
          [theorem, condition, holds, predicted] = [b.theorem, b.condition, b.holds, b.errorBound];
        }
        break;
      case 'bp':
        if (!single) break;
        norm = 'linf';
        {
          // Any ε ≥ ‖E‖^p_{2,∞} works in the theorem; λ = 4ε fixes the one this λ stands for.
          const epsilon = parameter / 4;
          const b = bpStability({ mu: l.mu, stripe: l.stripe, noisePatch: epsilon });
          [theorem, condition, predicted] = [b.theorem, b.condition, b.linfBound];
          holds = b.holds && epsilon >= stats.noisePatch * (1 - 1e-9);
        }
        break;
      case 'layered-thr': {
        const b = layeredThresholding([{ ...l, beta: parameter }], eps, estimate.threshold ?? 'soft');
        const v = b.layers[0]!;
        [theorem, condition, holds, predicted] = [b.theorem, v.condition, v.holds, v.epsilon];
        eps = v.epsilon;
        break;
      }
      case 'layered-bp': {
        const epsilon = parameter / 4;
        const b = layeredBp([l], epsilon);
        const v = b.layers[0]!;
        [theorem, condition, predicted] = [b.theorem, v.condition, v.epsilon];
        holds = v.holds && epsilon >= eps * (1 - 1e-9);
        eps = v.epsilon;
        break;
      }
      case 'ml-fista':
        break;
    }
    if (holds !== null && !single) {
      holds = holds && upstream;
      upstream = holds;
    }
    let measured = 0;
    let tp = 0;
    let found = 0;
    let truth = 0;
    let exact = 0;
    sample.codes.forEach((codes, b) => {
      const t = codes[i - 1]!;
      const e = estimate.codes[b]![i - 1]!;
      if (norm === 'p2inf') {
        const diff = new Float64Array(t.length);
        for (let j = 0; j < t.length; j++) diff[j] = e[j]! - t[j]!;
        measured = Math.max(measured, patchEnergy({ shape, data: diff }, window).value);
      } else {
        const n = errorNorms(t, e);
        measured = Math.max(measured, norm === 'l2' ? n.l2 : n.linf);
      }
      const s = supportRecovery(t, e, tolerance);
      tp += s.truePositives;
      found += s.found;
      truth += s.truth;
      if (s.exact) exact++;
    });
    out.push({
      layer: i,
      theorem,
      condition,
      holds,
      predicted,
      norm,
      measured,
      parameter,
      precision: found ? tp / found : 1,
      recall: truth ? tp / truth : 1,
      exact: exact / sample.codes.length,
    });
  }
  return out;
}

/** D_1Γ̂_1 of one signal, float64. */
export function reconstruct(instance: TheoryInstance, codes1: Float64Array): Float64Array {
  return synthesize(instance.layers[0]!, codes1, codeShape(instance, 1), instance.inputs[0]!);
}

