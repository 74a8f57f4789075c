/**
 * ML-ISTA and ML-FISTA (Sulam, Aberdam, Beck, Elad, TPAMI 2019, Alg. 1 and 2; SCIENCE.md, ML-CSC) for
 * min_{Γ_K} ½‖Y − D_1⋯D_KΓ_K‖² + Σ_{i<K} λ_i‖D_{i+1}⋯D_KΓ_K‖₁ + λ_K‖Γ_K‖₁.
 *
 * Initialisation is the up-pass from Γ = 0, Γ_i = T_{c_iλ_i}(c_i D_iᵀΓ_{i−1}): the layered-thresholding
 * forward pass, so zero iterations are exactly the CNN. Each iteration then goes down from P = Γ_K (or the
 * FISTA point Z), G_{i−1} = D_iG_i, and up, Γ_i = T_{c_iλ_i}(G_i − c_iD_iᵀ(D_iG_i − Γ_{i−1})) with Γ_0 = Y.
 * D_iG_i is the down-pass value G_{i−1}, so an iteration costs K syntheses and K analyses.
 */
import { GraphBuilder, type Tensor } from '../graph/builder';
import type { GraphIR } from '../graph/ir';
import { synthesizer } from '../ops/dictionary';
import type { HostTensor, ProviderName, Runtime } from '../runtime/session';
import { hostTensor } from '../runtime/session';
import { analysis, applyThreshold, geometryOf, layerReports, stepSizes, validateProblem } from './common';
import { defaultChunk, fistaMomentum, iterate } from './driver';
import type { PursuitOptions, PursuitProblem, PursuitResult, ThresholdKind } from './types';

interface MultiLayerState {
  /** Γ_1 … Γ_K from the last up-pass. */
  readonly codes: HostTensor[];
  readonly z: HostTensor;
}

interface Setup {
  readonly problem: PursuitProblem;
  readonly shapes: number[][];
  readonly threshold: ThresholdKind;
  readonly momentum: boolean;
  readonly options: PursuitOptions;
}

function declareModel(g: GraphBuilder, s: Setup) {
  const y = g.input('y', 'float32', s.problem.signal.shape);
  const layers = s.problem.layers.map((layer, i) => {
    const w = g.input(`w${i + 1}`, 'float32', layer.weights.shape);
    const geo = geometryOf(layer);
    return {
      w,
      geo,
      step: g.input(`step${i + 1}`, 'float32', []),
      beta: g.input(`beta${i + 1}`, 'float32', []),
      lambda: g.input(`lambda${i + 1}`, 'float32', []),
      synthesize: synthesizer(g, w, geo, s.options.synthesis ?? 'auto'),
    };
  });
  return { y, layers: layers.map((l) => ({ ...l, scaledW: g.mul(l.w, l.step) })) };
}

/** F(Γ_K), computed from a fresh down-pass. */
function objective(g: GraphBuilder, s: Setup, m: ReturnType<typeof declareModel>, gammaK: Tensor): Tensor {
  const K = m.layers.length;
  let v = gammaK;
  let total = g.mul(g.sumAbs(v), m.layers[K - 1]!.lambda);
  for (let i = K - 1; i >= 0; i--) {
    v = m.layers[i]!.synthesize(v, s.shapes[i]!);
    if (i > 0) total = g.add(total, g.mul(g.sumAbs(v), m.layers[i - 1]!.lambda));
  }
  return g.add(total, g.mul(g.sumSquares(g.sub(m.y, v)), 0.5));
}

function buildForwardPass(s: Setup): GraphIR {
  const g = new GraphBuilder(`ml_forward_${s.problem.layers.length}`);
  const m = declareModel(g, s);
  let x = m.y;
  m.layers.forEach((l, i) => {
    x = applyThreshold(g, s.threshold, analysis(g, x, l.scaledW, l.geo), l.beta);
    g.output(`gamma${i + 1}`, x);
  });
  g.output('objective', g.reshape(objective(g, s, m, x), [1]));
  return g.toIR();
}

/** The unrolled chunk graph alone, for benchmarks and export. */
export function buildMultiLayerChunk(
  problem: PursuitProblem,
  shapes: number[][],
  count: number,
  o: { momentum: boolean; threshold: ThresholdKind; synthesis: PursuitOptions['synthesis'] },
): GraphIR {
  return buildChunk({ problem, shapes, threshold: o.threshold, momentum: o.momentum, options: { algorithm: 'ml-fista', lambdas: [], iterations: count, synthesis: o.synthesis } }, count);
}

function buildChunk(s: Setup, count: number): GraphIR {
  const K = s.problem.layers.length;
  const g = new GraphBuilder(`${s.momentum ? 'ml_fista' : 'ml_ista'}_${K}_chunk_${count}`);
  const m = declareModel(g, s);
  let gammaK = g.input(`gamma${K}`, 'float32', s.shapes[K]!);
  let z: Tensor = s.momentum ? g.input('z', 'float32', s.shapes[K]!) : gammaK;
  const momentum = s.momentum ? g.input('momentum', 'float32', [count]) : undefined;
  let ups: Tensor[] = [];
  let change: Tensor | undefined;
  for (let t = 0; t < count; t++) {
    // Down: down[i] = G_i for i = 1…K, down[0] = D_1G_1.
    const down: Tensor[] = new Array(K + 1);
    down[K] = z;
    for (let i = K; i >= 1; i--) down[i - 1] = m.layers[i - 1]!.synthesize(down[i]!, s.shapes[i - 1]!);
    ups = [];
    let below = m.y;
    for (let i = 1; i <= K; i++) {
      const l = m.layers[i - 1]!;
      const scaledGrad = analysis(g, g.sub(down[i - 1]!, below), l.scaledW, l.geo);
      below = applyThreshold(g, s.threshold, g.sub(down[i]!, scaledGrad), l.beta);
      ups.push(below);
    }
    const next = ups[K - 1]!;
    if (t === count - 1) change = g.div(g.sqrt(g.sumSquares(g.sub(next, gammaK))), g.max(g.sqrt(g.sumSquares(next)), 1e-30));
    z = momentum ? g.add(next, g.mul(g.sub(next, gammaK), g.slice(momentum, [t], [t + 1]))) : next;
    gammaK = next;
  }
  ups.forEach((u, i) => g.output(`gamma${i + 1}_out`, u));
  if (s.momentum) g.output('z_out', z);
  g.output('objective', g.reshape(objective(g, s, m, gammaK), [1]));
  g.output('change', change!);
  return g.toIR();
}

export async function multiLayerPursuit(runtime: Runtime, problem: PursuitProblem, options: PursuitOptions, momentum: boolean): Promise<PursuitResult> {
  const startedAt = performance.now();
  const algorithm = momentum ? 'ml-fista' : 'ml-ista';
  const shapes = validateProblem(problem, options);
  const steps = await stepSizes(runtime, problem, shapes, options.stepSizes);
  const s: Setup = { problem, shapes, threshold: options.threshold ?? 'soft', momentum, options };
  const K = problem.layers.length;
  const scalar = (v: number) => hostTensor([], Float32Array.of(v));
  const modelFeeds: Record<string, HostTensor> = { y: problem.signal };
  problem.layers.forEach((l, i) => {
    modelFeeds[`w${i + 1}`] = l.weights;
    modelFeeds[`step${i + 1}`] = scalar(steps[i]!);
    modelFeeds[`beta${i + 1}`] = scalar(steps[i]! * options.lambdas[i]!);
    modelFeeds[`lambda${i + 1}`] = scalar(options.lambdas[i]!);
  });

  const forward = await runtime.run(buildForwardPass(s), modelFeeds);
  const initialCodes = problem.layers.map((_, i) => forward.outputs[`gamma${i + 1}`]!);
  const initialObjective = (forward.outputs.objective!.data as Float32Array)[0]!;
  // The forward pass is iteration 0: reporting it lets charts show how far the iterations move from the CNN.
  options.onProgress?.({ algorithm, iteration: 0, totalIterations: options.iterations, layer: K, objective: initialObjective, relativeChange: 1, seconds: (performance.now() - startedAt) / 1000, codes: initialCodes });
  const graphs = new Map<number, GraphIR>();
  const run = await iterate<MultiLayerState>(
    { codes: initialCodes, z: initialCodes[K - 1]! },
    {
      algorithm,
      layer: K,
      iterations: options.iterations,
      chunk: options.chunk ?? defaultChunk(shapes.slice(1).reduce((sum, sh) => sum + sh.reduce((a, b) => a * b, 1), 0), 5),
      tol: options.tol ?? 0,
      startedAt,
      signal: options.signal,
      onProgress: options.onProgress,
      codesOf: (state) => state.codes,
      runChunk: async (state, first, count) => {
        let graph = graphs.get(count);
        if (!graph) graphs.set(count, (graph = buildChunk(s, count)));
        const feeds: Record<string, HostTensor> = { ...modelFeeds, [`gamma${K}`]: state.codes[K - 1]! };
        if (momentum) {
          feeds.z = state.z;
          feeds.momentum = hostTensor([count], fistaMomentum(first, count));
        }
        const r = await runtime.run(graph, feeds);
        const codes = problem.layers.map((_, i) => r.outputs[`gamma${i + 1}_out`]!);
        return {
          state: { codes, z: momentum ? r.outputs.z_out! : codes[K - 1]! },
          objectives: [(r.outputs.objective!.data as Float32Array)[0]!],
          objectiveIterations: [count],
          relativeChange: (r.outputs.change!.data as Float32Array)[0]!,
          provider: r.provider,
        };
      },
    },
  );
  const provider: ProviderName = run.provider ?? forward.provider;
  const { reports } = await layerReports(runtime, problem, run.state.codes, options.lambdas, options.synthesis, steps);
  return {
    algorithm,
    provider,
    codes: run.state.codes,
    history: [{ iteration: 0, objective: initialObjective, seconds: 0, layer: K }, ...run.history],
    layers: reports,
    iterations: run.iterations,
    stopReason: options.iterations === 0 ? 'single-pass' : run.stopReason,
    seconds: (performance.now() - startedAt) / 1000,
  };
}
