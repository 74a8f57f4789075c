/**
 * Phase-transition experiments (sources 001: "Phase Transition Experiment", m = 2, n = 64, N = 640, global
 * OMP and BP): one dictionary for the whole grid; at every (noise level, sparsity) cell, `trials` signals
 * with that ‖Γ_K‖^s_{0,∞}; each pursuit succeeds on a trial when the k = ‖Γ_K‖₀ largest entries of its
 * estimate sit exactly on the true support. The theorem's limits ½(1 + 1/μ) and ⅓(1 + 1/μ) are reported with
 * the grid so the chart can draw them on the same axis.
 */
import type { PhaseConfig, PhaseResult } from '../../../src-shared/contract';
import { loadDictionaryFile } from '../io';
import type { Runtime } from '../runtime/session';
import { pursuitSuccessBound, bpStability } from '../theory/bounds';
import { convolutionalWelchBound } from '../theory/coherence';
import { buildModel, drawSample, sampleStats } from '../theory/model';
import { runTheoryPursuit } from '../theory/pursue';
import { errorNorms, topKSupport } from '../theory/support';

export interface PhaseOutcome {
  readonly result: PhaseResult;
  readonly cancelled: boolean;
}

/** A different, reproducible code seed for every cell; the dictionary keeps the experiment's seed. */
function cellSeed(seed: number, noiseIndex: number, sparsityIndex: number): number {
  return (Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(noiseIndex + 1, 0x85ebca6b) ^ Math.imul(sparsityIndex + 1, 0xc2b2ae35)) >>> 0;
}

const grid = <T>(a: number, b: number, fill: () => T): T[][] => Array.from({ length: a }, () => Array.from({ length: b }, fill));

export async function runPhaseTransition(runtime: Runtime, config: PhaseConfig, onCell: (result: PhaseResult) => void, signal?: AbortSignal): Promise<PhaseOutcome> {
  const instance = await buildModel(config.model, config.seed, loadDictionaryFile);
  const deepest = instance.layers.length - 1;
  const mu = instance.coherence.map((c) => c.mu);
  const P = config.pursuits.length;
  const N = config.noise.length;
  const S = config.sparsities.length;
  const result: PhaseResult = {
    pursuits: [...config.pursuits],
    sparsities: [...config.sparsities],
    noise: [...config.noise],
    noiseKind: config.noiseKind,
    trials: config.trials,
    success: Array.from({ length: P }, () => grid<number | null>(N, S, () => null)),
    error: Array.from({ length: P }, () => grid<number | null>(N, S, () => null)),
    achieved: grid<number | null>(N, S, () => null),
    cellsDone: 0,
    cellsTotal: N * S,
    mu,
    welch: instance.layers.map((l) => convolutionalWelchBound(l)),
    bounds: { success: pursuitSuccessBound(mu[deepest]!).bound, bp: bpStability({ mu: mu[deepest]!, stripe: 1, noisePatch: 0 }).condition },
  };
  for (let n = 0; n < N; n++) {
    for (let s = 0; s < S; s++) {
      if (signal?.aborted) return { result, cancelled: true };
      const level = config.noise[n]!;
      const sample = drawSample(instance, {
        sparsity: config.sparsities[s]!,
        fill: config.fill,
        values: config.values,
        noise: level > 0 ? { kind: config.noiseKind, value: level } : { kind: 'none', value: 0 },
        count: config.trials,
        seed: cellSeed(config.seed, n, s),
      });
      const stats = sampleStats(instance, sample);
      result.achieved[n]![s] = stats.layers[deepest]!.stripe;
      for (const [p, pursuit] of config.pursuits.entries()) {
        const estimate = await runTheoryPursuit(runtime, instance, sample, stats, { pursuit, iterations: config.iterations, threshold: config.threshold }, signal);
        if (signal?.aborted) return { result, cancelled: true };
        let wins = 0;
        let error = 0;
        sample.codes.forEach((codes, b) => {
          const truth = codes[deepest]!;
          const found = estimate.codes[b]![deepest]!;
          if (topKSupport(truth, found)) wins++;
          error += errorNorms(truth, found).relative;
        });
        result.success[p]![n]![s] = wins / config.trials;
        result.error[p]![n]![s] = error / config.trials;
      }
      result.cellsDone++;
      onCell(structuredClone(result));
    }
  }
  return { result, cancelled: false };
}
