/**
 * The charts of a learning session: objective and ℓ0 density per layer (as for pursuits) plus one series
 * per named value the method reports (PSNR, SSIM, accuracy, RMSE, seconds per iteration…), built from
 * whatever names appear in `metrics.values`, so a new figure from the engine gets its chart with no change
 * here. A session resumed from a checkpoint repeats the iterations after it: a record at or before the last
 * iteration supersedes everything from that iteration on (as the host does when it reads metrics.jsonl).
 */
import type { RunMetrics } from '../../../src-shared/contract';
import type { LayerSeries, Point } from './metrics';

export interface NamedSeries {
  /** The key in metrics.values, e.g. 'psnr'. */
  readonly name: string;
  readonly points: readonly Point[];
}

export interface LearnSeries {
  /** Objective per iteration, one series per layer that reported it, ordered by layer. */
  readonly objective: readonly LayerSeries[];
  /** ℓ0 density of each layer's code per iteration, ordered by layer. */
  readonly density: readonly LayerSeries[];
  /** One series per named value, in display order (see valueOrder). */
  readonly values: readonly NamedSeries[];
  /** Iteration of the newest record (0 when none). */
  readonly lastIteration: number;
  /** Wall time of the newest record, seconds since the (resumed) session started. */
  readonly seconds: number;
}

export function emptyLearnSeries(): LearnSeries {
  return { objective: [], density: [], values: [], lastIteration: 0, seconds: 0 };
}

/** Known figures: their chart titles and where they come in the list. Others follow, by name; time comes last. */
const KNOWN_VALUES: readonly { name: string; label: string }[] = [
  { name: 'psnr', label: 'PSNR (dB)' },
  { name: 'ssim', label: 'SSIM' },
  { name: 'accuracy', label: 'Accuracy' },
  { name: 'trainAccuracy', label: 'Training accuracy' },
  { name: 'testAccuracy', label: 'Test accuracy' },
  { name: 'rmse', label: 'RMSE' },
  { name: 'loss', label: 'Loss' },
  { name: 'psnrNoisy', label: 'PSNR of the noisy input (dB)' },
  { name: 'ssimNoisy', label: 'SSIM of the noisy input' },
  { name: 'meanL0', label: 'Mean ℓ0 (atoms per code)' },
];
const LAST_VALUES = ['secondsPerIteration'];
const ACRONYMS = new Set(['psnr', 'ssim', 'rmse', 'mse', 'snr', 'ml', 'csc', 'omp', 'ista', 'fista', 'lr']);

/** A chart title for a value name: known ones by table, others from camelCase ('filterSparsity' → 'Filter sparsity'). */
export function valueLabel(name: string): string {
  const known = KNOWN_VALUES.find((v) => v.name === name);
  if (known) return known.label;
  if (name === 'secondsPerIteration') return 'Seconds per iteration';
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[\s_-]+/)
    .filter(Boolean);
  return words
    .map((w, i) => {
      const lower = w.toLowerCase();
      if (ACRONYMS.has(lower)) return w.toUpperCase();
      if (/^l[012]$/.test(lower)) return `ℓ${lower[1]}`;
      return i === 0 ? w.charAt(0).toUpperCase() + w.slice(1) : lower;
    })
    .join(' ');
}

function valueRank(name: string): number {
  const k = KNOWN_VALUES.findIndex((v) => v.name === name);
  if (k >= 0) return k;
  const l = LAST_VALUES.indexOf(name);
  return l >= 0 ? 1000 + l : 100;
}

/** Compares value names for display: the known figures first, then the rest by name, time last. */
export function valueOrder(a: string, b: string): number {
  return valueRank(a) - valueRank(b) || a.localeCompare(b);
}

function before<S extends { readonly points: readonly Point[] }>(series: readonly S[], iteration: number): S[] {
  return series.map((s) => ({ ...s, points: s.points.filter((p) => p[0] < iteration) })).filter((s) => s.points.length > 0);
}

/** The series without the points at or after `iteration` (what a resumed session is about to report again). */
export function truncateLearnSeries(series: LearnSeries, iteration: number): LearnSeries {
  const objective = before(series.objective, iteration);
  const density = before(series.density, iteration);
  const values = before(series.values, iteration);
  const last = Math.max(0, ...[...objective, ...density, ...values].map((s) => s.points[s.points.length - 1]![0]));
  return { objective, density, values, lastIteration: last, seconds: series.seconds };
}

function appendLayer(series: readonly LayerSeries[], layer: number, point: Point): LayerSeries[] {
  const i = series.findIndex((s) => s.layer === layer);
  if (i < 0) return [...series, { layer, points: [point] }].sort((a, b) => a.layer - b.layer);
  const next = series.slice();
  next[i] = { layer, points: [...series[i]!.points, point] };
  return next;
}

function appendNamed(series: readonly NamedSeries[], name: string, point: Point): NamedSeries[] {
  const i = series.findIndex((s) => s.name === name);
  if (i < 0) return [...series, { name, points: [point] }].sort((a, b) => valueOrder(a.name, b.name));
  const next = series.slice();
  next[i] = { name, points: [...series[i]!.points, point] };
  return next;
}

/** Adds one metrics record (superseding what it repeats); non-finite numbers are left out. */
export function appendLearnMetrics(series: LearnSeries, m: RunMetrics): LearnSeries {
  const hasPoints = series.objective.length + series.density.length + series.values.length > 0;
  const base = hasPoints && m.iteration <= series.lastIteration ? truncateLearnSeries(series, m.iteration) : series;
  const x = m.iteration;
  let objective: readonly LayerSeries[] = base.objective;
  if (Number.isFinite(m.objective)) objective = appendLayer(objective, m.layer, [x, m.objective]);
  let density: readonly LayerSeries[] = base.density;
  m.density.forEach((d, j) => {
    if (Number.isFinite(d)) density = appendLayer(density, j + 1, [x, d]);
  });
  let values: readonly NamedSeries[] = base.values;
  for (const [name, v] of Object.entries(m.values ?? {})) {
    if (Number.isFinite(v)) values = appendNamed(values, name, [x, v]);
  }
  return { objective, density, values, lastIteration: x, seconds: m.seconds };
}

export function learnSeriesFromMetrics(list: readonly RunMetrics[]): LearnSeries {
  return list.reduce(appendLearnMetrics, emptyLearnSeries());
}

/** The last objective of the deepest layer that reported one. */
export function latestLearnObjective(series: LearnSeries): number | undefined {
  const s = series.objective[series.objective.length - 1];
  return s?.points[s.points.length - 1]?.[1];
}
