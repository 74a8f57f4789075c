import { describe, expect, it } from 'vitest';
import { nearestStop, snapshotAtOrBefore, unionIterations } from './compare-snapshots';

describe('snapshots on one slider', () => {
  it('takes the sorted union of the runs iterations', () => {
    expect(unionIterations([[10, 2, 4], [3, 4, 9], []])).toEqual([2, 3, 4, 9, 10]);
    expect(unionIterations([[1.5, -1, Number.NaN, 0]])).toEqual([0]);
  });

  it('shows each run its last snapshot at or before the step', () => {
    const a = [2, 4, 6, 8, 10];
    const b = [3, 9];
    expect([snapshotAtOrBefore(a, 9), snapshotAtOrBefore(b, 9)]).toEqual([8, 9]);
    expect([snapshotAtOrBefore(a, 2), snapshotAtOrBefore(b, 2)]).toEqual([2, undefined]);
    expect(snapshotAtOrBefore(b, 100)).toBe(9);
    // Order of the list does not matter.
    expect(snapshotAtOrBefore([9, 3], 5)).toBe(3);
  });

  it('snaps a step to the nearest stop, the last one by default', () => {
    expect(nearestStop([2, 4, 10], null)).toBe(10);
    expect(nearestStop([2, 4, 10], 6)).toBe(4);
    expect(nearestStop([2, 4, 10], 8)).toBe(10);
    expect(nearestStop([], 3)).toBeUndefined();
  });
});
