/**
 * Gradient rules, checked two ways per op:
 *  1. the emitted gradient, evaluated in float64 by the reference interpreter, against central finite
 *     differences of the loss, also in float64 (relative max-norm error ≤ 1e-6);
 *  2. the same graph run by ONNX Runtime CPU in float32 against the float64 reference (≤ 1e-4).
 * Every graph has float32 inputs and loss = Σ y ⊙ R with R a fixed pseudo-random constant, so each test
 * exercises the full vector-Jacobian product of y = op(inputs), not only its sum.
 */
import { promoteToFloat64, pruneToOutput, relativeMaxError } from '../testing/graph-check';
import { afterAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src-shared/math/random';
import { GraphBuilder, type ConvOptions, type Tensor } from './builder';
import { addGradients } from './gradient';
import type { GraphIR } from './ir';
import { evaluateGraph } from '../reference/interpreter';
import { Runtime, type HostTensor } from '../runtime/session';

// ---- harness ---------------------------------------------------------------------------------------------------


function hashName(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

interface InputSpec {
  readonly name: string;
  readonly shape: readonly number[];
  /** Uniform range of the samples (default [−1, 1]). */
  readonly lo?: number;
  readonly hi?: number;
  /** Resample an element while this holds (keeps inputs off kinks such as 0 for Relu/Abs). */
  readonly avoid?: (v: number) => boolean;
}

interface Case {
  readonly inputs: readonly InputSpec[];
  readonly build: (g: GraphBuilder, xs: Tensor[]) => Tensor;
  /** Joint condition on all inputs (e.g. no near-ties between the operands of Max); resampled until true. */
  readonly valid?: (data: Float64Array[]) => boolean;
  /** Names of the inputs to differentiate with respect to (default all). */
  readonly wrt?: readonly string[];
  /** Why ONNX Runtime cannot run this graph (the float64 checks still run). */
  readonly ortCannotRun?: string;
}

interface Errors {
  fd: number;
  ort: number;
}

const runtime = new Runtime({ providers: ['cpu'], intraOpThreads: 1 });
const worst: Errors = { fd: 0, ort: 0 };
const H = 1e-6;
/** Coordinates checked by finite differences per input; larger inputs get a random subset of this size. */
const FD_COORDINATES = 96;

afterAll(async () => {
  await runtime.dispose();
  // Opt-in summary, for reports on the rules' accuracy.
  if (process.env.GRADIENT_REPORT) console.log(`gradient: worst finite-difference error ${worst.fd.toExponential(2)}, worst ONNX Runtime error ${worst.ort.toExponential(2)}`);
});





function sample(spec: InputSpec, rand: () => number): Float64Array {
  const lo = spec.lo ?? -1;
  const hi = spec.hi ?? 1;
  const out = new Float64Array(size(spec.shape));
  for (let i = 0; i < out.length; i++) {
    let v: number;
    // float32-representable values, so the float32 and float64 evaluations see the same inputs.
    do v = Math.fround(lo + (hi - lo) * rand());
    while (spec.avoid?.(v));
    out[i] = v;
  }
  return out;
}

interface Built {
  readonly ir: GraphIR;
  readonly data: Float64Array[];
  readonly wrt: readonly InputSpec[];
}

function buildCase(name: string, c: Case): Built {
  const rand = mulberry32(hashName(name));
  const g = new GraphBuilder(name.replace(/\W+/g, '_'));
  const xs = c.inputs.map((s) => g.input(s.name, 'float32', s.shape));
  const y = c.build(g, xs);
  const r = g.constant(
    Array.from({ length: size(y.shape) }, () => 2 * rand() - 1),
    y.shape,
    y.dtype,
  );
  const loss = g.reduceSum(g.mul(y, r));
  const wrtSpecs = c.inputs.filter((s) => !c.wrt || c.wrt.includes(s.name));
  const grads = addGradients(
    g,
    loss,
    wrtSpecs.map((s) => xs[c.inputs.indexOf(s)]!),
  );
  g.output('loss', loss);
  grads.forEach((t, i) => {
    const w = wrtSpecs[i]!;
    expect(t.shape).toEqual(w.shape);
    expect(t.dtype).toBe('float32');
    g.output(`grad_${w.name}`, t);
  });
  let data: Float64Array[] = [];
  for (let attempt = 0; attempt < 10_000; attempt++) {
    data = c.inputs.map((s) => sample(s, rand));
    if (!c.valid || c.valid(data)) break;
  }
  if (c.valid && !c.valid(data)) throw new Error(`${name}: no valid inputs found`);
  return { ir: g.toIR(), data, wrt: wrtSpecs };
}

/** Builds the case, checks the gradient against finite differences and ONNX Runtime against the reference. */
async function check(name: string, c: Case): Promise<void> {
  await measure(name, c);
}

/** `check`, returning the errors it observed. */
async function measure(name: string, c: Case): Promise<Errors> {
  const { ir, data, wrt } = buildCase(name, c);
  const rand = mulberry32(hashName(name) ^ 0x9e3779b9);
  const ir64 = promoteToFloat64(ir);
  const feeds64 = Object.fromEntries(c.inputs.map((s, i) => [s.name, { shape: s.shape, data: data[i]! }]));
  const exact = evaluateGraph(ir64, feeds64);

  // (1) analytic gradient vs central differences of the loss, all in float64.
  const lossGraph = pruneToOutput(ir64, 'loss');
  const lossAt = (feeds: typeof feeds64) => evaluateGraph(lossGraph, feeds)['loss']!.data[0]!;
  let fdErr = 0;
  for (const spec of wrt) {
    const x = data[c.inputs.indexOf(spec)]!;
    const analytic = exact[`grad_${spec.name}`]!.data;
    let coords = Array.from({ length: x.length }, (_, i) => i);
    if (coords.length > FD_COORDINATES) {
      for (let i = coords.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [coords[i], coords[j]] = [coords[j]!, coords[i]!];
      }
      coords = coords.slice(0, FD_COORDINATES);
    }
    const fd: number[] = [];
    const an: number[] = [];
    for (const i of coords) {
      const plus = Float64Array.from(x);
      const minus = Float64Array.from(x);
      plus[i] = x[i]! + H;
      minus[i] = x[i]! - H;
      const lp = lossAt({ ...feeds64, [spec.name]: { shape: spec.shape, data: plus } });
      const lm = lossAt({ ...feeds64, [spec.name]: { shape: spec.shape, data: minus } });
      fd.push((lp - lm) / (2 * H));
      an.push(analytic[i]!);
    }
    const e = relativeMaxError(an, fd);
    expect(e, `${name}: d loss / d ${spec.name} vs finite differences`).toBeLessThanOrEqual(1e-6);
    fdErr = Math.max(fdErr, e);
  }

  // (2) ONNX Runtime (float32) vs the float64 reference of the float32 graph.
  const reference = evaluateGraph(ir, feeds64);
  worst.fd = Math.max(worst.fd, fdErr);
  if (c.ortCannotRun) return { fd: fdErr, ort: 0 };
  const feeds32: Record<string, HostTensor> = Object.fromEntries(c.inputs.map((s, i) => [s.name, { dtype: 'float32', shape: s.shape, data: Float32Array.from(data[i]!) }]));
  const { outputs } = await runtime.run(ir, feeds32);
  let ortErr = 0;
  for (const out of ir.outputs) {
    const e = relativeMaxError(outputs[out.name]!.data as Float32Array, reference[out.name]!.data);
    expect(e, `${name}: ONNX Runtime ${out.name} vs reference`).toBeLessThanOrEqual(1e-4);
    ortErr = Math.max(ortErr, e);
  }
  worst.ort = Math.max(worst.ort, ortErr);
  return { fd: fdErr, ort: ortErr };
}

const nearZero = (v: number) => Math.abs(v) < 0.05;
const inp = (name: string, shape: readonly number[], extra: Partial<InputSpec> = {}): InputSpec => ({ name, shape, ...extra });

// ---- element-wise -------------------------------------------------------------------------------------------------

describe('gradients of element-wise binary ops (with broadcasting)', () => {
  it('Add', () => check('add', { inputs: [inp('a', [3, 4]), inp('b', [4])], build: (g, [a, b]) => g.add(a!, b!) }));
  it('Sub (both operands broadcast)', () => check('sub', { inputs: [inp('a', [3, 1]), inp('b', [2, 1, 4])], build: (g, [a, b]) => g.sub(a!, b!) }));
  it('Mul', () => check('mul', { inputs: [inp('a', [2, 3, 4]), inp('b', [3, 1])], build: (g, [a, b]) => g.mul(a!, b!) }));
  it('Div', () => check('div', { inputs: [inp('a', [3, 4]), inp('b', [1, 4], { lo: 0.5, hi: 2 })], build: (g, [a, b]) => g.div(a!, b!) }));
  it('Pow with constant exponents', () =>
    check('pow-const', {
      inputs: [inp('x', [3, 4]), inp('p', [3, 4], { lo: 0.3, hi: 2 })],
      build: (g, [x, p]) => g.add(g.pow(x!, 3), g.pow(p!, 2.5)),
    }));
  it('Pow with a tensor exponent', () =>
    check('pow-tensor', { inputs: [inp('a', [3, 4], { lo: 0.3, hi: 2 }), inp('b', [4], { lo: -1.5, hi: 2.5 })], build: (g, [a, b]) => g.pow(a!, b!) }));
  const noTies = ([a, b]: Float64Array[]) => Array.from(a!).every((v, i) => Math.abs(v - b![i % 4]!) > 0.05);
  it('Max', () => check('max', { inputs: [inp('a', [3, 4]), inp('b', [4])], valid: noTies, build: (g, [a, b]) => g.max(a!, b!) }));
  it('Min', () => check('min', { inputs: [inp('a', [3, 4]), inp('b', [4])], valid: noTies, build: (g, [a, b]) => g.min(a!, b!) }));

  it('routes ties of Max and Min to the first operand', async () => {
    const g = new GraphBuilder('ties');
    const a = g.input('a', 'float32', [2, 3]);
    const b = g.input('b', 'float32', [2, 3]);
    const r = g.constant([1, 2, 3, 4, 5, 6], [2, 3]);
    const loss = g.reduceSum(g.mul(g.add(g.max(a, b), g.mul(g.min(b, a), 10)), r));
    const [da, db] = addGradients(g, loss, [a, b]);
    g.output('da', da!);
    g.output('db', db!);
    const ir = g.toIR();
    const same = Float32Array.from([0.5, -1, 2, 0.25, 0, 3]);
    const ref = evaluateGraph(ir, { a: { shape: [2, 3], data: same }, b: { shape: [2, 3], data: same } });
    // Max(a, b) sends R to a; Min(b, a) sends 10·R to b.
    expect(Array.from(ref['da']!.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(ref['db']!.data)).toEqual([10, 20, 30, 40, 50, 60]);
    const { outputs } = await runtime.run(ir, { a: { dtype: 'float32', shape: [2, 3], data: same }, b: { dtype: 'float32', shape: [2, 3], data: same } });
    expect(Array.from(outputs['da']!.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(outputs['db']!.data as Float32Array)).toEqual([10, 20, 30, 40, 50, 60]);
  });
});

describe('gradients of element-wise unary ops', () => {
  it('Neg', () => check('neg', { inputs: [inp('x', [3, 4])], build: (g, [x]) => g.neg(x!) }));
  it('Abs', () => check('abs', { inputs: [inp('x', [3, 4], { avoid: nearZero })], build: (g, [x]) => g.abs(x!) }));
  it('Sign has zero gradient', async () => {
    const e = await measure('sign', { inputs: [inp('x', [3, 4], { avoid: nearZero })], build: (g, [x]) => g.sign(x!) });
    expect(e.fd).toBe(0);
  });
  it('Sign times its input (|x|) is differentiated through the other factor only', () =>
    check('sign-mul', { inputs: [inp('x', [3, 4], { avoid: nearZero })], build: (g, [x]) => g.mul(g.sign(x!), x!) }));
  it('Relu', () => check('relu', { inputs: [inp('x', [3, 4], { avoid: nearZero })], build: (g, [x]) => g.relu(x!) }));
  it('Sqrt', () => check('sqrt', { inputs: [inp('x', [3, 4], { lo: 0.2, hi: 2 })], build: (g, [x]) => g.sqrt(x!) }));
  it('Exp', () => check('exp', { inputs: [inp('x', [3, 4])], build: (g, [x]) => g.exp(x!) }));
  it('Log', () => check('log', { inputs: [inp('x', [3, 4], { lo: 0.2, hi: 2 })], build: (g, [x]) => g.log(x!) }));
  it('Reciprocal', () => check('reciprocal', { inputs: [inp('x', [3, 4], { avoid: (v) => Math.abs(v) < 0.3 })], build: (g, [x]) => g.reciprocal(x!) }));
  it('Identity', () => check('identity', { inputs: [inp('x', [3, 4])], build: (g, [x]) => g.identity(x!) }));
  it('Cast float32 → float64 → float32 passes through; a cast to int carries no gradient', () =>
    check('cast', {
      // trunc(x) is piecewise constant: x is kept away from the integers where it jumps.
      inputs: [inp('x', [3, 4], { lo: 0, hi: 3, avoid: (v) => Math.abs(v - Math.round(v)) < 0.05 })],
      build: (g, [x]) => g.mul(g.cast(g.exp(g.cast(x!, 'float64')), 'float32'), g.cast(g.cast(x!, 'int32'), 'float32')),
    }));
  it('Where (condition from a comparison of a differentiated input, broadcast branches)', () =>
    check('where', {
      inputs: [inp('c', [3, 4], { avoid: nearZero }), inp('a', [3, 1]), inp('b', [4])],
      build: (g, [c, a, b]) => g.where(g.greater(c!, 0), g.mul(a!, c!), b!),
    }));
  it('sums the cotangents of a value used several times', () =>
    check('reuse', { inputs: [inp('x', [5])], build: (g, [x]) => g.add(g.mul(x!, x!), g.mul(x!, g.exp(x!))) }));
});

// ---- linear algebra ----------------------------------------------------------------------------------------------

describe('gradients of MatMul and Gemm', () => {
  it('MatMul 2-D', () => check('matmul-2d', { inputs: [inp('a', [3, 4]), inp('b', [4, 5])], build: (g, [a, b]) => g.matmul(a!, b!) }));
  it('MatMul batched with broadcasting', () =>
    check('matmul-batched', { inputs: [inp('a', [2, 1, 3, 4]), inp('b', [3, 4, 2])], build: (g, [a, b]) => g.matmul(a!, b!) }));
  it('MatMul matrix × batch', () => check('matmul-mat-batch', { inputs: [inp('a', [3, 4]), inp('b', [2, 4, 2])], build: (g, [a, b]) => g.matmul(a!, b!) }));
  it.each([
    ['vector × matrix', [4], [4, 5]],
    ['matrix × vector', [3, 4], [4]],
    ['vector × vector', [4], [4]],
    ['vector × batch', [4], [2, 4, 3]],
  ])('MatMul with 1-D operands: %s', (label, sa, sb) =>
    check(`matmul-1d-${label}`, { inputs: [inp('a', sa as number[]), inp('b', sb as number[])], build: (g, [a, b]) => g.matmul(a!, b!) }));
  it.each([
    { transA: false, transB: false, alpha: 1, beta: 1, c: [5] },
    { transA: false, transB: true, alpha: 0.5, beta: 2, c: [3, 1] },
    { transA: true, transB: false, alpha: -1.5, beta: 0.25, c: [3, 5] },
    { transA: true, transB: true, alpha: 2, beta: 1, c: [] },
    { transA: false, transB: false, alpha: 1.25, beta: 1, c: undefined },
  ])('Gemm transA=$transA transB=$transB alpha=$alpha beta=$beta C=$c', (o) => {
    const [m, k, n] = [3, 4, 5];
    const inputs = [inp('a', o.transA ? [k, m] : [m, k]), inp('b', o.transB ? [n, k] : [k, n]), ...(o.c ? [inp('c', o.c)] : [])];
    return check(`gemm-${JSON.stringify(o)}`, { inputs, build: (g, [a, b, c]) => g.gemm(a!, b!, c, o) });
  });
});

// ---- convolutions ------------------------------------------------------------------------------------------------

interface ConvCase {
  readonly label: string;
  readonly x: readonly number[];
  readonly w: readonly number[];
  readonly o: ConvOptions;
}

const CONV_CASES: readonly ConvCase[] = [
  { label: 'k3 s1 p0 multi-channel batch 2', x: [2, 3, 6, 7], w: [4, 3, 3, 3], o: {} },
  { label: 'k3 s2 p1 on 9×11', x: [1, 2, 9, 11], w: [3, 2, 3, 3], o: { strides: 2, pads: 1 } },
  { label: 'k4 s3 p2 (stride does not divide)', x: [1, 2, 9, 11], w: [2, 2, 4, 4], o: { strides: 3, pads: 2 } },
  { label: 'k3 s1 p1 d2', x: [1, 2, 9, 11], w: [3, 2, 3, 3], o: { pads: 1, dilations: 2 } },
  { label: 'k4 s2 p2 d2 asymmetric strides', x: [2, 2, 11, 9], w: [2, 2, 4, 4], o: { strides: [2, 3], pads: 2, dilations: 2 } },
  { label: 'k3 s3 asymmetric pads [0, 1, 2, 0]', x: [1, 2, 9, 11], w: [2, 2, 3, 3], o: { strides: 3, pads: [0, 1, 2, 0] } },
  { label: 'H = 1 (k 1×4, s 1×2, pads 0/1)', x: [1, 2, 1, 11], w: [3, 2, 1, 4], o: { strides: [1, 2], pads: [0, 1, 0, 1] } },
  { label: '1-D signal k3 s3 p2 d2', x: [2, 2, 13], w: [3, 2, 3], o: { strides: 3, pads: 2, dilations: 2 } },
  { label: 'group 2, k3 s2 p1', x: [2, 4, 7, 7], w: [6, 2, 3, 3], o: { strides: 2, pads: 1, group: 2 } },
];

describe('gradients of Conv', () => {
  it.each(CONV_CASES)('Conv $label', ({ label, x, w, o }) =>
    check(`conv-${label}`, { inputs: [inp('x', x), inp('w', w)], build: (g, [xt, wt]) => g.conv(xt!, wt!, o) }));

  it('Conv with a bias input', () =>
    check('conv-bias', {
      inputs: [inp('x', [2, 2, 5, 6]), inp('w', [3, 2, 3, 3]), inp('b', [3])],
      build: (g, [x, w, b]) =>
        g.emit('Conv', [x!, w!, b!], { kernel_shape: [3, 3], strides: [2, 1], pads: [1, 1, 1, 1], dilations: [1, 1], group: 1 }, [{ dtype: 'float32', shape: [2, 3, 3, 6] }])[0]!,
    }));
});

const CONV_TRANSPOSE_CASES: readonly (ConvCase & { readonly out: readonly number[]; readonly ortCannotRun?: string })[] = [
  { label: 'k3 s1 p0 multi-channel batch 2', x: [2, 3, 4, 5], w: [3, 2, 3, 3], o: {}, out: [6, 7] },
  { label: 'k3 s2 p1 to 9×11', x: [1, 3, 5, 6], w: [3, 2, 3, 3], o: { strides: 2, pads: 1 }, out: [9, 11] },
  { label: 'k3 s2 p1 with output padding (10×12)', x: [1, 3, 5, 6], w: [3, 2, 3, 3], o: { strides: 2, pads: 1 }, out: [10, 12] },
  { label: 'k4 s3 p2 with output padding', x: [1, 2, 3, 4], w: [2, 2, 4, 4], o: { strides: 3, pads: 2 }, out: [8, 11] },
  { label: 'k3 s1 p1 d2', x: [1, 2, 7, 9], w: [2, 3, 3, 3], o: { pads: 1, dilations: 2 }, out: [9, 11] },
  { label: 'H = 1 (k 1×4, s 1×2, pads 0/1)', x: [1, 2, 1, 5], w: [2, 3, 1, 4], o: { strides: [1, 2], pads: [0, 1, 0, 1] }, out: [1, 11] },
  { label: '1-D signal k3 s3 p2 d2', x: [2, 2, 5], w: [2, 3, 3], o: { strides: 3, pads: 2, dilations: 2 }, out: [13] },
  { label: 'group 2, k3 s2 p1', x: [2, 4, 4, 4], w: [4, 3, 3, 3], o: { strides: 2, pads: 1, group: 2 }, out: [7, 8] },
];

describe('gradients of ConvTranspose', () => {
  it.each(CONV_TRANSPOSE_CASES)('ConvTranspose $label', ({ label, x, w, o, out, ortCannotRun }) =>
    check(`convT-${label}`, { inputs: [inp('x', x), inp('w', w)], build: (g, [xt, wt]) => g.convTranspose(xt!, wt!, { ...o, outputShape: out }), ortCannotRun }));

  it('refuses an output shape that needs output_padding ≥ stride, which ONNX Runtime cannot run', () => {
    const g = new GraphBuilder('refuse');
    const x = g.input('x', 'float32', [1, 2, 5, 6]);
    const w = g.input('w', 'float32', [2, 2, 3, 3]);
    expect(() => g.convTranspose(x, w, { dilations: 2, outputShape: [10, 11] })).toThrow(/cannot produce spatial size 10/);
  });

  it('ConvTranspose with a bias input', () =>
    check('convT-bias', {
      inputs: [inp('x', [2, 2, 3, 4]), inp('w', [2, 3, 3, 3]), inp('b', [3])],
      build: (g, [x, w, b]) =>
        g.emit('ConvTranspose', [x!, w!, b!], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], dilations: [1, 1], group: 1 }, [{ dtype: 'float32', shape: [2, 3, 5, 7] }])[0]!,
    }));
});

// ---- reductions ---------------------------------------------------------------------------------------------------

describe('gradients of reductions', () => {
  const ops = ['reduceSum', 'reduceMean', 'reduceMax', 'reduceMin', 'reduceSumSquare', 'reduceL1'] as const;
  const variants: readonly { label: string; shape: number[]; axes: number[] | undefined; keepdims: boolean }[] = [
    { label: 'axis 1', shape: [3, 4, 5], axes: [1], keepdims: false },
    { label: 'axes [0, 2] keepdims', shape: [3, 4, 5], axes: [0, 2], keepdims: true },
    { label: 'axis −1 of a square matrix', shape: [3, 3], axes: [-1], keepdims: false },
    { label: 'axis 0 of a square matrix', shape: [3, 3], axes: [0], keepdims: false },
    { label: 'all axes', shape: [3, 4], axes: undefined, keepdims: false },
  ];
  const cases = ops.flatMap((op) => variants.map((v) => ({ op, ...v })));
  it.each(cases)('$op $label', ({ op, label, shape, axes, keepdims }) =>
    check(`${op}-${label}`, { inputs: [inp('x', shape)], build: (g, [x]) => g[op](x!, axes, keepdims) }));

  it('ReduceMax and ReduceMin share the cotangent between tied extremes', async () => {
    const g = new GraphBuilder('reduce-ties');
    const x = g.input('x', 'float32', [2, 4]);
    const loss = g.reduceSum(g.add(g.reduceMax(x, [1]), g.mul(g.reduceMin(x, [1]), 10)));
    const [dx] = addGradients(g, loss, [x]);
    g.output('dx', dx!);
    const ir = g.toIR();
    const data = Float32Array.from([3, 1, 3, 1, -2, 5, 5, 5]);
    const expected = [0.5, 5, 0.5, 5, 10, 1 / 3, 1 / 3, 1 / 3];
    const ref = evaluateGraph(ir, { x: { shape: [2, 4], data } });
    expect(relativeMaxError(ref['dx']!.data, expected)).toBeLessThan(1e-15);
    const { outputs } = await runtime.run(ir, { x: { dtype: 'float32', shape: [2, 4], data } });
    expect(relativeMaxError(outputs['dx']!.data as Float32Array, expected)).toBeLessThan(1e-6);
  });
});

// ---- shape manipulation -------------------------------------------------------------------------------------------

describe('gradients of shape ops', () => {
  it('Reshape', () => check('reshape', { inputs: [inp('x', [3, 4])], build: (g, [x]) => g.reshape(x!, [2, -1]) }));
  it('Transpose', () => check('transpose', { inputs: [inp('x', [2, 3, 4])], build: (g, [x]) => g.transpose(x!, [2, 0, 1]) }));
  it('Concat (one input used twice)', () =>
    check('concat', { inputs: [inp('a', [2, 3]), inp('b', [2, 1]), inp('c', [2, 4])], build: (g, [a, b, c]) => g.concat([a!, b!, c!, a!], 1) }));
  it.each([
    { label: 'step 1 with clamped end', starts: [1], ends: [1000], axes: [1], steps: [1] },
    { label: 'negative start, two axes', starts: [-3, 1], ends: [-1, 4], axes: [2, 0], steps: [1, 1] },
    { label: 'step −1 (reversal)', starts: [-1], ends: [-1000], axes: [2], steps: [-1] },
    { label: 'step −1 partial', starts: [4], ends: [0], axes: [2], steps: [-1] },
    { label: 'step 2', starts: [0, 1], ends: [5, 6], axes: [1, 2], steps: [2, 2] },
    { label: 'step −2 and step 3', starts: [5, 0], ends: [0, 3], axes: [2, 0], steps: [-2, 3] },
  ])('Slice $label', ({ label, starts, ends, axes, steps }) =>
    check(`slice-${label}`, { inputs: [inp('x', [4, 5, 6])], build: (g, [x]) => g.slice(x!, starts, ends, axes, steps) }));
  it('Pad (constant, asymmetric)', () => check('pad', { inputs: [inp('x', [3, 4])], build: (g, [x]) => g.pad(x!, [1, 0, 2, 3], 0.5) }));
  it('Pad with negative pads (crop) and a differentiated pad value', () =>
    check('pad-crop', {
      inputs: [inp('x', [3, 4]), inp('v', [])],
      build: (g, [x, v]) => g.emit('Pad', [x!, g.constant([1, -1, -1, 2], [4], 'int64'), v!], { mode: 'constant' }, [{ dtype: 'float32', shape: [3, 5] }])[0]!,
    }));
  it('Expand', () => check('expand', { inputs: [inp('x', [3, 1])], build: (g, [x]) => g.expand(x!, [2, 3, 4]) }));
});

describe('gradients of Softmax and LogSoftmax', () => {
  it('Softmax over axis 1', () => check('softmax', { inputs: [inp('x', [3, 4, 2], { lo: -2, hi: 2 })], build: (g, [x]) => g.softmax(x!, 1) }));
  it('LogSoftmax over the last axis', () => check('logsoftmax', { inputs: [inp('x', [3, 5], { lo: -2, hi: 2 })], build: (g, [x]) => g.logSoftmax(x!) }));
});

// ---- compositions -------------------------------------------------------------------------------------------------

describe('gradients of compositions', () => {
  const beta = 0.3;
  // Off the kinks at |x| = β (and x = 0 for the hard threshold's mask).
  const offBeta = ([x, b]: Float64Array[]) => Array.from(x!).every((v) => Math.abs(Math.abs(v) - b![0]!) > 0.05 && Math.abs(v - b![0]!) > 0.05);
  const betaIn = inp('beta', [], { lo: beta, hi: beta + 0.1 });
  it('softThreshold (β a differentiated input)', () =>
    check('soft-threshold', { inputs: [inp('x', [4, 5]), betaIn], valid: offBeta, build: (g, [x, b]) => g.softThreshold(x!, b!) }));
  it('softThreshold with a per-channel β (Max/Min form)', () =>
    check('soft-threshold-per-channel', {
      inputs: [inp('x', [2, 3, 4]), inp('beta', [1, 3, 1], { lo: beta, hi: beta + 0.1 })],
      valid: ([x, b]) => Array.from(x!).every((v, i) => Math.abs(Math.abs(v) - b![Math.floor(i / 4) % 3]!) > 0.05),
      build: (g, [x, b]) => g.softThreshold(x!, b!),
    }));
  it('Clip with differentiated bounds', () =>
    check('clip', {
      inputs: [inp('x', [4, 5]), inp('lo', [], { lo: -0.5, hi: -0.4 }), inp('hi', [], { lo: 0.3, hi: 0.4 })],
      valid: ([x, lo, hi]) => Array.from(x!).every((v) => Math.abs(v - lo![0]!) > 0.05 && Math.abs(v - hi![0]!) > 0.05),
      build: (g, [x, lo, hi]) => g.clip(x!, lo!, hi!),
    }));
  it('softThresholdNonNegative', () =>
    check('soft-threshold-nonneg', { inputs: [inp('x', [4, 5]), betaIn], valid: offBeta, build: (g, [x, b]) => g.softThresholdNonNegative(x!, b!) }));
  it('hardThreshold (β gets zero gradient)', () =>
    check('hard-threshold', { inputs: [inp('x', [4, 5]), betaIn], valid: offBeta, build: (g, [x, b]) => g.hardThreshold(x!, b!) }));
  it('crossEntropy', () =>
    check('cross-entropy', {
      inputs: [inp('logits', [4, 5], { lo: -2, hi: 2 })],
      build: (g, [l]) => g.crossEntropy(l!, g.constant([1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0], [4, 5])),
    }));
  it('sumSquares and sumAbs', () =>
    check('sum-squares-abs', {
      inputs: [inp('x', [3, 4], { avoid: nearZero })],
      build: (g, [x]) => g.add(g.sumSquares(x!), g.mul(g.sumAbs(x!), 0.5)),
    }));
  it('two-layer conv net with ReLU', () =>
    check('conv-net', {
      inputs: [inp('x', [1, 1, 9, 11]), inp('w1', [4, 1, 3, 3]), inp('b1', [1, 4, 1, 1], { lo: -0.2, hi: 0.2 }), inp('w2', [3, 4, 3, 3])],
      build: (g, [x, w1, b1, w2]) => {
        const h = g.relu(g.add(g.conv(x!, w1!, { pads: 1 }), b1!));
        return g.relu(g.conv(h, w2!, { strides: 2, pads: 1 }));
      },
    }));
});

// ---- API behaviour ------------------------------------------------------------------------------------------------

describe('addGradients', () => {
  it('returns explicit zeros of the exact shape and dtype when there is no path', async () => {
    const g = new GraphBuilder('zeros');
    const x = g.input('x', 'float32', [2, 3]);
    const unused = g.input('unused', 'float32', [4, 1]);
    const k = g.input('k', 'int64', [2]);
    const loss = g.reduceSum(g.exp(x));
    const grads = addGradients(g, loss, [unused, k, x]);
    expect(grads.map((t) => [t.dtype, t.shape])).toEqual([
      ['float32', [4, 1]],
      ['int64', [2]],
      ['float32', [2, 3]],
    ]);
    g.output('du', grads[0]!);
    g.output('dk', grads[1]!);
    const ir = g.toIR();
    const feeds = { x: { shape: [2, 3], data: new Float32Array(6) }, unused: { shape: [4, 1], data: new Float32Array(4) }, k: { shape: [2], data: new BigInt64Array(2) } };
    const ref = evaluateGraph(ir, feeds);
    expect(Array.from(ref['du']!.data)).toEqual([0, 0, 0, 0]);
    expect(Array.from(ref['dk']!.data)).toEqual([0, 0]);
  });

  it('accepts a seed for a non-scalar loss (equal to the gradient of Σ loss ⊙ seed)', () => {
    const g = new GraphBuilder('seed');
    const x = g.input('x', 'float32', [2, 3]);
    const s = g.input('s', 'float32', [2]);
    const y = g.reduceSum(g.mul(x, x), [1]);
    const [dx] = addGradients(g, y, [x], s);
    g.output('dx', dx!);
    const xd = Float32Array.from([1, 2, 3, -1, 0.5, 4]);
    const ref = evaluateGraph(g.toIR(), { x: { shape: [2, 3], data: xd }, s: { shape: [2], data: Float32Array.from([2, -3]) } });
    expect(Array.from(ref['dx']!.data)).toEqual([4, 8, 12, 6, -3, -24]);
  });

  it('differentiates with respect to intermediate values', () => {
    const g = new GraphBuilder('intermediate');
    const x = g.input('x', 'float32', [3]);
    const h = g.exp(x);
    const loss = g.reduceSum(g.mul(h, h));
    const [dh, dx] = addGradients(g, loss, [h, x]);
    g.output('dh', dh!);
    g.output('dx', dx!);
    const xd = Float32Array.from([0, 0.5, -1]);
    const ref = evaluateGraph(g.toIR(), { x: { shape: [3], data: xd } });
    const e = Array.from(xd, (v) => Math.exp(Math.fround(v)));
    expect(relativeMaxError(ref['dh']!.data, e.map((v) => 2 * Math.fround(v)))).toBeLessThan(1e-6);
    expect(relativeMaxError(ref['dx']!.data, e.map((v) => 2 * Math.fround(v) * Math.fround(v)))).toBeLessThan(1e-6);
  });

  it('rejects a non-scalar loss without a seed, and ops without a rule on the path only', () => {
    const g = new GraphBuilder('errors');
    const x = g.input('x', 'float32', [3]);
    const c = g.input('c', 'float32', [3]);
    expect(() => addGradients(g, g.exp(x), [x])).toThrow(/pass a seed/);
    const t = g.emit('Tanh', [x], {}, [{ dtype: 'float32', shape: [3] }])[0]!;
    expect(() => addGradients(g, g.reduceSum(t), [x])).toThrow(/gradient: no rule for op Tanh \(node output tanh_\d+\)/);
    // The same op off the path between wrt and loss is never differentiated.
    const u = g.emit('Tanh', [c], {}, [{ dtype: 'float32', shape: [3] }])[0]!;
    expect(() => addGradients(g, g.reduceSum(g.mul(u, x)), [x])).not.toThrow();
  });
});
