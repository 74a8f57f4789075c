import { describe, expect, it } from 'vitest';
import { gaussian, mulberry32 } from '../../../src-shared/math/random';
import { gemvT, mat } from '../learn/sparseland/dense';
import { conv2d, convTranspose2d } from '../reference/conv';
import { refTensor } from '../reference/tensor';
import { codeShapeOf, convGeometry, denseProduct, denseSynthesisMatrix } from './conv-matrix';
import type { ConvLayer } from './types';

interface Case {
  m: number;
  c: number;
  kh: number;
  kw: number;
  H: number;
  W: number;
  s: number;
  p: number;
}

function layerOf(k: Case, seed: number): ConvLayer {
  const g = gaussian(mulberry32(seed));
  const data = Float64Array.from({ length: k.m * k.c * k.kh * k.kw }, () => g());
  return { weights: { shape: [k.m, k.c, k.kh, k.kw], data }, stride: k.s, pad: k.p };
}

const cases: Case[] = [];
for (const s of [1, 2, 3]) {
  for (const p of [0, 1, 2]) cases.push({ m: 3, c: 2, kh: 3, kw: 3, H: 7, W: 8, s, p });
  for (const p of [0, 1, 2, 3, 4]) cases.push({ m: 2, c: 2, kh: 1, kw: 5, H: 1, W: 17, s, p });
  cases.push({ m: 2, c: 1, kh: 2, kw: 3, H: 5, W: 6, s, p: 1 });
  // 1×k filters on a 2-D input: the height is padded like any other.
  cases.push({ m: 2, c: 2, kh: 1, kw: 3, H: 3, W: 6, s, p: 1 });
}

/** The reference ConvTranspose with the output pinned to [c, H, W] (output padding = the Conv's leftover). */
function referenceSynthesis(layer: ConvLayer, k: Case, code: Float64Array, Hc: number, Wc: number): Float64Array {
  const g = convGeometry(layer, [k.c, k.H, k.W]);
  const w = refTensor([k.m, k.c, k.kh, k.kw], Float64Array.from(layer.weights.data));
  const y = convTranspose2d(refTensor([1, k.m, Hc, Wc], code), w, {
    strides: [k.s, k.s],
    pads: [g.padH, g.padW, g.padH, g.padW],
    outputPadding: [(k.H + 2 * g.padH - k.kh) % k.s, (k.W + 2 * g.padW - k.kw) % k.s],
  });
  expect(y.shape).toEqual([1, k.c, k.H, k.W]);
  return y.data;
}

describe('denseSynthesisMatrix', () => {
  it.each(cases.map((k, i) => [`${k.m}×${k.c}×${k.kh}×${k.kw} on ${k.H}×${k.W}, s${k.s} p${k.p}`, k, i] as const))(
    'columns are ConvTranspose of unit codes and Dᵀ is Conv (%s)',
    (_, k, i) => {
      const layer = layerOf(k, 100 + i);
      const [m, Hc, Wc] = codeShapeOf(layer, [k.c, k.H, k.W]);
      const D = denseSynthesisMatrix(layer, [k.c, k.H, k.W]);
      expect([D.rows, D.cols]).toEqual([k.c * k.H * k.W, m * Hc * Wc]);
      const unit = new Float64Array(D.cols);
      for (let j = 0; j < D.cols; j++) {
        unit.fill(0);
        unit[j] = 1;
        const ref = referenceSynthesis(layer, k, unit, Hc, Wc);
        expect(Array.from(D.data.subarray(j * D.rows, (j + 1) * D.rows))).toEqual(Array.from(ref));
      }
      const g = convGeometry(layer, [k.c, k.H, k.W]);
      const g2 = gaussian(mulberry32(7 + i));
      const x = Float64Array.from({ length: D.rows }, () => g2());
      const analysis = gemvT(D, x, 0, new Float64Array(D.cols));
      const ref = conv2d(refTensor([1, k.c, k.H, k.W], x), refTensor([k.m, k.c, k.kh, k.kw], Float64Array.from(layer.weights.data)), {
        strides: [k.s, k.s],
        pads: [g.padH, g.padW, g.padH, g.padW],
      });
      expect(ref.shape).toEqual([1, m, Hc, Wc]);
      for (let j = 0; j < D.cols; j++) expect(Math.abs(analysis[j]! - ref.data[j]!)).toBeLessThan(1e-12);
    },
  );

  it('refuses a matrix over the size limit and says how big it would be', () => {
    const layer = layerOf({ m: 64, c: 1, kh: 1, kw: 64, H: 1, W: 2000, s: 1, p: 0 }, 1);
    expect(() => denseSynthesisMatrix(layer, [1, 1, 2000])).toThrow(/2000×123968 = 2.48e\+8 entries/);
  });

  it('reads float32 weights', () => {
    const l64 = layerOf({ m: 2, c: 1, kh: 3, kw: 3, H: 5, W: 5, s: 1, p: 1 }, 3);
    const l32: ConvLayer = { ...l64, weights: { shape: l64.weights.shape, data: Float32Array.from(l64.weights.data) } };
    const a = denseSynthesisMatrix(l32, [1, 5, 5]);
    const b = denseSynthesisMatrix({ ...l64, weights: { shape: l64.weights.shape, data: Float64Array.from(l32.weights.data) } }, [1, 5, 5]);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  });
});

describe('codeShapeOf', () => {
  it('follows the Conv output size, never padding a unit height', () => {
    const l = layerOf({ m: 4, c: 3, kh: 5, kw: 5, H: 28, W: 28, s: 2, p: 2 }, 1);
    expect(codeShapeOf(l, [3, 28, 28])).toEqual([4, 14, 14]);
    const l1 = layerOf({ m: 2, c: 1, kh: 1, kw: 64, H: 1, W: 640, s: 1, p: 63 }, 1);
    expect(codeShapeOf(l1, [1, 1, 640])).toEqual([2, 1, 703]);
    expect(codeShapeOf({ ...l1, pad: 0 }, [1, 1, 640])).toEqual([2, 1, 577]);
  });

  it('throws RangeError naming the geometry for a channel mismatch or an empty code', () => {
    const l = layerOf({ m: 4, c: 3, kh: 5, kw: 5, H: 28, W: 28, s: 2, p: 0 }, 1);
    expect(() => codeShapeOf(l, [2, 28, 28])).toThrow(RangeError);
    expect(() => codeShapeOf(l, [2, 28, 28])).toThrow(/\[4, 3, 5, 5\].*3 input channels/);
    expect(() => codeShapeOf(l, [3, 4, 28])).toThrow(/empty code/);
    expect(() => codeShapeOf({ ...l, stride: 0 }, [3, 28, 28])).toThrow(RangeError);
    expect(() => codeShapeOf({ ...l, weights: { shape: [4, 3, 5], data: l.weights.data } }, [3, 28, 28])).toThrow(RangeError);
  });
});

describe('denseProduct', () => {
  it('multiplies like the textbook triple loop and builds an effective dictionary column by column', () => {
    const l1 = layerOf({ m: 3, c: 1, kh: 3, kw: 3, H: 8, W: 8, s: 2, p: 1 }, 5);
    const [m1, h1, w1] = codeShapeOf(l1, [1, 8, 8]);
    const l2 = layerOf({ m: 2, c: m1, kh: 2, kw: 2, H: h1, W: w1, s: 1, p: 0 }, 6);
    const D1 = denseSynthesisMatrix(l1, [1, 8, 8]);
    const D2 = denseSynthesisMatrix(l2, [m1, h1, w1]);
    const E = denseProduct(D1, D2);
    expect([E.rows, E.cols]).toEqual([D1.rows, D2.cols]);
    for (let j = 0; j < E.cols; j++) {
      for (let i = 0; i < E.rows; i++) {
        let s = 0;
        for (let k = 0; k < D1.cols; k++) s += D1.data[k * D1.rows + i]! * D2.data[j * D2.rows + k]!;
        expect(Math.abs(E.data[j * E.rows + i]! - s)).toBeLessThan(1e-12);
      }
    }
    expect(() => denseProduct(D2, D1)).toThrow(RangeError);
    expect(denseProduct(mat(2, 0), mat(0, 3)).data).toEqual(new Float64Array(6));
  });
});
