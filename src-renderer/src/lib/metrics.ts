/**
 * The charts' data: metrics accumulated from run.progress events (live) or from runs.get (saved). The
 * objective is kept per layer because layered BP solves one layer after another and reports each
 * layer's own objective ½‖Γ_{i−1} − D_iΓ_i‖² + λ_i‖Γ_i‖₁; the ℓ0 density has one series per layer.
 * Iterations are global and increase, so a point at or before a series' last iteration is a duplicate
 * (an event that overlaps the metrics already fetched) and is dropped.
 */
import type { RunMetrics } from '../../../src-shared/contract';

export type Point = readonly [x: number, y: number];

export interface LayerSeries {
  /** 1-based layer. */
  readonly layer: number;
  readonly points: readonly Point[];
}

export interface MetricSeries {
  /** Objective per iteration, one series per layer that reported it, ordered by layer. */
  readonly objective: readonly LayerSeries[];
  /** ℓ0 density (nnz / size) per iteration, one series per layer, ordered by layer. */
  readonly density: readonly LayerSeries[];
  /** Wall time of the last point, seconds since the run started. */
  readonly seconds: number;
  /** Number of metric records accepted. */
  readonly count: number;
}

export function emptySeries(): MetricSeries {
  return { objective: [], density: [], seconds: 0, count: 0 };
}

function appendPoint(series: readonly LayerSeries[], layer: number, point: Point): readonly LayerSeries[] | undefined {
  const i = series.findIndex((s) => s.layer === layer);
  if (i < 0) return [...series, { layer, points: [point] }].sort((a, b) => a.layer - b.layer);
  const s = series[i]!;
  const last = s.points[s.points.length - 1];
  if (last && point[0] <= last[0]) return undefined;
  const next = series.slice();
  next[i] = { layer, points: [...s.points, point] };
  return next;
}

/** Adds one metrics record; returns the input unchanged when it adds nothing (duplicate or not finite). */
export function appendMetrics(series: MetricSeries, m: RunMetrics): MetricSeries {
  let changed = false;
  let objective = series.objective;
  if (Number.isFinite(m.objective)) {
    const next = appendPoint(objective, m.layer, [m.iteration, m.objective]);
    if (next) {
      objective = next;
      changed = true;
    }
  }
  let density = series.density;
  m.density.forEach((d, j) => {
    if (!Number.isFinite(d)) return;
    const next = appendPoint(density, j + 1, [m.iteration, d]);
    if (next) {
      density = next;
      changed = true;
    }
  });
  if (!changed) return series;
  return { objective, density, seconds: Math.max(series.seconds, m.seconds), count: series.count + 1 };
}

export function seriesFromMetrics(list: readonly RunMetrics[]): MetricSeries {
  return list.reduce(appendMetrics, emptySeries());
}

/** The last objective reported for the deepest layer that reported one. */
export function latestObjective(series: MetricSeries): number | undefined {
  const s = series.objective[series.objective.length - 1];
  return s?.points[s.points.length - 1]?.[1];
}

export function pointCount(series: readonly LayerSeries[]): number {
  return series.reduce((n, s) => n + s.points.length, 0);
}
