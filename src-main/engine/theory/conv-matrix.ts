/**
 * The convolutional dictionary of one layer as an explicit matrix (SCIENCE.md, CSC: "D a concatenation of
 * banded zero-boundary matrices"; Papyan, Sulam & Elad 2017, "Working locally thinking globally", Part I).
 * Column (j, a, b) is the atom of filter j at code position (a, b), i.e. ConvTranspose of a unit code with
 * the output shape pinned to the input's, so Dᵀ is exactly the analysis Conv. Small sizes only: the theory
 * tools use it as ground truth (brute-force coherence, stripes, global OMP), never for real signals.
 */
import { gemm, type Mat, mat } from '../learn/sparseland/dense';
import type { ConvLayer } from './types';

/** Everything the geometry of one layer on one input fixes. */
export interface ConvGeometry {
  readonly m: number;
  readonly c: number;
  readonly kh: number;
  readonly kw: number;
  readonly stride: number;
  /** Padding applied to the height: 0 for a unit-height 1-D input with kh = 1, else `pad`. */
  readonly padH: number;
  readonly padW: number;
  readonly H: number;
  readonly W: number;
  readonly Hc: number;
  readonly Wc: number;
}

/** Largest dense matrix (entries) the theory tools will build: 6e7 float64 is 480 MB. */
export const MAX_DENSE_ENTRIES = 6e7;

function layerLabel(layer: Pick<ConvLayer, 'weights' | 'stride' | 'pad'>): string {
  return `layer [${layer.weights.shape.join(', ')}] (stride ${layer.stride}, pad ${layer.pad})`;
}

/** [m, c, kh, kw] of a filter bank, checked against its data length. */
export function filterDims(weights: ConvLayer['weights']): [number, number, number, number] {
  const sh = weights.shape;
  if (sh.length !== 4 || sh.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new RangeError(`filters must have shape [m, c, kh, kw] of positive integers, got [${sh.join(', ')}]`);
  }
  const [m, c, kh, kw] = sh as [number, number, number, number];
  if (weights.data.length !== m * c * kh * kw) {
    throw new RangeError(`filters of shape [${sh.join(', ')}] need ${m * c * kh * kw} values, got ${weights.data.length}`);
  }
  return [m, c, kh, kw];
}

export function checkStride(stride: number): void {
  if (!Number.isInteger(stride) || stride < 1) throw new RangeError(`stride must be a positive integer, got ${stride}`);
}

/** The full geometry of `layer` applied to an input [c, H, W]; throws RangeError when it is inconsistent. */
export function convGeometry(layer: ConvLayer, input: readonly [number, number, number]): ConvGeometry {
  const [m, c, kh, kw] = filterDims(layer.weights);
  checkStride(layer.stride);
  if (!Number.isInteger(layer.pad) || layer.pad < 0) throw new RangeError(`${layerLabel(layer)}: pad must be a non-negative integer`);
  const [ci, H, W] = input;
  if (![ci, H, W].every((d) => Number.isInteger(d) && d >= 1)) {
    throw new RangeError(`input shape [${input.join(', ')}] must be positive integers [c, H, W]`);
  }
  if (ci !== c) throw new RangeError(`${layerLabel(layer)} expects ${c} input channels, the input [${input.join(', ')}] has ${ci}`);
  const padH = kh === 1 && H === 1 ? 0 : layer.pad;
  const padW = layer.pad;
  const s = layer.stride;
  const Hc = Math.floor((H + 2 * padH - kh) / s) + 1;
  const Wc = Math.floor((W + 2 * padW - kw) / s) + 1;
  if (!(Hc >= 1 && Wc >= 1)) {
    throw new RangeError(`${layerLabel(layer)} on input [${input.join(', ')}] gives an empty code (${Hc}×${Wc}): the padded input is smaller than the kernel`);
  }
  return { m, c, kh, kw, stride: s, padH, padW, H, W, Hc, Wc };
}

/** Shape [m, Hc, Wc] of the code Γ = Dᵀx for an input [c, H, W]. */
export function codeShapeOf(layer: ConvLayer, input: readonly [number, number, number]): [number, number, number] {
  const g = convGeometry(layer, input);
  return [g.m, g.Hc, g.Wc];
}

/**
 * D with rows indexed by the signal (row-major [c, H, W]) and columns by the code (row-major [m, Hc, Wc]).
 * Atom entries that fall in the padding are dropped, which is what makes Dᵀ the padded Conv.
 */
export function denseSynthesisMatrix(layer: ConvLayer, input: readonly [number, number, number]): Mat {
  const g = convGeometry(layer, input);
  const rows = g.c * g.H * g.W;
  const cols = g.m * g.Hc * g.Wc;
  if (rows * cols > MAX_DENSE_ENTRIES) {
    throw new RangeError(
      `the dense dictionary of ${layerLabel(layer)} on input [${input.join(', ')}] would be ${rows}×${cols} = ${(rows * cols).toExponential(2)} entries ` +
        `(${((rows * cols * 8) / 2 ** 20).toFixed(0)} MiB); the limit is ${MAX_DENSE_ENTRIES.toExponential(0)}: use a smaller input`,
    );
  }
  const D = mat(rows, cols);
  const w = layer.weights.data;
  const { c, kh, kw, stride: s, padH, padW, H, W, Hc, Wc } = g;
  for (let j = 0; j < g.m; j++) {
    for (let a = 0; a < Hc; a++) {
      for (let b = 0; b < Wc; b++) {
        const colBase = ((j * Hc + a) * Wc + b) * rows;
        for (let ch = 0; ch < c; ch++) {
          for (let p = 0; p < kh; p++) {
            const y = s * a - padH + p;
            if (y < 0 || y >= H) continue;
            for (let q = 0; q < kw; q++) {
              const x = s * b - padW + q;
              if (x < 0 || x >= W) continue;
              D.data[colBase + (ch * H + y) * W + x] = w[((j * c + ch) * kh + p) * kw + q]!;
            }
          }
        }
      }
    }
  }
  return D;
}

/** A·B, e.g. the effective dictionary D^{(2)} = D_1D_2 of two layers' dense matrices. */
export function denseProduct(A: Mat, B: Mat): Mat {
  if (A.cols !== B.rows) {
    throw new RangeError(`cannot multiply a ${A.rows}×${A.cols} matrix by a ${B.rows}×${B.cols} one: inner sizes differ`);
  }
  if (A.rows * B.cols > MAX_DENSE_ENTRIES) {
    throw new RangeError(`the product would be ${A.rows}×${B.cols} = ${(A.rows * B.cols).toExponential(2)} entries, over the limit ${MAX_DENSE_ENTRIES.toExponential(0)}`);
  }
  return gemm(A, B);
}
