/**
 * Tensors of the float64 reference interpreter.
 *
 * Every value, whatever its ONNX dtype, is held as float64 numbers: integers (int32/int64) as exact
 * float64 integers (exact up to 2^53, far beyond any shape or index the engine produces) and bool as 0/1.
 * The dtype is carried alongside so that ops whose result depends on it (integer Div, Cast, comparisons)
 * behave like ONNX. This module deliberately shares no code with the graph builder or the runtime: it only
 * imports the IR's types.
 */

import type { DType } from '../graph/ir';

export type { DType };

export interface RefTensor {
  /** Static shape; `[]` is a scalar. */
  shape: number[];
  /** Row-major (C order) values, length = product of `shape`. */
  data: Float64Array;
  dtype: DType;
}

/** Any typed array the IR or a feed may hold. */
export type AnyTypedArray = Float64Array | Float32Array | BigInt64Array | Int32Array | Uint8Array;

/** Number of elements of a shape (1 for a scalar). Kept local so the reference does not reuse engine code. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides (in elements) of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

function checkShape(shape: readonly number[]): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`reference tensor: invalid dimension ${d} in shape [${shape.join(', ')}]`);
  }
}

/** Builds a tensor, checking that the data length matches the shape. Data is used as is (not copied). */
export function refTensor(shape: readonly number[], data: Float64Array | readonly number[], dtype: DType = 'float64'): RefTensor {
  checkShape(shape);
  const arr = data instanceof Float64Array ? data : Float64Array.from(data);
  const n = numel(shape);
  if (arr.length !== n) {
    throw new Error(`reference tensor: data has ${arr.length} elements but shape [${shape.join(', ')}] needs ${n}`);
  }
  return { shape: [...shape], data: arr, dtype };
}

/** A zero-filled tensor. */
export function zeros(shape: readonly number[], dtype: DType = 'float64'): RefTensor {
  checkShape(shape);
  return { shape: [...shape], data: new Float64Array(numel(shape)), dtype };
}

/** A rank-0 tensor. */
export function scalar(value: number, dtype: DType = 'float64'): RefTensor {
  return { shape: [], data: Float64Array.of(value), dtype };
}

/** Copies any supported typed array into float64 (BigInt64 via Number, exact below 2^53). */
export function toFloat64(data: AnyTypedArray): Float64Array {
  if (data instanceof Float64Array) return Float64Array.from(data);
  if (data instanceof BigInt64Array) {
    const out = new Float64Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = Number(data[i]!);
    return out;
  }
  return Float64Array.from(data);
}

/** The dtype a typed array naturally stores. */
export function dtypeOfTypedArray(data: AnyTypedArray): DType {
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Int32Array) return 'int32';
  return 'bool';
}

/**
 * Rounds float64 values to what a tensor of `dtype` can hold: float32 through Math.fround, integers by
 * truncation toward zero (as a C cast does, which is what ONNX Cast specifies for float→int), bool to 0/1.
 */
export function coerceToDType(values: Float64Array, dtype: DType): Float64Array {
  const out = new Float64Array(values.length);
  switch (dtype) {
    case 'float64':
      out.set(values);
      break;
    case 'float32':
      for (let i = 0; i < values.length; i++) out[i] = Math.fround(values[i]!);
      break;
    case 'int32':
      // A C cast of an out-of-range float is undefined; wrap like int32 arithmetic so results stay int32.
      for (let i = 0; i < values.length; i++) out[i] = Math.trunc(values[i]!) | 0;
      break;
    case 'int64':
      for (let i = 0; i < values.length; i++) out[i] = Math.trunc(values[i]!);
      break;
    case 'bool':
      // NaN is "not equal to zero", so it casts to true, as in C/C++.
      for (let i = 0; i < values.length; i++) out[i] = values[i] !== 0 ? 1 : 0;
      break;
  }
  return out;
}

/** Converts a reference tensor's values to the typed array ONNX Runtime uses for its dtype. */
export function toTypedArray(t: RefTensor): AnyTypedArray {
  const v = coerceToDType(t.data, t.dtype);
  switch (t.dtype) {
    case 'float64':
      return v;
    case 'float32':
      return Float32Array.from(v);
    case 'int32':
      return Int32Array.from(v);
    case 'int64': {
      const out = new BigInt64Array(v.length);
      for (let i = 0; i < v.length; i++) out[i] = BigInt(v[i]!);
      return out;
    }
    case 'bool':
      return Uint8Array.from(v);
  }
}

/** Multidirectional (numpy-style) broadcast of shapes, as in ONNX's Broadcasting.md. Throws if incompatible. */
export function broadcastShapes(...shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    const off = rank - s.length;
    for (let i = 0; i < s.length; i++) {
      const d = s[i]!;
      const o = out[off + i]!;
      if (d === o || d === 1) continue;
      if (o === 1) out[off + i] = d;
      else throw new Error(`reference: shapes ${shapes.map((x) => `[${x.join(', ')}]`).join(' and ')} are not broadcastable`);
    }
  }
  return out;
}

/** Largest |a[i] − b[i]| (NaN if the lengths differ or any pair involves exactly one NaN). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.NaN;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y || (Number.isNaN(x) && Number.isNaN(y))) continue; // equal infinities, or NaN on both sides
    const d = Math.abs(x - y);
    if (Number.isNaN(d)) return Number.NaN;
    if (d > m) m = d;
  }
  return m;
}

/** Euclidean inner product ⟨a, b⟩ of two equally long arrays. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`reference dot: lengths ${a.length} and ${b.length} differ`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
