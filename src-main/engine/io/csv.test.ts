import { describe, expect, it } from 'vitest';
import { readNumericTable } from './csv';
import { expectFormatError } from './test-helpers';

const F = 'signals.csv';
const text = (s: string) => new TextEncoder().encode(s);

describe('numeric tables (csv-parse)', () => {
  it('reads CSV with a header, TSV, semicolons, whitespace (np.savetxt) and comments', () => {
    const csv = readNumericTable(text('a,b,c\n1,2,3\n4.5,-6e-1, 7\n'), F);
    expect(csv).toMatchObject({ rows: 2, cols: 3, delimiter: ',', header: ['a', 'b', 'c'] });
    expect(Array.from(csv.data)).toEqual([1, 2, 3, 4.5, Math.fround(-0.6), 7]);
    expect(readNumericTable(text('1\t2\r\n3\t4\r\n'), F)).toMatchObject({ rows: 2, cols: 2, delimiter: '\t' });
    expect(readNumericTable(text('1;2\n3;4\n'), F)).toMatchObject({ rows: 2, cols: 2, delimiter: ';' });
    const ws = readNumericTable(text('# saved by numpy\n1.000000000000000000e+00 2.5e+00\n3   4\n'), F);
    expect(ws).toMatchObject({ rows: 2, cols: 2, delimiter: ' ' });
    expect(Array.from(ws.data)).toEqual([1, 2.5, 3, 4]);
    expect(readNumericTable(text('\ufeff"1","2"\n\n"3","4"\n'), F).rows).toBe(2);
  });

  it('names the line and column of every problem', () => {
    expectFormatError(() => readNumericTable(text('1,2,3\n4,5,6\n7,8\n'), F), F, /line 3 has 2 values, expected 3 .*ragged/);
    expectFormatError(() => readNumericTable(text('x,y\n1,2\n3,abc\n'), F), F, /non-numeric cell "abc" at line 3, column 2/);
    expectFormatError(() => readNumericTable(text('1,2\n3,NaN\n'), F), F, /non-finite value "NaN" at line 2, column 2/);
    expectFormatError(() => readNumericTable(text('1,-inf\n'), F), F, /non-finite value "-inf" at line 1, column 2/);
    expectFormatError(() => readNumericTable(text('1,,3\n'), F), F, /empty cell at line 1, column 2/);
    expectFormatError(() => readNumericTable(text('1e39,0\n'), F), F, /beyond the float32 range/);
    expectFormatError(() => readNumericTable(text('a,b\n'), F), F, /header line but no numeric rows/);
    expectFormatError(() => readNumericTable(text(''), F), F, /file is empty/);
    expectFormatError(() => readNumericTable(text('"1,2\n3,4\n'), F), F, /malformed CSV/);
    expectFormatError(() => readNumericTable(new Uint8Array([0x31, 0xff, 0xfe]), F), F, /not valid UTF-8/);
    expectFormatError(() => readNumericTable(text('1,2\n3,4\n'), F, { maxElements: 3 }), F, /holds up to \d+ values; more than 3 are refused/);
  });
});
