import { describe, expect, it } from 'vitest';
import { LearnConfig, RunConfig } from '../../../src-shared/contract';
import { runTheoryGeometry } from './run-geometry';

const session = (method: LearnConfig['method'], params: Record<string, unknown> = {}) => LearnConfig.parse({ method, data: { kind: 'mnist', count: 10 }, params, iterations: 1 });

describe('the geometry runs.theory reads from a run’s configuration', () => {
  it('takes a pursuit run’s strides and padding layer by layer', () => {
    const config = RunConfig.parse({
      source: { kind: 'synthetic', height: 16, width: 16, nonzeros: 2, seed: 0 },
      layers: [
        { filters: 4, kernel: 5, stride: 2, pad: 3, dictionary: { kind: 'random', seed: 1 } },
        { filters: 8, kernel: 3, stride: 1, pad: 0, dictionary: { kind: 'random', seed: 2 } },
      ],
      pursuit: { algorithm: 'ista', lambdas: [0.1, 0.1], iterations: 1 },
    });
    expect(runTheoryGeometry(config)).toEqual({ model: 'convolutional', layers: [{ stride: 2, pad: 3 }, { stride: 1, pad: 0 }] });
  });

  it('reads patch methods as Sparseland and the convolutional methods’ strides from their parameters', () => {
    for (const m of ['ksvd', 'mod', 'online-dl'] as const) expect(runTheoryGeometry(session(m)).model).toBe('sparseland');
    expect(runTheoryGeometry(session('cdl', { kernel: 5 }))).toEqual({ model: 'convolutional', layers: [{ stride: 1, pad: 4 }] });
    expect(runTheoryGeometry(session('mlcsc-unsupervised', { filters: [8, 16, 32], kernels: [5, 3, 3], strides: [2, 1, 2] })).layers).toEqual([
      { stride: 2, pad: 0 },
      { stride: 1, pad: 0 },
      { stride: 2, pad: 0 },
    ]);
    // The small preset: 16 6×6 s2, 32 6×6 s2, 64 4×4 s1 (specs.ts).
    expect(runTheoryGeometry(session('unrolled-supervised', { preset: 'small' })).layers.map((l) => l.stride)).toEqual([2, 2, 1]);
    expect(() => runTheoryGeometry(session('unrolled-supervised', { variant: 'msd-csc' }))).toThrow(/MSD-CSC/);
  });
});
