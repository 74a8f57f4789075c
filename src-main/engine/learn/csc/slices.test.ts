/**
 * Slice-based local processing (slices.ts): the slice geometry is the engine's ConvTranspose, the ADMM objective
 * falls and converges to the engine's FISTA optimum (same λ, same dictionary), in 1-D and 2-D, and the
 * slice-based dictionary update lowers the objective.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { randomDictionary } from '../../ops/dictionary';
import { runPursuit } from '../../pursuit';
import { layerReports } from '../../pursuit/common';
import { Runtime, type HostTensor } from '../../runtime/session';
import { dot, randomTensor } from '../../testing/fixtures';
import { aggregateSlices, codesFromEngine, codesToEngine, extractSlices, sliceDictionaryLearning, sliceGeometry, sliceObjective, slicePursuit } from './slices';
import { sampleCscImages } from './synthetic';

const runtime = new Runtime({ providers: ['cpu'], intraOpThreads: 1 });
afterAll(() => runtime.dispose());

/** ‖E‖^p_{2,∞}: the largest ℓ2 norm of an n-sample window of the noise (SCIENCE.md, conventions), for 1-D signals. */
function patchNoiseNorm(noisy: HostTensor, clean: HostTensor, n: number): number {
  const a = noisy.data as Float32Array;
  const b = clean.data as Float32Array;
  let best = 0;
  for (let i = 0; i + n <= a.length; i++) {
    let s = 0;
    for (let t = i; t < i + n; t++) s += (a[t]! - b[t]!) ** 2;
    best = Math.max(best, Math.sqrt(s));
  }
  return best;
}

async function fistaOptimum(signal: HostTensor, weights: HostTensor, pad: number, lambda: number, nonNegative = false): Promise<number> {
  const r = await runPursuit(runtime, { signal, layers: [{ weights, stride: 1, pad }] }, { algorithm: 'fista', lambdas: [lambda], iterations: 1500, threshold: nonNegative ? 'soft-nonneg' : 'soft' });
  return r.layers[0]!.objective;
}

describe('slice geometry', () => {
  for (const [label, signal, weights, pad] of [
    ['2-D, full codes', [2, 1, 9, 11], [3, 1, 4, 4], 3],
    ['2-D, 2 channels, pad 1, 3×4 kernel', [1, 2, 8, 9], [3, 2, 3, 4], 1],
    ['2-D, valid codes', [1, 1, 10, 10], [2, 1, 5, 5], 0],
    ['1-D, full codes', [2, 1, 1, 30], [3, 1, 1, 7], 6],
  ] as const) {
    it(`Σ R_iᵀ D_L α_i is the engine's synthesis and extraction its adjoint (${label})`, async () => {
      const w = randomTensor(weights, 1);
      const geo = sliceGeometry(signal, weights, pad);
      const codes = randomTensor([signal[0], weights[0], geo.codeH, geo.codeW], 2);
      const y = randomTensor(signal, 3);
      // The engine's objective for these codes (ConvTranspose synthesis) equals the slice objective.
      const { reports } = await layerReports(runtime, { signal: y, layers: [{ weights: w, stride: 1, pad }] }, [codes], [0.3]);
      const mine = sliceObjective(geo, y.data as Float32Array, Float64Array.from(w.data as Float32Array), codesFromEngine(geo, codes), 0.3);
      expect(Math.abs(mine.objective - reports[0]!.objective) / reports[0]!.objective).toBeLessThan(1e-5);
      expect(Array.from(codesToEngine(geo, codesFromEngine(geo, codes)).data as Float32Array)).toEqual(Array.from(codes.data as Float32Array));
      // ⟨Σ R_iᵀ v_i, x⟩ = Σ ⟨v_i, R_i x⟩.
      const v = Float64Array.from(randomTensor([signal[0] * geo.positions * geo.n], 4).data as Float32Array);
      const x = Float64Array.from(randomTensor(signal, 5).data as Float32Array);
      const lhs = dot(aggregateSlices(geo, v), x);
      const rhs = dot(v, extractSlices(geo, x));
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-10 * Math.abs(lhs));
    });
  }
});

describe('slice-based ADMM pursuit', () => {
  it('1-D (N = 300, n = 25, 5 atoms, λ = 4‖E‖^p_{2,∞}, 400 iterations): the objective falls and reaches FISTA’s within 1%', async () => {
    const w = randomDictionary([5, 1, 1, 25], 3);
    const s = await sampleCscImages(runtime, w, { count: 1, height: 1, width: 300, nonzeros: 40, seed: 4, pad: 24, noise: 0.03 });
    const lambda = 4 * patchNoiseNorm(s.images, s.clean, 25);
    const fstar = await fistaOptimum(s.images, w, 24, lambda);
    const r = await slicePursuit(s.images, w, { lambda, rho: 3, iterations: 400 });
    const f = r.history.map((h) => h.objective);
    // ADMM is not a descent method (single iterations may rise a little), but it falls from checkpoint to
    // checkpoint. With this large λ the codes stay zero for the first few iterations (the first slices are the
    // patch average, below the local threshold λ/ρ), so the first checkpoint after iteration 1 is 20.
    expect(f[0]!).toBeCloseTo(0.5 * dot(s.images.data as Float32Array, s.images.data as Float32Array), 6);
    const checkpoints = [1, 20, 50, 100].map((k) => f[k - 1]!);
    for (let i = 1; i < checkpoints.length; i++) expect(checkpoints[i]!).toBeLessThan(checkpoints[i - 1]!);
    expect(Math.abs(f.at(-1)! - fstar) / fstar).toBeLessThan(0.01);
    expect(r.history.at(-1)!.primalResidual).toBeLessThan(1e-3 * Math.sqrt(f.at(-1)!));
    expect(r.codes.shape).toEqual([1, 5, 1, 324]);
  });

  it('2-D (24×24, 6 filters 5×5): the objective falls and reaches FISTA’s within 1%', async () => {
    const w = randomDictionary([6, 1, 5, 5], 3);
    const s = await sampleCscImages(runtime, w, { count: 1, height: 24, width: 24, nonzeros: 30, seed: 4, pad: 4, noise: 0.01 });
    const lambda = 0.1;
    const fstar = await fistaOptimum(s.images, w, 4, lambda);
    const r = await slicePursuit(s.images, w, { lambda, rho: 3, iterations: 150 });
    const f = r.history.map((h) => h.objective);
    const checkpoints = [1, 5, 20, 50, 150].map((k) => f[k - 1]!);
    for (let i = 1; i < checkpoints.length; i++) expect(checkpoints[i]!).toBeLessThan(checkpoints[i - 1]!);
    expect(Math.abs(f.at(-1)! - fstar) / fstar).toBeLessThan(0.01);
  });

  it('non-negative local coding gives codes ≥ 0 and FISTA’s soft-nonneg optimum within 1%', async () => {
    const w = randomDictionary([4, 1, 1, 9], 7);
    const s = await sampleCscImages(runtime, w, { count: 2, height: 1, width: 80, nonzeros: 8, seed: 8, pad: 8, noise: 0.01, nonNegative: true });
    const fstar = await fistaOptimum(s.images, w, 8, 0.05, true);
    const r = await slicePursuit(s.images, w, { lambda: 0.05, rho: 1, iterations: 300, nonNegative: true, localSolver: 'ista' });
    expect(Math.min(...(r.codes.data as Float32Array))).toBeGreaterThanOrEqual(0);
    expect(Math.abs(r.history.at(-1)!.objective - fstar) / fstar).toBeLessThan(0.01);
  });

  it('continues from its state exactly and stops when aborted', async () => {
    const w = randomDictionary([3, 1, 1, 5], 1);
    const y = randomTensor([1, 1, 1, 40], 2);
    const whole = await slicePursuit(y, w, { lambda: 0.1, iterations: 20 });
    const first = await slicePursuit(y, w, { lambda: 0.1, iterations: 8 });
    const rest = await slicePursuit(y, w, { lambda: 0.1, iterations: 12, state: first.state });
    expect(Array.from(rest.codes.data as Float32Array)).toEqual(Array.from(whole.codes.data as Float32Array));
    expect(rest.history.map((h) => h.iteration)).toEqual(whole.history.slice(8).map((h) => h.iteration));
    const abort = new AbortController();
    const stopped = await slicePursuit(y, w, { lambda: 0.1, iterations: 50, signal: abort.signal, onIteration: (h) => h.iteration === 4 && abort.abort() });
    expect(stopped.stopReason).toBe('cancelled');
    expect(stopped.history).toHaveLength(4);
  });
});

describe('slice-based dictionary learning', () => {
  it('lowers the objective over the outer iterations and keeps the filters unit-norm', async () => {
    const truth = randomDictionary([6, 1, 5, 5], 3);
    const s = await sampleCscImages(runtime, truth, { count: 3, height: 24, width: 24, nonzeros: 40, seed: 4, pad: 4, noise: 0.01 });
    const r = await sliceDictionaryLearning(s.images, { filters: 6, kernelSize: 5, lambda: 0.1, rho: 1, iterations: 20, admmIterations: 5, seed: 9 });
    const f = r.history.map((h) => h.objective);
    expect(f.at(-1)!).toBeLessThan(0.6 * f[0]!);
    // Not a descent method either (ADMM inside), but on this problem every outer iteration lowered F.
    for (let t = 1; t < f.length; t++) expect(f[t]!).toBeLessThanOrEqual(f[t - 1]! * (1 + 1e-3));
    const d = r.filters.data as Float32Array;
    for (let j = 0; j < 6; j++) expect(Math.hypot(...d.subarray(j * 25, (j + 1) * 25))).toBeCloseTo(1, 5);
    expect(r.history.at(-1)!.density).toBeGreaterThan(0);
  });
});
