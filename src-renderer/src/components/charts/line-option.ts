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
  /** Formats axis labels and tooltip values. */
  readonly format?: (v: number) => string;
}

export function lineChartOption(series: readonly LineSeries[], options: LineChartOptions, palette: Palette): LineChartOption {
  const format = options.format ?? ((v: number) => String(v));
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
    grid: { left: 64, right: 20, top: series.length > 1 ? 36 : 16, bottom: 44 },
    legend: { show: series.length > 1, top: 4, textStyle: { color: palette.text }, inactiveColor: palette.axis },
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
    series: series.map((s) => ({
      type: 'line',
      name: s.name,
      showSymbol: s.points.length < 2,
      symbolSize: 5,
      lineStyle: { width: 2 },
      emphasis: { disabled: true },
      data: (options.logY ? s.points.filter((p) => p[1] > 0) : s.points).map((p) => [p[0], p[1]]),
    })),
  };
}
