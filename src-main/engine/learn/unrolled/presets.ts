/**
 * Preset model descriptions.
 *
 * `mnistPaperModel`: the MNIST network of the ML-ISTA authors (Sulam, Aberdam, Beck, Elad, TPAMI 2019; their
 * code, SCIENCE.md "Figures to reproduce"): 32 filters 6×6 stride 2, 64 filters 6×6×32 stride 2, 512 filters
 * 4×4×64 stride 1 (28×28 → 12×12 → 4×4 → 1×1), a linear classifier 512 → 10, T = 6 unfoldings, learned
 * steps c_i and per-filter biases, the authors' initialisation. Every unrolling has exactly the same
 * parameters, so comparisons are at equal parameter count.
 */
import { defineModel, type Unrolling, type UnrolledLayer, type UnrolledModel, type UnrolledOptions } from './model';

export const MNIST_PAPER_LAYERS: readonly UnrolledLayer[] = [
  { filters: 32, kernel: 6, stride: 2 },
  { filters: 64, kernel: 6, stride: 2 },
  { filters: 512, kernel: 4, stride: 1 },
];

export function mnistPaperModel(unrolling: Unrolling, o: { T?: number; options?: Partial<UnrolledOptions> } = {}): UnrolledModel {
  return defineModel({
    name: `mnist-paper-${unrolling}`,
    input: { channels: 1, height: 28, width: 28 },
    layers: MNIST_PAPER_LAYERS,
    unrolling,
    T: unrolling === 'cnn' ? 0 : (o.T ?? 6),
    classes: 10,
    options: { learnedSteps: true, learnedThresholds: true, init: 'paper', ...(o.options ?? {}) },
  });
}

/**
 * An SDNet-style MNIST model: the paper's layer 1 replaced by a CSC layer (unit-norm atoms, T FISTA steps,
 * λ a graph input), then the paper's layers 2 and 3 as conv layers.
 */
export function mnistSdnetModel(o: { T?: number; lambda?: number; options?: Partial<UnrolledOptions> } = {}): UnrolledModel {
  return defineModel({
    name: 'mnist-sdnet',
    input: { channels: 1, height: 28, width: 28 },
    layers: MNIST_PAPER_LAYERS,
    unrolling: 'cnn',
    T: o.T ?? 2,
    classes: 10,
    options: { learnedSteps: true, learnedThresholds: true, init: 'paper', variant: 'sdnet', lambda: o.lambda ?? 0.1, ...(o.options ?? {}) },
  });
}
