/**
 * The shapes the theory tools share. They follow the engine's conventions (SCIENCE.md, Conventions): a
 * layer's filters are [m, c, kh, kw] (1-D: kh = 1), analysis is Conv(stride, pad), synthesis the adjoint
 * ConvTranspose; a 1-D signal is [c, 1, N] and its unit height is never padded.
 *
 * Atom (filter j, code position (a, b)) of a layer covers input rows s·a − padH … s·a − padH + kh − 1 and
 * columns s·b − pad … s·b − pad + kw − 1, where padH = 0 when kh = 1 and the input height is 1, else pad.
 */

/** Real values in either precision; the theory computes in float64 whatever it is given. */
export type Real = Float32Array | Float64Array;

/** One layer's convolutional dictionary. Structurally compatible with the pursuits' LayerSpec. */
export interface ConvLayer {
  /** [m, c, kh, kw], row-major. */
  readonly weights: { readonly shape: readonly number[]; readonly data: Real };
  readonly stride: number;
  /** Symmetric zero padding of the analysis Conv (not applied to a unit height). */
  readonly pad: number;
}

/** One signal or one code without a batch axis: [channels, height, width] (1-D: height 1). */
export interface Field {
  readonly shape: readonly [number, number, number];
  readonly data: Real;
}
