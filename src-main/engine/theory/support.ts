/**
 * How well an estimated code matches the truth: the quantities the recovery theorems speak about (support
 * recovery, "every entry greater than … is found", ℓ2/ℓ∞ errors: Tropp 2004; Donoho, Elad & Temlyakov 2006;
 * Papyan, Sulam & Elad 2017, "Working locally thinking globally", Part II; Papyan, Romano & Elad 2017).
 */
import type { Real } from './types';

export interface SupportRecovery {
  /** |supp(truth)|: entries ≠ 0. */
  truth: number;
  /** |supp(estimate)|: entries with |v| > tolerance. */
  found: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  /** truePositives / found; 1 when nothing was found (no false claim was made). */
  precision: number;
  /** truePositives / truth; 1 when the truth is empty (nothing was missed). */
  recall: number;
  /** The supports are identical. */
  exact: boolean;
}

function sameLength(truth: Real, estimate: Real): void {
  if (truth.length !== estimate.length) throw new RangeError(`truth has ${truth.length} entries, the estimate ${estimate.length}`);
}

export function supportRecovery(truth: Real, estimate: Real, tolerance = 0): SupportRecovery {
  sameLength(truth, estimate);
  let t = 0;
  let f = 0;
  let tp = 0;
  for (let k = 0; k < truth.length; k++) {
    const inT = truth[k] !== 0;
    const inE = Math.abs(estimate[k]!) > tolerance;
    if (inT) t++;
    if (inE) f++;
    if (inT && inE) tp++;
  }
  const fp = f - tp;
  const fn = t - tp;
  return {
    truth: t,
    found: f,
    truePositives: tp,
    falsePositives: fp,
    falseNegatives: fn,
    precision: f === 0 ? 1 : tp / f,
    recall: t === 0 ? 1 : tp / t,
    exact: fp === 0 && fn === 0,
  };
}

/**
 * Whether the k = nnz(truth) largest |estimate| entries are exactly supp(truth), i.e. whether a pursuit told
 * the true sparsity would pick the right atoms. Every on-support magnitude must beat every off-support one
 * strictly: a tie means the choice is arbitrary, which counts as failure. With k = 0 the estimate must be
 * all zero; with supp(truth) = everything there is no competitor and the answer is true.
 */
export function topKSupport(truth: Real, estimate: Real): boolean {
  sameLength(truth, estimate);
  let minOn = Infinity;
  let maxOff = -Infinity;
  let k = 0;
  for (let i = 0; i < truth.length; i++) {
    const v = Math.abs(estimate[i]!);
    if (truth[i] !== 0) {
      k++;
      if (v < minOn) minOn = v;
    } else if (v > maxOff) maxOff = v;
  }
  if (k === 0) return !(maxOff > 0);
  return minOn > maxOff;
}

/** ‖estimate − truth‖₂, that divided by ‖truth‖₂ (0 for 0/0, ∞ for x/0) and ‖estimate − truth‖_∞. */
export function errorNorms(truth: Real, estimate: Real): { l2: number; relative: number; linf: number } {
  sameLength(truth, estimate);
  let e2 = 0;
  let t2 = 0;
  let linf = 0;
  for (let k = 0; k < truth.length; k++) {
    const t = truth[k]!;
    const d = Math.abs(estimate[k]! - t);
    e2 += d * d;
    t2 += t * t;
    if (d > linf) linf = d;
  }
  const l2 = Math.sqrt(e2);
  const nt = Math.sqrt(t2);
  return { l2, relative: nt > 0 ? l2 / nt : l2 === 0 ? 0 : Infinity, linf };
}
