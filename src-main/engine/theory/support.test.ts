import { describe, expect, it } from 'vitest';
import { errorNorms, supportRecovery, topKSupport } from './support';

const f = (...v: number[]) => new Float64Array(v);

describe('supportRecovery', () => {
  it('counts hits, misses and false alarms', () => {
    const r = supportRecovery(f(1, 0, -2, 0, 3), f(0.9, 0.1, -1.5, 0, 0));
    expect(r).toEqual({ truth: 3, found: 3, truePositives: 2, falsePositives: 1, falseNegatives: 1, precision: 2 / 3, recall: 2 / 3, exact: false });
    // A tolerance turns the small false alarm into a zero.
    const t = supportRecovery(f(1, 0, -2, 0, 3), f(0.9, 0.1, -1.5, 0, 2), 0.2);
    expect(t.exact).toBe(true);
    expect([t.precision, t.recall]).toEqual([1, 1]);
  });

  it('gives precision 1 when nothing is found and recall 1 when the truth is empty', () => {
    const none = supportRecovery(f(1, 2), f(0, 0));
    expect([none.precision, none.recall, none.exact]).toEqual([1, 0, false]);
    const empty = supportRecovery(f(0, 0), f(0, 1));
    expect([empty.precision, empty.recall, empty.exact]).toEqual([0, 1, false]);
    expect(supportRecovery(f(0, 0), f(0, 0)).exact).toBe(true);
  });

  it('reads float32 and rejects length mismatches', () => {
    expect(supportRecovery(new Float32Array([1, 0]), f(1, 0)).exact).toBe(true);
    expect(() => supportRecovery(f(1), f(1, 0))).toThrow(RangeError);
  });
});

describe('topKSupport', () => {
  it('asks whether the k largest estimates sit on the true support', () => {
    expect(topKSupport(f(1, 0, 1, 0), f(0.3, 0.2, -0.9, 0.1))).toBe(true);
    expect(topKSupport(f(1, 0, 1, 0), f(0.3, 0.4, -0.9, 0.1))).toBe(false);
  });

  it('breaks ties against success', () => {
    expect(topKSupport(f(1, 0, 0), f(0.5, -0.5, 0))).toBe(false);
    expect(topKSupport(f(1, 0), f(0, 0))).toBe(false);
  });

  it('handles k = 0 and a full support', () => {
    expect(topKSupport(f(0, 0), f(0, 0))).toBe(true);
    expect(topKSupport(f(0, 0), f(0, 1e-9))).toBe(false);
    expect(topKSupport(f(1, 2), f(0, 0))).toBe(true);
  });
});

describe('errorNorms', () => {
  it('returns ℓ2, relative ℓ2 and ℓ∞ errors', () => {
    const e = errorNorms(f(3, 0, 4), f(3, 1, 2));
    expect(e.l2).toBeCloseTo(Math.sqrt(5), 15);
    expect(e.relative).toBeCloseTo(Math.sqrt(5) / 5, 15);
    expect(e.linf).toBe(2);
    expect(errorNorms(f(0, 0), f(0, 0))).toEqual({ l2: 0, relative: 0, linf: 0 });
    expect(errorNorms(f(0, 0), f(0, 1)).relative).toBe(Infinity);
  });
});
