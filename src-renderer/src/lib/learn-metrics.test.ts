import { describe, expect, it } from 'vitest';
import type { RunMetrics } from '../../../src-shared/contract';
import { appendLearnMetrics, emptyLearnSeries, latestLearnObjective, learnSeriesFromMetrics, truncateLearnSeries, valueLabel, valueOrder } from './learn-metrics';

const m = (iteration: number, objective: number, values?: Record<string, number>, density: number[] = [0.1]): RunMetrics => ({
  iteration,
  objective,
  density,
  seconds: iteration / 2,
  layer: 1,
  ...(values ? { values } : {}),
});

describe('metrics → named-value series', () => {
  it('builds one series per name present in metrics.values, in display order', () => {
    const s = learnSeriesFromMetrics([
      m(1, 9, { secondsPerIteration: 0.5, filterSparsity: 0.2, psnr: 20 }),
      m(2, 8, { secondsPerIteration: 0.4, filterSparsity: 0.3, psnr: 21, ssim: 0.6 }),
    ]);
    expect(s.values.map((v) => v.name)).toEqual(['psnr', 'ssim', 'filterSparsity', 'secondsPerIteration']);
    expect(s.values.find((v) => v.name === 'psnr')!.points).toEqual([
      [1, 20],
      [2, 21],
    ]);
    expect(s.values.find((v) => v.name === 'ssim')!.points).toEqual([[2, 0.6]]);
    expect(s.objective).toEqual([
      {
        layer: 1,
        points: [
          [1, 9],
          [2, 8],
        ],
      },
    ]);
    expect(s.lastIteration).toBe(2);
    expect(s.seconds).toBe(1);
    expect(latestLearnObjective(s)).toBe(8);
  });

  it('keeps a density series per layer and leaves out non-finite numbers', () => {
    let s = appendLearnMetrics(emptyLearnSeries(), m(1, 5, { psnr: NaN, rmse: 0.3 }, [0.5, 0.25]));
    s = appendLearnMetrics(s, m(2, Infinity, { rmse: Infinity }, [0.4, NaN]));
    expect(s.density.map((d) => [d.layer, d.points.length])).toEqual([
      [1, 2],
      [2, 1],
    ]);
    expect(s.objective[0]!.points).toEqual([[1, 5]]);
    expect(s.values).toEqual([{ name: 'rmse', points: [[1, 0.3]] }]);
  });

  it('metrics without values give no value series', () => {
    expect(learnSeriesFromMetrics([m(1, 3), m(2, 2)]).values).toEqual([]);
    expect(latestLearnObjective(emptyLearnSeries())).toBeUndefined();
  });

  it('a resumed session supersedes what it repeats after its checkpoint', () => {
    // Ran to 5, checkpoint at 4, resumed: 5 and 6 come again, with other values.
    const before = learnSeriesFromMetrics([1, 2, 3, 4, 5].map((i) => m(i, 10 - i, { psnr: i })));
    const after = [m(5, 4.5, { psnr: 50 }), m(6, 3.5, { psnr: 60 })].reduce(appendLearnMetrics, before);
    expect(after.objective[0]!.points.map((p) => p[0])).toEqual([1, 2, 3, 4, 5, 6]);
    expect(after.objective[0]!.points[4]).toEqual([5, 4.5]);
    expect(after.values[0]!.points.slice(-2)).toEqual([
      [5, 50],
      [6, 60],
    ]);
    expect(after.lastIteration).toBe(6);
    // The same as the host reading metrics.jsonl with the superseded lines dropped.
    const fetchedThenLive = learnSeriesFromMetrics([...[1, 2, 3].map((i) => m(i, 10 - i)), ...[2, 3, 4].map((i) => m(i, 10 - i))]);
    expect(fetchedThenLive.objective[0]!.points).toEqual([
      [1, 9],
      [2, 8],
      [3, 7],
      [4, 6],
    ]);
  });

  it('truncation drops the series it empties', () => {
    const s = learnSeriesFromMetrics([m(1, 3), m(2, 2, { accuracy: 0.9 })]);
    const t = truncateLearnSeries(s, 2);
    expect(t.values).toEqual([]);
    expect(t.lastIteration).toBe(1);
    expect(truncateLearnSeries(s, 1)).toMatchObject({ objective: [], density: [], values: [], lastIteration: 0 });
  });

  it('labels known figures and turns other names into words', () => {
    expect(valueLabel('psnr')).toBe('PSNR (dB)');
    expect(valueLabel('ssim')).toBe('SSIM');
    expect(valueLabel('accuracy')).toBe('Accuracy');
    expect(valueLabel('rmse')).toBe('RMSE');
    expect(valueLabel('secondsPerIteration')).toBe('Seconds per iteration');
    expect(valueLabel('filterSparsity')).toBe('Filter sparsity');
    expect(valueLabel('psnrNoisy')).toBe('PSNR of the noisy input (dB)');
    expect(valueLabel('psnrClean')).toBe('PSNR clean');
    expect(valueLabel('codeL1')).toBe('Code ℓ1');
    expect(valueLabel('atoms_used')).toBe('Atoms used');
    expect(['zeta', 'secondsPerIteration', 'accuracy', 'alpha'].sort(valueOrder)).toEqual(['accuracy', 'alpha', 'zeta', 'secondsPerIteration']);
  });
});
