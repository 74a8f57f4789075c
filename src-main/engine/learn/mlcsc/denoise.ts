/**
 * ML-CSC image denoising: as CSC denoising (learn/csc/denoise.ts), but the high-pass part is modelled by a
 * 2-layer ML-CSC model learned on the noisy image (Sulam, Papyan, Romano, Elad, TSP 2018) and coded by its
 * projection pursuit, X̂ = D_1D_2Γ_2: the signal must be sparse at both levels, a stronger prior than CSC's.
 */
import { gaussianBlur } from '../../../../src-shared/math/image';
import { GraphBuilder } from '../../graph/builder';
import { synthesis } from '../../ops/dictionary';
import { hostTensor, type Runtime } from '../../runtime/session';
import { learnMlcscUnsupervised, mlcscProjectionPursuit, type MlcscLayerConfig } from './mlcsc-unsupervised';

export interface MlcscDenoiseOptions {
  /** Noise standard deviation in the image's units (0–1 images: σ/255). */
  readonly sigma: number;
  readonly layers?: readonly MlcscLayerConfig[];
  /** ℓ1 weight of the deepest code; default 3·σ, as for CSC. */
  readonly lambda?: number;
  readonly zeta?: number;
  /** Learning steps of the ML-CSC model (default 20). */
  readonly learningIterations?: number;
  readonly pursuitIterations?: number;
  readonly lowPassSigma?: number;
  readonly seed?: number;
  readonly onIteration?: (step: number, loss: number) => void;
}

export async function mlcscDenoise(runtime: Runtime, noisy: Float32Array, height: number, width: number, o: MlcscDenoiseOptions): Promise<{ image: Float32Array; lambda: number }> {
  const low = gaussianBlur(noisy, height, width, o.lowPassSigma ?? 3);
  const high = noisy.map((v, i) => v - low[i]!);
  const lambda = o.lambda ?? 3 * o.sigma;
  // Full codes at each layer (pad k − 1), so atoms may overhang the border as in CSC.
  const layers = o.layers ?? [
    { filters: 16, kernel: 6, stride: 1, pad: 5 },
    { filters: 32, kernel: 5, stride: 1, pad: 4 },
  ];
  const images = hostTensor([1, 1, height, width], high);
  const learned = await learnMlcscUnsupervised(runtime, images, {
    layers,
    lambda,
    zeta: o.zeta ?? 1e-3,
    steps: o.learningIterations ?? 20,
    batchSize: 1,
    seed: o.seed ?? 1,
    onStep: (s) => o.onIteration?.(s.step, s.loss),
  });
  const coded = await mlcscProjectionPursuit(runtime, images, learned.weights, { layers, lambda, iterations: o.pursuitIterations ?? 100, seed: o.seed ?? 1 });
  const g = new GraphBuilder('mlcsc_denoise_synthesis');
  const gamma1 = g.input('gamma1', 'float32', coded.codes[0]!.shape);
  const w1 = g.input('w1', 'float32', learned.weights[0]!.shape);
  g.output('x', synthesis(g, gamma1, w1, { weightShape: learned.weights[0]!.shape, stride: layers[0]!.stride ?? 1, pad: layers[0]!.pad ?? 0 }, images.shape));
  const r = await runtime.run(g.toIR(), { gamma1: coded.codes[0]!, w1: learned.weights[0]! });
  const sparse = r.outputs.x!.data as Float32Array;
  return { image: Float32Array.from(low, (v, i) => v + sparse[i]!), lambda };
}
