/** Pieces every pursuit shares: validation, thresholds by kind, step sizes, per-layer reports. */
import { GraphBuilder, type Tensor } from '../graph/builder';
import { analysis, fourierLipschitzBound, lipschitzConstant, modelShapes, synthesis, type LayerGeometry, type SynthesisMode } from '../ops/dictionary';
import type { HostTensor, ProviderName, Runtime } from '../runtime/session';
import { type LayerReport, type LayerSpec, type PursuitOptions, type PursuitProblem, PursuitInputError, type ThresholdKind } from './types';

/** Power iteration under-estimates L slightly; a 1% margin keeps 1/L a safe ISTA step. */
export const LIPSCHITZ_SAFETY = 1.01;

export function geometryOf(layer: LayerSpec): LayerGeometry {
  return { weightShape: layer.weights.shape, stride: layer.stride, pad: layer.pad };
}

export function applyThreshold(g: GraphBuilder, kind: ThresholdKind, x: Tensor, beta: Tensor | number): Tensor {
  switch (kind) {
    case 'soft':
      return g.softThreshold(x, beta);
    case 'soft-nonneg':
      return g.softThresholdNonNegative(x, beta);
    case 'hard':
      return g.hardThreshold(x, beta);
  }
}

function firstNonFinite(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return i;
  return -1;
}

/** Checks the problem and returns the chain of shapes [Y, Γ_1, …, Γ_K]. */
export function validateProblem(problem: PursuitProblem, options: PursuitOptions): number[][] {
  const { signal, layers } = problem;
  if (signal.dtype !== 'float32') throw new PursuitInputError(`the signal must be float32, got ${signal.dtype}`);
  if (layers.length === 0) throw new PursuitInputError('at least one dictionary is required');
  const bad = firstNonFinite(signal.data as Float32Array);
  if (bad >= 0) throw new PursuitInputError(`the signal contains ${signal.data[bad]} at flat index ${bad}: remove NaN/Inf values before pursuit`);
  layers.forEach((l, i) => {
    const at = firstNonFinite(l.weights.data as Float32Array);
    if (at >= 0) throw new PursuitInputError(`dictionary ${i + 1} contains ${l.weights.data[at]} at flat index ${at}`);
    if (l.weights.shape.length !== 4) throw new PursuitInputError(`dictionary ${i + 1} must be [m, c, k, k], got [${l.weights.shape.join(', ')}]`);
    if (!Number.isInteger(l.stride) || l.stride < 1) throw new PursuitInputError(`layer ${i + 1}: stride must be a positive integer, got ${l.stride}`);
    if (!Number.isInteger(l.pad) || l.pad < 0) throw new PursuitInputError(`layer ${i + 1}: pad must be a non-negative integer, got ${l.pad}`);
  });
  if (options.lambdas.length !== layers.length) throw new PursuitInputError(`${layers.length} layer(s) need ${layers.length} λ value(s), got ${options.lambdas.length}`);
  options.lambdas.forEach((l, i) => {
    if (!Number.isFinite(l) || l < 0) throw new PursuitInputError(`λ for layer ${i + 1} must be a finite non-negative number, got ${l}`);
  });
  if (!Number.isInteger(options.iterations) || options.iterations < 0) throw new PursuitInputError(`iterations must be a non-negative integer, got ${options.iterations}`);
  if (options.mask) {
    if (options.mask.shape.join() !== signal.shape.join()) throw new PursuitInputError(`the mask must have the signal's shape [${signal.shape.join(', ')}], got [${options.mask.shape.join(', ')}]`);
    if (!['ista', 'fista'].includes(options.algorithm)) throw new PursuitInputError(`masks (inpainting) are supported by ista and fista, not ${options.algorithm}`);
  }
  if (options.stepSizes && options.stepSizes.length !== layers.length) throw new PursuitInputError(`step sizes: ${layers.length} value(s) expected`);
  try {
    return modelShapes(signal.shape, layers.map(geometryOf));
  } catch (err) {
    throw new PursuitInputError((err as Error).message);
  }
}

/** c_i = 1/L_i per layer unless given: L_i from the Fourier bound where it applies, else by power iteration on the actual geometry. */
export async function stepSizes(runtime: Runtime, problem: PursuitProblem, shapes: number[][], given?: readonly number[]): Promise<number[]> {
  if (given) return [...given];
  const out: number[] = [];
  for (const [i, layer] of problem.layers.entries()) {
    const bound = fourierLipschitzBound(layer.weights, geometryOf(layer), shapes[i]!);
    const value = bound ?? (await lipschitzConstant(runtime, layer.weights, geometryOf(layer), shapes[i]!)).value * LIPSCHITZ_SAFETY;
    if (!(value > 0)) throw new PursuitInputError(`dictionary ${i + 1} is zero: its Lipschitz constant is ${value}`);
    out.push(1 / value);
  }
  return out;
}

/** Per-layer objective terms, computed by one graph: ½‖Γ_{i−1} − D_iΓ_i‖², ‖Γ_i‖₁, nnz. */
export async function layerReports(
  runtime: Runtime,
  problem: PursuitProblem,
  codes: readonly HostTensor[],
  lambdas: readonly number[],
  mode: SynthesisMode = 'auto',
  steps?: readonly number[],
): Promise<{ reports: LayerReport[]; provider: ProviderName }> {
  const g = new GraphBuilder('layer_report');
  const y = g.input('y', 'float32', problem.signal.shape);
  const gammas = codes.map((c, i) => g.input(`gamma${i + 1}`, 'float32', c.shape));
  problem.layers.forEach((layer, i) => {
    const w = g.input(`w${i + 1}`, 'float32', layer.weights.shape);
    const below = i === 0 ? y : gammas[i - 1]!;
    const r = g.sub(below, synthesis(g, gammas[i]!, w, geometryOf(layer), below.shape, mode));
    g.output(`residual${i + 1}`, g.mul(g.sumSquares(r), 0.5));
    g.output(`l1_${i + 1}`, g.sumAbs(gammas[i]!));
    g.output(`nnz${i + 1}`, g.reduceSum(g.cast(g.greater(g.abs(gammas[i]!), 0), 'float32')));
  });
  const feeds: Record<string, HostTensor> = { y: problem.signal };
  codes.forEach((c, i) => (feeds[`gamma${i + 1}`] = c));
  problem.layers.forEach((l, i) => (feeds[`w${i + 1}`] = l.weights));
  const r = await runtime.run(g.toIR(), feeds);
  const scalar = (name: string) => (r.outputs[name]!.data as Float32Array)[0]!;
  const reports = codes.map((c, i) => {
    const residual = scalar(`residual${i + 1}`);
    const l1 = scalar(`l1_${i + 1}`);
    const nnz = scalar(`nnz${i + 1}`);
    const report: LayerReport = { layer: i + 1, objective: residual + lambdas[i]! * l1, residual, l1, nnz, density: nnz / c.data.length };
    return steps ? { ...report, stepSize: steps[i]! } : report;
  });
  return { reports, provider: r.provider };
}

export function scalarOf(t: HostTensor): number {
  return Number((t.data as Float32Array)[0]);
}

export { analysis, synthesis };
