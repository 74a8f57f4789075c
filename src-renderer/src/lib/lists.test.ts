import { describe, expect, it } from 'vitest';
import { formatIntegerList, parseIntegerList, parseNumberList } from './lists';

describe('parseIntegerList', () => {
  it('reads ranges and lists, sorted and without repeats', () => {
    expect(parseIntegerList('1-12')).toEqual({ ok: true, values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] });
    expect(parseIntegerList('1,2,4,8')).toEqual({ ok: true, values: [1, 2, 4, 8] });
    expect(parseIntegerList(' 8; 1 - 3 ,2  10–9 ')).toEqual({ ok: true, values: [1, 2, 3, 8, 9, 10] });
    expect(parseIntegerList('4-2')).toEqual({ ok: true, values: [2, 3, 4] });
  });

  it('says what is wrong', () => {
    expect(parseIntegerList('')).toMatchObject({ ok: false, error: expect.stringContaining('at least one') });
    expect(parseIntegerList('1, 2.5')).toEqual({ ok: false, error: '"2.5" is not a whole number or a range like 1-12.' });
    expect(parseIntegerList('1-x')).toMatchObject({ ok: false });
    expect(parseIntegerList('-3')).toMatchObject({ ok: false });
    expect(parseIntegerList('0-3', { min: 1 })).toEqual({ ok: false, error: '0 is below the smallest allowed value, 1.' });
    expect(parseIntegerList('1, 5000', { max: 4096 })).toEqual({ ok: false, error: '5000 is above the largest allowed value, 4096.' });
    expect(parseIntegerList('1-65', { maxCount: 64 })).toEqual({ ok: false, error: '65 values are too many; at most 64.' });
    expect(parseIntegerList('1-100000000', { maxCount: 64 })).toMatchObject({ ok: false, error: expect.stringContaining('holds 100000000 values') });
  });
});

describe('parseNumberList', () => {
  it('reads decimals and exponents', () => {
    expect(parseNumberList('0, 0.05 .1 1e-1 2E0')).toEqual({ ok: true, values: [0, 0.05, 0.1, 2] });
  });

  it('refuses text, ranges and values out of bounds', () => {
    expect(parseNumberList('0, abc')).toEqual({ ok: false, error: '"abc" is not a number.' });
    expect(parseNumberList('0-1')).toMatchObject({ ok: false });
    expect(parseNumberList('Infinity')).toMatchObject({ ok: false });
    expect(parseNumberList('  ')).toMatchObject({ ok: false });
    expect(parseNumberList('-0.1', { min: 0 })).toMatchObject({ ok: false, error: expect.stringContaining('below') });
    expect(parseNumberList('1 2 3', { maxCount: 2 })).toMatchObject({ ok: false, error: expect.stringContaining('at most 2') });
  });
});

describe('formatIntegerList', () => {
  it('writes runs as ranges and round-trips', () => {
    expect(formatIntegerList([1, 2, 3, 4, 6, 8, 9, 10])).toBe('1-4, 6, 8-10');
    expect(formatIntegerList([1, 2, 5])).toBe('1, 2, 5');
    expect(formatIntegerList([])).toBe('');
    const p = parseIntegerList(formatIntegerList([3, 1, 2, 7, 12, 11, 10]));
    expect(p).toEqual({ ok: true, values: [1, 2, 3, 7, 10, 11, 12] });
  });
});
