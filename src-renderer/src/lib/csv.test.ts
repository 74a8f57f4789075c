import { describe, expect, it } from 'vitest';
import { csvField, gridCsv, seriesCsv, toCsv } from './csv';

describe('csvField', () => {
  it('quotes only what needs quoting and doubles quotes', () => {
    expect(csvField('omp')).toBe('omp');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(' padded')).toBe('" padded"');
    expect(csvField('‖Γ‖s0,∞')).toBe('"‖Γ‖s0,∞"');
  });

  it('writes numbers in full and missing values as empty fields', () => {
    expect(csvField(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(csvField(1e-7)).toBe('1e-7');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
    expect(csvField(NaN)).toBe('');
    expect(csvField(Infinity)).toBe('Infinity');
    expect(csvField(true)).toBe('true');
  });
});

describe('toCsv', () => {
  it('has a header row and CRLF line ends', () => {
    expect(toCsv(['x', 'y'], [[1, 2], ['a"b', null]])).toBe('x,y\r\n1,2\r\n"a""b",\r\n');
    expect(toCsv(['only'], [])).toBe('only\r\n');
  });
});

describe('seriesCsv', () => {
  it('puts series side by side on the union of their x values', () => {
    const csv = seriesCsv('sparsity', [
      { name: 'omp', points: [[1, 1], [2, 0.5]] },
      { name: 'layered-thr', points: [[2, 0.25], [3, 0]] },
    ]);
    expect(csv.split('\r\n')).toEqual(['sparsity,omp,layered-thr', '1,1,', '2,0.5,0.25', '3,,0', '']);
  });
});

describe('gridCsv', () => {
  it('writes one row per cell, row by row', () => {
    const csv = gridCsv({ x: 'sparsity', y: 'noise', value: 'success' }, [1, 2], [0, 0.1], [[1, 0.5], [null, 0]]);
    expect(csv.split('\r\n')).toEqual(['sparsity,noise,success', '1,0,1', '2,0,0.5', '1,0.1,', '2,0.1,0', '']);
  });
});
