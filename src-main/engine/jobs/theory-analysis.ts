/**
 * The Theory view's analysis: build or load a model, sample signals with known codes, run the chosen
 * pursuits, and report per layer each theorem's condition and bound against the measured error and support.
 */
import type { TheoryAnalyzeParams, TheoryReport } from '../../../src-shared/contract';
import { float32Tensor } from '../../../src-shared/contract';
import { loadDictionaryFile } from '../io';
import { effectiveAtoms } from '../ops/effective-atoms';
import { hostTensor, type Runtime } from '../runtime/session';
import { convolutionalWelchBound } from '../theory/coherence';
import { buildModel, codeShape, drawSample, sampleStats, type TheoryInstance } from '../theory/model';
import { reconstruct, runTheoryPursuit, verdicts } from '../theory/pursue';

/** Heat maps larger than this are max-pooled in blocks: a 4096² Gram would not help anyone on screen. */
const MAX_HEATMAP = 256;

function heatmap(pairs: Float64Array, m: number) {
  if (m <= MAX_HEATMAP) return float32Tensor([m, m], Float32Array.from(pairs));
  const block = Math.ceil(m / MAX_HEATMAP);
  const side = Math.ceil(m / block);
  const out = new Float32Array(side * side);
  for (let a = 0; a < m; a++)
    for (let b = 0; b < m; b++) {
      const at = Math.floor(a / block) * side + Math.floor(b / block);
      out[at] = Math.max(out[at]!, pairs[a * m + b]!);
    }
  return float32Tensor([side, side], out);
}

/** The signal as an image: [H, W] (1-D: [1, N]), channel 0. Sparseland: the vector as [1, n]. */
function asImage(instance: TheoryInstance, x: Float64Array) {
  const [c, H, W] = instance.inputs[0]!;
  if (instance.kind === 'sparseland') return float32Tensor([1, c], Float32Array.from(x));
  return float32Tensor([H, W], Float32Array.from(x.subarray(0, H * W)));
}

async function atomImages(runtime: Runtime, instance: TheoryInstance) {
  if (instance.kind === 'sparseland') {
    const [m, n] = instance.layers[0]!.weights.shape as [number, number];
    const side = Math.round(Math.sqrt(n));
    const shape = side * side === n ? [m, side, side] : [m, 1, n];
    return [{ layer: 1, images: float32Tensor(shape, Float32Array.from(instance.layers[0]!.weights.data)) }];
  }
  const layers = instance.layers.map((l) => ({ weights: hostTensor([...l.weights.shape], Float32Array.from(l.weights.data)), stride: l.stride }));
  const out = [];
  for (let i = 1; i <= layers.length; i++) {
    const t = await effectiveAtoms(runtime, layers, i);
    out.push({ layer: i, images: float32Tensor([...t.shape], t.data as Float32Array) });
  }
  return out;
}

export async function analyzeTheory(runtime: Runtime, params: TheoryAnalyzeParams, signal?: AbortSignal): Promise<TheoryReport> {
  const instance = await buildModel(params.model, params.sampling.seed, loadDictionaryFile);
  const sample = drawSample(instance, params.sampling);
  const stats = sampleStats(instance, sample);
  const pursuits = [];
  for (const choice of params.pursuits) {
    if (signal?.aborted) break;
    const estimate = await runTheoryPursuit(runtime, instance, sample, stats, choice, signal);
    pursuits.push({
      pursuit: choice.pursuit,
      seconds: estimate.seconds,
      provider: estimate.provider,
      layers: verdicts(instance, sample, stats, estimate),
      reconstruction: asImage(instance, reconstruct(instance, estimate.codes[0]![0]!)),
    });
  }
  return {
    dictionaries: instance.layers.map((l, i) => {
      const [m, c, kh, kw] = l.weights.shape as [number, number, number, number];
      return { layer: i + 1, filters: m, channels: c, kernel: [kh, kw] as [number, number], stride: l.stride, mu: instance.coherence[i]!.mu, welch: convolutionalWelchBound(l), coherence: heatmap(instance.coherence[i]!.pairs, m) };
    }),
    codes: stats.layers.map((l) => ({ layer: l.layer, shape: codeShape(instance, l.layer), stripe: l.stripe, patch: l.patch, gammaMin: l.gammaMin, gammaMax: l.gammaMax, nnz: l.nnz })),
    noisePatch: stats.noisePatch,
    noiseSigma: sample.noise.sigma,
    pursuits,
    clean: asImage(instance, sample.clean[0]!),
    noisy: asImage(instance, sample.noisy[0]!),
    atoms: await atomImages(runtime, instance),
  };
}
