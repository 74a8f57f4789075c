/**
 * Overcomplete 2-D DCT dictionary, the classic K-SVD initialisation (Elad & Aharon 2006; Aharon,
 * Elad & Bruckstein 2006): the Kronecker product of two 1-D overcomplete DCTs.
 */
import { mat, normalizeColumns, type Mat } from './dense';

/**
 * 1-D overcomplete DCT, p×m: atom k samples cos(π·k·i/m) at i = 0…p−1; atoms k > 0 have their mean
 * removed (so only the first atom carries the DC level), then every atom is normalised. m ≥ p.
 */
export function overcompleteDct1d(p: number, m: number): Mat {
  if (!Number.isInteger(p) || !Number.isInteger(m) || p < 1 || m < p) {
    throw new RangeError(`a 1-D overcomplete DCT needs integers 1 ≤ length ≤ atoms, got length ${p}, atoms ${m}`);
  }
  const D = mat(p, m);
  for (let k = 0; k < m; k++) {
    let mean = 0;
    for (let i = 0; i < p; i++) mean += D.data[k * p + i] = Math.cos((Math.PI * k * i) / m);
    mean /= p;
    if (k > 0) for (let i = 0; i < p; i++) D.data[k * p + i] = D.data[k * p + i]! - mean;
  }
  normalizeColumns(D);
  return D;
}

/**
 * 2-D overcomplete DCT for √n×√n patches (vectorised row by row) with K atoms: atom (a, b), a, b < √K, is
 * the outer product of 1-D atoms a (vertical) and b (horizontal), column index a·√K + b; the DC atom is
 * column 0. n and K must be perfect squares with K ≥ n.
 */
export function overcompleteDct2d(n: number, K: number): Mat {
  const p = Math.round(Math.sqrt(n));
  const m = Math.round(Math.sqrt(K));
  if (p * p !== n || m * m !== K) throw new RangeError(`the 2-D DCT needs square patch size and atom count, got n = ${n}, K = ${K}`);
  const D1 = overcompleteDct1d(p, m);
  const D = mat(n, K);
  for (let a = 0; a < m; a++) {
    for (let b = 0; b < m; b++) {
      const o = (a * m + b) * n;
      for (let r = 0; r < p; r++) {
        for (let c = 0; c < p; c++) D.data[o + r * p + c] = D1.data[a * p + r]! * D1.data[b * p + c]!;
      }
    }
  }
  normalizeColumns(D);
  return D;
}
