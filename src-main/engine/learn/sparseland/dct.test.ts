import { describe, expect, it } from 'vitest';
import { col, columnNorms, dot } from './dense';
import { overcompleteDct1d, overcompleteDct2d } from './dct';

describe('overcomplete DCT dictionary', () => {
  it('is n×K with unit atoms and a constant DC atom first', () => {
    const D = overcompleteDct2d(64, 256);
    expect([D.rows, D.cols]).toEqual([64, 256]);
    for (const v of columnNorms(D)) expect(v).toBeCloseTo(1, 12);
    for (const v of col(D, 0)) expect(v).toBeCloseTo(1 / 8, 14);
  });

  it('has zero-mean atoms except the DC atom, and separable atoms', () => {
    const D = overcompleteDct2d(16, 36);
    for (let k = 1; k < 36; k++) {
      const s = col(D, k).reduce((a, b) => a + b, 0);
      expect(Math.abs(s)).toBeLessThan(1e-12);
    }
    // Atom (a, b) is the outer product of 1-D atoms a and b.
    const D1 = overcompleteDct1d(4, 6);
    const a = 2;
    const b = 5;
    const atom = col(D, a * 6 + b);
    for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) expect(atom[r * 4 + c]).toBeCloseTo(col(D1, a)[r]! * col(D1, b)[c]!, 14);
  });

  it('keeps the DC atom orthogonal to every other 1-D atom', () => {
    const D1 = overcompleteDct1d(8, 8);
    for (let k = 1; k < 8; k++) expect(Math.abs(dot(D1.data, 0, D1.data, k * 8, 8))).toBeLessThan(1e-12);
  });

  it('rejects shapes that are not squares', () => {
    expect(() => overcompleteDct2d(60, 256)).toThrow(/square/);
    expect(() => overcompleteDct1d(8, 4)).toThrow(/length ≤ atoms/);
  });
});
