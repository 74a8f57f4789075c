/**
 * Reverse-mode differentiation of builder graphs, emitted as ordinary forward ops.
 *
 * onnxruntime-node has no training API, so a gradient is just more graph: `addGradients` walks the nodes the
 * builder has recorded, from the one producing the loss back to the inputs, and for each node on a path
 * between a `wrt` value and the loss emits its vector-Jacobian product (VJP) into the same builder. The
 * gradients then run through ONNX Runtime like any other output, and the float64 reference interpreter can
 * evaluate them too, which is how the rules below are tested.
 *
 * Conventions:
 *  - cotangents have the dtype and exact shape of the value they belong to; a VJP that produces a broadcast
 *    shape is reduced back ("unbroadcast") before it is accumulated;
 *  - a value used several times gets the sum of the cotangents of its uses;
 *  - non-float values, and the outputs of piecewise-constant ops (comparisons, Sign, …), carry no gradient;
 *  - ties of Max/Min and of ReduceMax/ReduceMin follow the usual subgradient choices: the first operand for
 *    the element-wise ops, an even split between the tied positions for the reductions.
 */
import type { GraphBuilder, Tensor } from './builder';
import type { DType, NodeIR, Shape } from './ir';
import { matmulShape } from './shapes';

/**
 * Emits d(seed·loss)/d(wrt) for each `wrt` entry into `g` and returns one tensor per entry, with the wrt's
 * exact shape and dtype. `loss` must be a scalar unless `seed` (the cotangent of `loss`, same shape and dtype)
 * is given. A wrt that the loss does not depend on (or that is not a float) gets an explicit zero tensor.
 */
export function addGradients(g: GraphBuilder, loss: Tensor, wrt: readonly Tensor[], seed?: Tensor): Tensor[] {
  if (!isFloat(loss.dtype)) throw new Error(`gradient: loss ${loss.name} must be a float tensor, got ${loss.dtype}`);
  if (seed) {
    if (seed.dtype !== loss.dtype || !sameShape(seed.shape, loss.shape)) {
      throw new Error(`gradient: seed ${seed.name} must be ${loss.dtype}${fmt(loss.shape)} like the loss, got ${seed.dtype}${fmt(seed.shape)}`);
    }
  } else if (loss.shape.length !== 0) {
    throw new Error(`gradient: loss ${loss.name} has shape ${fmt(loss.shape)}; pass a seed for a non-scalar loss`);
  }
  // Handles are checked against the builder so a tensor from another graph fails here, not deep in a rule.
  for (const t of [loss, ...wrt, ...(seed ? [seed] : [])]) {
    if (g.tensor(t.name) !== t) throw new Error(`gradient: ${t.name} belongs to another graph`);
  }

  // Snapshot: the backward ops appended below must not be walked themselves.
  const nodes = g.nodes.slice();
  let lossIndex = -1;
  nodes.forEach((n, i) => {
    if (n.outputs.includes(loss.name)) lossIndex = i;
  });

  // Forward pass: values that depend differentiably on some wrt entry.
  const dependent = new Set(wrt.filter((w) => isFloat(w.dtype)).map((w) => w.name));
  for (let i = 0; i <= lossIndex; i++) {
    const n = nodes[i]!;
    if (ZERO_GRADIENT_OPS.has(n.opType) || !n.inputs.some((x) => dependent.has(x))) continue;
    for (const o of n.outputs) if (isFloat(g.tensor(o).dtype)) dependent.add(o);
  }
  // Backward pass: values the loss depends on. A node is walked only when its output is in both sets.
  const needed = new Set([loss.name]);
  for (let i = lossIndex; i >= 0; i--) {
    const n = nodes[i]!;
    if (n.outputs.some((o) => needed.has(o))) for (const x of n.inputs) if (x !== '') needed.add(x);
  }

  const cotangents = new Map<string, Tensor>();
  const accumulate = (name: string, c: Tensor) => {
    const v = g.tensor(name);
    // Internal consistency: every rule must hand back exactly the operand's shape and dtype.
    if (!sameShape(c.shape, v.shape) || c.dtype !== v.dtype) {
      throw new Error(`gradient: internal error, cotangent ${c.dtype}${fmt(c.shape)} for ${name} which is ${v.dtype}${fmt(v.shape)}`);
    }
    const prev = cotangents.get(name);
    cotangents.set(name, prev ? g.add(prev, c) : c);
  };
  if (dependent.has(loss.name)) cotangents.set(loss.name, seed ?? g.scalar(1, loss.dtype));

  const ctx = new Context(g);
  for (let i = lossIndex; i >= 0; i--) {
    const n = nodes[i]!;
    const out = n.outputs[0];
    if (out === undefined || !dependent.has(out) || !needed.has(out)) continue;
    const gy = cotangents.get(out);
    // Every path from this value to the loss may run through zero-gradient ops: nothing to propagate.
    if (!gy) continue;
    if (n.outputs.length !== 1) throw new Error(`gradient: no rule for op ${n.opType} (node output ${out})`);
    const wants = n.inputs.map((x) => x !== '' && dependent.has(x));
    const grads = vjp(ctx, n, gy, wants);
    wants.forEach((w, j) => {
      if (!w) return;
      const d = grads[j];
      if (!d) throw new Error(`gradient: no rule for input ${j} (${n.inputs[j]}) of op ${n.opType} (node output ${out})`);
      accumulate(n.inputs[j]!, d);
    });
  }

  return wrt.map((w) => cotangents.get(w.name) ?? zeros(g, w.shape, w.dtype));
}

/** Ops whose output is piecewise constant in their inputs: their gradient is zero where it exists. */
const ZERO_GRADIENT_OPS: ReadonlySet<string> = new Set([
  'Sign',
  'Greater',
  'GreaterOrEqual',
  'Less',
  'LessOrEqual',
  'Equal',
  'Not',
  'And',
  'Or',
  'Xor',
  'IsNaN',
  'IsInf',
  'Floor',
  'Ceil',
  'Round',
  'ArgMax',
  'ArgMin',
  'Shape',
  'Size',
]);

/** Per-call state: the builder and a lazily built index of its initializers (constant axes, pads, bounds). */
class Context {
  constructor(readonly g: GraphBuilder) {}

  tensor(name: string): Tensor {
    return this.g.tensor(name);
  }

  /** Values of a constant input (reduction axes, slice bounds, pads). */
  constantValues(name: string, what: string, op: NodeIR): number[] {
    const data = this.g.constantValue(this.g.tensor(name));
    if (!data) throw new Error(`gradient: the ${what} of ${op.opType} (node output ${op.outputs[0]}) must be a constant, but ${name} is computed`);
    return Array.from(data as ArrayLike<number | bigint>, (v) => Number(v));
  }
}

type Grads = (Tensor | undefined)[];

/** The VJP of one node: the cotangent of each input for which `wants` is set (others may be left undefined). */
function vjp(ctx: Context, n: NodeIR, gy: Tensor, wants: readonly boolean[]): Grads {
  const g = ctx.g;
  const ins = n.inputs.map((x) => (x === '' ? undefined : ctx.tensor(x)));
  const x = ins[0]!;
  const y = ctx.tensor(n.outputs[0]!);
  const dt = y.dtype;
  const only = (d: () => Tensor): Grads => [wants[0] ? d() : undefined];

  switch (n.opType) {
    // ---- element-wise binary, with broadcasting -----------------------------------------------------------
    case 'Add':
      return [wants[0] ? unbroadcast(g, gy, x.shape) : undefined, wants[1] ? unbroadcast(g, gy, ins[1]!.shape) : undefined];
    case 'Sub':
      return [wants[0] ? unbroadcast(g, gy, x.shape) : undefined, wants[1] ? g.neg(unbroadcast(g, gy, ins[1]!.shape)) : undefined];
    case 'Mul': {
      const b = ins[1]!;
      return [wants[0] ? unbroadcast(g, g.mul(gy, b), x.shape) : undefined, wants[1] ? unbroadcast(g, g.mul(gy, x), b.shape) : undefined];
    }
    case 'Div': {
      // y = a/b: da = g/b, db = −g·a/b² = −g·y/b.
      const b = ins[1]!;
      return [wants[0] ? unbroadcast(g, g.div(gy, b), x.shape) : undefined, wants[1] ? unbroadcast(g, g.neg(g.mul(gy, g.div(y, b))), b.shape) : undefined];
    }
    case 'Pow': {
      // y = a^b: da = g·b·a^(b−1); db = g·y·ln a, taken as 0 where y = 0 (the limit of a^b·ln a as a → 0⁺
      // for b > 0), so that an exponent gradient through a zero base is not 0·(−∞) = NaN.
      const b = ins[1]!;
      const da = () => unbroadcast(g, g.mul(gy, g.mul(b, g.pow(x, g.sub(b, 1)))), x.shape);
      const db = () => unbroadcast(g, g.mul(gy, g.where(g.equal(y, 0), 0, g.mul(y, g.log(x)))), b.shape);
      return [wants[0] ? da() : undefined, wants[1] ? db() : undefined];
    }
    case 'Max':
    case 'Min': {
      // The cotangent goes to the first operand equal to the result; `rest` is what is still unrouted.
      const out: Grads = [];
      let rest = gy;
      ins.forEach((a, j) => {
        if (j === ins.length - 1) {
          out.push(wants[j] ? unbroadcast(g, rest, a!.shape) : undefined);
          return;
        }
        const hit = g.equal(a!, y);
        out.push(wants[j] ? unbroadcast(g, g.where(hit, rest, 0), a!.shape) : undefined);
        if (wants.slice(j + 1).some(Boolean)) rest = g.where(hit, 0, rest);
      });
      return out;
    }

    // ---- element-wise unary ----------------------------------------------------------------------------------
    case 'Neg':
      return only(() => g.neg(gy));
    case 'Abs':
      return only(() => g.mul(gy, g.sign(x)));
    case 'Relu':
      return only(() => g.where(g.greater(x, 0), gy, 0));
    case 'Sqrt':
      return only(() => g.div(gy, g.mul(y, 2)));
    case 'Exp':
      return only(() => g.mul(gy, y));
    case 'Log':
      return only(() => g.div(gy, x));
    case 'Reciprocal':
      return only(() => g.neg(g.mul(gy, g.mul(y, y))));
    case 'Identity':
      return only(() => gy);
    case 'Cast':
      // Only float → float casts are walked (other outputs are not dependent); the cotangent casts back.
      return only(() => (x.dtype === dt ? gy : g.cast(gy, x.dtype)));
    case 'Where': {
      const [cond, a, b] = ins as Tensor[];
      return [undefined, wants[1] ? unbroadcast(g, g.where(cond!, gy, 0), a!.shape) : undefined, wants[2] ? unbroadcast(g, g.where(cond!, 0, gy), b!.shape) : undefined];
    }

    // ---- linear algebra ----------------------------------------------------------------------------------------
    case 'MatMul':
      return matmulVjp(g, x, ins[1]!, gy, wants);
    case 'Gemm':
      return gemmVjp(g, n, ins as Tensor[], gy, wants);
    case 'Conv':
      return convVjp(g, n, ins, gy, wants);
    case 'ConvTranspose':
      return convTransposeVjp(g, n, ins, gy, wants);

    // ---- reductions ------------------------------------------------------------------------------------------
    case 'ReduceSum':
    case 'ReduceMean':
    case 'ReduceMax':
    case 'ReduceMin':
    case 'ReduceSumSquare':
    case 'ReduceL1':
      return only(() => reduceVjp(ctx, n, x, y, gy));
    case 'Clip': {
      // y = min(max(x, lo), hi): the cotangent flows to x inside (lo, hi), to lo below it, to hi above it.
      const lo = ins[1];
      const hi = ins[2];
      const below = lo ? g.less(x, lo) : undefined;
      const above = hi ? g.greater(x, hi) : undefined;
      let inside: Tensor = gy;
      if (below) inside = g.where(below, 0, inside);
      if (above) inside = g.where(above, 0, inside);
      return [
        wants[0] ? inside : undefined,
        wants[1] && below ? g.reduceSum(g.where(below, gy, 0)) : undefined,
        wants[2] && above ? g.reduceSum(g.where(above, gy, 0)) : undefined,
      ];
    }

    // ---- shape manipulation ----------------------------------------------------------------------------------
    case 'Reshape':
      return only(() => g.reshape(gy, x.shape));
    case 'Transpose': {
      const perm = intsAttr(n, 'perm', x.shape.map((_, i) => x.shape.length - 1 - i));
      const inverse: number[] = [];
      perm.forEach((p, i) => (inverse[p] = i));
      return only(() => g.transpose(gy, inverse));
    }
    case 'Concat': {
      const rank = x.shape.length;
      const axis = normalizeAxis(intAttr(n, 'axis', 0), rank);
      let offset = 0;
      return ins.map((a, j) => {
        const start = offset;
        offset += a!.shape[axis]!;
        return wants[j] ? g.slice(gy, [start], [offset], [axis]) : undefined;
      });
    }
    case 'Slice':
      return only(() => sliceVjp(ctx, n, x, y, gy));
    case 'Pad':
      return padVjp(ctx, n, ins, gy, wants);
    case 'Expand':
      return only(() => unbroadcast(g, gy, x.shape));

    // ---- classification ----------------------------------------------------------------------------------
    case 'Softmax': {
      // dx = s ⊙ (g − Σ_axis g⊙s)
      const axis = normalizeAxis(intAttr(n, 'axis', -1), x.shape.length);
      return only(() => g.mul(y, g.sub(gy, g.reduceSum(g.mul(gy, y), [axis], true))));
    }
    case 'LogSoftmax': {
      // dx = g − softmax(x)·Σ_axis g, with softmax(x) = exp(y).
      const axis = normalizeAxis(intAttr(n, 'axis', -1), x.shape.length);
      return only(() => g.sub(gy, g.mul(g.exp(y), g.reduceSum(gy, [axis], true))));
    }
  }
  throw new Error(`gradient: no rule for op ${n.opType} (node output ${n.outputs[0]})`);
}

// ---- rules that need more than one line -----------------------------------------------------------------------

function matmulVjp(g: GraphBuilder, a: Tensor, b: Tensor, gy: Tensor, wants: readonly boolean[]): Grads {
  // 1-D operands are promoted the way MatMul does (a: [k] → [1, k], b: [k] → [k, 1]); the cotangent is
  // reshaped to the promoted result, and each gradient reshaped back to its operand at the end.
  const a2 = a.shape.length === 1 ? g.reshape(a, [1, a.shape[0]!]) : a;
  const b2 = b.shape.length === 1 ? g.reshape(b, [b.shape[0]!, 1]) : b;
  const y2 = matmulShape(a2.shape, b2.shape);
  const gy2 = sameShape(gy.shape, y2) ? gy : g.reshape(gy, y2);
  const back = (d: Tensor, promoted: Shape, original: Shape) => {
    const r = unbroadcast(g, d, promoted);
    return sameShape(r.shape, original) ? r : g.reshape(r, original);
  };
  return [
    wants[0] ? back(g.matmul(gy2, swapLastTwo(g, b2)), a2.shape, a.shape) : undefined,
    wants[1] ? back(g.matmul(swapLastTwo(g, a2), gy2), b2.shape, b.shape) : undefined,
  ];
}

function gemmVjp(g: GraphBuilder, n: NodeIR, ins: readonly Tensor[], gy: Tensor, wants: readonly boolean[]): Grads {
  const [a, b, c] = ins;
  const alpha = floatAttrValue(n, 'alpha', 1);
  const beta = floatAttrValue(n, 'beta', 1);
  const transA = intAttr(n, 'transA', 0) !== 0;
  const transB = intAttr(n, 'transB', 0) !== 0;
  // With op(A)·op(B) = Y: d op(A) = α·G·op(B)ᵀ and d op(B) = α·op(A)ᵀ·G; transposing those back where the
  // operand was transposed gives one Gemm per operand, with the transposes folded into its flags.
  let da: (() => Tensor) | undefined;
  let db: (() => Tensor) | undefined;
  if (!transA && !transB) {
    da = () => g.gemm(gy, b!, undefined, { alpha, transB: true });
    db = () => g.gemm(a!, gy, undefined, { alpha, transA: true });
  } else if (!transA && transB) {
    da = () => g.gemm(gy, b!, undefined, { alpha });
    db = () => g.gemm(gy, a!, undefined, { alpha, transA: true });
  } else if (transA && !transB) {
    da = () => g.gemm(b!, gy, undefined, { alpha, transB: true });
    db = () => g.gemm(a!, gy, undefined, { alpha });
  } else {
    da = () => g.gemm(b!, gy, undefined, { alpha, transA: true, transB: true });
    db = () => g.gemm(gy, a!, undefined, { alpha, transA: true, transB: true });
  }
  const dc = () => unbroadcast(g, beta === 1 ? gy : g.mul(gy, beta), c!.shape);
  return [wants[0] ? da() : undefined, wants[1] ? db() : undefined, wants[2] ? dc() : undefined];
}

interface Geometry {
  readonly strides: number[];
  readonly pads: number[];
  readonly dilations: number[];
  readonly group: number;
}

function convGeometry(n: NodeIR, spatial: number): Geometry {
  const autoPad = n.attrs.auto_pad;
  if (autoPad !== undefined && autoPad !== 'NOTSET') throw new Error(`gradient: ${n.opType} with auto_pad ${String(autoPad)} is not supported (node output ${n.outputs[0]}); use explicit pads`);
  if (n.attrs.output_shape !== undefined) throw new Error(`gradient: ${n.opType} with output_shape is not supported (node output ${n.outputs[0]}); pin it with output_padding`);
  return {
    strides: intsAttr(n, 'strides', Array<number>(spatial).fill(1)),
    pads: intsAttr(n, 'pads', Array<number>(2 * spatial).fill(0)),
    dilations: intsAttr(n, 'dilations', Array<number>(spatial).fill(1)),
    group: intAttr(n, 'group', 1),
  };
}

function convVjp(g: GraphBuilder, n: NodeIR, ins: readonly (Tensor | undefined)[], gy: Tensor, wants: readonly boolean[]): Grads {
  const [x, w] = ins as Tensor[];
  const spatial = x!.shape.length - 2;
  const geo = convGeometry(n, spatial);
  // dX: ConvTranspose is the adjoint of Conv for the same geometry; output_padding (derived by the builder
  // from the pinned output shape) restores the input rows that no window reached, which get zero.
  const dx = () => g.convTranspose(gy, w!, { ...geo, outputShape: x!.shape.slice(2) });
  return [wants[0] ? dx() : undefined, wants[1] ? convWeightGrad(g, x!, gy, geo, w!.shape) : undefined, wants[2] ? biasGrad(g, gy) : undefined];
}

function convTransposeVjp(g: GraphBuilder, n: NodeIR, ins: readonly (Tensor | undefined)[], gy: Tensor, wants: readonly boolean[]): Grads {
  const [gamma, w] = ins as Tensor[];
  const spatial = gamma!.shape.length - 2;
  const geo = convGeometry(n, spatial);
  const dGamma = () => {
    // Conv is the adjoint of ConvTranspose. When output_padding ≥ stride (allowed when dilation > stride)
    // the Conv yields extra trailing positions that correspond to no input entry; they are sliced off.
    const c = g.conv(gy, w!, geo);
    return trimSpatial(g, c, gamma!.shape.slice(2));
  };
  // ⟨dY, ConvT(Γ, W)⟩ = ⟨Conv(dY, W), Γ⟩, so dW is the Conv weight gradient with input dY and output
  // cotangent Γ.
  return [wants[0] ? dGamma() : undefined, wants[1] ? convWeightGrad(g, gy, gamma!, geo, w!.shape) : undefined, wants[2] ? biasGrad(g, gy) : undefined];
}

/** Conv / ConvTranspose bias (one value per output channel): the cotangent summed over batch and space. */
function biasGrad(g: GraphBuilder, gy: Tensor): Tensor {
  return g.reduceSum(gy, gy.shape.map((_, i) => i).filter((i) => i !== 1));
}

/**
 * Weight gradient of y = Conv(x, W):  dW[o, c, u] = Σ_{b, i} gout[b, o, i] · xpad[b, c, i·s + u·d]
 * (one spatial index shown; the same holds per dim). This is itself a convolution in which the batch plays
 * the role of the channels: input xpad with batch and channel swapped ([C, B, H']), weight gout with batch
 * and channel swapped ([O, B, out]), stride = the original dilation and dilation = the original stride.
 * Its output is [C, O, k'] with k' ≥ k; the first k positions are dW (transposed), and nothing beyond the
 * last window of the forward conv can leak in, because every tap reads xpad[i·s + u·d] with i < out.
 *
 * For group > 1, the input is laid out [C/group, group·B, H'] (group-major channels), so that the group
 * structure of this auxiliary conv pairs group j of x's channels with group j of the filters.
 */
function convWeightGrad(g: GraphBuilder, x: Tensor, gout: Tensor, geo: Geometry, wShape: Shape): Tensor {
  const rank = x.shape.length;
  const spatial = rank - 2;
  const spatialAxes = Array.from({ length: spatial }, (_, i) => i + 2);
  const [batch, channels] = x.shape as [number, number];
  const group = geo.group;
  const perGroup = channels / group;
  const kernel = wShape.slice(2);
  const outSpatial = gout.shape.slice(2);
  // Begin pads shift every index and are kept; the end pad only needs to reach the last tap that is used,
  // (k−1)·d + (out−1)·s, so a larger original end pad is trimmed to save work (it would only add rows
  // sliced off below).
  const ends = kernel.map((k, i) => {
    const needed = (k - 1) * geo.dilations[i]! + (outSpatial[i]! - 1) * geo.strides[i]! + 1;
    return Math.max(0, needed - x.shape[2 + i]! - geo.pads[i]!);
  });
  const pads = [...geo.pads.slice(0, spatial), ...ends];
  let input: Tensor;
  if (group === 1) input = g.transpose(x, [1, 0, ...spatialAxes]);
  else {
    const split = g.reshape(x, [batch, group, perGroup, ...x.shape.slice(2)]);
    const moved = g.transpose(split, [2, 1, 0, ...spatialAxes.map((a) => a + 1)]);
    input = g.reshape(moved, [perGroup, group * batch, ...x.shape.slice(2)]);
  }
  const filters = g.transpose(gout, [1, 0, ...spatialAxes]);
  const r = g.conv(input, filters, { strides: geo.dilations, dilations: geo.strides, pads, group });
  return g.transpose(trimSpatial(g, r, kernel), [1, 0, ...spatialAxes]);
}

/** Keeps the first `size[i]` positions of each spatial axis of an [N, C, spatial...] tensor. */
function trimSpatial(g: GraphBuilder, t: Tensor, size: readonly number[]): Tensor {
  if (sameShape(t.shape.slice(2), size)) return t;
  const axes = size.map((_, i) => i + 2);
  return g.slice(
    t,
    size.map(() => 0),
    [...size],
    axes,
  );
}

function reduceVjp(ctx: Context, n: NodeIR, x: Tensor, y: Tensor, gy: Tensor): Tensor {
  const g = ctx.g;
  const rank = x.shape.length;
  const axesInput = n.inputs[1];
  let axes = axesInput ? ctx.constantValues(axesInput, 'axes', n).map((a) => normalizeAxis(a, rank)) : [];
  // ONNX: no (or empty) axes reduces everything, unless noop_with_empty_axes makes it an identity.
  if (axes.length === 0 && intAttr(n, 'noop_with_empty_axes', 0) === 0) axes = x.shape.map((_, i) => i);
  const keepShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  // The cotangent (and the result, for Max/Min) with the reduced axes kept as 1s, so that it broadcasts.
  const kept = (t: Tensor) => (sameShape(t.shape, keepShape) ? t : g.reshape(t, keepShape));
  const gk = kept(gy);
  switch (n.opType) {
    case 'ReduceSum':
      return expandTo(g, gk, x.shape);
    case 'ReduceMean': {
      const count = axes.reduce((p, a) => p * x.shape[a]!, 1);
      return expandTo(g, g.mul(gk, 1 / count), x.shape);
    }
    case 'ReduceSumSquare':
      return g.mul(g.mul(x, 2), gk);
    case 'ReduceL1':
      return g.mul(g.sign(x), gk);
    default: {
      // ReduceMax / ReduceMin: share the cotangent evenly between the positions that attain the extreme.
      const mask = g.cast(g.equal(x, kept(y)), x.dtype);
      if (axes.length === 0) return g.mul(mask, gk);
      const count = g.reduceSum(mask, axes, true);
      return g.mul(mask, g.div(gk, count));
    }
  }
}

function sliceVjp(ctx: Context, n: NodeIR, x: Tensor, y: Tensor, gy: Tensor): Tensor {
  const g = ctx.g;
  const rank = x.shape.length;
  const starts = ctx.constantValues(n.inputs[1]!, 'starts', n);
  const axes = (n.inputs[3] ? ctx.constantValues(n.inputs[3], 'axes', n) : starts.map((_, i) => i)).map((a) => normalizeAxis(a, rank));
  const steps = n.inputs[4] ? ctx.constantValues(n.inputs[4], 'steps', n) : starts.map(() => 1);
  // An empty slice receives nothing: the whole gradient is zero.
  if (y.shape.some((d) => d === 0)) return zeros(g, x.shape, x.dtype);

  // 1) Reverse the axes walked backwards, so that every axis lists its picked indices in ascending order.
  let t = gy;
  const reversed = steps.map((s, i) => (s < 0 ? i : -1)).filter((i) => i >= 0);
  if (reversed.length > 0) {
    t = g.slice(
      t,
      reversed.map(() => -1),
      reversed.map((i) => -(t.shape[axes[i]!]! + 1)),
      reversed.map((i) => axes[i]!),
      reversed.map(() => -1),
    );
  }
  const pads = Array<number>(2 * rank).fill(0);
  axes.forEach((ax, i) => {
    const dim = x.shape[ax]!;
    const len = y.shape[ax]!;
    const step = steps[i]!;
    const k = Math.abs(step);
    // Lowest picked index, from ONNX's clamping rules (start in [0, dim] forwards, [0, dim−1] backwards).
    let s = starts[i]!;
    if (s < 0) s += dim;
    const lowest = step > 0 ? Math.min(Math.max(s, 0), dim) : Math.min(Math.max(s, 0), dim - 1) - (len - 1) * k;
    // 2) For |step| > 1, spread the picked entries k apart with zeros in between: append a unit axis, pad it
    // to k, merge it back, and drop the k−1 trailing zeros after the last entry.
    if (k > 1 && len > 1) {
      const inner = [...t.shape.slice(0, ax + 1), 1, ...t.shape.slice(ax + 1)];
      const widened = Array<number>(2 * (rank + 1)).fill(0);
      widened[rank + 1 + ax + 1] = k - 1;
      const spread = g.pad(g.reshape(t, inner), widened);
      const merged = g.reshape(spread, t.shape.map((d, j) => (j === ax ? d * k : d)));
      t = g.slice(merged, [0], [(len - 1) * k + 1], [ax]);
    }
    // 3) Zeros before the first and after the last picked index.
    pads[ax] = lowest;
    pads[rank + ax] = dim - lowest - t.shape[ax]!;
  });
  return pads.every((p) => p === 0) ? t : g.pad(t, pads);
}

function padVjp(ctx: Context, n: NodeIR, ins: readonly (Tensor | undefined)[], gy: Tensor, wants: readonly boolean[]): Grads {
  const g = ctx.g;
  const x = ins[0]!;
  const rank = x.shape.length;
  const mode = n.attrs.mode ?? 'constant';
  if (mode !== 'constant') throw new Error(`gradient: no rule for op Pad with mode ${String(mode)} (node output ${n.outputs[0]})`);
  const given = ctx.constantValues(n.inputs[1]!, 'pads', n);
  let pads = given;
  if (n.inputs[3]) {
    const axes = ctx.constantValues(n.inputs[3], 'axes', n).map((a) => normalizeAxis(a, rank));
    pads = Array<number>(2 * rank).fill(0);
    axes.forEach((a, i) => {
      pads[a] = given[i]!;
      pads[rank + a] = given[axes.length + i]!;
    });
  }
  // dx is the cotangent read back at x's positions: a Slice for ordinary pads; negative pads (crops) are
  // undone by padding with the negated pads, which also covers a mix of both.
  let dx: Tensor;
  if (pads.every((p) => p === 0)) dx = gy;
  else if (pads.every((p) => p >= 0)) {
    dx = g.slice(
      gy,
      x.shape.map((_, i) => pads[i]!),
      x.shape.map((d, i) => pads[i]! + d),
      x.shape.map((_, i) => i),
    );
  } else dx = g.pad(gy, pads.map((p) => -p));
  // The pad value lands on every position not taken from x: its gradient is the rest of the cotangent's sum.
  const dvalue = () => {
    const v = ins[2]!;
    const rest = g.sub(g.reduceSum(gy), g.reduceSum(dx));
    return sameShape(v.shape, []) ? rest : g.reshape(rest, v.shape);
  };
  return [wants[0] ? dx : undefined, undefined, wants[2] ? dvalue() : undefined];
}

// ---- helpers ----------------------------------------------------------------------------------------------------

/** Sums a broadcast cotangent back to `shape`: over the leading extra axes and the axes where `shape` has 1. */
function unbroadcast(g: GraphBuilder, t: Tensor, shape: Shape): Tensor {
  if (sameShape(t.shape, shape)) return t;
  const lead = t.shape.length - shape.length;
  if (lead < 0) throw new Error(`gradient: internal error, cannot unbroadcast ${fmt(t.shape)} to ${fmt(shape)}`);
  const axes: number[] = [];
  t.shape.forEach((d, i) => {
    if (i < lead || (shape[i - lead] === 1 && d !== 1)) axes.push(i);
  });
  // keepdims then Reshape: the reshape also drops the leading axes (and never reorders anything).
  const summed = axes.length > 0 ? g.reduceSum(t, axes, true) : t;
  return sameShape(summed.shape, shape) ? summed : g.reshape(summed, shape);
}

function expandTo(g: GraphBuilder, t: Tensor, shape: Shape): Tensor {
  return sameShape(t.shape, shape) ? t : g.expand(t, shape);
}

/** A fresh zero tensor (a scalar constant expanded), so each zero gradient is its own value. */
function zeros(g: GraphBuilder, shape: Shape, dtype: DType): Tensor {
  const zero = g.scalar(0, dtype);
  return shape.length === 0 ? g.identity(zero) : g.expand(zero, shape);
}

function swapLastTwo(g: GraphBuilder, t: Tensor): Tensor {
  const r = t.shape.length;
  const perm = t.shape.map((_, i) => i);
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return g.transpose(t, perm);
}

function intAttr(n: NodeIR, key: string, fallback: number): number {
  const v = n.attrs[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number') throw new Error(`gradient: attribute ${key} of ${n.opType} (node output ${n.outputs[0]}) must be an integer`);
  return v;
}

function intsAttr(n: NodeIR, key: string, fallback: number[]): number[] {
  const v = n.attrs[key];
  if (v === undefined) return fallback;
  if (!Array.isArray(v)) throw new Error(`gradient: attribute ${key} of ${n.opType} (node output ${n.outputs[0]}) must be a list of integers`);
  return [...(v as readonly number[])];
}

function floatAttrValue(n: NodeIR, key: string, fallback: number): number {
  const v = n.attrs[key];
  if (v === undefined) return fallback;
  if (typeof v === 'number') return v;
  if (typeof v === 'object' && 'float' in v) return v.float;
  throw new Error(`gradient: attribute ${key} of ${n.opType} (node output ${n.outputs[0]}) must be a float`);
}

function normalizeAxis(a: number, rank: number): number {
  const ax = a < 0 ? a + rank : a;
  if (ax < 0 || ax >= rank) throw new Error(`gradient: axis ${a} out of range for rank ${rank}`);
  return ax;
}

function isFloat(d: DType): boolean {
  return d === 'float32' || d === 'float64';
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function fmt(s: Shape): string {
  return `[${s.join(', ')}]`;
}
