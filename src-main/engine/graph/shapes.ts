/**
 * Static shape inference for the ops the builder emits. Every function throws a `ShapeError` naming the op
 * and the offending shapes, so a wrong configuration fails at build time with a readable message instead of
 * inside ONNX Runtime.
 */
import type { Shape } from './ir';

export class ShapeError extends Error {
  constructor(op: string, message: string) {
    super(`${op}: ${message}`);
    this.name = 'ShapeError';
  }
}

const fmt = (s: Shape) => `[${s.join(', ')}]`;

/** NumPy/ONNX multidirectional broadcasting. */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let dim = 1;
    for (const s of shapes) {
      const d = s[s.length - rank + i] ?? 1;
      if (d === 1) continue;
      if (dim !== 1 && dim !== d) throw new ShapeError(op, `cannot broadcast ${shapes.map(fmt).join(' with ')}`);
      dim = d;
    }
    out.push(dim);
  }
  return out;
}

export function matmulShape(a: Shape, b: Shape): number[] {
  if (a.length === 0 || b.length === 0) throw new ShapeError('MatMul', 'operands must have rank ≥ 1');
  const a2 = a.length === 1 ? [1, a[0]!] : [...a];
  const b2 = b.length === 1 ? [b[0]!, 1] : [...b];
  const k1 = a2[a2.length - 1]!;
  const k2 = b2[b2.length - 2]!;
  if (k1 !== k2) throw new ShapeError('MatMul', `inner dimensions differ: ${fmt(a)} × ${fmt(b)}`);
  const batch = broadcastShapes('MatMul', a2.slice(0, -2), b2.slice(0, -2));
  const out = [...batch, a2[a2.length - 2]!, b2[b2.length - 1]!];
  if (a.length === 1) out.splice(out.length - 2, 1);
  if (b.length === 1) out.splice(out.length - 1, 1);
  return out;
}

export interface ConvGeometry {
  /** One entry per spatial dimension. */
  readonly strides: readonly number[];
  /** ONNX layout: all begins, then all ends. */
  readonly pads: readonly number[];
  readonly dilations: readonly number[];
  readonly group: number;
}

export function convOutputSpatial(op: string, input: Shape, kernel: Shape, g: ConvGeometry): number[] {
  const spatial = input.length - 2;
  const out: number[] = [];
  for (let i = 0; i < spatial; i++) {
    const size = input[2 + i]! + g.pads[i]! + g.pads[spatial + i]!;
    const span = (kernel[2 + i]! - 1) * g.dilations[i]! + 1;
    if (size < span) throw new ShapeError(op, `kernel ${fmt(kernel)} (dilation ${g.dilations[i]}) does not fit input ${fmt(input)} with pads ${fmt(g.pads)}`);
    out.push(Math.floor((size - span) / g.strides[i]!) + 1);
  }
  return out;
}

export function convShape(x: Shape, w: Shape, g: ConvGeometry): number[] {
  if (x.length < 3 || w.length !== x.length) throw new ShapeError('Conv', `input ${fmt(x)} and weights ${fmt(w)} must both be [N, C, spatial...]`);
  if (x[1]! !== w[1]! * g.group) throw new ShapeError('Conv', `input has ${x[1]} channels but weights ${fmt(w)} with group ${g.group} expect ${w[1]! * g.group}`);
  if (w[0]! % g.group !== 0) throw new ShapeError('Conv', `${w[0]} filters are not divisible by group ${g.group}`);
  return [x[0]!, w[0]!, ...convOutputSpatial('Conv', x, w, g)];
}

/**
 * ConvTranspose output size per spatial dim: s·(in−1) + output_padding + (k−1)·d + 1 − pad_begin − pad_end.
 * Returns the output_padding that pins the requested output shape. ONNX allows [0, max(s, d)) but ONNX Runtime's
 * CPU kernel refuses output_padding ≥ stride, so the builder accepts [0, s) only.
 */
export function convTransposeOutputPadding(x: Shape, w: Shape, g: ConvGeometry, outputSpatial: readonly number[]): number[] {
  const spatial = x.length - 2;
  if (outputSpatial.length !== spatial) throw new ShapeError('ConvTranspose', `output shape ${fmt(outputSpatial)} must have ${spatial} spatial dims`);
  const padding: number[] = [];
  for (let i = 0; i < spatial; i++) {
    const base = g.strides[i]! * (x[2 + i]! - 1) + (w[2 + i]! - 1) * g.dilations[i]! + 1 - g.pads[i]! - g.pads[spatial + i]!;
    const extra = outputSpatial[i]! - base;
    if (extra < 0 || extra >= g.strides[i]!) {
      throw new ShapeError('ConvTranspose', `input ${fmt(x)} with kernel ${fmt(w)}, stride ${g.strides[i]} and pads ${fmt(g.pads)} cannot produce spatial size ${outputSpatial[i]} (natural size ${base})`);
    }
    padding.push(extra);
  }
  return padding;
}

export function convTransposeShape(x: Shape, w: Shape, g: ConvGeometry, outputSpatial: readonly number[]): number[] {
  if (x.length < 3 || w.length !== x.length) throw new ShapeError('ConvTranspose', `input ${fmt(x)} and weights ${fmt(w)} must both be [N, C, spatial...]`);
  if (x[1]! !== w[0]!) throw new ShapeError('ConvTranspose', `input has ${x[1]} channels but weights ${fmt(w)} have ${w[0]} filters`);
  convTransposeOutputPadding(x, w, g, outputSpatial);
  return [x[0]!, w[1]! * g.group, ...outputSpatial];
}

export function normalizeAxes(op: string, axes: readonly number[], rank: number): number[] {
  return axes.map((a) => {
    const ax = a < 0 ? a + rank : a;
    if (ax < 0 || ax >= rank) throw new ShapeError(op, `axis ${a} out of range for rank ${rank}`);
    return ax;
  });
}

export function reduceShape(op: string, x: Shape, axes: readonly number[] | undefined, keepdims: boolean): number[] {
  const ax = axes === undefined ? x.map((_, i) => i) : normalizeAxes(op, axes, x.length);
  const out: number[] = [];
  x.forEach((d, i) => {
    if (ax.includes(i)) {
      if (keepdims) out.push(1);
    } else out.push(d);
  });
  return out;
}

export function reshapeShape(x: Shape, target: readonly number[]): number[] {
  const total = x.reduce((a, b) => a * b, 1);
  const out = target.map((d, i) => (d === 0 ? x[i]! : d));
  const unknown = out.indexOf(-1);
  const known = out.reduce((a, d) => (d === -1 ? a : a * d), 1);
  if (unknown >= 0) {
    if (known === 0 || total % known !== 0) throw new ShapeError('Reshape', `cannot reshape ${fmt(x)} to ${fmt(target)}`);
    out[unknown] = total / known;
  } else if (known !== total) throw new ShapeError('Reshape', `cannot reshape ${fmt(x)} (${total} elements) to ${fmt(target)}`);
  return out;
}

export function sliceShape(x: Shape, starts: readonly number[], ends: readonly number[], axes: readonly number[], steps: readonly number[]): number[] {
  const out = [...x];
  normalizeAxes('Slice', axes, x.length).forEach((ax, i) => {
    const dim = x[ax]!;
    const step = steps[i] ?? 1;
    if (step === 0) throw new ShapeError('Slice', 'step must not be 0');
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
    let s = starts[i]!;
    let e = ends[i]!;
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    if (step > 0) {
      s = clamp(s, 0, dim);
      e = clamp(e, 0, dim);
      out[ax] = Math.max(0, Math.ceil((e - s) / step));
    } else {
      s = clamp(s, 0, dim - 1);
      e = clamp(e, -1, dim - 1);
      out[ax] = Math.max(0, Math.ceil((e - s) / step));
    }
  });
  return out;
}
