import { describe, expect, it } from 'vitest';
import type { AttrValue, GraphIR } from '../graph/ir';
import { conv2d, convTranspose2d } from './conv';
import { evaluateGraph, evaluateNode } from './interpreter';
import { maxAbsDiff, refTensor, type RefTensor } from './tensor';

type Attrs = Record<string, AttrValue>;

/** Runs one node on the given inputs and returns its single output. */
function op(opType: string, inputs: (RefTensor | undefined)[], attrs: Attrs = {}): RefTensor {
  const outs = evaluateNode({ opType, attrs }, inputs);
  expect(outs).toHaveLength(1);
  return outs[0]!;
}

function ints(values: number[]): RefTensor {
  return refTensor([values.length], values, 'int64');
}

function arange(shape: number[], start = 0): RefTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return refTensor(shape, Float64Array.from({ length: n }, (_, i) => start + i));
}

function values(t: RefTensor): number[] {
  return Array.from(t.data);
}

describe('element-wise ops with multidirectional broadcasting', () => {
  const a = arange([2, 1, 3]); // a[i, 0, k] = 3i + k
  const b = arange([4, 1], 10); // b[j, 0] = 10 + j

  it('Add [2,1,3] + [4,1] → [2,4,3]', () => {
    const y = op('Add', [a, b]);
    expect(y.shape).toEqual([2, 4, 3]);
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 4; j++) for (let k = 0; k < 3; k++) expect(y.data[(i * 4 + j) * 3 + k]).toBe(3 * i + k + 10 + j);
  });

  it('Mul [4,1] · [2,1,3] → [2,4,3] (order does not matter for the shape)', () => {
    const y = op('Mul', [b, a]);
    expect(y.shape).toEqual([2, 4, 3]);
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 4; j++) for (let k = 0; k < 3; k++) expect(y.data[(i * 4 + j) * 3 + k]).toBe((3 * i + k) * (10 + j));
  });

  it('Sub and Div with a scalar, Pow, unary ops', () => {
    const x = refTensor([2, 2], [1, -4, 9, 0.25]);
    expect(values(op('Sub', [x, refTensor([], [1])]))).toEqual([0, -5, 8, -0.75]);
    expect(values(op('Sub', [refTensor([], [1]), x]))).toEqual([0, 5, -8, 0.75]);
    expect(values(op('Div', [x, refTensor([2], [2, 4])]))).toEqual([0.5, -1, 4.5, 0.0625]);
    expect(values(op('Pow', [x, refTensor([], [2])]))).toEqual([1, 16, 81, 0.0625]);
    expect(values(op('Neg', [x]))).toEqual([-1, 4, -9, -0.25]);
    expect(values(op('Abs', [x]))).toEqual([1, 4, 9, 0.25]);
    expect(values(op('Sign', [refTensor([3], [-2, 0, 5])]))).toEqual([-1, 0, 1]);
    expect(values(op('Relu', [x]))).toEqual([1, 0, 9, 0.25]);
    expect(values(op('Sqrt', [refTensor([2], [9, 0.25])]))).toEqual([3, 0.5]);
    expect(values(op('Reciprocal', [x]))).toEqual([1, -0.25, 1 / 9, 4]);
    expect(op('Exp', [refTensor([1], [1])]).data[0]).toBe(Math.E);
    expect(op('Log', [refTensor([1], [Math.E])]).data[0]).toBe(1);
    expect(values(op('Identity', [x]))).toEqual(values(x));
  });

  it('integer Div truncates toward zero', () => {
    const y = op('Div', [refTensor([2], [7, -7], 'int64'), refTensor([], [2], 'int64')]);
    expect(y.dtype).toBe('int64');
    expect(values(y)).toEqual([3, -3]);
  });

  it('variadic Max and Min broadcast all inputs', () => {
    const p = refTensor([3], [1, 5, 3]);
    const q = refTensor([2, 1], [2, 4]);
    const r = refTensor([], [3]);
    const mx = op('Max', [p, q, r]);
    expect(mx.shape).toEqual([2, 3]);
    expect(values(mx)).toEqual([3, 5, 3, 4, 5, 4]);
    expect(values(op('Min', [p, q, r]))).toEqual([1, 2, 2, 1, 3, 3]);
    expect(values(op('Max', [p]))).toEqual([1, 5, 3]);
    expect(op('Max', [refTensor([1], [Number.NaN]), refTensor([1], [1])]).data[0]).toBeNaN();
  });

  it('rejects shapes that do not broadcast', () => {
    expect(() => op('Add', [arange([2, 3]), arange([4, 3])])).toThrow(/not broadcastable/);
  });

  it('comparisons, logic and Where', () => {
    const x = refTensor([3], [1, 2, 3]);
    const t = refTensor([], [2]);
    const gt = op('Greater', [x, t]);
    expect(gt.dtype).toBe('bool');
    expect(values(gt)).toEqual([0, 0, 1]);
    expect(values(op('Less', [x, t]))).toEqual([1, 0, 0]);
    expect(values(op('Equal', [x, t]))).toEqual([0, 1, 0]);
    expect(values(op('GreaterOrEqual', [x, t]))).toEqual([0, 1, 1]);
    expect(values(op('LessOrEqual', [x, t]))).toEqual([1, 1, 0]);
    expect(values(op('Not', [gt]))).toEqual([1, 1, 0]);
    expect(values(op('And', [gt, refTensor([3], [1, 1, 0], 'bool')]))).toEqual([0, 0, 0]);
    const w = op('Where', [refTensor([2, 1], [1, 0], 'bool'), x, refTensor([], [-1])]);
    expect(w.shape).toEqual([2, 3]);
    expect(values(w)).toEqual([1, 2, 3, -1, -1, -1]);
  });

  it('Cast rounds through float32, truncates to integers and maps to 0/1 for bool', () => {
    const x = refTensor([3], [0.1, -2.7, 0]);
    const f = op('Cast', [x], { to: 1 });
    expect(f.dtype).toBe('float32');
    expect(values(f)).toEqual([Math.fround(0.1), Math.fround(-2.7), 0]);
    expect(values(op('Cast', [x], { to: 7 }))).toEqual([0, -2, 0]);
    expect(values(op('Cast', [x], { to: 6 }))).toEqual([0, -2, 0]);
    const bl = op('Cast', [x], { to: 9 });
    expect(bl.dtype).toBe('bool');
    expect(values(bl)).toEqual([1, 1, 0]);
    expect(op('Cast', [f], { to: 11 }).dtype).toBe('float64');
    expect(() => op('Cast', [x], { to: 16 })).toThrow(/not supported/);
  });
});

describe('MatMul and Gemm', () => {
  const A = refTensor([2, 3], [1, 2, 3, 4, 5, 6]);
  const B = refTensor([3, 2], [7, 8, 9, 10, 11, 12]);

  it('2-D × 2-D', () => {
    const y = op('MatMul', [A, B]);
    expect(y.shape).toEqual([2, 2]);
    expect(values(y)).toEqual([58, 64, 139, 154]);
  });

  it('1-D operands are promoted and the added dim removed', () => {
    const v = refTensor([3], [1, 0, -1]);
    const vA = op('MatMul', [refTensor([2], [1, 1]), A]);
    expect(vA.shape).toEqual([3]);
    expect(values(vA)).toEqual([5, 7, 9]);
    const Av = op('MatMul', [A, v]);
    expect(Av.shape).toEqual([2]);
    expect(values(Av)).toEqual([-2, -2]);
    const vv = op('MatMul', [v, refTensor([3], [4, 5, 6])]);
    expect(vv.shape).toEqual([]);
    expect(values(vv)).toEqual([-2]);
  });

  it('batched matmul broadcasts batch dims', () => {
    const a = arange([2, 1, 2, 3]);
    const b = arange([3, 3, 2], -5);
    const y = op('MatMul', [a, b]);
    expect(y.shape).toEqual([2, 3, 2, 2]);
    for (let p = 0; p < 2; p++)
      for (let q = 0; q < 3; q++)
        for (let i = 0; i < 2; i++)
          for (let j = 0; j < 2; j++) {
            let s = 0;
            for (let k = 0; k < 3; k++) s += a.data[p * 6 + i * 3 + k]! * b.data[q * 6 + k * 2 + j]!;
            expect(y.data[((p * 3 + q) * 2 + i) * 2 + j]).toBe(s);
          }
    expect(() => op('MatMul', [A, A])).toThrow(/inner dimensions/);
  });

  it('Gemm with transposes, alpha, beta and a broadcast C', () => {
    const At = refTensor([3, 2], [1, 4, 2, 5, 3, 6]); // Aᵀ
    const Bt = refTensor([2, 3], [7, 9, 11, 8, 10, 12]); // Bᵀ
    const y = op('Gemm', [At, Bt, refTensor([2], [1, -1])], { transA: 1, transB: 1, alpha: { float: 2 }, beta: { float: 0.5 } });
    expect(y.shape).toEqual([2, 2]);
    expect(values(y)).toEqual([116.5, 127.5, 278.5, 307.5]);
    expect(values(op('Gemm', [A, B]))).toEqual([58, 64, 139, 154]);
    expect(() => op('Gemm', [A, B], { alpha: 2 })).toThrow(/must be a float/);
  });
});

describe('convolutions through the interpreter', () => {
  const x = arange([1, 2, 5, 6], -20);
  const w = arange([4, 1, 3, 2], -3);

  it('Conv matches conv2d, with bias and groups', () => {
    const attrs = { strides: [2, 1], pads: [1, 0, 1, 1], dilations: [1, 2], group: 2, kernel_shape: [3, 2] };
    const bias = refTensor([4], [1, 2, 3, 4]);
    const y = op('Conv', [x, w, bias], attrs);
    const ref = conv2d(x, w, { strides: [2, 1], pads: [1, 0, 1, 1], dilations: [1, 2], group: 2 }, bias.data);
    expect(y.shape).toEqual(ref.shape);
    expect(maxAbsDiff(y.data, ref.data)).toBe(0);
    expect(() => op('Conv', [x, w], { kernel_shape: [2, 2], group: 2 })).toThrow(/kernel_shape/);
  });

  it('Conv on a 3-D input is the 1-D convolution', () => {
    const x1 = refTensor([1, 1, 5], [1, 2, 3, 4, 5]);
    const y = op('Conv', [x1, refTensor([1, 1, 2], [1, -1])], { pads: [1, 0] });
    expect(y.shape).toEqual([1, 1, 5]);
    expect(values(y)).toEqual([-1, -1, -1, -1, -1]);
  });

  it('Conv auto_pad SAME_UPPER keeps ceil(L / stride)', () => {
    const y = op('Conv', [x, refTensor([1, 2, 3, 3], new Float64Array(18).fill(1))], { auto_pad: 'SAME_UPPER', strides: [2, 2] });
    expect(y.shape).toEqual([1, 1, 3, 3]);
  });

  it('ConvTranspose matches convTranspose2d, and output_shape derives the pads', () => {
    const xt = arange([1, 4, 3, 3], 1);
    const attrs = { strides: [2, 2], pads: [1, 0, 0, 1], output_padding: [1, 0], group: 2 };
    const y = op('ConvTranspose', [xt, w], attrs);
    const ref = convTranspose2d(xt, w, { strides: [2, 2], pads: [1, 0, 0, 1], outputPadding: [1, 0], group: 2 });
    expect(y.shape).toEqual([1, 2, 7, 5]);
    expect(maxAbsDiff(y.data, ref.data)).toBe(0);
    // total padding = 2·2 + 0 + 3 − 6 = 1 rows (begin gets 1 − 0 = 1), 2·2 + 0 + 2 − 5 = 1 column.
    const z = op('ConvTranspose', [xt, w], { strides: [2, 2], group: 2, output_shape: [6, 5] });
    const zRef = convTranspose2d(xt, w, { strides: [2, 2], pads: [1, 1, 0, 0], group: 2 });
    expect(z.shape).toEqual([1, 2, 6, 5]);
    expect(maxAbsDiff(z.data, zRef.data)).toBe(0);
    const u = op('ConvTranspose', [xt, w], { strides: [2, 2], group: 2, output_shape: [6, 5], auto_pad: 'SAME_UPPER' });
    expect(maxAbsDiff(u.data, convTranspose2d(xt, w, { strides: [2, 2], pads: [0, 0, 1, 1], group: 2 }).data)).toBe(0);
  });
});

describe('reductions', () => {
  const x = refTensor([2, 3, 2], [1, -2, 3, 4, -5, 6, 0.5, 1, -1, 2, 3, -4]);

  it('ReduceSum over one axis with keepdims 1 and 0, negative axes', () => {
    const k1 = op('ReduceSum', [x, ints([1])]);
    expect(k1.shape).toEqual([2, 1, 2]);
    expect(values(k1)).toEqual([-1, 8, 2.5, -1]);
    const k0 = op('ReduceSum', [x, ints([-2])], { keepdims: 0 });
    expect(k0.shape).toEqual([2, 2]);
    expect(values(k0)).toEqual([-1, 8, 2.5, -1]);
    const two = op('ReduceSum', [x, ints([0, 2])], { keepdims: 0 });
    expect(two.shape).toEqual([3]);
    expect(values(two)).toEqual([0.5, 8, 0]);
  });

  it('empty axes reduce everything unless noop_with_empty_axes', () => {
    const all = op('ReduceSum', [x]);
    expect(all.shape).toEqual([1, 1, 1]);
    expect(values(all)).toEqual([8.5]);
    const allScalar = op('ReduceSum', [x, ints([])], { keepdims: 0 });
    expect(allScalar.shape).toEqual([]);
    expect(values(allScalar)).toEqual([8.5]);
    const noop = op('ReduceSum', [x, ints([])], { noop_with_empty_axes: 1 });
    expect(noop.shape).toEqual(x.shape);
    expect(values(noop)).toEqual(values(x));
    expect(values(op('ReduceSumSquare', [x], { noop_with_empty_axes: 1 }))).toEqual(values(x).map((v) => v * v));
  });

  it('Mean, Max, Min, SumSquare and L2 agree with direct formulas', () => {
    const rows = [
      [1, -2, 3, 4, -5, 6],
      [0.5, 1, -1, 2, 3, -4],
    ];
    const reduceOver12 = (name: string, keepdims: number): RefTensor => op(name, [x, ints([1, 2])], { keepdims });
    for (const keepdims of [0, 1]) {
      const shape = keepdims ? [2, 1, 1] : [2];
      const check = (name: string, f: (r: number[]) => number): void => {
        const y = reduceOver12(name, keepdims);
        expect(y.shape).toEqual(shape);
        rows.forEach((r, i) => expect(y.data[i]).toBeCloseTo(f(r), 14));
      };
      check('ReduceMean', (r) => r.reduce((s, v) => s + v, 0) / r.length);
      check('ReduceMax', (r) => Math.max(...r));
      check('ReduceMin', (r) => Math.min(...r));
      check('ReduceSumSquare', (r) => r.reduce((s, v) => s + v * v, 0));
      check('ReduceL2', (r) => Math.sqrt(r.reduce((s, v) => s + v * v, 0)));
    }
    expect(() => op('ReduceMax', [x], { axes: [1] })).toThrow(/second input/);
    expect(() => op('ReduceMax', [x, ints([1, -2])])).toThrow(/repeats/);
  });
});

describe('shape ops', () => {
  it('Reshape copies 0 dims and infers −1', () => {
    const x = arange([2, 3, 4]);
    const y = op('Reshape', [x, ints([0, -1])]);
    expect(y.shape).toEqual([2, 12]);
    expect(values(y)).toEqual(values(x));
    expect(op('Reshape', [x, ints([4, 0, 2])]).shape).toEqual([4, 3, 2]);
    expect(() => op('Reshape', [x, ints([5, -1])])).toThrow(/cannot infer/);
  });

  it('Transpose with perm and with the default reversal', () => {
    const x = arange([2, 3]);
    const t = op('Transpose', [x]);
    expect(t.shape).toEqual([3, 2]);
    expect(values(t)).toEqual([0, 3, 1, 4, 2, 5]);
    const y = op('Transpose', [arange([2, 3, 4])], { perm: [1, 2, 0] });
    expect(y.shape).toEqual([3, 4, 2]);
    expect(y.data[(2 * 4 + 1) * 2 + 1]).toBe(1 * 12 + 2 * 4 + 1);
  });

  it('Concat along a negative axis', () => {
    const y = op('Concat', [arange([2, 1]), arange([2, 2], 10)], { axis: -1 });
    expect(y.shape).toEqual([2, 3]);
    expect(values(y)).toEqual([0, 10, 11, 1, 12, 13]);
    expect(values(op('Concat', [arange([1, 2]), arange([2, 2], 5)], { axis: 0 }))).toEqual([0, 1, 5, 6, 7, 8]);
  });

  it('Slice with negative steps and ONNX clamping', () => {
    const x = arange([10]);
    const INT64_MAX = 9223372036854775807;
    expect(values(op('Slice', [x, ints([-1]), ints([-INT64_MAX]), ints([0]), ints([-1])]))).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(values(op('Slice', [x, ints([8]), ints([1]), undefined, ints([-3])]))).toEqual([8, 5, 2]);
    expect(values(op('Slice', [x, ints([20]), ints([-20]), undefined, ints([-4])]))).toEqual([9, 5, 1]);
    expect(values(op('Slice', [x, ints([2]), ints([INT64_MAX])]))).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect(op('Slice', [x, ints([5]), ints([2])]).shape).toEqual([0]);
    const m = arange([3, 4]);
    // Rows from the last backwards by 2 (2, 0), columns 0..∞ by 2 (0, 2); axes given out of order.
    const s = op('Slice', [m, ints([0, -1]), ints([10, -INT64_MAX]), ints([1, 0]), ints([2, -2])]);
    expect(s.shape).toEqual([2, 2]);
    expect(values(s)).toEqual([8, 10, 0, 2]);
    // end 0 is exclusive: a negative step stops before row 0.
    expect(values(op('Slice', [m, ints([-1]), ints([0]), ints([0]), ints([-2])]))).toEqual([8, 9, 10, 11]);
  });

  it('Pad reflect, edge and constant (with axes and negative pads)', () => {
    expect(values(op('Pad', [refTensor([3], [1, 2, 3]), ints([2, 2])], { mode: 'reflect' }))).toEqual([3, 2, 1, 2, 3, 2, 1]);
    // The ONNX spec's reflect example.
    const d = refTensor([3, 2], [1.0, 1.2, 2.3, 3.4, 4.5, 5.7]);
    const r = op('Pad', [d, ints([0, 2, 0, 0])], { mode: 'reflect' });
    expect(r.shape).toEqual([3, 4]);
    expect(values(r)).toEqual([1.0, 1.2, 1.0, 1.2, 2.3, 3.4, 2.3, 3.4, 4.5, 5.7, 4.5, 5.7]);
    const e = op('Pad', [d, ints([1, 0, 0, 1])], { mode: 'edge' });
    expect(e.shape).toEqual([4, 3]);
    expect(values(e)).toEqual([1.0, 1.2, 1.2, 1.0, 1.2, 1.2, 2.3, 3.4, 3.4, 4.5, 5.7, 5.7]);
    const c = op('Pad', [d, ints([1, 2]), refTensor([], [9]), ints([-1])]);
    expect(c.shape).toEqual([3, 5]);
    expect(values(c)).toEqual([9, 1.0, 1.2, 9, 9, 9, 2.3, 3.4, 9, 9, 9, 4.5, 5.7, 9, 9]);
    const crop = op('Pad', [d, ints([-1, 0, 0, 0])]);
    expect(values(crop)).toEqual([2.3, 3.4, 4.5, 5.7]);
  });

  it('Expand, Unsqueeze, Squeeze and Flatten', () => {
    const x = refTensor([3, 1], [1, 2, 3]);
    const e = op('Expand', [x, ints([2, 1, 4])]);
    expect(e.shape).toEqual([2, 3, 4]);
    expect(values(e).slice(0, 8)).toEqual([1, 1, 1, 1, 2, 2, 2, 2]);
    expect(op('Unsqueeze', [x, ints([0, -1])]).shape).toEqual([1, 3, 1, 1]);
    expect(op('Squeeze', [refTensor([1, 3, 1], [1, 2, 3])]).shape).toEqual([3]);
    expect(op('Squeeze', [refTensor([1, 3, 1], [1, 2, 3]), ints([-1])]).shape).toEqual([1, 3]);
    expect(() => op('Squeeze', [x, ints([0])])).toThrow(/not 1/);
    expect(op('Flatten', [arange([2, 3, 4])]).shape).toEqual([2, 12]);
    expect(op('Flatten', [arange([2, 3, 4])], { axis: -1 }).shape).toEqual([6, 4]);
    expect(op('Flatten', [arange([2, 3, 4])], { axis: 0 }).shape).toEqual([1, 24]);
  });
});

describe('Softmax and LogSoftmax', () => {
  const x = refTensor([2, 3], [1, 2, 3, 1000, 1001, 999]);

  it('rows sum to 1 along the default last axis, and large inputs stay finite', () => {
    const s = op('Softmax', [x]);
    for (let r = 0; r < 2; r++) expect(s.data[r * 3]! + s.data[r * 3 + 1]! + s.data[r * 3 + 2]!).toBeCloseTo(1, 15);
    // Softmax is shift-invariant: [1000, 1001, 999] − 998 is a permutation of [1, 2, 3] + 1.
    expect(maxAbsDiff(s.data.subarray(0, 3), [s.data[5]!, s.data[3]!, s.data[4]!])).toBeLessThan(1e-15);
    const s0 = op('Softmax', [x], { axis: 0 });
    for (let c = 0; c < 3; c++) expect(s0.data[c]! + s0.data[3 + c]!).toBeCloseTo(1, 15);
  });

  it('LogSoftmax = log(Softmax)', () => {
    const y = arange([2, 2, 3], -4).data.map((v) => v * 0.7);
    const t = refTensor([2, 2, 3], y);
    for (const axis of [-1, 0, 1]) {
      const ls = op('LogSoftmax', [t], { axis });
      const s = op('Softmax', [t], { axis });
      expect(maxAbsDiff(ls.data, s.data.map(Math.log))).toBeLessThan(1e-14);
    }
  });
});

describe('errors', () => {
  it('unsupported ops throw the documented message', () => {
    expect(() => op('Gelu', [refTensor([1], [0])])).toThrow(new Error('reference interpreter: unsupported op Gelu'));
  });
});

describe('evaluateGraph', () => {
  // y = Relu(Conv(x, W) − b) on a 4-D signal with H = 1, as the engine builds 1-D problems.
  const W = arange([3, 2, 1, 3], -9).data.map((v) => v / 8);
  const graph: GraphIR = {
    name: 'relu_conv',
    inputs: [{ name: 'x', dtype: 'float64', shape: [2, 2, 1, 8] }],
    outputs: [{ name: 'y', dtype: 'float64', shape: [2, 3, 1, 8] }],
    initializers: [
      { name: 'W', dtype: 'float64', shape: [3, 2, 1, 3], data: W },
      { name: 'b', dtype: 'float64', shape: [1, 3, 1, 1], data: Float64Array.of(0.1, 0.2, 0.3) },
    ],
    nodes: [
      { opType: 'Conv', inputs: ['x', 'W'], outputs: ['c'], attrs: { pads: [0, 1, 0, 1], kernel_shape: [1, 3] } },
      { opType: 'Sub', inputs: ['c', 'b'], outputs: ['d'], attrs: {} },
      { opType: 'Relu', inputs: ['d'], outputs: ['y'], attrs: {} },
    ],
    valueInfo: [
      { name: 'c', dtype: 'float64', shape: [2, 3, 1, 8] },
      { name: 'd', dtype: 'float64', shape: [2, 3, 1, 8] },
    ],
  };
  const xData = Float64Array.from({ length: 32 }, (_, i) => Math.sin(i));

  it('computes Relu(Conv(x, W) − b)', () => {
    const out = evaluateGraph(graph, { x: { shape: [2, 2, 1, 8], data: xData } });
    expect(Object.keys(out)).toEqual(['y']);
    const c = conv2d(refTensor([2, 2, 1, 8], xData), refTensor([3, 2, 1, 3], W), { pads: [0, 1, 0, 1] });
    const expected = c.data.map((v, i) => Math.max(v - [0.1, 0.2, 0.3][Math.floor(i / 8) % 3]!, 0));
    expect(out['y']!.shape).toEqual([2, 3, 1, 8]);
    expect(maxAbsDiff(out['y']!.data, expected)).toBe(0);
    expect(out['y']!.data.some((v) => v > 0)).toBe(true);
    expect(out['y']!.data.some((v) => v === 0)).toBe(true);
  });

  it('keepAll returns intermediates, inputs and initializers', () => {
    const all = evaluateGraph(graph, { x: { shape: [2, 2, 1, 8], data: xData } }, { keepAll: true });
    expect(Object.keys(all).sort()).toEqual(['W', 'b', 'c', 'd', 'x', 'y']);
    expect(maxAbsDiff(all['y']!.data, all['d']!.data.map((v) => Math.max(v, 0)))).toBe(0);
  });

  it('float32 inputs are rounded like ORT would see them; int64 initializers are read from BigInt64Array', () => {
    const g: GraphIR = {
      name: 'reshape',
      inputs: [{ name: 'x', dtype: 'float32', shape: [2, 3] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [3, 2] }],
      initializers: [{ name: 's', dtype: 'int64', shape: [2], data: BigInt64Array.of(3n, -1n) }],
      nodes: [{ opType: 'Reshape', inputs: ['x', 's'], outputs: ['y'], attrs: {} }],
      valueInfo: [],
    };
    const y = evaluateGraph(g, { x: { shape: [2, 3], data: Float64Array.of(0.1, 1, 2, 3, 4, 5) } })['y']!;
    expect(y.shape).toEqual([3, 2]);
    expect(y.data[0]).toBe(Math.fround(0.1));
  });

  it('rejects feeds that do not match the declared inputs', () => {
    expect(() => evaluateGraph(graph, { x: { shape: [2, 2, 8], data: xData } })).toThrow(
      'reference interpreter: feed "x" has shape [2, 2, 8] but the graph declares [2, 2, 1, 8]',
    );
    expect(() => evaluateGraph(graph, { x: { shape: [2, 2, 1, 8], data: xData.subarray(1) } })).toThrow(/has 31 values/);
    expect(() => evaluateGraph(graph, {})).toThrow(/missing feed for graph input "x"/);
    expect(() => evaluateGraph(graph, { x: { shape: [2, 2, 1, 8], data: xData }, z: { shape: [], data: xData } })).toThrow(/not a graph input/);
  });

  it('reports declared shapes that disagree with the operator semantics, and node errors with context', () => {
    const bad: GraphIR = { ...graph, valueInfo: [{ name: 'c', dtype: 'float64', shape: [2, 3, 1, 6] }] };
    expect(() => evaluateGraph(bad, { x: { shape: [2, 2, 1, 8], data: xData } })).toThrow(/value "c" has shape \[2, 3, 1, 8\] but the graph declares \[2, 3, 1, 6\]/);
    expect(() => evaluateGraph(bad, { x: { shape: [2, 2, 1, 8], data: xData } }, { checkDeclared: false })).not.toThrow();
    const broken: GraphIR = { ...graph, nodes: [{ ...graph.nodes[0]!, attrs: { group: 2 } }, ...graph.nodes.slice(1)] };
    expect(() => evaluateGraph(broken, { x: { shape: [2, 2, 1, 8], data: xData } })).toThrow(/node #0 Conv \(x, W → c\)/);
    const unknown: GraphIR = { ...graph, nodes: [{ opType: 'Foo', inputs: ['x'], outputs: ['y'], attrs: {} }] };
    expect(() => evaluateGraph(unknown, { x: { shape: [2, 2, 1, 8], data: xData } })).toThrow(
      new Error('reference interpreter: unsupported op Foo'),
    );
  });
});
