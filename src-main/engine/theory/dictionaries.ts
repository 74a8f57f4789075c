/**
 * Random dictionaries of low mutual coherence, for the theory experiments (SCIENCE.md, Sparseland and CSC).
 *
 * - Sparseland: Gaussian unit-norm atoms, as in the K-SVD paper's synthetic experiment (Aharon, Elad &
 *   Bruckstein 2006), optionally made less coherent.
 * - Convolutional: unit-norm filters, optionally sparse (SCIENCE.md, ML-CSC: sparse filters keep the
 *   intermediate codes sparse; Sulam et al. 2018, `004`), optionally made less coherent. The CSC phase
 *   transition (`001`, "Phase Transition Experiment") uses "a dictionary with a low mutual coherence",
 *   m = 2, n = 64; the lectures do not say how it was built, so this module builds one by optimisation.
 *
 * Coherence reduction. μ = max |g| over the off-diagonal correlations g (dense: the Gram matrix; conv: all
 * filter pairs at all stride-multiple shifts, the definition of `filterCoherence`). The max is not smooth,
 * so we descend on f = Σ max(|g| − τ, 0)²: it only pushes on the correlations above τ, its gradient is
 * continuous, and it is zero exactly when μ ≤ τ. τ follows μ down (never more than 10% below it, never
 * below 96% of the target), so f chases the largest correlations, a smooth stand-in for μ itself. Each
 * step is a Riemannian gradient step on the product of unit spheres (gradient projected on the tangent
 * space, then every atom renormalised), with a backtracking step size so that each step lowers f. The best
 * dictionary seen (lowest μ) is returned. Equal-magnitude ('sign') filters cannot move continuously, so
 * for them a sign-flip local search on the same f is used instead.
 */
import { gaussian, mulberry32 } from '../../../src-shared/math/random';
import { gram, mat, normalizeColumns, type Mat } from '../learn/sparseland/dense';
import { denseCoherence, filterCoherence } from './coherence';

/** Fraction of the target the surrogate's threshold sits below it, so descent crosses the target. */
const MARGIN = 0.04;
/** The threshold never sits more than this fraction below the current μ (continuation, module comment). */
const RELAX = 0.1;

/**
 * The surrogate's threshold τ for the current μ: just below the target, but no further than RELAX below μ.
 * A low fixed τ makes f a sum over many moderate correlations whose local minima leave the largest one
 * high; keeping τ near μ makes f chase the few largest, a smooth stand-in for μ itself.
 */
function threshold(target: number, mu: number): number {
  return Math.max(target * (1 - MARGIN), mu * (1 - RELAX));
}

function positiveInteger(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
}

function checkTarget(o: { targetCoherence?: number; iterations?: number }): void {
  if (o.targetCoherence !== undefined && !(o.targetCoherence > 0 && o.targetCoherence < 1)) {
    throw new RangeError(`targetCoherence must lie in (0, 1), got ${o.targetCoherence}`);
  }
  if (o.iterations !== undefined && (!Number.isInteger(o.iterations) || o.iterations < 0)) {
    throw new RangeError(`iterations must be a non-negative integer, got ${o.iterations}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Sparseland (one dense dictionary)

/** f and μ of a Gram matrix; fills S with the hinge derivative ½∂f/∂g (sign·excess) off the diagonal. */
function denseSurrogate(G: Mat, tau: number, S: Float64Array | null): { f: number; mu: number } {
  const K = G.cols;
  let f = 0;
  let mu = 0;
  for (let j = 0; j < K; j++) {
    for (let i = 0; i < K; i++) {
      const g = i === j ? 0 : G.data[j * K + i]!;
      const a = Math.abs(g);
      if (a > mu) mu = a;
      const e = a - tau;
      if (e > 0) {
        f += e * e;
        if (S) S[j * K + i] = g > 0 ? e : -e;
      } else if (S) S[j * K + i] = 0;
    }
  }
  return { f, mu };
}

/**
 * An n×atoms dictionary with i.i.d. Gaussian entries and unit-ℓ2 columns. With `targetCoherence`, the
 * coherence is lowered by descent on Σ_{i≠j} max(|d_iᵀd_j| − τ, 0)² until μ ≤ target or `iterations`
 * (default 2000) gradient steps are spent. `mu` is the achieved coherence (denseCoherence).
 */
export function randomSparselandDictionary(
  n: number,
  atoms: number,
  seed: number,
  o: { targetCoherence?: number; iterations?: number } = {},
): { D: Mat; mu: number } {
  positiveInteger('n', n);
  positiveInteger('atoms', atoms);
  checkTarget(o);
  const g = gaussian(mulberry32(seed));
  const D = mat(n, atoms);
  for (let i = 0; i < D.data.length; i++) D.data[i] = g();
  normalizeColumns(D);
  const target = o.targetCoherence;
  if (target === undefined || atoms < 2) return { D, mu: denseCoherence(D) };
  const K = atoms;
  const S = new Float64Array(K * K);
  const grad = new Float64Array(n * K);
  let G = gram(D);
  let mu = denseSurrogate(G, 1, null).mu;
  let best = { data: D.data.slice(), mu };
  // Step size in units of the gradient; adapted (grow on success, halve on failure) so no tuning is needed.
  let step = 0;
  const maxIt = o.iterations ?? 2000;
  for (let it = 0; it < maxIt && mu > target; it++) {
    const tau = threshold(target, mu);
    const f = denseSurrogate(G, tau, S).f;
    if (step === 0) step = 0.5 / Math.max(1, Math.sqrt(f));
    // ∂f/∂d_i = 4 Σ_j S_ij d_j (f counts every pair twice), i.e. 4·D·S; project on the tangent of the sphere.
    grad.fill(0);
    for (let i = 0; i < K; i++) {
      const go = i * n;
      for (let j = 0; j < K; j++) {
        const s = S[i * K + j]!;
        if (s === 0) continue;
        const dj = j * n;
        for (let t = 0; t < n; t++) grad[go + t] += 4 * s * D.data[dj + t]!;
      }
      let r = 0;
      for (let t = 0; t < n; t++) r += grad[go + t]! * D.data[go + t]!;
      for (let t = 0; t < n; t++) grad[go + t] -= r * D.data[go + t]!;
    }
    let accepted = false;
    for (let tries = 0; tries < 30 && !accepted; tries++) {
      const trial = mat(n, K);
      for (let t = 0; t < trial.data.length; t++) trial.data[t] = D.data[t]! - step * grad[t]!;
      normalizeColumns(trial);
      const Gt = gram(trial);
      const next = denseSurrogate(Gt, tau, null);
      if (next.f < f) {
        D.data.set(trial.data);
        G = Gt;
        mu = next.mu;
        accepted = true;
        step *= 1.25;
      } else step *= 0.5;
    }
    if (!accepted) break;
    if (mu < best.mu) best = { data: D.data.slice(), mu };
  }
  D.data.set(best.data);
  return { D, mu: denseCoherence(D) };
}

// ---------------------------------------------------------------------------------------------------
// Convolutional filters

export interface FilterOptions {
  /** m, the number of filters. */
  filters: number;
  /** c, the channels of the layer's input. */
  channels: number;
  /** [kh, kw]; 1-D filters: [1, n]. */
  kernel: readonly [number, number];
  stride: number;
  /**
   * Sparse filters: this many non-zeros per filter, at random positions (SCIENCE.md: sparse filters keep
   * intermediate ML-CSC codes sparse). Default: dense.
   */
  nonzeros?: number;
  /** 'gaussian' (default): N(0, 1) non-zeros, then normalised; 'sign': non-zeros ±1/√q, equal magnitude. */
  values?: 'gaussian' | 'sign';
  targetCoherence?: number;
  /** Descent steps (gaussian) or sign-flip proposals (sign) for the coherence reduction. */
  iterations?: number;
}

/**
 * The correlations that define the convolutional μ: every unordered pair of distinct atoms that overlap.
 * Atom (j, a, b) sits at offset s·(a, b), so two atoms differ by a stride multiple (dy, dx) with |dy| < kh,
 * |dx| < kw; a pair (j, j2, d) stands for ⟨w_j, w_j2 shifted by d⟩ = Σ_q w_j[q]·w_j2[q − d]. For j = j2
 * only d > 0 (lexicographically) is listed, since d and −d give the same value.
 */
interface Term {
  readonly j: number;
  readonly j2: number;
  readonly dy: number;
  readonly dx: number;
}

function correlationTerms(m: number, kh: number, kw: number, s: number): Term[] {
  const terms: Term[] = [];
  const ys: number[] = [];
  const xs: number[] = [];
  for (let d = -Math.floor((kh - 1) / s) * s; d < kh; d += s) ys.push(d);
  for (let d = -Math.floor((kw - 1) / s) * s; d < kw; d += s) xs.push(d);
  for (let j = 0; j < m; j++) {
    for (let j2 = j; j2 < m; j2++) {
      for (const dy of ys) {
        for (const dx of xs) {
          if (j === j2 && (dy < 0 || (dy === 0 && dx <= 0))) continue;
          terms.push({ j, j2, dy, dx });
        }
      }
    }
  }
  return terms;
}

/** Evaluates every term's correlation into `out`. Filters are flat [m, c, kh, kw] float64. */
function correlations(w: Float64Array, terms: readonly Term[], c: number, kh: number, kw: number, out: Float64Array): void {
  const fs = c * kh * kw;
  const plane = kh * kw;
  for (let t = 0; t < terms.length; t++) {
    const { j, j2, dy, dx } = terms[t]!;
    const y0 = Math.max(0, dy);
    const y1 = Math.min(kh, kh + dy);
    const x0 = Math.max(0, dx);
    const x1 = Math.min(kw, kw + dx);
    let sum = 0;
    for (let ch = 0; ch < c; ch++) {
      const a = j * fs + ch * plane;
      const b = j2 * fs + ch * plane - dy * kw - dx;
      for (let y = y0; y < y1; y++) {
        const row = y * kw;
        for (let x = x0; x < x1; x++) sum += w[a + row + x]! * w[b + row + x]!;
      }
    }
    out[t] = sum;
  }
}

function hinge(C: Float64Array, tau: number): { f: number; mu: number } {
  let f = 0;
  let mu = 0;
  for (let t = 0; t < C.length; t++) {
    const a = Math.abs(C[t]!);
    if (a > mu) mu = a;
    const e = a - tau;
    if (e > 0) f += e * e;
  }
  return { f, mu };
}

/** ∂f/∂w for f = Σ_t max(|C_t| − τ, 0)², by the chain rule through C_t = Σ_q w_j[q]·w_j2[q − d]. */
function hingeGradient(w: Float64Array, terms: readonly Term[], C: Float64Array, tau: number, c: number, kh: number, kw: number, grad: Float64Array): void {
  grad.fill(0);
  const fs = c * kh * kw;
  const plane = kh * kw;
  for (let t = 0; t < terms.length; t++) {
    const v = C[t]!;
    const e = Math.abs(v) - tau;
    if (e <= 0) continue;
    const g = 2 * (v > 0 ? e : -e);
    const { j, j2, dy, dx } = terms[t]!;
    const y0 = Math.max(0, dy);
    const y1 = Math.min(kh, kh + dy);
    const x0 = Math.max(0, dx);
    const x1 = Math.min(kw, kw + dx);
    for (let ch = 0; ch < c; ch++) {
      const a = j * fs + ch * plane;
      const b = j2 * fs + ch * plane - dy * kw - dx;
      for (let y = y0; y < y1; y++) {
        const row = y * kw;
        for (let x = x0; x < x1; x++) {
          grad[a + row + x] += g * w[b + row + x]!;
          grad[b + row + x] += g * w[a + row + x]!;
        }
      }
    }
  }
}

/** Scales each filter (a run of `fs` values) to unit ℓ2 norm. */
function normalizeFilters(w: Float64Array, m: number, fs: number): void {
  for (let j = 0; j < m; j++) {
    let s = 0;
    for (let q = 0; q < fs; q++) s += w[j * fs + q]! ** 2;
    const r = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let q = 0; q < fs; q++) w[j * fs + q] = w[j * fs + q]! * r;
  }
}

function validateFilterOptions(o: FilterOptions): void {
  positiveInteger('filters', o.filters);
  positiveInteger('channels', o.channels);
  if (!Array.isArray(o.kernel) || o.kernel.length !== 2) throw new RangeError(`kernel must be [kh, kw], got ${String(o.kernel)}`);
  positiveInteger('kernel[0] (kh)', o.kernel[0]);
  positiveInteger('kernel[1] (kw)', o.kernel[1]);
  positiveInteger('stride', o.stride);
  const size = o.channels * o.kernel[0] * o.kernel[1];
  if (o.nonzeros !== undefined && (!Number.isInteger(o.nonzeros) || o.nonzeros < 1 || o.nonzeros > size)) {
    throw new RangeError(`nonzeros must be an integer in [1, ${size}] (channels·kh·kw), got ${o.nonzeros}`);
  }
  if (o.values !== undefined && o.values !== 'gaussian' && o.values !== 'sign') {
    throw new RangeError(`values must be 'gaussian' or 'sign', got ${String(o.values)}`);
  }
  checkTarget(o);
}

/**
 * m unit-ℓ2 filters of shape [c, kh, kw], dense or with `nonzeros` non-zeros each, Gaussian or
 * equal-magnitude ±1/√q. With `targetCoherence`, the convolutional coherence is lowered (module comment)
 * keeping every filter's sparsity pattern. `mu` is filterCoherence of the returned float32 weights.
 */
export function randomConvFilters(o: FilterOptions, seed: number): { weights: Float32Array; shape: [number, number, number, number]; mu: number } {
  validateFilterOptions(o);
  const m = o.filters;
  const c = o.channels;
  const [kh, kw] = o.kernel;
  const fs = c * kh * kw;
  const q = o.nonzeros ?? fs;
  const sign = o.values === 'sign';
  const uniform = mulberry32(seed);
  const normal = gaussian(uniform);
  const w = new Float64Array(m * fs);
  const mask = new Uint8Array(m * fs);
  const slots = new Int32Array(fs);
  for (let j = 0; j < m; j++) {
    // A partial Fisher–Yates shuffle picks the q positions of filter j (all of them when dense).
    for (let p = 0; p < fs; p++) slots[p] = p;
    for (let p = 0; p < q; p++) {
      const r = p + Math.floor(uniform() * (fs - p));
      const tmp = slots[p]!;
      slots[p] = slots[r]!;
      slots[r] = tmp;
      mask[j * fs + slots[p]!] = 1;
    }
    for (let p = 0; p < q; p++) w[j * fs + slots[p]!] = sign ? (uniform() < 0.5 ? -1 : 1) : normal();
  }
  normalizeFilters(w, m, fs);
  const shape: [number, number, number, number] = [m, c, kh, kw];
  if (o.targetCoherence !== undefined) {
    const terms = correlationTerms(m, kh, kw, o.stride);
    if (terms.length > 0) {
      const best = sign
        ? signFlipSearch(w, mask, terms, o.targetCoherence, o.iterations ?? 4000, c, kh, kw, uniform)
        : descend(w, mask, terms, o.targetCoherence, o.iterations ?? 3000, m, c, kh, kw);
      w.set(best);
    }
  }
  const weights = Float32Array.from(w);
  return { weights, shape, mu: filterCoherence({ weights: { shape, data: weights }, stride: o.stride }).mu };
}

/** Riemannian gradient descent on the hinge surrogate (module comment); returns the lowest-μ filters seen. */
function descend(w: Float64Array, mask: Uint8Array, terms: readonly Term[], target: number, maxIt: number, m: number, c: number, kh: number, kw: number): Float64Array {
  const fs = c * kh * kw;
  const C = new Float64Array(terms.length);
  const grad = new Float64Array(w.length);
  const trial = new Float64Array(w.length);
  correlations(w, terms, c, kh, kw, C);
  let mu = hinge(C, 0).mu;
  let best = w.slice();
  let bestMu = mu;
  let step = 0;
  for (let it = 0; it < maxIt && mu > target; it++) {
    const tau = threshold(target, mu);
    const f = hinge(C, tau).f;
    if (step === 0) step = 0.5 / Math.max(1, Math.sqrt(f));
    hingeGradient(w, terms, C, tau, c, kh, kw, grad);
    for (let j = 0; j < m; j++) {
      // Keep the sparsity pattern, then remove the radial part so the step moves along the sphere.
      let r = 0;
      for (let p = j * fs; p < (j + 1) * fs; p++) {
        if (mask[p] === 0) grad[p] = 0;
        r += grad[p]! * w[p]!;
      }
      for (let p = j * fs; p < (j + 1) * fs; p++) grad[p] -= r * w[p]!;
    }
    let accepted = false;
    for (let tries = 0; tries < 30 && !accepted; tries++) {
      for (let p = 0; p < w.length; p++) trial[p] = w[p]! - step * grad[p]!;
      normalizeFilters(trial, m, fs);
      correlations(trial, terms, c, kh, kw, C);
      const next = hinge(C, tau);
      if (next.f < f) {
        w.set(trial);
        mu = next.mu;
        accepted = true;
        step *= 1.25;
      } else step *= 0.5;
    }
    if (!accepted) break;
    if (mu < bestMu) {
      bestMu = mu;
      best = w.slice();
    }
  }
  return best;
}

/**
 * Local search for equal-magnitude filters: flip the sign of one random non-zero and keep the flip when the
 * hinge surrogate decreases (or stays equal with a lower μ). Magnitudes and positions never change.
 */
function signFlipSearch(w: Float64Array, mask: Uint8Array, terms: readonly Term[], target: number, maxIt: number, c: number, kh: number, kw: number, uniform: () => number): Float64Array {
  const C = new Float64Array(terms.length);
  const saved = new Float64Array(terms.length);
  const on: number[] = [];
  for (let p = 0; p < mask.length; p++) if (mask[p] === 1) on.push(p);
  correlations(w, terms, c, kh, kw, C);
  let mu = hinge(C, 0).mu;
  let best = w.slice();
  let bestMu = mu;
  for (let it = 0; it < maxIt && mu > target; it++) {
    const tau = threshold(target, mu);
    const cur = hinge(C, tau);
    saved.set(C);
    const p = on[Math.floor(uniform() * on.length)]!;
    w[p] = -w[p]!;
    correlations(w, terms, c, kh, kw, C);
    const next = hinge(C, tau);
    if (next.f < cur.f || (next.f === cur.f && next.mu < cur.mu)) mu = next.mu;
    else {
      w[p] = -w[p]!;
      C.set(saved);
    }
    if (mu < bestMu) {
      bestMu = mu;
      best = w.slice();
    }
  }
  return best;
}
