import { afterAll, describe, expect, it } from 'vitest';
import { PhaseConfig, PhaseResult } from '../../../src-shared/contract';
import { Runtime } from '../runtime/session';
import { runPhaseTransition } from './phase-transition';

const runtime = new Runtime({ providers: ['cpu'] });
afterAll(() => runtime.dispose());

const config = PhaseConfig.parse({
  model: { kind: 'convolutional', dims: '1d', size: 160, layers: [{ filters: 2, kernel: 24, stride: 1, targetCoherence: 0.15 }] },
  pursuits: ['omp', 'bp', 'layered-thr'],
  sparsities: [1, 3, 10, 24],
  trials: 10,
  iterations: 300,
  seed: 5,
});

describe('phase transition', () => {
  it('has the expected shape: OMP and BP succeed below ½(1 + 1/μ), fall off far above it, and beat thresholding', async () => {
    const cells: number[] = [];
    const { result, cancelled } = await runPhaseTransition(runtime, config, (r) => cells.push(r.cellsDone));
    expect(cancelled).toBe(false);
    expect(PhaseResult.safeParse(result).success).toBe(true);
    expect(cells).toEqual([1, 2, 3, 4]);
    const [omp, bp, thr] = result.success.map((p) => p[0]!.map((v) => v!));
    const below = config.sparsities.map((s) => s < result.bounds.success);
    expect(below).toEqual([true, true, false, false]);
    config.sparsities.forEach((_, i) => {
      if (below[i]) {
        expect(omp![i]).toBe(1);
        expect(bp![i]).toBe(1);
      }
    });
    expect(omp!.at(-1)!).toBeLessThan(1);
    expect(bp!.at(-1)!).toBeLessThan(1);
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    expect(mean(omp!)).toBeGreaterThan(mean(thr!) + 0.3);
    expect(mean(bp!)).toBeGreaterThan(mean(thr!) + 0.3);
    expect(result.mu[0]).toBeGreaterThanOrEqual(result.welch[0]!);
    expect(result.achieved[0]).toEqual(config.sparsities);
  });

  it('stops between cells when cancelled and returns the cells it finished', async () => {
    const abort = new AbortController();
    const { result, cancelled } = await runPhaseTransition(runtime, { ...config, pursuits: ['omp'] }, (r) => {
      if (r.cellsDone === 2) abort.abort();
    }, abort.signal);
    expect(cancelled).toBe(true);
    expect(result.cellsDone).toBe(2);
    expect(result.success[0]![0]![2]).toBeNull();
  });
});
