import { describe, expect, it } from 'vitest';
import {
  broadcastShapes,
  coerceToDType,
  dtypeOfTypedArray,
  maxAbsDiff,
  numel,
  refTensor,
  stridesOf,
  toFloat64,
  toTypedArray,
} from './tensor';

describe('reference tensor helpers', () => {
  it('counts elements and computes row-major strides', () => {
    expect(numel([])).toBe(1);
    expect(numel([2, 3, 4])).toBe(24);
    expect(stridesOf([2, 3, 4])).toEqual([12, 4, 1]);
    expect(stridesOf([])).toEqual([]);
  });

  it('checks data length against the shape', () => {
    expect(refTensor([2, 2], [1, 2, 3, 4]).data).toBeInstanceOf(Float64Array);
    expect(() => refTensor([2, 2], [1, 2, 3])).toThrow(/needs 4/);
    expect(() => refTensor([-1], [])).toThrow(/invalid dimension/);
  });

  it('broadcasts shapes numpy-style', () => {
    expect(broadcastShapes([2, 1, 3], [4, 1])).toEqual([2, 4, 3]);
    expect(broadcastShapes([], [5])).toEqual([5]);
    expect(broadcastShapes([3, 1], [1, 4], [2, 1, 1])).toEqual([2, 3, 4]);
    expect(() => broadcastShapes([2, 3], [4, 3])).toThrow(/not broadcastable/);
  });

  it('converts typed arrays and coerces to a dtype', () => {
    expect(Array.from(toFloat64(BigInt64Array.of(-3n, 7n)))).toEqual([-3, 7]);
    expect(dtypeOfTypedArray(new Uint8Array(1))).toBe('bool');
    expect(Array.from(coerceToDType(Float64Array.of(1.7, -1.7, Number.NaN, 0), 'bool'))).toEqual([1, 1, 1, 0]);
    expect(Array.from(coerceToDType(Float64Array.of(1.7, -1.7), 'int64'))).toEqual([1, -1]);
    expect(coerceToDType(Float64Array.of(0.1), 'float32')[0]).toBe(Math.fround(0.1));
    const t = toTypedArray(refTensor([2], [5, -2], 'int64'));
    expect(t).toBeInstanceOf(BigInt64Array);
    expect(Array.from(t as BigInt64Array)).toEqual([5n, -2n]);
    expect(toTypedArray(refTensor([1], [0.1], 'float32'))).toBeInstanceOf(Float32Array);
  });

  it('measures differences, treating matching NaNs and infinities as equal', () => {
    expect(maxAbsDiff([1, 2, Number.NaN, Infinity], [1, 2.5, Number.NaN, Infinity])).toBe(0.5);
    expect(maxAbsDiff([1, Number.NaN, 3], [1, 2, 3])).toBeNaN();
    expect(maxAbsDiff([1], [1, 2])).toBeNaN();
  });
});
