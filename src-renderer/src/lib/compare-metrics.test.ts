import { describe, expect, it } from 'vitest';
import type { RunMetrics } from '../../../src-shared/contract';
import { appendRecord, cumulativeSeconds, finalValues, hasDeeperLayers, metricKeys, metricLabel, metricPoints, normalizeRecords, unionMetricKeys } from './compare-metrics';

const rec = (iteration: number, seconds: number, extra: Partial<RunMetrics> = {}): RunMetrics => ({ iteration, objective: 100 / iteration, density: [0.1, 0.2], seconds, layer: 1, values: { psnr: 20 + iteration, secondsPerIteration: 0.1 }, ...extra });

describe('records', () => {
  it('appends in order and lets a repeated iteration supersede everything from it on', () => {
    let l = [rec(1, 1), rec(2, 2), rec(3, 3), rec(4, 4)];
    l = appendRecord(l, rec(3, 0.5));
    expect(l.map((m) => [m.iteration, m.seconds])).toEqual([
      [1, 1],
      [2, 2],
      [3, 0.5],
    ]);
    // Idempotent for duplicates (an event that repeats what runs.get returned).
    expect(appendRecord(l, rec(3, 0.5))).toEqual(l);
    expect(normalizeRecords([rec(1, 1), rec(2, 2), rec(2, 2), rec(3, 3)]).map((m) => m.iteration)).toEqual([1, 2, 3]);
  });

  it('makes wall time cumulative across a resume whose clock restarts', () => {
    expect(cumulativeSeconds([rec(1, 1), rec(2, 2), rec(3, 0.5), rec(4, 1.5)])).toEqual([1, 2, 2.5, 3.5]);
    expect(cumulativeSeconds([])).toEqual([]);
  });
});

describe('metric series', () => {
  const multi = [rec(1, 1, { layer: 1 }), rec(1, 1.5, { layer: 2, objective: 7 }), rec(2, 2, { layer: 1, values: { psnr: Number.NaN, ssim: 0.5 } })];

  it('lists the metrics in display order', () => {
    expect(metricKeys(multi)).toEqual(['objective@1', 'objective@2', 'density@1', 'density@2', 'value:psnr', 'value:ssim', 'value:secondsPerIteration']);
    expect(unionMetricKeys([[rec(1, 1, { density: [0.1], values: { rmse: 1 } })], [rec(1, 1, { density: [0.1], values: { psnr: 2 } })]])).toEqual(['objective@1', 'density@1', 'value:psnr', 'value:rmse']);
    expect(hasDeeperLayers(metricKeys(multi))).toBe(true);
    expect(metricLabel('objective@2', true)).toBe('Objective, layer 2');
    expect(metricLabel('objective@1', false)).toBe('Objective');
    expect(metricLabel('value:psnr', false)).toBe('PSNR (dB)');
  });

  it('takes the points of one metric, x by step or by cumulative wall time, non-finite y kept in place', () => {
    expect(metricPoints(multi, 'objective@2', 'step')).toEqual([[1, 7]]);
    expect(metricPoints(multi, 'objective@1', 'step')).toEqual([
      [1, 100],
      [2, 50],
    ]);
    const psnr = metricPoints(multi, 'value:psnr', 'time');
    expect(psnr.map((p) => p[0])).toEqual([1, 1.5, 2]);
    expect(psnr[2]![1]).toBeNaN();
    expect(metricPoints(multi, 'value:ssim', 'step')).toEqual([[2, 0.5]]);
    expect(metricPoints(multi, 'density@2', 'step').map((p) => p[1])).toEqual([0.2, 0.2, 0.2]);
  });

  it('takes the last finite value of each figure', () => {
    expect(finalValues(multi)).toEqual({ psnr: 21, ssim: 0.5, secondsPerIteration: 0.1 });
    expect(finalValues([])).toEqual({});
  });
});
