/**
 * Exponential moving average with TensorBoard's debiasing, for smoothing noisy metric curves.
 *
 * A plain EMA starts at 0 and drags the first values towards it; dividing by 1 − wⁿ (n: values seen so far)
 * removes that bias, so the first value is kept and a constant series stays constant for every weight.
 * Non-finite values (NaN, ±Inf: a diverged step) are passed through where they are and do not enter the
 * average, so one bad step neither poisons the rest of the curve nor shifts the points after it in x.
 */

/** The largest weight the UI offers: at 1 the average would never move. */
export const MAX_SMOOTHING = 0.99;

/** Clamps a smoothing weight to [0, MAX_SMOOTHING]; anything not a finite number means no smoothing. */
export function clampSmoothing(weight: number): number {
  if (!Number.isFinite(weight) || weight <= 0) return 0;
  return Math.min(weight, MAX_SMOOTHING);
}

/** The debiased EMA of `values` with weight `weight` (0: the values themselves). Same length, same order. */
export function emaSmooth(values: readonly number[], weight: number): number[] {
  const w = clampSmoothing(weight);
  if (w === 0) return values.slice();
  const out = new Array<number>(values.length);
  let accumulated = 0;
  let seen = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    accumulated = accumulated * w + (1 - w) * v;
    seen++;
    out[i] = accumulated / (1 - Math.pow(w, seen));
  }
  return out;
}

/** Smooths the y values of (x, y) points, keeping every x. */
export function emaSmoothPoints(points: readonly (readonly [number, number])[], weight: number): [number, number][] {
  const ys = emaSmooth(
    points.map((p) => p[1]),
    weight,
  );
  return points.map((p, i) => [p[0], ys[i]!]);
}
