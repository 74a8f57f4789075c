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
