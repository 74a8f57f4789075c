import { describe, expect, it } from 'vitest';
import { RUN_TAGS_MAX, RunTag, type RunSummary } from '../../../src-shared/contract';
import { addTag, removeTag, runMatches, TAG_MAX_LENGTH } from './tags';

const run = (extra: Partial<RunSummary> = {}): RunSummary => ({ id: 'r-20260101-abc', name: 'baseline FISTA', kind: 'pursuit', algorithm: 'ml-fista', status: 'finished', createdAt: '2026-01-01T00:00:00Z', iterations: 10, ...extra });

describe('tags', () => {
  it('adds a trimmed tag, keeps the list when it is already there (any case), and removes one', () => {
    const a = addTag(['mnist'], '  lambda=0.1 ');
    expect(a).toEqual({ ok: true, tags: ['mnist', 'lambda=0.1'] });
    expect(addTag(['mnist'], 'MNIST')).toEqual({ ok: true, tags: ['mnist'] });
    expect(removeTag(['a', 'b', 'c'], 'b')).toEqual(['a', 'c']);
  });

  it('refuses what the contract refuses, and accepts exactly what it accepts', () => {
    const cases = ['', '   ', 'two\nlines', 'tab\there', 'x'.repeat(TAG_MAX_LENGTH), 'x'.repeat(TAG_MAX_LENGTH + 1), 'ünïcödé ok', 'a b'];
    for (const raw of cases) {
      const r = addTag([], raw);
      const trimmed = raw.trim();
      expect(r.ok, JSON.stringify(raw)).toBe(RunTag.safeParse(trimmed).success);
      if (!r.ok) expect(r.error.length).toBeGreaterThan(10);
    }
  });

  it('stops at the most tags a run may have', () => {
    const full = Array.from({ length: RUN_TAGS_MAX }, (_, i) => `t${i}`);
    const r = addTag(full, 'one more');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(String(RUN_TAGS_MAX));
    expect(addTag(full.slice(1), 'one more').ok).toBe(true);
  });
});

describe('run filter', () => {
  const tagged = run({ tags: ['Sweep-3', 'mnist'] });
  it('matches every word against name, id, algorithm, label, kind, status and tags, ignoring case', () => {
    expect(runMatches(tagged, '')).toBe(true);
    expect(runMatches(tagged, '  ')).toBe(true);
    expect(runMatches(tagged, 'baseline')).toBe(true);
    expect(runMatches(tagged, 'FISTA sweep')).toBe(true);
    expect(runMatches(tagged, 'abc')).toBe(true);
    expect(runMatches(tagged, 'finished')).toBe(true);
    expect(runMatches(tagged, 'baseline cifar')).toBe(false);
    expect(runMatches(run(), 'Multi-layer', 'Multi-layer FISTA')).toBe(true);
    expect(runMatches(run(), 'Multi-layer')).toBe(false);
  });

  it('#word looks in tags only', () => {
    expect(runMatches(tagged, '#mni')).toBe(true);
    expect(runMatches(tagged, '#baseline')).toBe(false);
    expect(runMatches(run(), '#mnist')).toBe(false);
  });
});
