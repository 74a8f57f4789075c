import { describe, expect, it } from 'vitest';
import { gaussian, mulberry32 } from '../../../../src-shared/math/random';
import { cholesky, choleskySolve, col, columnNorms, dot, gemm, gemmTN, gemvT, gram, mat, normalizeColumns, ProgressiveCholesky, rank1, type Mat } from './dense';

function randomMat(rows: number, cols: number, seed: number): Mat {
  const g = gaussian(mulberry32(seed));
  const A = mat(rows, cols);
  for (let i = 0; i < A.data.length; i++) A.data[i] = g();
  return A;
}

/** Entry (i, j) the slow, obvious way. */
function at(A: Mat, i: number, j: number): number {
  return A.data[j * A.rows + i]!;
}

describe('dense float64 helpers', () => {
  it('gemm, gemmTN, gemvT and gram agree with the definition of the product', () => {
    const A = randomMat(7, 5, 1);
    const B = randomMat(5, 4, 2);
    const C = randomMat(7, 3, 3);
    const AB = gemm(A, B);
    const AtC = gemmTN(A, C);
    for (let i = 0; i < 7; i++) for (let j = 0; j < 4; j++) {
      let s = 0;
      for (let k = 0; k < 5; k++) s += at(A, i, k) * at(B, k, j);
      expect(at(AB, i, j)).toBeCloseTo(s, 12);
    }
    for (let i = 0; i < 5; i++) for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 7; k++) s += at(A, k, i) * at(C, k, j);
      expect(at(AtC, i, j)).toBeCloseTo(s, 12);
    }
    const G = gram(A);
    expect(Array.from(G.data)).toEqual(Array.from(gemmTN(A, A).data));
    const W = randomMat(9, 11, 4);
    const out = gemvT(W, C.data, 0, new Float64Array(11));
    // gemvT keeps the summation order of dot, so the agreement is exact.
    for (let k = 0; k < 11; k++) expect(out[k]).toBe(dot(W.data, k * 9, C.data, 0, 9));
  });

  it('Cholesky factors and solves a symmetric positive-definite system', () => {
    const A = randomMat(10, 6, 5);
    const G = gram(A);
    const L = cholesky(G);
    const LLt = gemm(L, transpose(L));
    for (let i = 0; i < 36; i++) expect(LLt.data[i]).toBeCloseTo(G.data[i]!, 12);
    const b = Float64Array.from([1, -2, 3, 0.5, 0, 4]);
    const x = choleskySolve(L, b);
    const Gx = gemm(G, mat(6, 1, x));
    for (let i = 0; i < 6; i++) expect(Gx.data[i]).toBeCloseTo(b[i]!, 10);
    expect(() => cholesky(mat(2, 2, Float64Array.from([1, 2, 2, 1])))).toThrow(/positive definite/);
  });

  it('the progressive Cholesky equals the full one and refuses an atom in the span of the support', () => {
    const A = randomMat(12, 5, 6);
    normalizeColumns(A);
    const G = gram(A);
    const pc = new ProgressiveCholesky(6);
    for (let k = 0; k < 5; k++) {
      const cross = new Float64Array(k);
      for (let i = 0; i < k; i++) cross[i] = at(G, i, k);
      expect(pc.add(cross, at(G, k, k))).toBe(true);
    }
    const b = Float64Array.from([0.3, -1, 2, 0.1, 0.7]);
    const x = pc.solve(b, new Float64Array(5));
    const ref = choleskySolve(cholesky(G), b);
    for (let i = 0; i < 5; i++) expect(x[i]).toBeCloseTo(ref[i]!, 10);
    // A sixth atom equal to a combination of the first two is dependent.
    const dep = new Float64Array(12);
    for (let i = 0; i < 12; i++) dep[i] = col(A, 0)[i]! + col(A, 1)[i]!;
    const cross = new Float64Array(5);
    for (let k = 0; k < 5; k++) cross[k] = dot(col(A, k), 0, dep, 0, 12);
    expect(pc.add(cross, dot(dep, 0, dep, 0, 12))).toBe(false);
    expect(pc.size).toBe(5);
  });

  it('rank1 finds the leading singular triplet of a matrix with a known SVD', () => {
    // E = 5·u1v1ᵀ + 2·u2v2ᵀ with orthonormal u's (columns of a QR-like basis) and v's.
    const U = orthonormal(8, 2, 7);
    const V = orthonormal(6, 2, 8);
    const E = mat(8, 6);
    for (let i = 0; i < 8; i++) for (let j = 0; j < 6; j++) E.data[j * 8 + i] = 5 * at(U, i, 0) * at(V, j, 0) + 2 * at(U, i, 1) * at(V, j, 1);
    const r = rank1(E, { maxIterations: 500, tol: 1e-15 });
    expect(r.sigma).toBeCloseTo(5, 10);
    expect(Math.abs(dot(r.u, 0, col(U, 0), 0, 8))).toBeCloseTo(1, 10);
    expect(Math.abs(dot(r.v, 0, col(V, 0), 0, 6))).toBeCloseTo(1, 10);
    expect(columnNorms(mat(8, 1, r.u))[0]).toBeCloseTo(1, 14);
  });

  it('rank1 from a start vector never explains less of E than the start vector itself', () => {
    const E = randomMat(10, 30, 9);
    const u0 = normalizeFresh(randomMat(10, 1, 10).data);
    const start = gemmTN(mat(10, 1, u0), E);
    const startEnergy = dot(start.data, 0, start.data, 0, 30);
    for (const steps of [0, 1, 2, 5]) {
      const r = rank1(E, { u0, maxIterations: steps });
      expect(r.sigma * r.sigma).toBeGreaterThanOrEqual(startEnergy * (1 - 1e-14));
    }
  });
});

function transpose(A: Mat): Mat {
  const T = mat(A.cols, A.rows);
  for (let i = 0; i < A.rows; i++) for (let j = 0; j < A.cols; j++) T.data[i * A.cols + j] = at(A, i, j);
  return T;
}

function normalizeFresh(v: Float64Array): Float64Array {
  const s = Math.sqrt(dot(v, 0, v, 0, v.length));
  return v.map((x) => x / s);
}

/** Gram–Schmidt on random columns. */
function orthonormal(rows: number, cols: number, seed: number): Mat {
  const Q = randomMat(rows, cols, seed);
  for (let j = 0; j < cols; j++) {
    const q = col(Q, j);
    for (let k = 0; k < j; k++) {
      const p = dot(col(Q, k), 0, q, 0, rows);
      for (let i = 0; i < rows; i++) q[i] = q[i]! - p * col(Q, k)[i]!;
    }
    const s = Math.sqrt(dot(q, 0, q, 0, rows));
    for (let i = 0; i < rows; i++) q[i] = q[i]! / s;
  }
  return Q;
}
