/**
 * The theory of a run's learned (or given) dictionaries, layer by layer: the mutual coherence μ of D_i, the
 * Welch bound for its geometry, the uniqueness / pursuit-success bound ½(1 + 1/μ), and, when the run saved
 * codes, how sparse they actually are in the measure the bound is stated in (‖Γ_i‖s0,∞ for a convolutional
 * layer, ‖γ‖0 per signal for Sparseland). SCIENCE.md, Sparseland and CSC sections; Donoho & Elad 2003;
 * Papyan, Sulam & Elad 2017 ("Working locally thinking globally", Part I).
 *
 * Cost is bounded: the coherence of a convolutional layer costs about (shifts)·m²/2·c·k² multiply-adds
 * (dense filters) or nnz²/(2c) (sparse ones). A layer over MAX_COHERENCE_WORK is measured on an evenly
 * spaced subset of its filters, which gives a lower bound on μ (hence an optimistic sparsity bound); the
 * note says so. A Sparseland dictionary (≤ 1024 atoms of ≤ 256 samples by the method specs) is always
 * measured whole.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { RunLayerTheory, RunTheory } from '../../../src-shared/contract';
import { readNpyFile, type NdArray } from '../io/npy';
import { mat } from '../learn/sparseland/dense';
import { uniquenessBound } from './bounds';
import { convolutionalWelchBound, denseCoherence, filterCoherence, welchBound } from './coherence';
import { filterDims } from './conv-matrix';
import { stripeSparsity } from './local-norms';
import type { ConvLayer, Real } from './types';

/** Multiply-adds one layer's coherence may take (a few seconds in the engine process). */
export const MAX_COHERENCE_WORK = 2e9;

/** A batch of codes or signals, [B, channels, H, W]. */
export interface Batch {
  readonly shape: readonly number[];
  readonly data: Real;
}

export interface ConvLayerInput extends ConvLayer {
  /** Γ_i of every item, [B, m, Hc, Wc], when the run saved it. */
  readonly codes?: Batch;
  /** The layer's input (the signal for layer 1, Γ_{i−1} after), [B, c, H, W]: its size fixes the code geometry. */
  readonly input?: Batch;
}

export interface LayerOutcome {
  readonly theory: RunLayerTheory;
  /** Sentences for the run's note (a sampled μ, codes that could not be measured). */
  readonly notes: string[];
}

function bound(mu: number): { sparsityBound: number; unlimited: boolean } {
  const b = uniquenessBound(mu).bound;
  // μ = 0 (orthogonal atoms): any sparsity is unique; JSON has no Infinity.
  return Number.isFinite(b) ? { sparsityBound: b, unlimited: false } : { sparsityBound: Number.MAX_VALUE, unlimited: true };
}

function countNonZero(d: Real, from = 0, to = d.length): number {
  let n = 0;
  for (let k = from; k < to; k++) if (d[k] !== 0) n++;
  return n;
}

/** Evenly spaced filter indices: the subset a too-large layer is measured on. */
function sampledFilters(m: number, keep: number): number[] {
  return Array.from({ length: keep }, (_, i) => Math.floor((i * m) / keep));
}

/** Estimated multiply-adds of filterCoherence on this layer (the method it would pick). */
export function coherenceWork(weights: ConvLayer['weights'], stride: number, filters = weights.shape[0]!): number {
  const [m, c, kh, kw] = filterDims(weights);
  const nnz = countNonZero(weights.data) * (filters / m);
  if (nnz < 0.25 * filters * c * kh * kw) return (nnz * nnz) / (2 * c);
  const shifts = (2 * Math.floor((kh - 1) / stride) + 1) * (2 * Math.floor((kw - 1) / stride) + 1);
  return (shifts * filters * (filters + 1) * c * kh * kw) / 2;
}

export function convolutionalLayerTheory(index: number, layer: ConvLayerInput, maxWork = MAX_COHERENCE_WORK): LayerOutcome {
  const [m, c, kh, kw] = filterDims(layer.weights);
  const notes: string[] = [];
  let mu: number;
  if (coherenceWork(layer.weights, layer.stride) <= maxWork) mu = filterCoherence(layer).mu;
  else {
    let keep = m;
    while (keep > 2 && coherenceWork(layer.weights, layer.stride, keep) > maxWork) keep = Math.floor(keep * 0.8);
    const least = coherenceWork(layer.weights, layer.stride, keep);
    if (least > 10 * maxWork) throw new RangeError(`layer ${index} ([${m}, ${c}, ${kh}, ${kw}], stride ${layer.stride}) is too large to measure its coherence: even ${keep} of its filters take about ${least.toExponential(1)} multiply-adds`);
    const chosen = sampledFilters(m, keep);
    const size = c * kh * kw;
    const data = new Float64Array(keep * size);
    chosen.forEach((f, i) => {
      for (let k = 0; k < size; k++) data[i * size + k] = layer.weights.data[f * size + k]!;
    });
    mu = filterCoherence({ weights: { shape: [keep, c, kh, kw], data }, stride: layer.stride }).mu;
    notes.push(`layer ${index}: μ was measured on ${keep} evenly spaced filters of ${m} (the whole layer would take about ${coherenceWork(layer.weights, layer.stride).toExponential(1)} multiply-adds), so it is a lower bound and the sparsity bound an upper one`);
  }
  mu = Math.min(1, mu);
  const { sparsityBound, unlimited } = bound(mu);
  if (unlimited) notes.push(`layer ${index}: its atoms are mutually orthogonal (μ = 0), so every sparsity is below the bound`);
  const theory: RunLayerTheory = { layer: index, atoms: m, channels: c, kernel: kh, stride: layer.stride, coherence: mu, welch: Math.min(1, convolutionalWelchBound(layer)), sparsityBound };
  if (!layer.codes) return { theory, notes };
  const measured = measureStripes(index, layer);
  if ('why' in measured) return { theory, notes: [...notes, measured.why] };
  return { theory: { ...theory, stripeSparsity: measured.stripe, density: measured.density, holds: measured.stripe < sparsityBound }, notes };
}

/** max over items of ‖Γ_i‖s0,∞ (exact zeros: a pursuit's thresholds leave true zeros) and the ℓ0 density. */
function measureStripes(index: number, layer: ConvLayerInput): { stripe: number; density: number } | { why: string } {
  const codes = layer.codes!;
  const [m, c] = filterDims(layer.weights);
  if (codes.shape.length !== 4 || codes.shape[1] !== m) return { why: `layer ${index}: its codes have shape [${codes.shape.join(', ')}], not [B, ${m}, H, W]; their sparsity was not measured` };
  const input = layer.input;
  if (!input || input.shape.length !== 4 || input.shape[1] !== c || input.shape[0] !== codes.shape[0]) {
    return { why: `layer ${index}: the run did not save the layer's input ([B, ${c}, H, W]), so the stripes of its codes cannot be placed; their sparsity was not measured` };
  }
  const [B, , Hc, Wc] = codes.shape as [number, number, number, number];
  const inputShape: [number, number, number] = [c, input.shape[2]!, input.shape[3]!];
  const per = m * Hc * Wc;
  let stripe = 0;
  try {
    for (let b = 0; b < B; b++) {
      const field = { shape: [m, Hc, Wc] as [number, number, number], data: codes.data.subarray(b * per, (b + 1) * per) };
      stripe = Math.max(stripe, stripeSparsity(field, layer, inputShape).value);
    }
  } catch (err) {
    return { why: `layer ${index}: ${(err as Error).message}; the sparsity of its codes was not measured` };
  }
  return { stripe, density: codes.data.length ? countNonZero(codes.data) / codes.data.length : 0 };
}

/**
 * A Sparseland dictionary: K atoms of n = c·p·p samples each (W1.npy [K, c, p, p], atoms contiguous, i.e.
 * the columns of D), with codes, when saved, as [N, K] (one row per signal).
 */
export function sparselandLayerTheory(weights: ConvLayer['weights'], codes?: Batch): LayerOutcome {
  const [K, c, kh, kw] = filterDims(weights);
  const n = c * kh * kw;
  const D = mat(n, K, Float64Array.from(weights.data));
  const mu = Math.min(1, denseCoherence(D));
  const { sparsityBound, unlimited } = bound(mu);
  const notes = unlimited ? ['the atoms are mutually orthogonal (μ = 0), so every sparsity is below the bound'] : [];
  const theory: RunLayerTheory = { layer: 1, atoms: K, channels: c, kernel: kh, stride: 1, coherence: mu, welch: welchBound(K, n), sparsityBound };
  if (!codes) return { theory, notes };
  if (codes.shape.length !== 2 || codes.shape[1] !== K) return { theory, notes: [...notes, `the codes have shape [${codes.shape.join(', ')}], not [N, ${K}]; their sparsity was not measured`] };
  let worst = 0;
  for (let i = 0; i < codes.shape[0]!; i++) worst = Math.max(worst, countNonZero(codes.data, i * K, (i + 1) * K));
  const density = codes.data.length ? countNonZero(codes.data) / codes.data.length : 0;
  return { theory: { ...theory, stripeSparsity: worst, density, holds: worst < sparsityBound }, notes };
}

/** The run has no W1.npy: nothing to analyse (yet). */
export class MissingDictionaryError extends Error {}

function realArray(a: NdArray, file: string): Batch {
  if (a.dtype !== 'float32' && a.dtype !== 'float64') throw new RangeError(`${file} is ${a.dtype}; dictionaries and codes are float32 or float64`);
  return { shape: [...a.shape], data: a.data as Real };
}

/**
 * Reads a run folder's W<k>.npy (and gamma<k>.npy, input.npy) and computes its theory. `layers` gives each
 * layer's stride and padding from the run's configuration; the dictionaries themselves come from the files.
 */
export async function runTheoryFromFolder(runId: string, dir: string, model: RunTheory['model'], layers: readonly { stride: number; pad: number }[], maxWork = MAX_COHERENCE_WORK): Promise<RunTheory> {
  const names = new Set(await readdir(dir));
  const load = async (stem: string) => (names.has(`${stem}.npy`) ? realArray(await readNpyFile(path.join(dir, `${stem}.npy`)), `${stem}.npy`) : undefined);
  if (!names.has('W1.npy')) throw new MissingDictionaryError(`run ${runId} has saved no dictionaries (yet): W1.npy is written when a run finishes or is stopped`);
  const notes: string[] = [];
  if (model === 'sparseland') {
    const out = sparselandLayerTheory((await load('W1'))!, await load('gamma1'));
    notes.push(...out.notes);
    if (out.theory.stripeSparsity === undefined && !names.has('gamma1.npy')) notes.push('the session saved no codes, so their sparsity is not shown');
    return { runId, model, layers: [out.theory], ...(notes.length ? { note: notes.join('. ') } : {}) };
  }
  const out: RunLayerTheory[] = [];
  let previous = await load('input');
  let anyCodes = false;
  for (let i = 1; i <= layers.length; i++) {
    const weights = await load(`W${i}`);
    if (!weights) {
      notes.push(`the run saved no dictionary for layer ${i} (W${i}.npy)`);
      break;
    }
    const codes = await load(`gamma${i}`);
    anyCodes ||= codes !== undefined;
    const r = convolutionalLayerTheory(i, { weights, stride: layers[i - 1]!.stride, pad: layers[i - 1]!.pad, ...(codes ? { codes } : {}), ...(previous ? { input: previous } : {}) }, maxWork);
    out.push(r.theory);
    notes.push(...r.notes);
    previous = codes;
  }
  if (!anyCodes) notes.push('the run saved no codes, so their sparsity is not shown');
  return { runId, model, layers: out, ...(notes.length ? { note: notes.join('. ') } : {}) };
}
