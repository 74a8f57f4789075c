/**
 * Convolutional dictionary learning (CDL) by alternating minimisation of
 *   F(D, Γ) = ½‖Y − DΓ‖² + λ‖Γ‖₁  subject to ‖d_j‖₂ = 1 (or ≤ 1),
 * the batch scheme of Garcia-Cardona & Wohlberg ("Convolutional dictionary learning: a comparative review and
 * new algorithms", IEEE TCI 2018) with FISTA for the codes and projected gradient for the filters; the online
 * variant follows the stochastic-gradient idea of Liu et al. / Mairal et al. 2010 in its simplest form.
 *
 * One outer iteration:
 *  (a) sparse coding — the engine's FISTA (Beck–Teboulle 2009) on min_Γ F(D, Γ), warm-started from the codes
 *      of the previous outer iteration (with `threshold: 'soft-nonneg'` for non-negative codes);
 *  (b) dictionary update — projected gradient steps on ½‖Y − DΓ‖² for the fixed codes. The loss and dL/dW come
 *      from ONE graph: the synthesis ConvTranspose(Γ, W), the loss, and `addGradients(g, loss, [W])`.
 *      Step size: 1/L_D with L_D = ‖A‖₂², A: W ↦ ConvTranspose(Γ, W) the (linear) synthesis map of the filters
 *      for the current codes. AᵀA·V is the gradient of ½‖A V‖², i.e. the same graph fed with Y = 0, so L_D is
 *      estimated by a few power iterations through that graph, warm-started from the previous outer iteration's
 *      vector (kept in the resumable state). Power iteration approaches L_D from below, so the step is
 *      1/(1.01·L_D) and, in batch mode, each step is safeguarded by backtracking: a step that raises the loss
 *      (possible because the unit sphere is not convex, or because L_D was under-estimated) is halved.
 *      After each step every filter is projected: onto the unit sphere (default: W_j/‖W_j‖, the SCIENCE.md
 *      convention that atoms are unit-norm) or onto the unit ball (W_j/max(1, ‖W_j‖), the convex relaxation).
 *  (c) optional shift moves (`shiftMovesEvery`): each atom is tried one pixel up, down, left and right with its
 *      codes moved the other way, and kept where that lowers F (`shiftMoves` below). Without them, atoms often
 *      settle as one-pixel-shifted, cropped copies of the true ones (measured: 2–4 of 8 synthetic atoms recovered).
 * In batch mode every step lowers F except, in principle, (a): FISTA is not monotone. Warm-started, with adaptive
 * restart, its final objective never exceeded its starting one by more than float32 rounding (≤ 1e-7 relative)
 * in the runs measured, so there is no safeguard.
 *
 * Online mode: each outer iteration draws a mini-batch of images (without replacement, with the seeded RNG),
 * codes only those (warm-started from the codes they had when last drawn) and takes projected steps along an
 * exponential moving average of the mini-batch gradients, M ← βM + (1−β)G, debiased by 1 − β^k (heavy-ball
 * momentum; β = 0 gives plain stochastic projected gradient). No backtracking there: with momentum the
 * mini-batch loss is not meant to fall at every step. Its statistics are those of the current mini-batch.
 *
 * Resumability: the state after every outer iteration (filters, codes of every image, iteration count, RNG
 * seed and draws consumed, optimiser state: L_D, the power-iteration vector, the gradient average) is a plain
 * value; feeding it back as `state` continues the run exactly as if it had not stopped. Cancellation (the
 * AbortSignal) is checked between phases; a cancelled outer iteration is discarded and the state returned is
 * the one after the last completed iteration, so stop + resume equals an uninterrupted run.
 */
import { CountingRandom, randn } from '../../../../src-shared/math/random';
import { GraphBuilder } from '../../graph/builder';
import { addGradients } from '../../graph/gradient';
import type { GraphIR, Shape } from '../../graph/ir';
import { codeShape, normalizeAtoms, randomDictionary, synthesis, type LayerGeometry } from '../../ops/dictionary';
import { runPursuit } from '../../pursuit';
import { hostTensor, type HostTensor, type Runtime } from '../../runtime/session';

export type CdlMode = 'batch' | 'online';
/** Where every filter is projected after a dictionary step. */
export type FilterConstraint = 'sphere' | 'ball';
export type CdlInit = 'random' | 'patches';
export type CdlStopReason = 'iterations' | 'cancelled';

export interface CdlOptions {
  /** Number of filters m. Ignored when `init` is a tensor or a state is given. */
  readonly filters: number;
  /** Kernel size k (filters k × k; for 1-D signals, H = 1, filters 1 × k), or [kh, kw]. */
  readonly kernelSize: number | readonly [number, number];
  /** ℓ1 weight λ. */
  readonly lambda: number;
  /** Total number of outer iterations; a resumed run continues up to this count. */
  readonly iterations: number;
  /** 'batch' (default): all images every iteration; 'online': mini-batches. */
  readonly mode?: CdlMode;
  /** Online: images per mini-batch (default min(4, N)). */
  readonly batchSize?: number;
  /** Online: β of the gradient moving average (default 0.5; 0 disables). */
  readonly momentum?: number;
  /** FISTA iterations per outer iteration (default 30). */
  readonly codingIterations?: number;
  /** Projected gradient steps on the filters per outer iteration (default 5 in batch mode, 1 online). */
  readonly dictionarySteps?: number;
  /** Power iterations for L_D per outer iteration, warm-started (default 5). */
  readonly powerIterations?: number;
  /** 'sphere' (default, ‖d_j‖ = 1) or 'ball' (‖d_j‖ ≤ 1). */
  readonly constraint?: FilterConstraint;
  /** Non-negative codes (FISTA with the soft non-negative threshold S⁺). */
  readonly nonNegative?: boolean;
  /** Symmetric zero padding of the analysis Conv; default k − 1 ("full" codes, atoms may overhang the border). */
  readonly pad?: number;
  /** Initial filters: seeded Gaussian ('random', default), seeded random image patches ('patches'), or given. */
  readonly init?: CdlInit | HostTensor;
  /** Seed of every random draw (initial filters, power-iteration start, mini-batches). Default 1. */
  readonly seed?: number;
  /** FISTA adaptive restart (O'Donoghue & Candès 2015) in the coding step. Default true. */
  readonly restart?: boolean;
  /**
   * Every this many outer iterations (0 = never, the default), try moving each atom by one pixel (up, down, left,
   * right) with its codes moved the opposite way, and keep a move that lowers the objective (see `shiftMoves`).
   * It frees atoms trapped as shifted, cropped copies of the true ones; costs 10 graph runs per atom.
   */
  readonly shiftMovesEvery?: number;
  /** Resume from a state returned by an earlier call (same images and options). */
  readonly state?: CdlState;
  /** Called after every completed outer iteration with its statistics and the state to resume from. */
  readonly onIteration?: (stats: CdlIterationStats, state: CdlState) => void;
  readonly signal?: AbortSignal;
}

export interface CdlOptimizerState {
  /** The last estimate of L_D (0 before the first dictionary step). */
  readonly lipschitz: number;
  /** Unit vector of the power iteration for L_D, [m, C, kh, kw]. */
  readonly powerVector?: HostTensor;
  /** Online mode: the moving average of the gradient, [m, C, kh, kw]. */
  readonly gradientAverage?: HostTensor;
  /** Online mode: gradients averaged so far (for the debiasing 1 − β^k). */
  readonly averagedSteps: number;
}

export interface CdlState {
  readonly filters: HostTensor;
  /** Codes of every image, [N, m, H', W'] (the warm starts of the next coding step). */
  readonly codes: HostTensor;
  /** Completed outer iterations. */
  readonly iteration: number;
  /** The seeded generator as (seed, values drawn so far): mulberry32 replayed that far. */
  readonly rng: { readonly seed: number; readonly draws: number };
  readonly optimizer: CdlOptimizerState;
}

export interface CdlIterationStats {
  /** 1-based outer iteration. */
  readonly iteration: number;
  /** dataTerm + l1Term after the dictionary update, on the images coded in this iteration. */
  readonly objective: number;
  /** ½‖Y − DΓ‖². */
  readonly dataTerm: number;
  /** λ‖Γ‖₁. */
  readonly l1Term: number;
  /** Mean ℓ0 density of Γ: non-zeros / entries. */
  readonly density: number;
  /** F(D_old, Γ_new): the objective after sparse coding, before the dictionary update. */
  readonly codingObjective: number;
  /** The last accepted dictionary step size. */
  readonly stepSize: number;
  readonly lipschitz: number;
  /** Halvings of the step in this iteration's backtracking (batch mode). */
  readonly backtracks: number;
  /** Atoms moved by the shift moves in this iteration. */
  readonly shifted: number;
  /** Images coded in this iteration. */
  readonly images: number;
  /** Wall time of this outer iteration. */
  readonly seconds: number;
}

export interface CdlResult {
  readonly filters: HostTensor;
  readonly codes: HostTensor;
  /** Statistics of the iterations run by this call. */
  readonly history: CdlIterationStats[];
  readonly state: CdlState;
  readonly stopReason: CdlStopReason;
  readonly seconds: number;
}

/** Raised for inputs CDL cannot use; the message names the field. */
export class CdlInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CdlInputError';
  }
}

/** Power iteration approaches L_D from below: the same 1% margin as the pursuits' step sizes. */
const LIPSCHITZ_SAFETY = 1.01;
/** A step that raises the loss by more than this relative float32 slack is halved (batch mode). */
const BACKTRACK_SLACK = 1e-6;
const MAX_BACKTRACKS = 20;

// ---- the loss-and-gradient graph ------------------------------------------------------------------------------

/**
 * One graph for the dictionary step: inputs y [B, C, H, W], gamma [B, m, H', W'], w [m, C, kh, kw]; outputs
 * `loss` = ½‖y − ConvTranspose(gamma, w)‖² and `grad_w` = dloss/dw from the reverse-mode gradient builder.
 */
export function buildDictionaryGradientGraph(signalShape: Shape, weightShape: Shape, pad: number): GraphBuilder {
  const layer: LayerGeometry = { weightShape, stride: 1, pad };
  const g = new GraphBuilder('cdl_dictionary_gradient');
  const y = g.input('y', 'float32', signalShape);
  const gamma = g.input('gamma', 'float32', codeShape(signalShape, layer));
  const w = g.input('w', 'float32', weightShape);
  const residual = g.sub(synthesis(g, gamma, w, layer, signalShape, 'conv-transpose'), y);
  const loss = g.mul(g.sumSquares(residual), 0.5);
  const [dw] = addGradients(g, loss, [w]);
  g.output('loss', loss);
  g.output('grad_w', dw!);
  return g;
}

/** Runs the loss-and-gradient graph for one batch shape. */
class DictionaryObjective {
  private readonly graph: GraphIR;
  private zeros: HostTensor | undefined;

  constructor(
    private readonly runtime: Runtime,
    private readonly signalShape: Shape,
    weightShape: Shape,
    pad: number,
  ) {
    this.graph = buildDictionaryGradientGraph(signalShape, weightShape, pad).toIR();
  }

  async evaluate(y: HostTensor, gamma: HostTensor, w: HostTensor): Promise<{ loss: number; grad: Float32Array }> {
    const r = await this.runtime.run(this.graph, { y, gamma, w });
    return { loss: (r.outputs.loss!.data as Float32Array)[0]!, grad: r.outputs.grad_w!.data as Float32Array };
  }

  /**
   * ‖A‖₂² for A: W ↦ ConvTranspose(Γ, W), by power iteration on AᵀA (the gradient graph with y = 0).
   * Returns the estimate ‖AᵀA v‖ for a unit v, and the next unit vector.
   */
  async lipschitz(gamma: HostTensor, start: Float32Array, iterations: number): Promise<{ value: number; vector: Float32Array }> {
    this.zeros ??= hostTensor(this.signalShape, new Float32Array(size(this.signalShape)));
    let v = unit(start);
    let value = 0;
    const shape = this.graph.inputs.find((i) => i.name === 'w')!.shape;
    for (let t = 0; t < Math.max(1, iterations); t++) {
      const { grad } = await this.evaluate(this.zeros, gamma, hostTensor(shape, v));
      value = norm(grad);
      if (!(value > 0)) return { value: 0, vector: v };
      v = unit(grad);
    }
    return { value, vector: v };
  }
}

// ---- pure helpers ------------------------------------------------------------------------------------------------

/** Projects each filter W_j (a block of data.length/m values) onto the unit sphere or the unit ball. Zero filters stay zero. */
export function projectFilters(data: Float32Array, m: number, constraint: FilterConstraint): Float32Array {
  const out = Float32Array.from(data);
  const per = data.length / m;
  for (let j = 0; j < m; j++) {
    let s = 0;
    for (let t = j * per; t < (j + 1) * per; t++) s += out[t]! * out[t]!;
    const n = Math.sqrt(s);
    const scale = constraint === 'sphere' ? (n > 0 ? 1 / n : 1) : n > 1 ? 1 / n : 1;
    if (scale !== 1) for (let t = j * per; t < (j + 1) * per; t++) out[t] = out[t]! * scale;
  }
  return out;
}

/**
 * Largest absolute normalised cross-correlation between two filters [C, kh, kw] over all relative shifts
 * (|dy| < kh, |dx| < kw), each normalised by its full ℓ2 norm. Convolutional atoms are defined only up to a
 * shift (d_j shifted by s with Γ_j shifted by −s gives the same signal where the support fits) and a sign, so
 * this is the similarity used to match learned atoms with true ones; a shifted copy scores the fraction of its
 * energy that still overlaps.
 */
export function shiftInvariantCorrelation(a: Float32Array, b: Float32Array, channels: number, kh: number, kw: number): number {
  const na = norm(a);
  const nb = norm(b);
  if (!(na > 0) || !(nb > 0)) return 0;
  let best = 0;
  for (let dy = -(kh - 1); dy < kh; dy++)
    for (let dx = -(kw - 1); dx < kw; dx++) {
      let s = 0;
      for (let c = 0; c < channels; c++)
        for (let u = Math.max(0, -dy); u < Math.min(kh, kh - dy); u++)
          for (let v = Math.max(0, -dx); v < Math.min(kw, kw - dx); v++) s += a[(c * kh + u) * kw + v]! * b[(c * kh + u + dy) * kw + v + dx]!;
      best = Math.max(best, Math.abs(s));
    }
  return best / (na * nb);
}

/** For each true filter, the best shift-invariant |correlation| with any learned filter (filters [m, C, kh, kw]). */
export function matchAtoms(truth: HostTensor, learned: HostTensor): number[] {
  const [mt, c, kh, kw] = truth.shape as [number, number, number, number];
  const ml = learned.shape[0]!;
  const per = c * kh * kw;
  if (learned.shape.slice(1).join() !== truth.shape.slice(1).join()) throw new CdlInputError(`matchAtoms: filters [${truth.shape.join(', ')}] and [${learned.shape.join(', ')}] differ in channels or kernel`);
  const t = truth.data as Float32Array;
  const l = learned.data as Float32Array;
  return Array.from({ length: mt }, (_, i) => {
    let best = 0;
    for (let j = 0; j < ml; j++) best = Math.max(best, shiftInvariantCorrelation(t.subarray(i * per, (i + 1) * per), l.subarray(j * per, (j + 1) * per), c, kh, kw));
    return best;
  });
}


// ---- the learner ---------------------------------------------------------------------------------------------------

interface Resolved {
  readonly m: number;
  readonly kh: number;
  readonly kw: number;
  readonly pad: number;
  readonly mode: CdlMode;
  readonly batch: number;
  readonly momentum: number;
  readonly codingIterations: number;
  readonly dictionarySteps: number;
  readonly powerIterations: number;
  readonly shiftMovesEvery: number;
  readonly constraint: FilterConstraint;
  readonly seed: number;
  readonly codeShape: number[];
}

function resolve(images: HostTensor, o: CdlOptions): Resolved {
  if (images.dtype !== 'float32' || images.shape.length !== 4) throw new CdlInputError(`images must be float32 [N, C, H, W], got ${images.dtype}[${images.shape.join(', ')}]`);
  const [n, c, h, w] = images.shape as [number, number, number, number];
  for (let i = 0; i < images.data.length; i++) if (!Number.isFinite(images.data[i] as number)) throw new CdlInputError(`images contain ${images.data[i]} at flat index ${i}: remove NaN/Inf first`);
  const given = o.state?.filters ?? (typeof o.init === 'object' ? o.init : undefined);
  let m: number;
  let kh: number;
  let kw: number;
  if (given) {
    if (given.shape.length !== 4 || given.shape[1] !== c) throw new CdlInputError(`initial filters must be [m, ${c}, kh, kw] for ${c}-channel images, got [${given.shape.join(', ')}]`);
    [m, , kh, kw] = given.shape as [number, number, number, number];
  } else {
    m = o.filters;
    const k = o.kernelSize;
    [kh, kw] = typeof k === 'number' ? (h === 1 ? [1, k] : [k, k]) : [k[0], k[1]];
  }
  const positive = (v: number, what: string) => {
    if (!Number.isInteger(v) || v < 1) throw new CdlInputError(`${what} must be a positive integer, got ${v}`);
  };
  positive(m, 'filters');
  positive(kh, 'kernel height');
  positive(kw, 'kernel width');
  if (kh > h || kw > w) throw new CdlInputError(`kernel ${kh}×${kw} is larger than the images (${h}×${w})`);
  if (!Number.isFinite(o.lambda) || o.lambda < 0) throw new CdlInputError(`lambda must be a finite non-negative number, got ${o.lambda}`);
  if (!Number.isInteger(o.iterations) || o.iterations < 0) throw new CdlInputError(`iterations must be a non-negative integer, got ${o.iterations}`);
  const mode = o.mode ?? 'batch';
  const batch = mode === 'batch' ? n : Math.min(o.batchSize ?? 4, n);
  positive(batch, 'batchSize');
  const momentum = o.momentum ?? 0.5;
  if (!(momentum >= 0 && momentum < 1)) throw new CdlInputError(`momentum must be in [0, 1), got ${momentum}`);
  const pad = o.pad ?? Math.max(kh, kw) - 1;
  if (!Number.isInteger(pad) || pad < 0) throw new CdlInputError(`pad must be a non-negative integer, got ${pad}`);
  const codingIterations = o.codingIterations ?? 30;
  positive(codingIterations, 'codingIterations');
  const dictionarySteps = o.dictionarySteps ?? (mode === 'batch' ? 5 : 1);
  positive(dictionarySteps, 'dictionarySteps');
  const powerIterations = o.powerIterations ?? 5;
  positive(powerIterations, 'powerIterations');
  const shiftMovesEvery = o.shiftMovesEvery ?? 0;
  if (!Number.isInteger(shiftMovesEvery) || shiftMovesEvery < 0) throw new CdlInputError(`shiftMovesEvery must be a non-negative integer, got ${shiftMovesEvery}`);
  const layer: LayerGeometry = { weightShape: [m, c, kh, kw], stride: 1, pad };
  return {
    m,
    kh,
    kw,
    pad,
    mode,
    batch,
    momentum,
    codingIterations,
    dictionarySteps,
    powerIterations,
    shiftMovesEvery,
    constraint: o.constraint ?? 'sphere',
    seed: o.seed ?? 1,
    codeShape: codeShape([1, c, h, w], layer).slice(1),
  };
}

/** Seeded random patches of the images as initial filters (each patch normalised; flat patches are redrawn a few times). */
function patchDictionary(images: HostTensor, m: number, kh: number, kw: number, rng: CountingRandom): HostTensor {
  const [n, c, h, w] = images.shape as [number, number, number, number];
  const data = images.data as Float32Array;
  const per = c * kh * kw;
  const out = new Float32Array(m * per);
  for (let j = 0; j < m; j++) {
    for (let attempt = 0; attempt < 10; attempt++) {
      const b = Math.floor(rng.uniform() * n);
      const y0 = Math.floor(rng.uniform() * (h - kh + 1));
      const x0 = Math.floor(rng.uniform() * (w - kw + 1));
      let s = 0;
      for (let ch = 0; ch < c; ch++)
        for (let u = 0; u < kh; u++)
          for (let v = 0; v < kw; v++) {
            const val = data[((b * c + ch) * h + y0 + u) * w + x0 + v]!;
            out[j * per + (ch * kh + u) * kw + v] = val;
            s += val * val;
          }
      if (s > 1e-12) break;
    }
  }
  return normalizeAtoms(hostTensor([m, c, kh, kw], out));
}

function initialState(images: HostTensor, o: CdlOptions, r: Resolved): CdlState {
  const [n, c] = images.shape as [number, number];
  const rng = new CountingRandom(r.seed);
  const shape = [r.m, c, r.kh, r.kw];
  let filters: HostTensor;
  if (typeof o.init === 'object') filters = hostTensor(shape, projectFilters(Float32Array.from(o.init.data as Float32Array), r.m, r.constraint));
  else if (o.init === 'patches') filters = patchDictionary(images, r.m, r.kh, r.kw, rng);
  else filters = randomDictionary(shape, r.seed);
  return {
    filters,
    codes: hostTensor([n, ...r.codeShape], new Float32Array(n * size(r.codeShape))),
    iteration: 0,
    rng: { seed: r.seed, draws: rng.draws },
    optimizer: { lipschitz: 0, averagedSteps: 0 },
  };
}

function checkState(state: CdlState, images: HostTensor, r: Resolved): void {
  const [n, c] = images.shape as [number, number];
  const want = [n, ...r.codeShape].join(', ');
  if (state.codes.shape.join(', ') !== want) throw new CdlInputError(`state.codes is [${state.codes.shape.join(', ')}] but these images and filters need [${want}]: resume with the same images, filters and pad`);
  if (state.filters.shape.join() !== [r.m, c, r.kh, r.kw].join()) throw new CdlInputError(`state.filters is [${state.filters.shape.join(', ')}], expected [${[r.m, c, r.kh, r.kw].join(', ')}]`);
  if (!Number.isInteger(state.iteration) || state.iteration < 0) throw new CdlInputError(`state.iteration must be a non-negative integer, got ${state.iteration}`);
}

/** Copies the items `indices` of a [N, ...] tensor into a new [k, ...] tensor. */
function gather(t: HostTensor, indices: readonly number[]): HostTensor {
  const per = t.data.length / t.shape[0]!;
  const src = t.data as Float32Array;
  const out = new Float32Array(indices.length * per);
  indices.forEach((i, k) => out.set(src.subarray(i * per, (i + 1) * per), k * per));
  return hostTensor([indices.length, ...t.shape.slice(1)], out);
}

/** A copy of `t` with items `indices` replaced by the rows of `rows`. */
function scatter(t: HostTensor, indices: readonly number[], rows: HostTensor): HostTensor {
  const per = t.data.length / t.shape[0]!;
  const out = Float32Array.from(t.data as Float32Array);
  const src = rows.data as Float32Array;
  indices.forEach((i, k) => out.set(src.subarray(k * per, (k + 1) * per), i * per));
  return hostTensor(t.shape, out);
}

/**
 * Learns m convolutional filters from `images` [N, C, H, W] (float32) by alternating FISTA sparse coding and
 * projected gradient dictionary steps (see the module comment). Returns the filters, the codes of every image,
 * the per-iteration statistics and a state to resume from.
 */
export async function learnConvolutionalDictionary(runtime: Runtime, images: HostTensor, options: CdlOptions): Promise<CdlResult> {
  const started = performance.now();
  const r = resolve(images, options);
  let state = options.state ?? initialState(images, options, r);
  checkState(state, images, r);
  const [n, c, h, w] = images.shape as [number, number, number, number];
  const weightShape = [r.m, c, r.kh, r.kw];
  const rng = new CountingRandom(state.rng.seed, state.rng.draws);
  const objective = new DictionaryObjective(runtime, [r.batch, c, h, w], weightShape, r.pad);
  const history: CdlIterationStats[] = [];
  let stopReason: CdlStopReason = 'iterations';
  const all = Array.from({ length: n }, (_, i) => i);

  while (state.iteration < options.iterations) {
    if (options.signal?.aborted) {
      stopReason = 'cancelled';
      break;
    }
    const t0 = performance.now();
    // Mini-batch (drawn before anything else, so a resumed run draws the same one).
    const indices = r.mode === 'batch' ? all : rng.sample(n, r.batch);
    const y = r.mode === 'batch' ? images : gather(images, indices);
    const warm = r.mode === 'batch' ? state.codes : gather(state.codes, indices);

    // (a) Sparse coding: FISTA warm-started from the previous codes.
    const pursuit = await runPursuit(
      runtime,
      { signal: y, layers: [{ weights: state.filters, stride: 1, pad: r.pad }] },
      {
        algorithm: 'fista',
        lambdas: [options.lambda],
        iterations: r.codingIterations,
        initialCode: warm,
        threshold: options.nonNegative ? 'soft-nonneg' : 'soft',
        restart: options.restart ?? true,
        signal: options.signal,
      },
    );
    if (pursuit.stopReason === 'cancelled' || options.signal?.aborted) {
      stopReason = 'cancelled';
      break;
    }
    const gamma = pursuit.codes[0]!;
    const report = pursuit.layers[0]!;

    // (b) Dictionary update: L_D by warm-started power iteration, then projected gradient steps.
    const start = state.optimizer.powerVector ? (state.optimizer.powerVector.data as Float32Array) : randn(size(weightShape), (r.seed ^ 0x9e3779b9) >>> 0);
    const power = await objective.lipschitz(gamma, start, r.powerIterations);
    if (!(power.value > 0)) throw new CdlInputError(`the codes are all zero at iteration ${state.iteration + 1}: λ = ${options.lambda} is too large for these images (every filter's correlation with them is below it)`);
    let step = 1 / (LIPSCHITZ_SAFETY * power.value);
    let filters = state.filters;
    let current = await objective.evaluate(y, gamma, filters);
    const average = state.optimizer.gradientAverage ? Float32Array.from(state.optimizer.gradientAverage.data as Float32Array) : new Float32Array(size(weightShape));
    let averaged = state.optimizer.averagedSteps;
    let backtracks = 0;
    let acceptedStep = 0;
    for (let s = 0; s < r.dictionarySteps; s++) {
      let direction = current.grad;
      if (r.mode === 'online' && r.momentum > 0) {
        averaged++;
        for (let i = 0; i < average.length; i++) average[i] = r.momentum * average[i]! + (1 - r.momentum) * current.grad[i]!;
        const debias = 1 / (1 - Math.pow(r.momentum, averaged));
        direction = average.map((v) => v * debias);
      }
      const base = filters.data as Float32Array;
      let accepted = false;
      while (!accepted) {
        const trial = hostTensor(weightShape, projectFilters(base.map((v, i) => v - step * direction[i]!), r.m, r.constraint));
        const next = await objective.evaluate(y, gamma, trial);
        if (!Number.isFinite(next.loss)) throw new CdlInputError(`the dictionary step diverged at iteration ${state.iteration + 1} (loss ${next.loss}); check the images for extreme values`);
        if (r.mode === 'batch' && next.loss > current.loss * (1 + BACKTRACK_SLACK) && backtracks < MAX_BACKTRACKS) {
          step /= 2;
          backtracks++;
          continue;
        }
        if (r.mode === 'batch' && next.loss > current.loss * (1 + BACKTRACK_SLACK)) break; // no descent found: keep the filters
        filters = trial;
        current = next;
        acceptedStep = step;
        accepted = true;
      }
      if (!accepted) break;
    }

    const iteration = state.iteration + 1;
    let codes = gamma;
    let dataTerm = current.loss;
    let l1 = report.l1;
    let shifted = 0;
    if (r.shiftMovesEvery > 0 && iteration % r.shiftMovesEvery === 0) {
      const moved = await shiftMoves(objective, y, codes, filters, { lambda: options.lambda, loss: dataTerm, l1, constraint: r.constraint });
      ({ filters, codes, l1, shifted } = moved);
      dataTerm = moved.loss;
    }
    const l1Term = options.lambda * l1;
    const stats: CdlIterationStats = {
      iteration,
      objective: dataTerm + l1Term,
      dataTerm,
      l1Term,
      density: report.density,
      codingObjective: report.objective,
      stepSize: acceptedStep,
      lipschitz: power.value,
      backtracks,
      shifted,
      images: indices.length,
      seconds: (performance.now() - t0) / 1000,
    };
    state = {
      filters,
      codes: r.mode === 'batch' ? codes : scatter(state.codes, indices, codes),
      iteration,
      rng: { seed: rng.seed, draws: rng.draws },
      optimizer: {
        lipschitz: power.value,
        powerVector: hostTensor(weightShape, power.vector),
        ...(r.mode === 'online' && r.momentum > 0 ? { gradientAverage: hostTensor(weightShape, average) } : {}),
        averagedSteps: averaged,
      },
    };
    history.push(stats);
    options.onIteration?.(stats, state);
  }
  return { filters: state.filters, codes: state.codes, history, state, stopReason, seconds: (performance.now() - started) / 1000 };
}

/**
 * Shift moves. A learned atom often settles as a copy of a true atom moved by a pixel, with one border row or
 * column of the true atom cropped off: a local minimum, because gradient steps on the filters cannot move an
 * atom, and its codes sit where the moved copy fits. For each atom j and each unit shift δ this tries
 *   W'_j[u] = W_j[u + δ] (zero where u + δ falls outside),  Γ'_j[i] = Γ_j[i − δ]  (codes pushed out are dropped),
 * which leaves the part of DΓ synthesised from the kept filter entries unchanged and drops the border row (or
 * column) moved out. The row moved in is empty; it is filled by the exact line-search step along the loss
 * gradient restricted to those entries (the loss is quadratic in W: along −g the decrease is ‖g‖⁴ / (2‖A g‖²),
 * with ‖A g‖² from the same graph fed y = 0; g is orthogonal to W'_j, which is zero there). The atom is then put
 * back on the constraint set with its codes scaled by its norm ν (DΓ unchanged, so the ℓ1 term is exact), and
 * the best shift is kept when its objective is below the current one. Every accepted move lowers F; atoms are
 * visited in order, each against the state left by the previous one. Cost: two graph runs per atom and shift.
 */
async function shiftMoves(
  objective: DictionaryObjective,
  y: HostTensor,
  codes: HostTensor,
  filters: HostTensor,
  o: { lambda: number; loss: number; l1: number; constraint: FilterConstraint },
): Promise<{ filters: HostTensor; codes: HostTensor; loss: number; l1: number; shifted: number }> {
  const [m, c, kh, kw] = filters.shape as [number, number, number, number];
  const [b, , hc, wc] = codes.shape as [number, number, number, number];
  const per = c * kh * kw;
  const zeros = hostTensor(y.shape, new Float32Array(y.data.length));
  let w = filters;
  let g = codes;
  let loss = o.loss;
  let l1 = o.l1;
  let shifted = 0;
  const shifts: [number, number][] = [[0, 1], [0, -1]];
  if (kh > 1) shifts.push([1, 0], [-1, 0]);
  for (let j = 0; j < m; j++) {
    const l1j = planeL1(g, j);
    const current = loss + o.lambda * l1;
    let best: { f: number; w: HostTensor; g: HostTensor; loss: number; l1: number } | undefined;
    for (const [dy, dx] of shifts) {
      const wShift = shiftFilter(w, j, dy, dx);
      const gShift = shiftCodes(g, j, dy, dx, b, m, hc, wc);
      const at = await objective.evaluate(y, gShift, wShift);
      // The gradient on the entries moved in (the row or column the shift emptied), zero elsewhere.
      const direction = new Float32Array(m * per);
      for (let ch = 0; ch < c; ch++)
        for (let u = 0; u < kh; u++)
          for (let v = 0; v < kw; v++) {
            const su = u + dy;
            const sv = v + dx;
            if (su >= 0 && su < kh && sv >= 0 && sv < kw) continue;
            const i = ((j * c + ch) * kh + u) * kw + v;
            direction[i] = at.grad[i]!;
          }
      const gg = dotSelf(direction);
      const wd = Float32Array.from(wShift.data as Float32Array);
      let loss2 = at.loss;
      if (gg > 0) {
        const curvature = 2 * (await objective.evaluate(zeros, gShift, hostTensor(w.shape, direction))).loss;
        if (curvature > 0) {
          const step = gg / curvature;
          loss2 = at.loss - (gg * gg) / (2 * curvature);
          for (let i = j * per; i < (j + 1) * per; i++) wd[i] = wd[i]! - step * direction[i]!;
        }
      }
      // Back onto the constraint set: atom j divided by its norm ν (sphere, or ball when ν > 1), codes times ν.
      let nu = 0;
      for (let i = j * per; i < (j + 1) * per; i++) nu += wd[i]! * wd[i]!;
      nu = Math.sqrt(nu);
      const scale = o.constraint === 'sphere' || nu > 1 ? nu : 1;
      if (!(scale > 0)) continue;
      const l1New = l1 - l1j + scale * planeL1(gShift, j);
      const f = loss2 + o.lambda * l1New;
      if (f < current * (1 - 1e-6) && (!best || f < best.f)) {
        for (let i = j * per; i < (j + 1) * per; i++) wd[i] = wd[i]! / scale;
        best = { f, w: hostTensor(w.shape, wd), g: scalePlane(gShift, j, scale), loss: loss2, l1: l1New };
      }
    }
    if (best) {
      w = best.w;
      g = best.g;
      loss = best.loss;
      l1 = best.l1;
      shifted++;
    }
  }
  return { filters: w, codes: g, loss, l1, shifted };
}

/** Atom j of [m, C, kh, kw] with its content moved by −(dy, dx): W'_j[u, v] = W_j[u + dy, v + dx], zero outside. */
function shiftFilter(w: HostTensor, j: number, dy: number, dx: number): HostTensor {
  const [, c, kh, kw] = w.shape as [number, number, number, number];
  const src = w.data as Float32Array;
  const out = Float32Array.from(src);
  for (let ch = 0; ch < c; ch++)
    for (let u = 0; u < kh; u++)
      for (let v = 0; v < kw; v++) {
        const su = u + dy;
        const sv = v + dx;
        out[((j * c + ch) * kh + u) * kw + v] = su >= 0 && su < kh && sv >= 0 && sv < kw ? src[((j * c + ch) * kh + su) * kw + sv]! : 0;
      }
  return hostTensor(w.shape, out);
}

/** Codes plane j moved by +(dy, dx): Γ'_j[i] = Γ_j[i − δ], entries moved out of the code domain dropped. */
function shiftCodes(g: HostTensor, j: number, dy: number, dx: number, b: number, m: number, hc: number, wc: number): HostTensor {
  const src = g.data as Float32Array;
  const out = Float32Array.from(src);
  for (let n = 0; n < b; n++) {
    const base = (n * m + j) * hc * wc;
    for (let i = 0; i < hc; i++)
      for (let t = 0; t < wc; t++) {
        const si = i - dy;
        const st = t - dx;
        out[base + i * wc + t] = si >= 0 && si < hc && st >= 0 && st < wc ? src[base + si * wc + st]! : 0;
      }
  }
  return hostTensor(g.shape, out);
}

function planeL1(g: HostTensor, j: number): number {
  const [b, m, hc, wc] = g.shape as [number, number, number, number];
  const d = g.data as Float32Array;
  let s = 0;
  for (let n = 0; n < b; n++) {
    const base = (n * m + j) * hc * wc;
    for (let i = 0; i < hc * wc; i++) s += Math.abs(d[base + i]!);
  }
  return s;
}

function scalePlane(g: HostTensor, j: number, scale: number): HostTensor {
  if (scale === 1) return g;
  const [b, m, hc, wc] = g.shape as [number, number, number, number];
  const out = Float32Array.from(g.data as Float32Array);
  for (let n = 0; n < b; n++) {
    const base = (n * m + j) * hc * wc;
    for (let i = 0; i < hc * wc; i++) out[base + i] = out[base + i]! * scale;
  }
  return hostTensor(g.shape, out);
}

function dotSelf(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return s;
}

function size(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

function norm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return Math.sqrt(s);
}

function unit(a: Float32Array): Float32Array {
  const n = norm(a);
  return n > 0 ? a.map((v) => v / n) : Float32Array.from(a);
}
