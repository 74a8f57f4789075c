import { describe, expect, it } from 'vitest';
import type { RunMetrics } from '../../../src-shared/contract';
import { appendMetrics, emptySeries, latestObjective, pointCount, seriesFromMetrics } from './metrics';

const m = (iteration: number, objective: number, density: number[], layer = density.length): RunMetrics => ({ iteration, objective, density, seconds: iteration / 100, layer });

describe('metric series', () => {
  it('keeps one density series per layer and one objective series for the deepest layer', () => {
    const s = seriesFromMetrics([m(10, 5, [0.5, 0.2]), m(20, 4, [0.4, 0.1]), m(30, 3.5, [0.3, 0.05])]);
    expect(s.objective).toEqual([{ layer: 2, points: [[10, 5], [20, 4], [30, 3.5]] }]);
    expect(s.density.map((d) => d.layer)).toEqual([1, 2]);
    expect(s.density[1]!.points).toEqual([[10, 0.2], [20, 0.1], [30, 0.05]]);
    expect(s.count).toBe(3);
    expect(s.seconds).toBeCloseTo(0.3);
    expect(latestObjective(s)).toBe(3.5);
    expect(pointCount(s.density)).toBe(6);
  });

  it('splits the objective by layer for layered BP, whose layers are solved one after another', () => {
    const s = seriesFromMetrics([m(50, 10, [0.4], 1), m(100, 8, [0.3], 1), m(150, 2, [0.3, 0.2], 2), m(200, 1.5, [0.3, 0.1], 2)]);
    expect(s.objective.map((o) => [o.layer, o.points.length])).toEqual([
      [1, 2],
      [2, 2],
    ]);
    // Layer 2's density starts when layer 2 is first reported.
    expect(s.density[1]!.points[0]).toEqual([150, 0.2]);
  });

  it('drops duplicates and stale points (events overlapping fetched metrics) without copying', () => {
    const s = seriesFromMetrics([m(10, 5, [0.5]), m(20, 4, [0.4])]);
    expect(appendMetrics(s, m(20, 4, [0.4]))).toBe(s);
    expect(appendMetrics(s, m(15, 9, [0.9]))).toBe(s);
    const next = appendMetrics(s, m(30, 3, [0.3]));
    expect(next).not.toBe(s);
    expect(next.objective[0]!.points.length).toBe(3);
    // The earlier object is not mutated (charts compare by identity).
    expect(s.objective[0]!.points.length).toBe(2);
  });

  it('ignores non-finite values but keeps the finite parts of a record', () => {
    const s = appendMetrics(emptySeries(), m(1, NaN, [0.5, Infinity]));
    expect(s.objective).toEqual([]);
    expect(s.density).toEqual([{ layer: 1, points: [[1, 0.5]] }]);
    expect(latestObjective(emptySeries())).toBeUndefined();
  });
});
