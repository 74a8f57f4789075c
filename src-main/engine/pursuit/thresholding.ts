/**
 * Thresholding pursuits (SCIENCE.md): single-layer Γ = T_β(DᵀY), and layered thresholding
 * Γ_i = T_{β_i}(D_iᵀΓ_{i−1}), Γ_0 = Y, which with T = S⁺ is the CNN forward pass ReLU(W_iᵀx − β_i)
 * (Papyan, Romano, Elad 2017, "Convolutional neural networks analyzed via convolutional sparse coding").
 */
import { GraphBuilder } from '../graph/builder';
import type { HostTensor, Runtime } from '../runtime/session';
import { hostTensor } from '../runtime/session';
import { analysis, applyThreshold, geometryOf, layerReports, validateProblem } from './common';
import { PursuitInputError, type PursuitOptions, type PursuitProblem, type PursuitResult, type ThresholdKind } from './types';

export function buildLayeredThresholding(problem: PursuitProblem, threshold: ThresholdKind): GraphBuilder {
  const g = new GraphBuilder(`layered_thr_${problem.layers.length}`);
  let x = g.input('y', 'float32', problem.signal.shape);
  problem.layers.forEach((layer, i) => {
    const w = g.input(`w${i + 1}`, 'float32', layer.weights.shape);
    const beta = g.input(`beta${i + 1}`, 'float32', []);
    x = applyThreshold(g, threshold, analysis(g, x, w, geometryOf(layer)), beta);
    g.output(`gamma${i + 1}`, x);
  });
  return g;
}

export async function layeredThresholding(runtime: Runtime, problem: PursuitProblem, options: PursuitOptions, singleLayer = false): Promise<PursuitResult> {
  const startedAt = performance.now();
  const algorithm = singleLayer ? 'thr' : 'layered-thr';
  validateProblem(problem, options);
  if (singleLayer && problem.layers.length !== 1) throw new PursuitInputError(`thr is single-layer thresholding; use layered-thr for ${problem.layers.length} layers`);
  const threshold = options.threshold ?? (singleLayer ? 'soft' : 'soft-nonneg');
  const feeds: Record<string, HostTensor> = { y: problem.signal };
  problem.layers.forEach((l, i) => {
    feeds[`w${i + 1}`] = l.weights;
    feeds[`beta${i + 1}`] = hostTensor([], Float32Array.of(options.lambdas[i]!));
  });
  const r = await runtime.run(buildLayeredThresholding(problem, threshold).toIR(), feeds);
  const codes = problem.layers.map((_, i) => r.outputs[`gamma${i + 1}`]!);
  const { reports } = await layerReports(runtime, problem, codes, options.lambdas, options.synthesis);
  return { algorithm, provider: r.provider, codes, history: [], layers: reports, iterations: 0, stopReason: 'single-pass', seconds: (performance.now() - startedAt) / 1000 };
}
