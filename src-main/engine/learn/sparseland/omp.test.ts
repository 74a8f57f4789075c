import { describe, expect, it } from 'vitest';
import { denseCodes, residual, type SparseCodes } from './codes';
import { col, dot, mat, type Mat } from './dense';
import { mutualCoherence } from './learning';
import { batchOmp, omp, OmpInputError, type OmpResult } from './omp';
import { randomUnitDictionary, sparseSignals } from './synthetic';

function support(c: SparseCodes, j: number): number[] {
  return Array.from(c.indices.subarray(c.offsets[j]!, c.offsets[j + 1]!));
}

function valueOf(c: SparseCodes, j: number, k: number): number {
  for (let p = c.offsets[j]!; p < c.offsets[j + 1]!; p++) if (c.indices[p] === k) return c.values[p]!;
  return 0;
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function norm(v: Float64Array): number {
  return Math.sqrt(dot(v, 0, v, 0, v.length));
}

const pursuits = { omp, batchOmp } as const;

describe('OMP and Batch-OMP', () => {
  it('recover every k-sparse vector exactly when k < ½(1 + 1/μ(D))', () => {
    const D = randomUnitDictionary(256, 300, 11);
    const mu = mutualCoherence(D);
    const k = Math.ceil(0.5 * (1 + 1 / mu)) - 1;
    expect(k).toBeGreaterThanOrEqual(2);
    expect(k).toBeLessThan(0.5 * (1 + 1 / mu));
    const data = sparseSignals(D, { count: 60, nonzeros: k, seed: 12 });
    const truth = denseCodes(data.codes);
    for (const [name, run] of Object.entries(pursuits)) {
      for (const o of [{ sparsity: k }, { errorTarget: 1e-9 }]) {
        const r = run(D, data.signals, o);
        const X = denseCodes(r);
        for (let j = 0; j < 60; j++) {
          expect(support(r, j).sort((a, b) => a - b), `${name} ${JSON.stringify(o)} signal ${j}`).toEqual(support(data.codes, j).sort((a, b) => a - b));
        }
        expect(maxAbsDiff(X.data, truth.data)).toBeLessThan(1e-10);
      }
    }
  });

  it('Batch-OMP chooses the same atoms as plain OMP, with values equal to 1e-10', () => {
    const D = randomUnitDictionary(30, 60, 21);
    const Y = sparseSignals(D, { count: 200, nonzeros: 6, seed: 22, noise: 0.3 }).signals;
    for (const o of [{ sparsity: 8 }, { errorTarget: 1.0 }, { sparsity: 5, errorTarget: 2.0 }]) {
      const a = omp(D, Y, o);
      const b = batchOmp(D, Y, o);
      expect(Array.from(b.offsets)).toEqual(Array.from(a.offsets));
      expect(Array.from(b.indices)).toEqual(Array.from(a.indices));
      expect(maxAbsDiff(b.values, a.values)).toBeLessThan(1e-10);
      expect(maxAbsDiff(b.residualNorms, a.residualNorms)).toBeLessThan(1e-10);
    }
  });

  it('the error-constrained mode stops as soon as ‖y − Dα‖₂ ≤ ε', () => {
    const D = randomUnitDictionary(30, 60, 31);
    const Y = sparseSignals(D, { count: 150, nonzeros: 10, seed: 32, noise: 0.05 }).signals;
    const eps = 0.8;
    for (const [name, run] of Object.entries(pursuits)) {
      const r = run(D, Y, { errorTarget: eps });
      const R = residual(D, Y, r);
      let sizes = 0;
      for (let j = 0; j < Y.cols; j++) {
        const s = r.offsets[j + 1]! - r.offsets[j]!;
        sizes += s;
        const e = norm(col(R, j));
        expect(e, `${name} signal ${j}`).toBeLessThanOrEqual(eps);
        expect(Math.abs(e - r.residualNorms[j]!)).toBeLessThan(1e-10);
        // One atom fewer (the same greedy path, stopped a step earlier) does not reach ε.
        const single = mat(Y.rows, 1, col(Y, j).slice());
        const shorter = run(D, single, { sparsity: s - 1 });
        expect(shorter.residualNorms[0], `${name} signal ${j} with ${s - 1} atoms`).toBeGreaterThan(eps);
      }
      expect(sizes / Y.cols).toBeGreaterThan(3);
    }
  });

  it('leaves a residual orthogonal to the chosen atoms (least squares on the support)', () => {
    const D = randomUnitDictionary(40, 90, 41);
    const Y = sparseSignals(D, { count: 100, nonzeros: 12, seed: 42, noise: 0.5 }).signals;
    for (const [name, run] of Object.entries(pursuits)) {
      const r: OmpResult = run(D, Y, { sparsity: 9 });
      const R = residual(D, Y, r);
      let worst = 0;
      for (let j = 0; j < Y.cols; j++) {
        expect(support(r, j)).toHaveLength(9);
        for (const k of support(r, j)) worst = Math.max(worst, Math.abs(dot(D.data, k * 40, R.data, j * 40, 40)));
      }
      expect(worst, name).toBeLessThan(1e-10);
    }
  });

  it('selects by correlation over atom norm, so rescaling an atom only rescales its coefficient', () => {
    const D = randomUnitDictionary(20, 40, 51);
    const Y = sparseSignals(D, { count: 50, nonzeros: 4, seed: 52, noise: 0.1 }).signals;
    const scaled: Mat = mat(20, 40, D.data.slice());
    for (let i = 0; i < 20; i++) scaled.data[7 * 20 + i] = 3 * scaled.data[7 * 20 + i]!;
    const a = batchOmp(D, Y, { sparsity: 4 });
    const b = batchOmp(scaled, Y, { sparsity: 4 });
    expect(Array.from(b.indices)).toEqual(Array.from(a.indices));
    for (let j = 0; j < 50; j++) expect(valueOf(b, j, 7) * 3).toBeCloseTo(valueOf(a, j, 7), 10);
  });

  it('stops at zero atoms for a zero signal and explains bad input', () => {
    const D = randomUnitDictionary(10, 20, 61);
    const r = batchOmp(D, mat(10, 2), { sparsity: 3 });
    expect(Array.from(r.offsets)).toEqual([0, 0, 0]);
    expect(() => omp(D, mat(10, 1), {})).toThrow(OmpInputError);
    expect(() => omp(D, mat(9, 1), { sparsity: 2 })).toThrow(/length 10.*length 9/);
    expect(() => batchOmp(D, mat(10, 1), { sparsity: 1.5 })).toThrow(/non-negative integer/);
  });
});
