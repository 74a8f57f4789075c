/**
 * The theorems held against the engine's own pursuits (ONNX Runtime, float32; OMP in float64): on signals
 * sampled to satisfy a theorem's condition, the pursuit it covers recovers the support in every trial and its
 * measured error never exceeds the bound. Each case samples 20 seeds and requires the condition to hold in
 * all of them, so no case passes by never reaching its assertions.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { TheoryModel, TheorySampling, type TheoryModelInput } from '../../../src-shared/contract';
import { Runtime } from '../runtime/session';
import { buildModel, drawSample, sampleStats } from './model';
import { runTheoryPursuit, verdicts, type ThresholdChoice } from './pursue';
import type { TheoryPursuit } from '../../../src-shared/contract';

const runtime = new Runtime({ providers: ['cpu'] });
afterAll(() => runtime.dispose());

/** Float32 pursuits can exceed a tight bound by rounding; float64 OMP meets a zero bound to 1e-9. */
const within = (measured: number, bound: number) => measured <= bound * (1 + 1e-5) + 1e-9;

interface Case {
  model: TheoryModelInput;
  sampling: Record<string, unknown>;
  pursuit: TheoryPursuit;
  iterations?: number;
  threshold?: ThresholdChoice;
}

async function check(c: Case, seeds = 20) {
  const instance = await buildModel(TheoryModel.parse(c.model), 0);
  for (let seed = 1; seed <= seeds; seed++) {
    const sample = drawSample(instance, TheorySampling.parse({ ...c.sampling, count: 1, seed }));
    const stats = sampleStats(instance, sample);
    const estimate = await runTheoryPursuit(runtime, instance, sample, stats, { pursuit: c.pursuit, iterations: c.iterations ?? 1, ...(c.threshold ? { threshold: c.threshold } : {}) });
    for (const v of verdicts(instance, sample, stats, estimate)) {
      const where = `seed ${seed}, layer ${v.layer}: ${JSON.stringify(v)}`;
      expect(v.holds, where).toBe(true);
      expect(v.exact, where).toBe(1);
      expect(within(v.measured, v.predicted!), where).toBe(true);
    }
  }
}

const csc = (targetCoherence: number): TheoryModelInput => ({ kind: 'convolutional', dims: '1d', size: 200, layers: [{ filters: 2, kernel: 32, stride: 1, targetCoherence }] });

describe('single-layer guarantees', () => {
  it('global OMP recovers every noiseless CSC signal with ‖Γ‖s0,∞ < ½(1 + 1/μ) exactly (Papyan, Sulam & Elad 2017)', async () => {
    await check({ model: csc(0.15), sampling: { sparsity: 3, values: { valueRange: [0.5, 1] }, noise: { kind: 'none' } }, pursuit: 'omp' });
  });

  it('noisy OMP finds the support and stays within √(‖E‖₂² / (1 − (s − 1)μ)) when the stability condition holds', async () => {
    await check({ model: csc(0.15), sampling: { sparsity: 2, values: { valueRange: [0.8, 1] }, noise: { kind: 'patch', value: 0.02 } }, pursuit: 'omp' });
  });

  it('Lagrangian BP with λ = 4‖E‖p2,∞ finds the support and stays within 7.5‖E‖p2,∞ in ℓ∞ below ⅓(1 + 1/μ)', async () => {
    await check({ model: csc(0.15), sampling: { sparsity: 2, values: { valueRange: [0.8, 1] }, noise: { kind: 'patch', value: 0.02 } }, pursuit: 'bp', iterations: 600 });
  });

  it('soft thresholding of a CSC signal with a favourable |Γmin|/|Γmax| meets its ε_1 bound', async () => {
    await check({ model: csc(0.12), sampling: { sparsity: 2, values: { valueRange: [0.9, 1] }, noise: { kind: 'patch', value: 0.01 } }, pursuit: 'layered-thr' });
  });

  it('the Sparseland case: OMP over a dictionary of lowered coherence recovers ‖α‖₀ < ½(1 + 1/μ) atoms', async () => {
    await check({ model: { kind: 'sparseland', n: 64, atoms: 96, targetCoherence: 0.25 }, sampling: { sparsity: 2, values: { valueRange: [0.5, 1] }, noise: { kind: 'none' } }, pursuit: 'omp' });
  });
});

describe('multi-layer guarantees', () => {
  const twoLayer = (second: Record<string, unknown>): TheoryModelInput => ({
    kind: 'convolutional',
    dims: '1d',
    size: 100,
    layers: [{ filters: 2, kernel: 32, stride: 1, targetCoherence: 0.12 }, { filters: 3, kernel: 5, stride: 1, ...second }],
  });

  it('layered hard thresholding (the CNN forward pass) recovers both supports within ε_1, ε_2 (Papyan, Romano & Elad 2017)', async () => {
    await check({ model: twoLayer({ nonzeros: 2, values: 'sign' }), sampling: { sparsity: 1, fill: 0.1, values: { valueRange: [1, 1] }, noise: { kind: 'patch', value: 0.005 } }, pursuit: 'layered-thr', threshold: 'hard' });
  });

  it('layered BP with ξ_i = 4ε_{i−1} recovers both supports within ε_i = 7.5^i‖E‖p2,∞ ∏√‖Γ_j‖p0,∞', async () => {
    await check({ model: twoLayer({ nonzeros: 3, targetCoherence: 0.25 }), sampling: { sparsity: 1, fill: 0.1, values: { valueRange: [0.8, 1] }, noise: { kind: 'patch', value: 0.005 } }, pursuit: 'layered-bp', iterations: 500 });
  });

  it('says when a condition fails: layered thresholding with a poor |Γmin|/|Γmax| is not covered', async () => {
    const instance = await buildModel(TheoryModel.parse(csc(0.15)), 0);
    const sample = drawSample(instance, TheorySampling.parse({ sparsity: 3, values: { valueRange: [0.05, 1] }, noise: { kind: 'none' }, count: 4, seed: 9 }));
    const stats = sampleStats(instance, sample);
    const estimate = await runTheoryPursuit(runtime, instance, sample, stats, { pursuit: 'layered-thr', iterations: 1 });
    expect(verdicts(instance, sample, stats, estimate)[0]!.holds).toBe(false);
  });
});
