/**
 * Synthetic signals with full ground truth, for testing the theory's guarantees.
 *
 * - ML-CSC (SCIENCE.md, ML-CSC; Papyan, Romano & Elad, `003`, DCP_λ): X = D_1Γ_1, Γ_{i−1} = D_iΓ_i. The
 *   deepest code Γ_K has a chosen stripe sparsity ‖Γ_K‖s0,∞ (`codes.ts`), the shallower codes follow by
 *   exact synthesis, and Y = X + E with noise of a chosen σ, SNR or local energy ‖E‖p2,∞ (the quantity
 *   the stability theorems are stated in, `001`, "Local Noise Assumption").
 * - Sparseland (SCIENCE.md, Sparseland): y = Dα + e with a random low-coherence D and random k-sparse α.
 *
 * Geometry is "valid" (pad 0): every atom lies inside the signal, so all atoms are complete and unit-norm
 * and the μ of `filterCoherence` is exactly the coherence of the global dictionary the theory speaks of.
 * Everything is float64 and seeded; the dictionaries, the codes and the noise draw from separate streams,
 * so changing the noise leaves the codes unchanged.
 */
import { gaussian, mulberry32 } from '../../../src-shared/math/random';
import { mat, type Mat } from '../learn/sparseland/dense';
import { sampleLocallySparseCode, sampleSparseVector, type CodeValueOptions } from './codes';
import { convolutionalWelchBound, filterCoherence } from './coherence';
import { randomConvFilters, randomSparselandDictionary } from './dictionaries';
import { patchEnergy } from './local-norms';
import type { ConvLayer } from './types';

export interface LayerModelSpec {
  filters: number;
  /** k: a k×k kernel in 2-D, a length-k kernel in 1-D. */
  kernel: number;
  stride: number;
  /** Non-zeros per filter (sparse filters keep the intermediate codes sparse). Default: dense. */
  nonzeros?: number;
  values?: 'gaussian' | 'sign';
  targetCoherence?: number;
}

/**
 * 'sigma': i.i.d. Gaussian of std `value`; 'snr': `value` dB relative to the clean signals' mean energy per
 * sample (over the whole batch); 'patch': Gaussian noise rescaled per item so that ‖E‖p2,∞ over windows of
 * layer 1's kernel is exactly `value`.
 */
export interface NoiseSpec {
  kind: 'none' | 'sigma' | 'snr' | 'patch';
  value?: number;
}

export interface MlcscSpec {
  dims: '1d' | '2d';
  /** Signal length N (1-D) or side H = W (2-D). */
  size: number;
  /** Default 1. */
  channels?: number;
  layers: LayerModelSpec[];
  /** ‖Γ_K‖s0,∞ of the deepest code. */
  stripe: number;
  /** 0 < fill ≤ 1: the fraction of the maximal greedy fill kept (codes.ts). Default 1. */
  fill?: number;
  values: CodeValueOptions;
  noise: NoiseSpec;
  count: number;
  seed: number;
  /**
   * Use these dictionaries instead of generating them (a loaded model); weights [m, c, kh, kw], pad 0.
   * They are used as given (not renormalised). `layers` may then be empty; if not, it must describe them.
   */
  dictionaries?: { weights: Float32Array; shape: number[]; stride: number }[];
}

export interface MlcscSample {
  /** Float32 weights, pad 0. */
  layers: ConvLayer[];
  signalShape: [number, number, number];
  codeShapes: [number, number, number][];
  /** Per item, [c, H, W] row-major. */
  clean: Float64Array[];
  noisy: Float64Array[];
  /** codes[item][i] = Γ_{i+1}, row-major [m_{i+1}, H_{i+1}, W_{i+1}]. */
  codes: Float64Array[][];
  /** sigma: the noise std (for 'patch', the mean over items of the per-item std); patch: ‖E‖p2,∞ per item. */
  noise: { sigma: number; patch: number[] };
  layerStats: { mu: number; welch: number }[];
}

/** Thrown for an invalid spec; the message names the field. */
export class SamplerSpecError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'SamplerSpecError';
  }
}

/** Stream ids, so each part of a sample draws from its own generator. */
const STREAM = { codes: 1, noise: 2, dictionary: 1000 } as const;

/** A 32-bit seed for stream `stream` of `seed`: one draw of mulberry32 from a mixed state. */
function derive(seed: number, stream: number): number {
  return Math.floor(mulberry32((seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0)() * 4294967296) >>> 0;
}

function positiveInteger(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new SamplerSpecError(`${field} must be a positive integer, got ${String(v)}`);
  return v;
}

function validateNoise(noise: NoiseSpec): void {
  const kinds = ['none', 'sigma', 'snr', 'patch'];
  if (!noise || !kinds.includes(noise.kind)) throw new SamplerSpecError(`noise.kind must be one of ${kinds.join(', ')}, got ${String(noise?.kind)}`);
  if (noise.kind === 'none') return;
  const v = noise.value;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new SamplerSpecError(`noise.value must be a finite number for noise.kind '${noise.kind}', got ${String(v)}`);
  if (noise.kind !== 'snr' && v < 0) throw new SamplerSpecError(`noise.value must be ≥ 0 for noise.kind '${noise.kind}', got ${v}`);
}

function validateValues(values: CodeValueOptions): void {
  if (!values) throw new SamplerSpecError('values is required');
  if (values.distribution === 'gaussian') return;
  const r = values.valueRange;
  if (!r || r.length !== 2 || !(r[0] > 0) || !(r[1] >= r[0]) || !Number.isFinite(r[1])) {
    throw new SamplerSpecError(`values.valueRange must be [a, b] with 0 < a ≤ b, got ${r ? `[${r.join(', ')}]` : String(r)}`);
  }
}

/** One layer's geometry: [m, c, kh, kw] and stride. */
interface Geometry {
  m: number;
  c: number;
  kh: number;
  kw: number;
  s: number;
}

/** Output size of a valid (pad 0) layer along one axis, or null when it does not fit exactly. */
function validOut(n: number, k: number, s: number): number | null {
  const q = (n - k) / s;
  return Number.isInteger(q) && q >= 0 ? q + 1 : null;
}

/** Whether a square (2-D) or 1-D signal of this size passes through all layers exactly. */
function sizeFits(size: number, geo: readonly Geometry[], twoD: boolean): boolean {
  let h = twoD ? size : 1;
  let w = size;
  for (const g of geo) {
    const nh = validOut(h, g.kh, g.s);
    const nw = validOut(w, g.kw, g.s);
    if (nh === null || nw === null) return false;
    h = nh;
    w = nw;
  }
  return true;
}

/** The nearest sizes below and above `size` that fit every layer (for the error message). */
function nearestSizes(size: number, geo: readonly Geometry[], twoD: boolean): string {
  const span = geo.reduce((p, g) => p * g.s, 1) + geo.reduce((p, g) => p + Math.max(g.kh, g.kw), 0);
  let below: number | null = null;
  let above: number | null = null;
  for (let d = 1; d <= 4 * span + 4 && (below === null || above === null); d++) {
    if (below === null && size - d >= 1 && sizeFits(size - d, geo, twoD)) below = size - d;
    if (above === null && sizeFits(size + d, geo, twoD)) above = size + d;
  }
  const found = [below, above].filter((v): v is number => v !== null);
  return found.length > 0 ? `try size ${found.join(' or ')}` : 'no nearby size fits';
}

/** The code shapes of a valid chain, or a RangeError naming the first layer that does not fit. */
function chainShapes(signal: [number, number, number], geo: readonly Geometry[], size: number, twoD: boolean): [number, number, number][] {
  const shapes: [number, number, number][] = [];
  let [, h, w] = signal;
  geo.forEach((g, i) => {
    const nh = validOut(h, g.kh, g.s);
    const nw = validOut(w, g.kw, g.s);
    if (nh === null || nw === null) {
      const [n, k, axis] = nh === null ? [h, g.kh, 'height'] : [w, g.kw, twoD ? 'width' : 'length'];
      throw new SamplerSpecError(
        `layers[${i}] (kernel ${k}, stride ${g.s}) does not fit its input ${axis} ${n}: (${n} − ${k})/${g.s} + 1 must be a positive integer ` +
          `(valid geometry, pad 0); ${nearestSizes(size, geo, twoD)}`,
      );
    }
    h = nh;
    w = nw;
    shapes.push([g.m, nh, nw]);
  });
  return shapes;
}

/** The layers, generated from the spec or taken from `dictionaries`, with their geometry. */
function buildLayers(spec: MlcscSpec, channels: number, twoD: boolean): { layers: ConvLayer[]; geo: Geometry[]; mus: (number | undefined)[] } {
  const layers: ConvLayer[] = [];
  const geo: Geometry[] = [];
  const mus: (number | undefined)[] = [];
  if (spec.dictionaries) {
    if (!Array.isArray(spec.dictionaries) || spec.dictionaries.length === 0) throw new SamplerSpecError('dictionaries must be a non-empty array when given');
    if (spec.layers.length !== 0 && spec.layers.length !== spec.dictionaries.length) {
      throw new SamplerSpecError(`layers has ${spec.layers.length} entries but dictionaries has ${spec.dictionaries.length}; give both the same length, or layers = []`);
    }
    let c = channels;
    spec.dictionaries.forEach((d, i) => {
      const sh = d.shape;
      if (!Array.isArray(sh) || sh.length !== 4 || !sh.every((v) => Number.isInteger(v) && v >= 1)) {
        throw new SamplerSpecError(`dictionaries[${i}].shape must be [m, c, kh, kw] of positive integers, got [${String(sh)}]`);
      }
      const [m, ci, kh, kw] = sh as [number, number, number, number];
      if (ci !== c) throw new SamplerSpecError(`dictionaries[${i}].shape[1] is ${ci} channels but its input has ${c}`);
      if (!twoD && kh !== 1) throw new SamplerSpecError(`dictionaries[${i}] has kh = ${kh}; 1-D signals need kh = 1`);
      if (d.weights.length !== m * ci * kh * kw) throw new SamplerSpecError(`dictionaries[${i}].weights has ${d.weights.length} values, shape [${sh.join(', ')}] needs ${m * ci * kh * kw}`);
      positiveInteger(`dictionaries[${i}].stride`, d.stride);
      const l = spec.layers[i];
      if (l && (l.filters !== m || (twoD ? l.kernel !== kh || l.kernel !== kw : l.kernel !== kw) || l.stride !== d.stride)) {
        throw new SamplerSpecError(`layers[${i}] (${l.filters} filters, kernel ${l.kernel}, stride ${l.stride}) does not describe dictionaries[${i}] (shape [${sh.join(', ')}], stride ${d.stride})`);
      }
      layers.push({ weights: { shape: [m, ci, kh, kw], data: Float32Array.from(d.weights) }, stride: d.stride, pad: 0 });
      geo.push({ m, c: ci, kh, kw, s: d.stride });
      mus.push(undefined);
      c = m;
    });
    return { layers, geo, mus };
  }
  if (!Array.isArray(spec.layers) || spec.layers.length === 0) throw new SamplerSpecError('layers must be a non-empty array (or give dictionaries)');
  let c = channels;
  spec.layers.forEach((l, i) => {
    const m = positiveInteger(`layers[${i}].filters`, l.filters);
    const k = positiveInteger(`layers[${i}].kernel`, l.kernel);
    const s = positiveInteger(`layers[${i}].stride`, l.stride);
    const kh = twoD ? k : 1;
    let made;
    try {
      made = randomConvFilters(
        { filters: m, channels: c, kernel: [kh, k], stride: s, nonzeros: l.nonzeros, values: l.values, targetCoherence: l.targetCoherence },
        derive(spec.seed, STREAM.dictionary + i),
      );
    } catch (e) {
      throw new SamplerSpecError(`layers[${i}]: ${(e as Error).message}`);
    }
    layers.push({ weights: { shape: made.shape, data: made.weights }, stride: s, pad: 0 });
    geo.push({ m, c, kh, kw: k, s });
    mus.push(made.mu);
    c = m;
  });
  return { layers, geo, mus };
}

/** D Γ for one valid (pad 0) layer: every non-zero Γ[j, a, b] adds Γ·w_j at offset s·(a, b). */
export function synthesize(layer: ConvLayer, code: Float64Array, codeShape: readonly [number, number, number], outShape: readonly [number, number, number]): Float64Array {
  const [m, c, kh, kw] = layer.weights.shape as [number, number, number, number];
  const w = layer.weights.data;
  const s = layer.stride;
  const [, Hc, Wc] = codeShape;
  const [, H, W] = outShape;
  const out = new Float64Array(c * H * W);
  const fs = c * kh * kw;
  for (let j = 0; j < m; j++) {
    for (let a = 0; a < Hc; a++) {
      for (let b = 0; b < Wc; b++) {
        const v = code[(j * Hc + a) * Wc + b]!;
        if (v === 0) continue;
        for (let ch = 0; ch < c; ch++) {
          for (let y = 0; y < kh; y++) {
            const o = (ch * H + s * a + y) * W + s * b;
            const f = j * fs + (ch * kh + y) * kw;
            for (let x = 0; x < kw; x++) out[o + x] += v * w[f + x]!;
          }
        }
      }
    }
  }
  return out;
}

/**
 * Draws `count` ML-CSC signals (module comment). Throws a SamplerSpecError (a RangeError) naming the field
 * for an invalid spec, and naming the layer, with the nearest valid sizes, when the size does not fit.
 */
export function sampleMlcsc(spec: MlcscSpec): MlcscSample {
  if (spec.dims !== '1d' && spec.dims !== '2d') throw new SamplerSpecError(`dims must be '1d' or '2d', got ${String(spec.dims)}`);
  const twoD = spec.dims === '2d';
  const size = positiveInteger('size', spec.size);
  const channels = positiveInteger('channels', spec.channels ?? 1);
  const stripe = positiveInteger('stripe', spec.stripe);
  const count = positiveInteger('count', spec.count);
  if (typeof spec.seed !== 'number' || !Number.isInteger(spec.seed)) throw new SamplerSpecError(`seed must be an integer, got ${String(spec.seed)}`);
  if (spec.fill !== undefined && !(spec.fill > 0 && spec.fill <= 1)) throw new SamplerSpecError(`fill must lie in (0, 1], got ${spec.fill}`);
  validateValues(spec.values);
  validateNoise(spec.noise);
  if (!Array.isArray(spec.layers)) throw new SamplerSpecError('layers must be an array');
  const signalShape: [number, number, number] = [channels, twoD ? size : 1, size];
  // Check the geometry before generating dictionaries (which may take a while), so a bad size fails fast.
  if (!spec.dictionaries) {
    const geo = spec.layers.map((l, i) => ({
      m: positiveInteger(`layers[${i}].filters`, l.filters),
      c: 0,
      kh: twoD ? positiveInteger(`layers[${i}].kernel`, l.kernel) : 1,
      kw: positiveInteger(`layers[${i}].kernel`, l.kernel),
      s: positiveInteger(`layers[${i}].stride`, l.stride),
    }));
    chainShapes(signalShape, geo, size, twoD);
  }
  const { layers, geo, mus } = buildLayers(spec, channels, twoD);
  const codeShapes = chainShapes(signalShape, geo, size, twoD);
  const K = layers.length;
  const inputOf = (i: number): [number, number, number] => (i === 0 ? signalShape : codeShapes[i - 1]!);

  const codeRandom = mulberry32(derive(spec.seed, STREAM.codes));
  const clean: Float64Array[] = [];
  const codes: Float64Array[][] = [];
  for (let item = 0; item < count; item++) {
    const deepest = sampleLocallySparseCode(layers[K - 1]!, inputOf(K - 1), { ...spec.values, stripe, fill: spec.fill }, codeRandom);
    const chain: Float64Array[] = new Array(K);
    chain[K - 1] = deepest.data;
    for (let i = K - 1; i >= 1; i--) chain[i - 1] = synthesize(layers[i]!, chain[i]!, codeShapes[i]!, codeShapes[i - 1]!);
    codes.push(chain);
    clean.push(synthesize(layers[0]!, chain[0]!, codeShapes[0]!, signalShape));
  }

  const window: [number, number] = [geo[0]!.kh, geo[0]!.kw];
  const { noisy, sigma, patch } = addNoise(clean, spec.noise, derive(spec.seed, STREAM.noise), (e) => patchEnergy({ shape: signalShape, data: e }, window).value);
  const layerStats = layers.map((l, i) => ({
    mu: mus[i] ?? filterCoherence({ weights: l.weights, stride: l.stride }).mu,
    welch: convolutionalWelchBound(l),
  }));
  return { layers, signalShape, codeShapes, clean, noisy, codes, noise: { sigma, patch }, layerStats };
}

/**
 * Y = X + E per item, with E from its own seeded stream. `energy` is the local energy the 'patch' kind fixes
 * (‖E‖p2,∞ for ML-CSC, ‖E‖₂ for Sparseland).
 */
function addNoise(
  clean: readonly Float64Array[],
  noise: NoiseSpec,
  seed: number,
  energy: (e: Float64Array) => number,
): { noisy: Float64Array[]; sigma: number; patch: number[] } {
  const normal = gaussian(mulberry32(seed));
  const noisy: Float64Array[] = [];
  const patch: number[] = [];
  let sigma = 0;
  if (noise.kind === 'sigma') sigma = noise.value!;
  if (noise.kind === 'snr') {
    // SNR = 10 log10(mean x² / σ²), the mean over every sample of every item.
    let e = 0;
    let n = 0;
    for (const x of clean) {
      for (let i = 0; i < x.length; i++) e += x[i]! * x[i]!;
      n += x.length;
    }
    sigma = Math.sqrt(e / Math.max(n, 1) / 10 ** (noise.value! / 10));
  }
  let scaleSum = 0;
  for (const x of clean) {
    const e = new Float64Array(x.length);
    if (noise.kind !== 'none') for (let i = 0; i < e.length; i++) e[i] = normal();
    let scale = sigma;
    if (noise.kind === 'patch') {
      const p = energy(e);
      scale = p > 0 ? noise.value! / p : 0;
      scaleSum += scale;
    }
    const y = new Float64Array(x.length);
    for (let i = 0; i < y.length; i++) {
      e[i] = scale * e[i]!;
      y[i] = x[i]! + e[i]!;
    }
    noisy.push(y);
    patch.push(noise.kind === 'none' ? 0 : energy(e));
  }
  if (noise.kind === 'patch') sigma = scaleSum / Math.max(clean.length, 1);
  return { noisy, sigma, patch };
}

/**
 * The single-dictionary case: D (n×atoms, unit columns, optionally of lowered coherence) and `count`
 * signals y = Dα + e with α of exactly `nnz` non-zeros. Noise 'patch' fixes ‖e‖₂ (the whole signal is one
 * patch). `clean`, `noisy` are n×count, column-major.
 */
export function sampleSparseland(o: {
  n: number;
  atoms: number;
  nnz: number;
  values: CodeValueOptions;
  noise: NoiseSpec;
  count: number;
  seed: number;
  targetCoherence?: number;
}): { D: Mat; mu: number; clean: Mat; noisy: Mat; codes: Float64Array[]; sigma: number } {
  const n = positiveInteger('n', o.n);
  const atoms = positiveInteger('atoms', o.atoms);
  const count = positiveInteger('count', o.count);
  if (!Number.isInteger(o.nnz) || o.nnz < 0 || o.nnz > atoms) throw new SamplerSpecError(`nnz must be an integer in [0, atoms = ${atoms}], got ${o.nnz}`);
  if (typeof o.seed !== 'number' || !Number.isInteger(o.seed)) throw new SamplerSpecError(`seed must be an integer, got ${String(o.seed)}`);
  if (o.targetCoherence !== undefined && !(o.targetCoherence > 0 && o.targetCoherence < 1)) throw new SamplerSpecError(`targetCoherence must lie in (0, 1), got ${o.targetCoherence}`);
  validateValues(o.values);
  validateNoise(o.noise);
  const { D, mu } = randomSparselandDictionary(n, atoms, derive(o.seed, STREAM.dictionary), { targetCoherence: o.targetCoherence });
  const codeRandom = mulberry32(derive(o.seed, STREAM.codes));
  const codes: Float64Array[] = [];
  const cleanCols: Float64Array[] = [];
  for (let j = 0; j < count; j++) {
    const a = sampleSparseVector(atoms, o.nnz, o.values, codeRandom);
    const x = new Float64Array(n);
    for (let k = 0; k < atoms; k++) {
      const v = a[k]!;
      if (v === 0) continue;
      for (let i = 0; i < n; i++) x[i] += v * D.data[k * n + i]!;
    }
    codes.push(a);
    cleanCols.push(x);
  }
  const l2 = (e: Float64Array): number => Math.sqrt(e.reduce((s, v) => s + v * v, 0));
  const { noisy: noisyCols, sigma } = addNoise(cleanCols, o.noise, derive(o.seed, STREAM.noise), l2);
  const clean = mat(n, count);
  const noisy = mat(n, count);
  for (let j = 0; j < count; j++) {
    clean.data.set(cleanCols[j]!, j * n);
    noisy.data.set(noisyCols[j]!, j * n);
  }
  return { D, mu, clean, noisy, codes, sigma };
}
