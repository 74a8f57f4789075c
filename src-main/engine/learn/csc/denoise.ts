/**
 * CSC image denoising, the usual recipe of the CSC literature (e.g. SPORCO's examples, Wohlberg 2016):
 * split the noisy image into a low-pass part (kept as is) and a high-pass part; learn a convolutional
 * dictionary on the high-pass part, code it with ConvBPDN (FISTA) at a λ tied to the noise level, and add the
 * sparse reconstruction DΓ back to the low-pass part. Sparse codes keep structure and leave most noise out.
 */
import { gaussianBlur } from '../../../../src-shared/math/image';
import { runPursuit } from '../../pursuit';
import { hostTensor, type Runtime } from '../../runtime/session';
import { GraphBuilder } from '../../graph/builder';
import { synthesis } from '../../ops/dictionary';
import { learnConvolutionalDictionary } from './cdl';

export interface CscDenoiseOptions {
  /** Noise standard deviation in the image's units (0–1 images: σ/255). */
  readonly sigma: number;
  readonly filters?: number;
  readonly kernel?: number;
  /** ℓ1 weight; default 3·σ (the best of 0.5σ…6σ on camera at σ = 25/255, see docs/experiments). */
  readonly lambda?: number;
  /** CDL outer iterations on the noisy high-pass image (default 20). */
  readonly learningIterations?: number;
  /** FISTA iterations of the final coding (default 200). */
  readonly codingIterations?: number;
  /** σ of the Gaussian low-pass (default 3 pixels). */
  readonly lowPassSigma?: number;
  readonly seed?: number;
  readonly onIteration?: (iteration: number, objective: number) => void;
}

export async function cscDenoise(runtime: Runtime, noisy: Float32Array, height: number, width: number, o: CscDenoiseOptions): Promise<{ image: Float32Array; lambda: number }> {
  const low = gaussianBlur(noisy, height, width, o.lowPassSigma ?? 3);
  const high = noisy.map((v, i) => v - low[i]!);
  const lambda = o.lambda ?? 3 * o.sigma;
  const k = o.kernel ?? 8;
  const images = hostTensor([1, 1, height, width], high);
  const learned = await learnConvolutionalDictionary(runtime, images, {
    filters: o.filters ?? 32,
    kernelSize: k,
    lambda,
    iterations: o.learningIterations ?? 20,
    init: 'patches',
    seed: o.seed ?? 1,
    onIteration: (s) => o.onIteration?.(s.iteration, s.objective),
  });
  const pad = k - 1;
  const coded = await runPursuit(runtime, { signal: images, layers: [{ weights: learned.filters, stride: 1, pad }] }, { algorithm: 'fista', lambdas: [lambda], iterations: o.codingIterations ?? 200 });
  const g = new GraphBuilder('csc_denoise_synthesis');
  const gamma = g.input('gamma', 'float32', coded.codes[0]!.shape);
  const w = g.input('w', 'float32', learned.filters.shape);
  g.output('x', synthesis(g, gamma, w, { weightShape: learned.filters.shape, stride: 1, pad }, images.shape));
  const r = await runtime.run(g.toIR(), { gamma: coded.codes[0]!, w: learned.filters });
  const sparse = r.outputs.x!.data as Float32Array;
  return { image: Float32Array.from(low, (v, i) => v + sparse[i]!), lambda };
}
