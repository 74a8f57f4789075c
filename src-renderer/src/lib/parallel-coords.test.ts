import { describe, expect, it } from 'vitest';
import { configDiff } from './config-diff';
import { parallelData, type ParallelRun } from './parallel-coords';

const configs = [
  { method: 'ksvd', params: { atoms: 32, sigma: 25, tied: true }, iterations: 10 },
  { method: 'ksvd', params: { atoms: 64, sigma: 25, tied: false }, iterations: 10 },
  { method: 'mod', params: { atoms: 64, sigma: 25, tied: true, extra: 1 }, iterations: 10 },
];
const runs: ParallelRun[] = [
  { id: 'a', name: 'A', color: '#111111', finalObjective: 3, finalValues: { psnr: 30, rmse: 1 } },
  { id: 'b', name: 'B', color: '#222222', finalObjective: 2, finalValues: { psnr: 31 } },
  { id: 'c', name: 'C', color: '#333333', finalObjective: 1, finalValues: { psnr: 29, rmse: 2 } },
];

describe('parallelData', () => {
  it('makes axes of the differing parameters and the figures every run has', () => {
    const d = parallelData(runs, configDiff(configs));
    expect(d.axes.map((a) => [a.key, a.type])).toEqual([
      ['config:method', 'category'],
      ['config:params.atoms', 'value'],
      ['config:params.tied', 'category'],
      ['metric:objective', 'value'],
      ['metric:psnr', 'value'],
    ]);
    expect(d.axes[0]!.categories).toEqual(['ksvd', 'mod']);
    expect(d.axes[2]!.categories).toEqual(['true', 'false']);
    expect(d.axes[4]!.name).toBe('PSNR (dB)');
    // params.extra: only one run has it; rmse: B did not report it.
    expect(d.omitted).toEqual(['params.extra', 'RMSE']);
  });

  it('gives each run one value per axis, in its colour', () => {
    const d = parallelData(runs, configDiff(configs));
    expect(d.lines.map((l) => [l.id, l.color, l.values])).toEqual([
      ['a', '#111111', ['ksvd', 32, 'true', 3, 30]],
      ['b', '#222222', ['ksvd', 64, 'false', 2, 31]],
      ['c', '#333333', ['mod', 64, 'true', 1, 29]],
    ]);
    for (const l of d.lines) expect(l.values).toHaveLength(d.axes.length);
  });

  it('has no parameter axes for identical configs, and refuses a diff of other runs', () => {
    const d = parallelData(runs.slice(0, 2), configDiff([configs[0], configs[0]]));
    expect(d.axes.map((a) => a.key)).toEqual(['metric:objective', 'metric:psnr']);
    expect(() => parallelData(runs, configDiff([configs[0], configs[1]]))).toThrow(/2 runs, the chart 3/);
  });

  it('leaves out the objective when a run has none yet', () => {
    const d = parallelData([{ ...runs[0]!, finalObjective: undefined }, runs[1]!], configDiff(configs.slice(0, 2)));
    expect(d.axes.map((a) => a.key)).not.toContain('metric:objective');
    expect(d.omitted).toContain('final objective');
  });
});
