/**
 * Graphs of the supervised unrolled networks (Sulam, Aberdam, Beck, Elad, TPAMI 2019; model.ts describes
 * the unrollings and variants). `buildPursuit` writes the unrolled pursuit and the classifier into any
 * builder, with the parameters given as tensors, so the same code serves the forward graph, the training
 * graph (parameters are graph inputs: one ONNX Runtime session serves every step) and the export (the
 * parameters are initializers).
 *
 * The dictionaries are written with the builder's Conv / ConvTranspose directly rather than through
 * ops/dictionary.ts: its LayerGeometry has no dilation, which MSD-CSC needs. The geometry convention is the
 * same (identical kernel, stride, pads, dilation; synthesis output shape pinned), so every pair is an
 * exact adjoint.
 */
import { GraphBuilder, type Tensor } from '../../graph/builder';
import { addGradients } from '../../graph/gradient';
import type { GraphIR } from '../../graph/ir';
import { parameterSpecs, resolveLayers, type ParameterSpec, type ResolvedLayer, type UnrolledModel } from './model';

/** Graph input holding the images, [B, C, H, W] float32. */
export const IMAGES = 'images';
/** Graph input holding one-hot labels, [B, classes] float32 (training graph). */
export const LABELS = 'labels';
/** Graph input holding the SDNet λ, a float32 scalar (variant 'sdnet' only). */
export const LAMBDA = 'lambda';
export const LOGITS = 'logits';
export const GAMMA_K = 'gamma_K';
export const LOSS = 'loss';
export const gradName = (param: string) => `grad_${param}`;

export interface PursuitTensors {
  readonly logits: Tensor;
  /** Γ_1 … Γ_K after the last iteration. */
  readonly codes: readonly Tensor[];
}

/** One layer's dictionary operators and threshold inside a graph. */
interface LayerOp {
  readonly layer: ResolvedLayer;
  /** c_i·D̃_iᵀx, with D̃_i = D_i, or B_i for ML-LISTA. */
  analysis(x: Tensor): Tensor;
  /** D_iΓ, shaped like the layer's input. */
  synthesis(gamma: Tensor): Tensor;
  /** The non-negative threshold T(x) = ReLU(x + b_i) (SDNet CSC layer: ReLU(x − c_1·λ)). */
  threshold(x: Tensor): Tensor;
}

function layerOp(g: GraphBuilder, model: UnrolledModel, layer: ResolvedLayer, p: Readonly<Record<string, Tensor>>, lambda: Tensor | undefined): LayerOp {
  const i = layer.index;
  const param = (name: string) => {
    const t = p[name];
    if (!t) throw new Error(`unrolled graph: parameter ${name} is missing`);
    return t;
  };
  const step = param(`c${i}`);
  let w = param(`W${i}`);
  if (layer.kind === 'csc') {
    // SDNet keeps atoms on the unit sphere so that λ keeps one meaning while D_1 learns: W/‖W[j]‖₂ in the graph.
    w = g.div(w, g.sqrt(g.add(g.reduceSumSquare(w, [1, 2, 3], true), 1e-12)));
  }
  const analysisW = model.options.variant === 'ml-lista' ? param(`B${i}`) : w;
  // c·Dᵀx = Conv(x, c·W): the step scales the small kernel once instead of every code.
  const scaled = g.mul(analysisW, step);
  const conv = { strides: layer.stride, pads: layer.pad, dilations: layer.dilation };
  const inSpatial = [layer.inShape[1], layer.inShape[2]];
  const filterConv = (x: Tensor) => g.conv(x, scaled, conv);
  const filterSynthesis = (v: Tensor) => g.convTranspose(v, w, { ...conv, outputShape: inSpatial });
  const threshold =
    layer.kind === 'csc'
      ? (x: Tensor) => g.relu(g.sub(x, g.mul(step, lambda!)))
      : (() => {
          const b = param(`b${i}`);
          return (x: Tensor) => g.relu(g.add(x, b));
        })();
  if (layer.kind !== 'msd') return { layer, analysis: filterConv, synthesis: filterSynthesis, threshold };
  // MSD-CSC, D_i = [I, F_iᵀ]: analysis [x; F_i x], synthesis U + F_iᵀV for the code [U; V].
  const c = layer.inShape[0];
  const total = layer.codeShape[0];
  return {
    layer,
    analysis: (x) => g.concat([g.mul(x, step), filterConv(x)], 1),
    synthesis: (gamma) => {
      const u = g.slice(gamma, [0], [c], [1]);
      const v = g.slice(gamma, [c], [total], [1]);
      return g.add(u, filterSynthesis(v));
    },
    threshold,
  };
}

/**
 * FISTA extrapolation weights μ_k = (t_k − 1)/t_{k+1}, t_1 = 1, t_{k+1} = (1 + √(1 + 4t_k²))/2
 * (Beck–Teboulle 2009), k = 1…T, so μ_1 = 0: Z^{k+1} = Γ^k + μ_k(Γ^k − Γ^{k−1}). A layer's FISTA (layered BP,
 * SDNet) starts at Γ = 0 and its first step is the thresholding step, as in pursuit/layered-bp.ts.
 */
export function fistaWeights(T: number): number[] {
  const out: number[] = [];
  let t = 1;
  for (let k = 0; k < T; k++) {
    const next = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
    out.push((t - 1) / next);
    t = next;
  }
  return out;
}

/**
 * Writes the unrolled pursuit and the classifier into `g`. `params` maps every name of `parameterSpecs`
 * to a tensor (graph input or initializer); `lambda` is required for SDNet.
 */
export function buildPursuit(g: GraphBuilder, model: UnrolledModel, params: Readonly<Record<string, Tensor>>, images: Tensor, lambda?: Tensor): PursuitTensors {
  const layers = resolveLayers(model);
  const batch = images.shape[0]!;
  const expected = [batch, model.input.channels, model.input.height, model.input.width];
  if (images.shape.join() !== expected.join()) throw new Error(`unrolled graph: images must be [${expected.join(', ')}], got [${images.shape.join(', ')}]`);
  if (model.options.variant === 'sdnet' && !lambda) throw new Error(`unrolled graph: variant 'sdnet' needs the λ tensor`);
  const ops = layers.map((l) => layerOp(g, model, l, params, lambda));
  const K = ops.length;
  const T = model.T;

  // The first step of a layer's pursuit, from 0 (layered thresholding) or, for Res-CSC, from Γ_{i−2}.
  const firstStep = (op: LayerOp, below: Tensor, codes: readonly Tensor[]): Tensor => {
    const from = op.layer.residualFrom;
    if (from === undefined) return op.threshold(op.analysis(below));
    const start = from === 0 ? images : codes[from - 1]!;
    return op.threshold(g.sub(start, op.analysis(g.sub(op.synthesis(start), below))));
  };
  // T FISTA steps on one layer, min ½‖X − D_iΓ‖² + λ_i‖Γ‖₁ (Γ ≥ 0), from the first step's estimate.
  const fistaLayer = (op: LayerOp, below: Tensor, start: Tensor): Tensor => {
    let gamma = start;
    let previous = start;
    for (const mu of fistaWeights(T)) {
      const z = mu === 0 ? gamma : g.add(gamma, g.mul(g.sub(gamma, previous), mu));
      const next = op.threshold(g.sub(z, op.analysis(g.sub(op.synthesis(z), below))));
      previous = gamma;
      gamma = next;
    }
    return gamma;
  };

  const codes: Tensor[] = [];
  let below = images;
  for (const op of ops) {
    let gamma = firstStep(op, below, codes);
    const solveLayer = model.unrolling === 'layered-bp' || op.layer.kind === 'csc';
    if (solveLayer && T > 0) gamma = fistaLayer(op, below, gamma);
    codes.push(gamma);
    below = gamma;
  }

  if ((model.unrolling === 'ml-ista' || model.unrolling === 'ml-fista') && T > 0) {
    // TPAMI 2019, Alg. 1 (ML-ISTA) / Alg. 2 (ML-FISTA) from the forward pass: down from Z (Γ_K or its
    // extrapolation), G_{i−1} = D_iG_i, then up, Γ_i = T(G_i − c_iD̃_iᵀ(D_iG_i − Γ_{i−1})), Γ_0 = Y.
    // D_iG_i is the down value G_{i−1} for i ≥ 2, so an iteration costs K syntheses and K analyses.
    // ML-FISTA starts FISTA at the forward pass (Z^1 = Γ_K^0, t_1 = 1), as pursuit/multi-layer.ts does, so
    // the first two iterations carry no momentum.
    const weights = model.unrolling === 'ml-fista' ? [0, ...fistaWeights(T - 1)] : new Array<number>(T).fill(0);
    let previousK = codes[K - 1]!;
    for (const mu of weights) {
      const gammaK = codes[K - 1]!;
      const z = mu === 0 ? gammaK : g.add(gammaK, g.mul(g.sub(gammaK, previousK), mu));
      const down: Tensor[] = new Array<Tensor>(K + 1);
      down[K] = z;
      for (let i = K; i >= 1; i--) down[i - 1] = ops[i - 1]!.synthesis(down[i]!);
      let up: Tensor = images;
      for (let i = 1; i <= K; i++) {
        const op = ops[i - 1]!;
        up = op.threshold(g.sub(down[i]!, op.analysis(g.sub(down[i - 1]!, up))));
        codes[i - 1] = up;
      }
      previousK = gammaK;
    }
  }

  const gammaK = codes[K - 1]!;
  const features = gammaK.shape.slice(1).reduce((a, b) => a * b, 1);
  const flat = g.reshape(gammaK, [batch, features]);
  const logits = g.gemm(flat, params.fc_w!, params.fc_b!);
  return { logits, codes };
}

function declareParameters(g: GraphBuilder, specs: readonly ParameterSpec[]): Record<string, Tensor> {
  return Object.fromEntries(specs.map((s) => [s.name, g.input(s.name, 'float32', s.shape)]));
}

export interface ForwardGraphOptions {
  /** Also output every code as gamma_1 … gamma_K (gamma_K is always an output). */
  readonly allCodes?: boolean;
}

/**
 * Inputs: `images` [B, C, H, W], every parameter by name, `lambda` (SDNet). Outputs: `logits` [B, classes],
 * `gamma_K` (and gamma_1 … with `allCodes`).
 */
export function buildForwardGraph(model: UnrolledModel, batch: number, o: ForwardGraphOptions = {}): GraphIR {
  const g = new GraphBuilder(`unrolled_${model.unrolling}_forward`);
  const images = g.input(IMAGES, 'float32', [batch, model.input.channels, model.input.height, model.input.width]);
  const params = declareParameters(g, parameterSpecs(model));
  const lambda = model.options.variant === 'sdnet' ? g.input(LAMBDA, 'float32', []) : undefined;
  const { logits, codes } = buildPursuit(g, model, params, images, lambda);
  g.output(LOGITS, logits);
  g.output(GAMMA_K, codes[codes.length - 1]!);
  if (o.allCodes) codes.slice(0, -1).forEach((c, i) => g.output(`gamma_${i + 1}`, c));
  return g.toIR();
}

export interface TrainingGraph {
  readonly graph: GraphIR;
  /** Trainable parameters, in order; the gradient of each is output `grad_<name>`. */
  readonly trainable: readonly string[];
}

/**
 * Forward + mean cross-entropy against one-hot `labels` + reverse mode (graph/gradient.ts) w.r.t. every
 * trainable parameter. Outputs `loss` (scalar), `logits`, and `grad_<name>` per trainable parameter.
 */
export function buildTrainingGraph(model: UnrolledModel, batch: number): TrainingGraph {
  const g = new GraphBuilder(`unrolled_${model.unrolling}_train`);
  const images = g.input(IMAGES, 'float32', [batch, model.input.channels, model.input.height, model.input.width]);
  const labels = g.input(LABELS, 'float32', [batch, model.classes]);
  const specs = parameterSpecs(model);
  const params = declareParameters(g, specs);
  const lambda = model.options.variant === 'sdnet' ? g.input(LAMBDA, 'float32', []) : undefined;
  const { logits } = buildPursuit(g, model, params, images, lambda);
  const loss = g.crossEntropy(logits, labels);
  const trainable = specs.filter((s) => s.trainable).map((s) => s.name);
  const grads = addGradients(
    g,
    loss,
    trainable.map((n) => params[n]!),
  );
  g.output(LOSS, loss);
  g.output(LOGITS, logits);
  grads.forEach((d, i) => g.output(gradName(trainable[i]!), d));
  return { graph: g.toIR(), trainable };
}
