/**
 * A small typed builder for static-shape tensor graphs. Each method records one ONNX node (opset 18) and
 * returns a handle whose shape and dtype are inferred at build time, so algorithm code reads like maths and
 * shape mistakes fail here, with the op named, rather than inside ONNX Runtime.
 */
import {
  type AttrValue,
  type DType,
  type GraphIR,
  type InitializerIR,
  type NodeIR,
  type Shape,
  type TypedData,
  type ValueIR,
  floatAttr,
  sizeOf,
} from './ir';
import {
  ShapeError,
  broadcastShapes,
  convShape,
  convTransposeOutputPadding,
  convTransposeShape,
  matmulShape,
  normalizeAxes,
  reduceShape,
  reshapeShape,
  sliceShape,
  type ConvGeometry,
} from './shapes';

export interface Tensor {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: Shape;
}

export interface ConvOptions {
  readonly strides?: number | readonly number[];
  /** A number or one number per spatial dim (symmetric), or ONNX layout [begins..., ends...]. */
  readonly pads?: number | readonly number[];
  readonly dilations?: number | readonly number[];
  readonly group?: number;
}

export interface ConvTransposeOptions extends ConvOptions {
  /** Spatial output shape; pinned through output_padding, never auto_pad. */
  readonly outputShape: readonly number[];
}

/** ONNX TensorProto.DataType codes. */
export const ONNX_DTYPE: Readonly<Record<DType, number>> = { float32: 1, int32: 6, int64: 7, bool: 9, float64: 11 };

const FLOAT_TYPES: readonly DType[] = ['float32', 'float64'];

export function typedArrayFor(dtype: DType, values: ArrayLike<number> | number): TypedData {
  const arr = typeof values === 'number' ? [values] : Array.from(values);
  switch (dtype) {
    case 'float32':
      return Float32Array.from(arr);
    case 'float64':
      return Float64Array.from(arr);
    case 'int32':
      return Int32Array.from(arr);
    case 'int64':
      return BigInt64Array.from(arr.map((v) => BigInt(Math.trunc(v))));
    case 'bool':
      return Uint8Array.from(arr.map((v) => (v ? 1 : 0)));
  }
}

export function geometry(spatial: number, o: ConvOptions): ConvGeometry {
  const perDim = (v: number | readonly number[] | undefined, dflt: number, what: string): number[] => {
    if (v === undefined) return Array(spatial).fill(dflt);
    if (typeof v === 'number') return Array(spatial).fill(v);
    if (v.length !== spatial) throw new ShapeError('Conv', `${what} needs ${spatial} entries, got [${v.join(', ')}]`);
    return [...v];
  };
  let pads: number[];
  if (o.pads === undefined) pads = Array(2 * spatial).fill(0);
  else if (typeof o.pads === 'number') pads = Array(2 * spatial).fill(o.pads);
  else if (o.pads.length === spatial) pads = [...o.pads, ...o.pads];
  else if (o.pads.length === 2 * spatial) pads = [...o.pads];
  else throw new ShapeError('Conv', `pads needs ${spatial} or ${2 * spatial} entries, got [${o.pads.join(', ')}]`);
  const g: ConvGeometry = {
    strides: perDim(o.strides, 1, 'strides'),
    dilations: perDim(o.dilations, 1, 'dilations'),
    pads,
    group: o.group ?? 1,
  };
  for (const v of [...g.strides, ...g.dilations]) if (!Number.isInteger(v) || v < 1) throw new ShapeError('Conv', `strides and dilations must be positive integers`);
  for (const v of pads) if (!Number.isInteger(v) || v < 0) throw new ShapeError('Conv', `pads must be non-negative integers`);
  return g;
}

export class GraphBuilder {
  private readonly nodeList: NodeIR[] = [];
  private readonly values = new Map<string, Tensor>();
  private readonly inputList: ValueIR[] = [];
  private readonly outputList: ValueIR[] = [];
  private readonly initializerList: InitializerIR[] = [];
  private readonly constantCache = new Map<string, Tensor>();
  private counter = 0;

  constructor(readonly name: string = 'graph') {}

  // ---- graph interface -------------------------------------------------------------------------------

  input(name: string, dtype: DType, shape: Shape): Tensor {
    this.claim(name);
    const t = this.register({ name, dtype, shape: [...shape] });
    this.inputList.push(t);
    return t;
  }

  /** A named initializer baked into the graph (used for exported models with weights inside). */
  initializer(name: string, dtype: DType, shape: Shape, data: TypedData): Tensor {
    this.claim(name);
    if (data.length !== sizeOf(shape)) throw new ShapeError('Initializer', `${name}: ${data.length} values for shape [${shape.join(', ')}]`);
    const t = this.register({ name, dtype, shape: [...shape] });
    this.initializerList.push({ name, dtype, shape: [...shape], data });
    return t;
  }

  /** An anonymous constant; equal small constants are shared. */
  constant(values: ArrayLike<number> | number, shape: Shape = typeof values === 'number' ? [] : [(values as ArrayLike<number>).length], dtype: DType = 'float32'): Tensor {
    const data = typedArrayFor(dtype, values);
    const key = data.length <= 16 ? `${dtype}|${shape.join(',')}|${Array.from(data as ArrayLike<number | bigint>).join(',')}` : undefined;
    const hit = key && this.constantCache.get(key);
    if (hit) return hit;
    const t = this.initializer(this.fresh('const'), dtype, shape, data);
    if (key) this.constantCache.set(key, t);
    return t;
  }

  scalar(value: number, dtype: DType = 'float32'): Tensor {
    return this.constant(value, [], dtype);
  }

  /** Marks `t` as a graph output under `name` (through an Identity when the value already has another name). */
  output(name: string, t: Tensor): Tensor {
    let out = t;
    if (t.name !== name) out = this.emit('Identity', [t], {}, [{ dtype: t.dtype, shape: t.shape }], [name])[0]!;
    this.outputList.push({ name: out.name, dtype: out.dtype, shape: out.shape });
    return out;
  }

  /** The data of a constant or initializer, or undefined for computed values and graph inputs. */
  constantValue(t: Tensor): TypedData | undefined {
    return this.initializerList.find((i) => i.name === t.name)?.data;
  }

  get nodes(): readonly NodeIR[] {
    return this.nodeList;
  }

  tensor(name: string): Tensor {
    const t = this.values.get(name);
    if (!t) throw new Error(`graph ${this.name}: no value named ${name}`);
    return t;
  }

  toIR(): GraphIR {
    if (this.outputList.length === 0) throw new Error(`graph ${this.name}: no outputs`);
    const declared = new Set([...this.inputList, ...this.outputList, ...this.initializerList].map((v) => v.name));
    return {
      name: this.name,
      inputs: [...this.inputList],
      outputs: [...this.outputList],
      initializers: [...this.initializerList],
      nodes: [...this.nodeList],
      valueInfo: [...this.values.values()].filter((v) => !declared.has(v.name)).map((v) => ({ name: v.name, dtype: v.dtype, shape: v.shape })),
    };
  }

  // ---- elementwise -----------------------------------------------------------------------------------

  add(a: Tensor | number, b: Tensor | number): Tensor {
    return this.binary('Add', a, b);
  }
  sub(a: Tensor | number, b: Tensor | number): Tensor {
    return this.binary('Sub', a, b);
  }
  mul(a: Tensor | number, b: Tensor | number): Tensor {
    return this.binary('Mul', a, b);
  }
  div(a: Tensor | number, b: Tensor | number): Tensor {
    return this.binary('Div', a, b);
  }
  pow(a: Tensor | number, b: Tensor | number): Tensor {
    return this.binary('Pow', a, b);
  }
  max(a: Tensor | number, b: Tensor | number): Tensor {
    return this.binary('Max', a, b);
  }
  min(a: Tensor | number, b: Tensor | number): Tensor {
    return this.binary('Min', a, b);
  }
  greater(a: Tensor | number, b: Tensor | number): Tensor {
    return this.binary('Greater', a, b, 'bool');
  }
  less(a: Tensor | number, b: Tensor | number): Tensor {
    return this.binary('Less', a, b, 'bool');
  }
  equal(a: Tensor | number, b: Tensor | number): Tensor {
    return this.binary('Equal', a, b, 'bool');
  }
  neg(x: Tensor): Tensor {
    return this.unary('Neg', x);
  }
  abs(x: Tensor): Tensor {
    return this.unary('Abs', x);
  }
  sign(x: Tensor): Tensor {
    return this.unary('Sign', x);
  }
  relu(x: Tensor): Tensor {
    return this.unary('Relu', x);
  }
  sqrt(x: Tensor): Tensor {
    return this.unary('Sqrt', x);
  }
  exp(x: Tensor): Tensor {
    return this.unary('Exp', x);
  }
  log(x: Tensor): Tensor {
    return this.unary('Log', x);
  }
  reciprocal(x: Tensor): Tensor {
    return this.unary('Reciprocal', x);
  }
  identity(x: Tensor): Tensor {
    return this.unary('Identity', x);
  }

  cast(x: Tensor, dtype: DType): Tensor {
    return this.emit('Cast', [x], { to: ONNX_DTYPE[dtype] }, [{ dtype, shape: x.shape }])[0]!;
  }

  where(condition: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
    const ref = typeof a === 'number' ? (typeof b === 'number' ? undefined : b) : a;
    const dtype = ref?.dtype ?? 'float32';
    const ta = this.lift(a, dtype);
    const tb = this.lift(b, dtype);
    if (condition.dtype !== 'bool') throw new ShapeError('Where', 'condition must be bool');
    const shape = broadcastShapes('Where', condition.shape, ta.shape, tb.shape);
    return this.emit('Where', [condition, ta, tb], {}, [{ dtype, shape }])[0]!;
  }

  // ---- thresholds (SCIENCE.md conventions; β is a tensor so it can be a graph input) -------------------

  /**
   * S_β(x) = sign(x)·max(|x|−β, 0) = x − clip(x, −β, β): two passes over x instead of the six of
   * Relu(x−β) − Relu(−x−β). ONNX Clip takes scalar bounds only, so a per-channel β uses Max/Min.
   */
  softThreshold(x: Tensor, beta: Tensor | number): Tensor {
    const b = this.lift(beta, x.dtype);
    const negB = this.neg(b);
    const clipped = b.shape.length === 0 ? this.clip(x, negB, b) : this.min(this.max(x, negB), b);
    return this.sub(x, clipped);
  }

  /** S⁺_β(x) = max(x−β, 0) = Relu(x−β): the CNN activation with bias −β. */
  softThresholdNonNegative(x: Tensor, beta: Tensor | number): Tensor {
    return this.relu(this.sub(x, beta));
  }

  /** H_β(x) = x·1[|x| > β]. */
  hardThreshold(x: Tensor, beta: Tensor | number): Tensor {
    return this.where(this.greater(this.abs(x), beta), x, 0);
  }

  /** ONNX Clip with scalar tensor bounds. */
  clip(x: Tensor, min: Tensor, max: Tensor): Tensor {
    if (min.shape.length !== 0 || max.shape.length !== 0) throw new ShapeError('Clip', 'min and max must be scalars');
    return this.emit('Clip', [x, min, max], {}, [{ dtype: x.dtype, shape: x.shape }])[0]!;
  }

  // ---- linear algebra and convolution ----------------------------------------------------------------

  matmul(a: Tensor, b: Tensor): Tensor {
    this.sameFloat('MatMul', a, b);
    return this.emit('MatMul', [a, b], {}, [{ dtype: a.dtype, shape: matmulShape(a.shape, b.shape) }])[0]!;
  }

  /** Y = alpha·op(A)·op(B) + beta·C with A, B 2-D. */
  gemm(a: Tensor, b: Tensor, c?: Tensor, o: { alpha?: number; beta?: number; transA?: boolean; transB?: boolean } = {}): Tensor {
    if (a.shape.length !== 2 || b.shape.length !== 2) throw new ShapeError('Gemm', `operands must be 2-D, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
    this.sameFloat('Gemm', a, b);
    const [m, k1] = o.transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
    const [k2, n] = o.transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
    if (k1 !== k2) throw new ShapeError('Gemm', `inner dimensions differ (${k1} vs ${k2})`);
    if (c) broadcastShapes('Gemm', [m, n], c.shape);
    const attrs: Record<string, AttrValue> = { alpha: floatAttr(o.alpha ?? 1), beta: floatAttr(o.beta ?? 1), transA: o.transA ? 1 : 0, transB: o.transB ? 1 : 0 };
    return this.emit('Gemm', c ? [a, b, c] : [a, b], attrs, [{ dtype: a.dtype, shape: [m, n] }])[0]!;
  }

  /** Analysis Dᵀx: ONNX Conv (cross-correlation) with explicit pads. */
  conv(x: Tensor, w: Tensor, o: ConvOptions = {}): Tensor {
    this.sameFloat('Conv', x, w);
    const g = geometry(x.shape.length - 2, o);
    const shape = convShape(x.shape, w.shape, g);
    return this.emit('Conv', [x, w], convAttrs(w.shape, g), [{ dtype: x.dtype, shape }])[0]!;
  }

  /** Synthesis DΓ: ONNX ConvTranspose with the same kernel/stride/pads as the analysis Conv, output shape pinned. */
  convTranspose(x: Tensor, w: Tensor, o: ConvTransposeOptions): Tensor {
    this.sameFloat('ConvTranspose', x, w);
    const g = geometry(x.shape.length - 2, o);
    const shape = convTransposeShape(x.shape, w.shape, g, o.outputShape);
    const outputPadding = convTransposeOutputPadding(x.shape, w.shape, g, o.outputShape);
    const attrs = convAttrs(w.shape, g);
    if (outputPadding.some((p) => p !== 0)) attrs.output_padding = outputPadding;
    return this.emit('ConvTranspose', [x, w], attrs, [{ dtype: x.dtype, shape }])[0]!;
  }

  // ---- reductions --------------------------------------------------------------------------------------

  reduceSum(x: Tensor, axes?: readonly number[], keepdims = false): Tensor {
    return this.reduce('ReduceSum', x, axes, keepdims);
  }
  reduceMean(x: Tensor, axes?: readonly number[], keepdims = false): Tensor {
    return this.reduce('ReduceMean', x, axes, keepdims);
  }
  reduceMax(x: Tensor, axes?: readonly number[], keepdims = false): Tensor {
    return this.reduce('ReduceMax', x, axes, keepdims);
  }
  reduceMin(x: Tensor, axes?: readonly number[], keepdims = false): Tensor {
    return this.reduce('ReduceMin', x, axes, keepdims);
  }
  reduceSumSquare(x: Tensor, axes?: readonly number[], keepdims = false): Tensor {
    return this.reduce('ReduceSumSquare', x, axes, keepdims);
  }
  reduceL1(x: Tensor, axes?: readonly number[], keepdims = false): Tensor {
    return this.reduce('ReduceL1', x, axes, keepdims);
  }

  // ---- shape manipulation ----------------------------------------------------------------------------------

  reshape(x: Tensor, shape: readonly number[]): Tensor {
    const out = reshapeShape(x.shape, shape);
    return this.emit('Reshape', [x, this.constant(out, [out.length], 'int64')], {}, [{ dtype: x.dtype, shape: out }])[0]!;
  }

  transpose(x: Tensor, perm: readonly number[]): Tensor {
    const p = normalizeAxes('Transpose', perm, x.shape.length);
    if (new Set(p).size !== x.shape.length || p.length !== x.shape.length) throw new ShapeError('Transpose', `perm [${perm.join(', ')}] is not a permutation of rank ${x.shape.length}`);
    return this.emit('Transpose', [x], { perm: p }, [{ dtype: x.dtype, shape: p.map((i) => x.shape[i]!) }])[0]!;
  }

  concat(xs: readonly Tensor[], axis: number): Tensor {
    if (xs.length === 0) throw new ShapeError('Concat', 'needs at least one input');
    const rank = xs[0]!.shape.length;
    const ax = normalizeAxes('Concat', [axis], rank)[0]!;
    const shape = [...xs[0]!.shape];
    for (const t of xs.slice(1)) {
      if (t.shape.length !== rank || t.shape.some((d, i) => i !== ax && d !== shape[i])) throw new ShapeError('Concat', `shapes ${xs.map((u) => `[${u.shape.join(', ')}]`).join(', ')} differ off axis ${axis}`);
      shape[ax] = shape[ax]! + t.shape[ax]!;
    }
    return this.emit('Concat', xs, { axis: ax }, [{ dtype: xs[0]!.dtype, shape }])[0]!;
  }

  slice(x: Tensor, starts: readonly number[], ends: readonly number[], axes?: readonly number[], steps?: readonly number[]): Tensor {
    const ax = axes ?? starts.map((_, i) => i);
    const st = steps ?? starts.map(() => 1);
    const shape = sliceShape(x.shape, starts, ends, ax, st);
    const n = starts.length;
    const inputs = [x, this.constant(starts, [n], 'int64'), this.constant(ends, [n], 'int64'), this.constant(ax, [n], 'int64'), this.constant(st, [n], 'int64')];
    return this.emit('Slice', inputs, {}, [{ dtype: x.dtype, shape }])[0]!;
  }

  /** Constant-value padding; `pads` in ONNX layout [begins..., ends...] over all axes. */
  pad(x: Tensor, pads: readonly number[], value = 0): Tensor {
    const r = x.shape.length;
    if (pads.length !== 2 * r) throw new ShapeError('Pad', `pads needs ${2 * r} entries`);
    const shape = x.shape.map((d, i) => d + pads[i]! + pads[r + i]!);
    if (shape.some((d) => d < 0)) throw new ShapeError('Pad', `negative pads remove more than the tensor holds`);
    const inputs = [x, this.constant(pads, [2 * r], 'int64'), this.constant(value, [], x.dtype)];
    return this.emit('Pad', inputs, { mode: 'constant' }, [{ dtype: x.dtype, shape }])[0]!;
  }

  expand(x: Tensor, shape: readonly number[]): Tensor {
    const out = broadcastShapes('Expand', x.shape, shape);
    return this.emit('Expand', [x, this.constant(shape, [shape.length], 'int64')], {}, [{ dtype: x.dtype, shape: out }])[0]!;
  }

  // ---- classification ----------------------------------------------------------------------------------

  softmax(x: Tensor, axis = -1): Tensor {
    const ax = normalizeAxes('Softmax', [axis], x.shape.length)[0]!;
    return this.emit('Softmax', [x], { axis: ax }, [{ dtype: x.dtype, shape: x.shape }])[0]!;
  }

  logSoftmax(x: Tensor, axis = -1): Tensor {
    const ax = normalizeAxes('LogSoftmax', [axis], x.shape.length)[0]!;
    return this.emit('LogSoftmax', [x], { axis: ax }, [{ dtype: x.dtype, shape: x.shape }])[0]!;
  }

  /** Mean over the batch of −Σ_c onehot·log softmax(logits); logits and targets are [B, classes]. */
  crossEntropy(logits: Tensor, oneHotTargets: Tensor): Tensor {
    if (logits.shape.length !== 2 || logits.shape.join() !== oneHotTargets.shape.join()) throw new ShapeError('CrossEntropy', `logits [${logits.shape.join(', ')}] and targets [${oneHotTargets.shape.join(', ')}] must both be [B, classes]`);
    const perSample = this.reduceSum(this.mul(oneHotTargets, this.logSoftmax(logits, 1)), [1]);
    return this.neg(this.reduceMean(perSample));
  }

  // ---- convenience -----------------------------------------------------------------------------------------

  /** ‖x‖₂² over all elements, as a scalar. */
  sumSquares(x: Tensor): Tensor {
    return this.reduceSumSquare(x);
  }

  /** ‖x‖₁ over all elements, as a scalar. */
  sumAbs(x: Tensor): Tensor {
    return this.reduceL1(x);
  }

  // ---- internals -----------------------------------------------------------------------------------------

  /** Low-level node emission, used by the gradient builder as well. */
  emit(opType: string, inputs: readonly Tensor[], attrs: Record<string, AttrValue>, outs: readonly { dtype: DType; shape: Shape }[], names?: readonly string[]): Tensor[] {
    for (const t of inputs) if (this.values.get(t.name) !== t) throw new Error(`${opType}: input ${t.name} belongs to another graph`);
    const outputs = outs.map((o, i) => {
      const name = names?.[i] ?? this.fresh(opType.toLowerCase());
      this.claim(name);
      return this.register({ name, dtype: o.dtype, shape: [...o.shape] });
    });
    this.nodeList.push({ opType, inputs: inputs.map((t) => t.name), outputs: outputs.map((t) => t.name), attrs });
    return outputs;
  }

  lift(v: Tensor | number, dtype: DType): Tensor {
    return typeof v === 'number' ? this.scalar(v, dtype) : v;
  }

  private unary(op: string, x: Tensor): Tensor {
    return this.emit(op, [x], {}, [{ dtype: x.dtype, shape: x.shape }])[0]!;
  }

  private binary(op: string, a: Tensor | number, b: Tensor | number, outDtype?: DType): Tensor {
    const dtype = typeof a !== 'number' ? a.dtype : typeof b !== 'number' ? b.dtype : 'float32';
    const ta = this.lift(a, dtype);
    const tb = this.lift(b, dtype);
    if (ta.dtype !== tb.dtype) throw new ShapeError(op, `dtypes differ: ${ta.dtype} and ${tb.dtype}`);
    const shape = broadcastShapes(op, ta.shape, tb.shape);
    return this.emit(op, [ta, tb], {}, [{ dtype: outDtype ?? dtype, shape }])[0]!;
  }

  private reduce(op: string, x: Tensor, axes: readonly number[] | undefined, keepdims: boolean): Tensor {
    // An empty axes list means "reduce nothing" here; ONNX would read an empty axes input as "reduce all".
    if (axes !== undefined && axes.length === 0) return op === 'ReduceSumSquare' ? this.mul(x, x) : op === 'ReduceL1' ? this.abs(x) : this.identity(x);
    const shape = reduceShape(op, x.shape, axes, keepdims);
    const inputs = [x];
    if (axes !== undefined) {
      const ax = normalizeAxes(op, axes, x.shape.length);
      inputs.push(this.constant(ax, [ax.length], 'int64'));
    }
    return this.emit(op, inputs, { keepdims: keepdims ? 1 : 0 }, [{ dtype: x.dtype, shape }])[0]!;
  }

  private sameFloat(op: string, a: Tensor, b: Tensor): void {
    if (a.dtype !== b.dtype || !FLOAT_TYPES.includes(a.dtype)) throw new ShapeError(op, `operands must share a float dtype, got ${a.dtype} and ${b.dtype}`);
  }

  private register(t: Tensor): Tensor {
    this.values.set(t.name, t);
    return t;
  }

  private claim(name: string): void {
    if (this.values.has(name)) throw new Error(`graph ${this.name}: the name ${name} is already used`);
  }

  private fresh(prefix: string): string {
    let name: string;
    do name = `${prefix}_${this.counter++}`;
    while (this.values.has(name));
    return name;
  }
}

function convAttrs(w: Shape, g: ConvGeometry): Record<string, AttrValue> {
  return { kernel_shape: w.slice(2), strides: g.strides, pads: g.pads, dilations: g.dilations, group: g.group };
}
