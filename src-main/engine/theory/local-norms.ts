/**
 * Local norms of convolutional representations (Papyan, Sulam & Elad 2017, "Working locally thinking
 * globally", Parts I/II; SCIENCE.md, Conventions): the stripe sparsity ‖Γ‖^s_{0,∞} (most non-zeros that can
 * touch one signal patch), the patch sparsity ‖Γ‖^p_{0,∞} and the patch energy ‖E‖^p_{2,∞} (largest count /
 * ℓ2 norm in one window of the field itself). All are maxima of window sums, computed with 2-D prefix sums
 * in O(size) whatever the window.
 */
import { convGeometry } from './conv-matrix';
import type { ConvLayer, Field, Real } from './types';

export interface WindowMax {
  value: number;
  /** Top-left [row, col] of the first window (row-major order) attaining the maximum. */
  at: [number, number];
}

function checkField(field: Field, what: string): [number, number, number] {
  const [C, H, W] = field.shape;
  if (![C, H, W].every((d) => Number.isInteger(d) && d >= 1)) throw new RangeError(`${what} shape [${field.shape.join(', ')}] must be positive integers [c, H, W]`);
  if (field.data.length !== C * H * W) throw new RangeError(`${what} of shape [${field.shape.join(', ')}] needs ${C * H * W} values, got ${field.data.length}`);
  return [C, H, W];
}

/** (H+1)×(W+1) inclusive prefix sums of a per-pixel H×W map, so any rectangle sum is four lookups. */
function prefix(map: Float64Array, H: number, W: number): Float64Array {
  const P = new Float64Array((H + 1) * (W + 1));
  for (let y = 0; y < H; y++) {
    let row = 0;
    for (let x = 0; x < W; x++) {
      row += map[y * W + x]!;
      P[(y + 1) * (W + 1) + x + 1] = P[y * (W + 1) + x + 1]! + row;
    }
  }
  return P;
}

/** Sum of the map over rows y0 … y1 and columns x0 … x1 (inclusive). */
function rect(P: Float64Array, W: number, y0: number, y1: number, x0: number, x1: number): number {
  const w1 = W + 1;
  return P[(y1 + 1) * w1 + x1 + 1]! - P[y0 * w1 + x1 + 1]! - P[(y1 + 1) * w1 + x0]! + P[y0 * w1 + x0]!;
}

/** Per-pixel count over channels of |v| > tolerance. */
function countMap(field: Field, tolerance: number): Float64Array {
  const [C, H, W] = field.shape;
  const plane = H * W;
  const out = new Float64Array(plane);
  const d = field.data;
  for (let ch = 0; ch < C; ch++) for (let k = 0; k < plane; k++) if (Math.abs(d[ch * plane + k]!) > tolerance) out[k] += 1;
  return out;
}

function windowSize(window: readonly [number, number]): void {
  if (!window.every((d) => Number.isInteger(d) && d >= 1)) throw new RangeError(`window [${window.join(', ')}] must be two positive integers`);
}

/** Max over stride-1 windows fully inside an H×W map (clamped to the map) of the window's sum. */
function maxWindow(map: Float64Array, H: number, W: number, window: readonly [number, number]): WindowMax {
  windowSize(window);
  const wh = Math.min(window[0], H);
  const ww = Math.min(window[1], W);
  const P = prefix(map, H, W);
  let value = -Infinity;
  let at: [number, number] = [0, 0];
  for (let y = 0; y + wh <= H; y++) {
    for (let x = 0; x + ww <= W; x++) {
      const v = rect(P, W, y, y + wh - 1, x, x + ww - 1);
      if (v > value) {
        value = v;
        at = [y, x];
      }
    }
  }
  return { value, at };
}

/**
 * ‖Γ‖^s_{0,∞} of a code of `layer` for an input [c, H, W]: over every kh×kw window of the input, the
 * non-zeros (all m channels) whose atoms overlap it. The atoms overlapping rows r0 … r1 are the code rows a
 * with s·a − padH ≤ r1 and s·a − padH + kh − 1 ≥ r0, a contiguous range, so each window is one rectangle
 * of the code grid.
 */
export function stripeSparsity(code: Field, layer: ConvLayer, input: readonly [number, number, number], tolerance = 0): WindowMax {
  const g = convGeometry(layer, input);
  const [m, Hc, Wc] = checkField(code, 'code');
  if (m !== g.m || Hc !== g.Hc || Wc !== g.Wc) {
    throw new RangeError(`code shape [${code.shape.join(', ')}] does not match the layer's code shape [${g.m}, ${g.Hc}, ${g.Wc}] for input [${input.join(', ')}]`);
  }
  const P = prefix(countMap(code, tolerance), Hc, Wc);
  const ranges = (len: number, k: number, pad: number, n: number): Int32Array => {
    const win = Math.min(k, len);
    const count = len - win + 1;
    const out = new Int32Array(2 * count);
    for (let r0 = 0; r0 < count; r0++) {
      out[2 * r0] = Math.max(0, Math.ceil((r0 + pad - k + 1) / g.stride));
      out[2 * r0 + 1] = Math.min(n - 1, Math.floor((r0 + win - 1 + pad) / g.stride));
    }
    return out;
  };
  const rows = ranges(g.H, g.kh, g.padH, Hc);
  const cols = ranges(g.W, g.kw, g.padW, Wc);
  let value = -Infinity;
  let at: [number, number] = [0, 0];
  for (let y = 0; y < rows.length / 2; y++) {
    const a0 = rows[2 * y]!;
    const a1 = rows[2 * y + 1]!;
    for (let x = 0; x < cols.length / 2; x++) {
      const b0 = cols[2 * x]!;
      const b1 = cols[2 * x + 1]!;
      // With pad ≥ k an atom can sit wholly in the padding, leaving a window with no atom at all.
      const v = a0 <= a1 && b0 <= b1 ? rect(P, Wc, a0, a1, b0, b1) : 0;
      if (v > value) {
        value = v;
        at = [y, x];
      }
    }
  }
  return { value, at };
}

/** ‖·‖^p_{0,∞}: the most entries with |v| > tolerance (all channels) in one wh×ww window of the field. */
export function patchSparsity(field: Field, window: readonly [number, number], tolerance = 0): WindowMax {
  const [, H, W] = checkField(field, 'field');
  return maxWindow(countMap(field, tolerance), H, W, window);
}

/**
 * ‖·‖^p_{2,∞}: the largest ℓ2 norm (all channels) of one wh×ww window of the field. Prefix sums of squares
 * lose about 1e-16 of the total energy to cancellation; a window sum below that is noise and is clamped at 0.
 */
export function patchEnergy(field: Field, window: readonly [number, number]): WindowMax {
  const [C, H, W] = checkField(field, 'field');
  const plane = H * W;
  const sq = new Float64Array(plane);
  const d = field.data;
  for (let ch = 0; ch < C; ch++) {
    for (let k = 0; k < plane; k++) {
      const v = d[ch * plane + k]!;
      sq[k] += v * v;
    }
  }
  const r = maxWindow(sq, H, W, window);
  return { value: Math.sqrt(Math.max(r.value, 0)), at: r.at };
}

/**
 * The window for the patch norms of Γ_i (1-based; i = 0 is the signal): the kernel of layer i+1, the
 * footprint one atom of D_{i+1} has in Γ_i. The stability proofs bound |d_kᵀE| ≤ ‖R_kE‖₂ over exactly that
 * footprint, so this is the window for which ε_i chains from layer to layer. The deepest code is never
 * seen through a next dictionary: its window is one position (all channels), where √‖Γ‖^p_{0,∞} turns an
 * entrywise error into the ℓ2 error of that position.
 */
export function codePatchWindow(layers: readonly ConvLayer[], i: number): [number, number] {
  if (!Number.isInteger(i) || i < 0 || i > layers.length) throw new RangeError(`code index ${i} is outside 0 … ${layers.length}`);
  if (i === layers.length) return [1, 1];
  const sh = layers[i]!.weights.shape;
  if (sh.length !== 4) throw new RangeError(`layer ${i + 1} filters must be [m, c, kh, kw], got [${sh.join(', ')}]`);
  return [sh[2]!, sh[3]!];
}

/** Smallest and largest |v| over the entries with |v| > tolerance, their ratio (0 when there are none) and count. */
export function extremes(field: Field | Real, tolerance = 0): { min: number; max: number; ratio: number; nnz: number } {
  const d = ArrayBuffer.isView(field) ? field : field.data;
  let min = Infinity;
  let max = 0;
  let nnz = 0;
  for (let k = 0; k < d.length; k++) {
    const v = Math.abs(d[k]!);
    if (!(v > tolerance)) continue;
    nnz++;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (nnz === 0) return { min: 0, max: 0, ratio: 0, nnz: 0 };
  return { min, max, ratio: min / max, nnz };
}
