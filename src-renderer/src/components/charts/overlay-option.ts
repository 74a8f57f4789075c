/**
 * The echarts option of one metric of several runs: each run in its own colour, its smoothed curve on top
 * and (when smoothing) the raw curve faint behind it, both under the run's legend entry so hiding a run hides
 * both. Pure: smoothing, log-axis filtering and colours are tested without a canvas.
 */
import { emaSmoothPoints } from '../../lib/ema';
import { toCsv, type CsvValue } from '../../lib/csv';
import { withAlpha } from '../../lib/run-colors';
import type { Palette } from '../../lib/theme';
import type { LineChartOption } from './echarts';

export type XY = readonly [number, number];

export interface OverlayRun {
  readonly id: string;
  /** Unique among the runs of the chart (it names the legend entry). */
  readonly name: string;
  readonly color: string;
  readonly points: readonly XY[];
}

export interface OverlayOptions {
  readonly xName: string;
  readonly yName: string;
  readonly logY: boolean;
  /** EMA weight, 0 (none) … 0.99. */
  readonly smoothing: number;
  /** x is a step count: no ticks between integers. */
  readonly integerX?: boolean;
  readonly format?: (v: number) => string;
}

/** Alpha of the raw curve behind a smoothed one. */
export const RAW_ALPHA = 0.28;

export interface OverlayCurves {
  readonly run: OverlayRun;
  readonly raw: readonly XY[];
  /** Equal to raw without smoothing. */
  readonly smoothed: readonly XY[];
}

/** What a log axis can draw: finite positive values. */
function drawable(p: XY, logY: boolean): boolean {
  return Number.isFinite(p[1]) && (!logY || p[1] > 0);
}

/** The curves as drawn: smoothed over every finite value first, then cut to what the axis can show. */
export function overlayCurves(runs: readonly OverlayRun[], options: Pick<OverlayOptions, 'logY' | 'smoothing'>): OverlayCurves[] {
  return runs.map((run) => {
    const smoothed = options.smoothing > 0 ? emaSmoothPoints(run.points, options.smoothing) : run.points;
    return { run, raw: run.points.filter((p) => drawable(p, options.logY)), smoothed: smoothed.filter((p) => drawable(p, options.logY)) };
  });
}

/** A log axis makes sense when the values are all positive (and there is at least one). */
export function logScaleAllowed(runs: readonly OverlayRun[]): boolean {
  let positive = false;
  for (const r of runs)
    for (const p of r.points) {
      if (!Number.isFinite(p[1])) continue;
      if (p[1] <= 0) return false;
      positive = true;
    }
  return positive;
}

export function overlayPointCount(curves: readonly OverlayCurves[]): number {
  return curves.reduce((n, c) => n + c.smoothed.length, 0);
}

/** Legend names that tell runs apart: a name two runs share gets the run id added. */
export function uniqueRunNames(runs: readonly { readonly id: string; readonly name: string }[]): string[] {
  const count = new Map<string, number>();
  for (const r of runs) count.set(r.name, (count.get(r.name) ?? 0) + 1);
  return runs.map((r) => ((count.get(r.name) ?? 0) > 1 ? `${r.name} (${r.id})` : r.name));
}

export function overlayChartOption(runs: readonly OverlayRun[], options: OverlayOptions, palette: Palette): LineChartOption {
  const format = options.format ?? ((v: number) => String(v));
  const curves = overlayCurves(runs, options);
  const smoothing = options.smoothing > 0;
  const axisCommon = {
    nameTextStyle: { color: palette.muted },
    axisLine: { lineStyle: { color: palette.axis } },
    axisTick: { lineStyle: { color: palette.axis } },
    axisLabel: { color: palette.muted },
    splitLine: { lineStyle: { color: palette.grid } },
  };
  const series: NonNullable<LineChartOption['series']> = [];
  for (const c of curves) {
    if (smoothing)
      series.push({
        type: 'line',
        id: `${c.run.id}:raw`,
        name: c.run.name,
        color: c.run.color,
        showSymbol: false,
        silent: true,
        z: 1,
        lineStyle: { width: 1, color: withAlpha(c.run.color, RAW_ALPHA) },
        emphasis: { disabled: true },
        tooltip: { show: false },
        data: c.raw.map((p) => [p[0], p[1]]),
      });
    series.push({
      type: 'line',
      id: c.run.id,
      name: c.run.name,
      color: c.run.color,
      showSymbol: c.smoothed.length < 2,
      symbolSize: 5,
      z: 2,
      lineStyle: { width: 2, color: c.run.color },
      emphasis: { disabled: true },
      data: c.smoothed.map((p) => [p[0], p[1]]),
    });
  }
  return {
    animation: false,
    textStyle: { color: palette.text },
    grid: { left: 64, right: 20, top: 36, bottom: 44 },
    legend: { show: true, top: 4, type: 'scroll', data: curves.map((c) => ({ name: c.run.name, itemStyle: { color: c.run.color } })), textStyle: { color: palette.text }, inactiveColor: palette.axis },
    tooltip: {
      trigger: 'axis',
      backgroundColor: palette.tooltipBackground,
      borderColor: palette.tooltipBorder,
      textStyle: { color: palette.text },
      valueFormatter: (v) => (typeof v === 'number' ? format(v) : String(v)),
    },
    xAxis: { type: 'value', name: options.xName, nameLocation: 'middle', nameGap: 26, scale: true, ...(options.integerX ? { minInterval: 1 } : {}), ...axisCommon, splitLine: { show: false } },
    yAxis: {
      type: options.logY ? 'log' : 'value',
      name: options.yName,
      nameLocation: 'middle',
      nameGap: 50,
      scale: !options.logY,
      ...axisCommon,
      axisLabel: { color: palette.muted, formatter: (v: number) => format(v) },
    },
    series,
  };
}

/** The CSV of what the chart shows: x, then per run its raw values and (when smoothing) its smoothed ones. */
export function overlayCsv(runs: readonly OverlayRun[], options: Pick<OverlayOptions, 'logY' | 'smoothing' | 'xName'>): string {
  const curves = overlayCurves(runs, options);
  const smoothing = options.smoothing > 0;
  const columns = curves.flatMap((c) => (smoothing ? [c.raw, c.smoothed] : [c.raw]).map((pts) => new Map(pts.map((p) => [p[0], p[1]]))));
  const header = [options.xName, ...curves.flatMap((c) => (smoothing ? [c.run.name, `${c.run.name} (smoothed ${options.smoothing})`] : [c.run.name]))];
  const xs = [...new Set(curves.flatMap((c) => c.raw.map((p) => p[0])))].sort((a, b) => a - b);
  const rows: CsvValue[][] = xs.map((x) => [x, ...columns.map((m) => m.get(x))]);
  return toCsv(header, rows);
}
