import { describe, expect, it } from 'vitest';
import { gaussian, mulberry32 } from '../../../src-shared/math/random';
import { gemvT, mat, type Mat } from '../learn/sparseland/dense';
import { omp } from '../learn/sparseland/omp';
import {
  bpStability,
  layeredBp,
  layeredThresholding,
  ompStability,
  pursuitSuccessBound,
  sparselandBpStability,
  uniquenessBound,
} from './bounds';
import { mutualCoherence } from './coherence';
import { codeShapeOf, denseSynthesisMatrix } from './conv-matrix';
import { codePatchWindow, extremes, patchEnergy, patchSparsity, stripeSparsity } from './local-norms';
import { supportRecovery } from './support';
import type { ConvLayer, Field } from './types';

describe('noiseless coherence bounds', () => {
  it('give ½(1 + 1/μ): about 8.4 for the sources’ μ = 0.063 (m = 2, n = 64)', () => {
    for (const b of [uniquenessBound(0.063), pursuitSuccessBound(0.063)]) {
      expect(b.bound).toBeCloseTo(0.5 * (1 + 1 / 0.063), 12);
      expect(b.bound).toBeCloseTo(8.44, 2);
      expect(b.holds(8)).toBe(true);
      expect(b.holds(9)).toBe(false);
      expect(b.holds(b.bound)).toBe(false);
    }
    expect(uniquenessBound(0.1).theorem.source).toMatch(/Donoho & Elad 2003/);
    expect(pursuitSuccessBound(0.1).theorem.source).toMatch(/Tropp 2004/);
  });

  it('shrink as μ grows, allow everything for μ = 0 and reject μ outside [0, 1]', () => {
    let last = Infinity;
    for (let mu = 0.01; mu <= 1; mu += 0.01) {
      const b = uniquenessBound(mu).bound;
      expect(b).toBeLessThan(last);
      last = b;
    }
    expect(uniquenessBound(1).bound).toBe(1);
    expect(uniquenessBound(0).bound).toBe(Infinity);
    expect(() => uniquenessBound(-0.1)).toThrow(RangeError);
    expect(() => pursuitSuccessBound(1.5)).toThrow(RangeError);
    expect(() => pursuitSuccessBound(Number.NaN)).toThrow(RangeError);
  });
});

describe('noisy single-layer bounds (closed forms)', () => {
  it('ompStability', () => {
    const r = ompStability({ mu: 0.1, stripe: 3, noisePatch: 0.05, noiseEnergy: 0.2, gammaMin: 0.5 });
    expect(r.condition).toBeCloseTo(0.5 * (1 + 10) - 10 * (0.05 / 0.5), 14);
    expect(r.holds).toBe(true);
    expect(r.errorBound).toBeCloseTo(Math.sqrt(0.04 / (1 - 2 * 0.1)), 14);
    expect(r.theorem.source).toMatch(/Part II/);
    // More noise or a larger μ lowers the admissible stripe sparsity.
    expect(ompStability({ mu: 0.1, stripe: 3, noisePatch: 0.1, noiseEnergy: 0.2, gammaMin: 0.5 }).condition).toBeLessThan(r.condition);
    expect(ompStability({ mu: 0.2, stripe: 3, noisePatch: 0.05, noiseEnergy: 0.2, gammaMin: 0.5 }).condition).toBeLessThan(r.condition);
    // Noiseless: the condition is the noiseless one; a hopeless denominator gives no bound.
    expect(ompStability({ mu: 0.1, stripe: 3, noisePatch: 0, noiseEnergy: 0, gammaMin: 0.5 }).condition).toBeCloseTo(5.5, 14);
    expect(ompStability({ mu: 0.5, stripe: 4, noisePatch: 0, noiseEnergy: 1, gammaMin: 1 }).errorBound).toBe(Infinity);
  });

  it('bpStability', () => {
    const r = bpStability({ mu: 0.1, stripe: 3, noisePatch: 0.02 });
    expect(r.lambda).toBeCloseTo(0.08, 15);
    expect(r.condition).toBeCloseTo(11 / 3, 14);
    expect(r.holds).toBe(true);
    expect(r.linfBound).toBeCloseTo(0.15, 15);
    expect(bpStability({ mu: 0.1, stripe: 4, noisePatch: 0.02 }).holds).toBe(false);
  });

  it('sparselandBpStability', () => {
    const r = sparselandBpStability({ mu: 0.05, nnz: 2, noiseNorm: 0.1 });
    expect(r.condition).toBeCloseTo(0.25 * 21, 14);
    expect(r.holds).toBe(true);
    expect(r.errorBound).toBeCloseTo(Math.sqrt((4 * 0.01) / (1 - 0.05 * 7)), 14);
    expect(r.theorem.source).toBe('Donoho, Elad & Temlyakov 2006');
    expect(sparselandBpStability({ mu: 0.05, nnz: 6, noiseNorm: 0.1 }).errorBound).toBe(Infinity);
  });
});

describe('layered bounds (recursions)', () => {
  it('layeredThresholding follows the two-layer formula written out by hand', () => {
    const l1 = { mu: 0.1, stripe: 2, patch: 2, gammaMin: 0.5, gammaMax: 1 };
    const l2 = { mu: 0.02, stripe: 3, patch: 3, gammaMin: 0.6, gammaMax: 0.9, beta: 0.8 };
    const eps0 = 0.01;
    const r = layeredThresholding([l1, l2], eps0);
    const lo1 = 2 * 0.1 * 1 + eps0;
    const hi1 = 0.5 - 1 * 0.1 * 1 - eps0;
    const beta1 = (lo1 + hi1) / 2;
    const eps1 = Math.sqrt(2) * (eps0 + 0.1 * 1 * 1 + beta1);
    const cond2 = 0.5 * (1 + (1 / 0.02) * (0.6 / 0.9)) - (1 / 0.02) * (eps1 / 0.9);
    const eps2 = Math.sqrt(3) * (eps1 + 0.02 * 2 * 0.9 + 0.8);
    expect(r.layers[0]!.condition).toBeCloseTo(0.5 * (1 + 10 * 0.5) - 10 * eps0, 12);
    expect(r.layers[0]!.thresholdRange[0]).toBeCloseTo(lo1, 14);
    expect(r.layers[0]!.thresholdRange[1]).toBeCloseTo(hi1, 14);
    expect(r.layers[0]!.beta).toBeCloseTo(beta1, 14);
    expect(r.layers[0]!.epsilon).toBeCloseTo(eps1, 14);
    expect(r.layers[0]!.holds).toBe(true);
    expect(r.layers[1]!.condition).toBeCloseTo(cond2, 12);
    expect(r.layers[1]!.epsilon).toBeCloseTo(eps2, 12);
    expect(r.layers[1]!.beta).toBe(0.8);
    expect(r.layers[1]!.holds).toBe(false);
    expect(r.holds).toBe(false);
    expect(r.theorem.source).toMatch(/Papyan, Romano & Elad 2017/);

    const hard = layeredThresholding([l1, l2], eps0, 'hard');
    const h1 = Math.sqrt(2) * (eps0 + 0.1);
    expect(hard.layers[0]!.epsilon).toBeCloseTo(h1, 14);
    expect(hard.layers[1]!.epsilon).toBeCloseTo(Math.sqrt(3) * (h1 + 0.02 * 2 * 0.9), 14);
    expect(hard.theorem.name).toMatch(/hard/);
  });

  it('holds exactly when the threshold range is non-empty and β lies in it', () => {
    const u = mulberry32(4);
    for (let t = 0; t < 500; t++) {
      const gammaMax = 0.5 + u();
      const l = { mu: 0.3 * u(), stripe: 1 + Math.floor(6 * u()), patch: 1 + Math.floor(4 * u()), gammaMin: gammaMax * u(), gammaMax };
      const eps0 = 0.2 * u();
      const r = layeredThresholding([l], eps0).layers[0]!;
      const [lo, hi] = r.thresholdRange;
      // The condition is the non-emptiness of the range rearranged; skip draws within rounding of the edge.
      if (Math.abs(hi - lo) > 1e-12) expect(r.holds).toBe(hi > lo);
      expect(layeredThresholding([{ ...l, beta: hi + 1e-9 }], eps0).layers[0]!.holds).toBe(false);
      expect(layeredThresholding([{ ...l, beta: lo - 1e-9 }], eps0).layers[0]!.holds).toBe(false);
    }
  });

  it('layeredBp gives ε_i = 7.5^i ε_0 ∏ √p_j and ξ_i = 4ε_{i−1}', () => {
    const layers = [
      { mu: 0.05, stripe: 3, patch: 4 },
      { mu: 0.2, stripe: 2, patch: 9 },
      { mu: 0.1, stripe: 3, patch: 2 },
    ];
    const r = layeredBp(layers, 0.001);
    const prod = [2, 2 * 3, 2 * 3 * Math.SQRT2];
    r.layers.forEach((l, i) => {
      expect(l.epsilon).toBeCloseTo(7.5 ** (i + 1) * 0.001 * prod[i]!, 14);
      expect(l.xi).toBeCloseTo(4 * (i === 0 ? 0.001 : r.layers[i - 1]!.epsilon), 14);
      expect(l.condition).toBeCloseTo((1 + 1 / layers[i]!.mu) / 3, 14);
    });
    expect(r.layers.map((l) => l.holds)).toEqual([true, false, true]);
    expect(r.holds).toBe(false);
  });
});

// ---- Property tests: the theorems against float64 pursuits on explicit 1-D CSC dictionaries (pad 0). ----

/** Barker-13 (aperiodic autocorrelation sidelobes ±1/13, so μ = 1/13) and a searched ±1 pair of length 32 (μ = 7/32). */
const BARKER = '+++++--++-+-+';
const PAIR32 = '--+++----+++++++-++---++---+-+---+--+--+--++-----+++---+-+-++---';

function signLayer(pattern: string, m: number): ConvLayer {
  const n = pattern.length / m;
  const data = Float64Array.from(pattern, (ch) => (ch === '+' ? 1 : -1) / Math.sqrt(n));
  return { weights: { shape: [m, 1, 1, n], data }, stride: 1, pad: 0 };
}

interface Problem {
  layer: ConvLayer;
  input: [number, number, number];
  D: Mat;
  code: Field;
  noise: Field;
  y: Float64Array;
}

/**
 * A code with stripe sparsity at most `stripe` (random positions, kept only while the stripe allows),
 * values ±U[0.8, 1], and Gaussian noise scaled to ‖E‖^p_{2,∞} = eps.
 */
function problem(layer: ConvLayer, N: number, stripe: number, eps: number, seed: number): Problem {
  const input: [number, number, number] = [1, 1, N];
  const shape = codeShapeOf(layer, input);
  const D = denseSynthesisMatrix(layer, input);
  const u = mulberry32(seed);
  const data = new Float64Array(D.cols);
  const code: Field = { shape, data };
  const order = Array.from({ length: D.cols }, (_, k) => k);
  for (let k = order.length - 1; k > 0; k--) {
    const j = Math.floor(u() * (k + 1));
    [order[k], order[j]] = [order[j]!, order[k]!];
  }
  for (const at of order) {
    data[at] = (u() < 0.5 ? -1 : 1) * (0.8 + 0.2 * u());
    if (stripeSparsity(code, layer, input).value > stripe) data[at] = 0;
  }
  const g = gaussian(mulberry32(seed ^ 0x9e3779b9));
  const e = Float64Array.from({ length: N }, () => g());
  const noise: Field = { shape: input, data: e };
  const scale = eps / patchEnergy(noise, codePatchWindow([layer], 0)).value;
  for (let k = 0; k < N; k++) e[k] = e[k]! * scale;
  const y = new Float64Array(N);
  for (let j = 0; j < D.cols; j++) {
    const v = data[j]!;
    if (v !== 0) for (let i = 0; i < N; i++) y[i] += v * D.data[j * N + i]!;
  }
  for (let i = 0; i < N; i++) y[i] += e[i]!;
  return { layer, input, D, code, noise, y };
}

const settings = [
  { name: 'Barker-13, m = 1', layer: signLayer(BARKER, 1), N: 120, stripes: [1, 2, 3, 4], eps: [0.02, 0.05, 0.08] },
  { name: '±1 pair of length 32, m = 2', layer: signLayer(PAIR32, 2), N: 160, stripes: [1, 2], eps: [0.02, 0.04, 0.06] },
];

describe('layered thresholding, one layer, against its bound', () => {
  it.each(settings.map((s) => [s.name, s] as const))('recovers the support within ε_1 over 60 seeds (%s)', (_, s) => {
    const mu = mutualCoherence(s.layer);
    const stripes = new Set<number>();
    for (let seed = 0; seed < 60; seed++) {
      const stripeTarget = s.stripes[seed % s.stripes.length]!;
      const p = problem(s.layer, s.N, stripeTarget, s.eps[seed % s.eps.length]!, 1 + seed);
      const ex = extremes(p.code);
      const stripe = stripeSparsity(p.code, p.layer, p.input).value;
      expect(stripe).toBeLessThanOrEqual(stripeTarget);
      stripes.add(stripe);
      const measured = {
        mu,
        stripe,
        patch: patchSparsity(p.code, codePatchWindow([p.layer], 1)).value,
        gammaMin: ex.min,
        gammaMax: ex.max,
      };
      const eps0 = patchEnergy(p.noise, codePatchWindow([p.layer], 0)).value;
      const correlations = gemvT(p.D, p.y, 0, new Float64Array(p.D.cols));
      for (const kind of ['soft', 'hard'] as const) {
        const bound = layeredThresholding([measured], eps0, kind);
        const layer = bound.layers[0]!;
        expect(layer.holds).toBe(true);
        const beta = layer.beta;
        const est = correlations.map((v) => (Math.abs(v) <= beta ? 0 : kind === 'hard' ? v : Math.sign(v) * (Math.abs(v) - beta)));
        expect(supportRecovery(p.code.data, est).exact).toBe(true);
        const diff: Field = { shape: p.code.shape, data: est.map((v, k) => v - p.code.data[k]!) };
        expect(patchEnergy(diff, codePatchWindow([p.layer], 1)).value).toBeLessThanOrEqual(layer.epsilon + 1e-12);
      }
    }
    // Every targeted stripe sparsity was reached, so the densest allowed codes were exercised.
    expect([...stripes].sort((a, b) => a - b)).toEqual(s.stripes);
  });
});

describe('OMP stability against its bound', () => {
  it.each(settings.map((s) => [s.name, s] as const))('finds the support within the ℓ2 bound over 60 seeds (%s)', (_, s) => {
    const mu = mutualCoherence(s.layer);
    const stripes = new Set<number>();
    for (let seed = 0; seed < 60; seed++) {
      const stripeTarget = s.stripes[seed % s.stripes.length]!;
      const p = problem(s.layer, s.N, stripeTarget, s.eps[seed % s.eps.length]!, 500 + seed);
      const stripe = stripeSparsity(p.code, p.layer, p.input).value;
      const nnz = extremes(p.code).nnz;
      const bound = ompStability({
        mu,
        stripe,
        noisePatch: patchEnergy(p.noise, codePatchWindow([p.layer], 0)).value,
        noiseEnergy: Math.hypot(...p.noise.data),
        gammaMin: extremes(p.code).min,
      });
      expect(bound.holds).toBe(true);
      const r = omp(p.D, mat(s.N, 1, p.y), { sparsity: nnz });
      const est = new Float64Array(p.D.cols);
      for (let k = r.offsets[0]!; k < r.offsets[1]!; k++) est[r.indices[k]!] = r.values[k]!;
      expect(supportRecovery(p.code.data, est).exact).toBe(true);
      let err2 = 0;
      for (let k = 0; k < est.length; k++) err2 += (est[k]! - p.code.data[k]!) ** 2;
      expect(Math.sqrt(err2)).toBeLessThanOrEqual(bound.errorBound);
      stripes.add(stripe);
    }
    expect([...stripes].sort((a, b) => a - b)).toEqual(s.stripes);
  });
});
