import { describe, expect, it } from 'vitest';
import { emaSmooth } from '../../lib/ema';
import { paletteFor } from '../../lib/theme';
import { logScaleAllowed, overlayChartOption, overlayCsv, overlayCurves, overlayPointCount, uniqueRunNames, type OverlayRun } from './overlay-option';

const runs: OverlayRun[] = [
  {
    id: 'a',
    name: 'A',
    color: '#3b7ddd',
    points: [
      [1, 10],
      [2, 6],
      [3, Number.NaN],
      [4, 2],
    ],
  },
  {
    id: 'b',
    name: 'B',
    color: '#e0702d',
    points: [
      [1, 8],
      [3, 0],
      [5, -1],
    ],
  },
];
type S = { id: string; name: string; color: string; data: number[][]; lineStyle: { color: string; width: number }; z: number };
const seriesOf = (o: ReturnType<typeof overlayChartOption>) => o.series as S[];

describe('overlayChartOption', () => {
  it('draws one series per run in its colour without smoothing', () => {
    const o = overlayChartOption(runs, { xName: 'iteration', yName: 'objective', logY: false, smoothing: 0 }, paletteFor('light'));
    const s = seriesOf(o);
    expect(s.map((x) => [x.id, x.name, x.lineStyle.color])).toEqual([
      ['a', 'A', '#3b7ddd'],
      ['b', 'B', '#e0702d'],
    ]);
    // The non-finite value is left out of the drawing; the x values stay as they were.
    expect(s[0]!.data).toEqual([
      [1, 10],
      [2, 6],
      [4, 2],
    ]);
    expect(o.animation).toBe(false);
    expect((o.xAxis as { minInterval?: number }).minInterval).toBeUndefined();
    const steps = overlayChartOption(runs, { xName: 'iteration', yName: 'objective', logY: false, smoothing: 0, integerX: true }, paletteFor('light'));
    expect((steps.xAxis as { minInterval?: number }).minInterval).toBe(1);
  });

  it('puts the faint raw curve behind the smoothed one, both under the run legend entry', () => {
    const o = overlayChartOption(runs, { xName: 'iteration', yName: 'objective', logY: false, smoothing: 0.6 }, paletteFor('dark'));
    const s = seriesOf(o);
    expect(s.map((x) => x.id)).toEqual(['a:raw', 'a', 'b:raw', 'b']);
    expect(s[0]!.name).toBe(s[1]!.name);
    expect(s[0]!.lineStyle.color).toBe('#3b7ddd47');
    expect(s[0]!.z).toBeLessThan(s[1]!.z);
    const smooth = emaSmooth([10, 6, Number.NaN, 2], 0.6);
    expect(s[1]!.data.map((p) => p[1])).toEqual([smooth[0], smooth[1], smooth[3]]);
    expect(s[1]!.data.map((p) => p[0])).toEqual([1, 2, 4]);
  });

  it('drops what a log axis cannot draw', () => {
    const o = overlayChartOption(runs, { xName: 'x', yName: 'y', logY: true, smoothing: 0 }, paletteFor('light'));
    expect(seriesOf(o)[1]!.data).toEqual([[1, 8]]);
    expect((o.yAxis as { type: string }).type).toBe('log');
    expect(overlayPointCount(overlayCurves(runs, { logY: true, smoothing: 0 }))).toBe(4);
  });
});

describe('overlay helpers', () => {
  it('allows a log axis only for positive values', () => {
    expect(logScaleAllowed(runs)).toBe(false);
    expect(logScaleAllowed([runs[0]!])).toBe(true);
    expect(logScaleAllowed([{ ...runs[0]!, points: [[1, Number.NaN]] }])).toBe(false);
  });

  it('names runs apart when two share a name', () => {
    expect(uniqueRunNames([{ id: 'x', name: 'ksvd' }, { id: 'y', name: 'ksvd' }, { id: 'z', name: 'cdl' }])).toEqual(['ksvd (x)', 'ksvd (y)', 'cdl']);
  });

  it('writes the raw and smoothed values as CSV', () => {
    const csv = overlayCsv(runs, { xName: 'iteration', logY: false, smoothing: 0.5 }).trim().split('\r\n');
    expect(csv[0]).toBe('iteration,A,A (smoothed 0.5),B,B (smoothed 0.5)');
    expect(csv[1]).toBe('1,10,10,8,8');
    expect(csv).toHaveLength(1 + 5);
    expect(overlayCsv(runs, { xName: 'iteration', logY: false, smoothing: 0 }).split('\r\n')[0]).toBe('iteration,A,B');
  });
});
