import { describe, expect, it } from 'vitest';
import { sizeOf } from './ir';

describe('sizeOf', () => {
  it('multiplies dimensions and treats a scalar as one element', () => {
    expect(sizeOf([2, 3, 4])).toBe(24);
    expect(sizeOf([])).toBe(1);
    expect(sizeOf([5, 0])).toBe(0);
  });
});
