import { describe, expect, it } from 'vitest';
import { clampSmoothing, emaSmooth, emaSmoothPoints, MAX_SMOOTHING } from './ema';

describe('emaSmooth', () => {
  it('is the identity at weight 0 (and for weights that mean none)', () => {
    const v = [3, -1, 4, 1, 5, 9, 2, 6];
    expect(emaSmooth(v, 0)).toEqual(v);
    expect(emaSmooth(v, -0.5)).toEqual(v);
    expect(emaSmooth(v, Number.NaN)).toEqual(v);
    expect(emaSmooth(v, 0)).not.toBe(v);
  });

  it('keeps the first value (debiasing) and a constant series constant, for any weight', () => {
    for (const w of [0.1, 0.5, 0.9, 0.99]) {
      expect(emaSmooth([7, 100, -3], w)[0]).toBe(7);
      const c = emaSmooth(new Array(200).fill(2.5), w);
      for (const y of c) expect(Math.abs(y - 2.5)).toBeLessThan(1e-12);
    }
  });

  it('matches values computed by hand', () => {
    // w = 0.5: acc 0.5·1 = 0.5 → /0.5 = 1; acc 0.25 + 1.5 = 1.75 → /0.75 = 7/3; acc 0.875 + 2.5 = 3.375 → /0.875 = 27/7
    const s = emaSmooth([1, 3, 5], 0.5);
    expect(s[0]).toBeCloseTo(1, 14);
    expect(s[1]).toBeCloseTo(7 / 3, 14);
    expect(s[2]).toBeCloseTo(27 / 7, 14);
    // w = 0.9 on a step 0,0,10: acc 0, 0, 1 → /(1 − 0.729) = 1/0.271
    expect(emaSmooth([0, 0, 10], 0.9)[2]).toBeCloseTo(1 / 0.271, 12);
  });

  it('matches a brute-force weighted mean (weights wⁿ⁻ⁱ, normalised)', () => {
    const v = Array.from({ length: 50 }, (_, i) => Math.sin(i) * 10 + i);
    const w = 0.8;
    const s = emaSmooth(v, w);
    for (let n = 0; n < v.length; n++) {
      let num = 0;
      let den = 0;
      for (let i = 0; i <= n; i++) {
        num += Math.pow(w, n - i) * v[i]!;
        den += Math.pow(w, n - i);
      }
      expect(s[n]).toBeCloseTo(num / den, 10);
    }
  });

  it('passes non-finite values through in place and leaves them out of the average', () => {
    const s = emaSmooth([1, Number.NaN, 3, Number.POSITIVE_INFINITY, 5], 0.5);
    const clean = emaSmooth([1, 3, 5], 0.5);
    expect(s).toHaveLength(5);
    expect(s[1]).toBeNaN();
    expect(s[3]).toBe(Number.POSITIVE_INFINITY);
    expect([s[0], s[2], s[4]]).toEqual(clean);
  });

  it('clamps weights to [0, 0.99]', () => {
    expect(clampSmoothing(1)).toBe(MAX_SMOOTHING);
    expect(clampSmoothing(0.3)).toBe(0.3);
    expect(clampSmoothing(Number.POSITIVE_INFINITY)).toBe(0);
    // At weight 1 nothing would move; clamped, the average still follows the data.
    expect(emaSmooth([0, 100], 1)[1]).toBeGreaterThan(0);
  });
});

describe('emaSmoothPoints', () => {
  it('keeps every x and smooths y', () => {
    const p = emaSmoothPoints(
      [
        [10, 1],
        [20, Number.NaN],
        [35, 3],
      ],
      0.5,
    );
    expect(p.map((q) => q[0])).toEqual([10, 20, 35]);
    expect(p[0]![1]).toBe(1);
    expect(p[1]![1]).toBeNaN();
    expect(p[2]![1]).toBeCloseTo(7 / 3, 14);
  });
});
