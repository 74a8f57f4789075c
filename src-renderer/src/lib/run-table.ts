/**
 * The Compare view's table of runs: one row per run of the project (every kind), sortable by any column and
 * filtered by text, status and tags. Missing values (a run still going has no final objective, a pursuit no
 * PSNR) sort last in either direction, so flipping the order never buries the runs that have the figure.
 */
import type { RunStatus, RunSummary } from '../../../src-shared/contract';
import { valueOrder } from './learn-metrics';

export interface RunRow {
  readonly id: string;
  readonly name: string;
  readonly kind: RunSummary['kind'];
  readonly algorithm: string;
  readonly status: RunStatus;
  readonly tags: readonly string[];
  readonly notes: string;
  readonly createdAt: string;
  /** ms since the epoch; undefined when the date does not parse. */
  readonly created: number | undefined;
  readonly iterations: number;
  readonly finalObjective: number | undefined;
  /** Last finite value of each named figure (psnr, ssim…), when the run's metrics are loaded. */
  readonly values: Readonly<Record<string, number>>;
}

export type SortKey = 'name' | 'kind' | 'algorithm' | 'status' | 'tags' | 'created' | 'iterations' | 'finalObjective' | `value:${string}`;
export type SortDirection = 'asc' | 'desc';
export interface SortState {
  readonly key: SortKey;
  readonly direction: SortDirection;
}

export function runRow(summary: RunSummary, values: Readonly<Record<string, number>> = {}): RunRow {
  const t = Date.parse(summary.createdAt);
  return {
    id: summary.id,
    name: summary.name || summary.id,
    kind: summary.kind,
    algorithm: summary.algorithm,
    status: summary.status,
    tags: summary.tags ?? [],
    notes: summary.notes ?? '',
    createdAt: summary.createdAt,
    created: Number.isNaN(t) ? undefined : t,
    iterations: summary.iterations,
    finalObjective: summary.finalObjective,
    values,
  };
}

/** The named figures any row has, in display order (known figures first, time last). */
export function valueColumns(rows: readonly RunRow[]): string[] {
  return [...new Set(rows.flatMap((r) => Object.keys(r.values)))].sort(valueOrder);
}

/** Live runs first, then the good, then the stopped, then the broken. */
const STATUS_ORDER: readonly RunStatus[] = ['running', 'queued', 'finished', 'interrupted', 'cancelled', 'failed'];

function sortValue(row: RunRow, key: SortKey): string | number | undefined {
  switch (key) {
    case 'name':
    case 'kind':
    case 'algorithm':
      return row[key];
    case 'status':
      return STATUS_ORDER.indexOf(row.status);
    case 'tags':
      return row.tags.length ? row.tags.join(', ') : undefined;
    case 'created':
      return row.created;
    case 'iterations':
      return row.iterations;
    case 'finalObjective':
      return row.finalObjective;
    default:
      return row.values[key.slice(6)];
  }
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

function missing(v: string | number | undefined): boolean {
  return v === undefined || (typeof v === 'number' && Number.isNaN(v));
}

/** A sorted copy; stable (ties keep the given order), missing values last whichever the direction. */
export function sortRows(rows: readonly RunRow[], sort: SortState): RunRow[] {
  const sign = sort.direction === 'asc' ? 1 : -1;
  return rows
    .map((row, index) => ({ row, index, v: sortValue(row, sort.key) }))
    .sort((a, b) => {
      const ma = missing(a.v);
      const mb = missing(b.v);
      if (ma || mb) return ma === mb ? a.index - b.index : ma ? 1 : -1;
      const c = typeof a.v === 'number' && typeof b.v === 'number' ? a.v - b.v : collator.compare(String(a.v), String(b.v));
      return c ? sign * c : a.index - b.index;
    })
    .map((x) => x.row);
}

/** Clicking a column's header: a new column sorts ascending (dates and figures newest/largest first), the same column flips. */
export function nextSort(current: SortState, key: SortKey): SortState {
  if (current.key === key) return { key, direction: current.direction === 'asc' ? 'desc' : 'asc' };
  const startsHigh = key === 'created' || key === 'iterations' || key.startsWith('value:');
  return { key, direction: startsHigh ? 'desc' : 'asc' };
}

/** The aria-sort of a column header. */
export function ariaSort(current: SortState, key: SortKey): 'ascending' | 'descending' | 'none' {
  if (current.key !== key) return 'none';
  return current.direction === 'asc' ? 'ascending' : 'descending';
}

export interface RunFilter {
  /** Words that must all occur (case-insensitive) in the name, id, tags, algorithm, kind or notes. */
  readonly text: string;
  /** Statuses shown; empty shows all. */
  readonly statuses: readonly RunStatus[];
  /** Tags a run must all carry; empty: any. */
  readonly tags: readonly string[];
}

export const NO_FILTER: RunFilter = { text: '', statuses: [], tags: [] };

export function matchesFilter(row: RunRow, filter: RunFilter): boolean {
  if (filter.statuses.length && !filter.statuses.includes(row.status)) return false;
  if (filter.tags.some((t) => !row.tags.includes(t))) return false;
  const words = filter.text.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return true;
  const haystack = [row.name, row.id, row.algorithm, row.kind, row.notes, ...row.tags].join('\n').toLowerCase();
  return words.every((w) => haystack.includes(w));
}

export function filterRows(rows: readonly RunRow[], filter: RunFilter): RunRow[] {
  return rows.filter((r) => matchesFilter(r, filter));
}

/** Every tag in use, sorted, for the tag chips. */
export function allTags(rows: readonly RunRow[]): string[] {
  return [...new Set(rows.flatMap((r) => r.tags))].sort(collator.compare);
}

export interface StatusLook {
  /** A symbol that tells the status apart without colour. */
  readonly icon: string;
  readonly label: string;
  /** CSS class for the colour. */
  readonly tone: 'live' | 'good' | 'stopped' | 'bad' | 'warn';
}

const STATUS_LOOK: Record<RunStatus, StatusLook> = {
  queued: { icon: '◷', label: 'queued', tone: 'live' },
  running: { icon: '●', label: 'running', tone: 'live' },
  finished: { icon: '✓', label: 'finished', tone: 'good' },
  failed: { icon: '✗', label: 'failed', tone: 'bad' },
  cancelled: { icon: '■', label: 'cancelled', tone: 'stopped' },
  interrupted: { icon: '⚠', label: 'interrupted', tone: 'warn' },
};

export function statusLook(status: RunStatus): StatusLook {
  return STATUS_LOOK[status];
}
