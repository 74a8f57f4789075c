import { describe, expect, it } from 'vitest';
import type { RunTheory } from '../../../src-shared/contract';
import { THEORY_FIGURES, theoryRows } from './compare-theory';

const layer = (l: number, extra: Partial<RunTheory['layers'][number]> = {}) => ({ layer: l, atoms: 8, channels: 1, kernel: 5, stride: 1, coherence: 0.25, welch: 0.1, sparsityBound: 2.5, ...extra });
const a: RunTheory = { runId: 'a', model: 'convolutional', layers: [layer(1, { stripeSparsity: 2, holds: true }), layer(2, { coherence: 0.5, sparsityBound: 1.5, stripeSparsity: 3, holds: false })] };
const b: RunTheory = { runId: 'b', model: 'convolutional', layers: [layer(1)] };

describe('theoryRows', () => {
  it('has a row per layer and figure, a cell per run', () => {
    const rows = theoryRows([a, b, undefined]);
    expect(rows).toHaveLength(2 * THEORY_FIGURES.length);
    expect(rows.map((r) => `${r.layer}:${r.figure}`).slice(0, 5)).toEqual(['1:coherence', '1:welch', '1:sparsityBound', '1:stripeSparsity', '1:holds']);
    for (const r of rows) expect(r.cells).toHaveLength(3);
  });

  it('shows the figures, ✓/✗, and dashes where a run has no value', () => {
    const rows = theoryRows([a, b]);
    const get = (l: number, f: string) => rows.find((r) => r.layer === l && r.figure === f)!.cells;
    expect(get(1, 'coherence').map((c) => c.text)).toEqual(['0.25', '0.25']);
    expect(get(2, 'sparsityBound').map((c) => c.text)).toEqual(['1.5', '—']);
    expect(get(1, 'stripeSparsity').map((c) => c.text)).toEqual(['2', '—']);
    expect(get(1, 'holds')).toEqual([{ text: '✓', holds: true }, { text: '—' }]);
    expect(get(2, 'holds')[0]).toEqual({ text: '✗', holds: false });
  });

  it('is empty without theories', () => {
    expect(theoryRows([undefined, undefined])).toEqual([]);
  });
});
