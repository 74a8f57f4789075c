/**
 * Proximal gradient for single-layer convolutional BP, min ½‖Y − DΓ‖² + λ‖Γ‖₁ (SCIENCE.md, Sparseland):
 * Γ⁺ = S_{cλ}(Z − c·Dᵀ(DZ − Y)), with Z = Γ (ISTA) or the FISTA extrapolation (Beck–Teboulle 2009).
 *
 * Each iteration synthesises DΓ⁺ once; DZ follows by linearity, DZ⁺ = DΓ⁺ + m(DΓ⁺ − DΓ), so one Conv and one
 * synthesis per iteration give both the next gradient and the exact objective F(Γ⁺) at every iteration.
 * The state carried between chunks is (Γ, DΓ, Z, DZ, t, F).
 *
 * FISTA's t_k lives in the graph, so momentum can restart inside a chunk: with the function scheme of
 * O'Donoghue & Candès (2015, "Adaptive restart for accelerated gradient schemes"), when F(Γ⁺) > F(Γ) the
 * momentum is dropped and t reset to 1. The objective is already computed every iteration, so restart is free.
 */
import { GraphBuilder, type Tensor } from '../graph/builder';
import type { HostTensor, ProviderName, Runtime } from '../runtime/session';
import { hostTensor } from '../runtime/session';
import { synthesizer, type LayerGeometry, type SynthesisMode } from '../ops/dictionary';
import { analysis, applyThreshold, synthesis } from './common';
import type { ChunkOutcome } from './driver';
import type { ThresholdKind } from './types';

export interface ProxGradState {
  readonly gamma: HostTensor;
  readonly dGamma: HostTensor;
  readonly z: HostTensor;
  readonly dZ: HostTensor;
  /** FISTA's t_k. */
  readonly t: number;
  /** F(Γ) of the current iterate (∞ before the first step). */
  readonly objective: number;
}

export interface ProxGradSetup {
  readonly runtime: Runtime;
  readonly y: HostTensor;
  readonly weights: HostTensor;
  readonly layer: LayerGeometry;
  readonly codeShape: readonly number[];
  readonly lambda: number;
  readonly step: number;
  readonly threshold: ThresholdKind;
  readonly momentum: boolean;
  /** 1 where the signal is known, 0 where it is missing (inpainting); same shape as y. */
  readonly mask?: HostTensor;
  /** Adaptive restart of the momentum when the objective increases (FISTA only). */
  readonly restart?: boolean;
  readonly synthesisMode: SynthesisMode;
}

export function buildProxGradChunk(s: ProxGradSetup, count: number): GraphBuilder {
  const g = new GraphBuilder(`${s.momentum ? 'fista' : 'ista'}_chunk_${count}`);
  const y = g.input('y', 'float32', s.y.shape);
  // Inpainting: the data term ½‖M⊙(Y − DΓ)‖² sees only the known samples; ‖MD‖ ≤ ‖D‖, so 1/L stays a safe step.
  const mask = s.mask ? g.input('mask', 'float32', s.y.shape) : undefined;
  const masked = (r: Tensor) => (mask ? g.mul(r, mask) : r);
  const w = g.input('w', 'float32', s.weights.shape);
  let gamma = g.input('gamma', 'float32', s.codeShape);
  let dGamma = g.input('d_gamma', 'float32', s.y.shape);
  let z: Tensor = s.momentum ? g.input('z', 'float32', s.codeShape) : gamma;
  let dZ: Tensor = s.momentum ? g.input('d_z', 'float32', s.y.shape) : dGamma;
  let t: Tensor | undefined = s.momentum ? g.input('t', 'float32', []) : undefined;
  let previous: Tensor = g.input('objective', 'float32', []);
  const step = g.input('step', 'float32', []);
  const beta = g.input('beta', 'float32', []);
  const lambda = g.input('lambda', 'float32', []);
  const synthesize = synthesizer(g, w, s.layer, s.synthesisMode);
  // c·Dᵀr = Conv(r, c·W): scaling the small kernel once saves a pass over the code every iteration.
  const scaledW = g.mul(w, step);
  const objectives: Tensor[] = [];
  let change: Tensor | undefined;
  for (let it = 0; it < count; it++) {
    const scaledGrad = analysis(g, masked(g.sub(dZ, y)), scaledW, s.layer);
    const next = applyThreshold(g, s.threshold, g.sub(z, scaledGrad), beta);
    const dNext = synthesize(next, s.y.shape);
    const objective = g.add(g.mul(g.sumSquares(masked(g.sub(dNext, y))), 0.5), g.mul(g.sumAbs(next), lambda));
    objectives.push(g.reshape(objective, [1]));
    if (it === count - 1) change = g.div(g.sqrt(g.sumSquares(g.sub(next, gamma))), g.max(g.sqrt(g.sumSquares(next)), 1e-30));
    if (t) {
      // t⁺ = (1 + √(1 + 4t²))/2, momentum (t − 1)/t⁺ (Beck–Teboulle 2009).
      let tNext = g.mul(g.add(g.sqrt(g.add(g.mul(g.mul(t, t), 4), 1)), 1), 0.5);
      let m = g.div(g.sub(t, 1), tNext);
      if (s.restart) {
        const increased = g.greater(objective, previous);
        m = g.where(increased, 0, m);
        tNext = g.where(increased, 1, tNext);
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
    previous = objective;
  }
  g.output('gamma_out', gamma);
  g.output('d_gamma_out', dGamma);
  if (t) {
    g.output('z_out', z);
    g.output('d_z_out', dZ);
    g.output('t_out', t);
  }
  g.output('objectives', objectives.length === 1 ? objectives[0]! : g.concat(objectives, 0));
  g.output('change', change!);
  return g;
}

/** Synthesises DΓ₀ for a warm start (zero codes need no graph). */
export async function initialProxGradState(s: ProxGradSetup, initial?: HostTensor): Promise<ProxGradState> {
  const zeros = (shape: readonly number[]) => hostTensor(shape, new Float32Array(shape.reduce((a, b) => a * b, 1)));
  if (!initial) {
    const gamma = zeros(s.codeShape);
    const d = zeros(s.y.shape);
    return { gamma, dGamma: d, z: gamma, dZ: d, t: 1, objective: Infinity };
  }
  const g = new GraphBuilder('synthesis');
  const gamma = g.input('gamma', 'float32', s.codeShape);
  const w = g.input('w', 'float32', s.weights.shape);
  g.output('d_gamma', synthesis(g, gamma, w, s.layer, s.y.shape, s.synthesisMode));
  const r = await s.runtime.run(g.toIR(), { gamma: initial, w: s.weights });
  return { gamma: initial, dGamma: r.outputs.d_gamma!, z: initial, dZ: r.outputs.d_gamma!, t: 1, objective: Infinity };
}

export function proxGradChunkRunner(s: ProxGradSetup): (state: ProxGradState, first: number, count: number) => Promise<ChunkOutcome<ProxGradState>> {
  const graphs = new Map<number, ReturnType<GraphBuilder['toIR']>>();
  const scalar = (v: number) => hostTensor([], Float32Array.of(v));
  return async (state, _first, count) => {
    let graph = graphs.get(count);
    if (!graph) {
      graph = buildProxGradChunk(s, count).toIR();
      graphs.set(count, graph);
    }
    const feeds: Record<string, HostTensor> = {
      y: s.y,
      w: s.weights,
      gamma: state.gamma,
      d_gamma: state.dGamma,
      step: scalar(s.step),
      beta: scalar(s.step * s.lambda),
      lambda: scalar(s.lambda),
      objective: scalar(state.objective),
    };
    if (s.mask) feeds.mask = s.mask;
    if (s.momentum) {
      feeds.z = state.z;
      feeds.d_z = state.dZ;
      feeds.t = scalar(state.t);
    }
    const r = await s.runtime.run(graph, feeds);
    const o = r.outputs;
    const objectives = Array.from(o.objectives!.data as Float32Array);
    const objective = objectives[objectives.length - 1]!;
    const next: ProxGradState = s.momentum
      ? { gamma: o.gamma_out!, dGamma: o.d_gamma_out!, z: o.z_out!, dZ: o.d_z_out!, t: (o.t_out!.data as Float32Array)[0]!, objective }
      : { gamma: o.gamma_out!, dGamma: o.d_gamma_out!, z: o.gamma_out!, dZ: o.d_gamma_out!, t: 1, objective };
    const provider: ProviderName = r.provider;
    return { state: next, objectives, relativeChange: (o.change!.data as Float32Array)[0]!, provider };
  };
}
