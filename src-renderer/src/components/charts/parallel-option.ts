/**
 * The echarts option for parallel coordinates: one axis per differing parameter or final figure, one series
 * (a single line) per run, so the legend shows each run's name in its colour. Pure and tested.
 */
import type { ParallelData } from '../../lib/parallel-coords';
import type { Palette } from '../../lib/theme';
import type { ParallelAxisOption, ParallelChartOption } from './echarts-compare';

export function parallelChartOption(data: ParallelData, palette: Palette, format: (v: number) => string = String): ParallelChartOption {
  const axisStyle = {
    nameTextStyle: { color: palette.text, fontSize: 11 },
    axisLine: { lineStyle: { color: palette.axis } },
    axisTick: { lineStyle: { color: palette.axis } },
    axisLabel: { color: palette.muted },
  };
  const parallelAxis: ParallelAxisOption[] = data.axes.map((a, dim) =>
    a.type === 'category'
      ? { dim, name: a.name, type: 'category', data: [...(a.categories ?? [])], ...axisStyle }
      : { dim, name: a.name, type: 'value', scale: true, ...axisStyle, axisLabel: { color: palette.muted, formatter: (v: number) => format(v) } },
  );
  return {
    animation: false,
    textStyle: { color: palette.text },
    legend: { show: true, top: 4, type: 'scroll', data: data.lines.map((l) => ({ name: l.name, itemStyle: { color: l.color } })), textStyle: { color: palette.text }, inactiveColor: palette.axis },
    tooltip: { trigger: 'item', backgroundColor: palette.tooltipBackground, borderColor: palette.tooltipBorder, textStyle: { color: palette.text } },
    parallel: { left: 60, right: 80, top: 64, bottom: 30, parallelAxisDefault: { nameLocation: 'end', nameGap: 16 } },
    parallelAxis,
    series: data.lines.map((l) => ({
      type: 'parallel' as const,
      id: l.id,
      name: l.name,
      color: l.color,
      lineStyle: { color: l.color, width: 2.5, opacity: 0.95 },
      emphasis: { lineStyle: { width: 4 } },
      data: [[...l.values]],
    })),
  };
}
