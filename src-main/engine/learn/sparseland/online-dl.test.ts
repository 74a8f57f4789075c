import { describe, expect, it } from 'vitest';
import { readNpz, writeNpz } from '../../io/npz';
import { columnNorms, mat } from './dense';
import { atomRecovery } from './learning';
import { onlineDictionaryLearning, onlineDictionaryUpdate, onlineDlStateFromArrays, onlineDlStateToArrays, type OnlineDlOptions } from './online-dl';
import { randomUnitDictionary, sparseSignals } from './synthetic';

const small = sparseSignals(randomUnitDictionary(16, 32, 1), { count: 600, nonzeros: 3, seed: 2, noise: 0.05 }).signals;

describe('online dictionary learning', () => {
  it('the block-coordinate step solves for an atom exactly when the ball constraint is inactive', () => {
    // One atom, A = [a], B = b: the minimiser of ½Tr(DᵀDA) − Tr(DᵀB) is b/a, projected on the unit ball.
    const D = mat(3, 1, Float64Array.from([1, 0, 0]));
    onlineDictionaryUpdate(D, mat(1, 1, Float64Array.from([2])), mat(3, 1, Float64Array.from([0.2, 0.4, 0.8])));
    expect(Array.from(D.data).map((v) => +v.toFixed(14) + 0)).toEqual([0.1, 0.2, 0.4]);
    onlineDictionaryUpdate(D, mat(1, 1, Float64Array.from([0.1])), mat(3, 1, Float64Array.from([0.3, 0, 0.4])));
    expect(Array.from(D.data).map((v) => +v.toFixed(14) + 0)).toEqual([0.6, 0, 0.8]);
  });

  it('keeps atoms in the unit ball and reports mini-batch statistics', async () => {
    const r = await onlineDictionaryLearning(small, {
      atoms: 32,
      sparsity: 3,
      iterations: 60,
      batchSize: 32,
      seed: 3,
      onIteration: (s, state) => {
        expect(s.meanL0).toBeLessThanOrEqual(3);
        for (const v of columnNorms(state.dictionary)) expect(v).toBeLessThanOrEqual(1 + 1e-12);
      },
    });
    expect(r.stats).toHaveLength(60);
    const early = r.stats.slice(0, 10).reduce((a, s) => a + s.rmse, 0);
    const late = r.stats.slice(-10).reduce((a, s) => a + s.rmse, 0);
    expect(late).toBeLessThan(0.8 * early);
  });

  it('recovers ≥ 90% of a known dictionary from 3-sparse synthetic data', async () => {
    const truth = randomUnitDictionary(20, 50, 7);
    const Y = sparseSignals(truth, { count: 1500, nonzeros: 3, seed: 8, noise: 0.02 }).signals;
    // 800 mini-batches of 64 ≈ 34 passes over the data.
    const r = await onlineDictionaryLearning(Y, { atoms: 50, sparsity: 3, iterations: 800, batchSize: 64, seed: 1 });
    expect(atomRecovery(truth, r.dictionary, 0.95).fraction).toBeGreaterThanOrEqual(0.9);
  });

  it('purges an atom nobody uses, replacing it by a training signal', async () => {
    const Y = mat(16, small.cols, small.data.slice());
    for (let j = 0; j < Y.cols; j++) Y.data[j * 16 + 15] = 0;
    const init = randomUnitDictionary(16, 32, 6);
    for (let k = 1; k < 32; k++) init.data[k * 16 + 15] = 0;
    init.data.fill(0, 0, 16);
    init.data[15] = 1;
    const r = await onlineDictionaryLearning(Y, { atoms: 32, sparsity: 3, iterations: 10, batchSize: 60, initial: init, purgeEvery: 10 });
    expect(r.stats.map((s) => s.replaced)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(r.dictionary.data[15]).toBe(0);
  });

  it('a stopped and resumed run ends bit-identical to an uninterrupted one', async () => {
    const o: OnlineDlOptions = { atoms: 32, sparsity: 3, iterations: 40, batchSize: 32, seed: 13, purgeEvery: 7 };
    const full = await onlineDictionaryLearning(small, o);
    const controller = new AbortController();
    const first = await onlineDictionaryLearning(small, { ...o, signal: controller.signal, onIteration: (s) => s.iteration === 17 && controller.abort() });
    expect(first.stopReason).toBe('cancelled');
    expect(first.stats).toHaveLength(17);
    const rest = await onlineDictionaryLearning(small, { ...o, state: onlineDlStateFromArrays(readNpz(writeNpz(onlineDlStateToArrays(first.state)))) });
    expect(Buffer.from(rest.dictionary.data.buffer).equals(Buffer.from(full.dictionary.data.buffer))).toBe(true);
    expect(Buffer.from(rest.state.A.data.buffer).equals(Buffer.from(full.state.A.data.buffer))).toBe(true);
    expect([...first.stats, ...rest.stats].map((s) => [s.rmse, s.replaced])).toEqual(full.stats.map((s) => [s.rmse, s.replaced]));
  });
});
