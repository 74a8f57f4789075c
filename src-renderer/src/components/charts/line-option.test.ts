import { describe, expect, it } from 'vitest';
import { paletteFor } from '../../lib/theme';
import { lineChartOption } from './line-option';

const series = [
  { name: 'objective', points: [[1, 10], [2, 0], [3, -1], [4, 2]] as [number, number][] },
  { name: 'layer 2', points: [[1, 1]] as [number, number][] },
];

describe('lineChartOption', () => {
  it('turns animation off and takes its colours from the theme', () => {
    const dark = paletteFor('dark');
    const o = lineChartOption(series, {}, dark);
    expect(o.animation).toBe(false);
    expect(o.color).toEqual([...dark.series]);
    expect(o.textStyle).toEqual({ color: dark.text });
  });

  it('drops points a log axis cannot draw, keeps them on a linear one', () => {
    const log = lineChartOption(series, { logY: true }, paletteFor('light'));
    const lin = lineChartOption(series, {}, paletteFor('light'));
    const data = (o: typeof log) => (o.series as { data: number[][] }[])[0]!.data;
    expect(data(log)).toEqual([
      [1, 10],
      [4, 2],
    ]);
    expect(data(lin).length).toBe(4);
    expect((log.yAxis as { type: string }).type).toBe('log');
  });

  it('shows a legend only when there is more than one series', () => {
    expect((lineChartOption(series, {}, paletteFor('light')).legend as { show: boolean }).show).toBe(true);
    expect((lineChartOption(series.slice(0, 1), {}, paletteFor('light')).legend as { show: boolean }).show).toBe(false);
  });
});

describe('lineChartOption marker lines', () => {
  it('draws vertical lines on a series of their own, with a legend entry, and honours the x range', () => {
    const o = lineChartOption(series.slice(0, 1), { markLines: [{ x: 3, label: '½(1+1/μ) = 3' }], markLineName: 'theorem limits', xMin: 0, xMax: 8 }, paletteFor('light'));
    const all = o.series as { name: string; data: unknown[]; markLine?: { data: { xAxis: number; name: string }[] } }[];
    expect(all.map((s) => s.name)).toEqual(['objective', 'theorem limits']);
    expect(all[1]!.data).toEqual([]);
    expect(all[1]!.markLine?.data).toEqual([{ xAxis: 3, name: '½(1+1/μ) = 3' }]);
    expect((o.legend as { show: boolean }).show).toBe(true);
    expect(o.xAxis).toMatchObject({ min: 0, max: 8 });
  });
});
