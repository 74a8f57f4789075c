/**
 * MATLAB .mat files.
 *
 * Level 5 (what MATLAB writes with -v6 and -v7, and scipy.io.savemat): a 128-byte header whose last
 * two bytes say the byte order ('IM' little-endian, 'MI' big-endian), then data elements, each an
 * 8-byte tag (type, byte count) or the 4-byte "small element" form, padded to 8 bytes. Variables are
 * miMATRIX elements, optionally wrapped in miCOMPRESSED (a zlib stream holding one miMATRIX). Only
 * real numeric and logical arrays are read; complex, cell, struct, object, sparse and char arrays
 * are listed but refused with a message when asked for.
 *
 * Level 7.3 (-v7.3) files are HDF5 files behind a 512-byte MATLAB header; plain numeric datasets are
 * read with jsfive (see mat73.ts).
 *
 * MATLAB stores arrays column-major; the arrays returned here are in C (row-major) order with the
 * MATLAB shape, so element (i, j) of an m×n matrix is data[i * n + j].
 *
 * Every size comes from the file and is checked before anything is allocated: element extents
 * against the file (or the decompressed variable), dimensions against the data they describe,
 * element counts against `maxElements`, and compressed variables against the same limits as .npz
 * members (2 GiB each, no more than DEFLATE can expand to).
 */
import { DataFormatError, describeError, UNNAMED_SOURCE } from './errors';
import { inflateCapped, inflateHead, MAX_DEFLATE_RATIO } from './inflate';
import { MAX_NPZ_MEMBER_BYTES } from './npz';

export type MatClass =
  | 'double'
  | 'single'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'logical'
  | 'char'
  | 'cell'
  | 'struct'
  | 'object'
  | 'sparse'
  | 'function'
  | 'opaque'
  | 'unknown';

export interface MatVariableInfo {
  name: string;
  class: MatClass;
  /** MATLAB dimensions (at least two). */
  dims: number[];
  complex: boolean;
  /** A real numeric or logical array: something readMatVariable can return. */
  numeric: boolean;
}

export interface MatArray {
  name: string;
  class: MatClass;
  /** The MATLAB shape; `data` is in C order for it. */
  shape: number[];
  /** Values as float32 (int64/uint64 beyond 2^24 and doubles lose precision; doubles beyond ±3.4e38 become ±Infinity). */
  data: Float32Array;
}

export interface ReadMatOptions {
  /** Variables with more elements than this are refused before their data is read. Default 2^28. */
  maxElements?: number;
}

export const MAT_HEADER_BYTES = 128;

const CLASS_NAMES: Record<number, MatClass> = {
  1: 'cell',
  2: 'struct',
  3: 'object',
  4: 'char',
  5: 'sparse',
  6: 'double',
  7: 'single',
  8: 'int8',
  9: 'uint8',
  10: 'int16',
  11: 'uint16',
  12: 'int32',
  13: 'uint32',
  14: 'int64',
  15: 'uint64',
  16: 'function',
  17: 'opaque',
};
const NUMERIC_CLASSES = new Set<MatClass>(['double', 'single', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'logical']);

const MI = { INT8: 1, UINT8: 2, INT16: 3, UINT16: 4, INT32: 5, UINT32: 6, SINGLE: 7, DOUBLE: 9, INT64: 12, UINT64: 13, MATRIX: 14, COMPRESSED: 15, UTF8: 16, UTF16: 17, UTF32: 18 };
const MI_NAMES: Record<number, string> = {
  1: 'miINT8',
  2: 'miUINT8',
  3: 'miINT16',
  4: 'miUINT16',
  5: 'miINT32',
  6: 'miUINT32',
  7: 'miSINGLE',
  9: 'miDOUBLE',
  12: 'miINT64',
  13: 'miUINT64',
  14: 'miMATRIX',
  15: 'miCOMPRESSED',
  16: 'miUTF8',
  17: 'miUTF16',
  18: 'miUTF32',
};
const MI_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8 };

function miName(t: number): string {
  return MI_NAMES[t] ?? `type ${t}`;
}

/** What the first bytes of a file say about it being a .mat file. */
export function matHeaderKind(bytes: Uint8Array): 'v5' | 'v7.3' | null {
  const text = String.fromCharCode(...bytes.subarray(0, Math.min(bytes.length, 116)));
  if (!text.startsWith('MATLAB ')) return null;
  if (/^MATLAB 7\.3 MAT-file/.test(text)) return 'v7.3';
  if (/^MATLAB 5\.0 MAT-file/.test(text)) return 'v5';
  return null;
}

interface Tag {
  type: number;
  nbytes: number;
  /** Absolute offset of the element's data. */
  data: number;
  /** Offset of the next element (after padding). */
  next: number;
}

class Buf {
  readonly dv: DataView;
  constructor(
    readonly b: Uint8Array,
    readonly le: boolean,
    readonly source: string,
    /** How positions are described in messages: 'offset' in the file or 'variable …' bytes. */
    readonly where: (pos: number) => string,
  ) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  u32(o: number): number {
    return this.dv.getUint32(o, this.le);
  }
  fail(problem: string): never {
    throw new DataFormatError(this.source, problem);
  }
  /** Read the tag at `p`, which must lie before `end`; the element's data must end by `end` too. */
  tag(p: number, end: number, what: string): Tag {
    if (p + 8 > end) this.fail(`truncated ${what} at ${this.where(p)}: ${Math.max(0, end - p)} bytes left for an 8-byte tag`);
    const first = this.u32(p);
    if (first >>> 16 !== 0) {
      // Small data element: type and byte count share the first 4 bytes, the data the next 4.
      const type = first & 0xffff;
      const nbytes = first >>> 16;
      if (nbytes > 4) this.fail(`corrupt ${what} at ${this.where(p)}: a small data element declares ${nbytes} bytes (at most 4)`);
      return { type, nbytes, data: p + 4, next: p + 8 };
    }
    const type = first;
    const nbytes = this.u32(p + 4);
    const data = p + 8;
    if (data + nbytes > end) {
      this.fail(
        `truncated ${what} at ${this.where(p)}: ${miName(type)} element declares ${nbytes} bytes but only ${Math.max(0, end - data)} remain`,
      );
    }
    const next = type === MI.COMPRESSED ? data + nbytes : data + Math.ceil(nbytes / 8) * 8;
    return { type, nbytes, data, next: Math.min(next, end) };
  }
}

interface MatrixHeader {
  info: MatVariableInfo;
  /** The real-part element (numeric classes only). */
  real?: Tag;
}

/**
 * Parse an miMATRIX element's sub-elements (flags, dims, name and, for numeric classes, the tag of
 * the real part). `m` holds the element starting at its tag; it may be only a prefix of the element
 * (`partial`), in which case the real part is not looked for.
 */
function parseMatrix(m: Buf, start: number, end: number, partial: boolean): MatrixHeader {
  // A prefix cannot hold the whole element: its tag is read without checking the element's extent.
  const top = partial
    ? { type: m.u32(start), nbytes: m.u32(start + 4), data: start + 8 }
    : m.tag(start, end, 'variable');
  if (top.type !== MI.MATRIX) m.fail(`expected an miMATRIX element at ${m.where(start)}, found ${miName(top.type)}`);
  const mend = Math.min(end, top.data + top.nbytes);
  if (top.nbytes === 0) m.fail(`empty miMATRIX element at ${m.where(start)}`);
  const flags = m.tag(top.data, mend, 'array flags');
  if (flags.type !== MI.UINT32 || flags.nbytes !== 8) {
    m.fail(`corrupt variable at ${m.where(start)}: array flags are ${miName(flags.type)} of ${flags.nbytes} bytes (expected miUINT32 of 8)`);
  }
  const f = m.u32(flags.data);
  const classCode = f & 0xff;
  const complex = (f & 0x800) !== 0;
  const logical = (f & 0x200) !== 0;
  let cls: MatClass = CLASS_NAMES[classCode] ?? 'unknown';
  if (logical && cls !== 'sparse') cls = 'logical';

  const dimsTag = m.tag(flags.next, mend, 'dimensions');
  if (dimsTag.type !== MI.INT32 || dimsTag.nbytes % 4 !== 0 || dimsTag.nbytes < 8) {
    m.fail(`corrupt variable at ${m.where(start)}: dimensions are ${miName(dimsTag.type)} of ${dimsTag.nbytes} bytes (expected at least two miINT32)`);
  }
  const ndims = dimsTag.nbytes / 4;
  if (ndims > 32) m.fail(`variable at ${m.where(start)} has ${ndims} dimensions; more than 32 are refused`);
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) {
    const d = m.dv.getInt32(dimsTag.data + 4 * i, m.le);
    if (d < 0) m.fail(`variable at ${m.where(start)} has a negative dimension ${d}`);
    dims.push(d);
  }
  const nameTag = m.tag(dimsTag.next, mend, 'array name');
  if (nameTag.type !== MI.INT8 && nameTag.type !== MI.UINT8) {
    m.fail(`corrupt variable at ${m.where(start)}: array name is ${miName(nameTag.type)} (expected miINT8)`);
  }
  if (nameTag.nbytes > 4096) m.fail(`variable at ${m.where(start)} has a ${nameTag.nbytes}-byte name`);
  let name = '';
  for (let i = 0; i < nameTag.nbytes; i++) name += String.fromCharCode(m.b[nameTag.data + i]!);
  const numeric = NUMERIC_CLASSES.has(cls) && !complex;
  const info: MatVariableInfo = { name, class: cls, dims, complex, numeric };
  if (partial || !NUMERIC_CLASSES.has(cls)) return { info };
  const real = m.tag(nameTag.next, mend, `data of variable '${name}'`);
  return { info, real };
}

interface Variable {
  /** Offset of the top-level element in the file. */
  offset: number;
  compressed: boolean;
  /** For compressed variables: the zlib stream and the size it must inflate to. */
  stream?: Uint8Array;
  inflatedSize?: number;
  info: MatVariableInfo;
}

function fileBuf(bytes: Uint8Array, source: string): Buf {
  if (bytes.length === 0) throw new DataFormatError(source, 'file is empty');
  const kind = matHeaderKind(bytes);
  if (kind === 'v7.3') throw new DataFormatError(source, 'is a MATLAB v7.3 (HDF5) file; read it with the v7.3 reader');
  if (kind !== 'v5') {
    throw new DataFormatError(
      source,
      "not a MATLAB 5.0 MAT-file: its header does not start with 'MATLAB 5.0 MAT-file' (MATLAB v4 files are not supported; save with -v7)",
    );
  }
  if (bytes.length < MAT_HEADER_BYTES) throw new DataFormatError(source, `truncated MAT-file header: only ${bytes.length} of 128 bytes`);
  const e = String.fromCharCode(bytes[126]!, bytes[127]!);
  if (e !== 'IM' && e !== 'MI') {
    throw new DataFormatError(source, `corrupt MAT-file header: endian indicator is ${JSON.stringify(e)} (expected 'IM' or 'MI')`);
  }
  const le = e === 'IM';
  const b = new Buf(bytes, le, source, (p) => `offset ${p}`);
  const version = new DataView(bytes.buffer, bytes.byteOffset).getUint16(124, le);
  if (version !== 0x0100) throw new DataFormatError(source, `unsupported MAT-file version 0x${version.toString(16)} (expected 0x0100)`);
  return b;
}

const HEAD_PEEK = 64 * 1024;

function scanVariables(bytes: Uint8Array, source: string): { buf: Buf; vars: Variable[] } {
  const buf = fileBuf(bytes, source);
  const vars: Variable[] = [];
  let p = MAT_HEADER_BYTES;
  while (p < bytes.length) {
    const t = buf.tag(p, bytes.length, 'data element');
    if (t.type === MI.MATRIX) {
      const { info } = parseMatrix(buf, p, bytes.length, false);
      vars.push({ offset: p, compressed: false, info });
    } else if (t.type === MI.COMPRESSED) {
      const stream = bytes.subarray(t.data, t.data + t.nbytes);
      let head: Uint8Array;
      try {
        head = inflateHead(stream, 'zlib', HEAD_PEEK);
      } catch (e) {
        throw new DataFormatError(source, `compressed variable at offset ${p}: corrupt zlib data (${describeError(e)})`, { cause: e });
      }
      const hb = new Buf(head, buf.le, source, (q) => `byte ${q} of the compressed variable at offset ${p}`);
      if (head.length < 8) hb.fail(`compressed variable at offset ${p} decompresses to only ${head.length} bytes`);
      const innerType = hb.u32(0);
      if (innerType !== MI.MATRIX) hb.fail(`compressed variable at offset ${p} holds ${miName(innerType)}, not an miMATRIX`);
      const inflatedSize = 8 + hb.u32(4);
      if (inflatedSize > MAX_NPZ_MEMBER_BYTES) {
        hb.fail(`compressed variable at offset ${p} declares ${inflatedSize} bytes uncompressed; variables over 2 GiB are refused`);
      }
      if (inflatedSize > Math.max(1024, t.nbytes * MAX_DEFLATE_RATIO)) {
        hb.fail(
          `compressed variable at offset ${p} declares ${inflatedSize} bytes uncompressed from ${t.nbytes} compressed bytes, ` +
            'more than DEFLATE can expand (decompression bomb or corrupt file)',
        );
      }
      const { info } = parseMatrix(hb, 0, Math.min(head.length, inflatedSize), true);
      vars.push({ offset: p, compressed: true, stream, inflatedSize, info });
    } else {
      buf.fail(`unexpected top-level ${miName(t.type)} element at offset ${p} (expected miMATRIX or miCOMPRESSED)`);
    }
    p = t.next;
  }
  return { buf, vars };
}

/** The variables of a level-5 MAT-file, in file order, decompressing only their headers. */
export function listMat(bytes: Uint8Array, sourceName: string = UNNAMED_SOURCE): MatVariableInfo[] {
  return scanVariables(bytes, sourceName).vars.map((v) => v.info);
}

export function describeMatClass(info: MatVariableInfo): string {
  if (info.complex) return `complex ${info.class}`;
  const names: Partial<Record<MatClass, string>> = {
    cell: 'a cell array',
    struct: 'a struct',
    object: 'an object',
    char: 'a char array (text)',
    sparse: 'a sparse matrix',
    function: 'a function handle',
    opaque: 'an opaque object (e.g. a table or string)',
    unknown: 'of an unknown class',
  };
  return names[info.class] ?? info.class;
}

/** Refuse a variable that is not a real numeric array, or that has too many elements. */
export function checkMatVariable(info: MatVariableInfo, source: string, maxElements: number): number {
  if (info.complex) {
    throw new DataFormatError(source, `variable '${info.name}' is complex (${info.class}); only real arrays are supported (use real() or abs() first)`);
  }
  if (!info.numeric) {
    throw new DataFormatError(source, `variable '${info.name}' is ${describeMatClass(info)}; only numeric and logical arrays can be imported`);
  }
  const n = info.dims.reduce((a, b) => a * b, 1);
  if (n > maxElements) {
    throw new DataFormatError(source, `variable '${info.name}' is ${info.dims.join('x')} = ${n} elements; more than ${maxElements} are refused`);
  }
  return n;
}

/**
 * Column-major (Fortran) flat index source → C-order output: out[c] = get(f) where c and f address
 * the same multi-index of `shape`.
 */
export function fortranToCFloat32(shape: readonly number[], n: number, get: (f: number) => number): Float32Array {
  const out = new Float32Array(n);
  if (n === 0) return out;
  const nd = shape.length;
  const fstride: number[] = [];
  let acc = 1;
  for (let k = 0; k < nd; k++) {
    fstride.push(acc);
    acc *= shape[k]!;
  }
  const last = shape[nd - 1]!;
  const lastStride = fstride[nd - 1]!;
  const index = new Array<number>(nd).fill(0);
  let base = 0;
  for (let o = 0; o < n; o += last) {
    let f = base;
    for (let j = 0; j < last; j++, f += lastStride) out[o + j] = get(f);
    for (let k = nd - 2; k >= 0; k--) {
      index[k]!++;
      base += fstride[k]!;
      if (index[k]! < shape[k]!) break;
      base -= fstride[k]! * shape[k]!;
      index[k] = 0;
    }
  }
  return out;
}

function getter(m: Buf, t: Tag): (i: number) => number {
  const dv = m.dv;
  const le = m.le;
  const o = t.data;
  switch (t.type) {
    case MI.INT8:
      return (i) => dv.getInt8(o + i);
    case MI.UINT8:
      return (i) => m.b[o + i]!;
    case MI.INT16:
      return (i) => dv.getInt16(o + 2 * i, le);
    case MI.UINT16:
      return (i) => dv.getUint16(o + 2 * i, le);
    case MI.INT32:
      return (i) => dv.getInt32(o + 4 * i, le);
    case MI.UINT32:
      return (i) => dv.getUint32(o + 4 * i, le);
    case MI.SINGLE:
      return (i) => dv.getFloat32(o + 4 * i, le);
    case MI.DOUBLE:
      return (i) => dv.getFloat64(o + 8 * i, le);
    case MI.INT64:
      return (i) => Number(dv.getBigInt64(o + 8 * i, le));
    case MI.UINT64:
      return (i) => Number(dv.getBigUint64(o + 8 * i, le));
    default:
      return m.fail(`variable data is stored as ${miName(t.type)}, which is not a numeric type`);
  }
}

function readMatrixData(m: Buf, start: number, end: number, maxElements: number): MatArray {
  const { info, real } = parseMatrix(m, start, end, false);
  const n = checkMatVariable(info, m.source, maxElements);
  const t = real!;
  const size = MI_SIZE[t.type];
  if (size === undefined) m.fail(`variable '${info.name}' stores its data as ${miName(t.type)}, which is not a numeric type`);
  if (t.nbytes !== n * size) {
    m.fail(
      `variable '${info.name}' is ${info.dims.join('x')} (${n} elements) but its ${miName(t.type)} data holds ${t.nbytes} bytes, ` +
        `not ${n * size} (dimensions and data disagree)`,
    );
  }
  const get = getter(m, t);
  return { name: info.name, class: info.class, shape: info.dims.slice(), data: fortranToCFloat32(info.dims, n, get) };
}

/**
 * Read one real numeric (or logical) variable of a level-5 MAT-file as float32 in C order with its
 * MATLAB shape. With no `name`, the first such variable in the file.
 */
export function readMatVariable(bytes: Uint8Array, sourceName: string = UNNAMED_SOURCE, name?: string, options: ReadMatOptions = {}): MatArray {
  const source = sourceName;
  const maxElements = options.maxElements ?? 2 ** 28;
  const { buf, vars }: { buf: Buf; vars: Variable[] } = scanVariables(bytes, source);
  if (vars.length === 0) buf.fail('MAT-file holds no variables');
  let v: Variable | undefined;
  if (name === undefined) {
    v = vars.find((x) => x.info.numeric);
    if (!v) {
      const list = vars.map((x) => `'${x.info.name}' (${describeMatClass(x.info)})`).join(', ');
      return buf.fail(`MAT-file holds no real numeric variable (it holds ${list.slice(0, 300)})`);
    }
  } else {
    v = vars.find((x) => x.info.name === name);
    if (!v) return buf.fail(`MAT-file has no variable '${name}' (it holds ${vars.map((x) => `'${x.info.name}'`).join(', ').slice(0, 300)})`);
  }
  // Refuse by the header alone before decompressing or converting anything.
  checkMatVariable(v.info, source, maxElements);
  if (!v.compressed) return readMatrixData(buf, v.offset, bytes.length, maxElements);
  let inflated: Uint8Array;
  try {
    inflated = inflateCapped(v.stream!, 'zlib', v.inflatedSize!, 'throw');
    if (inflated.length !== v.inflatedSize) throw new Error(`it decompresses to ${inflated.length} bytes, not the declared ${v.inflatedSize}`);
  } catch (e) {
    return buf.fail(`compressed variable '${v.info.name}' at offset ${v.offset}: corrupt zlib data (${describeError(e)})`);
  }
  const m = new Buf(inflated, buf.le, source, (q) => `byte ${q} of compressed variable '${v.info.name}'`);
  return readMatrixData(m, 0, inflated.length, maxElements);
}
