/**
 * One step slider for the atoms of several runs: its stops are the union of the iterations at which any of
 * the runs saved a snapshot, and each run shows its last snapshot at or before the step (runs saved on
 * different schedules, or that stopped early, still line up on the same step).
 */

/** Sorted, distinct, finite non-negative iterations of all the runs. */
export function unionIterations(lists: readonly (readonly number[])[]): number[] {
  return [...new Set(lists.flat().filter((i) => Number.isInteger(i) && i >= 0))].sort((a, b) => a - b);
}

/** The last of `iterations` at or before `step`; undefined when the run had none yet. */
export function snapshotAtOrBefore(iterations: readonly number[], step: number): number | undefined {
  let best: number | undefined;
  for (const i of iterations) if (i <= step && (best === undefined || i > best)) best = i;
  return best;
}

/** The slider's stop nearest to `step` (the last stop when no step was chosen yet). */
export function nearestStop(stops: readonly number[], step: number | null): number | undefined {
  if (!stops.length) return undefined;
  if (step === null) return stops[stops.length - 1];
  let best = stops[0]!;
  for (const s of stops) if (Math.abs(s - step) < Math.abs(best - step)) best = s;
  return best;
}
