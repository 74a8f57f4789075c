import { describe, expect, it } from 'vitest';
import { float32Tensor } from '../../../src-shared/contract';
import { phaseResult, theoryReport } from '../testing/theory-fixtures';
import { gridCsv, seriesCsv } from './csv';
import {
  coherenceGrid,
  conditionText,
  dictionaryRows,
  fullerResult,
  gammaRatio,
  holdsSymbol,
  holdsWord,
  modelSummary,
  phaseBoundLines,
  phaseChartRange,
  phaseGrid,
  phaseSuccessSeries,
  signalSeries,
  verdictRows,
} from './theory-report';

describe('report tables', () => {
  it('puts each layer\'s dictionary beside its code, layers ascending', () => {
    const rows = dictionaryRows(theoryReport());
    expect(rows.map((r) => r.layer)).toEqual([1, 2]);
    expect(rows[0]).toMatchObject({ dictionary: { mu: 0.25 }, code: { stripe: 2 }, ratio: 0.25 });
    expect(gammaRatio({ gammaMin: 0, gammaMax: 0 })).toBeUndefined();
  });

  it('lists every pursuit × layer with the pursuit named on its first row', () => {
    const rows = verdictRows(theoryReport(['omp', 'bp', 'ml-fista']));
    expect(rows.map((r) => `${r.pursuit}:${r.layer}`)).toEqual(['omp:1', 'omp:2', 'bp:1', 'bp:2', 'ml-fista:1', 'ml-fista:2']);
    expect(rows.map((r) => r.first)).toEqual([true, false, true, false, true, false]);
    expect(rows[0]).toMatchObject({ span: 2, stripe: 2 });
    expect(conditionText(rows[0]!)).toBe('2 < 3');
    expect(conditionText(rows[3]!)).toBe('—');
  });

  it('writes the verdict as a symbol and a word', () => {
    expect([true, false, null].map((h) => holdsSymbol(h))).toEqual(['✓', '✗', '—']);
    expect([true, false, null].map((h) => holdsWord(h))).toEqual(['holds', 'fails', 'n/a']);
  });

  it('describes a model in one line', () => {
    expect(modelSummary({ kind: 'sparseland', n: 64, atoms: 128 })).toBe('Sparseland · n = 64 · 128 atoms');
    expect(modelSummary({ kind: 'convolutional', size: 256, layers: [{ filters: 2, kernel: 32, stride: 1 }] })).toBe('CSC 1-D · N = 256 · 2×32');
    expect(modelSummary({ kind: 'convolutional', dims: '2d', size: 28, layers: [{ filters: 4, kernel: 5, stride: 2 }, { filters: 8, kernel: 3, stride: 1 }], dictionaries: ['a', 'b'] })).toBe(
      'ML-CSC 2 layers 2-D · 28×28 · 4×5×5/2 → 8×3×3 · loaded',
    );
  });
});

describe('chart data', () => {
  it('turns a coherence tensor into a filter × filter grid, and its CSV into one row per pair', () => {
    const g = coherenceGrid({ coherence: float32Tensor([2, 2], Float32Array.from([1, 0.25, 0.25, 1])) });
    expect(g).toEqual({ xLabels: ['1', '2'], yLabels: ['1', '2'], values: [[1, 0.25], [0.25, 1]] });
    expect(gridCsv({ x: 'filter_j', y: 'filter_i', value: 'coherence' }, g.xLabels, g.yLabels, g.values).trim().split('\r\n')).toHaveLength(5);
  });

  it('lays a pursuit\'s success rates out as sparsity × noise, unfinished cells empty', () => {
    const g = phaseGrid(phaseResult(5), 1);
    expect(g.xLabels).toEqual(['1', '2', '3', '4']);
    expect(g.yLabels).toEqual(['0', '0.1']);
    expect(g.values[0]).toEqual([0.9, 0.65, 0.4, 0.15]);
    expect(g.values[1]).toEqual([0.7, null, null, null]);
  });

  it('plots success against sparsity at the first noise level, one series per pursuit', () => {
    const s = phaseSuccessSeries(phaseResult(3));
    expect(s.map((x) => x.name)).toEqual(['omp', 'layered-thr']);
    expect(s[0]!.points).toEqual([[1, 1], [2, 0.75], [3, 0.5]]);
    expect(seriesCsv('sparsity', s).split('\r\n')[0]).toBe('sparsity,omp,layered-thr');
  });

  it('marks the theorems\' limits, widening the x range only for limits near the grid', () => {
    const lines = phaseBoundLines(phaseResult());
    expect(lines).toEqual([{ x: 3, label: '½(1+1/μ) = 3' }, { x: 2, label: '⅓(1+1/μ) = 2' }]);
    expect(phaseChartRange([1, 2, 3, 4], lines)).toMatchObject({ min: 1, max: 4, hidden: [] });
    const far = phaseChartRange([1, 2], [{ x: 50.5, label: 'far' }, { x: 3.5, label: 'near' }]);
    expect(far).toMatchObject({ min: 1, max: 4, shown: [{ label: 'near' }], hidden: [{ label: 'far' }] });
    expect(phaseBoundLines({ bounds: { success: Infinity, bp: Infinity } })).toEqual([]);
  });

  it('gives a 1-D signal as clean, noisy and one series per pursuit; 2-D signals have none', () => {
    const report = theoryReport();
    const s = signalSeries(report)!;
    expect(s.map((x) => x.name)).toEqual(['clean', 'noisy', 'omp', 'layered-thr']);
    expect(s[0]!.points).toHaveLength(8);
    expect(signalSeries({ ...report, clean: float32Tensor([2, 2], new Float32Array(4)) })).toBeNull();
  });

  it('keeps the fuller of two grids of a run', () => {
    const partial = phaseResult(3);
    const full = phaseResult(8);
    expect(fullerResult(full, partial)).toBe(full);
    expect(fullerResult(partial, full)).toBe(full);
    expect(fullerResult(null, partial)).toBe(partial);
  });
});
