/**
 * Convolutional dictionary operators (SCIENCE.md, conventions): analysis Dᵀx is ONNX Conv and synthesis DΓ
 * is the exact adjoint, ONNX ConvTranspose with the same kernel, stride and pads and the output shape pinned.
 * For stride 1 the synthesis can also be written as a Conv with the kernel flipped and its channel axes
 * swapped; the adjointness tests cover both forms.
 */
import type { GraphBuilder, Tensor } from '../graph/builder';
import type { Shape } from '../graph/ir';
import { ShapeError, convShape } from '../graph/shapes';
import { geometry } from '../graph/builder';
import { type HostTensor, type Runtime, hostTensor } from '../runtime/session';
import { GraphBuilder as Builder } from '../graph/builder';
import { randn } from '../../../src-shared/math/random';

export interface LayerGeometry {
  /** [m_i, m_{i−1}, k, k] (or [m_i, m_{i−1}, 1, k] for 1-D signals). */
  readonly weightShape: Shape;
  readonly stride: number;
  /** Symmetric explicit zero padding of the analysis Conv. */
  readonly pad: number;
}

export type SynthesisMode = 'auto' | 'conv-transpose' | 'flipped-conv';

function spatialPads(layer: LayerGeometry, signalShape: Shape): number[] {
  // 1-D signals are [B, C, 1, N] with kernels [m, c, 1, k]: never pad the unit height.
  const padH = layer.weightShape[2] === 1 && signalShape[2] === 1 ? 0 : layer.pad;
  return [padH, layer.pad, padH, layer.pad];
}

/** Shape of the code Γ_i = D_iᵀ Γ_{i−1} for a signal (or code) of shape [B, C, H, W]. */
export function codeShape(signalShape: Shape, layer: LayerGeometry): number[] {
  if (signalShape.length !== 4) throw new ShapeError('Dictionary', `signals must be [B, C, H, W], got [${signalShape.join(', ')}]`);
  return convShape(signalShape, layer.weightShape, geometry(2, { strides: layer.stride, pads: spatialPads(layer, signalShape) }));
}

/** The chain of shapes [Y, Γ_1, …, Γ_K] for a multi-layer model. */
export function modelShapes(signalShape: Shape, layers: readonly LayerGeometry[]): number[][] {
  const shapes: number[][] = [[...signalShape]];
  for (const [i, layer] of layers.entries()) {
    const prev = shapes[shapes.length - 1]!;
    if (layer.weightShape[1] !== prev[1]) {
      throw new ShapeError('Dictionary', `layer ${i + 1} expects ${layer.weightShape[1]} input channels but ${i === 0 ? 'the signal has' : `layer ${i} has`} ${prev[1]}`);
    }
    shapes.push(codeShape(prev, layer));
  }
  return shapes;
}

export function analysis(g: GraphBuilder, x: Tensor, w: Tensor, layer: LayerGeometry): Tensor {
  return g.conv(x, w, { strides: layer.stride, pads: spatialPads(layer, x.shape) });
}

/**
 * Flipped, channel-swapped kernel W'[c, m, u, v] = W[m, c, k−1−u, k−1−v], built once per graph so the
 * stride-1 synthesis can run as a Conv with pads k−1−p.
 */
export function flippedKernel(g: GraphBuilder, w: Tensor): Tensor {
  const [, , kh, kw] = w.shape as [number, number, number, number];
  const swapped = g.transpose(w, [1, 0, 2, 3]);
  return g.slice(swapped, [kh - 1, kw - 1], [-kh - 1, -kw - 1], [2, 3], [-1, -1]);
}

export function canUseFlippedConv(layer: LayerGeometry, outputShape: Shape): boolean {
  const pads = spatialPads(layer, outputShape);
  return layer.stride === 1 && pads[0]! <= layer.weightShape[2]! - 1 && pads[1]! <= layer.weightShape[3]! - 1;
}

/**
 * Returns the synthesis operator Γ ↦ DΓ for one dictionary inside graph `g`. 'auto' is ConvTranspose: the
 * flipped-kernel Conv (kernel flipped once per graph) lost every case measured on ONNX Runtime's CPU provider —
 * 4× slower for 64 filters into one channel (its GEMM degenerates to a matrix–vector product) and 8× slower
 * for a 1×1 code padded by k−1 (mnist-mlcsc layer 3) — so it is kept only as an explicit choice.
 */
export function synthesizer(g: GraphBuilder, w: Tensor, layer: LayerGeometry, mode: SynthesisMode = 'auto'): (gamma: Tensor, outputShape: Shape) => Tensor {
  let flipped: Tensor | undefined;
  return (gamma, outputShape) => {
    const pads = spatialPads(layer, outputShape);
    const canFlip = canUseFlippedConv(layer, outputShape);
    if (mode === 'flipped-conv' && !canFlip) throw new ShapeError('Dictionary', 'flipped-conv synthesis needs stride 1 and pad ≤ k−1');
    if (mode !== 'flipped-conv') return g.convTranspose(gamma, w, { strides: layer.stride, pads, outputShape: outputShape.slice(2) });
    flipped ??= flippedKernel(g, w);
    const kh = w.shape[2]!;
    const kw = w.shape[3]!;
    return g.conv(gamma, flipped, { pads: [kh - 1 - pads[0]!, kw - 1 - pads[1]!, kh - 1 - pads[2]!, kw - 1 - pads[3]!] });
  };
}

/** One-off synthesis DΓ (builds a fresh operator; inside loops use `synthesizer`). */
export function synthesis(g: GraphBuilder, gamma: Tensor, w: Tensor, layer: LayerGeometry, outputShape: Shape, mode: SynthesisMode = 'auto'): Tensor {
  return synthesizer(g, w, layer, mode)(gamma, outputShape);
}

/** ℓ2-normalises each filter W[j] (SCIENCE.md: atoms are unit-norm). Zero filters are left at zero. */
export function normalizeAtoms(weights: HostTensor): HostTensor {
  const data = Float32Array.from(weights.data as Float32Array);
  const m = weights.shape[0]!;
  const per = data.length / m;
  for (let j = 0; j < m; j++) {
    let s = 0;
    for (let t = j * per; t < (j + 1) * per; t++) s += data[t]! * data[t]!;
    const n = Math.sqrt(s);
    if (n > 0) for (let t = j * per; t < (j + 1) * per; t++) data[t] = data[t]! / n;
  }
  return hostTensor(weights.shape, data);
}

/** Random Gaussian filters with unit norm, seeded. */
export function randomDictionary(shape: Shape, seed: number): HostTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return normalizeAtoms(hostTensor(shape, randn(size, seed)));
}

export interface LipschitzResult {
  /** Estimate of ‖D‖₂² = λ_max(DᵀD) from below; callers multiply by a safety factor. */
  readonly value: number;
  readonly iterations: number;
}

/**
 * L = ‖D‖₂² by power iteration on DDᵀ in signal space (each step: Conv then ConvTranspose), run as unrolled
 * chunks in one graph. The estimate approaches L from below.
 */
export async function lipschitzConstant(
  runtime: Runtime,
  weights: HostTensor,
  layer: LayerGeometry,
  signalShape: Shape,
  options: { maxIterations?: number; tol?: number; seed?: number } = {},
): Promise<LipschitzResult> {
  const shape = [1, ...signalShape.slice(1)];
  const chunk = 10;
  const b = new Builder('lipschitz');
  const v0 = b.input('v', 'float32', shape);
  const w = b.input('w', 'float32', weights.shape);
  let v = v0;
  let norm: Tensor | undefined;
  for (let t = 0; t < chunk; t++) {
    const u = synthesis(b, analysis(b, v, w, layer), w, layer, shape, 'conv-transpose');
    norm = b.sqrt(b.sumSquares(u));
    v = b.div(u, b.max(norm, 1e-30));
  }
  b.output('v_next', v);
  b.output('norm', norm!);
  const graph = b.toIR();
  let vec = hostTensor(shape, randn(shape.reduce((a, c) => a * c, 1), options.seed ?? 1234));
  let estimate = 0;
  const max = options.maxIterations ?? 200;
  const tol = options.tol ?? 1e-6;
  let it = 0;
  while (it < max) {
    const r = await runtime.run(graph, { v: vec, w: weights });
    it += chunk;
    vec = r.outputs.v_next!;
    const next = (r.outputs.norm!.data as Float32Array)[0]!;
    if (!Number.isFinite(next)) throw new Error('Lipschitz estimate is not finite: the dictionary contains NaN or Inf');
    const done = Math.abs(next - estimate) <= tol * next;
    estimate = next;
    if (done) break;
  }
  return { value: estimate, iterations: it };
}

/**
 * An upper bound on L = ‖D‖₂² for a stride-1, single-input-channel dictionary: embedding the zero-boundary
 * operator in a circulant one on a torus large enough that nothing wraps (N ≥ max(signal, code) + k − 1)
 * can only grow its norm, and the circulant norm² is max_ω Σ_j |ŵ_j(ω)|² over the N-point DFT grid.
 * It costs one small DFT per filter instead of hundreds of convolution pairs, and being an upper bound,
 * 1/L is a safe ISTA step with no margin. Returns undefined where the bound does not apply.
 */
export function fourierLipschitzBound(weights: HostTensor, layer: LayerGeometry, signalShape: Shape): number | undefined {
  const [m, c, kh, kw] = weights.shape as [number, number, number, number];
  if (layer.stride !== 1 || c !== 1) return undefined;
  const code = codeShape(signalShape, layer);
  const nh = Math.max(signalShape[2]!, code[2]!) + kh - 1;
  const nw = Math.max(signalShape[3]!, code[3]!) + kw - 1;
  const w = weights.data as Float32Array;
  const power = new Float64Array(nh * nw);
  // Separable DFT: first along rows (kw taps → nw frequencies), then along columns.
  const cosW = new Float64Array(nw * kw);
  const sinW = new Float64Array(nw * kw);
  for (let f = 0; f < nw; f++)
    for (let v = 0; v < kw; v++) {
      cosW[f * kw + v] = Math.cos((2 * Math.PI * f * v) / nw);
      sinW[f * kw + v] = Math.sin((2 * Math.PI * f * v) / nw);
    }
  const cosH = new Float64Array(nh * kh);
  const sinH = new Float64Array(nh * kh);
  for (let f = 0; f < nh; f++)
    for (let u = 0; u < kh; u++) {
      cosH[f * kh + u] = Math.cos((2 * Math.PI * f * u) / nh);
      sinH[f * kh + u] = Math.sin((2 * Math.PI * f * u) / nh);
    }
  const rowRe = new Float64Array(kh * nw);
  const rowIm = new Float64Array(kh * nw);
  for (let j = 0; j < m; j++) {
    const base = j * kh * kw;
    for (let u = 0; u < kh; u++)
      for (let f = 0; f < nw; f++) {
        let re = 0;
        let im = 0;
        for (let v = 0; v < kw; v++) {
          const x = w[base + u * kw + v]!;
          re += x * cosW[f * kw + v]!;
          im -= x * sinW[f * kw + v]!;
        }
        rowRe[u * nw + f] = re;
        rowIm[u * nw + f] = im;
      }
    for (let fh = 0; fh < nh; fh++)
      for (let fw = 0; fw < nw; fw++) {
        let re = 0;
        let im = 0;
        for (let u = 0; u < kh; u++) {
          const cr = cosH[fh * kh + u]!;
          const ci = -sinH[fh * kh + u]!;
          const a = rowRe[u * nw + fw]!;
          const b = rowIm[u * nw + fw]!;
          re += a * cr - b * ci;
          im += a * ci + b * cr;
        }
        power[fh * nw + fw] += re * re + im * im;
      }
  }
  let max = 0;
  for (const p of power) max = Math.max(max, p);
  return max;
}
