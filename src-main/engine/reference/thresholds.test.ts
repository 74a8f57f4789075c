import { describe, expect, it } from 'vitest';
import { hardThreshold, softThreshold, softThresholdNonNeg } from './thresholds';

const relu = (v: number): number => (v > 0 ? v : 0);

function samples(n: number, seed: number): Float64Array {
  // Deterministic values in (−3, 3), plus exact ties with the thresholds used below.
  let s = seed;
  const out = Float64Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 6 - 3;
  });
  out.set([0.5, -0.5, 0, -0, 3, -3], 0);
  return out;
}

describe('threshold operators', () => {
  const x = samples(200, 42);
  const betaArr = Float64Array.from(x, (_, i) => (i % 7) * 0.25);

  for (const [label, beta] of [
    ['scalar β', 0.5],
    ['length-1 β', Float64Array.of(0.5)],
    ['per-element β', betaArr],
  ] as const) {
    const b = (i: number): number => (typeof beta === 'number' ? beta : beta.length === 1 ? beta[0]! : beta[i]!);

    it(`${label}: S_β(x) = Relu(x − β) − Relu(−x − β)`, () => {
      const s = softThreshold(x, beta);
      for (let i = 0; i < x.length; i++) expect(s[i]).toBeCloseTo(relu(x[i]! - b(i)) - relu(-x[i]! - b(i)), 15);
    });

    it(`${label}: S⁺_β(x) = Relu(x − β)`, () => {
      const s = softThresholdNonNeg(x, beta);
      for (let i = 0; i < x.length; i++) expect(s[i]).toBe(relu(x[i]! - b(i)));
    });

    it(`${label}: H_β keeps exactly the entries with |x| > β, unchanged`, () => {
      const h = hardThreshold(x, beta);
      for (let i = 0; i < x.length; i++) {
        if (Math.abs(x[i]!) > b(i)) expect(h[i]).toBe(x[i]);
        else expect(h[i]).toBe(0);
      }
    });
  }

  it('ties |x| = β are zeroed by all three, and β = 0 makes hard and soft the identity', () => {
    const t = Float64Array.of(0.5, -0.5);
    expect(Array.from(hardThreshold(t, 0.5))).toEqual([0, 0]);
    expect(Array.from(softThreshold(t, 0.5))).toEqual([0, 0]);
    expect(Array.from(softThresholdNonNeg(t, 0.5))).toEqual([0, 0]);
    const y = Float64Array.of(1.5, -2, 0.25);
    expect(Array.from(hardThreshold(y, 0))).toEqual([1.5, -2, 0.25]);
    expect(Array.from(softThreshold(y, 0))).toEqual([1.5, -2, 0.25]);
    expect(Array.from(softThreshold(y, 1))).toEqual([0.5, -1, 0]);
    expect(Array.from(softThresholdNonNeg(y, 0))).toEqual([1.5, 0, 0.25]);
  });

  it('propagates NaN and rejects a β of the wrong length', () => {
    const n = Float64Array.of(Number.NaN);
    expect(hardThreshold(n, 1)[0]).toBeNaN();
    expect(softThreshold(n, 1)[0]).toBeNaN();
    expect(softThresholdNonNeg(n, 1)[0]).toBeNaN();
    expect(() => softThreshold(Float64Array.of(1, 2, 3), Float64Array.of(1, 2))).toThrow(/β has 2 entries/);
  });
});
