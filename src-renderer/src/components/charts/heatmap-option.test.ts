import { describe, expect, it } from 'vitest';
import { paletteFor } from '../../lib/theme';
import { cellTextColor, filledCells, heatmapCells, heatmapChartOption, type HeatmapData } from './heatmap-option';

const data: HeatmapData = { xLabels: ['1', '2', '3'], yLabels: ['0', '0.1'], values: [[1, 0.5, null], [0.25, null, NaN]] };

describe('heatmapChartOption', () => {
  it('has one [x, y, value] cell per value; empty cells are left out', () => {
    expect(heatmapCells(data)).toEqual([
      [0, 0, 1],
      [1, 0, 0.5],
      [0, 1, 0.25],
    ]);
    expect(filledCells(data)).toBe(3);
    const o = heatmapChartOption(data, { min: 0, max: 1 }, paletteFor('light'));
    expect((o.series as { data: unknown[] }[])[0]!.data).toHaveLength(3);
    // Small grids are labelled, each cell in a colour readable on it.
    const light = paletteFor('light');
    expect((o.series as { data: unknown[] }[])[0]!.data[0]).toEqual({ value: [0, 0, 1], label: { color: light.heatText[1] } });
    expect(cellTextColor(0.2, 0, 1, light)).toBe(light.heatText[0]);
  });

  it('scales colours from the theme over [min, max], animation off', () => {
    const dark = paletteFor('dark');
    const o = heatmapChartOption(data, { min: 0, max: 1, xName: 'sparsity', yName: 'noise' }, dark);
    expect(o.animation).toBe(false);
    const vm = o.visualMap as { min: number; max: number; inRange: { color: string[] } };
    expect([vm.min, vm.max]).toEqual([0, 1]);
    expect(vm.inRange.color).toEqual([...dark.heat]);
    expect((o.xAxis as { data: string[]; name: string }).data).toEqual(['1', '2', '3']);
    expect((o.yAxis as { name: string; inverse: boolean }).name).toBe('noise');
    expect((o.yAxis as { inverse: boolean }).inverse).toBe(false);
  });

  it('draws a matrix top-down, labels small grids only, and writes plain-text tooltips', () => {
    const o = heatmapChartOption(data, { min: 0, max: 1, matrix: true, xName: 'sparsity', yName: 'noise', valueName: 'success', format: (v) => v.toFixed(2) }, paletteFor('light'));
    expect((o.yAxis as { inverse: boolean }).inverse).toBe(true);
    const series = (o.series as { label: { show: boolean } }[])[0]!;
    expect(series.label.show).toBe(true);
    const tooltip = o.tooltip as { formatter: (p: unknown) => string };
    expect(tooltip.formatter({ value: [1, 0, 0.5] })).toBe('sparsity 2 · noise 0: success 0.50');
    const big: HeatmapData = { xLabels: Array.from({ length: 20 }, String), yLabels: Array.from({ length: 20 }, String), values: [] };
    expect((heatmapChartOption(big, { min: 0, max: 1 }, paletteFor('light')).series as { label: { show: boolean } }[])[0]!.label.show).toBe(false);
  });
});
