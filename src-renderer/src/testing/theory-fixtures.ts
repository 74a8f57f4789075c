/** Small, valid TheoryReport and PhaseResult values for unit tests (the shapes the contract describes). */
import { float32Tensor, type PhaseResult, type TheoryPursuit, type TheoryReport } from '../../../src-shared/contract';

function verdict(layer: number, holds: boolean | null, measured: number) {
  return { layer, theorem: holds === null ? null : { name: 'OMP success (local)', source: 'Papyan, Sulam, Elad 2017' }, condition: holds === null ? null : 3, holds, predicted: holds === null ? null : 0, norm: 'p2inf' as const, measured, parameter: 0.5, precision: 1, recall: 1, exact: 1 };
}

/** A two-layer 1-D report (N = 8): dictionaries with 2 and 3 filters, OMP and layered thresholding. */
export function theoryReport(pursuits: readonly TheoryPursuit[] = ['omp', 'layered-thr']): TheoryReport {
  const n = 8;
  const signal = (f: (i: number) => number) => float32Tensor([1, n], Float32Array.from({ length: n }, (_, i) => f(i)));
  return {
    dictionaries: [
      { layer: 2, filters: 3, channels: 2, kernel: [1, 3], stride: 1, mu: 0.4, welch: 0.1, coherence: float32Tensor([3, 3], Float32Array.from([1, 0.4, 0.1, 0.4, 1, 0.2, 0.1, 0.2, 1])) },
      { layer: 1, filters: 2, channels: 1, kernel: [1, 4], stride: 1, mu: 0.25, welch: 0.05, coherence: float32Tensor([2, 2], Float32Array.from([0.5, 0.25, 0.25, 0.5])) },
    ],
    codes: [
      { layer: 1, shape: [2, 1, 5], stripe: 2, patch: 2, gammaMin: 0.5, gammaMax: 2, nnz: 4 },
      { layer: 2, shape: [3, 1, 3], stripe: 1, patch: 1, gammaMin: 1, gammaMax: 1, nnz: 2 },
    ],
    noisePatch: 0,
    noiseSigma: 0,
    pursuits: pursuits.map((p, k) => ({
      pursuit: p,
      seconds: 0.01,
      provider: 'cpu' as const,
      layers: [verdict(2, k === 0 ? true : null, 0.001 * (k + 1)), verdict(1, k === 0, 0.002 * (k + 1))],
      reconstruction: signal((i) => Math.sin(i) + 0.01 * k),
    })),
    clean: signal((i) => Math.sin(i)),
    noisy: signal((i) => Math.sin(i) + 0.1),
    atoms: [
      { layer: 1, images: float32Tensor([2, 1, 4], Float32Array.from([1, 0, -1, 0, 0, 1, 0, -1])) },
      { layer: 2, images: float32Tensor([3, 1, 6], Float32Array.from({ length: 18 }, (_, i) => Math.cos(i))) },
    ],
  };
}

/** A phase grid of `pursuits` × 2 noise levels × 4 sparsities, the first `done` cells (row by row) filled. */
export function phaseResult(done = 8, pursuits: readonly TheoryPursuit[] = ['omp', 'layered-thr']): PhaseResult {
  const sparsities = [1, 2, 3, 4];
  const noise = [0, 0.1];
  const cell = (p: number, n: number, s: number) => (n * sparsities.length + s < done ? Math.max(0, 1 - 0.25 * s - 0.1 * p - 0.2 * n) : null);
  return {
    pursuits: [...pursuits],
    sparsities,
    noise,
    noiseKind: 'patch',
    trials: 3,
    success: pursuits.map((_, p) => noise.map((_, n) => sparsities.map((_, s) => cell(p, n, s)))),
    error: pursuits.map((_, p) => noise.map((_, n) => sparsities.map((_, s) => (cell(p, n, s) === null ? null : 0.1 * s)))),
    achieved: noise.map((_, n) => sparsities.map((s, j) => (n * sparsities.length + j < done ? s : null))),
    cellsDone: done,
    cellsTotal: 8,
    mu: [0.2],
    welch: [0.05],
    bounds: { success: 3, bp: 2 },
  };
}
