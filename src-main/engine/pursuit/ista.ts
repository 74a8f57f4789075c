/**
 * ISTA for convolutional BP: Γ⁺ = S_{λ/L}(Γ + (1/L)·Dᵀ(Y − DΓ)) (Daubechies–Defrise–De Mol 2004; SCIENCE.md,
 * Sparseland). The objective is non-increasing with step 1/L, which the tests check.
 */
import type { Runtime } from '../runtime/session';
import { layerReports, stepSizes, validateProblem } from './common';
import { solveSingleLayer } from './single-layer';
import { PursuitInputError, type PursuitOptions, type PursuitProblem, type PursuitResult } from './types';

export async function ista(runtime: Runtime, problem: PursuitProblem, options: PursuitOptions, momentum = false): Promise<PursuitResult> {
  const startedAt = performance.now();
  const algorithm = momentum ? 'fista' : 'ista';
  const shapes = validateProblem(problem, options);
  if (problem.layers.length !== 1) throw new PursuitInputError(`${algorithm} solves a single-layer problem; use layered-bp, ml-ista or ml-fista for ${problem.layers.length} layers`);
  const steps = await stepSizes(runtime, problem, shapes, options.stepSizes);
  const run = await solveSingleLayer({
    runtime,
    algorithm,
    input: problem.signal,
    layer: problem.layers[0]!,
    layerIndex: 1,
    codeShape: shapes[1]!,
    lambda: options.lambdas[0]!,
    step: steps[0]!,
    momentum,
    options,
    startedAt,
    initialCode: options.initialCode,
  });
  const codes = [run.state.gamma];
  const { reports, provider } = await layerReports(runtime, problem, codes, options.lambdas, options.synthesis, steps);
  return {
    algorithm,
    provider: run.provider ?? provider,
    codes,
    history: run.history,
    layers: reports,
    iterations: run.iterations,
    stopReason: run.stopReason,
    seconds: (performance.now() - startedAt) / 1000,
  };
}
