/**
 * The metrics of runs held side by side: one chart per metric (the objective and ℓ0 density of each layer,
 * each named value), one series per run, x by iteration or by wall time.
 *
 * A resumed learning session repeats the iterations after its checkpoint: a record at or before the last
 * one kept supersedes everything from its iteration on (the host does the same reading metrics.jsonl). Its
 * clock also restarts at the resume, so wall time is made cumulative: a record whose `seconds` fall below
 * the previous one's starts a new segment that continues where the last ended.
 */
import type { RunMetrics } from '../../../src-shared/contract';
import { valueLabel, valueOrder } from './learn-metrics';

export type XAxisMode = 'step' | 'time';

/** `objective@2`, `density@1`, `value:psnr`. */
export type MetricKey = `objective@${number}` | `density@${number}` | `value:${string}`;

/** Appends one record, dropping what it supersedes. Returns a new array. */
export function appendRecord(list: readonly RunMetrics[], m: RunMetrics): RunMetrics[] {
  const last = list[list.length - 1];
  const kept = last && m.iteration <= last.iteration ? list.filter((r) => r.iteration < m.iteration) : list.slice();
  kept.push(m);
  return kept;
}

export function normalizeRecords(list: readonly RunMetrics[]): RunMetrics[] {
  return list.reduce<RunMetrics[]>((acc, m) => appendRecord(acc, m), []);
}

/** Seconds since the run first started, for each record, continuing across resumed segments. */
export function cumulativeSeconds(list: readonly RunMetrics[]): number[] {
  const out: number[] = [];
  let offset = 0;
  let previous = 0;
  for (const m of list) {
    const s = Number.isFinite(m.seconds) ? m.seconds : previous;
    if (s < previous) offset += previous;
    previous = s;
    out.push(offset + s);
  }
  return out;
}

function keyRank(key: MetricKey): number {
  return key.startsWith('objective@') ? 0 : key.startsWith('density@') ? 1 : 2;
}

/** Compares keys for display: objectives by layer, then densities by layer, then values (known ones first). */
export function metricKeyOrder(a: MetricKey, b: MetricKey): number {
  const r = keyRank(a) - keyRank(b);
  if (r) return r;
  if (a.startsWith('value:')) return valueOrder(a.slice(6), b.slice(6));
  return Number(a.split('@')[1]) - Number(b.split('@')[1]);
}

/** Every metric the records report (a value that is never finite still counts: its chart says so). */
export function metricKeys(list: readonly RunMetrics[]): MetricKey[] {
  const keys = new Set<MetricKey>();
  for (const m of list) {
    keys.add(`objective@${m.layer}`);
    m.density.forEach((_, j) => keys.add(`density@${j + 1}`));
    for (const name of Object.keys(m.values ?? {})) keys.add(`value:${name}`);
  }
  return [...keys].sort(metricKeyOrder);
}

/** The union of the keys of several runs, in display order. */
export function unionMetricKeys(lists: readonly (readonly RunMetrics[])[]): MetricKey[] {
  return [...new Set(lists.flatMap((l) => metricKeys(l)))].sort(metricKeyOrder);
}

/** A chart title; `multiLayer` adds the layer to objective titles when some run has more than one. */
export function metricLabel(key: MetricKey, multiLayer: boolean): string {
  if (key.startsWith('value:')) return valueLabel(key.slice(6));
  const layer = Number(key.split('@')[1]);
  if (key.startsWith('objective@')) return multiLayer ? `Objective, layer ${layer}` : 'Objective';
  return `ℓ0 density of Γ${layer}`;
}

/** True when some key names a layer above 1. */
export function hasDeeperLayers(keys: readonly MetricKey[]): boolean {
  return keys.some((k) => !k.startsWith('value:') && Number(k.split('@')[1]) > 1);
}

function valueOf(m: RunMetrics, key: MetricKey): number | undefined {
  if (key.startsWith('value:')) return m.values?.[key.slice(6)];
  const layer = Number(key.split('@')[1]);
  if (key.startsWith('objective@')) return m.layer === layer ? m.objective : undefined;
  return m.density[layer - 1];
}

/**
 * The (x, y) points of one metric, in record order. Non-finite y values are kept at their x (the chart
 * leaves a gap; smoothing passes them by); records that do not report the metric give no point.
 */
export function metricPoints(list: readonly RunMetrics[], key: MetricKey, x: XAxisMode): [number, number][] {
  const times = x === 'time' ? cumulativeSeconds(list) : undefined;
  const out: [number, number][] = [];
  list.forEach((m, i) => {
    const y = valueOf(m, key);
    if (y === undefined) return;
    out.push([times ? times[i]! : m.iteration, y]);
  });
  return out;
}

/** The last finite value of every named figure (a diverged last step does not hide the one before). */
export function finalValues(list: readonly RunMetrics[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of list) for (const [k, v] of Object.entries(m.values ?? {})) if (Number.isFinite(v)) out[k] = v;
  return out;
}
