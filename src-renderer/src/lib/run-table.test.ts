import { describe, expect, it } from 'vitest';
import type { RunStatus, RunSummary } from '../../../src-shared/contract';
import { allTags, ariaSort, filterRows, nextSort, NO_FILTER, runRow, sortRows, statusLook, valueColumns, type RunRow } from './run-table';

function summary(id: string, extra: Partial<RunSummary> = {}): RunSummary {
  return { id, name: id, kind: 'learning', algorithm: 'ksvd', status: 'finished', createdAt: '2026-01-01T00:00:00Z', iterations: 10, ...extra };
}

const rows: RunRow[] = [
  runRow(summary('a', { name: 'run 10', finalObjective: 3, createdAt: '2026-01-03T00:00:00Z', tags: ['baseline'] }), { psnr: 30 }),
  runRow(summary('b', { name: 'run 9', finalObjective: undefined, status: 'running', algorithm: 'cdl', notes: 'Tried a bigger kernel' }), {}),
  runRow(summary('c', { name: 'Run 2', finalObjective: 1, createdAt: 'not a date', tags: ['baseline', 'sweep'], kind: 'pursuit', algorithm: 'fista' }), { psnr: 28, ssim: 0.9 }),
  runRow(summary('d', { name: 'run 1', finalObjective: 2, status: 'failed', createdAt: '2026-01-02T00:00:00Z' }), { psnr: Number.NaN }),
];
const ids = (rs: readonly RunRow[]) => rs.map((r) => r.id);

describe('sortRows', () => {
  it('sorts numbers both ways with missing values last in either direction', () => {
    expect(ids(sortRows(rows, { key: 'finalObjective', direction: 'asc' }))).toEqual(['c', 'd', 'a', 'b']);
    expect(ids(sortRows(rows, { key: 'finalObjective', direction: 'desc' }))).toEqual(['a', 'd', 'c', 'b']);
    // NaN counts as missing.
    expect(ids(sortRows(rows, { key: 'value:psnr', direction: 'asc' }))).toEqual(['c', 'a', 'b', 'd']);
    expect(ids(sortRows(rows, { key: 'value:psnr', direction: 'desc' }))).toEqual(['a', 'c', 'b', 'd']);
  });

  it('sorts names naturally and case-insensitively, dates with unparseable ones last', () => {
    expect(ids(sortRows(rows, { key: 'name', direction: 'asc' }))).toEqual(['d', 'c', 'b', 'a']);
    expect(ids(sortRows(rows, { key: 'created', direction: 'desc' }))).toEqual(['a', 'd', 'b', 'c']);
  });

  it('is stable and does not change its input', () => {
    const before = ids(rows);
    expect(ids(sortRows(rows, { key: 'iterations', direction: 'desc' }))).toEqual(before);
    expect(ids(rows)).toEqual(before);
  });

  it('orders statuses live first, failures last; tags with untagged runs last', () => {
    expect(ids(sortRows(rows, { key: 'status', direction: 'asc' }))).toEqual(['b', 'a', 'c', 'd']);
    expect(ids(sortRows(rows, { key: 'tags', direction: 'asc' }))).toEqual(['a', 'c', 'b', 'd']);
  });
});

describe('nextSort / ariaSort', () => {
  it('flips the same column, starts a new one in its natural direction', () => {
    const s = nextSort({ key: 'name', direction: 'asc' }, 'name');
    expect(s).toEqual({ key: 'name', direction: 'desc' });
    expect(nextSort(s, 'created')).toEqual({ key: 'created', direction: 'desc' });
    expect(nextSort(s, 'algorithm')).toEqual({ key: 'algorithm', direction: 'asc' });
    expect(ariaSort(s, 'name')).toBe('descending');
    expect(ariaSort(s, 'kind')).toBe('none');
  });
});

describe('filterRows', () => {
  it('matches every word of the text in name, tags, algorithm or notes', () => {
    expect(ids(filterRows(rows, { ...NO_FILTER, text: 'CDL' }))).toEqual(['b']);
    expect(ids(filterRows(rows, { ...NO_FILTER, text: 'bigger kernel' }))).toEqual(['b']);
    expect(ids(filterRows(rows, { ...NO_FILTER, text: 'sweep' }))).toEqual(['c']);
    expect(ids(filterRows(rows, { ...NO_FILTER, text: 'run 1' }))).toEqual(['a', 'd']);
    expect(ids(filterRows(rows, { ...NO_FILTER, text: 'baseline fista' }))).toEqual(['c']);
    expect(ids(filterRows(rows, { ...NO_FILTER, text: '  ' }))).toEqual(ids(rows));
    expect(filterRows(rows, { ...NO_FILTER, text: 'nothing-like-this' })).toEqual([]);
  });

  it('filters by status and requires every chosen tag', () => {
    expect(ids(filterRows(rows, { ...NO_FILTER, statuses: ['running', 'failed'] }))).toEqual(['b', 'd']);
    expect(ids(filterRows(rows, { ...NO_FILTER, tags: ['baseline'] }))).toEqual(['a', 'c']);
    expect(ids(filterRows(rows, { ...NO_FILTER, tags: ['baseline', 'sweep'] }))).toEqual(['c']);
    expect(ids(filterRows(rows, { text: 'run', statuses: ['finished'], tags: ['baseline'] }))).toEqual(['a', 'c']);
  });
});

describe('columns and looks', () => {
  it('lists value columns in display order and every tag once', () => {
    expect(valueColumns(rows)).toEqual(['psnr', 'ssim']);
    expect(allTags(rows)).toEqual(['baseline', 'sweep']);
  });

  it('gives every status its own icon and label', () => {
    const all: RunStatus[] = ['queued', 'running', 'finished', 'failed', 'cancelled', 'interrupted'];
    expect(new Set(all.map((s) => statusLook(s).icon)).size).toBe(all.length);
    expect(all.map((s) => statusLook(s).label)).toEqual(all);
    expect(statusLook('running').tone).toBe('live');
  });

  it('falls back to the id for an unnamed run', () => {
    expect(runRow(summary('x', { name: '' })).name).toBe('x');
    expect(runRow(summary('x', { createdAt: 'bad' })).created).toBeUndefined();
  });
});
