/**
 * Model descriptions for supervised unrolled ML-CSC networks (Sulam, Aberdam, Beck, Elad, "On multi-layer
 * basis pursuit, efficient algorithms and convolutional neural networks", TPAMI 2019; SCIENCE.md, ML-CSC),
 * their validation, resolved layer geometry, parameter list and seeded initialisation.
 *
 * A network is a pursuit for the deepest code Γ_K of an ML-CSC model, unrolled for T iterations, followed by
 * a linear classifier on vec(Γ_K). Every layer i has a dictionary W_i ([m_i, m_{i−1}, k_i, k_i]; analysis
 * D_iᵀx = Conv, synthesis D_iΓ = ConvTranspose), a step c_i and a non-negative threshold written as a bias,
 * T_b(x) = ReLU(x + b) = S⁺_{−b}(x) (the authors' code learns b_i = −β_i per filter).
 *
 * Unrollings (the graph code is in graph.ts):
 *  - 'cnn'        layered thresholding, Γ_i = ReLU(c_i·W_iᵀΓ_{i−1} + b_i): a CNN forward pass (T = 0);
 *  - 'ml-ista'    the forward pass, then T ML-ISTA iterations (down: G_{i−1} = D_iG_i, up:
 *                 Γ_i = T(G_i − c_iD_iᵀ(D_iG_i − Γ_{i−1}))), TPAMI 2019 Alg. 1;
 *  - 'ml-fista'   the same with FISTA momentum on Γ_K (Alg. 2), FISTA started at the forward pass as in
 *                 pursuit/multi-layer.ts (Z^1 = Γ_K^0, t_1 = 1);
 *  - 'layered-bp' layer by layer, Γ_i solves min ½‖Γ_{i−1} − D_iΓ‖² + λ_i‖Γ‖₁ (Γ ≥ 0) by the thresholding
 *                 step followed by T FISTA steps.
 *
 * Variants (source 002, Zhang's lecture; one at a time):
 *  - 'ml-lista'  ML-LISTA (TPAMI 2019, Sec. 5): separate learned analysis filters B_i replace W_iᵀ in the
 *                forward pass and in every gradient step; W_i still synthesises. B_i starts as a copy of W_i.
 *  - 'res-csc'   Res-CSC (Zhang & Zhang, NSR 2021): a layer's pursuit starts from the previous estimate
 *                Γ_{i−2} instead of 0 wherever Γ_i and Γ_{i−2} have the same shape, so its first step is
 *                Γ_i = T(Γ_{i−2} − c_iD_iᵀ(D_iΓ_{i−2} − Γ_{i−1})) — a ResNet skip connection with
 *                W_{i−2,i} = I − c_iD_iᵀD_i.
 *  - 'msd-csc'   MSD-CSC (Zhang & Zhang, NSR 2021): D_i = [I, F_iᵀ] with F_i a dilated convolution (g_i =
 *                `filters` new channels, dilation `dilation`, stride 1, same padding). The code of layer i
 *                is [U_i; V_i] with U_i over Γ_{i−1}'s channels, so the forward pass is
 *                Γ_i = T([c_iΓ_{i−1}; c_iF_iΓ_{i−1}]) — MSDNet's dense connection (concatenate every
 *                earlier feature map) and its mixed-scale dilations (default dilation ((i−1) mod 10) + 1,
 *                Pelt & Sethian 2018). Unrollings iterate with this D_i like with any other dictionary.
 *  - 'sdnet'     SDNet (Li et al., NeurIPS 2022): layer 1 is a CSC layer, Γ_1 = argmin_{Γ≥0}
 *                ½‖Y − D_1Γ‖² + λ‖Γ‖₁ solved by a thresholding step and T FISTA steps, with unit-norm atoms
 *                (normalised inside the graph) and threshold c_1·λ where λ is a graph INPUT, so it can be
 *                re-tuned at test time; layers 2…K are conv layers (unrolling 'cnn').
 */
import { ShapeError, convShape } from '../../graph/shapes';
import { geometry } from '../../graph/builder';
import { gaussian, mulberry32 } from '../../../../src-shared/math/random';

export const UNROLLINGS = ['cnn', 'ml-ista', 'ml-fista', 'layered-bp'] as const;
export type Unrolling = (typeof UNROLLINGS)[number];

export const VARIANTS = ['none', 'ml-lista', 'res-csc', 'msd-csc', 'sdnet'] as const;
export type Variant = (typeof VARIANTS)[number];

export const INITS = ['paper', 'he', 'unit-norm'] as const;
/**
 * 'paper': W ~ N(0, 1)·0.1/√fan_in, c_i = 1 (the ML-ISTA authors' code);
 * 'he':    W ~ N(0, 2/fan_in), c_i = 1/L_i;
 * 'unit-norm': Gaussian filters scaled to ‖W_i[j]‖₂ = 1 (SCIENCE.md convention), c_i = 1/L_i.
 * L_i = ‖D_i‖₂² by power iteration on the layer's geometry. Thresholds start at b_i = −β (β = `threshold`).
 */
export type Init = (typeof INITS)[number];

export interface UnrolledLayer {
  /** Number of filters m_i (MSD-CSC: new channels g_i). */
  readonly filters: number;
  readonly kernel: number;
  readonly stride: number;
  /** Symmetric zero padding of the analysis Conv (default 0; MSD-CSC: dilation·(kernel−1)/2). */
  readonly pad?: number;
  /** Filter dilation (default 1; MSD-CSC: ((i−1) mod 10) + 1). */
  readonly dilation?: number;
}

export interface UnrolledOptions {
  /** Learn the per-layer scalar step c_i (otherwise it stays at its initial value). */
  readonly learnedSteps: boolean;
  /** Learn the per-filter bias b_i = −β_i (otherwise every b_i stays at −threshold). */
  readonly learnedThresholds: boolean;
  readonly variant: Variant;
  readonly init: Init;
  /** β of the fixed (or initial) thresholds. */
  readonly threshold: number;
  /** SDNet: the λ used in training (the graph takes λ as an input). */
  readonly lambda: number;
}

export interface UnrolledModel {
  readonly name: string;
  /** Image geometry [C, H, W] (MNIST: 1×28×28). */
  readonly input: { readonly channels: number; readonly height: number; readonly width: number };
  readonly layers: readonly UnrolledLayer[];
  readonly unrolling: Unrolling;
  /** Unrolled iterations (ML-ISTA/ML-FISTA), FISTA steps per layer (layered BP) or in the CSC layer (SDNet). */
  readonly T: number;
  readonly classes: number;
  readonly options: UnrolledOptions;
}

export type UnrolledModelInput = Omit<Partial<UnrolledModel>, 'options'> & {
  readonly layers: readonly UnrolledLayer[];
  readonly unrolling: Unrolling;
  readonly options?: Partial<UnrolledOptions>;
};

export class UnrolledModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnrolledModelError';
  }
}

export const DEFAULT_OPTIONS: UnrolledOptions = {
  learnedSteps: true,
  learnedThresholds: true,
  variant: 'none',
  init: 'paper',
  threshold: 0,
  lambda: 0.1,
};

/** Fills defaults (MNIST geometry, 10 classes, T = 0, DEFAULT_OPTIONS) and validates. */
export function defineModel(m: UnrolledModelInput): UnrolledModel {
  const model: UnrolledModel = {
    name: m.name ?? `${m.unrolling}${m.options?.variant && m.options.variant !== 'none' ? `-${m.options.variant}` : ''}`,
    input: m.input ?? { channels: 1, height: 28, width: 28 },
    layers: m.layers.map((l) => ({ ...l })),
    unrolling: m.unrolling,
    T: m.T ?? 0,
    classes: m.classes ?? 10,
    options: { ...DEFAULT_OPTIONS, ...(m.options ?? {}) },
  };
  resolveLayers(model);
  return model;
}

// ---- resolved geometry ---------------------------------------------------------------------------------------

export type LayerKind = 'conv' | 'msd' | 'csc';

export interface ResolvedLayer {
  /** 1-based layer number. */
  readonly index: number;
  /** 'conv': ordinary dictionary; 'msd': [I, F_iᵀ]; 'csc': the SDNet CSC layer. */
  readonly kind: LayerKind;
  readonly weightShape: readonly [number, number, number, number];
  readonly stride: number;
  readonly pad: number;
  readonly dilation: number;
  /** [C, H, W] of Γ_{i−1} (Γ_0 = the image). */
  readonly inShape: readonly [number, number, number];
  /** [C, H, W] of Γ_i. */
  readonly codeShape: readonly [number, number, number];
  /** Res-CSC: the layer whose code initialises this layer's pursuit (i − 2, 0 = the image), if any. */
  readonly residualFrom?: number;
}

function positiveInt(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new UnrolledModelError(`${what} must be a positive integer, got ${String(v)}`);
  return v;
}

/** Validates the description and returns the geometry of every layer. Throws UnrolledModelError naming the field. */
export function resolveLayers(model: UnrolledModel): ResolvedLayer[] {
  const o = model.options;
  if (!UNROLLINGS.includes(model.unrolling)) throw new UnrolledModelError(`unrolling must be one of ${UNROLLINGS.join(', ')}, got "${String(model.unrolling)}"`);
  if (!VARIANTS.includes(o.variant)) throw new UnrolledModelError(`options.variant must be one of ${VARIANTS.join(', ')}, got "${String(o.variant)}"`);
  if (!INITS.includes(o.init)) throw new UnrolledModelError(`options.init must be one of ${INITS.join(', ')}, got "${String(o.init)}"`);
  if (!Number.isInteger(model.T) || model.T < 0) throw new UnrolledModelError(`T must be a non-negative integer, got ${model.T}`);
  if (model.unrolling === 'cnn' && model.T !== 0 && o.variant !== 'sdnet') throw new UnrolledModelError(`unrolling 'cnn' is the forward pass (T = 0), got T = ${model.T}; use 'ml-ista', 'ml-fista' or 'layered-bp' to unroll`);
  if (!Number.isFinite(o.threshold)) throw new UnrolledModelError(`options.threshold must be finite, got ${o.threshold}`);
  if (!(o.lambda >= 0)) throw new UnrolledModelError(`options.lambda must be ≥ 0, got ${o.lambda}`);
  if (o.variant === 'ml-lista' && model.unrolling === 'cnn') throw new UnrolledModelError(`variant 'ml-lista' replaces W_iᵀ in the unrolled gradient steps, which a CNN does not have: use unrolling 'ml-ista' (ML-LISTA), 'ml-fista' or 'layered-bp'`);
  if (o.variant === 'sdnet' && model.unrolling !== 'cnn') throw new UnrolledModelError(`variant 'sdnet' is a CNN whose first layer is a CSC layer: set unrolling to 'cnn' (T is the number of FISTA steps of the CSC layer), got '${model.unrolling}'`);
  positiveInt(model.classes, 'classes');
  positiveInt(model.input.channels, 'input.channels');
  positiveInt(model.input.height, 'input.height');
  positiveInt(model.input.width, 'input.width');
  if (model.layers.length === 0) throw new UnrolledModelError('at least one layer is required');

  const shapes: (readonly [number, number, number])[] = [[model.input.channels, model.input.height, model.input.width]];
  const out: ResolvedLayer[] = [];
  model.layers.forEach((l, j) => {
    const i = j + 1;
    const where = `layer ${i}`;
    const filters = positiveInt(l.filters, `${where}: filters`);
    const kernel = positiveInt(l.kernel, `${where}: kernel`);
    const stride = positiveInt(l.stride, `${where}: stride`);
    const kind: LayerKind = o.variant === 'msd-csc' ? 'msd' : o.variant === 'sdnet' && i === 1 ? 'csc' : 'conv';
    const dilation = positiveInt(l.dilation ?? (kind === 'msd' ? ((i - 1) % 10) + 1 : 1), `${where}: dilation`);
    let pad = l.pad ?? 0;
    if (kind === 'msd') {
      if (stride !== 1) throw new UnrolledModelError(`${where}: MSD-CSC layers keep the spatial size (D_i = [I, F_iᵀ]), so stride must be 1, got ${stride}`);
      if (kernel % 2 !== 1) throw new UnrolledModelError(`${where}: MSD-CSC needs an odd kernel for same padding, got ${kernel}`);
      const same = (dilation * (kernel - 1)) / 2;
      if (l.pad !== undefined && l.pad !== same) throw new UnrolledModelError(`${where}: MSD-CSC needs pad = dilation·(kernel−1)/2 = ${same}, got ${l.pad}`);
      pad = same;
    }
    if (!Number.isInteger(pad) || pad < 0) throw new UnrolledModelError(`${where}: pad must be a non-negative integer, got ${pad}`);
    const inShape = shapes[j]!;
    const weightShape = [filters, inShape[0], kernel, kernel] as const;
    let spatial: number[];
    try {
      spatial = convShape([1, ...inShape], weightShape, geometry(2, { strides: stride, pads: pad, dilations: dilation })).slice(2);
    } catch (err) {
      if (err instanceof ShapeError) throw new UnrolledModelError(`${where}: ${kernel}×${kernel} filters (stride ${stride}, pad ${pad}, dilation ${dilation}) do not fit its input [${inShape.join(', ')}]: ${err.message}`);
      throw err;
    }
    const codeShape = [kind === 'msd' ? inShape[0] + filters : filters, spatial[0]!, spatial[1]!] as const;
    shapes.push(codeShape);
    let residualFrom: number | undefined;
    if (o.variant === 'res-csc' && i >= 2 && shapes[i - 2]!.every((d, k) => d === codeShape[k])) residualFrom = i - 2;
    out.push({ index: i, kind, weightShape, stride, pad, dilation, inShape, codeShape, ...(residualFrom !== undefined ? { residualFrom } : {}) });
  });
  if (o.variant === 'res-csc' && !out.some((l) => l.residualFrom !== undefined)) {
    throw new UnrolledModelError(
      `variant 'res-csc' initialises layer i from Γ_{i−2}, which needs a layer i ≥ 2 whose code has the shape of Γ_{i−2}; ` +
        `shapes are ${shapes.map((s) => `[${s.join(', ')}]`).join(' → ')} (use stride 1, same padding and m_i = m_{i−2})`,
    );
  }
  return out;
}

/** Size of vec(Γ_K), the classifier's input. */
export function featureSize(model: UnrolledModel): number {
  const last = resolveLayers(model).at(-1)!;
  return last.codeShape[0] * last.codeShape[1] * last.codeShape[2];
}

// ---- parameters ----------------------------------------------------------------------------------------------

export type ParameterRole = 'dictionary' | 'analysis' | 'bias' | 'step' | 'classifier-weight' | 'classifier-bias';

export interface ParameterSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly role: ParameterRole;
  /** 1-based layer, 0 for the classifier. */
  readonly layer: number;
  /** False for fixed steps / thresholds: fed to the graph, never updated. */
  readonly trainable: boolean;
}

/** Every parameter tensor, in a fixed order: W_i, B_i (ML-LISTA), b_i, c_i per layer, then fc_w, fc_b. */
export function parameterSpecs(model: UnrolledModel): ParameterSpec[] {
  const o = model.options;
  const specs: ParameterSpec[] = [];
  for (const l of resolveLayers(model)) {
    specs.push({ name: `W${l.index}`, shape: l.weightShape, role: 'dictionary', layer: l.index, trainable: true });
    if (o.variant === 'ml-lista') specs.push({ name: `B${l.index}`, shape: l.weightShape, role: 'analysis', layer: l.index, trainable: true });
    // The SDNet CSC layer is thresholded at c_1·λ (λ a graph input), not by a learned bias.
    if (l.kind !== 'csc') specs.push({ name: `b${l.index}`, shape: [1, l.codeShape[0], 1, 1], role: 'bias', layer: l.index, trainable: o.learnedThresholds });
    specs.push({ name: `c${l.index}`, shape: [], role: 'step', layer: l.index, trainable: o.learnedSteps });
  }
  specs.push({ name: 'fc_w', shape: [featureSize(model), model.classes], role: 'classifier-weight', layer: 0, trainable: true });
  specs.push({ name: 'fc_b', shape: [model.classes], role: 'classifier-bias', layer: 0, trainable: true });
  return specs;
}

export type Parameters = Record<string, Float32Array>;

export function parameterCount(model: UnrolledModel, trainableOnly = true): number {
  return parameterSpecs(model)
    .filter((s) => !trainableOnly || s.trainable)
    .reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
}

/** Seeded initialisation of every parameter (see `Init`); the same seed always gives the same values. */
export function initParameters(model: UnrolledModel, seed: number): Parameters {
  const layers = resolveLayers(model);
  const uniform = mulberry32(seed);
  const normal = gaussian(uniform);
  const params: Parameters = {};
  const init = model.options.init;
  for (const spec of parameterSpecs(model)) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const layer = layers[spec.layer - 1];
    switch (spec.role) {
      case 'dictionary': {
        const [m, c, kh, kw] = spec.shape as [number, number, number, number];
        const fanIn = c * kh * kw;
        for (let t = 0; t < n; t++) data[t] = normal();
        if (layer!.kind === 'csc' || init === 'unit-norm') normalizeFilters(data, m);
        else {
          const scale = init === 'paper' ? 0.1 / Math.sqrt(fanIn) : Math.sqrt(2 / fanIn);
          for (let t = 0; t < n; t++) data[t] = data[t]! * scale;
        }
        break;
      }
      case 'analysis':
        data.set(params[`W${spec.layer}`]!);
        break;
      case 'bias':
        data.fill(-model.options.threshold);
        break;
      case 'step': {
        const paperStep = init === 'paper' && layer!.kind !== 'csc';
        data[0] = paperStep ? 1 : 1 / lipschitzOfLayer(layer!, params[`W${spec.layer}`]!);
        break;
      }
      case 'classifier-weight':
      case 'classifier-bias': {
        // PyTorch's nn.Linear default: U(−1/√fan_in, 1/√fan_in) for weight and bias.
        const bound = 1 / Math.sqrt(featureSize(model));
        for (let t = 0; t < n; t++) data[t] = (2 * uniform() - 1) * bound;
        break;
      }
    }
    params[spec.name] = data;
  }
  return params;
}

/** Scales each of the m filters (contiguous blocks) to unit ℓ2 norm. */
export function normalizeFilters(data: Float32Array | Float64Array, m: number): void {
  const per = data.length / m;
  for (let j = 0; j < m; j++) {
    let s = 0;
    for (let t = j * per; t < (j + 1) * per; t++) s += data[t]! * data[t]!;
    const norm = Math.sqrt(s);
    if (norm > 0) for (let t = j * per; t < (j + 1) * per; t++) data[t] = data[t]! / norm;
  }
}

export function cloneParameters(p: Parameters): Parameters {
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Float32Array.from(v)]));
}

// ---- L = ‖D‖₂² on the host (initial step sizes) --------------------------------------------------------------

/**
 * L_i = ‖D_i‖₂² of a layer's dictionary by power iteration on D_iD_iᵀ in signal space, with plain float64
 * loops (one image, run once at initialisation). MSD-CSC: D_iD_iᵀ = I + F_iᵀF_i. The SDNet CSC layer uses
 * its unit-norm atoms, as its graph does.
 */
export function lipschitzOfLayer(layer: ResolvedLayer, weights: Float32Array, iterations = 50): number {
  const w = Float64Array.from(weights);
  if (layer.kind === 'csc') normalizeFilters(w, layer.weightShape[0]);
  const [c, h, wd] = layer.inShape;
  let x = new Float64Array(c * h * wd);
  const rand = mulberry32(0x5eed);
  for (let t = 0; t < x.length; t++) x[t] = rand() - 0.5;
  let estimate = 0;
  for (let it = 0; it < iterations; it++) {
    const code = hostConv(x, layer.inShape, w, layer);
    const back = hostConvTranspose(code, w, layer);
    if (layer.kind === 'msd') for (let t = 0; t < back.length; t++) back[t] = back[t]! + x[t]!;
    let norm = 0;
    for (const v of back) norm += v * v;
    norm = Math.sqrt(norm);
    if (!(norm > 0)) return 1;
    estimate = norm;
    x = back.map((v) => v / norm);
  }
  return estimate;
}

function codeSpatial(layer: ResolvedLayer): [number, number] {
  const [, h, w] = layer.inShape;
  const k = layer.weightShape[2];
  const span = (k - 1) * layer.dilation + 1;
  return [Math.floor((h + 2 * layer.pad - span) / layer.stride) + 1, Math.floor((w + 2 * layer.pad - span) / layer.stride) + 1];
}

/** Conv with the layer's stride/pad/dilation (F_i only for MSD layers), one image. */
function hostConv(x: Float64Array, inShape: readonly [number, number, number], w: Float64Array, layer: ResolvedLayer): Float64Array {
  const [m, c, k] = layer.weightShape;
  const [, h, wd] = inShape;
  const [ho, wo] = codeSpatial(layer);
  const { stride: s, pad: p, dilation: d } = layer;
  const out = new Float64Array(m * ho * wo);
  for (let f = 0; f < m; f++)
    for (let i = 0; i < ho; i++)
      for (let j = 0; j < wo; j++) {
        let sum = 0;
        for (let ch = 0; ch < c; ch++)
          for (let u = 0; u < k; u++) {
            const r = i * s - p + u * d;
            if (r < 0 || r >= h) continue;
            for (let v = 0; v < k; v++) {
              const q = j * s - p + v * d;
              if (q < 0 || q >= wd) continue;
              sum += x[(ch * h + r) * wd + q]! * w[((f * c + ch) * k + u) * k + v]!;
            }
          }
        out[(f * ho + i) * wo + j] = sum;
      }
  return out;
}

/** The exact adjoint of `hostConv`. */
function hostConvTranspose(code: Float64Array, w: Float64Array, layer: ResolvedLayer): Float64Array {
  const [m, c, k] = layer.weightShape;
  const [, h, wd] = layer.inShape;
  const [ho, wo] = codeSpatial(layer);
  const { stride: s, pad: p, dilation: d } = layer;
  const out = new Float64Array(c * h * wd);
  for (let f = 0; f < m; f++)
    for (let i = 0; i < ho; i++)
      for (let j = 0; j < wo; j++) {
        const g = code[(f * ho + i) * wo + j]!;
        if (g === 0) continue;
        for (let ch = 0; ch < c; ch++)
          for (let u = 0; u < k; u++) {
            const r = i * s - p + u * d;
            if (r < 0 || r >= h) continue;
            for (let v = 0; v < k; v++) {
              const q = j * s - p + v * d;
              if (q < 0 || q >= wd) continue;
              out[(ch * h + r) * wd + q] += g * w[((f * c + ch) * k + u) * k + v]!;
            }
          }
      }
  return out;
}
