import { describe, expect, it } from 'vitest';
import { readNpz, writeNpz } from '../../io/npz';
import { residual } from './codes';
import { columnNorms, dot, gemm, mat, type Mat } from './dense';
import { atomRecovery } from './learning';
import { mod, modDictionary, modStateFromArrays, modStateToArrays, type ModOptions } from './mod';
import { batchOmp } from './omp';
import { randomUnitDictionary, sparseSignals } from './synthetic';

function sumSquares(M: Mat): number {
  return dot(M.data, 0, M.data, 0, M.data.length);
}

const small = sparseSignals(randomUnitDictionary(16, 32, 1), { count: 600, nonzeros: 3, seed: 2, noise: 0.05 }).signals;

describe('MOD', () => {
  it('the dictionary step is the least-squares solution: (Y − DX)Xᵀ = 0 and no perturbation does better', () => {
    const D0 = randomUnitDictionary(16, 32, 3);
    const codes = batchOmp(D0, small, { sparsity: 3 });
    const D = modDictionary(small, codes, 0);
    const R = residual(D, small, codes);
    // Normal equations: R Xᵀ = 0, i.e. every atom's residual correlation with its coefficients vanishes.
    const X = mat(32, small.cols);
    for (let j = 0; j < small.cols; j++) for (let p = codes.offsets[j]!; p < codes.offsets[j + 1]!; p++) X.data[j * 32 + codes.indices[p]!] = codes.values[p]!;
    const RXt = mat(16, 32);
    for (let j = 0; j < small.cols; j++) for (let k = 0; k < 32; k++) {
      const x = X.data[j * 32 + k]!;
      if (x !== 0) for (let i = 0; i < 16; i++) RXt.data[k * 16 + i] += R.data[j * 16 + i]! * x;
    }
    expect(Math.sqrt(sumSquares(RXt))).toBeLessThan(1e-9 * Math.sqrt(sumSquares(small)));
    const base = sumSquares(R);
    const bumped = mat(16, 32, D.data.slice());
    bumped.data[40] = bumped.data[40]! + 1e-3;
    const E = gemm(bumped, X);
    for (let i = 0; i < E.data.length; i++) E.data[i] = small.data[i]! - E.data[i]!;
    expect(sumSquares(E)).toBeGreaterThan(base);
  });

  it('keeps atoms unit-norm, also when an atom goes unused and replacement is off', async () => {
    const init = randomUnitDictionary(16, 40, 4);
    await mod(small, {
      atoms: 40,
      sparsity: 3,
      iterations: 8,
      initial: init,
      replaceAtoms: false,
      onIteration: (_, state) => {
        for (const v of columnNorms(state.dictionary)) expect(Math.abs(v - 1)).toBeLessThan(1e-12);
      },
    });
  });

  it('recovers ≥ 90% of a known dictionary from 3-sparse synthetic data', async () => {
    const truth = randomUnitDictionary(20, 50, 7);
    const Y = sparseSignals(truth, { count: 1500, nonzeros: 3, seed: 8, noise: 0.02 }).signals;
    const r = await mod(Y, { atoms: 50, sparsity: 3, iterations: 80, seed: 1 });
    expect(atomRecovery(truth, r.dictionary, 0.95).fraction).toBeGreaterThanOrEqual(0.9);
  });

  it('a stopped and resumed run ends bit-identical to an uninterrupted one', async () => {
    const o: ModOptions = { atoms: 40, sparsity: 3, iterations: 7, seed: 12 };
    const full = await mod(small, o);
    const controller = new AbortController();
    const first = await mod(small, { ...o, signal: controller.signal, onIteration: (s) => s.iteration === 3 && controller.abort() });
    expect(first.stopReason).toBe('cancelled');
    const rest = await mod(small, { ...o, state: modStateFromArrays(readNpz(writeNpz(modStateToArrays(first.state)))) });
    expect(Buffer.from(rest.dictionary.data.buffer).equals(Buffer.from(full.dictionary.data.buffer))).toBe(true);
    expect([...first.stats, ...rest.stats].map((s) => s.rmse)).toEqual(full.stats.map((s) => s.rmse));
  });
});
