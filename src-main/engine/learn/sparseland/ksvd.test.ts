import { describe, expect, it } from 'vitest';
import { readNpz, writeNpz } from '../../io/npz';
import { residual, squaredErrors } from './codes';
import { col, columnNorms, dot, mat, type Mat } from './dense';
import { ksvd, ksvdStateFromArrays, ksvdStateToArrays, updateAtoms, type KsvdOptions } from './ksvd';
import { atomRecovery, replaceAtoms, type IterationStats } from './learning';
import { batchOmp } from './omp';
import { randomUnitDictionary, sparseSignals } from './synthetic';

function frobenius2(M: Mat): number {
  return dot(M.data, 0, M.data, 0, M.data.length);
}

/** Stats without the wall-clock field, for exact comparison. */
function timeless(stats: IterationStats[]): Omit<IterationStats, 'seconds'>[] {
  return stats.map(({ iteration, rmse, meanL0, replaced }) => ({ iteration, rmse, meanL0, replaced }));
}

const small = sparseSignals(randomUnitDictionary(16, 32, 1), { count: 600, nonzeros: 3, seed: 2, noise: 0.05 }).signals;

describe('K-SVD', () => {
  it('never increases the RMSE at a fixed sparsity (monotone coding, no replacement)', async () => {
    const r = await ksvd(small, { atoms: 32, sparsity: 3, iterations: 25, seed: 3, monotone: true, replaceAtoms: false });
    expect(r.stats).toHaveLength(25);
    for (let i = 1; i < r.stats.length; i++) {
      expect(r.stats[i]!.rmse, `iteration ${i + 1}`).toBeLessThanOrEqual(r.stats[i - 1]!.rmse * (1 + 1e-12));
    }
    expect(r.stats[24]!.rmse).toBeLessThan(0.7 * r.stats[0]!.rmse);
    for (const s of r.stats) expect(s.meanL0).toBeLessThanOrEqual(3);
  });

  it('the atom-update stage alone never increases ‖Y − DX‖_F', () => {
    const D = randomUnitDictionary(16, 32, 4);
    const codes = batchOmp(D, small, { sparsity: 3 });
    const R = residual(D, small, codes);
    const before = frobenius2(R);
    const order = Array.from({ length: 32 }, (_, k) => k);
    for (const steps of [0, 1, 30]) {
      const Dk = mat(16, 32, D.data.slice());
      const ck = { ...codes, values: codes.values.slice() };
      const Rk = mat(16, small.cols, R.data.slice());
      updateAtoms(Dk, ck, Rk, order, steps);
      // The maintained residual is the true one, and it is no larger than before.
      const fresh = residual(Dk, small, ck);
      let worst = 0;
      for (let i = 0; i < fresh.data.length; i++) worst = Math.max(worst, Math.abs(fresh.data[i]! - Rk.data[i]!));
      expect(worst).toBeLessThan(1e-10);
      expect(frobenius2(Rk)).toBeLessThanOrEqual(before * (1 + 1e-12));
      if (steps > 0) expect(frobenius2(Rk)).toBeLessThan(0.9 * before);
    }
  });

  it('keeps every atom unit-norm after every iteration, replacements included', async () => {
    let checked = 0;
    // minUsage 30 (of ~60 uses per atom on average) forces a few replacements in most iterations.
    const r = await ksvd(small, {
      atoms: 40,
      sparsity: 4,
      iterations: 12,
      seed: 5,
      minUsage: 30,
      onIteration: (_, state) => {
        for (const v of columnNorms(state.dictionary)) expect(Math.abs(v - 1)).toBeLessThan(1e-12);
        checked++;
      },
    });
    expect(checked).toBe(12);
    expect(r.stats.reduce((a, s) => a + s.replaced, 0)).toBeGreaterThan(5);
  });

  it('replaces an unused atom by the worst-represented signal, and only when asked to', async () => {
    // Signals live in the first 15 coordinates; atom 0 points along the 16th, so no signal ever uses it.
    const Y = mat(16, small.cols, small.data.slice());
    for (let j = 0; j < Y.cols; j++) Y.data[j * 16 + 15] = 0;
    // The other initial atoms also live in those 15 coordinates, so residuals and updates never leave them.
    const init = randomUnitDictionary(16, 32, 6);
    for (let k = 1; k < 32; k++) col(init, k)[15] = 0;
    col(init, 0).fill(0)[15] = 1;
    const off = await ksvd(Y, { atoms: 32, sparsity: 3, iterations: 2, initial: init, replaceAtoms: false });
    expect(off.stats.map((s) => s.replaced)).toEqual([0, 0]);
    expect(col(off.dictionary, 0)[15]).toBe(1);

    let checked = false;
    const on = await ksvd(Y, {
      atoms: 32,
      sparsity: 3,
      iterations: 2,
      initial: init,
      onIteration: (stats, state) => {
        if (stats.iteration !== 1) return;
        expect(stats.replaced).toBe(1);
        // No code uses atom 0, so the codes of this iteration give the errors that chose its replacement.
        const errors = squaredErrors(state.dictionary, Y, state.codes!);
        let worst = 0;
        for (let j = 1; j < errors.length; j++) if (errors[j]! > errors[worst]!) worst = j;
        const y = col(Y, worst);
        const norm = Math.sqrt(dot(y, 0, y, 0, 16));
        for (let i = 0; i < 16; i++) expect(col(state.dictionary, 0)[i]).toBeCloseTo(y[i]! / norm, 14);
        checked = true;
      },
    });
    expect(checked).toBe(true);
    expect(on.stats[1]!.replaced).toBe(0); // never in the final iteration
    expect(col(on.dictionary, 0)[15]).toBe(0);
  });

  it('replaceAtoms swaps exactly one of two near-duplicate atoms for the worst-represented signal', () => {
    const D = randomUnitDictionary(10, 6, 7);
    const d0 = col(D, 0);
    const d3 = col(D, 3);
    for (let i = 0; i < 10; i++) d3[i] = d0[i]! + 0.02 * (i % 2 ? 1 : -1);
    const s = Math.sqrt(dot(d3, 0, d3, 0, 10));
    for (let i = 0; i < 10; i++) d3[i] = d3[i]! / s;
    expect(Math.abs(dot(d0, 0, d3, 0, 10))).toBeGreaterThan(0.99);
    const Y = randomUnitDictionary(10, 5, 8);
    for (let i = 0; i < 10; i++) Y.data[20 + i] = 3 * Y.data[20 + i]!;
    const errors = Float64Array.from([1, 4, 9, 2, 3]);
    const replaced = replaceAtoms(D, Y, errors, Int32Array.from([5, 5, 5, 5, 5, 5]));
    expect(replaced).toBe(1);
    // Atom 0 (visited first) became signal 2 (largest error), normalised; atom 3 stayed.
    for (let i = 0; i < 10; i++) expect(col(D, 0)[i]).toBeCloseTo(col(Y, 2)[i]! / 3, 14);
    expect(Array.from(col(D, 3))).toEqual(Array.from(d3));
  });

  it('recovers ≥ 90% of a known dictionary from 3-sparse synthetic data (as in the K-SVD paper)', async () => {
    const truth = randomUnitDictionary(20, 50, 7);
    const Y = sparseSignals(truth, { count: 1500, nonzeros: 3, seed: 8, noise: 0.02 }).signals;
    const r = await ksvd(Y, { atoms: 50, sparsity: 3, iterations: 80, seed: 1 });
    const { fraction } = atomRecovery(truth, r.dictionary, 0.95);
    expect(fraction).toBeGreaterThanOrEqual(0.9);
  });

  it('a run stopped after m iterations and resumed from its saved state ends bit-identical', async () => {
    for (const extra of [{ monotone: true }, { monotone: false }, { errorTarget: 0.2, sparsity: 6 }] as Partial<KsvdOptions>[]) {
      const o: KsvdOptions = { atoms: 40, sparsity: 3, iterations: 9, seed: 11, ...extra };
      const full = await ksvd(small, o);
      const controller = new AbortController();
      const first = await ksvd(small, { ...o, signal: controller.signal, onIteration: (s) => s.iteration === 4 && controller.abort() });
      expect(first.stopReason).toBe('cancelled');
      expect(first.stats).toHaveLength(4);
      const saved = ksvdStateFromArrays(readNpz(writeNpz(ksvdStateToArrays(first.state))));
      const rest = await ksvd(small, { ...o, state: saved });
      expect(rest.stopReason).toBe('iterations');
      expect(Buffer.from(rest.dictionary.data.buffer).equals(Buffer.from(full.dictionary.data.buffer))).toBe(true);
      expect(Buffer.from(rest.codes!.values.buffer).equals(Buffer.from(full.codes!.values.buffer))).toBe(true);
      expect(Array.from(rest.codes!.indices)).toEqual(Array.from(full.codes!.indices));
      expect(timeless([...first.stats, ...rest.stats])).toEqual(timeless(full.stats));
      expect(rest.state.rng).toEqual(full.state.rng);
    }
  });

  it('explains impossible requests', async () => {
    await expect(ksvd(small, { atoms: 10, iterations: 1 })).rejects.toThrow(/sparsity.*error target/);
    await expect(ksvd(small, { atoms: 601, sparsity: 2, iterations: 1 })).rejects.toThrow(/cannot draw 601 initial atoms/);
    await expect(ksvd(small, { atoms: 10, sparsity: 2, iterations: 1, initial: mat(15, 10) })).rejects.toThrow(/expected 16×10/);
  });
});
