/**
 * Global CSC by local processing: the slice-based ADMM of Papyan, Romano, Sulam & Elad, "Convolutional
 * dictionary learning via local processing", ICCV 2017 (SCIENCE.md, CSC; source 001, "Global pursuit via
 * local processing (2)"), in plain TypeScript (float64) for small 1-D and 2-D problems.
 *
 * The convolutional synthesis is written as a sum of slices: X = DΓ = Σ_i R_iᵀ s_i with s_i = D_L α_i, where
 * α_i ∈ ℝ^m are the code entries of all m filters at code position i, D_L ∈ ℝ^{n×m} holds the filters as columns
 * (n = C·kh·kw), and R_iᵀ places an n-vector at the window of position i (top-left = i − pad, the geometry of the
 * engine's ConvTranspose; entries that fall outside the signal are dropped). BP,
 *   min_Γ ½‖Y − DΓ‖² + λ‖Γ‖₁,
 * becomes min ½‖Y − Σ_i R_iᵀ s_i‖² + λ Σ_i ‖α_i‖₁ s.t. s_i = D_L α_i, and scaled-form ADMM (multipliers u_i, ρ > 0)
 * alternates three local steps:
 *   1. local sparse coding   α_i = argmin_α λ‖α‖₁ + ρ/2 ‖s_i + u_i − D_L α‖²   — ISTA/FISTA on the m×m Gram matrix
 *      G = D_LᵀD_L, warm-started (no LARS);
 *   2. slice update          min_s ½‖Y − Σ R_iᵀ s_i‖² + ρ/2 Σ ‖s_i − v_i‖²,  v_i = D_L α_i − u_i, solved exactly:
 *      s_i = v_i + (1/ρ) R_i r,  r = (Y − Σ R_jᵀ v_j) ⊘ (1 + c/ρ),  c = Σ R_jᵀR_j 1 the per-pixel slice count
 *      (n everywhere for periodic signals, as in the paper; fewer near a zero boundary) — patch aggregation;
 *   3. dual update           u_i ← u_i + s_i − D_L α_i.
 * Started from zero, the first iteration is patch averaging of the signal (source 001). The objective reported
 * is the global one, ½‖Y − Σ R_iᵀ D_L α_i‖² + λ‖α‖₁, on the current codes.
 *
 * Dictionary learning from the slices: after some ADMM iterations, D_L is refitted to the slices the local
 * coding targets, min_{D_L} Σ_i ‖(s_i + u_i) − D_L α_i‖² (the D_L-dependent part of the augmented Lagrangian),
 * by MOD (Engan, Aase & Husøy 1999: D_L = P Aᵀ (A Aᵀ)⁻¹) followed by normalising every column; source 001 calls
 * this the slice-based DL "using standard patch-based tools". Filters no code uses are left as they were.
 */
import type { Shape } from '../../graph/ir';
import { randomDictionary } from '../../ops/dictionary';
import { hostTensor, type HostTensor } from '../../runtime/session';

/** Geometry of slices for signals [B, C, H, W] and filters [m, C, kh, kw] (stride 1). */
export interface SliceGeometry {
  readonly batch: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly m: number;
  readonly kh: number;
  readonly kw: number;
  readonly padH: number;
  readonly padW: number;
  readonly codeH: number;
  readonly codeW: number;
  /** Slice length n = C·kh·kw. */
  readonly n: number;
  /** Code positions (slices) per signal, codeH·codeW. */
  readonly positions: number;
}

export class SliceInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SliceInputError';
  }
}

/** The engine's geometry (ops/dictionary): pad p on both sides, except the unit height of 1-D signals. */
export function sliceGeometry(signalShape: Shape, weightShape: Shape, pad: number): SliceGeometry {
  if (signalShape.length !== 4 || weightShape.length !== 4) throw new SliceInputError(`signals must be [B, C, H, W] and filters [m, C, kh, kw], got [${signalShape.join(', ')}] and [${weightShape.join(', ')}]`);
  const [batch, channels, height, width] = signalShape as [number, number, number, number];
  const [m, c, kh, kw] = weightShape as [number, number, number, number];
  if (c !== channels) throw new SliceInputError(`the filters have ${c} channels but the signals ${channels}`);
  if (!Number.isInteger(pad) || pad < 0) throw new SliceInputError(`pad must be a non-negative integer, got ${pad}`);
  const padH = kh === 1 && height === 1 ? 0 : pad;
  const padW = pad;
  const codeH = height + 2 * padH - kh + 1;
  const codeW = width + 2 * padW - kw + 1;
  if (codeH < 1 || codeW < 1) throw new SliceInputError(`filters ${kh}×${kw} with pad ${pad} do not fit signals ${height}×${width}`);
  return { batch, channels, height, width, m, kh, kw, padH, padW, codeH, codeW, n: channels * kh * kw, positions: codeH * codeW };
}

/** Σ_i R_iᵀ v_i: slices [B, P, n] summed into signals [B, C, H, W]. */
export function aggregateSlices(g: SliceGeometry, slices: Float64Array): Float64Array {
  const { batch, channels: C, height: H, width: W, kh, kw, n, positions: P } = g;
  const out = new Float64Array(batch * C * H * W);
  for (let b = 0; b < batch; b++)
    for (let p = 0; p < P; p++) {
      const y0 = Math.floor(p / g.codeW) - g.padH;
      const x0 = (p % g.codeW) - g.padW;
      const base = (b * P + p) * n;
      for (let c = 0; c < C; c++)
        for (let u = 0; u < kh; u++) {
          const y = y0 + u;
          if (y < 0 || y >= H) continue;
          const row = ((b * C + c) * H + y) * W;
          const src = base + (c * kh + u) * kw;
          for (let v = 0; v < kw; v++) {
            const x = x0 + v;
            if (x >= 0 && x < W) out[row + x] = out[row + x]! + slices[src + v]!;
          }
        }
    }
  return out;
}

/** R_i x for every position: signals [B, C, H, W] → slices [B, P, n] (zero outside the signal). */
export function extractSlices(g: SliceGeometry, x: Float64Array): Float64Array {
  const { batch, channels: C, height: H, width: W, kh, kw, n, positions: P } = g;
  const out = new Float64Array(batch * P * n);
  for (let b = 0; b < batch; b++)
    for (let p = 0; p < P; p++) {
      const y0 = Math.floor(p / g.codeW) - g.padH;
      const x0 = (p % g.codeW) - g.padW;
      const base = (b * P + p) * n;
      for (let c = 0; c < C; c++)
        for (let u = 0; u < kh; u++) {
          const y = y0 + u;
          if (y < 0 || y >= H) continue;
          const row = ((b * C + c) * H + y) * W;
          const dst = base + (c * kh + u) * kw;
          for (let v = 0; v < kw; v++) {
            const xx = x0 + v;
            if (xx >= 0 && xx < W) out[dst + v] = x[row + xx]!;
          }
        }
    }
  return out;
}

/** Codes [B, P, m] (slice layout) ↔ the engine's [B, m, codeH, codeW]. */
export function codesToEngine(g: SliceGeometry, alpha: Float64Array): HostTensor {
  const { batch, m, positions: P } = g;
  const out = new Float32Array(batch * m * P);
  for (let b = 0; b < batch; b++) for (let p = 0; p < P; p++) for (let j = 0; j < m; j++) out[(b * m + j) * P + p] = alpha[(b * P + p) * m + j]!;
  return hostTensor([batch, m, g.codeH, g.codeW], out);
}

export function codesFromEngine(g: SliceGeometry, codes: HostTensor): Float64Array {
  const { batch, m, positions: P } = g;
  const src = codes.data as Float32Array;
  if (codes.shape.join() !== [batch, m, g.codeH, g.codeW].join()) throw new SliceInputError(`codes must be [${[batch, m, g.codeH, g.codeW].join(', ')}], got [${codes.shape.join(', ')}]`);
  const out = new Float64Array(batch * P * m);
  for (let b = 0; b < batch; b++) for (let p = 0; p < P; p++) for (let j = 0; j < m; j++) out[(b * P + p) * m + j] = src[(b * m + j) * P + p]!;
  return out;
}

/** D_L α_i for every slice; `dl` is [m, n] (row j = filter j = column j of D_L). */
function synthesizeSlices(g: SliceGeometry, dl: Float64Array, alpha: Float64Array): Float64Array {
  const { m, n } = g;
  const count = alpha.length / m;
  const out = new Float64Array(count * n);
  for (let i = 0; i < count; i++) {
    const o = i * n;
    for (let j = 0; j < m; j++) {
      const a = alpha[i * m + j]!;
      if (a === 0) continue;
      const f = j * n;
      for (let r = 0; r < n; r++) out[o + r] = out[o + r]! + a * dl[f + r]!;
    }
  }
  return out;
}

/** The global objective ½‖Y − Σ_i R_iᵀ D_L α_i‖² + λ‖α‖₁ and its two terms. */
export function sliceObjective(g: SliceGeometry, y: ArrayLike<number>, dl: Float64Array, alpha: Float64Array, lambda: number): { objective: number; dataTerm: number; l1: number } {
  const x = aggregateSlices(g, synthesizeSlices(g, dl, alpha));
  let data = 0;
  for (let i = 0; i < x.length; i++) data += (y[i]! - x[i]!) ** 2;
  let l1 = 0;
  for (let i = 0; i < alpha.length; i++) l1 += Math.abs(alpha[i]!);
  return { objective: 0.5 * data + lambda * l1, dataTerm: 0.5 * data, l1 };
}

/** λ_max of a symmetric positive semi-definite m×m matrix by power iteration (to relative 1e-12). */
function largestEigenvalue(a: Float64Array, m: number): number {
  let v = new Float64Array(m).fill(1 / Math.sqrt(m));
  let value = 0;
  for (let t = 0; t < 10_000; t++) {
    const w = new Float64Array(m);
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) w[i] = w[i]! + a[i * m + j]! * v[j]!;
    const norm = Math.sqrt(w.reduce((s, x) => s + x * x, 0));
    if (norm === 0) return 0;
    const done = Math.abs(norm - value) <= 1e-12 * norm;
    value = norm;
    v = w.map((x) => x / norm);
    if (done) break;
  }
  return value;
}

function gram(dl: Float64Array, m: number, n: number): Float64Array {
  const gm = new Float64Array(m * m);
  for (let i = 0; i < m; i++)
    for (let j = i; j < m; j++) {
      let s = 0;
      for (let r = 0; r < n; r++) s += dl[i * n + r]! * dl[j * n + r]!;
      gm[i * m + j] = s;
      gm[j * m + i] = s;
    }
  return gm;
}

export type LocalSolver = 'ista' | 'fista';

export interface SlicePursuitOptions {
  readonly lambda: number;
  /** ADMM penalty ρ (default 1). */
  readonly rho?: number;
  /** ADMM iterations. */
  readonly iterations: number;
  /** Iterations of the local solver per ADMM iteration (default 10), warm-started. */
  readonly localIterations?: number;
  /** Local sparse coding: ISTA or FISTA (default) on ½αᵀGα − bᵀα + (λ/ρ)‖α‖₁. */
  readonly localSolver?: LocalSolver;
  /** Non-negative codes: the local prox is S⁺ (max(x − β, 0)). */
  readonly nonNegative?: boolean;
  /** Symmetric zero padding of the analysis Conv; default k − 1 (full codes), as in CDL. */
  readonly pad?: number;
  /** Continue from an earlier run's ADMM state (same signal and geometry). */
  readonly state?: SliceAdmmState;
  readonly onIteration?: (stats: SliceIterationStats) => void;
  readonly signal?: AbortSignal;
}

export interface SliceAdmmState {
  /** Codes [B, P, m] (slice layout). */
  readonly alpha: Float64Array;
  /** Slices s_i, [B, P, n]. */
  readonly slices: Float64Array;
  /** Scaled multipliers u_i, [B, P, n]. */
  readonly duals: Float64Array;
  readonly iteration: number;
}

export interface SliceIterationStats {
  readonly iteration: number;
  /** Global objective ½‖Y − DΓ‖² + λ‖Γ‖₁ on the current codes. */
  readonly objective: number;
  readonly dataTerm: number;
  readonly l1: number;
  /** ‖s − D_L α‖ over all slices (the ADMM primal residual). */
  readonly primalResidual: number;
}

export interface SlicePursuitResult {
  /** Codes in the engine's layout [B, m, H', W']. */
  readonly codes: HostTensor;
  readonly history: SliceIterationStats[];
  readonly state: SliceAdmmState;
  readonly geometry: SliceGeometry;
  readonly stopReason: 'iterations' | 'cancelled';
}

/** Everything the ADMM iterations need, built once per dictionary. */
class SliceAdmm {
  readonly dl: Float64Array;
  private readonly gm: Float64Array;
  private readonly step: number;
  private readonly coverage: Float64Array;
  private readonly scratch: { x: Float64Array; z: Float64Array; next: Float64Array };

  constructor(
    readonly geo: SliceGeometry,
    weights: HostTensor,
    private readonly y: Float64Array,
    private readonly o: { lambda: number; rho: number; localIterations: number; localSolver: LocalSolver; nonNegative: boolean },
  ) {
    this.dl = Float64Array.from(weights.data as Float32Array);
    this.gm = gram(this.dl, geo.m, geo.n);
    const lmax = largestEigenvalue(this.gm, geo.m);
    this.step = lmax > 0 ? 1 / (lmax * (1 + 1e-9)) : 0;
    // c = Σ_i R_iᵀ R_i 1, the same for every signal of the batch: computed on one.
    const one = { ...geo, batch: 1 };
    const counts = aggregateSlices(one, new Float64Array(geo.positions * geo.n).fill(1));
    this.coverage = counts;
    this.scratch = { x: new Float64Array(geo.m), z: new Float64Array(geo.m), next: new Float64Array(geo.m) };
  }

  /** One ADMM iteration, in place; returns the statistics. */
  iterate(alpha: Float64Array, s: Float64Array, u: Float64Array, iteration: number): SliceIterationStats {
    const { m, n, batch, channels, height, width } = this.geo;
    const { lambda, rho } = this.o;
    const slicesCount = alpha.length / m;
    // 1. Local sparse coding of every slice target t_i = s_i + u_i.
    const kappa = lambda / rho;
    const b = new Float64Array(m);
    const t = new Float64Array(n);
    for (let i = 0; i < slicesCount; i++) {
      for (let r = 0; r < n; r++) t[r] = s[i * n + r]! + u[i * n + r]!;
      for (let j = 0; j < m; j++) {
        let acc = 0;
        for (let r = 0; r < n; r++) acc += this.dl[j * n + r]! * t[r]!;
        b[j] = acc;
      }
      this.localLasso(alpha, i * m, b, kappa);
    }
    // 2. Slice update by patch aggregation.
    const da = synthesizeSlices(this.geo, this.dl, alpha);
    const v = new Float64Array(da.length);
    for (let i = 0; i < v.length; i++) v[i] = da[i]! - u[i]!;
    const agg = aggregateSlices(this.geo, v);
    const plane = height * width;
    const r = new Float64Array(agg.length);
    for (let bc = 0; bc < batch * channels; bc++)
      for (let p = 0; p < plane; p++) {
        const k = bc * plane + p;
        r[k] = (this.y[k]! - agg[k]!) / (1 + this.coverage[(bc % channels) * plane + p]! / rho);
      }
    const rs = extractSlices(this.geo, r);
    // 3. Dual update.
    let primal = 0;
    for (let i = 0; i < s.length; i++) {
      s[i] = v[i]! + rs[i]! / rho;
      const gap = s[i]! - da[i]!;
      u[i] = u[i]! + gap;
      primal += gap * gap;
    }
    const x = aggregateSlices(this.geo, da);
    let data = 0;
    for (let i = 0; i < x.length; i++) data += (this.y[i]! - x[i]!) ** 2;
    let l1 = 0;
    for (let i = 0; i < alpha.length; i++) l1 += Math.abs(alpha[i]!);
    return { iteration, objective: 0.5 * data + lambda * l1, dataTerm: 0.5 * data, l1, primalResidual: Math.sqrt(primal) };
  }

  /** min_α ½αᵀGα − bᵀα + κ‖α‖₁ (α ≥ 0 if non-negative), warm-started from alpha[at … at+m), written back there. */
  private localLasso(alpha: Float64Array, at: number, b: Float64Array, kappa: number): void {
    const { m } = this.geo;
    const gm = this.gm;
    const step = this.step;
    const beta = kappa * step;
    const nonNeg = this.o.nonNegative;
    const momentum = this.o.localSolver === 'fista';
    const { x, z, next } = this.scratch;
    for (let i = 0; i < m; i++) x[i] = z[i] = alpha[at + i]!;
    let tk = 1;
    for (let it = 0; it < this.o.localIterations; it++) {
      for (let i = 0; i < m; i++) {
        let gi = -b[i]!;
        for (let j = 0; j < m; j++) gi += gm[i * m + j]! * z[j]!;
        const w = z[i]! - step * gi;
        next[i] = nonNeg ? Math.max(w - beta, 0) : w > beta ? w - beta : w < -beta ? w + beta : 0;
      }
      // FISTA (Beck–Teboulle 2009) extrapolation; plain ISTA takes z = x⁺.
      const c = momentum ? (tk - 1) / (tk = (1 + Math.sqrt(1 + 4 * tk * tk)) / 2) : 0;
      for (let i = 0; i < m; i++) {
        z[i] = next[i]! + c * (next[i]! - x[i]!);
        x[i] = next[i]!;
      }
    }
    for (let i = 0; i < m; i++) alpha[at + i] = x[i]!;
  }
}

function resolvePursuit(o: SlicePursuitOptions) {
  if (!Number.isFinite(o.lambda) || o.lambda < 0) throw new SliceInputError(`lambda must be a finite non-negative number, got ${o.lambda}`);
  const rho = o.rho ?? 1;
  if (!(rho > 0) || !Number.isFinite(rho)) throw new SliceInputError(`rho must be a positive number, got ${rho}`);
  const localIterations = o.localIterations ?? 10;
  if (!Number.isInteger(localIterations) || localIterations < 1) throw new SliceInputError(`localIterations must be a positive integer, got ${localIterations}`);
  if (!Number.isInteger(o.iterations) || o.iterations < 0) throw new SliceInputError(`iterations must be a non-negative integer, got ${o.iterations}`);
  return { lambda: o.lambda, rho, localIterations, localSolver: o.localSolver ?? 'fista', nonNegative: o.nonNegative ?? false };
}

function checkedSignal(signal: HostTensor): Float64Array {
  const y = Float64Array.from(signal.data as Float32Array);
  for (let i = 0; i < y.length; i++) if (!Number.isFinite(y[i]!)) throw new SliceInputError(`the signal contains ${y[i]} at flat index ${i}`);
  return y;
}

function freshState(g: SliceGeometry): SliceAdmmState {
  const count = g.batch * g.positions;
  return { alpha: new Float64Array(count * g.m), slices: new Float64Array(count * g.n), duals: new Float64Array(count * g.n), iteration: 0 };
}

const yieldToEvents = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Convolutional BP min_Γ ½‖Y − DΓ‖² + λ‖Γ‖₁ by the slice-based ADMM. `signal` [B, C, H, W], `weights`
 * [m, C, kh, kw], both float32; stride 1 and zero boundary with padding `pad`, as the engine's pursuits.
 */
export async function slicePursuit(signal: HostTensor, weights: HostTensor, options: SlicePursuitOptions): Promise<SlicePursuitResult> {
  const o = resolvePursuit(options);
  const geo = sliceGeometry(signal.shape, weights.shape, options.pad ?? Math.max(weights.shape[2]!, weights.shape[3]!) - 1);
  const admm = new SliceAdmm(geo, weights, checkedSignal(signal), o);
  const start = options.state ?? freshState(geo);
  if (start.alpha.length !== geo.batch * geo.positions * geo.m || start.slices.length !== geo.batch * geo.positions * geo.n) throw new SliceInputError('state does not match this signal and dictionary');
  const alpha = Float64Array.from(start.alpha);
  const s = Float64Array.from(start.slices);
  const u = Float64Array.from(start.duals);
  const history: SliceIterationStats[] = [];
  let stopReason: 'iterations' | 'cancelled' = 'iterations';
  let iteration = start.iteration;
  for (let k = 0; k < options.iterations; k++) {
    await yieldToEvents();
    if (options.signal?.aborted) {
      stopReason = 'cancelled';
      break;
    }
    const stats = admm.iterate(alpha, s, u, ++iteration);
    history.push(stats);
    options.onIteration?.(stats);
  }
  return { codes: codesToEngine(geo, alpha), history, state: { alpha, slices: s, duals: u, iteration }, geometry: geo, stopReason };
}

export interface SliceDictionaryOptions extends Omit<SlicePursuitOptions, 'iterations' | 'state' | 'onIteration'> {
  readonly filters: number;
  /** k (k × k filters; 1 × k for 1-D signals) or [kh, kw]. */
  readonly kernelSize: number | readonly [number, number];
  /** Outer iterations: ADMM iterations, then one dictionary update. */
  readonly iterations: number;
  /** ADMM iterations per outer iteration (default 5). */
  readonly admmIterations?: number;
  /** Initial filters (normalised) or a seed for random unit-norm ones (default seed 1). */
  readonly init?: HostTensor;
  readonly seed?: number;
  readonly onIteration?: (stats: SliceDictionaryStats) => void;
}

export interface SliceDictionaryStats {
  readonly iteration: number;
  /** Global objective with the updated filters and the current codes. */
  readonly objective: number;
  readonly dataTerm: number;
  readonly l1: number;
  /** Mean ℓ0 density of the codes. */
  readonly density: number;
  readonly seconds: number;
}

export interface SliceDictionaryResult {
  readonly filters: HostTensor;
  readonly codes: HostTensor;
  readonly history: SliceDictionaryStats[];
  readonly stopReason: 'iterations' | 'cancelled';
}

/**
 * Slice-based convolutional dictionary learning (Papyan et al. ICCV 2017): alternate ADMM iterations of the
 * slice pursuit with the MOD update of D_L from the slices (module comment).
 */
export async function sliceDictionaryLearning(images: HostTensor, options: SliceDictionaryOptions): Promise<SliceDictionaryResult> {
  const o = resolvePursuit({ lambda: options.lambda, rho: options.rho, localIterations: options.localIterations, localSolver: options.localSolver, nonNegative: options.nonNegative, iterations: options.iterations });
  if (images.shape.length !== 4) throw new SliceInputError(`images must be [N, C, H, W], got [${images.shape.join(', ')}]`);
  const [, c, h] = images.shape as [number, number, number, number];
  const k = options.kernelSize;
  const [kh, kw] = typeof k === 'number' ? (h === 1 ? [1, k] : [k, k]) : [k[0], k[1]];
  const shape = [options.filters, c, kh, kw];
  let weights = options.init ? normalizeColumns(Float64Array.from(options.init.data as Float32Array), options.filters, c * kh * kw, undefined) : Float64Array.from(randomDictionary(shape, options.seed ?? 1).data as Float32Array);
  if (options.init && options.init.shape.join() !== shape.join()) throw new SliceInputError(`init must be [${shape.join(', ')}], got [${options.init.shape.join(', ')}]`);
  const geo = sliceGeometry(images.shape, shape, options.pad ?? Math.max(kh, kw) - 1);
  const y = checkedSignal(images);
  const admmIterations = options.admmIterations ?? 5;
  if (!Number.isInteger(admmIterations) || admmIterations < 1) throw new SliceInputError(`admmIterations must be a positive integer, got ${admmIterations}`);
  const state = freshState(geo);
  const { alpha, slices: s, duals: u } = state;
  const history: SliceDictionaryStats[] = [];
  let stopReason: 'iterations' | 'cancelled' = 'iterations';
  const { m, n } = geo;
  for (let t = 1; t <= options.iterations; t++) {
    await yieldToEvents();
    if (options.signal?.aborted) {
      stopReason = 'cancelled';
      break;
    }
    const t0 = performance.now();
    const admm = new SliceAdmm(geo, hostTensor(shape, Float32Array.from(weights)), y, o);
    for (let it = 0; it < admmIterations; it++) admm.iterate(alpha, s, u, it + 1);
    // MOD on the slice targets p_i = s_i + u_i: D = (Σ p_i α_iᵀ)(Σ α_i α_iᵀ)⁻¹, then unit columns.
    const a = new Float64Array(m * m);
    const bm = new Float64Array(m * n);
    const count = alpha.length / m;
    for (let i = 0; i < count; i++) {
      const ai = i * m;
      let any = false;
      for (let j = 0; j < m; j++) if (alpha[ai + j] !== 0) any = true;
      if (!any) continue;
      for (let j = 0; j < m; j++) {
        const aj = alpha[ai + j]!;
        if (aj === 0) continue;
        for (let l = 0; l < m; l++) a[j * m + l] = a[j * m + l]! + aj * alpha[ai + l]!;
        for (let r = 0; r < n; r++) bm[j * n + r] = bm[j * n + r]! + aj * (s[i * n + r]! + u[i * n + r]!);
      }
    }
    weights = modUpdate(a, bm, m, n, weights);
    const f = sliceObjective(geo, y, weights, alpha, o.lambda);
    let nnz = 0;
    for (let i = 0; i < alpha.length; i++) if (alpha[i] !== 0) nnz++;
    const stats: SliceDictionaryStats = { iteration: t, objective: f.objective, dataTerm: f.dataTerm, l1: f.l1, density: nnz / alpha.length, seconds: (performance.now() - t0) / 1000 };
    history.push(stats);
    options.onIteration?.(stats);
  }
  return { filters: hostTensor(shape, Float32Array.from(weights)), codes: codesToEngine(geo, alpha), history, stopReason };
}

/**
 * Solves D A = B for D ([m, n] row-per-filter layout: Dᵀ = A⁻¹ Bᵀ with A symmetric), restricted to the filters
 * with a positive usage A_jj, by Cholesky with a tiny ridge; unused filters keep `previous`. Columns normalised.
 */
function modUpdate(a: Float64Array, b: Float64Array, m: number, n: number, previous: Float64Array): Float64Array {
  const used = Array.from({ length: m }, (_, j) => j).filter((j) => a[j * m + j]! > 0);
  const k = used.length;
  const out = Float64Array.from(previous);
  if (k === 0) return out;
  // Cholesky of A restricted to the used filters, ridge 1e-10·trace/k for round-off.
  let trace = 0;
  for (const j of used) trace += a[j * m + j]!;
  const ridge = (1e-10 * trace) / k;
  const l = new Float64Array(k * k);
  for (let i = 0; i < k; i++)
    for (let j = 0; j <= i; j++) {
      let sum = a[used[i]! * m + used[j]!]! + (i === j ? ridge : 0);
      for (let p = 0; p < j; p++) sum -= l[i * k + p]! * l[j * k + p]!;
      l[i * k + j] = i === j ? Math.sqrt(Math.max(sum, 1e-300)) : sum / l[j * k + j]!;
    }
  // For every slice coordinate r: solve A x = b_r (b_r = column r of B over the used filters).
  const x = new Float64Array(k);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < k; i++) {
      let sum = b[used[i]! * n + r]!;
      for (let p = 0; p < i; p++) sum -= l[i * k + p]! * x[p]!;
      x[i] = sum / l[i * k + i]!;
    }
    for (let i = k - 1; i >= 0; i--) {
      let sum = x[i]!;
      for (let p = i + 1; p < k; p++) sum -= l[p * k + i]! * x[p]!;
      x[i] = sum / l[i * k + i]!;
    }
    for (let i = 0; i < k; i++) out[used[i]! * n + r] = x[i]!;
  }
  return normalizeColumns(out, m, n, previous);
}

/** Unit-norm filters (rows of the [m, n] layout); a zero filter is replaced by `fallback`'s (or left zero). */
function normalizeColumns(d: Float64Array, m: number, n: number, fallback: Float64Array | undefined): Float64Array {
  const out = Float64Array.from(d);
  for (let j = 0; j < m; j++) {
    let s = 0;
    for (let r = 0; r < n; r++) s += out[j * n + r]! ** 2;
    const norm = Math.sqrt(s);
    if (norm > 0) for (let r = 0; r < n; r++) out[j * n + r] = out[j * n + r]! / norm;
    else if (fallback) for (let r = 0; r < n; r++) out[j * n + r] = fallback[j * n + r]!;
  }
  return out;
}
