/**
 * The report's figures: atoms as tiled grayscale PNGs, the input and reconstruction as PNGs, and metric
 * curves as SVG drawn by ECharts' server-side renderer (the same library as the workbench's charts, so a
 * report's curves read like the ones on screen). Pure functions of arrays and metrics.
 */
import type { RunMetrics } from '../../../src-shared/contract';
import { tileGrayImages, writeGrayPng } from '../../engine/io/png';

/** Atoms tiled per figure at most; more are cut, and the report says so. */
export const MAX_FIGURE_ATOMS = 1024;
/** Pixels between tiles and around the grid. */
export const TILE_PAD = 1;
/** Small images are enlarged by a whole factor (nearest neighbour) until about this wide, at most 8×. */
export const FIGURE_TARGET_WIDTH = 384;
export const MAX_UPSCALE = 8;

export const CHART_WIDTH = 640;
export const CHART_HEIGHT = 360;

export interface GrayPng {
  readonly png: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** The whole factor by which a figure `width` pixels wide is enlarged. */
export function upscaleFactor(width: number): number {
  return Math.max(1, Math.min(MAX_UPSCALE, Math.floor(FIGURE_TARGET_WIDTH / Math.max(1, width))));
}

function upscale(data: Float32Array, height: number, width: number, factor: number): Float32Array {
  if (factor === 1) return data;
  const W = width * factor;
  const out = new Float32Array(height * factor * W);
  for (let y = 0; y < height * factor; y++) {
    const src = Math.floor(y / factor) * width;
    const row = y * W;
    for (let x = 0; x < W; x++) out[row + x] = data[src + Math.floor(x / factor)]!;
  }
  return out;
}

/** Columns of the atom grid: as square as the count allows. */
export function gridColumns(count: number): number {
  return Math.max(1, Math.ceil(Math.sqrt(count)));
}

/**
 * Atoms [m, h, w] (or [m, c, h, w]: each channel its own tile) as one grid, each atom stretched to its own
 * range (min black, max white; a constant atom mid-grey), white lines between tiles.
 */
export function atomsPng(data: Float32Array, shape: readonly number[]): GrayPng & { shown: number; total: number; tileHeight: number; tileWidth: number } {
  if (shape.length < 3) throw new RangeError(`atoms must be [m, h, w], got shape [${shape.join(', ')}]`);
  const h = shape[shape.length - 2]!;
  const w = shape[shape.length - 1]!;
  const total = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const shown = Math.min(total, MAX_FIGURE_ATOMS);
  const tiles = Array.from({ length: shown }, (_, k) => data.subarray(k * h * w, (k + 1) * h * w));
  const grid = tileGrayImages(tiles, h, w, gridColumns(shown), TILE_PAD, { normalize: true, padValue: 1 });
  const [H, W] = grid.shape as [number, number];
  const f = upscaleFactor(W);
  return { png: writeGrayPng(upscale(grid.data, H, W, f), H * f, W * f, { min: 0, max: 1 }), width: W * f, height: H * f, shown, total, tileHeight: h, tileWidth: w };
}

/** One image [h, w] (enlarged), gray levels from `range`: the input and its reconstruction share one. */
export function imagePng(data: Float32Array, height: number, width: number, range: { min: number; max: number }): GrayPng {
  const f = upscaleFactor(width);
  const r = range.max > range.min ? range : { min: range.min, max: range.min + 1 };
  return { png: writeGrayPng(upscale(data, height, width, f), height * f, width * f, r), width: width * f, height: height * f };
}

/** Finite min and max over several images ({0, 1} when none is finite). */
export function jointRange(images: readonly Float32Array[]): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const d of images) {
    for (let i = 0; i < d.length; i++) {
      const v = d[i]!;
      if (Number.isFinite(v)) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
  }
  return min <= max ? { min, max } : { min: 0, max: 1 };
}

// ---- curves ------------------------------------------------------------------------------------------------------

export interface Curve {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
}

export interface ChartSpec {
  readonly title: string;
  readonly yName: string;
  readonly curves: readonly Curve[];
  /** Log y axis (only honoured when every value is positive). */
  readonly logY?: boolean;
}

type EChartsCore = typeof import('./echarts-ssr').echarts;
let echartsReady: Promise<EChartsCore> | undefined;

/** ECharts is large: the host loads it when the first report is made, not at start-up. */
function loadECharts(): Promise<EChartsCore> {
  echartsReady ??= import('./echarts-ssr').then((m) => m.echarts);
  return echartsReady;
}

/** A line chart as a standalone SVG document (ECharts SSR, no animation, no DOM). */
export async function lineChartSvg(spec: ChartSpec): Promise<string> {
  const echarts = await loadECharts();
  const values = spec.curves.flatMap((c) => c.points.map((p) => p[1]));
  const log = spec.logY === true && values.length > 0 && values.every((v) => v > 0 && Number.isFinite(v));
  const many = spec.curves.length > 1;
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: CHART_WIDTH, height: CHART_HEIGHT });
  try {
    chart.setOption({
      animation: false,
      backgroundColor: '#ffffff',
      textStyle: { fontFamily: 'sans-serif' },
      title: { text: spec.title, left: 'center', textStyle: { fontSize: 14 } },
      ...(many ? { legend: { bottom: 6, data: spec.curves.map((c) => c.name) } } : {}),
      grid: { left: 80, right: 30, top: 48, bottom: many ? 80 : 50 },
      xAxis: { type: 'value', name: 'iteration', nameLocation: 'middle', nameGap: 28, minInterval: 1, scale: true },
      yAxis: log ? { type: 'log', name: spec.yName, logBase: 10 } : { type: 'value', name: spec.yName, scale: true },
      series: spec.curves.map((c) => ({ type: 'line', name: c.name, data: c.points.map((p) => [p[0], p[1]]), showSymbol: c.points.length <= 40, symbolSize: 4 })),
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** The chart a named value goes on: `trainAccuracy` and `testAccuracy` on `accuracy`, `psnrNoisy` on `psnr`. */
export function valueGroup(name: string): string {
  const m = /^(train|test)([A-Z].*)$/.exec(name);
  const base = m ? m[2]!.charAt(0).toLowerCase() + m[2]!.slice(1) : name;
  return base.endsWith('Noisy') && base.length > 5 ? base.slice(0, -5) : base;
}

/** Curves of a run's metrics: objective and density per layer, and every named value, against iteration. */
export function metricCharts(metrics: readonly RunMetrics[]): { key: string; spec: ChartSpec }[] {
  if (metrics.length === 0) return [];
  const layers = [...new Set(metrics.map((m) => m.layer))].sort((a, b) => a - b);
  // A curve needs two points; a figure measured once (PSNR at the end of K-SVD) is in the final metrics table.
  const curve = (name: string, points: (readonly [number, number])[]): Curve[] => (points.length >= 2 ? [{ name, points }] : []);
  // Layered pursuits report each layer's objective in turn: one curve per layer.
  const byLayer = (value: (m: RunMetrics) => number | undefined, label: (layer: number) => string): Curve[] =>
    layers.flatMap((layer) => curve(label(layer), metrics.filter((m) => m.layer === layer).flatMap((m) => (value(m) !== undefined && Number.isFinite(value(m)) ? [[m.iteration, value(m)!] as const] : []))));
  const charts: { key: string; spec: ChartSpec }[] = [];
  const objective = byLayer((m) => m.objective, (l) => (layers.length > 1 ? `objective, layer ${l}` : 'objective'));
  if (objective.length) charts.push({ key: 'objective', spec: { title: 'Objective', yName: 'objective', curves: objective, logY: true } });
  // Layered pursuits code one layer after another: layer i's density means something once its code exists.
  const depth = Math.max(0, ...metrics.map((m) => m.density.length));
  const density: Curve[] = [];
  for (let i = 0; i < depth; i++) {
    density.push(...curve(`layer ${i + 1}`, metrics.flatMap((m) => (m.density[i] !== undefined && m.layer >= i + 1 ? [[m.iteration, m.density[i]!] as const] : []))));
  }
  if (density.length) charts.push({ key: 'density', spec: { title: 'Code density (nonzeros / size)', yName: 'density', curves: density } });
  // Figures that are read against each other share a chart: train and test, denoised and noisy.
  const groups = new Map<string, string[]>();
  for (const name of new Set(metrics.flatMap((m) => Object.keys(m.values ?? {})))) {
    const base = valueGroup(name);
    groups.set(base, [...(groups.get(base) ?? []), name]);
  }
  for (const [base, names] of groups) {
    const curves = names.flatMap((name) => curve(name, metrics.flatMap((m) => (m.values?.[name] !== undefined && Number.isFinite(m.values[name]) ? [[m.iteration, m.values[name]!] as const] : []))));
    if (curves.length) charts.push({ key: `value-${base}`, spec: { title: curves.map((c) => c.name).join(', '), yName: curves.length > 1 ? base : curves[0]!.name, curves } });
  }
  return charts;
}
