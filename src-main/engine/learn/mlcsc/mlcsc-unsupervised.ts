/**
 * Unsupervised multi-layer convolutional dictionary learning: the online algorithm of Sulam, Papyan, Romano and
 * Elad, "Multi-Layer Convolutional Sparse Modeling: Pursuit and Dictionary Learning", IEEE TSP 2018
 * (SCIENCE.md, ML-CSC; only the abstract is in shared/sources, so the formulation below is the one the
 * project's brief fixes, and every choice the paper's text would settle is stated here instead).
 *
 * Model: X = D_1Γ_1, Γ_{i−1} = D_iΓ_i (i = 2…K), each D_i a convolutional dictionary W_i [m_i, m_{i−1}, k_i, k_i]
 * with stride s_i and zero padding p_i (default 0, the "valid" geometry of the paper's MNIST model, in which
 * 28×28 → 11×11 → 7×7 → 1×1 for 7×7 s2 / 5×5 / 7×7 filters). Objective, on a mini-batch Y:
 *
 *   F(W, Γ_K) = (1/B)·Σ_b [½‖y_b − D_1⋯D_KΓ_K^b‖² + λ‖Γ_K^b‖₁] + Σ_{i≥2} ζ_i‖W_i‖₁,
 *   with ‖W_i[j]‖₂ = 1 for every filter j of every layer (deeper layers: see "Normalisation").
 * The data and code terms are per-signal means over the mini-batch of B signals, so that λ keeps its meaning of
 * the single-signal pursuit and ζ_i means the same whatever the batch size. (The graphs compute batch sums, the
 * ½‖Y − D_1⋯D_KΓ_K‖² of the brief; the host divides them, their gradients and the block constants by B.)
 *
 * One step (`learnMlcscUnsupervised`):
 *  0. Mini-batch: B distinct indices drawn with the seeded generator of src-shared/math/random (mulberry32,
 *     counted so its state is (seed, draws)); with B ≥ N every signal is used, in order, and nothing is drawn.
 *  1. Pursuit — the projection approach of the paper: FISTA (Beck–Teboulle 2009) for
 *        min_Γ ½‖Y − D^{(K)}Γ‖² + λ‖Γ‖₁,  D^{(K)} = D_1⋯D_K,
 *     run by this module's own graph (`buildPursuitChunk`): D^{(K)}Γ is the chain of K ConvTransposes and
 *     D^{(K)ᵀ}R the chain of K Convs, so the effective dictionary is never formed. It is not ML-FISTA: ML-FISTA
 *     solves a different problem (ℓ1 on every intermediate code); here only Γ_K is penalised and the
 *     intermediate codes are then obtained exactly, Γ_{i−1} = D_iΓ_i, and are sparse only because the D_i are.
 *     Step 1/L with L = ‖D^{(K)}‖₂² by power iteration on D^{(K)}D^{(K)ᵀ} (one graph of a few unrolled
 *     iterations per step, warm-started from the previous step's vector, with a 5% margin since power iteration
 *     approaches L from below). FISTA starts from Γ = 0 on every mini-batch (a fixed number of iterations, no
 *     tolerance, so a step is a deterministic function of the state); `nonNegative` uses S⁺ instead of S.
 *  2. Dictionary update — one proximal gradient step on all W_i jointly, with Γ_K fixed:
 *        W_i⁺ = Π_i( S_{η_iζ_i}( W_i − η_i ∇_{W_i} ½‖Y − D_1⋯D_KΓ_K‖² ) ),
 *     the data term and every ∇_{W_i} from ONE graph (`buildGradientGraph`, reverse mode by graph/gradient.ts
 *     `addGradients`), the ℓ1 part as the soft threshold S (layers ≥ 2 only; ζ_1 = 0), Π_i the normalisation.
 *     Step sizes η_i = τ/L_i with L_i the Lipschitz constant of the data term's gradient in block W_i alone
 *     (the data term is quadratic in each W_i: ½‖Y − A_i W_i‖², L_i = ‖A_i‖₂²), estimated by a warm-started
 *     power iteration on A_iᵀA_i for all blocks in one graph (`buildBlockPowerGraph`: the gradient of
 *     Σ_i ½‖A_iV_i‖² with respect to the probes V_i). τ starts at `stepScale` (default 1) and is halved until the
 *     block-scaled sufficient-decrease condition of proximal gradient (Beck–Teboulle backtracking)
 *        f(W⁺) ≤ f(W) + ⟨∇f(W), W⁺ − W⟩ + Σ_i ‖W_i⁺ − W_i‖² / (2η_i)
 *     holds (f the data term). W⁺ is the global minimiser of the right-hand side plus ζ‖·‖₁ over the constraint
 *     set (the soft threshold followed by the sphere or ball projection is the exact prox; see
 *     `proximalFilterStep`), and W is feasible, so an accepted step never raises F on the mini-batch. If no τ
 *     passes within `maxBacktracks` halvings the dictionaries are kept. τ₀ > 1 is allowed (the test, not 1/L_i,
 *     decides): 1/L_i is the safe step along the block's steepest-curvature direction only, and on MNIST τ₀ = 2
 *     was always accepted and τ₀ = 8 mostly; a larger τ₀ makes the ℓ1 prox (threshold η_iζ_i per step) reach its
 *     sparse fixed point in fewer steps, at the price of noisier dictionaries, since each step fits one
 *     mini-batch. τ restarts from τ₀ at every step, so it is not part of the state.
 *
 * Normalisation: D_1's filters are projected onto the unit sphere after every step (the paper; SCIENCE.md's
 * convention). Deeper filters are, by default, also kept on the unit sphere, ‖W_i[j]‖₂ = 1 (`deepConstraint:
 * 'sphere'`): the scale of W_i is then fixed (without a bound, scaling W_K up and Γ_K down lowers λ‖Γ_K‖₁ for
 * free), the ℓ1 prox followed by the sphere projection is still the exact prox (see `proximalFilterStep`), and on a
 * unit-norm filter ζ‖W_i[j]‖₁ ≥ ζ, with equality for a 1-sparse filter, so the penalty buys sparsity, never a
 * smaller filter. `deepConstraint: 'ball'` (‖W_i[j]‖₂ ≤ 1, also an exact prox) lets the ℓ1 shrink whole filters
 * to zero instead: on MNIST this collapsed layer 2 (58 of 64 filters zero after 450 steps with ζ_2 = 0.05) — an
 * atom that few codes use gets little gradient, is shrunk, is used less, and dies. `'none'` leaves them unbounded.
 * Effective atoms (D^{(i)} columns) are not normalised in either case.
 *
 * Reporting: after every step `onStep` receives the loss F, the data term, λ‖Γ_K‖₁, Σζ_i‖W_i‖₁, the relative
 * error ‖Y − X̂‖/‖Y‖, the fraction of exact zeros of every W_i and of every Γ_i (Γ_i = D_{i+1}⋯D_KΓ_K computed
 * with the updated dictionaries, i.e. the state the step leaves; a code entry is zero when no non-zero filter
 * tap reaches it), the accepted step sizes and the seconds, together with the state to resume from.
 *
 * Resumability: the state after each step (all W_i, the step count, the generator as (seed, draws), the power
 * iteration vectors and estimates) is a plain value; passing it back as `state` continues exactly as an
 * uninterrupted run would (bit for bit with a fixed number of ONNX Runtime threads). The AbortSignal is checked
 * before every step and between FISTA chunks; an interrupted step is discarded and the state returned is the one
 * after the last completed step.
 */
import { CountingRandom, randn } from '../../../../src-shared/math/random';
import { GraphBuilder, type Tensor } from '../../graph/builder';
import { addGradients } from '../../graph/gradient';
import type { GraphIR, Shape } from '../../graph/ir';
import { analysis, modelShapes, randomDictionary, synthesizer, type LayerGeometry } from '../../ops/dictionary';
import { fistaMomentum } from '../../pursuit/driver';
import { hostTensor, type HostTensor, type Runtime } from '../../runtime/session';

// ---- configuration, state, statistics ---------------------------------------------------------------------------

export interface MlcscLayerConfig {
  /** Number of filters m_i. */
  readonly filters: number;
  /** Kernel size k_i (k_i × k_i; 1 × k_i for 1-D signals, H = 1). */
  readonly kernel: number;
  /** Stride s_i (default 1). */
  readonly stride?: number;
  /** Symmetric zero padding p_i of the analysis Conv (default 0). */
  readonly pad?: number;
}

/** Constraint on the filters of layers ≥ 2: the per-filter unit sphere (default), the unit ball, or none. */
export type DeepConstraint = 'sphere' | 'ball' | 'none';
export type MlcscStopReason = 'steps' | 'cancelled';

export interface MlcscOptions {
  /** The layers, first (closest to the signal) to deepest. */
  readonly layers: readonly MlcscLayerConfig[];
  /** ℓ1 weight λ of the deepest code Γ_K. */
  readonly lambda: number;
  /**
   * ℓ1 weights ζ_i of the filters of layers 2…K: one number for all, or an array of K − 1 values (layer 2
   * first). Default 0.
   */
  readonly zeta?: number | readonly number[];
  /** Total number of steps; a resumed run continues up to this count. */
  readonly steps: number;
  /** Signals per mini-batch (default min(16, N)); B ≥ N uses every signal every step. */
  readonly batchSize?: number;
  /** FISTA iterations of the pursuit per step (default 40). */
  readonly pursuitIterations?: number;
  /** FISTA iterations unrolled in one graph (default min(pursuitIterations, 20)). */
  readonly pursuitChunk?: number;
  /** Non-negative deepest code (S⁺ instead of S in FISTA). Default false. */
  readonly nonNegative?: boolean;
  /** Power iterations per step for ‖D^{(K)}‖² (default 10, rounded up to multiples of 5; 4× on the first step, which starts cold). */
  readonly powerIterations?: number;
  /** Power iterations per step for the block constants L_i (default 2; 8 on the first step). */
  readonly blockPowerIterations?: number;
  /** τ₀, the first trial of the step scale η_i = τ/L_i (default 1). */
  readonly stepScale?: number;
  /** Halvings of τ before a step is given up (default 12). */
  readonly maxBacktracks?: number;
  /** Normalisation of layers ≥ 2 (default 'sphere'). */
  readonly deepConstraint?: DeepConstraint;
  /** Seed of every random draw: initial dictionaries (seed + i for layer i), power vectors, mini-batches. Default 1. */
  readonly seed?: number;
  /** Initial dictionaries (projected onto the constraints); default seeded Gaussian, unit-norm filters. */
  readonly init?: readonly HostTensor[];
  /** Resume from a state returned (or passed to onStep) by an earlier call with the same signals and options. */
  readonly state?: MlcscState;
  /** Called after every completed step with its statistics and the state to resume from. */
  readonly onStep?: (stats: MlcscStepStats, state: MlcscState) => void;
  readonly signal?: AbortSignal;
}

export interface MlcscOptimizerState {
  /** Last estimate of ‖D^{(K)}‖₂² (0 before the first step). */
  readonly pursuitLipschitz: number;
  /** Unit power-iteration vector in signal space, [1, C, H, W]. */
  readonly pursuitVector?: HostTensor;
  /** Last estimates of the block constants L_i. */
  readonly blockLipschitz: readonly number[];
  /** Unit power-iteration vectors of the blocks, shaped like the W_i. */
  readonly blockVectors?: readonly HostTensor[];
}

export interface MlcscState {
  /** W_1 … W_K. */
  readonly weights: readonly HostTensor[];
  /** Completed steps. */
  readonly step: number;
  /** The mini-batch generator as (seed, values drawn so far): mulberry32 replayed that far. */
  readonly rng: { readonly seed: number; readonly draws: number };
  readonly optimizer: MlcscOptimizerState;
}

export interface MlcscStepStats {
  /** 1-based step. */
  readonly step: number;
  /** F = dataTerm + codeL1 + weightL1 after the dictionary update (per-signal means over the mini-batch). */
  readonly loss: number;
  /** ½‖Y − D_1⋯D_KΓ_K‖² / B after the update. */
  readonly dataTerm: number;
  /** λ‖Γ_K‖₁ / B. */
  readonly codeL1: number;
  /** Σ_{i≥2} ζ_i‖W_i‖₁ after the update. */
  readonly weightL1: number;
  /** ‖Y − X̂‖₂ / ‖Y‖₂ after the update. */
  readonly relativeError: number;
  /** The pursuit's objective (½‖Y − D^{(K)}Γ_K‖² + λ‖Γ_K‖₁) / B before the update. */
  readonly codingObjective: number;
  /** Fraction of exact zeros of W_1 … W_K. */
  readonly weightSparsity: number[];
  /** Fraction of exact zeros of Γ_1 … Γ_K (Γ_{i−1} = D_iΓ_i with the updated dictionaries). */
  readonly codeSparsity: number[];
  /** Mean number of non-zeros per signal of Γ_1 … Γ_K. */
  readonly codeNnz: number[];
  /** Accepted η_i = τ/L_i (0 where a step was given up or L_i = 0). */
  readonly stepSizes: number[];
  /** The estimates L_i (of the per-signal mean data term) used this step. */
  readonly blockLipschitz: number[];
  /** ‖D^{(K)}‖₂² used by the pursuit (the power-iteration estimate, ×4 per restart). */
  readonly lipschitz: number;
  /** FISTA restarts with a larger L because the objective rose above F(0) (an under-estimated L). */
  readonly pursuitRestarts: number;
  /** Halvings of τ in this step. */
  readonly backtracks: number;
  /** Whether the dictionary step was accepted (false: no τ passed the test and the dictionaries were kept). */
  readonly accepted: boolean;
  readonly batchSize: number;
  /** Wall time of the step. */
  readonly seconds: number;
}

export interface MlcscResult {
  readonly weights: HostTensor[];
  /** Statistics of the steps run by this call. */
  readonly history: MlcscStepStats[];
  readonly state: MlcscState;
  readonly stopReason: MlcscStopReason;
  readonly seconds: number;
}

/** Raised for inputs the learner cannot use; the message names the field. */
export class MlcscInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MlcscInputError';
  }
}

/** Defaults, for callers that display them. */
export const MLCSC_DEFAULTS = {
  batchSize: 16,
  pursuitIterations: 40,
  pursuitChunk: 20,
  powerIterations: 10,
  blockPowerIterations: 2,
  stepScale: 1,
  maxBacktracks: 12,
  deepConstraint: 'sphere' as DeepConstraint,
  seed: 1,
} as const;

/** Power iteration approaches ‖D^{(K)}‖² from below: FISTA's step is 1/(1.05·L). */
export const PURSUIT_LIPSCHITZ_SAFETY = 1.05;
/** Restarts of the pursuit with a 4× larger L when FISTA diverges (see `Graphs.pursue`). */
const MAX_PURSUIT_RESTARTS = 8;
/** Relative float32 slack of the sufficient-decrease test. */
const DESCENT_SLACK = 1e-6;

// ---- geometry ------------------------------------------------------------------------------------------------------

/** The LayerGeometry of every layer for signals of `channels` channels (1-D signals when `oneDimensional`). */
export function layerGeometries(layers: readonly MlcscLayerConfig[], channels: number, oneDimensional = false): LayerGeometry[] {
  let c = channels;
  return layers.map((l) => {
    const geo: LayerGeometry = { weightShape: oneDimensional ? [l.filters, c, 1, l.kernel] : [l.filters, c, l.kernel, l.kernel], stride: l.stride ?? 1, pad: l.pad ?? 0 };
    c = l.filters;
    return geo;
  });
}

/** Geometry of the layers from the weights themselves (for states and initial dictionaries). */
function geometriesFromWeights(weights: readonly HostTensor[], layers: readonly MlcscLayerConfig[]): LayerGeometry[] {
  return weights.map((w, i) => ({ weightShape: w.shape, stride: layers[i]?.stride ?? 1, pad: layers[i]?.pad ?? 0 }));
}

const size = (shape: Shape) => shape.reduce((a, b) => a * b, 1);

// ---- graphs ----------------------------------------------------------------------------------------------------------

type Synth = (gamma: Tensor, outputShape: Shape) => Tensor;

interface Declared {
  readonly ws: Tensor[];
  readonly synth: Synth[];
}

function declareWeights(g: GraphBuilder, geos: readonly LayerGeometry[], prefix = 'w'): Declared {
  const ws = geos.map((geo, i) => g.input(`${prefix}${i + 1}`, 'float32', geo.weightShape));
  return { ws, synth: ws.map((w, i) => synthesizer(g, w, geos[i]!, 'conv-transpose')) };
}

/**
 * Pushes a code of layer `from` down to the signal: returns [X̂, Γ_1, …, Γ_from] with Γ_{i−1} = D_iΓ_i
 * (index i holds Γ_i; index 0 the signal estimate).
 */
function down(d: Declared, shapes: readonly Shape[], gamma: Tensor, from: number): Tensor[] {
  const out: Tensor[] = new Array(from + 1);
  out[from] = gamma;
  for (let i = from; i >= 1; i--) out[i - 1] = d.synth[i - 1]!(out[i]!, shapes[i - 1]!);
  return out;
}

/** D^{(K)ᵀ}x: the chain of K analysis Convs. */
function up(g: GraphBuilder, d: Declared, geos: readonly LayerGeometry[], x: Tensor): Tensor {
  let v = x;
  geos.forEach((geo, i) => (v = analysis(g, v, d.ws[i]!, geo)));
  return v;
}

function zeroCount(g: GraphBuilder, x: Tensor): Tensor {
  return g.reduceSum(g.cast(g.equal(x, 0), 'float32'));
}

/**
 * The loss-and-gradient graph of the dictionary step. Inputs: y [B, C, H, W], gamma (Γ_K) and w1…wK. Outputs:
 * `data` = ½‖y − D_1⋯D_KΓ_K‖², `grad_w{i}` = ∂data/∂W_i (reverse mode, one graph), and `zeros_gamma{i}`, the
 * number of exact zeros of each Γ_i = D_{i+1}⋯D_KΓ_K.
 */
export function buildGradientGraph(signalShape: Shape, geos: readonly LayerGeometry[]): GraphBuilder {
  const shapes = modelShapes(signalShape, geos);
  const K = geos.length;
  const g = new GraphBuilder(`mlcsc_gradient_${K}`);
  const y = g.input('y', 'float32', signalShape);
  const gamma = g.input('gamma', 'float32', shapes[K]!);
  const d = declareWeights(g, geos);
  const codes = down(d, shapes, gamma, K);
  const data = g.mul(g.sumSquares(g.sub(codes[0]!, y)), 0.5);
  const grads = addGradients(g, data, d.ws);
  g.output('data', data);
  grads.forEach((gw, i) => g.output(`grad_w${i + 1}`, gw));
  for (let i = 1; i <= K; i++) g.output(`zeros_gamma${i}`, zeroCount(g, codes[i]!));
  return g;
}

/** The data term alone (the backtracking trials): outputs `data`, `energy` = ‖y‖², `zeros_gamma{i}`. */
export function buildLossGraph(signalShape: Shape, geos: readonly LayerGeometry[]): GraphBuilder {
  const shapes = modelShapes(signalShape, geos);
  const K = geos.length;
  const g = new GraphBuilder(`mlcsc_loss_${K}`);
  const y = g.input('y', 'float32', signalShape);
  const gamma = g.input('gamma', 'float32', shapes[K]!);
  const d = declareWeights(g, geos);
  const codes = down(d, shapes, gamma, K);
  g.output('data', g.mul(g.sumSquares(g.sub(codes[0]!, y)), 0.5));
  g.output('energy', g.sumSquares(y));
  for (let i = 1; i <= K; i++) g.output(`zeros_gamma${i}`, zeroCount(g, codes[i]!));
  return g;
}

/** Γ_{i−1} = D_iΓ_i from Γ_K: inputs gamma, w1…wK; outputs gamma1…gamma{K−1} (K ≥ 2) and `signal` = D^{(K)}Γ_K. */
export function buildDownGraph(signalShape: Shape, geos: readonly LayerGeometry[]): GraphBuilder {
  const shapes = modelShapes(signalShape, geos);
  const K = geos.length;
  const g = new GraphBuilder(`mlcsc_down_${K}`);
  const gamma = g.input('gamma', 'float32', shapes[K]!);
  const codes = down(declareWeights(g, geos), shapes, gamma, K);
  for (let i = 1; i < K; i++) g.output(`gamma${i}`, codes[i]!);
  g.output('signal', codes[0]!);
  return g;
}

/**
 * `count` FISTA iterations on min ½‖y − D^{(K)}Γ‖² + λ‖Γ‖₁, unrolled. Inputs: y, w1…wK, gamma, z (the
 * extrapolated point), momentum [count] (the coefficients (t_k − 1)/t_{k+1}), step (1/L), beta (λ/L), lambda.
 * Outputs: gamma_out, z_out, objective (of gamma_out).
 */
export function buildPursuitChunk(signalShape: Shape, geos: readonly LayerGeometry[], count: number, nonNegative: boolean): GraphBuilder {
  const shapes = modelShapes(signalShape, geos);
  const K = geos.length;
  const g = new GraphBuilder(`mlcsc_fista_${K}_${count}${nonNegative ? '_nn' : ''}`);
  const y = g.input('y', 'float32', signalShape);
  const d = declareWeights(g, geos);
  let gamma = g.input('gamma', 'float32', shapes[K]!);
  let z = g.input('z', 'float32', shapes[K]!);
  const momentum = g.input('momentum', 'float32', [count]);
  const step = g.input('step', 'float32', []);
  const beta = g.input('beta', 'float32', []);
  const lambda = g.input('lambda', 'float32', []);
  for (let t = 0; t < count; t++) {
    const residual = g.sub(down(d, shapes, z, K)[0]!, y);
    const moved = g.sub(z, g.mul(up(g, d, geos, residual), step));
    const next = nonNegative ? g.softThresholdNonNegative(moved, beta) : g.softThreshold(moved, beta);
    z = g.add(next, g.mul(g.sub(next, gamma), g.slice(momentum, [t], [t + 1])));
    gamma = next;
  }
  g.output('gamma_out', gamma);
  g.output('z_out', z);
  const data = g.mul(g.sumSquares(g.sub(down(d, shapes, gamma, K)[0]!, y)), 0.5);
  g.output('objective', g.add(data, g.mul(g.sumAbs(gamma), lambda)));
  return g;
}

/** `count` power iterations v ← D^{(K)}D^{(K)ᵀ}v/‖·‖ on one signal; outputs v_next and norm (‖D D^ᵀ v‖ for the last unit v). */
export function buildEffectivePowerGraph(signalShape: Shape, geos: readonly LayerGeometry[], count: number): GraphBuilder {
  const one = [1, ...signalShape.slice(1)];
  const shapes = modelShapes(one, geos);
  const K = geos.length;
  const g = new GraphBuilder(`mlcsc_power_${K}_${count}`);
  let v = g.input('v', 'float32', one);
  const d = declareWeights(g, geos);
  let norm: Tensor | undefined;
  for (let t = 0; t < count; t++) {
    const u = down(d, shapes, up(g, d, geos, v), K)[0]!;
    norm = g.sqrt(g.sumSquares(u));
    v = g.div(u, g.max(norm, 1e-30));
  }
  g.output('v_next', v);
  g.output('norm', norm!);
  return g;
}

/**
 * Block power iteration for the dictionary step: with Γ_K and W fixed, A_i: V ↦ D_1⋯D_{i−1}·ConvT(Γ_i, V) is the
 * (linear) map of block i, Γ_i = D_{i+1}⋯D_KΓ_K. The graph outputs `u{i}` = A_iᵀA_iV_i for probes v1…vK, the
 * gradient of Σ_i ½‖A_iV_i‖² with respect to V_i (each term depends on its own probe only).
 */
export function buildBlockPowerGraph(signalShape: Shape, geos: readonly LayerGeometry[]): GraphBuilder {
  const shapes = modelShapes(signalShape, geos);
  const K = geos.length;
  const g = new GraphBuilder(`mlcsc_block_power_${K}`);
  const gamma = g.input('gamma', 'float32', shapes[K]!);
  const d = declareWeights(g, geos);
  const probes = declareWeights(g, geos, 'v');
  const codes = down(d, shapes, gamma, K);
  let total: Tensor | undefined;
  for (let i = 1; i <= K; i++) {
    let x = probes.synth[i - 1]!(codes[i]!, shapes[i - 1]!);
    for (let j = i - 1; j >= 1; j--) x = d.synth[j - 1]!(x, shapes[j - 1]!);
    const term = g.mul(g.sumSquares(x), 0.5);
    total = total ? g.add(total, term) : term;
  }
  const grads = addGradients(g, total!, probes.ws);
  grads.forEach((u, i) => g.output(`u${i + 1}`, u));
  return g;
}

// ---- host helpers ------------------------------------------------------------------------------------------------------


/** Items `indices` of a [N, ...] tensor as a new [k, ...] tensor. */
function gather(t: HostTensor, indices: readonly number[]): HostTensor {
  const per = t.data.length / t.shape[0]!;
  const src = t.data as Float32Array;
  const out = new Float32Array(indices.length * per);
  indices.forEach((i, k) => out.set(src.subarray(i * per, (i + 1) * per), k * per));
  return hostTensor([indices.length, ...t.shape.slice(1)], out);
}

function norm2(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return Math.sqrt(s);
}

function unit(a: Float32Array): Float32Array {
  const n = norm2(a);
  return n > 0 ? a.map((v) => v / n) : a.slice();
}

/** Fraction of exact zeros. */
export function zeroFraction(a: ArrayLike<number>): number {
  let z = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === 0) z++;
  return a.length ? z / a.length : 0;
}

function l1(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]!);
  return s;
}

export type FilterConstraint = 'sphere' | 'ball' | 'none';

/**
 * The exact proximal map of η(ζ‖·‖₁ + ι_C) at w − η·grad, filter by filter: the soft threshold S (threshold ηζ;
 * 0: none), then the projection onto C — the unit sphere, the unit ball, or nothing. Both compositions are exact:
 * for the ball, the solution of min ½‖x − v‖² + t‖x‖₁ s.t. ‖x‖ ≤ 1 is S_t(v)/max(1, ‖S_t(v)‖) (x keeps the signs
 * and support of S_t(v), so the ℓ1 subgradient is unchanged by the scaling); on the sphere ½‖x − v‖² = const −
 * ⟨x, v⟩, and max ⟨x, v⟩ − t‖x‖₁ over unit x is attained at S_t(v)/‖S_t(v)‖, or — when the threshold removes the
 * whole filter — at the 1-sparse ±e_j on the largest |v_j| (so a sphere filter never dies). A filter that is zero
 * before thresholding (v = 0) stays zero.
 */
export function proximalFilterStep(w: Float32Array, grad: Float32Array, eta: number, threshold: number, m: number, constraint: FilterConstraint): Float32Array {
  const raw = new Float32Array(w.length);
  const out = new Float32Array(w.length);
  for (let t = 0; t < w.length; t++) {
    const v = w[t]! - eta * grad[t]!;
    raw[t] = v;
    out[t] = threshold > 0 ? (v > threshold ? v - threshold : v < -threshold ? v + threshold : 0) : v;
  }
  if (constraint === 'none') return out;
  const per = w.length / m;
  for (let j = 0; j < m; j++) {
    let s = 0;
    for (let t = j * per; t < (j + 1) * per; t++) s += out[t]! * out[t]!;
    const n = Math.sqrt(s);
    if (constraint === 'sphere' && n === 0) {
      let best = -1;
      for (let t = j * per; t < (j + 1) * per; t++) if (raw[t] !== 0 && (best < 0 || Math.abs(raw[t]!) > Math.abs(raw[best]!))) best = t;
      if (best >= 0) out[best] = Math.sign(raw[best]!);
      continue;
    }
    const scale = constraint === 'sphere' ? 1 / n : n > 1 ? 1 / n : 1;
    if (scale !== 1) for (let t = j * per; t < (j + 1) * per; t++) out[t] = out[t]! * scale;
  }
  return out;
}

// ---- the learner ----------------------------------------------------------------------------------------------------

interface Resolved extends GraphConfig {
  readonly batch: number;
  readonly zeta: number[];
  readonly powerIterations: number;
  readonly blockPowerIterations: number;
  readonly stepScale: number;
  readonly maxBacktracks: number;
  readonly constraints: FilterConstraint[];
  readonly seed: number;
}

function resolve(signals: HostTensor, o: MlcscOptions): Resolved {
  if (signals.dtype !== 'float32' || signals.shape.length !== 4) throw new MlcscInputError(`signals must be float32 [N, C, H, W], got ${signals.dtype}[${signals.shape.join(', ')}]`);
  const [n, c, h] = signals.shape as [number, number, number, number];
  if (n < 1) throw new MlcscInputError('signals: at least one signal is needed');
  const data = signals.data as Float32Array;
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) throw new MlcscInputError(`signals contain ${data[i]} at flat index ${i}: remove NaN/Inf first`);
  const positive = (v: number, what: string) => {
    if (!Number.isInteger(v) || v < 1) throw new MlcscInputError(`${what} must be a positive integer, got ${v}`);
  };
  const K = o.layers.length;
  if (K < 1) throw new MlcscInputError('layers: at least one layer is needed');
  o.layers.forEach((l, i) => {
    positive(l.filters, `layers[${i}].filters`);
    positive(l.kernel, `layers[${i}].kernel`);
    positive(l.stride ?? 1, `layers[${i}].stride`);
    if (!Number.isInteger(l.pad ?? 0) || (l.pad ?? 0) < 0) throw new MlcscInputError(`layers[${i}].pad must be a non-negative integer, got ${l.pad}`);
  });
  const given = o.state?.weights ?? o.init;
  let geos: LayerGeometry[];
  if (given) {
    if (given.length !== K) throw new MlcscInputError(`${given.length} dictionaries given for ${K} layers`);
    geos = geometriesFromWeights(given, o.layers);
    const expected = layerGeometries(o.layers, c, h === 1);
    geos.forEach((geo, i) => {
      if (geo.weightShape.join() !== expected[i]!.weightShape.join()) throw new MlcscInputError(`dictionary ${i + 1} is [${geo.weightShape.join(', ')}] but layers[${i}] needs [${expected[i]!.weightShape.join(', ')}]`);
    });
  } else geos = layerGeometries(o.layers, c, h === 1);
  const batch = Math.min(o.batchSize ?? MLCSC_DEFAULTS.batchSize, n);
  positive(batch, 'batchSize');
  const batchShape = [batch, ...signals.shape.slice(1)];
  let shapes: number[][];
  try {
    shapes = modelShapes(batchShape, geos);
  } catch (err) {
    throw new MlcscInputError(`the layers do not chain on ${signals.shape.slice(1).join('×')} signals: ${(err as Error).message}`);
  }
  shapes.forEach((s, i) => {
    if (s.some((d) => d < 1)) throw new MlcscInputError(`layer ${i} leaves an empty code [${s.join(', ')}]: kernels too large for the signal`);
  });
  if (!Number.isFinite(o.lambda) || o.lambda < 0) throw new MlcscInputError(`lambda must be a finite non-negative number, got ${o.lambda}`);
  const zetaIn = o.zeta ?? 0;
  const deep = typeof zetaIn === 'number' ? Array<number>(K - 1).fill(zetaIn) : [...zetaIn];
  if (deep.length !== K - 1) throw new MlcscInputError(`zeta needs ${K - 1} value(s) (layers 2…${K}), got ${deep.length}`);
  deep.forEach((z, i) => {
    if (!Number.isFinite(z) || z < 0) throw new MlcscInputError(`zeta for layer ${i + 2} must be a finite non-negative number, got ${z}`);
  });
  if (!Number.isInteger(o.steps) || o.steps < 0) throw new MlcscInputError(`steps must be a non-negative integer, got ${o.steps}`);
  const pursuitIterations = o.pursuitIterations ?? MLCSC_DEFAULTS.pursuitIterations;
  positive(pursuitIterations, 'pursuitIterations');
  const pursuitChunk = Math.min(o.pursuitChunk ?? MLCSC_DEFAULTS.pursuitChunk, pursuitIterations);
  positive(pursuitChunk, 'pursuitChunk');
  const powerIterations = o.powerIterations ?? MLCSC_DEFAULTS.powerIterations;
  positive(powerIterations, 'powerIterations');
  const blockPowerIterations = o.blockPowerIterations ?? MLCSC_DEFAULTS.blockPowerIterations;
  positive(blockPowerIterations, 'blockPowerIterations');
  const stepScale = o.stepScale ?? MLCSC_DEFAULTS.stepScale;
  if (!(stepScale > 0 && Number.isFinite(stepScale))) throw new MlcscInputError(`stepScale must be a positive number, got ${stepScale}`);
  const maxBacktracks = o.maxBacktracks ?? MLCSC_DEFAULTS.maxBacktracks;
  if (!Number.isInteger(maxBacktracks) || maxBacktracks < 0) throw new MlcscInputError(`maxBacktracks must be a non-negative integer, got ${maxBacktracks}`);
  const deepConstraint = o.deepConstraint ?? MLCSC_DEFAULTS.deepConstraint;
  return {
    geos,
    shapes,
    batchShape,
    batch,
    lambda: o.lambda,
    zeta: [0, ...deep],
    pursuitIterations,
    pursuitChunk,
    nonNegative: o.nonNegative ?? false,
    powerIterations,
    blockPowerIterations,
    stepScale,
    maxBacktracks,
    constraints: geos.map((_, i) => (i === 0 ? 'sphere' : deepConstraint)),
    seed: o.seed ?? MLCSC_DEFAULTS.seed,
  };
}

/** Initial dictionaries: `init` projected onto the constraints, or seeded Gaussian unit-norm filters (seed + i for layer i). */
export function initialDictionaries(geos: readonly LayerGeometry[], seed: number, constraints?: readonly FilterConstraint[], init?: readonly HostTensor[]): HostTensor[] {
  return geos.map((geo, i) => {
    const m = geo.weightShape[0]!;
    if (init) {
      const w = init[i]!.data as Float32Array;
      return hostTensor(geo.weightShape, proximalFilterStep(w, new Float32Array(w.length), 0, 0, m, constraints?.[i] ?? 'sphere'));
    }
    return randomDictionary(geo.weightShape, (seed + i) >>> 0);
  });
}

function initialState(o: MlcscOptions, r: Resolved): MlcscState {
  return {
    weights: initialDictionaries(r.geos, r.seed, r.constraints, o.init),
    step: 0,
    rng: { seed: r.seed, draws: 0 },
    optimizer: { pursuitLipschitz: 0, blockLipschitz: r.geos.map(() => 0) },
  };
}

function checkState(s: MlcscState, r: Resolved): void {
  if (!Number.isInteger(s.step) || s.step < 0) throw new MlcscInputError(`state.step must be a non-negative integer, got ${s.step}`);
  s.weights.forEach((w, i) => {
    if (w.shape.join() !== r.geos[i]!.weightShape.join()) throw new MlcscInputError(`state.weights[${i}] is [${w.shape.join(', ')}], expected [${r.geos[i]!.weightShape.join(', ')}]`);
  });
  if (s.optimizer.blockLipschitz.length !== r.geos.length) throw new MlcscInputError(`state.optimizer.blockLipschitz needs ${r.geos.length} values`);
}

interface PursuitOutcome {
  readonly gamma: HostTensor;
  /** ½‖Y − D^{(K)}Γ_K‖² + λ‖Γ_K‖₁ (batch sum). */
  readonly objective: number;
  /** The L of the step 1/(1.05·L) that was used (the estimate, times 4 per restart). */
  readonly lipschitz: number;
  readonly restarts: number;
}

interface LossOutcome {
  readonly data: number;
  readonly energy: number;
  /** Exact zeros of Γ_1 … Γ_K. */
  readonly zeros: number[];
}

const scalar = (v: number) => hostTensor([], Float32Array.of(v));
const first = (t: HostTensor) => Number((t.data as Float32Array)[0]);

/** What the graphs of a run depend on. */
interface GraphConfig {
  readonly geos: LayerGeometry[];
  readonly shapes: number[][];
  readonly batchShape: number[];
  readonly lambda: number;
  readonly pursuitIterations: number;
  readonly pursuitChunk: number;
  readonly nonNegative: boolean;
}

/**
 * Graphs by kind and geometry, shared across calls: a caller that runs one step per call (the session adapter)
 * gets the same GraphIR objects every time, so the runtime finds its sessions without re-emitting the graphs.
 * Least recently used entries beyond `GRAPH_CACHE_LIMIT` are dropped.
 */
const graphCache = new Map<string, GraphIR>();
const GRAPH_CACHE_LIMIT = 48;

function cachedGraph(kind: string, r: GraphConfig, build: () => GraphBuilder): GraphIR {
  const key = `${kind}|${r.batchShape.join(',')}|${r.geos.map((g) => `${g.weightShape.join(',')}/${g.stride}/${g.pad}`).join(';')}`;
  let graph = graphCache.get(key);
  if (graph) graphCache.delete(key);
  else graph = build().toIR();
  graphCache.set(key, graph);
  if (graphCache.size > GRAPH_CACHE_LIMIT) graphCache.delete(graphCache.keys().next().value as string);
  return graph;
}

/** The graph runs of a learner or pursuit call. */
class Graphs {
  private static readonly POWER_CHUNK = 5;

  constructor(
    private readonly runtime: Runtime,
    private readonly r: GraphConfig,
  ) {}

  private weightFeeds(weights: readonly HostTensor[], prefix = 'w'): Record<string, HostTensor> {
    const f: Record<string, HostTensor> = {};
    weights.forEach((w, i) => (f[`${prefix}${i + 1}`] = w));
    return f;
  }

  /** ‖D^{(K)}‖₂² by `iterations` warm-started power iterations (rounded up to whole chunks). */
  async effectiveLipschitz(weights: readonly HostTensor[], start: HostTensor, iterations: number): Promise<{ value: number; vector: HostTensor }> {
    const powerGraph = cachedGraph(`power|${Graphs.POWER_CHUNK}`, this.r, () => buildEffectivePowerGraph(this.r.batchShape, this.r.geos, Graphs.POWER_CHUNK));
    let v = start;
    let value = 0;
    for (let done = 0; done < iterations; done += Graphs.POWER_CHUNK) {
      const out = await this.runtime.run(powerGraph, { v, ...this.weightFeeds(weights) });
      v = out.outputs.v_next!;
      value = first(out.outputs.norm!);
    }
    return { value, vector: v };
  }

  /**
   * FISTA from Γ = 0 with step 1/(1.05·L); null when cancelled between chunks. Safeguard: an objective above
   * F(0) = ½‖Y‖² (or not finite) after a chunk means L was under-estimated (the warm-started power iteration
   * lags behind a large dictionary change) and FISTA is diverging, so L is multiplied by 4 and FISTA restarted
   * from Γ = 0, at most `MAX_PURSUIT_RESTARTS` times. Returns the L actually used and the number of restarts.
   */
  async pursue(y: HostTensor, weights: readonly HostTensor[], lipschitz: number, signal?: AbortSignal): Promise<PursuitOutcome | null> {
    const K = this.r.geos.length;
    const codeShape = this.r.shapes[K]!;
    const yd = y.data as Float32Array;
    let f0 = 0;
    for (let i = 0; i < yd.length; i++) f0 += yd[i]! * yd[i]!;
    f0 *= 0.5;
    let L = lipschitz;
    for (let restarts = 0; ; restarts++) {
      const step = 1 / (PURSUIT_LIPSCHITZ_SAFETY * L);
      let gamma = hostTensor(codeShape, new Float32Array(size(codeShape)));
      let z = gamma;
      let objective = Number.NaN;
      let diverged = false;
      for (let done = 0; done < this.r.pursuitIterations; ) {
        if (done > 0 && signal?.aborted) return null;
        const count = Math.min(this.r.pursuitChunk, this.r.pursuitIterations - done);
        const graph = cachedGraph(`fista|${count}|${this.r.nonNegative}`, this.r, () => buildPursuitChunk(this.r.batchShape, this.r.geos, count, this.r.nonNegative));
        const out = await this.runtime.run(graph, {
          y,
          ...this.weightFeeds(weights),
          gamma,
          z,
          momentum: hostTensor([count], fistaMomentum(done, count)),
          step: scalar(step),
          beta: scalar(step * this.r.lambda),
          lambda: scalar(this.r.lambda),
        });
        gamma = out.outputs.gamma_out!;
        z = out.outputs.z_out!;
        objective = first(out.outputs.objective!);
        done += count;
        if (!(objective <= f0 * (1 + 1e-6) + 1e-30)) {
          diverged = true;
          break;
        }
      }
      if (!diverged) return { gamma, objective, lipschitz: L, restarts };
      if (restarts >= MAX_PURSUIT_RESTARTS) return { gamma, objective, lipschitz: L, restarts };
      L *= 4;
    }
  }

  async gradient(y: HostTensor, gamma: HostTensor, weights: readonly HostTensor[]): Promise<{ data: number; grads: Float32Array[] }> {
    const graph = cachedGraph('gradient', this.r, () => buildGradientGraph(this.r.batchShape, this.r.geos));
    const out = await this.runtime.run(graph, { y, gamma, ...this.weightFeeds(weights) });
    return { data: first(out.outputs.data!), grads: weights.map((_, i) => out.outputs[`grad_w${i + 1}`]!.data as Float32Array) };
  }

  async loss(y: HostTensor, gamma: HostTensor, weights: readonly HostTensor[]): Promise<LossOutcome> {
    const graph = cachedGraph('loss', this.r, () => buildLossGraph(this.r.batchShape, this.r.geos));
    const out = await this.runtime.run(graph, { y, gamma, ...this.weightFeeds(weights) });
    return { data: first(out.outputs.data!), energy: first(out.outputs.energy!), zeros: weights.map((_, i) => first(out.outputs[`zeros_gamma${i + 1}`]!)) };
  }

  async codes(gamma: HostTensor, weights: readonly HostTensor[]): Promise<HostTensor[]> {
    const graph = cachedGraph('down', this.r, () => buildDownGraph(this.r.batchShape, this.r.geos));
    const out = await this.runtime.run(graph, { gamma, ...this.weightFeeds(weights) });
    return weights.map((_, i) => (i === weights.length - 1 ? gamma : out.outputs[`gamma${i + 1}`]!));
  }

  /** L_i for every block by warm-started power iteration. */
  async blockLipschitz(gamma: HostTensor, weights: readonly HostTensor[], start: readonly HostTensor[], iterations: number): Promise<{ values: number[]; vectors: HostTensor[] }> {
    const blockGraph = cachedGraph('block', this.r, () => buildBlockPowerGraph(this.r.batchShape, this.r.geos));
    let vectors = start.map((v) => hostTensor(v.shape, unit(v.data as Float32Array)));
    let values = weights.map(() => 0);
    for (let t = 0; t < iterations; t++) {
      const out = await this.runtime.run(blockGraph, { gamma, ...this.weightFeeds(weights), ...this.weightFeeds(vectors, 'v') });
      const us = weights.map((_, i) => out.outputs[`u${i + 1}`]!.data as Float32Array);
      values = us.map((u) => norm2(u));
      // A block the codes do not reach (norm 0) keeps its probe.
      vectors = us.map((u, i) => (values[i]! > 0 ? hostTensor(weights[i]!.shape, unit(u)) : vectors[i]!));
    }
    return { values, vectors };
  }
}

/**
 * Learns the K dictionaries of an ML-CSC model from `signals` [N, C, H, W] (float32) by the online algorithm
 * described in the module comment. Returns the dictionaries, the statistics of the steps run and a state to
 * resume from.
 */
export async function learnMlcscUnsupervised(runtime: Runtime, signals: HostTensor, options: MlcscOptions): Promise<MlcscResult> {
  const started = performance.now();
  const r = resolve(signals, options);
  let state = options.state ?? initialState(options, r);
  checkState(state, r);
  const n = signals.shape[0]!;
  const graphs = new Graphs(runtime, r);
  const rng = new CountingRandom(state.rng.seed, state.rng.draws);
  const all = Array.from({ length: n }, (_, i) => i);
  const history: MlcscStepStats[] = [];
  let stopReason: MlcscStopReason = 'steps';

  while (state.step < options.steps) {
    if (options.signal?.aborted) {
      stopReason = 'cancelled';
      break;
    }
    const t0 = performance.now();
    const cold = state.optimizer.pursuitVector === undefined;
    // Mini-batch first, so that a resumed run draws the same one.
    const indices = r.batch >= n ? all : rng.sample(n, r.batch);
    const y = r.batch >= n ? signals : gather(signals, indices);
    const weights = state.weights;

    // (1) Pursuit of Γ_K against the effective dictionary.
    const pv = state.optimizer.pursuitVector ?? hostTensor([1, ...signals.shape.slice(1)], randn(size(signals.shape.slice(1)), (r.seed ^ 0x9e3779b9) >>> 0));
    const power = await graphs.effectiveLipschitz(weights, pv, cold ? 4 * r.powerIterations : r.powerIterations);
    if (!(power.value > 0) || !Number.isFinite(power.value)) throw new MlcscInputError(`step ${state.step + 1}: ‖D^(K)‖² is ${power.value}; the dictionaries are zero or not finite`);
    const pursuit = await graphs.pursue(y, weights, power.value, options.signal);
    if (!pursuit || options.signal?.aborted) {
      // The discarded step's draws are not kept: the state stays the one after the last completed step.
      stopReason = 'cancelled';
      break;
    }
    const gamma = pursuit.gamma;
    if (!Number.isFinite(pursuit.objective)) throw new MlcscInputError(`step ${state.step + 1}: the pursuit diverged (objective ${pursuit.objective}); check the signals for extreme values`);
    const gammaData = gamma.data as Float32Array;
    if (zeroFraction(gammaData) === 1) throw new MlcscInputError(`step ${state.step + 1}: every deepest code is zero: λ = ${r.lambda} is too large for these signals and dictionaries`);

    // (2) One proximal gradient step on every W_i.
    const current = await graphs.gradient(y, gamma, weights);
    const bv = state.optimizer.blockVectors ?? r.geos.map((geo, i) => hostTensor(geo.weightShape, randn(size(geo.weightShape), (r.seed + 0x85ebca6b + i) >>> 0)));
    const block = await graphs.blockLipschitz(gamma, weights, bv, state.optimizer.blockVectors ? r.blockPowerIterations : 4 * r.blockPowerIterations);
    // Per-signal means: f = data/B, ∇f = grads/B, and the block constants of f are L_i/B.
    const inv = 1 / r.batch;
    const f0 = current.data * inv;
    const grads = current.grads.map((gr) => gr.map((v) => v * inv));
    const blockL = block.values.map((L) => L * inv);
    const wData = weights.map((w) => w.data as Float32Array);
    const weightL1Of = (ws: readonly Float32Array[]) => ws.reduce((s, w, i) => s + r.zeta[i]! * l1(w), 0);
    let tau = r.stepScale;
    let backtracks = 0;
    let accepted = false;
    let next = weights;
    let after: LossOutcome | undefined;
    let etas = blockL.map(() => 0);
    for (;;) {
      etas = blockL.map((L) => (L > 0 ? tau / L : 0));
      const trial = wData.map((w, i) => proximalFilterStep(w, grads[i]!, etas[i]!, etas[i]! * r.zeta[i]!, r.geos[i]!.weightShape[0]!, r.constraints[i]!));
      // Quadratic model of the data term at the trial point (block curvature 1/η_i).
      let model = f0;
      trial.forEach((w, i) => {
        if (!(etas[i]! > 0)) return;
        const g = grads[i]!;
        const w0 = wData[i]!;
        let inner = 0;
        let sq = 0;
        for (let t = 0; t < w.length; t++) {
          const dlt = w[t]! - w0[t]!;
          inner += g[t]! * dlt;
          sq += dlt * dlt;
        }
        model += inner + sq / (2 * etas[i]!);
      });
      const trialWeights = trial.map((w, i) => hostTensor(r.geos[i]!.weightShape, w));
      const res = await graphs.loss(y, gamma, trialWeights);
      if (Number.isFinite(res.data) && res.data * inv <= model + DESCENT_SLACK * Math.abs(f0)) {
        next = trialWeights;
        after = res;
        accepted = true;
        break;
      }
      if (backtracks >= r.maxBacktracks) break;
      tau /= 2;
      backtracks++;
    }
    if (!after) {
      etas = etas.map(() => 0);
      after = await graphs.loss(y, gamma, weights);
    }
    const res = after;
    const nextData = next.map((w) => w.data as Float32Array);
    const weightL1 = weightL1Of(nextData);
    const codeL1 = r.lambda * l1(gammaData) * inv;
    const step = state.step + 1;
    const codeSizes = r.shapes.slice(1).map(size);
    const stats: MlcscStepStats = {
      step,
      loss: res.data * inv + codeL1 + weightL1,
      dataTerm: res.data * inv,
      codeL1,
      weightL1,
      relativeError: res.energy > 0 ? Math.sqrt((2 * res.data) / res.energy) : 0,
      codingObjective: pursuit.objective * inv,
      weightSparsity: nextData.map(zeroFraction),
      codeSparsity: res.zeros.map((z, i) => z / codeSizes[i]!),
      codeNnz: res.zeros.map((z, i) => (codeSizes[i]! - z) / r.batch),
      stepSizes: etas,
      blockLipschitz: blockL,
      lipschitz: pursuit.lipschitz,
      pursuitRestarts: pursuit.restarts,
      backtracks,
      accepted,
      batchSize: r.batch,
      seconds: (performance.now() - t0) / 1000,
    };
    state = {
      weights: next,
      step,
      rng: { seed: rng.seed, draws: rng.draws },
      optimizer: { pursuitLipschitz: power.value, pursuitVector: power.vector, blockLipschitz: blockL, blockVectors: block.vectors },
    };
    history.push(stats);
    options.onStep?.(stats, state);
  }
  return { weights: [...state.weights], history, state, stopReason, seconds: (performance.now() - started) / 1000 };
}

export interface ProjectionPursuitOptions {
  /** Strides and pads of the layers (kernel sizes and filter counts come from the weights). */
  readonly layers: readonly Pick<MlcscLayerConfig, 'stride' | 'pad'>[];
  readonly lambda: number;
  /** FISTA iterations (default 40). */
  readonly iterations?: number;
  readonly chunk?: number;
  readonly nonNegative?: boolean;
  /** Power iterations for ‖D^{(K)}‖² (default 50). */
  readonly powerIterations?: number;
  /** ‖D^{(K)}‖₂² if known (skips the power iteration; FISTA's divergence safeguard still applies). */
  readonly lipschitz?: number;
  readonly seed?: number;
}

export interface ProjectionPursuitResult {
  /** Γ_1 … Γ_K: Γ_K by FISTA against D^{(K)}, then Γ_{i−1} = D_iΓ_i. */
  readonly codes: HostTensor[];
  /** ½‖Y − D^{(K)}Γ_K‖² + λ‖Γ_K‖₁. */
  readonly objective: number;
  /** The L of the step 1/(1.05·L) used. */
  readonly lipschitz: number;
  /** FISTA restarts with a 4× larger L (divergence safeguard). */
  readonly restarts: number;
}

/**
 * The projection pursuit of the learner as a standalone operation on signals [B, C, H, W] with given dictionaries
 * (the same graphs the learner runs): FISTA for the deepest code against the effective dictionary, then the
 * intermediate codes exactly.
 */
export async function mlcscProjectionPursuit(runtime: Runtime, signals: HostTensor, weights: readonly HostTensor[], o: ProjectionPursuitOptions): Promise<ProjectionPursuitResult> {
  if (weights.length !== o.layers.length) throw new MlcscInputError(`${weights.length} dictionaries for ${o.layers.length} layers`);
  const geos = weights.map((w, i) => ({ weightShape: w.shape, stride: o.layers[i]!.stride ?? 1, pad: o.layers[i]!.pad ?? 0 }));
  if (signals.dtype !== 'float32' || signals.shape.length !== 4) throw new MlcscInputError(`signals must be float32 [B, C, H, W], got ${signals.dtype}[${signals.shape.join(', ')}]`);
  const shapes = modelShapes(signals.shape, geos);
  const iterations = o.iterations ?? MLCSC_DEFAULTS.pursuitIterations;
  const graphs = new Graphs(runtime, {
    geos,
    shapes,
    batchShape: [...signals.shape],
    lambda: o.lambda,
    pursuitIterations: iterations,
    pursuitChunk: Math.min(o.chunk ?? MLCSC_DEFAULTS.pursuitChunk, iterations),
    nonNegative: o.nonNegative ?? false,
  });
  const start = hostTensor([1, ...signals.shape.slice(1)], randn(size(signals.shape.slice(1)), ((o.seed ?? MLCSC_DEFAULTS.seed) ^ 0x9e3779b9) >>> 0));
  const L = o.lipschitz ?? (await graphs.effectiveLipschitz(weights, start, o.powerIterations ?? 50)).value;
  if (!(L > 0) || !Number.isFinite(L)) throw new MlcscInputError(`‖D^(K)‖² is ${L}; the dictionaries are zero or not finite`);
  const pursuit = await graphs.pursue(signals, weights, L);
  if (!pursuit) throw new Error('unreachable: the pursuit has no abort signal');
  return { codes: await graphs.codes(pursuit.gamma, weights), objective: pursuit.objective, lipschitz: pursuit.lipschitz, restarts: pursuit.restarts };
}
