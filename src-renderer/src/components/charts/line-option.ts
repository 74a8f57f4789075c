/**
 * The echarts option for a line chart of (x, y) series. Pure, so streaming updates and the theme can be
 * tested without a canvas. Animation is off: points arrive in bursts and screenshots must be complete.
 */
import type { Palette } from '../../lib/theme';
import type { LineChartOption } from './echarts';

export interface LineSeries {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
}

export interface LineChartOptions {
  readonly xName?: string;
  readonly yName?: string;
  /** Logarithmic y axis; points with y ≤ 0 cannot be drawn on it and are left out. */
  readonly logY?: boolean;
  readonly yMin?: number;
  readonly yMax?: number;
  readonly xMin?: number;
  readonly xMax?: number;
  /** Vertical lines at x values (a theorem's sparsity limit), drawn as one extra legend entry `markLineName`. */
  readonly markLines?: readonly { readonly x: number; readonly label: string }[];
  readonly markLineName?: string;
  /** Formats axis labels and tooltip values. */
  readonly format?: (v: number) => string;
}

export function lineChartOption(series: readonly LineSeries[], options: LineChartOptions, palette: Palette): LineChartOption {
  const format = options.format ?? ((v: number) => String(v));
  const marks = options.markLines ?? [];
  const legend = series.length > 1 || marks.length > 0;
  const axisCommon = {
    nameTextStyle: { color: palette.muted },
    axisLine: { lineStyle: { color: palette.axis } },
    axisTick: { lineStyle: { color: palette.axis } },
    axisLabel: { color: palette.muted },
    splitLine: { lineStyle: { color: palette.grid } },
  };
  return {
    animation: false,
    color: [...palette.series],
    textStyle: { color: palette.text },
    grid: { left: 64, right: 20, top: legend ? 36 : 16, bottom: 44 },
    legend: { show: legend, top: 4, textStyle: { color: palette.text }, inactiveColor: palette.axis },
    tooltip: {
      trigger: 'axis',
      backgroundColor: palette.tooltipBackground,
      borderColor: palette.tooltipBorder,
      textStyle: { color: palette.text },
      valueFormatter: (v) => (typeof v === 'number' ? format(v) : String(v)),
    },
    xAxis: {
      type: 'value',
      name: options.xName ?? '',
      nameLocation: 'middle',
      nameGap: 26,
      minInterval: 1,
      scale: true,
      ...(options.xMin !== undefined ? { min: options.xMin } : {}),
      ...(options.xMax !== undefined ? { max: options.xMax } : {}),
      ...axisCommon,
      splitLine: { show: false },
    },
    yAxis: {
      type: options.logY ? 'log' : 'value',
      name: options.yName ?? '',
      nameLocation: 'middle',
      nameGap: 50,
      scale: !options.logY,
      ...(options.yMin !== undefined && !options.logY ? { min: options.yMin } : {}),
      ...(options.yMax !== undefined ? { max: options.yMax } : {}),
      ...axisCommon,
      axisLabel: { color: palette.muted, formatter: (v: number) => format(v) },
    },
    series: [
      ...series.map((s) => ({
        type: 'line' as const,
        name: s.name,
        showSymbol: s.points.length < 2,
        symbolSize: 5,
        lineStyle: { width: 2 },
        emphasis: { disabled: true },
        data: (options.logY ? s.points.filter((p) => p[1] > 0) : s.points).map((p) => [p[0], p[1]]),
      })),
      // The marker lines live on a series of their own, so hiding a data series in the legend keeps them.
      ...(marks.length
        ? [
            {
              type: 'line' as const,
              name: options.markLineName ?? 'limits',
              data: [],
              color: palette.muted,
              markLine: {
                silent: true,
                symbol: 'none',
                animation: false,
                lineStyle: { color: palette.muted, type: 'dashed' as const, width: 1.5 },
                label: { show: true, position: 'insideMiddleTop' as const, color: palette.text, formatter: '{b}' },
                data: marks.map((m) => ({ xAxis: m.x, name: m.label })),
              },
            },
          ]
        : []),
    ],
  };
}
