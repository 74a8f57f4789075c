import { describe, expect, it } from 'vitest';
import {
  conv1d,
  conv2d,
  convOutputLength,
  convTranspose1d,
  convTranspose2d,
  convTransposeOutputLength,
} from './conv';
import { dot, maxAbsDiff, refTensor, type RefTensor } from './tensor';

/** Deterministic uniform(−1, 1) generator (mulberry32), so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

function random(shape: number[], next: () => number): RefTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return refTensor(shape, Float64Array.from({ length: n }, next));
}

interface Geometry {
  B: number;
  C: number;
  H: number;
  W: number;
  M: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  pads: [number, number, number, number];
  group: number;
}

/**
 * The convolution matrix of one batch item, written from the definition by asking, for each
 * (output pixel, input pixel) pair, which kernel tap (if any) links them: a "gather" formulation,
 * independent of the loops in conv.ts that iterate over kernel taps.
 */
function denseConvMatrix(g: Geometry, w: RefTensor): { A: Float64Array; rows: number; cols: number; Ho: number; Wo: number } {
  const [pt, pl, pb, pr] = g.pads;
  const Ho = Math.floor((g.H + pt + pb - (g.kh - 1) * g.dh - 1) / g.sh) + 1;
  const Wo = Math.floor((g.W + pl + pr - (g.kw - 1) * g.dw - 1) / g.sw) + 1;
  const rows = g.M * Ho * Wo;
  const cols = g.C * g.H * g.W;
  const A = new Float64Array(rows * cols);
  const Cg = g.C / g.group;
  const Mg = g.M / g.group;
  for (let m = 0; m < g.M; m++) {
    for (let i = 0; i < Ho; i++) {
      for (let j = 0; j < Wo; j++) {
        const row = (m * Ho + i) * Wo + j;
        for (let c = 0; c < g.C; c++) {
          if (Math.floor(c / Cg) !== Math.floor(m / Mg)) continue; // different group: no link
          for (let ih = 0; ih < g.H; ih++) {
            const p = (ih - i * g.sh + pt) / g.dh;
            if (!Number.isInteger(p) || p < 0 || p >= g.kh) continue;
            for (let iw = 0; iw < g.W; iw++) {
              const q = (iw - j * g.sw + pl) / g.dw;
              if (!Number.isInteger(q) || q < 0 || q >= g.kw) continue;
              const col = (c * g.H + ih) * g.W + iw;
              A[row * cols + col] = w.data[((m * Cg + (c % Cg)) * g.kh + p) * g.kw + q]!;
            }
          }
        }
      }
    }
  }
  return { A, rows, cols, Ho, Wo };
}

function outputPaddingFor(g: Geometry): [number, number] {
  const [pt, pl, pb, pr] = g.pads;
  // The remainder dropped by the floor in the conv output size; adding it back makes the transposed
  // convolution's output exactly H × W.
  return [(g.H + pt + pb - (g.kh - 1) * g.dh - 1) % g.sh, (g.W + pl + pr - (g.kw - 1) * g.dw - 1) % g.sw];
}

describe('conv2d against the dense convolution matrix', () => {
  const cases: Geometry[] = [
    { B: 1, C: 1, H: 5, W: 5, M: 1, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pads: [0, 0, 0, 0], group: 1 },
    { B: 2, C: 2, H: 5, W: 6, M: 3, kh: 3, kw: 2, sh: 2, sw: 1, dh: 1, dw: 2, pads: [1, 0, 2, 1], group: 1 },
    { B: 1, C: 4, H: 7, W: 5, M: 6, kh: 3, kw: 3, sh: 2, sw: 3, dh: 2, dw: 1, pads: [2, 1, 1, 2], group: 2 },
    { B: 2, C: 3, H: 1, W: 9, M: 2, kh: 1, kw: 4, sh: 1, sw: 2, dh: 1, dw: 2, pads: [0, 3, 0, 1], group: 1 },
    { B: 1, C: 2, H: 4, W: 4, M: 2, kh: 2, kw: 2, sh: 1, sw: 1, dh: 1, dw: 1, pads: [1, 1, 1, 1], group: 2 },
  ];
  cases.forEach((g, n) => {
    it(`case ${n}: conv2d = A·x, convTranspose2d = Aᵀ·y, bias added per output channel`, () => {
      const next = rng(100 + n);
      const x = random([g.B, g.C, g.H, g.W], next);
      const w = random([g.M, g.C / g.group, g.kh, g.kw], next);
      const { A, rows, cols, Ho, Wo } = denseConvMatrix(g, w);
      const opts = { strides: [g.sh, g.sw], pads: g.pads, dilations: [g.dh, g.dw], group: g.group };
      const y = conv2d(x, w, opts);
      expect(y.shape).toEqual([g.B, g.M, Ho, Wo]);
      const r = random([g.B, g.M, Ho, Wo], next);
      const z = convTranspose2d(r, w, { ...opts, outputPadding: outputPaddingFor(g) });
      expect(z.shape).toEqual([g.B, g.C, g.H, g.W]);
      for (let b = 0; b < g.B; b++) {
        const xb = x.data.subarray(b * cols, (b + 1) * cols);
        const rb = r.data.subarray(b * rows, (b + 1) * rows);
        const Ax = new Float64Array(rows);
        const Atr = new Float64Array(cols);
        for (let i = 0; i < rows; i++) {
          for (let j = 0; j < cols; j++) {
            Ax[i] += A[i * cols + j]! * xb[j]!;
            Atr[j] += A[i * cols + j]! * rb[i]!;
          }
        }
        expect(maxAbsDiff(y.data.subarray(b * rows, (b + 1) * rows), Ax)).toBeLessThan(1e-12);
        expect(maxAbsDiff(z.data.subarray(b * cols, (b + 1) * cols), Atr)).toBeLessThan(1e-12);
      }
      const bias = Float64Array.from({ length: g.M }, (_, m) => m + 0.5);
      const yb = conv2d(x, w, opts, bias);
      const plane = Ho * Wo;
      for (let k = 0; k < yb.data.length; k++) {
        expect(yb.data[k]! - y.data[k]!).toBeCloseTo(bias[Math.floor(k / plane) % g.M]!, 12);
      }
    });
  });
});

describe('hand-computed convolutions', () => {
  it('1-D correlation with and without padding', () => {
    const x = refTensor([1, 1, 4], [1, 2, 3, 4]);
    const w = refTensor([1, 1, 3], [1, 0, -1]);
    expect(Array.from(conv1d(x, w).data)).toEqual([-2, -2]);
    // Zero-padded [0, 1, 2, 3, 4, 0]: y_j = xp[j] − xp[j+2].
    const y = conv1d(x, w, { pads: [1, 1] });
    expect(y.shape).toEqual([1, 1, 4]);
    expect(Array.from(y.data)).toEqual([-2, -2, -2, 3]);
    expect(Array.from(conv1d(x, w, { pads: [1, 1], strides: [2] }).data)).toEqual([-2, -2]);
    expect(Array.from(conv1d(x, refTensor([1, 1, 2], [1, 1]), { dilations: [2] }).data)).toEqual([4, 6]);
  });

  it('1-D transposed convolution scatters the kernel', () => {
    const x = refTensor([1, 1, 2], [1, 2]);
    const w = refTensor([1, 1, 3], [1, 1, 1]);
    const y = convTranspose1d(x, w, { strides: [2] });
    expect(y.shape).toEqual([1, 1, 5]);
    expect(Array.from(y.data)).toEqual([1, 1, 3, 2, 2]);
    expect(Array.from(convTranspose1d(x, w, { strides: [2], pads: [1, 0] }).data)).toEqual([1, 3, 2, 2]);
    expect(Array.from(convTranspose1d(x, w, { strides: [2], outputPadding: [1] }).data)).toEqual([1, 1, 3, 2, 2, 0]);
    expect(Array.from(convTranspose1d(x, w, { strides: [2] }, [10]).data)).toEqual([11, 11, 13, 12, 12]);
  });

  it('2-D with groups keeps channels apart', () => {
    // Two groups of one channel each: output channel 0 sees only input channel 0, 1 only 1.
    const x = refTensor([1, 2, 2, 2], [1, 2, 3, 4, 10, 20, 30, 40]);
    const w = refTensor([2, 1, 1, 1], [2, 3]);
    expect(Array.from(conv2d(x, w, { group: 2 }).data)).toEqual([2, 4, 6, 8, 30, 60, 90, 120]);
    const s = conv2d(x, refTensor([1, 2, 2, 2], [1, 1, 1, 1, 1, 1, 1, 1]));
    expect(s.shape).toEqual([1, 1, 1, 1]);
    expect(s.data[0]).toBe(110);
  });

  it('output sizes follow the ONNX formulas', () => {
    expect(convOutputLength(7, 3, 2, 1, 1, 1)).toBe(4);
    expect(convOutputLength(9, 5, 3, 0, 2, 2)).toBe(1);
    expect(convTransposeOutputLength(4, 3, 2, 1, 1, 1, 0)).toBe(7);
    expect(convTransposeOutputLength(4, 3, 2, 1, 1, 1, 1)).toBe(8);
  });

  it('rejects inconsistent shapes', () => {
    const x = refTensor([1, 3, 4, 4], new Float64Array(48));
    expect(() => conv2d(x, refTensor([2, 2, 3, 3], new Float64Array(36)))).toThrow(/input channels per group/);
    expect(() => conv2d(x, refTensor([2, 3, 5, 5], new Float64Array(150)))).toThrow(/empty/);
    expect(() => conv2d(x, refTensor([2, 1, 3, 3], new Float64Array(18)), { group: 2 })).toThrow(/divisible/);
    expect(() => convTranspose2d(x, refTensor([2, 1, 3, 3], new Float64Array(18)))).toThrow(/input channels/);
  });
});

describe('adjointness ⟨conv2d(x), y⟩ = ⟨x, convTranspose2d(y)⟩', () => {
  it('holds to 1e-12 over a grid of geometries', () => {
    const next = rng(7);
    let checked = 0;
    for (const group of [1, 2]) {
      for (const H of [1, 5, 7]) {
        for (const W of [9, 11]) {
          for (const s of [1, 2, 3]) {
            for (const k of [3, 4, 5]) {
              for (const p of [0, 1, 2]) {
                for (const d of [1, 2]) {
                  // H = 1 is a 1-D signal: kernel height 1 and no vertical padding.
                  const kh = H === 1 ? 1 : k;
                  const pads: [number, number, number, number] = H === 1 ? [0, p, 0, (p + 1) % 3] : [p, (p + 2) % 3, (p + 1) % 3, p];
                  const g: Geometry = { B: 2, C: 2 * group, H, W, M: 3 * group, kh, kw: k, sh: s, sw: s, dh: d, dw: d, pads, group };
                  const Ho = convOutputLength(H, kh, s, pads[0], pads[2], d);
                  const Wo = convOutputLength(W, k, s, pads[1], pads[3], d);
                  if (Ho < 1 || Wo < 1) continue;
                  const x = random([g.B, g.C, H, W], next);
                  const w = random([g.M, 2, kh, k], next);
                  const y = random([g.B, g.M, Ho, Wo], next);
                  const opts = { strides: [s, s], dilations: [d, d], pads, group };
                  const cx = conv2d(x, w, opts);
                  expect(cx.shape).toEqual([g.B, g.M, Ho, Wo]);
                  const ty = convTranspose2d(y, w, { ...opts, outputPadding: outputPaddingFor(g) });
                  expect(ty.shape).toEqual(x.shape);
                  const lhs = dot(cx.data, y.data);
                  const rhs = dot(x.data, ty.data);
                  expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(lhs)));
                  checked++;
                }
              }
            }
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(500);
  });

  it('holds for the 1-D variants on [B, C, L] signals', () => {
    const next = rng(11);
    for (const [L, k, s, d, pb, pe, group] of [
      [17, 5, 3, 2, 2, 1, 1],
      [16, 4, 2, 1, 0, 2, 2],
      [9, 3, 1, 3, 1, 1, 2],
    ] as const) {
      const x = random([2, 2 * group, L], next);
      const w = random([3 * group, 2, k], next);
      const opts = { strides: [s], dilations: [d], pads: [pb, pe], group };
      const cx = conv1d(x, w, opts);
      const lo = convOutputLength(L, k, s, pb, pe, d);
      expect(cx.shape).toEqual([2, 3 * group, lo]);
      // Same as the H = 1 case of conv2d.
      const c2 = conv2d(refTensor([2, 2 * group, 1, L], x.data), refTensor([3 * group, 2, 1, k], w.data), {
        strides: [1, s],
        dilations: [1, d],
        pads: [0, pb, 0, pe],
        group,
      });
      expect(maxAbsDiff(c2.data, cx.data)).toBe(0);
      const y = random(cx.shape, next);
      const ty = convTranspose1d(y, w, { ...opts, outputPadding: [(L + pb + pe - (k - 1) * d - 1) % s] });
      expect(ty.shape).toEqual(x.shape);
      const lhs = dot(cx.data, y.data);
      expect(Math.abs(lhs - dot(x.data, ty.data))).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(lhs)));
    }
  });
});
