/**
 * Reference shrinkage operators of sparse coding, element-wise on float64:
 *   hard             H_β(x)  = x · 1[|x| > β]
 *   soft             S_β(x)  = sign(x) · max(|x| − β, 0)
 *   soft, non-neg.   S⁺_β(x) = max(x − β, 0)
 * β is a scalar, a length-1 array, or an array as long as x (one threshold per element). Channel-wise
 * thresholds are expanded by the caller.
 */

export type Beta = number | Float64Array | readonly number[];

function betaAt(beta: Beta, n: number, what: string): (i: number) => number {
  if (typeof beta === 'number') return () => beta;
  if (beta.length === 1) {
    const b = beta[0]!;
    return () => b;
  }
  if (beta.length !== n) throw new Error(`reference ${what}: β has ${beta.length} entries, expected 1 or ${n}`);
  return (i) => beta[i]!;
}

/** H_β(x) = x·1[|x| > β]: keeps exactly the entries whose magnitude strictly exceeds β. */
export function hardThreshold(x: Float64Array, beta: Beta): Float64Array {
  const b = betaAt(beta, x.length, 'hardThreshold');
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    // A NaN input stays NaN (x·0 is NaN in IEEE arithmetic), so the reference never hides a NaN.
    out[i] = Math.abs(v) > b(i) || Number.isNaN(v) ? v : 0;
  }
  return out;
}

/** S_β(x) = sign(x)·max(|x| − β, 0), the proximal map of β‖·‖₁. */
export function softThreshold(x: Float64Array, beta: Beta): Float64Array {
  const b = betaAt(beta, x.length, 'softThreshold');
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    const m = Math.abs(v) - b(i);
    // `!(m <= 0)` rather than Math.max: the zero is +0 whatever the sign of x, and NaN propagates.
    out[i] = !(m <= 0) ? Math.sign(v) * m : 0;
  }
  return out;
}

/** S⁺_β(x) = max(x − β, 0), the proximal map of β‖·‖₁ plus the indicator of x ≥ 0. */
export function softThresholdNonNeg(x: Float64Array, beta: Beta): Float64Array {
  const b = betaAt(beta, x.length, 'softThresholdNonNeg');
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const m = x[i]! - b(i);
    out[i] = !(m <= 0) ? m : 0; // NaN propagates
  }
  return out;
}
