import { describe, expect, it } from 'vitest';
import { configDiff } from '../../lib/config-diff';
import { parallelData } from '../../lib/parallel-coords';
import { paletteFor } from '../../lib/theme';
import { parallelChartOption } from './parallel-option';

const data = parallelData(
  [
    { id: 'a', name: 'A', color: '#3b7ddd', finalObjective: 2, finalValues: { psnr: 30 } },
    { id: 'b', name: 'B', color: '#e0702d', finalObjective: 1, finalValues: { psnr: 31 } },
  ],
  configDiff([
    { method: 'cdl', params: { filters: 4 } },
    { method: 'mod', params: { filters: 8 } },
  ]),
);

describe('parallelChartOption', () => {
  it('has one axis per dimension and one line per run in its colour', () => {
    const o = parallelChartOption(data, paletteFor('light'));
    expect(o.parallelAxis!.map((a) => [a.dim, a.name, a.type])).toEqual([
      [0, 'method', 'category'],
      [1, 'params.filters', 'value'],
      [2, 'final objective', 'value'],
      [3, 'PSNR (dB)', 'value'],
    ]);
    expect((o.parallelAxis![0] as { data: string[] }).data).toEqual(['cdl', 'mod']);
    const series = o.series as { type: string; name: string; lineStyle: { color: string }; data: unknown[][] }[];
    expect(series.map((s) => [s.type, s.name, s.lineStyle.color])).toEqual([
      ['parallel', 'A', '#3b7ddd'],
      ['parallel', 'B', '#e0702d'],
    ]);
    expect(series[1]!.data).toEqual([['mod', 8, 1, 31]]);
    expect(o.animation).toBe(false);
  });
});
