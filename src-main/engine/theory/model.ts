/**
 * A theory model made concrete: the dictionaries of a TheoryModel (sampled with controlled coherence, or
 * loaded), signals drawn from it with their known codes, and the worst-case local measures of that truth
 * (SCIENCE.md: μ, ‖Γ‖^s_{0,∞}, ‖Γ‖^p_{0,∞}, |Γ^min|, |Γ^max|, ‖E‖^p_{2,∞}) that the theorems take as input.
 *
 * Sparseland is the one-position case of the same machinery: a dictionary D (n × M) is a layer of M filters
 * of size 1×1 over n channels acting on a 1×1 "image", so ‖α‖₀ is its stripe norm and ‖E‖₂ its patch norm.
 */
import type { TheoryModel, TheorySampling } from '../../../src-shared/contract';
import type { HostTensor } from '../runtime/session';
import { filterCoherence } from './coherence';
import { codeShapeOf } from './conv-matrix';
import { randomConvFilters, randomSparselandDictionary } from './dictionaries';
import { codePatchWindow, extremes, patchSparsity, stripeSparsity } from './local-norms';
import { sampleMlcsc, type MlcscSample } from './sampler';
import type { ConvLayer } from './types';

export interface TheoryInstance {
  readonly kind: TheoryModel['kind'];
  readonly dims: '1d' | '2d';
  /** Float32 weights (what the pursuits get), pad 0: every atom lies whole inside its input. */
  readonly layers: ConvLayer[];
  /** [c, H, W] of the signal; inputs[i] is the input of layer i + 1 (inputs[0] the signal). */
  readonly inputs: [number, number, number][];
  readonly coherence: { mu: number; pairs: Float64Array }[];
}

export type LoadDictionary = (path: string, layer: number) => Promise<HostTensor>;

/** Seeds of the layers' dictionaries, apart from the codes' so that re-sampling keeps the model. */
const layerSeed = (seed: number, i: number) => (seed * 2654435761 + 7919 * (i + 1)) >>> 0;

export async function buildModel(model: TheoryModel, seed: number, load?: LoadDictionary): Promise<TheoryInstance> {
  if (model.kind === 'sparseland') {
    const { D } = randomSparselandDictionary(model.n, model.atoms, layerSeed(seed, 0), model.targetCoherence === undefined ? {} : { targetCoherence: model.targetCoherence });
    // Column j of the column-major D is filter j of a [M, n, 1, 1] layer, in the same memory order.
    const layer: ConvLayer = { weights: { shape: [model.atoms, model.n, 1, 1], data: Float32Array.from(D.data) }, stride: 1, pad: 0 };
    return finish('sparseland', '2d', [layer], [model.n, 1, 1]);
  }
  const input: [number, number, number] = model.dims === '1d' ? [model.channels, 1, model.size] : [model.channels, model.size, model.size];
  if (model.dictionaries && model.dictionaries.length !== model.layers.length) {
    throw new RangeError(`the model has ${model.layers.length} layer(s) but ${model.dictionaries.length} dictionary file(s) were given`);
  }
  const layers: ConvLayer[] = [];
  let channels = model.channels;
  for (const [i, spec] of model.layers.entries()) {
    const kernel: [number, number] = model.dims === '1d' ? [1, spec.kernel] : [spec.kernel, spec.kernel];
    const shape = [spec.filters, channels, kernel[0], kernel[1]];
    const file = model.dictionaries?.[i];
    if (file) {
      if (!load) throw new RangeError('dictionary files cannot be read here');
      const w = await load(file, i + 1);
      if (w.shape.join() !== shape.join()) {
        throw new RangeError(`layer ${i + 1}: ${file} has shape [${w.shape.join(', ')}] but the layer is [${shape.join(', ')}] (filters, input channels, kernel height, kernel width)`);
      }
      layers.push({ weights: { shape, data: Float32Array.from(w.data as Float32Array) }, stride: spec.stride, pad: 0 });
    } else {
      const f = randomConvFilters(
        {
          filters: spec.filters,
          channels,
          kernel,
          stride: spec.stride,
          values: spec.values,
          ...(spec.nonzeros === undefined ? {} : { nonzeros: spec.nonzeros }),
          ...(spec.targetCoherence === undefined ? {} : { targetCoherence: spec.targetCoherence }),
        },
        layerSeed(seed, i),
      );
      layers.push({ weights: { shape: f.shape, data: f.weights }, stride: spec.stride, pad: 0 });
    }
    channels = spec.filters;
  }
  return finish('convolutional', model.dims, layers, input);
}

function finish(kind: TheoryModel['kind'], dims: '1d' | '2d', layers: ConvLayer[], input: [number, number, number]): TheoryInstance {
  const inputs: [number, number, number][] = [input];
  for (const [i, l] of layers.entries()) {
    try {
      inputs.push(codeShapeOf(l, inputs.at(-1)!));
    } catch (err) {
      throw new RangeError(`layer ${i + 1}: ${(err as Error).message}; make the signal larger or the kernels smaller`);
    }
  }
  const coherence = layers.map((l) => {
    const c = filterCoherence(l);
    return { mu: c.mu, pairs: c.pairs };
  });
  return { kind, dims, layers, inputs: inputs.slice(0, layers.length), coherence };
}

/** The code shape of layer i (1-based). */
export function codeShape(instance: TheoryInstance, i: number): [number, number, number] {
  return codeShapeOf(instance.layers[i - 1]!, instance.inputs[i - 1]!);
}

export function drawSample(instance: TheoryInstance, s: Omit<TheorySampling, 'count' | 'seed'> & { count: number; seed: number }): MlcscSample {
  const [c, H, W] = instance.inputs[0]!;
  const oneD = instance.dims === '1d';
  return sampleMlcsc({
    dims: oneD ? '1d' : '2d',
    size: oneD ? W : H,
    channels: c,
    layers: instance.layers.map((l) => ({ filters: l.weights.shape[0]!, kernel: l.weights.shape[3]!, stride: l.stride })),
    stripe: s.sparsity,
    fill: s.fill,
    values: s.values,
    noise: s.noise.kind === 'none' || s.noise.value === 0 ? { kind: 'none' } : { kind: s.noise.kind, value: s.noise.value },
    count: s.count,
    seed: s.seed,
    dictionaries: instance.layers.map((l) => ({ weights: l.weights.data as Float32Array, shape: [...l.weights.shape], stride: l.stride })),
  });
}

/** Worst case over the signals of one layer's true code, in the quantities the theorems use. */
export interface LayerStats {
  readonly layer: number;
  readonly mu: number;
  readonly stripe: number;
  readonly patch: number;
  readonly gammaMin: number;
  readonly gammaMax: number;
  readonly nnz: number;
}

export interface SampleStats {
  readonly layers: LayerStats[];
  /** max over signals of ‖E‖^p_{2,∞} (windows of layer 1's kernel). */
  readonly noisePatch: number;
  /** max over signals of ‖E‖₂. */
  readonly noiseEnergy: number;
}

export function sampleStats(instance: TheoryInstance, sample: MlcscSample): SampleStats {
  const layers = instance.layers.map((layer, i) => {
    const shape = codeShape(instance, i + 1);
    const window = codePatchWindow(instance.layers, i + 1);
    let stripe = 0;
    let patch = 0;
    let gammaMin = Infinity;
    let gammaMax = 0;
    let nnz = 0;
    for (const codes of sample.codes) {
      const field = { shape, data: codes[i]! };
      stripe = Math.max(stripe, stripeSparsity(field, layer, instance.inputs[i]!).value);
      patch = Math.max(patch, patchSparsity(field, window).value);
      const e = extremes(field);
      if (e.nnz > 0) gammaMin = Math.min(gammaMin, e.min);
      gammaMax = Math.max(gammaMax, e.max);
      nnz = Math.max(nnz, e.nnz);
    }
    return { layer: i + 1, mu: instance.coherence[i]!.mu, stripe, patch, gammaMin: Number.isFinite(gammaMin) ? gammaMin : 0, gammaMax, nnz };
  });
  let noiseEnergy = 0;
  sample.clean.forEach((x, b) => {
    const y = sample.noisy[b]!;
    let s = 0;
    for (let j = 0; j < x.length; j++) s += (y[j]! - x[j]!) ** 2;
    noiseEnergy = Math.max(noiseEnergy, Math.sqrt(s));
  });
  const noisePatch = sample.noise.patch.reduce((a, b) => Math.max(a, b), 0);
  return { layers, noisePatch, noiseEnergy };
}
