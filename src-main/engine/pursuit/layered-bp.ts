/**
 * Layered basis pursuit (SCIENCE.md, ML-CSC; Papyan, Romano, Elad 2017): for i = 1…K,
 * Γ_i = argmin ½‖Γ_{i−1} − D_iΓ‖² + λ_i‖Γ‖₁, each layer solved by FISTA on the previous layer's code.
 */
import type { Runtime } from '../runtime/session';
import { layerReports, stepSizes, validateProblem } from './common';
import { solveSingleLayer } from './single-layer';
import type { HistoryPoint, PursuitOptions, PursuitProblem, PursuitResult, StopReason } from './types';
import type { HostTensor, ProviderName } from '../runtime/session';

export async function layeredBasisPursuit(runtime: Runtime, problem: PursuitProblem, options: PursuitOptions): Promise<PursuitResult> {
  const startedAt = performance.now();
  const shapes = validateProblem(problem, options);
  const steps = await stepSizes(runtime, problem, shapes, options.stepSizes);
  const codes: HostTensor[] = [];
  const history: HistoryPoint[] = [];
  let input = problem.signal;
  let iterations = 0;
  let stopReason: StopReason = 'iterations';
  let provider: ProviderName | undefined;
  for (const [i, layer] of problem.layers.entries()) {
    const run = await solveSingleLayer({
      runtime,
      algorithm: 'layered-bp',
      input,
      layer,
      layerIndex: i + 1,
      codeShape: shapes[i + 1]!,
      lambda: options.lambdas[i]!,
      step: steps[i]!,
      momentum: true,
      options,
      startedAt,
      offset: iterations,
      totalIterations: options.iterations * problem.layers.length,
      codesBefore: [...codes],
    });
    codes.push(run.state.gamma);
    history.push(...run.history);
    iterations += run.iterations;
    provider = run.provider ?? provider;
    stopReason = run.stopReason;
    if (stopReason === 'cancelled') break;
    input = run.state.gamma;
  }
  if (codes.length < problem.layers.length) {
    // Cancelled part-way: report only the layers that were pursued.
    const partial = { ...problem, layers: problem.layers.slice(0, codes.length) };
    const { reports, provider: p } = await layerReports(runtime, partial, codes, options.lambdas.slice(0, codes.length), options.synthesis, steps);
    return { algorithm: 'layered-bp', provider: provider ?? p, codes, history, layers: reports, iterations, stopReason: 'cancelled', seconds: (performance.now() - startedAt) / 1000 };
  }
  const { reports, provider: p } = await layerReports(runtime, problem, codes, options.lambdas, options.synthesis, steps);
  return { algorithm: 'layered-bp', provider: provider ?? p, codes, history, layers: reports, iterations, stopReason, seconds: (performance.now() - startedAt) / 1000 };
}
