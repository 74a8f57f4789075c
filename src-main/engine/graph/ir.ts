/**
 * The engine's intermediate representation of a tensor graph: plain data, independent of protobuf and of
 * ONNX Runtime. The builder produces it, the emitter turns it into ONNX bytes, and the float64 reference
 * interpreter evaluates it directly, so the reference never shares code with the path it checks.
 *
 * Semantics of every op are those of the ONNX operator of the same name at `OPSET_VERSION`.
 */

export const OPSET_VERSION = 18;
export const IR_VERSION = 8;

export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'bool';

/** A static shape: every dimension is a known non-negative integer. */
export type Shape = readonly number[];

export type AttrValue = number | string | readonly number[] | { readonly floats: readonly number[] } | { readonly float: number };

export interface NodeIR {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Integer attributes are plain numbers / number arrays; float attributes are wrapped ({float}, {floats}). */
  readonly attrs: Readonly<Record<string, AttrValue>>;
}

export type TypedData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

export interface ValueIR {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: Shape;
}

export interface InitializerIR extends ValueIR {
  /** Uint8Array holds bool data (0/1). */
  readonly data: TypedData;
}

export interface GraphIR {
  readonly name: string;
  readonly inputs: readonly ValueIR[];
  readonly outputs: readonly ValueIR[];
  readonly initializers: readonly InitializerIR[];
  readonly nodes: readonly NodeIR[];
  /** Shapes of every intermediate value, from the builder's shape inference. */
  readonly valueInfo: readonly ValueIR[];
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function floatAttr(value: number): { readonly float: number } {
  return { float: value };
}
