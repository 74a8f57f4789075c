/**
 * The coherence-based guarantees of Sparseland, CSC and ML-CSC as plain functions of the measured
 * quantities (μ, stripe / patch sparsities, noise norms, code extremes):
 * - uniqueness and OMP/BP success, ‖α‖₀ (or ‖Γ‖^s_{0,∞}) < ½(1 + 1/μ): Donoho & Elad 2003, Tropp 2004;
 *   the local version: Papyan, Sulam & Elad 2017, "Working locally thinking globally", Part I (slides 001);
 * - BP stability in Sparseland: Donoho, Elad & Temlyakov 2006;
 * - stability of OMP and of Lagrangian BP for CSC: Papyan, Sulam & Elad 2017, Part II (slides 001);
 * - layered thresholding (the CNN forward pass) and layered BP for ML-CSC: Papyan, Romano & Elad 2017
 *   (JMLR; 003 Theorem 2; slides 000 "Success of the Layered-THR" and "Success of the Layered BP").
 * Conditions are strict inequalities, as stated in the sources. An error bound whose denominator is not
 * positive is returned as Infinity (the theorem then says nothing).
 */

export interface Citation {
  name: string;
  source: string;
}

export interface SparsityBound {
  bound: number;
  /** sparsity < bound. */
  holds: (sparsity: number) => boolean;
  theorem: Citation;
}

const PSE_I = 'Papyan, Sulam & Elad 2017, "Working locally thinking globally", Part I';
const PSE_II = 'Papyan, Sulam & Elad 2017, "Working locally thinking globally", Part II';
const PRE = 'Papyan, Romano & Elad 2017, "Convolutional neural networks analyzed via convolutional sparse coding" (JMLR)';

function checkMu(mu: number): void {
  if (!(mu >= 0 && mu <= 1)) throw new RangeError(`mutual coherence must lie in [0, 1], got ${mu}`);
}

function checkNonNegative(values: Record<string, number>): void {
  for (const [k, v] of Object.entries(values)) if (!(v >= 0)) throw new RangeError(`${k} must be a non-negative number, got ${v}`);
}

/** x/μ with the orthogonal case μ = 0 read as a limit: ±∞ for x ≠ 0, and 0 for x = 0 (no effect). */
function overMu(x: number, mu: number): number {
  if (mu > 0) return x / mu;
  return x === 0 ? 0 : x > 0 ? Infinity : -Infinity;
}

/** √(num/den), or Infinity when the denominator is not positive. */
function sqrtRatio(num: number, den: number): number {
  return den > 0 ? Math.sqrt(num / den) : Infinity;
}

function half(mu: number, factor: number): number {
  checkMu(mu);
  return factor * (1 + overMu(1, mu));
}

function sparsityBound(bound: number, theorem: Citation): SparsityBound {
  return { bound, holds: (sparsity: number) => sparsity < bound, theorem };
}

/** ½(1 + 1/μ): a representation this sparse (globally, or ‖Γ‖^s_{0,∞} for CSC) is the unique sparsest one. */
export function uniquenessBound(mu: number): SparsityBound {
  return sparsityBound(half(mu, 0.5), {
    name: 'Uniqueness via mutual coherence (ℓ0; for CSC, ℓ0,∞ stripe sparsity)',
    source: `Donoho & Elad 2003; ${PSE_I}`,
  });
}

/** ½(1 + 1/μ): OMP and BP recover such a representation exactly (noiseless). */
export function pursuitSuccessBound(mu: number): SparsityBound {
  return sparsityBound(half(mu, 0.5), {
    name: 'Success of OMP and BP via mutual coherence (ℓ0; for CSC, ℓ0,∞ stripe sparsity)',
    source: `Tropp 2004; Donoho & Elad 2003; ${PSE_I}`,
  });
}

export interface OmpStabilityInput {
  mu: number;
  /** ‖Γ‖^s_{0,∞}. */
  stripe: number;
  /** ‖E‖^p_{2,∞}. */
  noisePatch: number;
  /** ‖E‖₂. */
  noiseEnergy: number;
  /** |Γ_min|, the smallest non-zero magnitude of Γ. */
  gammaMin: number;
}

/**
 * OMP run for ‖Γ‖₀ steps on Y = DΓ + E finds supp(Γ) and ‖Γ_OMP − Γ‖₂² ≤ ‖E‖₂²/(1 − (‖Γ‖^s − 1)μ) when
 * ‖Γ‖^s_{0,∞} < ½(1 + 1/μ) − (1/μ)·‖E‖^p_{2,∞}/|Γ_min|.
 */
export function ompStability(o: OmpStabilityInput): { condition: number; holds: boolean; errorBound: number; theorem: Citation } {
  checkMu(o.mu);
  checkNonNegative({ stripe: o.stripe, noisePatch: o.noisePatch, noiseEnergy: o.noiseEnergy, gammaMin: o.gammaMin });
  const condition = 0.5 + overMu(0.5 - (o.noisePatch === 0 ? 0 : o.noisePatch / o.gammaMin), o.mu);
  const errorBound = sqrtRatio(o.noiseEnergy * o.noiseEnergy, 1 - (o.stripe - 1) * o.mu);
  return {
    condition,
    holds: o.stripe < condition,
    errorBound,
    theorem: { name: 'Stability of OMP (CSC, ℓ0,∞ / ℓ2,∞)', source: `${PSE_II}; slides 001 "Stability of OMP"` },
  };
}

/**
 * Lagrangian BP with λ = 4‖E‖^p_{2,∞} and ‖Γ‖^s_{0,∞} < ⅓(1 + 1/μ): supp(Γ_BP) ⊆ supp(Γ),
 * ‖Γ_BP − Γ‖_∞ ≤ 7.5‖E‖^p_{2,∞}, every entry larger than that is found, and Γ_BP is unique.
 */
export function bpStability(o: { mu: number; stripe: number; noisePatch: number }): {
  lambda: number;
  condition: number;
  holds: boolean;
  linfBound: number;
  theorem: Citation;
} {
  checkNonNegative({ stripe: o.stripe, noisePatch: o.noisePatch });
  const condition = half(o.mu, 1 / 3);
  return {
    lambda: 4 * o.noisePatch,
    condition,
    holds: o.stripe < condition,
    linfBound: 7.5 * o.noisePatch,
    theorem: { name: 'Stability of Lagrangian BP (CSC, ℓ0,∞ / ℓ2,∞)', source: `${PSE_II}; slides 001 "Stability of Lagrangian BP"` },
  };
}

/** Sparseland BP stability: y = Dα + v, ‖v‖₂ ≤ ε, ‖α‖₀ < ¼(1 + 1/μ) ⇒ ‖α̂ − α‖₂² ≤ 4ε²/(1 − μ(4‖α‖₀ − 1)). */
export function sparselandBpStability(o: { mu: number; nnz: number; noiseNorm: number }): {
  condition: number;
  holds: boolean;
  errorBound: number;
  theorem: Citation;
} {
  checkNonNegative({ nnz: o.nnz, noiseNorm: o.noiseNorm });
  const condition = half(o.mu, 0.25);
  return {
    condition,
    holds: o.nnz < condition,
    errorBound: sqrtRatio(4 * o.noiseNorm * o.noiseNorm, 1 - o.mu * (4 * o.nnz - 1)),
    theorem: { name: 'Stability of BP (ℓ0, ℓ2 noise)', source: 'Donoho, Elad & Temlyakov 2006' },
  };
}

export interface ThresholdingLayerInput {
  /** μ(D_i). */
  mu: number;
  /** ‖Γ_i‖^s_{0,∞}. */
  stripe: number;
  /** ‖Γ_i‖^p_{0,∞}, over the window of codePatchWindow(layers, i). */
  patch: number;
  /** |Γ_i^min| and |Γ_i^max| over the non-zeros of Γ_i. */
  gammaMin: number;
  gammaMax: number;
  /** The threshold β_i actually used; default the midpoint of the admissible range. */
  beta?: number;
}

export interface ThresholdingLayerBound {
  /** ½(1 + (1/μ_i)|Γmin|/|Γmax|) − (1/μ_i)·ε_{i−1}/|Γmax|; the layer needs ‖Γ_i‖^s_{0,∞} below it. */
  condition: number;
  /** stripe < condition and β inside the admissible range. */
  holds: boolean;
  /** [lo, hi): thresholds that zero every off-support entry and keep every on-support one. */
  thresholdRange: [number, number];
  beta: number;
  /** ε_i, the bound on ‖Γ̂_i − Γ_i‖^p_{2,∞}. */
  epsilon: number;
}

/**
 * Stability of layered thresholding Γ̂_i = T_{β_i}(D_iᵀΓ̂_{i−1}), Γ̂_0 = Y (003, Theorem 2; the hard version
 * in slides 000 "Success of the Layered-THR"). ε_0 = ‖E‖^p_{2,∞}.
 *
 * Why the threshold range: write Γ̂_{i−1} = Γ_{i−1} + E_{i−1} = D_iΓ_i + E_{i−1}. Entry k of D_iᵀΓ̂_{i−1} is
 *   Γ_i[k] + Σ_{j≠k} (d_kᵀd_j)Γ_i[j] + d_kᵀE_{i−1}.
 * Only atoms overlapping atom k contribute to the sum, and those are the stripe of the patch under atom k,
 * so at most s − 1 non-zeros on the support (s counts k itself) and at most s off it, each |d_kᵀd_j| ≤ μ
 * and |Γ_i[j]| ≤ |Γmax|. A unit atom sees only the noise in its footprint, |d_kᵀE| ≤ ‖R_kE‖₂ ≤ ε_{i−1}. So
 *   on the support |·| ≥ |Γmin| − (s−1)μ|Γmax| − ε_{i−1},  off it |·| ≤ sμ|Γmax| + ε_{i−1},
 * and any β with sμ|Γmax| + ε_{i−1} ≤ β < |Γmin| − (s−1)μ|Γmax| − ε_{i−1} keeps exactly the support (a
 * threshold zeroes |x| ≤ β). That range is non-empty iff (2s−1)μ|Γmax| < |Γmin| − 2ε_{i−1}, which is the
 * theorem's condition rearranged. On the support the error is then at most ε_{i−1} + (s−1)μ|Γmax| plus the
 * shrinkage β (soft only); a Γ_i-patch holds at most ‖Γ_i‖^p_{0,∞} such errors, hence ε_i.
 * The bounds assume unit-norm, complete atoms (pad 0 or atoms wholly inside the input): truncated border
 * atoms have smaller norms and partial inner products that μ does not bound.
 */
export function layeredThresholding(
  layers: readonly ThresholdingLayerInput[],
  eps0: number,
  kind: 'soft' | 'hard' = 'soft',
): { layers: ThresholdingLayerBound[]; holds: boolean; theorem: Citation } {
  checkNonNegative({ eps0 });
  let eps = eps0;
  const out: ThresholdingLayerBound[] = [];
  for (const [i, l] of layers.entries()) {
    checkMu(l.mu);
    checkNonNegative({ [`layer ${i + 1} stripe`]: l.stripe, [`layer ${i + 1} patch`]: l.patch, [`layer ${i + 1} gammaMin`]: l.gammaMin });
    if (!(l.gammaMax > 0 && l.gammaMax >= l.gammaMin)) {
      throw new RangeError(`layer ${i + 1}: gammaMax must be positive and at least gammaMin, got ${l.gammaMax} (gammaMin ${l.gammaMin})`);
    }
    const condition = 0.5 + overMu(0.5 * l.gammaMin - eps, l.mu * l.gammaMax);
    const lo = l.stripe * l.mu * l.gammaMax + eps;
    const hi = l.gammaMin - (l.stripe - 1) * l.mu * l.gammaMax - eps;
    const beta = l.beta ?? (lo + hi) / 2;
    const holds = l.stripe < condition && beta >= lo && beta < hi;
    const cross = l.stripe > 1 ? l.mu * (l.stripe - 1) * l.gammaMax : 0;
    const epsilon = Math.sqrt(l.patch) * (eps + cross + (kind === 'soft' ? beta : 0));
    out.push({ condition, holds, thresholdRange: [lo, hi], beta, epsilon });
    eps = epsilon;
  }
  return {
    layers: out,
    holds: out.every((l) => l.holds),
    theorem: {
      name: kind === 'soft' ? 'Stability of the layered soft thresholding (CNN forward pass)' : 'Success of the layered hard thresholding',
      source: `${PRE}; source 003, Theorem 2; slides 000 "Success of the Layered-THR"`,
    },
  };
}

/**
 * Stability of layered BP (Γ_i = argmin ½‖Γ̂_{i−1} − D_iΓ‖² + ξ_i‖Γ‖₁): with ξ_i = 4ε_{i−1} and
 * ‖Γ_i‖^s_{0,∞} < ⅓(1 + 1/μ_i), each layer is the CSC BP-stability result applied to a noisy Γ_{i−1}:
 * ‖·‖_∞ ≤ 7.5ε_{i−1} on a support inside supp(Γ_i), so ε_i = 7.5·ε_{i−1}·√‖Γ_i‖^p_{0,∞}
 * (= 7.5^i ε_0 ∏_{j≤i} √‖Γ_j‖^p_{0,∞}).
 */
export function layeredBp(
  layers: readonly { mu: number; stripe: number; patch: number }[],
  eps0: number,
): { layers: { condition: number; holds: boolean; xi: number; epsilon: number }[]; holds: boolean; theorem: Citation } {
  checkNonNegative({ eps0 });
  let eps = eps0;
  const out: { condition: number; holds: boolean; xi: number; epsilon: number }[] = [];
  for (const [i, l] of layers.entries()) {
    checkNonNegative({ [`layer ${i + 1} stripe`]: l.stripe, [`layer ${i + 1} patch`]: l.patch });
    const condition = half(l.mu, 1 / 3);
    const epsilon = 7.5 * eps * Math.sqrt(l.patch);
    out.push({ condition, holds: l.stripe < condition, xi: 4 * eps, epsilon });
    eps = epsilon;
  }
  return {
    layers: out,
    holds: out.every((l) => l.holds),
    theorem: { name: 'Stability of the layered BP', source: `${PRE}; slides 000 "Success of the Layered BP"` },
  };
}
