/**
 * The echarts option for a heat map of a grid of values in [min, max] with a continuous colour scale. Pure,
 * so it can be tested without a canvas. Cells without a value (not computed yet) are left empty. Tooltips
 * are plain text: HTML with inline styles would be refused by the page's CSP.
 */
import type { Palette } from '../../lib/theme';
import type { HeatmapChartOption } from './echarts';

export interface HeatmapData {
  readonly xLabels: readonly string[];
  readonly yLabels: readonly string[];
  /** values[y][x]; null: no value (yet). */
  readonly values: readonly (readonly (number | null)[])[];
}

export interface HeatmapOptions {
  readonly xName?: string;
  readonly yName?: string;
  /** What a cell's value is, in tooltips ("success rate", "coherence"). */
  readonly valueName?: string;
  readonly min: number;
  readonly max: number;
  /** Formats values in tooltips, labels and the scale. */
  readonly format?: (v: number) => string;
  /** Rows top to bottom like a matrix (row 1 first) instead of bottom to top like a plot. */
  readonly matrix?: boolean;
  /** Print each value in its cell when the grid has at most this many cells (default 120). */
  readonly labelCells?: number;
}

/** Number of cells that have a value. */
export function filledCells(data: HeatmapData): number {
  return data.values.reduce((n, row) => n + row.filter((v) => v !== null && Number.isFinite(v)).length, 0);
}

/** [x, y, value] per cell with a value, as echarts' heatmap series takes them. */
export function heatmapCells(data: HeatmapData): [number, number, number][] {
  const out: [number, number, number][] = [];
  data.values.forEach((row, y) =>
    row.forEach((v, x) => {
      if (v !== null && Number.isFinite(v) && x < data.xLabels.length && y < data.yLabels.length) out.push([x, y, v]);
    }),
  );
  return out;
}

/** The text colour readable on a cell of value v: the ramp runs from one end of lightness to the other. */
export function cellTextColor(v: number, min: number, max: number, palette: Palette): string {
  const t = max > min ? (v - min) / (max - min) : 0;
  return t > 0.5 ? palette.heatText[1] : palette.heatText[0];
}

export function heatmapChartOption(data: HeatmapData, options: HeatmapOptions, palette: Palette): HeatmapChartOption {
  const format = options.format ?? ((v: number) => String(v));
  const cells = heatmapCells(data);
  const showLabels = data.xLabels.length * data.yLabels.length <= (options.labelCells ?? 120);
  // Labelled (small) grids carry a text colour per cell; large ones stay plain tuples.
  const seriesData = showLabels ? cells.map((c) => ({ value: c, label: { color: cellTextColor(c[2], options.min, options.max, palette) } })) : cells;
  const axisCommon = {
    nameTextStyle: { color: palette.muted },
    axisLine: { lineStyle: { color: palette.axis } },
    axisTick: { show: false },
    axisLabel: { color: palette.muted },
    splitArea: { show: false },
  };
  return {
    animation: false,
    textStyle: { color: palette.text },
    grid: { left: 64, right: 84, top: 12, bottom: 44 },
    tooltip: {
      trigger: 'item',
      backgroundColor: palette.tooltipBackground,
      borderColor: palette.tooltipBorder,
      textStyle: { color: palette.text },
      formatter: (p) => {
        const value = (p as { value?: unknown }).value;
        if (!Array.isArray(value)) return '';
        const [x, y, v] = value as [number, number, number];
        return `${options.xName ?? 'x'} ${data.xLabels[x] ?? x} · ${options.yName ?? 'y'} ${data.yLabels[y] ?? y}: ${options.valueName ?? 'value'} ${format(v)}`;
      },
    },
    xAxis: { type: 'category', data: [...data.xLabels], name: options.xName ?? '', nameLocation: 'middle', nameGap: 26, ...axisCommon },
    yAxis: { type: 'category', data: [...data.yLabels], name: options.yName ?? '', nameLocation: 'middle', nameGap: 46, inverse: !!options.matrix, ...axisCommon },
    visualMap: {
      type: 'continuous',
      min: options.min,
      max: options.max,
      calculable: false,
      orient: 'vertical',
      right: 4,
      top: 'middle',
      itemHeight: 140,
      precision: 2,
      formatter: (v: unknown) => format(Number(v)),
      inRange: { color: [...palette.heat] },
      textStyle: { color: palette.muted },
    },
    series: [
      {
        type: 'heatmap',
        data: seriesData,
        // Everything in one frame: exports and screenshots must show the whole grid.
        progressive: 0,
        emphasis: { disabled: true },
        itemStyle: { borderColor: palette.background, borderWidth: cells.length <= 400 ? 1 : 0 },
        label: {
          show: showLabels,
          fontSize: 10,
          formatter: (p: { value?: unknown }) => (Array.isArray(p.value) ? format(Number(p.value[2])) : ''),
        },
      },
    ],
  };
}
