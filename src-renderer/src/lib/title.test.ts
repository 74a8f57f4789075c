import { describe, expect, it } from 'vitest';
import { jobLabel, percentOf, PRODUCT_TITLE, windowTitle } from './title';

describe('window title', () => {
  it('is the product name when nothing runs', () => {
    expect(windowTitle([])).toBe(PRODUCT_TITLE);
  });

  it('shows the percentage and the kind of the one job running', () => {
    expect(windowTitle([{ runId: 'a', fraction: 0.42, label: 'Learn' }])).toBe('42% · Learn · Sparseland Studio');
    expect(windowTitle([{ runId: 'a', fraction: null, label: 'Pursuit' }])).toBe('… · Pursuit · Sparseland Studio');
  });

  it('with several jobs, shows the one furthest behind and how many more', () => {
    const t = windowTitle([
      { runId: 'a', fraction: 0.9, label: 'Pursuit' },
      { runId: 'b', fraction: 0.1, label: 'Learn' },
      { runId: 'c', fraction: 0.5, label: 'Phase transition' },
    ]);
    expect(t).toBe('10% · Learn (+2) · Sparseland Studio');
  });

  it('never rounds a running job up to 100 %, and clamps nonsense', () => {
    expect(percentOf(0.999)).toBe(99);
    expect(percentOf(1)).toBe(100);
    expect(percentOf(-0.5)).toBe(0);
    expect(percentOf(Number.NaN)).toBe(0);
    expect(percentOf(0.125)).toBe(12);
  });

  it('names the kinds as the views do', () => {
    expect([jobLabel('pursuit'), jobLabel('learning'), jobLabel('phase'), jobLabel(undefined)]).toEqual(['Pursuit', 'Learn', 'Phase transition', 'Pursuit']);
  });
});
