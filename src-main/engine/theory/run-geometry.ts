/**
 * How a run's configuration lays out its dictionaries for runs.theory: the model (Sparseland patches or
 * convolutional layers) and each layer's stride and padding. The dictionaries themselves are read from the
 * run's W<k>.npy; only what the files do not say comes from here.
 */
import type { LearnConfig, RunConfig } from '../../../src-shared/contract';
import { modelFromParams } from '../learn/adapters/unrolled';
import { checkParams } from '../learn/specs';

export interface RunGeometry {
  readonly model: 'sparseland' | 'convolutional';
  readonly layers: { stride: number; pad: number }[];
}

export function runTheoryGeometry(config: RunConfig | LearnConfig): RunGeometry {
  if ('pursuit' in config) return { model: 'convolutional', layers: config.layers.map((l) => ({ stride: l.stride, pad: l.pad })) };
  const params = checkParams(config.method, config.params);
  switch (config.method) {
    case 'ksvd':
    case 'mod':
    case 'online-dl':
      return { model: 'sparseland', layers: [{ stride: 1, pad: 0 }] };
    case 'cdl':
      // learnConvolutionalDictionary's default padding: k − 1 ("full" codes).
      return { model: 'convolutional', layers: [{ stride: 1, pad: (params.kernel as number) - 1 }] };
    case 'mlcsc-unsupervised':
      return { model: 'convolutional', layers: (params.strides as number[]).map((stride) => ({ stride, pad: 0 })) };
    case 'unrolled-supervised': {
      if (params.variant === 'msd-csc') throw new RangeError('an MSD-CSC network has dense, dilated dictionaries [I, Fᵀ], not plain convolutional layers: its coherence is not defined here');
      return { model: 'convolutional', layers: modelFromParams(params).layers.map((l) => ({ stride: l.stride, pad: l.pad ?? 0 })) };
    }
  }
}
