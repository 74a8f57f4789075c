import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src-shared/math/random';
import { codeShapeOf, denseSynthesisMatrix } from './conv-matrix';
import { codePatchWindow, extremes, patchEnergy, patchSparsity, stripeSparsity, type WindowMax } from './local-norms';
import type { ConvLayer, Field } from './types';

function onesLayer(m: number, c: number, kh: number, kw: number, stride: number, pad: number): ConvLayer {
  return { weights: { shape: [m, c, kh, kw], data: new Float64Array(m * c * kh * kw).fill(1) }, stride, pad };
}

function sparseField(shape: [number, number, number], density: number, seed: number): Field {
  const u = mulberry32(seed);
  const data = new Float64Array(shape[0] * shape[1] * shape[2]);
  for (let k = 0; k < data.length; k++) if (u() < density) data[k] = (u() < 0.5 ? -1 : 1) * (0.05 + u());
  return { shape, data };
}

/** Keeps the first maximum in row-major window order, like the implementation. */
function better(best: WindowMax, value: number, y: number, x: number): WindowMax {
  return value > best.value ? { value, at: [y, x] } : best;
}

/** The stripe by its definition: code entries whose atom (a column of D with all-ones filters) has a pixel in the window. */
function bruteStripe(code: Field, layer: ConvLayer, input: [number, number, number], tolerance = 0): WindowMax {
  const [m, c, kh, kw] = layer.weights.shape as [number, number, number, number];
  const D = denseSynthesisMatrix(onesLayer(m, c, kh, kw, layer.stride, layer.pad), input);
  const [, H, W] = input;
  const wh = Math.min(kh, H);
  const ww = Math.min(kw, W);
  let best: WindowMax = { value: -1, at: [0, 0] };
  for (let y = 0; y + wh <= H; y++) {
    for (let x = 0; x + ww <= W; x++) {
      let count = 0;
      for (let j = 0; j < D.cols; j++) {
        if (!(Math.abs(code.data[j]!) > tolerance)) continue;
        let touches = false;
        for (let ch = 0; ch < c && !touches; ch++) {
          for (let yy = y; yy < y + wh && !touches; yy++) {
            for (let xx = x; xx < x + ww && !touches; xx++) touches = D.data[j * D.rows + (ch * H + yy) * W + xx] !== 0;
          }
        }
        if (touches) count++;
      }
      best = better(best, count, y, x);
    }
  }
  return best;
}

function brutePatch(field: Field, window: [number, number], f: (v: number) => number): WindowMax {
  const [C, H, W] = field.shape;
  const wh = Math.min(window[0], H);
  const ww = Math.min(window[1], W);
  let best: WindowMax = { value: -1, at: [0, 0] };
  for (let y = 0; y + wh <= H; y++) {
    for (let x = 0; x + ww <= W; x++) {
      let s = 0;
      for (let ch = 0; ch < C; ch++) for (let yy = y; yy < y + wh; yy++) for (let xx = x; xx < x + ww; xx++) s += f(field.data[(ch * H + yy) * W + xx]!);
      best = better(best, s, y, x);
    }
  }
  return best;
}

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

const cases: Case[] = [];
for (const s of [1, 2, 3]) {
  for (const p of [0, 2, 4, 6]) cases.push({ m: 2, c: 1, kh: 1, kw: 5, H: 1, W: 23, s, p });
  cases.push({ m: 3, c: 2, kh: 1, kw: 4, H: 1, W: 15, s, p: 1 });
  for (const p of [0, 1, 2]) cases.push({ m: 3, c: 2, kh: 3, kw: 3, H: 8, W: 9, s, p });
  cases.push({ m: 2, c: 1, kh: 2, kw: 4, H: 6, W: 9, s, p: 1 });
  // An input lower than the kernel: one window spans its whole height.
  cases.push({ m: 2, c: 1, kh: 3, kw: 3, H: 2, W: 7, s, p: 1 });
}

describe('stripeSparsity', () => {
  it.each(cases.map((k, i) => [`${k.m}×${k.c}×${k.kh}×${k.kw} on ${k.H}×${k.W}, s${k.s} p${k.p}`, k, i] as const))(
    'counts the code entries whose atoms touch the window, as the dense dictionary says (%s)',
    (_, k, i) => {
      const layer = onesLayer(k.m, k.c, k.kh, k.kw, k.s, k.p);
      const input: [number, number, number] = [k.c, k.H, k.W];
      const shape = codeShapeOf(layer, input);
      for (const [density, seed] of [[0.15, 1], [0.4, 2], [1, 3]] as const) {
        const code = sparseField(shape, density, 1000 * i + seed);
        expect(stripeSparsity(code, layer, input)).toEqual(bruteStripe(code, layer, input));
        expect(stripeSparsity(code, layer, input, 0.5)).toEqual(bruteStripe(code, layer, input, 0.5));
      }
    },
  );

  it('spans (2n − 1)·m entries for a full 1-D code at stride 1, pad 0', () => {
    for (const [m, n] of [[2, 5], [3, 8], [1, 1]] as const) {
      const layer = onesLayer(m, 1, 1, n, 1, 0);
      const input: [number, number, number] = [1, 1, 4 * n];
      const shape = codeShapeOf(layer, input);
      const full: Field = { shape, data: new Float64Array(shape[0] * shape[1] * shape[2]).fill(1) };
      const r = stripeSparsity(full, layer, input);
      expect(r.value).toBe((2 * n - 1) * m);
      // The first window whose stripe is complete starts n − 1 pixels in.
      expect(r.at).toEqual([0, n - 1]);
    }
  });

  it('is 0 for a zero code and rejects a code of the wrong shape', () => {
    const layer = onesLayer(2, 1, 3, 3, 1, 1);
    const zero: Field = { shape: [2, 6, 6], data: new Float64Array(72) };
    expect(stripeSparsity(zero, layer, [1, 6, 6])).toEqual({ value: 0, at: [0, 0] });
    expect(() => stripeSparsity(zero, layer, [1, 7, 6])).toThrow(RangeError);
    expect(() => stripeSparsity({ shape: [2, 6, 6], data: new Float64Array(5) }, layer, [1, 6, 6])).toThrow(RangeError);
  });

  it('is linear-time: a 2-D 256×256 code with 64 channels takes well under a second', () => {
    const layer = onesLayer(64, 1, 7, 7, 1, 3);
    const code = sparseField([64, 256, 256], 0.01, 9);
    const t0 = performance.now();
    const r = stripeSparsity(code, layer, [1, 256, 256]);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(r.value).toBeGreaterThan(0);
  });
});

describe('patch norms', () => {
  const shapes: [number, number, number][] = [[1, 1, 30], [3, 1, 17], [2, 7, 9], [4, 5, 5]];
  const windows: [number, number][] = [[1, 1], [1, 5], [3, 3], [2, 4], [9, 40]];
  it.each(shapes.map((s, i) => [`[${s.join(', ')}]`, s, i] as const))('patchSparsity and patchEnergy match plain loops (%s)', (_, shape, i) => {
    for (const window of windows) {
      for (const density of [0.1, 0.5, 1]) {
        const f = sparseField(shape, density, 77 * i + Math.round(density * 10) + window[0] * 100 + window[1]);
        expect(patchSparsity(f, window)).toEqual(brutePatch(f, window, (v) => (v !== 0 ? 1 : 0)));
        expect(patchSparsity(f, window, 0.5)).toEqual(brutePatch(f, window, (v) => (Math.abs(v) > 0.5 ? 1 : 0)));
        const e = patchEnergy(f, window);
        const ref = brutePatch(f, window, (v) => v * v);
        expect(Math.abs(e.value - Math.sqrt(ref.value))).toBeLessThan(1e-12);
        // Rounding in the prefix sums may move the argmax between windows of (numerically) equal energy.
        const [C, H, W] = f.shape;
        let atEnergy = 0;
        for (let ch = 0; ch < C; ch++) {
          for (let y = e.at[0]; y < e.at[0] + Math.min(window[0], H); y++) {
            for (let x = e.at[1]; x < e.at[1] + Math.min(window[1], W); x++) atEnergy += f.data[(ch * H + y) * W + x]! ** 2;
          }
        }
        expect(Math.abs(Math.sqrt(atEnergy) - e.value)).toBeLessThan(1e-12);
      }
    }
  });

  it('reads float32 fields and rejects bad windows', () => {
    const f: Field = { shape: [1, 2, 2], data: new Float32Array([3, 0, 0, 4]) };
    expect(patchEnergy(f, [2, 2])).toEqual({ value: 5, at: [0, 0] });
    expect(patchSparsity(f, [1, 1])).toEqual({ value: 1, at: [0, 0] });
    expect(() => patchSparsity(f, [0, 1])).toThrow(RangeError);
  });
});

describe('codePatchWindow', () => {
  it('uses the next layer’s kernel, the first kernel for the signal and one position for the deepest code', () => {
    const layers = [onesLayer(4, 1, 7, 7, 2, 0), onesLayer(8, 4, 5, 3, 1, 0), onesLayer(16, 8, 1, 1, 1, 0)];
    expect(codePatchWindow(layers, 0)).toEqual([7, 7]);
    expect(codePatchWindow(layers, 1)).toEqual([5, 3]);
    expect(codePatchWindow(layers, 2)).toEqual([1, 1]);
    expect(codePatchWindow(layers, 3)).toEqual([1, 1]);
    expect(() => codePatchWindow(layers, 4)).toThrow(RangeError);
    expect(() => codePatchWindow(layers, -1)).toThrow(RangeError);
  });
});

describe('extremes', () => {
  it('reports the smallest and largest non-zero magnitudes', () => {
    expect(extremes(new Float64Array([0, -0.5, 2, 0, -4]))).toEqual({ min: 0.5, max: 4, ratio: 0.125, nnz: 3 });
    expect(extremes({ shape: [1, 1, 3], data: new Float32Array([0.25, -1, 0]) }, 0.3)).toEqual({ min: 1, max: 1, ratio: 1, nnz: 1 });
    expect(extremes(new Float64Array(4))).toEqual({ min: 0, max: 0, ratio: 0, nnz: 0 });
  });
});
