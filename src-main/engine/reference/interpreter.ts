/**
 * Independent float64 interpreter of the engine's GraphIR, used by tests to check ONNX Runtime.
 *
 * It reads only the IR's types and shares no code with the builder, the emitter or the runtime. Every
 * value is computed in float64 whatever its declared dtype; only Cast to float32 (and feeding a float32
 * graph input) rounds through Math.fround, so results of float32 graphs differ from ORT by float32
 * rounding only. Semantics follow the ONNX operator specification at opset 18.
 */

import type { AttrValue, DType, GraphIR, ValueIR } from '../graph/ir';
import { conv2d, convTranspose2d } from './conv';
import {
  broadcastShapes,
  coerceToDType,
  numel,
  refTensor,
  stridesOf,
  toFloat64,
  type AnyTypedArray,
  type RefTensor,
} from './tensor';

export interface FeedValue {
  readonly shape: readonly number[];
  readonly data: AnyTypedArray;
}

export interface EvaluateOptions {
  /** Return every value (graph inputs, initializers and all node outputs), not only the graph outputs. */
  readonly keepAll?: boolean;
  /**
   * Check every computed value that the graph declares (outputs and valueInfo) against the declared shape
   * and dtype, and throw on mismatch. Default true: a mismatch means the builder's shape inference
   * disagrees with the operator semantics.
   */
  readonly checkDeclared?: boolean;
}

type Attrs = Readonly<Record<string, AttrValue>>;

/** What `evaluateNode` needs of a node. */
export interface OpSpec {
  readonly opType: string;
  readonly attrs?: Attrs;
}

const UNSUPPORTED = 'reference interpreter: unsupported op';

function fmt(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

// ---------------------------------------------------------------------------------------------------
// Evaluating a graph
// ---------------------------------------------------------------------------------------------------

/**
 * Evaluates `graph` on `feeds` in float64, node by node in the given (topological) order, and returns the
 * graph outputs by name (every value with `{ keepAll: true }`).
 */
export function evaluateGraph(
  graph: GraphIR,
  feeds: Readonly<Record<string, FeedValue>>,
  options: EvaluateOptions = {},
): Record<string, RefTensor> {
  const env = new Map<string, RefTensor>();
  const initNames = new Set<string>();
  for (const init of graph.initializers) {
    const data = toFloat64(init.data);
    if (data.length !== numel(init.shape)) {
      throw new Error(
        `reference interpreter: initializer "${init.name}" has ${data.length} values but shape ${fmt(init.shape)} needs ${numel(init.shape)}`,
      );
    }
    env.set(init.name, refTensor(init.shape, coerceToDType(data, init.dtype), init.dtype));
    initNames.add(init.name);
  }

  const inputNames = new Set(graph.inputs.map((v) => v.name));
  for (const name of Object.keys(feeds)) {
    if (!inputNames.has(name)) {
      throw new Error(
        `reference interpreter: feed "${name}" is not a graph input (inputs: ${graph.inputs.map((v) => v.name).join(', ')})`,
      );
    }
  }
  for (const input of graph.inputs) {
    const feed = feeds[input.name];
    if (feed === undefined) {
      // ONNX lets an initializer double as the default of a graph input of the same name.
      if (initNames.has(input.name)) continue;
      throw new Error(`reference interpreter: missing feed for graph input "${input.name}" of shape ${fmt(input.shape)}`);
    }
    if (!sameShape(feed.shape, input.shape)) {
      throw new Error(
        `reference interpreter: feed "${input.name}" has shape ${fmt(feed.shape)} but the graph declares ${fmt(input.shape)}`,
      );
    }
    if (feed.data.length !== numel(input.shape)) {
      throw new Error(
        `reference interpreter: feed "${input.name}" has ${feed.data.length} values but shape ${fmt(input.shape)} needs ${numel(input.shape)}`,
      );
    }
    // Coerce to the declared dtype: ORT would see the values in that dtype (e.g. float32-rounded).
    env.set(input.name, refTensor(input.shape, coerceToDType(toFloat64(feed.data), input.dtype), input.dtype));
  }

  const checkDeclared = options.checkDeclared ?? true;
  const declared = new Map<string, ValueIR>();
  if (checkDeclared) {
    for (const v of graph.valueInfo) declared.set(v.name, v);
    for (const v of graph.outputs) declared.set(v.name, v);
  }

  graph.nodes.forEach((node, index) => {
    const where = `node #${index} ${node.opType} (${node.inputs.join(', ')} → ${node.outputs.join(', ')})`;
    const inputs = node.inputs.map((name) => {
      if (name === '') return undefined; // an omitted optional input
      const v = env.get(name);
      if (v === undefined) {
        throw new Error(`reference interpreter: ${where}: input "${name}" is not a graph input, initializer or earlier node output`);
      }
      return v;
    });
    let outs: RefTensor[];
    try {
      outs = evaluateNode(node, inputs);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (msg.startsWith(UNSUPPORTED)) throw e; // keep the documented message intact
      throw new Error(`reference interpreter: ${where}: ${msg}`, { cause: e });
    }
    node.outputs.forEach((name, k) => {
      if (name === '') return;
      const t = outs[k];
      if (t === undefined) throw new Error(`reference interpreter: ${where}: produces no output #${k}`);
      const decl = declared.get(name);
      if (decl !== undefined) checkAgainst(t, decl, where);
      env.set(name, t);
    });
  });

  const result: Record<string, RefTensor> = {};
  if (options.keepAll) {
    for (const [name, t] of env) result[name] = t;
  }
  for (const out of graph.outputs) {
    const t = env.get(out.name);
    if (t === undefined) throw new Error(`reference interpreter: graph output "${out.name}" is never computed`);
    if (checkDeclared) checkAgainst(t, out, `graph output "${out.name}"`);
    result[out.name] = t;
  }
  return result;
}

function checkAgainst(t: RefTensor, decl: ValueIR, where: string): void {
  if (!sameShape(t.shape, decl.shape)) {
    throw new Error(`reference interpreter: ${where}: value "${decl.name}" has shape ${fmt(t.shape)} but the graph declares ${fmt(decl.shape)}`);
  }
  if (t.dtype !== decl.dtype) {
    throw new Error(`reference interpreter: ${where}: value "${decl.name}" has dtype ${t.dtype} but the graph declares ${decl.dtype}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Attributes and inputs
// ---------------------------------------------------------------------------------------------------

function intAttr(attrs: Attrs, name: string, dflt: number): number {
  const v = attrs[name];
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`attribute ${name} must be an integer, got ${JSON.stringify(v)}`);
  return v;
}

function intsAttr(attrs: Attrs, name: string): number[] | undefined {
  const v = attrs[name];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x))) {
    throw new Error(`attribute ${name} must be a list of integers, got ${JSON.stringify(v)}`);
  }
  return [...(v as readonly number[])];
}

/** Float attributes must be wrapped ({float: x}); a bare number would be emitted as an INT attribute. */
function floatAttr(attrs: Attrs, name: string, dflt: number): number {
  const v = attrs[name];
  if (v === undefined) return dflt;
  if (typeof v === 'object' && v !== null && 'float' in v) return v.float;
  throw new Error(`attribute ${name} must be a float ({float: x}), got ${JSON.stringify(v)}`);
}

function stringAttr(attrs: Attrs, name: string, dflt: string): string {
  const v = attrs[name];
  if (v === undefined) return dflt;
  if (typeof v !== 'string') throw new Error(`attribute ${name} must be a string, got ${JSON.stringify(v)}`);
  return v;
}

function need(inputs: readonly (RefTensor | undefined)[], i: number, what: string): RefTensor {
  const t = inputs[i];
  if (t === undefined) throw new Error(`missing required input #${i} (${what})`);
  return t;
}

/** Integer values of a 1-D (or scalar) int tensor, e.g. a shape, axes or pads input. */
function scalarOf(t: RefTensor, what: string): number {
  if (t.data.length !== 1) throw new Error(`${what} must be a scalar, got shape ${fmt(t.shape)}`);
  return t.data[0]!;
}

function intsOf(t: RefTensor, what: string): number[] {
  if (t.shape.length > 1) throw new Error(`${what} must be 1-D, got shape ${fmt(t.shape)}`);
  const out = Array.from(t.data);
  for (const v of out) if (!Number.isInteger(v)) throw new Error(`${what} must hold integers, got ${v}`);
  return out;
}

/** Normalizes a possibly negative axis into [0, rank). */
function normAxis(axis: number, rank: number, what: string): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) throw new Error(`${what} ${axis} out of range for rank ${rank}`);
  return axis < 0 ? axis + rank : axis;
}

function normAxes(axes: readonly number[], rank: number, what: string): number[] {
  const out = axes.map((a) => normAxis(a, rank, what));
  if (new Set(out).size !== out.length) throw new Error(`${what} [${axes.join(', ')}] repeats an axis`);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Index machinery
// ---------------------------------------------------------------------------------------------------

/**
 * For every element of `outShape` (row-major), the flat index of the element of a tensor of shape
 * `inShape` that multidirectional broadcasting maps onto it (size-1 and missing leading dims repeat).
 * Returns null when the shapes are equal (identity map).
 */
function broadcastIndex(inShape: readonly number[], outShape: readonly number[]): Int32Array | null {
  if (sameShape(inShape, outShape)) return null;
  const r = outShape.length;
  const off = r - inShape.length;
  if (off < 0) throw new Error(`cannot broadcast ${fmt(inShape)} to ${fmt(outShape)}`);
  const inStrides = stridesOf(inShape);
  const steps = outShape.map((d, i) => {
    const k = i - off;
    if (k < 0) return 0;
    const di = inShape[k]!;
    if (di === d) return inStrides[k]!;
    if (di === 1) return 0;
    throw new Error(`cannot broadcast ${fmt(inShape)} to ${fmt(outShape)}`);
  });
  return walk(outShape, 0, steps);
}

/**
 * Walks `shape` in row-major order and records `base + Σ_k index_k · steps[k]` for every position: a
 * strided view (used for broadcasting, transposition and slicing).
 */
function walk(shape: readonly number[], base: number, steps: readonly number[]): Int32Array {
  const n = numel(shape);
  const out = new Int32Array(n);
  const r = shape.length;
  const ctr = new Array<number>(r).fill(0);
  let cur = base;
  for (let i = 0; i < n; i++) {
    out[i] = cur;
    for (let ax = r - 1; ax >= 0; ax--) {
      ctr[ax]!++;
      cur += steps[ax]!;
      if (ctr[ax]! < shape[ax]!) break;
      cur -= steps[ax]! * shape[ax]!;
      ctr[ax] = 0;
    }
  }
  return out;
}

function gather(data: Float64Array, idx: Int32Array | null): Float64Array {
  if (idx === null) return Float64Array.from(data);
  const out = new Float64Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = data[idx[i]!]!;
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Element-wise ops
// ---------------------------------------------------------------------------------------------------

function unary(x: RefTensor, f: (v: number) => number, dtype: DType = x.dtype): RefTensor {
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = f(x.data[i]!);
  return refTensor(x.shape, out, dtype);
}

function binary(a: RefTensor, b: RefTensor, f: (x: number, y: number) => number, dtype: DType = a.dtype): RefTensor {
  const shape = broadcastShapes(a.shape, b.shape);
  const ia = broadcastIndex(a.shape, shape);
  const ib = broadcastIndex(b.shape, shape);
  const n = numel(shape);
  const out = new Float64Array(n);
  const ad = a.data;
  const bd = b.data;
  for (let i = 0; i < n; i++) out[i] = f(ad[ia === null ? i : ia[i]!]!, bd[ib === null ? i : ib[i]!]!);
  return refTensor(shape, out, dtype);
}

/** Variadic ops (Max, Min, Sum) fold pairwise: broadcasting is associative, so this equals n-way broadcasting. */
function variadic(inputs: readonly (RefTensor | undefined)[], f: (x: number, y: number) => number, op: string): RefTensor {
  const ts = inputs.filter((t): t is RefTensor => t !== undefined);
  if (ts.length === 0) throw new Error(`${op} needs at least one input`);
  let acc = refTensor(ts[0]!.shape, Float64Array.from(ts[0]!.data), ts[0]!.dtype);
  for (let k = 1; k < ts.length; k++) acc = binary(acc, ts[k]!, f);
  return acc;
}

function isIntType(d: DType): boolean {
  return d === 'int32' || d === 'int64';
}

/** Max/Min propagate NaN, as numpy.maximum/minimum do (the ONNX spec is silent), so a NaN is never hidden. */
function nanMax(x: number, y: number): number {
  return Number.isNaN(x) || Number.isNaN(y) ? Number.NaN : x >= y ? x : y;
}

function nanMin(x: number, y: number): number {
  return Number.isNaN(x) || Number.isNaN(y) ? Number.NaN : x <= y ? x : y;
}

const ONNX_TYPES: Readonly<Record<number, DType>> = { 1: 'float32', 6: 'int32', 7: 'int64', 9: 'bool', 11: 'float64' };

function where(c: RefTensor, x: RefTensor, y: RefTensor): RefTensor {
  const shape = broadcastShapes(c.shape, x.shape, y.shape);
  const ic = broadcastIndex(c.shape, shape);
  const ix = broadcastIndex(x.shape, shape);
  const iy = broadcastIndex(y.shape, shape);
  const n = numel(shape);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const cond = c.data[ic === null ? i : ic[i]!]!;
    out[i] = cond !== 0 ? x.data[ix === null ? i : ix[i]!]! : y.data[iy === null ? i : iy[i]!]!;
  }
  return refTensor(shape, out, x.dtype);
}

// ---------------------------------------------------------------------------------------------------
// Linear algebra
// ---------------------------------------------------------------------------------------------------

/** numpy.matmul semantics (ONNX MatMul): 1-D operands are promoted and the added dim removed afterwards. */
function matmul(a: RefTensor, b: RefTensor): RefTensor {
  if (a.shape.length === 0 || b.shape.length === 0) throw new Error('MatMul operands must have rank ≥ 1');
  const aVec = a.shape.length === 1;
  const bVec = b.shape.length === 1;
  const as = aVec ? [1, a.shape[0]!] : a.shape;
  const bs = bVec ? [b.shape[0]!, 1] : b.shape;
  const M = as[as.length - 2]!;
  const K = as[as.length - 1]!;
  const Kb = bs[bs.length - 2]!;
  const N = bs[bs.length - 1]!;
  if (K !== Kb) throw new Error(`MatMul inner dimensions differ: ${fmt(a.shape)} × ${fmt(b.shape)}`);
  const batchA = as.slice(0, -2);
  const batchB = bs.slice(0, -2);
  const batch = broadcastShapes(batchA, batchB);
  const nb = numel(batch);
  const ia = broadcastIndex(batchA, batch);
  const ib = broadcastIndex(batchB, batch);
  const out = new Float64Array(nb * M * N);
  for (let t = 0; t < nb; t++) {
    const aOff = (ia === null ? t : ia[t]!) * M * K;
    const bOff = (ib === null ? t : ib[t]!) * K * N;
    const oOff = t * M * N;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a.data[aOff + i * K + k]! * b.data[bOff + k * N + j]!;
        out[oOff + i * N + j] = s;
      }
    }
  }
  const shape = [...batch, ...(aVec ? [] : [M]), ...(bVec ? [] : [N])];
  return refTensor(shape, out, a.dtype);
}

/** ONNX Gemm: Y = alpha·A'·B' + beta·C, A' = transA ? Aᵀ : A, C unidirectionally broadcast to [M, N]. */
function gemm(attrs: Attrs, a: RefTensor, b: RefTensor, c: RefTensor | undefined): RefTensor {
  if (a.shape.length !== 2 || b.shape.length !== 2) throw new Error(`Gemm needs 2-D A and B, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  const alpha = floatAttr(attrs, 'alpha', 1);
  const beta = floatAttr(attrs, 'beta', 1);
  const transA = intAttr(attrs, 'transA', 0) !== 0;
  const transB = intAttr(attrs, 'transB', 0) !== 0;
  const [ar, ac] = a.shape as [number, number];
  const [br, bc] = b.shape as [number, number];
  const M = transA ? ac : ar;
  const K = transA ? ar : ac;
  const Kb = transB ? bc : br;
  const N = transB ? br : bc;
  if (K !== Kb) throw new Error(`Gemm inner dimensions differ: A' is ${M}×${K}, B' is ${Kb}×${N}`);
  const out = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const av = transA ? a.data[k * ac + i]! : a.data[i * ac + k]!;
        const bv = transB ? b.data[j * bc + k]! : b.data[k * bc + j]!;
        s += av * bv;
      }
      out[i * N + j] = alpha * s;
    }
  }
  if (c !== undefined) {
    // Unidirectional: C must broadcast to [M, N] without changing it.
    const full = broadcastShapes(c.shape, [M, N]);
    if (!sameShape(full, [M, N])) throw new Error(`Gemm C of shape ${fmt(c.shape)} does not broadcast to [${M}, ${N}]`);
    const ic = broadcastIndex(c.shape, [M, N]);
    for (let i = 0; i < M * N; i++) out[i] += beta * c.data[ic === null ? i : ic[i]!]!;
  }
  return refTensor([M, N], out, a.dtype);
}

// ---------------------------------------------------------------------------------------------------
// Convolutions
// ---------------------------------------------------------------------------------------------------

interface ConvGeometry {
  /** Spatial rank: 1 or 2. */
  nsp: number;
  kernel: number[];
  strides: number[];
  dilations: number[];
  group: number;
  autoPad: string;
}

function convGeometry(attrs: Attrs, x: RefTensor, w: RefTensor, op: string): ConvGeometry {
  const rank = x.shape.length;
  if (rank !== 3 && rank !== 4) throw new Error(`${op}: only 1-D and 2-D convolutions are supported, input has shape ${fmt(x.shape)}`);
  if (w.shape.length !== rank) throw new Error(`${op}: weight ${fmt(w.shape)} and input ${fmt(x.shape)} differ in rank`);
  const nsp = rank - 2;
  const kernel = w.shape.slice(2);
  const ks = intsAttr(attrs, 'kernel_shape');
  if (ks !== undefined && !sameShape(ks, kernel)) {
    throw new Error(`${op}: kernel_shape [${ks.join(', ')}] disagrees with weight shape ${fmt(w.shape)}`);
  }
  const strides = intsAttr(attrs, 'strides') ?? new Array<number>(nsp).fill(1);
  const dilations = intsAttr(attrs, 'dilations') ?? new Array<number>(nsp).fill(1);
  if (strides.length !== nsp || dilations.length !== nsp) throw new Error(`${op}: strides/dilations must have ${nsp} entries`);
  return { nsp, kernel, strides, dilations, group: intAttr(attrs, 'group', 1), autoPad: stringAttr(attrs, 'auto_pad', 'NOTSET') };
}

/** Explicit pads [begins..., ends...] of a node, or zeros. */
function explicitPads(attrs: Attrs, nsp: number, op: string): number[] {
  const pads = intsAttr(attrs, 'pads') ?? new Array<number>(2 * nsp).fill(0);
  if (pads.length !== 2 * nsp) throw new Error(`${op}: pads must have ${2 * nsp} entries, got [${pads.join(', ')}]`);
  return pads;
}

/** Views a 1-D problem as the H = 1 case of the 2-D one: [B, C, L] → [B, C, 1, L]. */
function lift(t: RefTensor): RefTensor {
  return t.shape.length === 4 ? t : { shape: [t.shape[0]!, t.shape[1]!, 1, t.shape[2]!], data: t.data, dtype: t.dtype };
}

function to2d(v: readonly number[], fill: number): number[] {
  return v.length === 2 ? [...v] : [fill, v[0]!];
}

function pads2d(p: readonly number[]): number[] {
  return p.length === 4 ? [...p] : [0, p[0]!, 0, p[1]!];
}

function unlift(t: RefTensor, nsp: number): RefTensor {
  return nsp === 2 ? t : refTensor([t.shape[0]!, t.shape[1]!, t.shape[3]!], t.data, t.dtype);
}

function convOp(attrs: Attrs, x: RefTensor, w: RefTensor, bias: RefTensor | undefined): RefTensor {
  const g = convGeometry(attrs, x, w, 'Conv');
  let pads: number[];
  if (g.autoPad === 'NOTSET') pads = explicitPads(attrs, g.nsp, 'Conv');
  else if (g.autoPad === 'VALID') pads = new Array<number>(2 * g.nsp).fill(0);
  else if (g.autoPad === 'SAME_UPPER' || g.autoPad === 'SAME_LOWER') {
    // ONNX Conv: output = ceil(input / stride); the total padding is split evenly, the odd one going to
    // the end for SAME_UPPER and to the beginning for SAME_LOWER.
    pads = new Array<number>(2 * g.nsp).fill(0);
    for (let i = 0; i < g.nsp; i++) {
      const len = x.shape[2 + i]!;
      const out = Math.ceil(len / g.strides[i]!);
      const total = Math.max(0, (out - 1) * g.strides[i]! + (g.kernel[i]! - 1) * g.dilations[i]! + 1 - len);
      const small = Math.floor(total / 2);
      pads[i] = g.autoPad === 'SAME_UPPER' ? small : total - small;
      pads[i + g.nsp] = total - pads[i]!;
    }
  } else throw new Error(`Conv: unknown auto_pad ${g.autoPad}`);
  const y = conv2d(
    lift(x),
    lift(w),
    { strides: to2d(g.strides, 1), dilations: to2d(g.dilations, 1), pads: pads2d(pads), group: g.group },
    bias?.data,
  );
  return unlift(y, g.nsp);
}

function convTransposeOp(attrs: Attrs, x: RefTensor, w: RefTensor, bias: RefTensor | undefined): RefTensor {
  const g = convGeometry(attrs, x, w, 'ConvTranspose');
  const outputPadding = intsAttr(attrs, 'output_padding') ?? new Array<number>(g.nsp).fill(0);
  if (outputPadding.length !== g.nsp) throw new Error(`ConvTranspose: output_padding must have ${g.nsp} entries`);
  let outputShape = intsAttr(attrs, 'output_shape');
  // output_shape may list only the spatial dims or the full [N, C, ...] shape (ORT accepts both).
  if (outputShape !== undefined && outputShape.length === g.nsp + 2) outputShape = outputShape.slice(2);
  if (outputShape !== undefined && outputShape.length !== g.nsp) {
    throw new Error(`ConvTranspose: output_shape must have ${g.nsp} spatial entries, got [${outputShape.join(', ')}]`);
  }
  if (outputShape === undefined && (g.autoPad === 'SAME_UPPER' || g.autoPad === 'SAME_LOWER')) {
    // ONNX ConvTranspose auto_pad SAME_*: "pad the input so that output_shape[i] = input_shape[i] * strides[i]".
    outputShape = g.strides.map((s, i) => x.shape[2 + i]! * s);
  }
  let pads: number[];
  if (outputShape !== undefined) {
    // ONNX ConvTranspose: "total_padding[i] = stride[i] * (input_size[i] - 1) + output_padding[i] +
    // ((kernel_shape[i] - 1) * dilations[i] + 1) - output_shape[i]"; SAME_UPPER puts total/2 at the
    // beginning, otherwise (SAME_LOWER and NOTSET) the beginning gets total − total/2. Division as in C.
    pads = new Array<number>(2 * g.nsp).fill(0);
    for (let i = 0; i < g.nsp; i++) {
      const total =
        g.strides[i]! * (x.shape[2 + i]! - 1) + outputPadding[i]! + (g.kernel[i]! - 1) * g.dilations[i]! + 1 - outputShape[i]!;
      const half = Math.trunc(total / 2);
      if (g.autoPad === 'SAME_UPPER') {
        pads[i] = half;
        pads[i + g.nsp] = total - half;
      } else {
        pads[i] = total - half;
        pads[i + g.nsp] = half;
      }
    }
  } else if (g.autoPad === 'VALID') pads = new Array<number>(2 * g.nsp).fill(0);
  else if (g.autoPad === 'NOTSET') pads = explicitPads(attrs, g.nsp, 'ConvTranspose');
  else throw new Error(`ConvTranspose: unknown auto_pad ${g.autoPad}`);
  const y = convTranspose2d(
    lift(x),
    lift(w),
    {
      strides: to2d(g.strides, 1),
      dilations: to2d(g.dilations, 1),
      pads: pads2d(pads),
      group: g.group,
      outputPadding: to2d(outputPadding, 0),
    },
    bias?.data,
  );
  const out = unlift(y, g.nsp);
  if (outputShape !== undefined && !sameShape(out.shape.slice(2), outputShape)) {
    throw new Error(`ConvTranspose: produced spatial shape ${fmt(out.shape.slice(2))} instead of output_shape [${outputShape.join(', ')}]`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Reductions
// ---------------------------------------------------------------------------------------------------

type ReduceKind = 'Sum' | 'Mean' | 'Max' | 'Min' | 'SumSquare' | 'L2' | 'L1';

function reduce(kind: ReduceKind, attrs: Attrs, x: RefTensor, axesT: RefTensor | undefined): RefTensor {
  if (attrs['axes'] !== undefined) {
    throw new Error(`Reduce${kind} at opset 18 takes axes as its second input, not as an attribute`);
  }
  const keepdims = intAttr(attrs, 'keepdims', 1) !== 0;
  const noop = intAttr(attrs, 'noop_with_empty_axes', 0) !== 0;
  const rank = x.shape.length;
  let axes = axesT === undefined ? [] : intsOf(axesT, `Reduce${kind} axes`);
  if (axes.length === 0) {
    if (noop) {
      // Nothing is reduced, but the element-wise part still applies (as in the ONNX reference
      // implementation: ReduceSumSquare returns x², ReduceL2 returns sqrt(x²) = |x|).
      if (kind === 'SumSquare') return unary(x, (v) => v * v);
      if (kind === 'L2' || kind === 'L1') return unary(x, (v) => Math.abs(v));
      return refTensor(x.shape, Float64Array.from(x.data), x.dtype);
    }
    axes = Array.from({ length: rank }, (_, i) => i);
  }
  const norm = normAxes(axes, rank, `Reduce${kind} axis`);
  const kept = x.shape.map((d, i) => (norm.includes(i) ? 1 : d));
  const nOut = numel(kept);
  const count = nOut === 0 ? 0 : x.data.length / nOut;
  const init = kind === 'Max' ? -Infinity : kind === 'Min' ? Infinity : 0;
  const acc = new Float64Array(nOut).fill(init);
  // Every input element maps to the output element it reduces into: the kept shape "broadcast" to x.
  const idx = broadcastIndex(kept, x.shape);
  for (let i = 0; i < x.data.length; i++) {
    const o = idx === null ? i : idx[i]!;
    const v = x.data[i]!;
    switch (kind) {
      case 'Sum':
      case 'Mean':
        acc[o] += v;
        break;
      case 'SumSquare':
      case 'L2':
        acc[o] += v * v;
        break;
      case 'L1':
        acc[o] += Math.abs(v);
        break;
      case 'Max':
        acc[o] = nanMax(acc[o]!, v);
        break;
      case 'Min':
        acc[o] = nanMin(acc[o]!, v);
        break;
    }
  }
  if (kind === 'Mean') for (let o = 0; o < nOut; o++) acc[o] = acc[o]! / count;
  if (kind === 'L2') for (let o = 0; o < nOut; o++) acc[o] = Math.sqrt(acc[o]!);
  const shape = keepdims ? kept : x.shape.filter((_, i) => !norm.includes(i));
  return refTensor(shape, acc, x.dtype);
}

// ---------------------------------------------------------------------------------------------------
// Shape manipulation
// ---------------------------------------------------------------------------------------------------

/** ONNX Reshape: 0 copies the input dim (unless allowzero = 1), one −1 is inferred. */
function reshape(attrs: Attrs, x: RefTensor, shapeT: RefTensor): RefTensor {
  const allowzero = intAttr(attrs, 'allowzero', 0) !== 0;
  const spec = intsOf(shapeT, 'Reshape shape');
  let infer = -1;
  const shape = spec.map((d, i) => {
    if (d === 0 && !allowzero) {
      if (i >= x.shape.length) throw new Error(`Reshape: 0 at position ${i} but the input ${fmt(x.shape)} has no such dim`);
      return x.shape[i]!;
    }
    if (d === -1) {
      if (infer >= 0) throw new Error('Reshape: more than one −1');
      infer = i;
      return 1;
    }
    if (d < 0) throw new Error(`Reshape: invalid dim ${d}`);
    return d;
  });
  if (infer >= 0) {
    const rest = numel(shape);
    if (rest === 0 || x.data.length % rest !== 0) throw new Error(`Reshape: cannot infer −1 reshaping ${fmt(x.shape)} to [${spec.join(', ')}]`);
    shape[infer] = x.data.length / rest;
  }
  if (numel(shape) !== x.data.length) throw new Error(`Reshape: cannot reshape ${fmt(x.shape)} to ${fmt(shape)}`);
  return refTensor(shape, Float64Array.from(x.data), x.dtype);
}

function transpose(attrs: Attrs, x: RefTensor): RefTensor {
  const r = x.shape.length;
  const perm = intsAttr(attrs, 'perm') ?? Array.from({ length: r }, (_, i) => r - 1 - i);
  if (perm.length !== r || !sameShape([...perm].sort((a, b) => a - b), Array.from({ length: r }, (_, i) => i))) {
    throw new Error(`Transpose: perm [${perm.join(', ')}] is not a permutation of rank ${r}`);
  }
  const strides = stridesOf(x.shape);
  const shape = perm.map((p) => x.shape[p]!);
  return refTensor(shape, gather(x.data, walk(shape, 0, perm.map((p) => strides[p]!))), x.dtype);
}

function concat(attrs: Attrs, inputs: readonly (RefTensor | undefined)[]): RefTensor {
  const ts = inputs.filter((t): t is RefTensor => t !== undefined);
  if (ts.length === 0) throw new Error('Concat needs at least one input');
  const first = ts[0]!;
  const r = first.shape.length;
  const axis = normAxis(intAttr(attrs, 'axis', Number.NaN), r, 'Concat axis');
  for (const t of ts) {
    if (t.shape.length !== r || t.shape.some((d, i) => i !== axis && d !== first.shape[i])) {
      throw new Error(`Concat: shapes ${ts.map((u) => fmt(u.shape)).join(', ')} differ outside axis ${axis}`);
    }
  }
  const shape = [...first.shape];
  shape[axis] = ts.reduce((s, t) => s + t.shape[axis]!, 0);
  const outer = numel(first.shape.slice(0, axis));
  const out = new Float64Array(numel(shape));
  let o = 0;
  for (let i = 0; i < outer; i++) {
    for (const t of ts) {
      const chunk = numel(t.shape.slice(axis));
      out.set(t.data.subarray(i * chunk, (i + 1) * chunk), o);
      o += chunk;
    }
  }
  return refTensor(shape, out, first.dtype);
}

/**
 * ONNX Slice (opset 13): negative starts/ends count from the end; then for a positive step they are
 * clamped to [0, dim], for a negative step start to [0, dim−1] and end to [−1, dim−1]; the length is
 * max(0, ceil((end − start) / step)).
 */
function slice(inputs: readonly (RefTensor | undefined)[]): RefTensor {
  const x = need(inputs, 0, 'data');
  const starts = intsOf(need(inputs, 1, 'starts'), 'Slice starts');
  const ends = intsOf(need(inputs, 2, 'ends'), 'Slice ends');
  const r = x.shape.length;
  const axesRaw = inputs[3] === undefined ? starts.map((_, i) => i) : intsOf(inputs[3], 'Slice axes');
  const steps = inputs[4] === undefined ? starts.map(() => 1) : intsOf(inputs[4], 'Slice steps');
  if (ends.length !== starts.length || axesRaw.length !== starts.length || steps.length !== starts.length) {
    throw new Error('Slice: starts, ends, axes and steps must have the same length');
  }
  const axes = normAxes(axesRaw, r, 'Slice axis');
  const begin = new Array<number>(r).fill(0);
  const step = new Array<number>(r).fill(1);
  const shape = [...x.shape];
  axes.forEach((ax, k) => {
    const d = x.shape[ax]!;
    const st = steps[k]!;
    if (st === 0) throw new Error('Slice: step 0');
    let s = starts[k]!;
    let e = ends[k]!;
    if (s < 0) s += d;
    if (e < 0) e += d;
    if (st > 0) {
      s = Math.min(Math.max(s, 0), d);
      e = Math.min(Math.max(e, 0), d);
    } else {
      s = Math.min(Math.max(s, 0), d - 1);
      e = Math.min(Math.max(e, -1), d - 1);
    }
    begin[ax] = s;
    step[ax] = st;
    shape[ax] = Math.max(0, Math.ceil((e - s) / st));
  });
  const strides = stridesOf(x.shape);
  const base = begin.reduce((acc, b, i) => acc + b * strides[i]!, 0);
  const n = numel(shape);
  const idx = n === 0 ? new Int32Array(0) : walk(shape, base, step.map((s, i) => s * strides[i]!));
  return refTensor(shape, gather(x.data, idx), x.dtype);
}

/** Source coordinate of padded coordinate c on an axis of length d, or −1 for "use the constant". */
function padSource(c: number, d: number, mode: string): number {
  if (c >= 0 && c < d) return c;
  if (mode === 'constant') return -1;
  if (d === 0) throw new Error(`Pad: mode ${mode} cannot pad an empty axis`);
  if (mode === 'edge') return c < 0 ? 0 : d - 1;
  // reflect: mirror about the first/last element without repeating it (numpy 'reflect').
  if (d === 1) return 0;
  const period = 2 * (d - 1);
  let m = ((c % period) + period) % period;
  if (m >= d) m = period - m;
  return m;
}

/** ONNX Pad (opset 18): inputs data, pads [begins..., ends...], constant_value, axes; negative pads crop. */
function pad(attrs: Attrs, inputs: readonly (RefTensor | undefined)[]): RefTensor {
  const x = need(inputs, 0, 'data');
  const pads = intsOf(need(inputs, 1, 'pads'), 'Pad pads');
  const mode = stringAttr(attrs, 'mode', 'constant');
  if (mode !== 'constant' && mode !== 'reflect' && mode !== 'edge') throw new Error(`Pad: unsupported mode ${mode} at opset 18`);
  const cv = inputs[2];
  if (cv !== undefined && cv.data.length !== 1) throw new Error('Pad: constant_value must be a scalar');
  const value = cv === undefined ? 0 : cv.data[0]!;
  const r = x.shape.length;
  const axes = inputs[3] === undefined ? Array.from({ length: r }, (_, i) => i) : normAxes(intsOf(inputs[3], 'Pad axes'), r, 'Pad axis');
  if (pads.length !== 2 * axes.length) throw new Error(`Pad: pads has ${pads.length} entries, expected ${2 * axes.length}`);
  const before = new Array<number>(r).fill(0);
  const after = new Array<number>(r).fill(0);
  axes.forEach((ax, k) => {
    before[ax] = pads[k]!;
    after[ax] = pads[k + axes.length]!;
  });
  const shape = x.shape.map((d, i) => d + before[i]! + after[i]!);
  if (shape.some((d) => d < 0)) throw new Error(`Pad: pads [${pads.join(', ')}] crop ${fmt(x.shape)} below zero`);
  // Per axis, the source coordinate of every output coordinate.
  const maps = shape.map((d, ax) => Array.from({ length: d }, (_, o) => padSource(o - before[ax]!, x.shape[ax]!, mode)));
  const strides = stridesOf(x.shape);
  const n = numel(shape);
  const out = new Float64Array(n);
  const ctr = new Array<number>(r).fill(0);
  for (let i = 0; i < n; i++) {
    let off = 0;
    let inside = true;
    for (let ax = 0; ax < r; ax++) {
      const s = maps[ax]![ctr[ax]!]!;
      if (s < 0) {
        inside = false;
        break;
      }
      off += s * strides[ax]!;
    }
    out[i] = inside ? x.data[off]! : value;
    for (let ax = r - 1; ax >= 0; ax--) {
      if (++ctr[ax]! < shape[ax]!) break;
      ctr[ax] = 0;
    }
  }
  return refTensor(shape, out, x.dtype);
}

/** ONNX Expand: the output shape is the bidirectional broadcast of the input shape and `shape`. */
function expand(x: RefTensor, shapeT: RefTensor): RefTensor {
  const shape = broadcastShapes(x.shape, intsOf(shapeT, 'Expand shape'));
  return refTensor(shape, gather(x.data, broadcastIndex(x.shape, shape)), x.dtype);
}

function unsqueeze(x: RefTensor, axesT: RefTensor): RefTensor {
  const axesRaw = intsOf(axesT, 'Unsqueeze axes');
  // Axes refer to the output, whose rank is rank(x) + len(axes).
  const r = x.shape.length + axesRaw.length;
  const axes = normAxes(axesRaw, r, 'Unsqueeze axis');
  const shape: number[] = [];
  let k = 0;
  for (let i = 0; i < r; i++) shape.push(axes.includes(i) ? 1 : x.shape[k++]!);
  return refTensor(shape, Float64Array.from(x.data), x.dtype);
}

function squeeze(x: RefTensor, axesT: RefTensor | undefined): RefTensor {
  const r = x.shape.length;
  let axes: number[];
  if (axesT === undefined) axes = x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
  else {
    axes = normAxes(intsOf(axesT, 'Squeeze axes'), r, 'Squeeze axis');
    for (const a of axes) if (x.shape[a] !== 1) throw new Error(`Squeeze: axis ${a} of ${fmt(x.shape)} is not 1`);
  }
  return refTensor(
    x.shape.filter((_, i) => !axes.includes(i)),
    Float64Array.from(x.data),
    x.dtype,
  );
}

function flatten(attrs: Attrs, x: RefTensor): RefTensor {
  const r = x.shape.length;
  let axis = intAttr(attrs, 'axis', 1);
  if (axis < -r || axis > r) throw new Error(`Flatten: axis ${axis} out of range for rank ${r}`);
  if (axis < 0) axis += r;
  return refTensor([numel(x.shape.slice(0, axis)), numel(x.shape.slice(axis))], Float64Array.from(x.data), x.dtype);
}

/** Softmax / LogSoftmax along one axis (opset 13+), computed stably by subtracting the max. */
function softmax(attrs: Attrs, x: RefTensor, log: boolean): RefTensor {
  const r = x.shape.length;
  const axis = normAxis(intAttr(attrs, 'axis', -1), r, 'Softmax axis');
  const n = x.shape[axis]!;
  const inner = numel(x.shape.slice(axis + 1));
  const outer = numel(x.shape.slice(0, axis));
  const out = new Float64Array(x.data.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let m = -Infinity;
      for (let k = 0; k < n; k++) m = nanMax(m, x.data[base + k * inner]!);
      let s = 0;
      for (let k = 0; k < n; k++) s += Math.exp(x.data[base + k * inner]! - m);
      const ls = Math.log(s);
      for (let k = 0; k < n; k++) {
        const z = x.data[base + k * inner]! - m;
        out[base + k * inner] = log ? z - ls : Math.exp(z) / s;
      }
    }
  }
  return refTensor(x.shape, out, x.dtype);
}

function constant(attrs: Attrs): RefTensor {
  const keys = Object.keys(attrs);
  if (keys.length !== 1) throw new Error(`Constant needs exactly one value attribute, got [${keys.join(', ')}]`);
  const v = attrs[keys[0]!]!;
  switch (keys[0]) {
    case 'value_float':
      return refTensor([], [Math.fround(floatAttr(attrs, 'value_float', 0))], 'float32');
    case 'value_floats': {
      if (typeof v !== 'object' || !('floats' in v)) throw new Error('Constant value_floats must be {floats: [...]}');
      return refTensor([v.floats.length], v.floats.map((f) => Math.fround(f)), 'float32');
    }
    case 'value_int':
      return refTensor([], [intAttr(attrs, 'value_int', 0)], 'int64');
    case 'value_ints': {
      const ints = intsAttr(attrs, 'value_ints')!;
      return refTensor([ints.length], ints, 'int64');
    }
    default:
      throw new Error(`Constant attribute ${keys[0]} is not supported by the reference`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Dispatch
// ---------------------------------------------------------------------------------------------------

/**
 * Evaluates one ONNX node on already evaluated inputs (undefined = omitted optional input) and returns its
 * outputs. Throws `Error('reference interpreter: unsupported op X')` for ops outside the supported set.
 */
export function evaluateNode(node: OpSpec, inputs: readonly (RefTensor | undefined)[]): RefTensor[] {
  const attrs: Attrs = node.attrs ?? {};
  const a = (): RefTensor => need(inputs, 0, 'A');
  const b = (): RefTensor => need(inputs, 1, 'B');
  switch (node.opType) {
    // --- arithmetic (the output keeps the operands' dtype; ONNX requires them equal) ---
    case 'Add':
      return [binary(a(), b(), (x, y) => x + y)];
    case 'Sub':
      return [binary(a(), b(), (x, y) => x - y)];
    case 'Mul':
      return [binary(a(), b(), (x, y) => x * y)];
    case 'Div': {
      // Integer Div truncates toward zero, as C++ integer division (what ORT implements) does.
      const trunc = isIntType(a().dtype);
      return [binary(a(), b(), (x, y) => (trunc ? Math.trunc(x / y) : x / y))];
    }
    case 'Pow':
      // The output has the base's dtype (ONNX Pow allows a different exponent type).
      return [binary(a(), b(), (x, y) => Math.pow(x, y))];
    case 'Max':
      return [variadic(inputs, nanMax, 'Max')];
    case 'Min':
      return [variadic(inputs, nanMin, 'Min')];
    case 'Sum':
      return [variadic(inputs, (x, y) => x + y, 'Sum')];
    case 'Mean': {
      const s = variadic(inputs, (x, y) => x + y, 'Mean');
      const k = inputs.filter((t) => t !== undefined).length;
      return [unary(s, (v) => v / k)];
    }
    case 'Neg':
      return [unary(a(), (v) => -v)];
    case 'Abs':
      return [unary(a(), (v) => Math.abs(v))];
    case 'Sign':
      return [unary(a(), (v) => (Number.isNaN(v) ? v : v > 0 ? 1 : v < 0 ? -1 : 0))];
    case 'Relu':
      return [unary(a(), (v) => (v < 0 ? 0 : v))]; // NaN passes through
    case 'Sqrt':
      return [unary(a(), Math.sqrt)];
    case 'Exp':
      return [unary(a(), Math.exp)];
    case 'Log':
      return [unary(a(), Math.log)];
    case 'Reciprocal':
      return [unary(a(), (v) => 1 / v)];
    case 'Floor':
      return [unary(a(), Math.floor)];
    case 'Ceil':
      return [unary(a(), Math.ceil)];
    case 'Tanh':
      return [unary(a(), Math.tanh)];
    case 'Sigmoid':
      return [unary(a(), (v) => 1 / (1 + Math.exp(-v)))];
    case 'Identity': {
      const x = a();
      return [refTensor(x.shape, Float64Array.from(x.data), x.dtype)];
    }

    // --- comparisons and logic (bool results held as 0/1) ---
    case 'Greater':
      return [binary(a(), b(), (x, y) => (x > y ? 1 : 0), 'bool')];
    case 'Less':
      return [binary(a(), b(), (x, y) => (x < y ? 1 : 0), 'bool')];
    case 'Equal':
      return [binary(a(), b(), (x, y) => (x === y ? 1 : 0), 'bool')];
    case 'GreaterOrEqual':
      return [binary(a(), b(), (x, y) => (x >= y ? 1 : 0), 'bool')];
    case 'LessOrEqual':
      return [binary(a(), b(), (x, y) => (x <= y ? 1 : 0), 'bool')];
    case 'Not':
      return [unary(a(), (v) => (v !== 0 ? 0 : 1), 'bool')];
    case 'And':
      return [binary(a(), b(), (x, y) => (x !== 0 && y !== 0 ? 1 : 0), 'bool')];
    case 'Or':
      return [binary(a(), b(), (x, y) => (x !== 0 || y !== 0 ? 1 : 0), 'bool')];
    case 'Xor':
      return [binary(a(), b(), (x, y) => ((x !== 0) !== (y !== 0) ? 1 : 0), 'bool')];
    case 'Where':
      return [where(need(inputs, 0, 'condition'), need(inputs, 1, 'X'), need(inputs, 2, 'Y'))];
    case 'Cast': {
      const to = intAttr(attrs, 'to', Number.NaN);
      const dtype = ONNX_TYPES[to];
      if (dtype === undefined) throw new Error(`Cast to ONNX data type ${to} is not supported by the reference`);
      const x = a();
      return [refTensor(x.shape, coerceToDType(x.data, dtype), dtype)];
    }

    // --- linear algebra and convolutions ---
    case 'MatMul':
      return [matmul(a(), b())];
    case 'Gemm':
      return [gemm(attrs, a(), b(), inputs[2])];
    case 'Conv':
      return [convOp(attrs, need(inputs, 0, 'X'), need(inputs, 1, 'W'), inputs[2])];
    case 'ConvTranspose':
      return [convTransposeOp(attrs, need(inputs, 0, 'X'), need(inputs, 1, 'W'), inputs[2])];

    // --- reductions ---
    case 'ReduceSum':
      return [reduce('Sum', attrs, a(), inputs[1])];
    case 'ReduceMean':
      return [reduce('Mean', attrs, a(), inputs[1])];
    case 'ReduceMax':
      return [reduce('Max', attrs, a(), inputs[1])];
    case 'ReduceMin':
      return [reduce('Min', attrs, a(), inputs[1])];
    case 'ReduceSumSquare':
      return [reduce('SumSquare', attrs, a(), inputs[1])];
    case 'ReduceL2':
      return [reduce('L2', attrs, a(), inputs[1])];
    case 'ReduceL1':
      return [reduce('L1', attrs, a(), inputs[1])];
    case 'Clip': {
      // ONNX Clip (opset 13+): min and max are optional scalar inputs; an empty name means unbounded.
      const lo = inputs[1] ? scalarOf(inputs[1], 'Clip min') : -Infinity;
      const hi = inputs[2] ? scalarOf(inputs[2], 'Clip max') : Infinity;
      return [unary(a(), (v) => (Number.isNaN(v) ? v : Math.min(Math.max(v, lo), hi)))];
    }

    // --- shapes ---
    case 'Reshape':
      return [reshape(attrs, a(), need(inputs, 1, 'shape'))];
    case 'Transpose':
      return [transpose(attrs, a())];
    case 'Concat':
      return [concat(attrs, inputs)];
    case 'Slice':
      return [slice(inputs)];
    case 'Pad':
      return [pad(attrs, inputs)];
    case 'Expand':
      return [expand(a(), need(inputs, 1, 'shape'))];
    case 'Unsqueeze':
      return [unsqueeze(a(), need(inputs, 1, 'axes'))];
    case 'Squeeze':
      return [squeeze(a(), inputs[1])];
    case 'Flatten':
      return [flatten(attrs, a())];
    case 'Softmax':
      return [softmax(attrs, a(), false)];
    case 'LogSoftmax':
      return [softmax(attrs, a(), true)];
    case 'Constant':
      return [constant(attrs)];
    default:
      throw new Error(`${UNSUPPORTED} ${node.opType}`);
  }
}
