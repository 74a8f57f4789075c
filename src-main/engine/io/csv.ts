/**
 * Delimited text (CSV, TSV, semicolon- or whitespace-separated, as np.savetxt writes) of numbers:
 * one record per line, an optional header line, '#' comments. Parsed with csv-parse's sync API; each
 * record is converted to numbers as it is parsed, so memory holds only the numeric table.
 */
import { CsvError, parse } from 'csv-parse/sync';
import { DataFormatError, describeError, UNNAMED_SOURCE } from './errors';

/** Text files larger than this are refused (a JavaScript string cannot hold much more). */
export const MAX_TEXT_BYTES = 256 * 2 ** 20;

export type Delimiter = ',' | '\t' | ';' | ' ';

export interface NumericTable {
  rows: number;
  cols: number;
  /** Row-major values. */
  data: Float32Array;
  delimiter: Delimiter;
  /** The header line's cells, when the first line was not numeric. */
  header?: string[];
}

export interface ReadTableOptions {
  /** Default: tab for .tsv-like content, else guessed from the first line (tab, comma, semicolon, whitespace). */
  delimiter?: Delimiter;
  /** Tables with more values than this are refused before parsing. Default 2^28. */
  maxElements?: number;
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;

function guessDelimiter(text: string): Delimiter {
  const line = text.split(/\r?\n/).find((l) => l.trim() !== '' && !l.trimStart().startsWith('#')) ?? '';
  if (line.includes('\t')) return '\t';
  if (line.includes(',')) return ',';
  if (line.includes(';')) return ';';
  return ' ';
}

function show(cell: string): string {
  return JSON.stringify(cell.length > 40 ? `${cell.slice(0, 40)}…` : cell);
}

/** Parse delimited numeric text; every problem names its line (1-based) and column (1-based). */
export function readNumericTable(bytes: Uint8Array, sourceName: string = UNNAMED_SOURCE, options: ReadTableOptions = {}): NumericTable {
  const source = sourceName;
  const fail = (problem: string): never => {
    throw new DataFormatError(source, problem);
  };
  if (bytes.length === 0) fail('file is empty');
  if (bytes.length > MAX_TEXT_BYTES) fail(`text file of ${bytes.length} bytes is too large (at most 256 MiB); convert it to .npy`);
  const nul = bytes.indexOf(0);
  if (nul >= 0) fail(`not a text file: it contains a NUL byte at offset ${nul}`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return fail('not a text file: it is not valid UTF-8');
  }
  const delimiter = options.delimiter ?? guessDelimiter(text);
  const whitespace = delimiter === ' ';
  // Every value needs a delimiter or a line break after it (or the end of the file): an upper bound
  // on the number of values, known before anything is parsed.
  let bound = 1;
  const dcode = delimiter.charCodeAt(0);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === dcode || c === 10 || (whitespace && c === 9)) bound++;
  }
  const maxElements = options.maxElements ?? 2 ** 28;
  if (bound > maxElements) fail(`text holds up to ${bound} values; more than ${maxElements} are refused`);

  const data = new Float32Array(bound);
  let n = 0;
  let rows = 0;
  let cols = -1;
  let header: string[] | undefined;
  let firstLine = 0;
  try {
    parse(text, {
      delimiter: whitespace ? [' ', '\t'] : delimiter,
      bom: true,
      comment: '#',
      skip_empty_lines: true,
      relax_column_count: true,
      trim: !whitespace,
      on_record: (record: string[], ctx) => {
        const line = ctx.lines;
        const cells = whitespace ? record.filter((c) => c !== '') : record;
        if (cells.length === 0) return null;
        let numeric = true;
        for (const cell of cells) if (!NUMBER.test(cell) && !NON_FINITE.test(cell) && cell !== '') numeric = false;
        if (!numeric && rows === 0 && header === undefined) {
          header = cells;
          firstLine = line;
          return null;
        }
        if (cols === -1) {
          cols = cells.length;
          if (header && header.length !== cols) {
            fail(`the header (line ${firstLine}) has ${header.length} columns but line ${line} has ${cols} values`);
          }
        } else if (cells.length !== cols) {
          fail(`line ${line} has ${cells.length} values, expected ${cols} like the lines before it (ragged rows)`);
        }
        for (let j = 0; j < cells.length; j++) {
          const cell = cells[j]!;
          if (cell === '') fail(`empty cell at line ${line}, column ${j + 1}`);
          if (NON_FINITE.test(cell)) fail(`non-finite value ${show(cell)} at line ${line}, column ${j + 1} (row ${rows + 1})`);
          if (!NUMBER.test(cell)) fail(`non-numeric cell ${show(cell)} at line ${line}, column ${j + 1}`);
          const v = Number(cell);
          const f = Math.fround(v);
          if (!Number.isFinite(f)) fail(`value ${show(cell)} at line ${line}, column ${j + 1} is beyond the float32 range`);
          data[n++] = f;
        }
        rows++;
        return null;
      },
    });
  } catch (e) {
    if (e instanceof DataFormatError) throw e;
    if (e instanceof CsvError) fail(`malformed ${delimiter === ',' ? 'CSV' : 'delimited text'}: ${e.message}`);
    return fail(`malformed text: ${describeError(e)}`);
  }
  if (rows === 0) fail(header ? 'has a header line but no numeric rows' : 'has no numeric rows');
  return { rows, cols, data: data.slice(0, n), delimiter, ...(header ? { header } : {}) };
}
