/**
 * Random sparse codes for the theory experiments.
 *
 * - Locally sparse convolutional codes: the CSC theory (Papyan, Sulam & Elad, "Working locally thinking
 *   globally"; `001`, "Moving to Local Sparsity: Stripes"; SCIENCE.md, CSC) bounds the stripe sparsity
 *   ‖Γ‖s0,∞ = max_i ‖γ_i‖₀, the most non-zeros among the atoms that overlap any one input window of the
 *   filter's size. To test a guarantee at a given ‖Γ‖s0,∞ we need codes with exactly that stripe sparsity
 *   and as many non-zeros as it allows: a random greedy fill (a maximal set under the per-window caps).
 * - Random sparse vectors, the phase-transition samples of `001` ("random sparse vectors in which the
 *   non-zero entries are drawn as random i.i.d. Gaussians"; the noisy variant draws them in [−a, a]).
 */
import type { ConvLayer } from './types';
import { gaussian } from '../../../src-shared/math/random';
import { codeShapeOf } from './conv-matrix';

export interface CodeValueOptions {
  /** |value| ∈ [a, b], 0 < a ≤ b (uniform magnitudes). */
  valueRange: readonly [number, number];
  /** 'both': a random sign per entry; 'positive': all positive (the non-negative model of CNNs). */
  sign: 'both' | 'positive';
  /** 'gaussian': N(0, 1) values ignoring valueRange, as in the noiseless phase transition. Default 'uniform'. */
  distribution?: 'uniform' | 'gaussian';
}

function validateValues(o: CodeValueOptions): void {
  if (o.distribution !== undefined && o.distribution !== 'uniform' && o.distribution !== 'gaussian') {
    throw new RangeError(`values.distribution must be 'uniform' or 'gaussian', got ${String(o.distribution)}`);
  }
  if (o.sign !== 'both' && o.sign !== 'positive') throw new RangeError(`values.sign must be 'both' or 'positive', got ${String(o.sign)}`);
  if (o.distribution === 'gaussian') return;
  const r = o.valueRange;
  if (!r || r.length !== 2 || !(r[0] > 0) || !(r[1] >= r[0]) || !Number.isFinite(r[1])) {
    throw new RangeError(`values.valueRange must be [a, b] with 0 < a ≤ b, got [${r ? r.join(', ') : String(r)}]`);
  }
}

/** A value sampler for the options; Gaussian draws share the same uniform stream. */
function valueSampler(o: CodeValueOptions, uniform: () => number): () => number {
  if (o.distribution === 'gaussian') {
    const g = gaussian(uniform);
    return o.sign === 'positive' ? () => Math.abs(g()) : g;
  }
  const [a, b] = o.valueRange;
  return () => {
    const v = a + (b - a) * uniform();
    return o.sign === 'positive' || uniform() < 0.5 ? v : -v;
  };
}

/**
 * A code of `layer` for an input of shape [c, H, W] whose stripe sparsity is at most `stripe`.
 *
 * Code entries are visited in a random order; an entry becomes non-zero when every input window it touches
 * still has fewer than `stripe` non-zero overlapping atoms. Windows are the kh×kw windows at every input
 * position that meet the input; the ones sticking out of it see a subset of what an inside window sees
 * (with pad < kernel), so they change nothing but make the rule independent of how boundaries are
 * treated. The per-window counts are kept in an array, so a visit costs (2kh−1)(2kw−1) reads.
 *
 * With fill = 1 the result is maximal: every zero entry touches a full window, so the achieved stripe
 * sparsity equals `stripe` unless the whole code fits under it. fill < 1 keeps the first
 * round(fill·count) entries of that fill, a prefix, hence still within the caps.
 */
export function sampleLocallySparseCode(
  layer: ConvLayer,
  input: readonly [number, number, number],
  o: CodeValueOptions & { stripe: number; fill?: number },
  uniform: () => number,
): { data: Float64Array; shape: [number, number, number]; stripe: number } {
  validateValues(o);
  if (!Number.isInteger(o.stripe) || o.stripe < 1) throw new RangeError(`stripe must be a positive integer, got ${o.stripe}`);
  const fill = o.fill ?? 1;
  if (!(fill > 0 && fill <= 1)) throw new RangeError(`fill must lie in (0, 1], got ${o.fill}`);
  const shape = codeShapeOf(layer, input);
  const [m, Hc, Wc] = shape;
  const [, H, W] = input;
  const kh = layer.weights.shape[2]!;
  const kw = layer.weights.shape[3]!;
  const s = layer.stride;
  const padH = kh === 1 && H === 1 ? 0 : layer.pad;
  const padW = layer.pad;
  // Window rows r ∈ [r0, r1]: every kh-tall window meeting the input (the same for columns).
  const r0 = -(kh - 1);
  const r1 = H - 1;
  const c0 = -(kw - 1);
  const c1 = W - 1;
  const nr = r1 - r0 + 1;
  const nc = c1 - c0 + 1;
  const counts = new Int32Array(nr * nc);
  const total = m * Hc * Wc;
  // The windows an atom at code position (a, b) overlaps: rows top − kh + 1 … top + kh − 1, clipped.
  const rowLo = new Int32Array(Hc);
  const rowHi = new Int32Array(Hc);
  for (let a = 0; a < Hc; a++) {
    const top = s * a - padH;
    rowLo[a] = Math.max(r0, top - kh + 1) - r0;
    rowHi[a] = Math.min(r1, top + kh - 1) - r0;
  }
  const colLo = new Int32Array(Wc);
  const colHi = new Int32Array(Wc);
  for (let b = 0; b < Wc; b++) {
    const left = s * b - padW;
    colLo[b] = Math.max(c0, left - kw + 1) - c0;
    colHi[b] = Math.min(c1, left + kw - 1) - c0;
  }
  const order = new Int32Array(total);
  for (let i = 0; i < total; i++) order[i] = i;
  for (let i = total - 1; i > 0; i--) {
    const r = Math.floor(uniform() * (i + 1));
    const t = order[i]!;
    order[i] = order[r]!;
    order[r] = t;
  }
  const placed: number[] = [];
  const plane = Hc * Wc;
  for (let i = 0; i < total; i++) {
    const e = order[i]!;
    const pos = e % plane;
    const a = Math.floor(pos / Wc);
    const b = pos - a * Wc;
    const y0 = rowLo[a]!;
    const y1 = rowHi[a]!;
    const x0 = colLo[b]!;
    const x1 = colHi[b]!;
    let free = true;
    for (let y = y0; y <= y1 && free; y++) {
      const row = y * nc;
      for (let x = x0; x <= x1; x++) {
        if (counts[row + x]! >= o.stripe) {
          free = false;
          break;
        }
      }
    }
    if (!free) continue;
    for (let y = y0; y <= y1; y++) {
      const row = y * nc;
      for (let x = x0; x <= x1; x++) counts[row + x] = counts[row + x]! + 1;
    }
    placed.push(e);
  }
  const keep = fill === 1 ? placed.length : Math.round(fill * placed.length);
  const data = new Float64Array(total);
  const value = valueSampler(o, uniform);
  for (let i = 0; i < keep; i++) data[placed[i]!] = value();
  // The achieved ‖Γ‖s0,∞: recount when only a prefix was kept.
  if (keep < placed.length) {
    counts.fill(0);
    for (let i = 0; i < keep; i++) {
      const pos = placed[i]! % plane;
      const a = Math.floor(pos / Wc);
      const b = pos - a * Wc;
      for (let y = rowLo[a]!; y <= rowHi[a]!; y++) for (let x = colLo[b]!; x <= colHi[b]!; x++) counts[y * nc + x] = counts[y * nc + x]! + 1;
    }
  }
  let achieved = 0;
  for (let i = 0; i < counts.length; i++) if (counts[i]! > achieved) achieved = counts[i]!;
  return { data, shape: [m, Hc, Wc], stripe: achieved };
}

/** A length-`length` vector with `nnz` non-zeros at uniformly random distinct positions. */
export function sampleSparseVector(length: number, nnz: number, o: CodeValueOptions, uniform: () => number): Float64Array {
  validateValues(o);
  if (!Number.isInteger(length) || length < 0) throw new RangeError(`length must be a non-negative integer, got ${length}`);
  if (!Number.isInteger(nnz) || nnz < 0 || nnz > length) throw new RangeError(`nnz must be an integer in [0, ${length}], got ${nnz}`);
  // Partial Fisher–Yates over a sparse swap table: O(nnz) draws and memory, whatever the length.
  const swapped = new Map<number, number>();
  const positions: number[] = [];
  for (let i = 0; i < nnz; i++) {
    const r = i + Math.floor(uniform() * (length - i));
    positions.push(swapped.get(r) ?? r);
    swapped.set(r, swapped.get(i) ?? i);
  }
  const out = new Float64Array(length);
  const value = valueSampler(o, uniform);
  for (const p of positions) out[p] = value();
  return out;
}
