/**
 * Direct-loop float64 convolutions with ONNX Conv / ConvTranspose semantics (opset 11+).
 *
 * These are written as the plainest possible loops on purpose: they are the yardstick the engine's
 * ONNX Runtime results are measured against, so clarity beats speed. 1-D convolutions are the H = 1
 * case of the 2-D ones (a [B, C, L] signal is viewed as [B, C, 1, L]).
 */

import { refTensor, type RefTensor } from './tensor';

export interface Conv2dOptions {
  /** [sh, sw], default [1, 1]. */
  readonly strides?: readonly number[];
  /** [top, left, bottom, right] (ONNX order: all begins, then all ends), default zeros. */
  readonly pads?: readonly number[];
  /** [dh, dw], default [1, 1]. */
  readonly dilations?: readonly number[];
  /** Number of channel groups, default 1. */
  readonly group?: number;
}

export interface ConvTranspose2dOptions extends Conv2dOptions {
  /** [oph, opw]: extra rows/columns added at the end of the output, default [0, 0]. */
  readonly outputPadding?: readonly number[];
}

export interface Conv1dOptions {
  readonly strides?: readonly number[];
  /** [begin, end]. */
  readonly pads?: readonly number[];
  readonly dilations?: readonly number[];
  readonly group?: number;
}

export interface ConvTranspose1dOptions extends Conv1dOptions {
  readonly outputPadding?: readonly number[];
}

/** ONNX Conv output length: floor((L + pb + pe − (k−1)·d − 1) / s) + 1. */
export function convOutputLength(inLen: number, k: number, stride: number, padBegin: number, padEnd: number, dilation: number): number {
  return Math.floor((inLen + padBegin + padEnd - (k - 1) * dilation - 1) / stride) + 1;
}

/** ONNX ConvTranspose output length: s·(L−1) + output_padding + (k−1)·d + 1 − pb − pe. */
export function convTransposeOutputLength(
  inLen: number,
  k: number,
  stride: number,
  padBegin: number,
  padEnd: number,
  dilation: number,
  outputPadding: number,
): number {
  return stride * (inLen - 1) + outputPadding + (k - 1) * dilation + 1 - padBegin - padEnd;
}

function pair(v: readonly number[] | undefined, dflt: number, what: string): [number, number] {
  if (v === undefined) return [dflt, dflt];
  if (v.length !== 2) throw new Error(`reference conv: ${what} must have 2 entries, got [${v.join(', ')}]`);
  return [v[0]!, v[1]!];
}

function quad(v: readonly number[] | undefined, what: string): [number, number, number, number] {
  if (v === undefined) return [0, 0, 0, 0];
  if (v.length !== 4) throw new Error(`reference conv: ${what} must have 4 entries [top, left, bottom, right], got [${v.join(', ')}]`);
  return [v[0]!, v[1]!, v[2]!, v[3]!];
}

function positiveInts(vals: readonly number[], what: string): void {
  for (const v of vals) if (!Number.isInteger(v) || v < 1) throw new Error(`reference conv: ${what} must be positive integers, got ${v}`);
}

function checkBias(bias: ArrayLike<number> | undefined, channels: number): void {
  if (bias !== undefined && bias.length !== channels) {
    throw new Error(`reference conv: bias has ${bias.length} entries, expected ${channels}`);
  }
}

/**
 * 2-D convolution (really cross-correlation, as in ONNX Conv):
 *   y[b, m, i, j] = bias[m] + Σ_{c, p, q} x[b, g·C/G + c, i·sh − pt + p·dh, j·sw − pl + q·dw] · w[m, c, p, q]
 * with g = floor(m / (M/G)) the group of output channel m and out-of-range x taken as 0 (zero padding).
 * x: [B, C, H, W], w: [M, C/G, kh, kw] → [B, M, Ho, Wo].
 */
export function conv2d(x: RefTensor, w: RefTensor, opts: Conv2dOptions = {}, bias?: ArrayLike<number>): RefTensor {
  if (x.shape.length !== 4) throw new Error(`reference conv2d: input must be 4-D [B, C, H, W], got [${x.shape.join(', ')}]`);
  if (w.shape.length !== 4) throw new Error(`reference conv2d: weight must be 4-D [M, C/group, kh, kw], got [${w.shape.join(', ')}]`);
  const [B, C, H, W] = x.shape as [number, number, number, number];
  const [M, Cg, kh, kw] = w.shape as [number, number, number, number];
  const group = opts.group ?? 1;
  const [sh, sw] = pair(opts.strides, 1, 'strides');
  const [dh, dw] = pair(opts.dilations, 1, 'dilations');
  const [pt, pl, pb, pr] = quad(opts.pads, 'pads');
  positiveInts([group, sh, sw, dh, dw], 'group, strides and dilations');
  if (C % group !== 0 || M % group !== 0) {
    throw new Error(`reference conv2d: channels in ${C} and out ${M} must both be divisible by group ${group}`);
  }
  if (Cg * group !== C) {
    throw new Error(`reference conv2d: weight has ${Cg} input channels per group, expected ${C}/${group} = ${C / group}`);
  }
  checkBias(bias, M);
  const Ho = convOutputLength(H, kh, sh, pt, pb, dh);
  const Wo = convOutputLength(W, kw, sw, pl, pr, dw);
  if (Ho < 1 || Wo < 1) throw new Error(`reference conv2d: output size ${Ho}×${Wo} is empty (input ${H}×${W}, kernel ${kh}×${kw})`);
  const Mg = M / group;
  const xd = x.data;
  const wd = w.data;
  const out = new Float64Array(B * M * Ho * Wo);
  let o = 0;
  for (let b = 0; b < B; b++) {
    for (let m = 0; m < M; m++) {
      const g = Math.floor(m / Mg);
      const b0 = bias === undefined ? 0 : bias[m]!;
      for (let i = 0; i < Ho; i++) {
        for (let j = 0; j < Wo; j++) {
          let s = b0;
          for (let c = 0; c < Cg; c++) {
            const xBase = (b * C + g * Cg + c) * H;
            const wBase = (m * Cg + c) * kh;
            for (let p = 0; p < kh; p++) {
              const ih = i * sh - pt + p * dh;
              if (ih < 0 || ih >= H) continue;
              for (let q = 0; q < kw; q++) {
                const iw = j * sw - pl + q * dw;
                if (iw < 0 || iw >= W) continue;
                s += xd[(xBase + ih) * W + iw]! * wd[(wBase + p) * kw + q]!;
              }
            }
          }
          out[o++] = s;
        }
      }
    }
  }
  return refTensor([B, M, Ho, Wo], out, x.dtype);
}

/**
 * 2-D transposed convolution (ONNX ConvTranspose): every input pixel scatters a weighted kernel,
 *   y[b, g·C/G + c, i·sh − pt + p·dh, j·sw − pl + q·dw] += x[b, m, i, j] · w[m, c, p, q]
 * (contributions falling outside the output are dropped), plus bias. This is exactly the adjoint of
 * `conv2d` with the same weight/strides/pads/dilations/group when the output size equals the conv's input
 * size, which `outputPadding` selects (ONNX: output_padding adds rows/columns at the end).
 * x: [B, M, h, w], w: [M, C/G, kh, kw] → [B, C, Ho, Wo],
 * Ho = sh·(h−1) + oph + (kh−1)·dh + 1 − pt − pb.
 */
export function convTranspose2d(x: RefTensor, w: RefTensor, opts: ConvTranspose2dOptions = {}, bias?: ArrayLike<number>): RefTensor {
  if (x.shape.length !== 4) throw new Error(`reference convTranspose2d: input must be 4-D [B, M, h, w], got [${x.shape.join(', ')}]`);
  if (w.shape.length !== 4) throw new Error(`reference convTranspose2d: weight must be 4-D [M, C/group, kh, kw], got [${w.shape.join(', ')}]`);
  const [B, M, h, wIn] = x.shape as [number, number, number, number];
  const [Mw, Cg, kh, kw] = w.shape as [number, number, number, number];
  const group = opts.group ?? 1;
  const [sh, sw] = pair(opts.strides, 1, 'strides');
  const [dh, dw] = pair(opts.dilations, 1, 'dilations');
  const [pt, pl, pb, pr] = quad(opts.pads, 'pads');
  const [oph, opw] = pair(opts.outputPadding, 0, 'outputPadding');
  positiveInts([group, sh, sw, dh, dw], 'group, strides and dilations');
  if (Mw !== M) throw new Error(`reference convTranspose2d: weight has ${Mw} input channels, input has ${M}`);
  if (M % group !== 0) throw new Error(`reference convTranspose2d: input channels ${M} not divisible by group ${group}`);
  const C = Cg * group;
  checkBias(bias, C);
  const Ho = convTransposeOutputLength(h, kh, sh, pt, pb, dh, oph);
  const Wo = convTransposeOutputLength(wIn, kw, sw, pl, pr, dw, opw);
  if (Ho < 1 || Wo < 1) throw new Error(`reference convTranspose2d: output size ${Ho}×${Wo} is empty`);
  const Mg = M / group;
  const xd = x.data;
  const wd = w.data;
  const out = new Float64Array(B * C * Ho * Wo);
  for (let b = 0; b < B; b++) {
    for (let m = 0; m < M; m++) {
      const g = Math.floor(m / Mg);
      for (let i = 0; i < h; i++) {
        for (let j = 0; j < wIn; j++) {
          const v = xd[((b * M + m) * h + i) * wIn + j]!;
          for (let c = 0; c < Cg; c++) {
            const oBase = (b * C + g * Cg + c) * Ho;
            const wBase = (m * Cg + c) * kh;
            for (let p = 0; p < kh; p++) {
              const oh = i * sh - pt + p * dh;
              if (oh < 0 || oh >= Ho) continue;
              for (let q = 0; q < kw; q++) {
                const ow = j * sw - pl + q * dw;
                if (ow < 0 || ow >= Wo) continue;
                out[(oBase + oh) * Wo + ow] += v * wd[(wBase + p) * kw + q]!;
              }
            }
          }
        }
      }
    }
  }
  if (bias !== undefined) {
    const plane = Ho * Wo;
    for (let b = 0; b < B; b++) {
      for (let c = 0; c < C; c++) {
        const base = (b * C + c) * plane;
        for (let k = 0; k < plane; k++) out[base + k] += bias[c]!;
      }
    }
  }
  return refTensor([B, C, Ho, Wo], out, x.dtype);
}

/** View a [B, C, L] tensor as [B, C, 1, L] (shares data). */
function lift1d(t: RefTensor, what: string): RefTensor {
  if (t.shape.length !== 3) throw new Error(`reference conv1d: ${what} must be 3-D, got [${t.shape.join(', ')}]`);
  const [a, b, l] = t.shape as [number, number, number];
  return { shape: [a, b, 1, l], data: t.data, dtype: t.dtype };
}

function drop1d(t: RefTensor): RefTensor {
  const [a, b, , l] = t.shape as [number, number, number, number];
  return { shape: [a, b, l], data: t.data, dtype: t.dtype };
}

function one(v: readonly number[] | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  if (v.length !== 1) throw new Error(`reference conv1d: ${what} must have 1 entry, got [${v.join(', ')}]`);
  return v[0]!;
}

function pads1d(v: readonly number[] | undefined): number[] {
  if (v === undefined) return [0, 0, 0, 0];
  if (v.length !== 2) throw new Error(`reference conv1d: pads must have 2 entries [begin, end], got [${v.join(', ')}]`);
  return [0, v[0]!, 0, v[1]!];
}

/** 1-D convolution: x [B, C, L], w [M, C/G, k] → [B, M, Lo]; the H = 1 case of conv2d. */
export function conv1d(x: RefTensor, w: RefTensor, opts: Conv1dOptions = {}, bias?: ArrayLike<number>): RefTensor {
  const y = conv2d(
    lift1d(x, 'input'),
    lift1d(w, 'weight'),
    {
      strides: [1, one(opts.strides, 'strides') ?? 1],
      dilations: [1, one(opts.dilations, 'dilations') ?? 1],
      pads: pads1d(opts.pads),
      group: opts.group ?? 1,
    },
    bias,
  );
  return drop1d(y);
}

/** 1-D transposed convolution: x [B, M, l], w [M, C/G, k] → [B, C, Lo]; the H = 1 case of convTranspose2d. */
export function convTranspose1d(x: RefTensor, w: RefTensor, opts: ConvTranspose1dOptions = {}, bias?: ArrayLike<number>): RefTensor {
  const y = convTranspose2d(
    lift1d(x, 'input'),
    lift1d(w, 'weight'),
    {
      strides: [1, one(opts.strides, 'strides') ?? 1],
      dilations: [1, one(opts.dilations, 'dilations') ?? 1],
      pads: pads1d(opts.pads),
      group: opts.group ?? 1,
      outputPadding: [0, one(opts.outputPadding, 'outputPadding') ?? 0],
    },
    bias,
  );
  return drop1d(y);
}
