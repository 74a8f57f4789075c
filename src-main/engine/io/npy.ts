import { open } from 'node:fs/promises';
import { writeFileAtomic } from './fileio';
import { DataFormatError, UNNAMED_SOURCE } from './errors';
import { describePyValue, parsePyLiteral, PyLiteralError, type PyValue } from './pyliteral';

export type DType = 'float32' | 'float64' | 'int32' | 'int64' | 'uint8' | 'bool' | 'int16' | 'uint16' | 'int8';

export type NdData =
  | Float32Array
  | Float64Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int8Array;

/** A dense array in C (row-major) order. `bool` arrays hold 0/1 bytes in a Uint8Array. */
export interface NdArray {
  dtype: DType;
  shape: number[];
  data: NdData;
}

/** Header fields of an `.npy` file, available before any data is read. */
export interface NpyHeader {
  version: [number, number];
  /** The descr string exactly as it appears in the file, e.g. '>f8'. */
  descr: string;
  dtype: DType;
  littleEndian: boolean;
  fortranOrder: boolean;
  shape: number[];
  /** Number of elements. */
  size: number;
  /** Offset of the first data byte from the start of the file. */
  dataOffset: number;
  dataByteLength: number;
}

/** Arrays with more elements than this are refused (their indices would not fit an int32). */
export const MAX_ELEMENTS = 2 ** 31;

interface DTypeInfo {
  dtype: DType;
  kind: 'f' | 'i' | 'u' | 'b';
  itemSize: 1 | 2 | 4 | 8;
  view(buffer: ArrayBuffer, length: number): NdData;
  holds(data: NdData): boolean;
}

const DTYPES: Record<DType, DTypeInfo> = {
  float32: { dtype: 'float32', kind: 'f', itemSize: 4, view: (b, n) => new Float32Array(b, 0, n), holds: (d) => d instanceof Float32Array },
  float64: { dtype: 'float64', kind: 'f', itemSize: 8, view: (b, n) => new Float64Array(b, 0, n), holds: (d) => d instanceof Float64Array },
  int8: { dtype: 'int8', kind: 'i', itemSize: 1, view: (b, n) => new Int8Array(b, 0, n), holds: (d) => d instanceof Int8Array },
  int16: { dtype: 'int16', kind: 'i', itemSize: 2, view: (b, n) => new Int16Array(b, 0, n), holds: (d) => d instanceof Int16Array },
  int32: { dtype: 'int32', kind: 'i', itemSize: 4, view: (b, n) => new Int32Array(b, 0, n), holds: (d) => d instanceof Int32Array },
  int64: { dtype: 'int64', kind: 'i', itemSize: 8, view: (b, n) => new BigInt64Array(b, 0, n), holds: (d) => d instanceof BigInt64Array },
  uint8: { dtype: 'uint8', kind: 'u', itemSize: 1, view: (b, n) => new Uint8Array(b, 0, n), holds: (d) => d instanceof Uint8Array },
  uint16: { dtype: 'uint16', kind: 'u', itemSize: 2, view: (b, n) => new Uint16Array(b, 0, n), holds: (d) => d instanceof Uint16Array },
  bool: { dtype: 'bool', kind: 'b', itemSize: 1, view: (b, n) => new Uint8Array(b, 0, n), holds: (d) => d instanceof Uint8Array },
};

const SUPPORTED_DESCRS = "'<f4', '<f8', '<i1', '<i2', '<i4', '<i8', '<u1', '<u2', '|b1' (and their big-endian forms)";

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ALIGN = 64;
// NumPy leaves room for the growth axis to reach this many digits without rewriting the file.
const GROWTH_AXIS_MAX_DIGITS = 21;

export function dtypeItemSize(dtype: DType): number {
  return DTYPES[dtype].itemSize;
}

/** The `.npy` descr NumPy writes for `dtype` on a little-endian machine. */
export function dtypeDescr(dtype: DType): string {
  const info = DTYPES[dtype];
  return `${info.itemSize === 1 ? '|' : '<'}${info.kind}${info.itemSize}`;
}

export function formatShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

// ---------------------------------------------------------------------------------------------
// Reading

interface Extent {
  major: number;
  minor: number;
  dataOffset: number;
}

/** Check magic and version and work out where the data starts; needs at most the first 12 bytes. */
function headerExtent(bytes: Uint8Array, source: string): Extent {
  if (bytes.length === 0) throw new DataFormatError(source, 'file is empty, not a .npy file');
  for (let i = 0; i < Math.min(MAGIC.length, bytes.length); i++) {
    if (bytes[i] !== MAGIC[i]) {
      throw new DataFormatError(source, 'not a .npy file: bad magic (it does not start with \\x93NUMPY)');
    }
  }
  if (bytes.length < 10) {
    throw new DataFormatError(source, `truncated .npy header: only ${bytes.length} bytes in the file`);
  }
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (!((major === 1 || major === 2 || major === 3) && minor === 0)) {
    throw new DataFormatError(source, `unsupported .npy format version ${major}.${minor} (known: 1.0, 2.0, 3.0)`);
  }
  if (major === 1) return { major, minor, dataOffset: 10 + (bytes[8]! | (bytes[9]! << 8)) };
  if (bytes.length < 12) {
    throw new DataFormatError(source, `truncated .npy header: only ${bytes.length} bytes in the file`);
  }
  const len = (bytes[8]! | (bytes[9]! << 8) | (bytes[10]! << 16)) + bytes[11]! * 2 ** 24;
  return { major, minor, dataOffset: 12 + len };
}

function decodeHeaderText(bytes: Uint8Array, major: number, source: string): string {
  if (major === 3) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new DataFormatError(source, 'header of a version 3.0 .npy file is not valid UTF-8');
    }
  }
  // Versions 1 and 2 are latin-1; TextDecoder('latin1') would really be windows-1252.
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, Math.min(bytes.length, i + 8192)));
  }
  return s;
}

function parseDescr(descr: PyValue, source: string): { info: DTypeInfo; littleEndian: boolean; text: string } {
  if (descr.kind === 'list') throw new DataFormatError(source, 'structured (record) dtypes are not supported');
  if (descr.kind !== 'str') {
    throw new DataFormatError(source, `header 'descr' is not a dtype string: ${describePyValue(descr).slice(0, 80)}`);
  }
  const text = descr.value;
  const m = /^([<>|=]?)([a-zA-Z])(\d{1,3})$/.exec(text);
  if (/^[<>|=]?O/.test(text)) {
    throw new DataFormatError(source, `object arrays (dtype '${text}', pickled Python objects) are not supported`);
  }
  const info = m ? Object.values(DTYPES).find((d) => d.kind === m[2] && String(d.itemSize) === m[3]) : undefined;
  if (!m || !info) {
    throw new DataFormatError(source, `unsupported dtype '${text.slice(0, 40)}' (supported: ${SUPPORTED_DESCRS})`);
  }
  const order = m[1];
  if (order === '|' && info.itemSize > 1) {
    throw new DataFormatError(source, `dtype '${text}' has no byte order, which is only valid for one-byte types`);
  }
  const littleEndian = order === '<' ? true : order === '>' ? false : HOST_LITTLE_ENDIAN;
  return { info, littleEndian, text };
}

function parseShape(v: PyValue, source: string): number[] {
  if (v.kind !== 'tuple') {
    throw new DataFormatError(source, `header 'shape' is not a tuple: ${describePyValue(v).slice(0, 80)}`);
  }
  const shape: number[] = [];
  for (const item of v.items) {
    if (item.kind !== 'int') {
      throw new DataFormatError(source, `shape ${describePyValue(v).slice(0, 80)} has a non-integer dimension ${describePyValue(item).slice(0, 40)}`);
    }
    if (item.text.startsWith('-') && /[1-9]/.test(item.text)) {
      throw new DataFormatError(source, `shape ${describePyValue(v).slice(0, 80)} has a negative dimension ${item.text}`);
    }
    const n = Number(item.text);
    if (!Number.isSafeInteger(n)) {
      throw new DataFormatError(source, `shape has an absurdly large dimension ${item.text.slice(0, 40)}`);
    }
    shape.push(Math.abs(n)); // Math.abs turns '-0' into 0
  }
  return shape;
}

function formatCount(n: number): string {
  return n <= Number.MAX_SAFE_INTEGER ? String(n) : n.toExponential(3);
}

/** Number of elements in `shape`, refusing counts above MAX_ELEMENTS. */
export function checkedSize(shape: readonly number[], source: string): number {
  if (shape.includes(0)) return 0;
  let n = 1;
  for (const d of shape) n *= d;
  if (n > MAX_ELEMENTS) {
    throw new DataFormatError(
      source,
      `shape ${formatShape(shape)} has ${formatCount(n)} elements; more than 2^31 (${MAX_ELEMENTS}) are not supported`,
    );
  }
  return n;
}

/**
 * Parse and validate the header of an `.npy` file. `bytes` must hold at least the header (the
 * data may be absent); nothing proportional to the array size is allocated here.
 */
export function parseNpyHeader(bytes: Uint8Array, sourceName: string = UNNAMED_SOURCE): NpyHeader {
  const source = sourceName;
  const ext = headerExtent(bytes, source);
  if (bytes.length < ext.dataOffset) {
    throw new DataFormatError(
      source,
      `truncated .npy header: it declares ${ext.dataOffset} header bytes but the file has only ${bytes.length}`,
    );
  }
  const prefix = ext.major === 1 ? 10 : 12;
  const text = decodeHeaderText(bytes.subarray(prefix, ext.dataOffset), ext.major, source);
  let dict: PyValue;
  try {
    dict = parsePyLiteral(text);
  } catch (e) {
    if (!(e instanceof PyLiteralError)) throw e;
    throw new DataFormatError(source, `header is not a valid Python dict literal: ${e.message}`, { cause: e });
  }
  if (dict.kind !== 'dict') throw new DataFormatError(source, 'header is not a Python dict literal');

  const fields = new Map<string, PyValue>();
  for (const [key, value] of dict.entries) {
    if (fields.has(key)) throw new DataFormatError(source, `header repeats the key '${key.slice(0, 40)}'`);
    if (key !== 'descr' && key !== 'fortran_order' && key !== 'shape') {
      throw new DataFormatError(source, `header has an unexpected key '${key.slice(0, 40)}'`);
    }
    fields.set(key, value);
  }
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if (!fields.has(key)) throw new DataFormatError(source, `header is missing the key '${key}'`);
  }
  const { info, littleEndian, text: descr } = parseDescr(fields.get('descr')!, source);
  const fortran = fields.get('fortran_order')!;
  if (fortran.kind !== 'bool') {
    throw new DataFormatError(source, `header 'fortran_order' is not True or False: ${describePyValue(fortran).slice(0, 40)}`);
  }
  const shape = parseShape(fields.get('shape')!, source);
  const size = checkedSize(shape, source);
  return {
    version: [ext.major, ext.minor],
    descr,
    dtype: info.dtype,
    littleEndian,
    fortranOrder: fortran.value,
    shape,
    size,
    dataOffset: ext.dataOffset,
    dataByteLength: size * info.itemSize,
  };
}

function allocate(byteLength: number, source: string, what: string): ArrayBuffer {
  try {
    return new ArrayBuffer(byteLength);
  } catch (e) {
    throw new DataFormatError(source, `cannot allocate ${byteLength} bytes for ${what}`, { cause: e });
  }
}

function dataTooShort(h: NpyHeader, present: number, source: string): DataFormatError {
  return new DataFormatError(
    source,
    `truncated data: shape ${formatShape(h.shape)} of '${h.descr}' needs ${h.dataByteLength} bytes but only ${Math.max(0, present)} are present`,
  );
}

function byteSwap(bytes: Uint8Array, itemSize: number): void {
  if (itemSize === 1) return;
  for (let i = 0; i < bytes.length; i += itemSize) {
    for (let a = i, b = i + itemSize - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

/**
 * Reorder column-major elements into row-major. Elements are moved as raw integer words so that
 * NaN payloads and -0 survive bit for bit.
 */
function fortranToC(src: ArrayBuffer, dst: ArrayBuffer, shape: readonly number[], itemSize: number): void {
  const ndim = shape.length;
  const n = shape.reduce((a, b) => a * b, 1);
  if (n === 0) return;
  const words = itemSize === 8 ? 2 : 1;
  const view = (b: ArrayBuffer) =>
    itemSize === 1 ? new Uint8Array(b) : itemSize === 2 ? new Uint16Array(b) : new Uint32Array(b);
  const s = view(src);
  const d = view(dst);
  const fstride: number[] = [];
  let acc = 1;
  for (let k = 0; k < ndim; k++) {
    fstride.push(acc);
    acc *= shape[k]!;
  }
  const last = shape[ndim - 1]!;
  const lastStride = fstride[ndim - 1]! * words;
  const index = new Array<number>(ndim).fill(0);
  let base = 0; // source element offset of the current row (last index 0)
  for (let o = 0; o < n; o += last) {
    let p = base * words;
    let q = o * words;
    for (let j = 0; j < last; j++, p += lastStride) {
      for (let w = 0; w < words; w++) d[q++] = s[p + w]!;
    }
    for (let k = ndim - 2; k >= 0; k--) {
      index[k]!++;
      base += fstride[k]!;
      if (index[k]! < shape[k]!) break;
      base -= fstride[k]! * shape[k]!;
      index[k] = 0;
    }
  }
}

/** Turn raw file-order bytes (already in a fresh buffer of exactly dataByteLength) into the C-order array. */
function finishData(h: NpyHeader, buffer: ArrayBuffer, source: string): NdArray {
  const info = DTYPES[h.dtype];
  if (h.littleEndian !== HOST_LITTLE_ENDIAN) byteSwap(new Uint8Array(buffer), info.itemSize);
  let out = buffer;
  if (h.fortranOrder && h.shape.length > 1) {
    out = allocate(h.dataByteLength, source, `reordering a Fortran-order array of shape ${formatShape(h.shape)}`);
    fortranToC(buffer, out, h.shape, info.itemSize);
  }
  if (h.dtype === 'bool') {
    // NumPy treats any non-zero byte as True; downstream code relies on exactly 0 and 1.
    const b = new Uint8Array(out);
    for (let i = 0; i < b.length; i++) if (b[i]! > 1) b[i] = 1;
  }
  return { dtype: h.dtype, shape: h.shape.slice(), data: info.view(out, h.size) };
}

/** Parse a complete `.npy` file held in memory. Trailing bytes after the data are ignored, as NumPy does. */
export function parseNpy(bytes: Uint8Array, sourceName: string = UNNAMED_SOURCE): NdArray {
  const h = parseNpyHeader(bytes, sourceName);
  const present = bytes.length - h.dataOffset;
  if (present < h.dataByteLength) throw dataTooShort(h, present, sourceName);
  const buffer = allocate(h.dataByteLength, sourceName, `an array of shape ${formatShape(h.shape)}`);
  new Uint8Array(buffer).set(bytes.subarray(h.dataOffset, h.dataOffset + h.dataByteLength));
  return finishData(h, buffer, sourceName);
}

/**
 * Read an `.npy` file. The header is read and validated against the file size first; the data is
 * then read straight into the array's own buffer, so the file is never held twice in memory.
 */
export async function readNpyFile(path: string): Promise<NdArray> {
  const handle = await open(path, 'r');
  try {
    const { size: fileSize } = await handle.stat();
    const readAt = async (target: Uint8Array, position: number): Promise<number> => {
      let done = 0;
      while (done < target.length) {
        const len = Math.min(target.length - done, 1 << 30);
        const { bytesRead } = await handle.read(target, done, len, position + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done;
    };
    const start = new Uint8Array(Math.min(fileSize, 12));
    await readAt(start, 0);
    const ext = headerExtent(start, path);
    const head = new Uint8Array(Math.min(fileSize, ext.dataOffset));
    await readAt(head, 0);
    const h = parseNpyHeader(head, path);
    if (fileSize - h.dataOffset < h.dataByteLength) throw dataTooShort(h, fileSize - h.dataOffset, path);
    const buffer = allocate(h.dataByteLength, path, `an array of shape ${formatShape(h.shape)}`);
    const got = await readAt(new Uint8Array(buffer), h.dataOffset);
    if (got < h.dataByteLength) throw dataTooShort(h, got, path); // file shrank while reading
    return finishData(h, buffer, path);
  } finally {
    await handle.close();
  }
}

/**
 * Read and validate only the header of an `.npy` file, so a caller can refuse an array by its
 * shape before any of it is read (readNpyFile then checks that the data is all there).
 */
export async function readNpyHeaderFile(path: string): Promise<NpyHeader> {
  const handle = await open(path, 'r');
  try {
    const { size: fileSize } = await handle.stat();
    const start = new Uint8Array(Math.min(fileSize, 12));
    await handle.read(start, 0, start.length, 0);
    const ext = headerExtent(start, path);
    const head = new Uint8Array(Math.min(fileSize, ext.dataOffset));
    let done = 0;
    while (done < head.length) {
      const { bytesRead } = await handle.read(head, done, head.length - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return parseNpyHeader(head.subarray(0, done), path);
  } finally {
    await handle.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

/** Check that `arr` is internally consistent; returns its element count. */
export function validateNdArray(arr: NdArray): number {
  const info = DTYPES[arr.dtype as DType] as DTypeInfo | undefined;
  if (!info) throw new TypeError(`unknown dtype '${String(arr.dtype)}'`);
  if (!Array.isArray(arr.shape)) throw new TypeError('shape must be an array of integers');
  for (const d of arr.shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new RangeError(`shape ${formatShape(arr.shape)} must contain non-negative integers`);
    }
  }
  if (!info.holds(arr.data)) {
    throw new TypeError(`data of a '${arr.dtype}' array must be a ${info.view(new ArrayBuffer(0), 0).constructor.name}`);
  }
  const n = arr.shape.reduce((a, b) => a * b, 1);
  if (arr.data.length !== n) {
    throw new RangeError(`shape ${formatShape(arr.shape)} needs ${n} elements but data has ${arr.data.length}`);
  }
  return n;
}

function encodeHeader(shape: readonly number[], descr: string): Uint8Array {
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${formatShape(shape)}, }`;
  if (shape.length > 0) dict += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length));
  // Like NumPy: version 1.0 whenever the padded header length fits its 16-bit field.
  for (const major of [1, 2]) {
    const prefix = major === 1 ? 10 : 12;
    const hlen = dict.length + 1;
    const padlen = ALIGN - ((prefix + hlen) % ALIGN);
    const total = hlen + padlen;
    if (major === 1 && total > 0xffff) continue;
    const out = new Uint8Array(prefix + total);
    out.set(MAGIC, 0);
    out[6] = major;
    out[7] = 0;
    const dv = new DataView(out.buffer);
    if (major === 1) dv.setUint16(8, total, true);
    else dv.setUint32(8, total, true);
    for (let i = 0; i < dict.length; i++) out[prefix + i] = dict.charCodeAt(i);
    out.fill(0x20, prefix + dict.length, out.length - 1);
    out[out.length - 1] = 0x0a;
    return out;
  }
  throw new RangeError('unreachable: header too large for .npy version 2.0');
}

/** Serialise to `.npy` bytes identical to what `np.save` writes for the same C-order array. */
export function serializeNpy(arr: NdArray): Uint8Array {
  validateNdArray(arr);
  const info = DTYPES[arr.dtype];
  const header = encodeHeader(arr.shape, dtypeDescr(arr.dtype));
  const src = new Uint8Array(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength);
  const out = new Uint8Array(header.length + src.length);
  out.set(header, 0);
  const body = out.subarray(header.length);
  body.set(src);
  if (!HOST_LITTLE_ENDIAN) byteSwap(body, info.itemSize);
  if (arr.dtype === 'bool') for (let i = 0; i < body.length; i++) if (body[i]! > 1) body[i] = 1;
  return out;
}

/** Write an `.npy` file atomically (temp file in the same directory, fsync, rename). */
export async function writeNpyFile(path: string, arr: NdArray): Promise<void> {
  await writeFileAtomic(path, serializeNpy(arr));
}

// ---------------------------------------------------------------------------------------------
// Conversion

function convert<T extends Float32Array | Float64Array>(arr: NdArray, out: T): T {
  const d = arr.data;
  if (d instanceof BigInt64Array) {
    for (let i = 0; i < d.length; i++) out[i] = Number(d[i]!);
  } else {
    out.set(d);
  }
  return out;
}

/** The array as float32 (`arr` itself when it already is). int64 values beyond 2^24 lose precision. */
export function toFloat32(arr: NdArray): NdArray & { dtype: 'float32'; data: Float32Array } {
  if (arr.dtype === 'float32' && arr.data instanceof Float32Array) {
    return arr as NdArray & { dtype: 'float32'; data: Float32Array };
  }
  validateNdArray(arr);
  return { dtype: 'float32', shape: arr.shape.slice(), data: convert(arr, new Float32Array(arr.data.length)) };
}

/** The array as float64 (`arr` itself when it already is). int64 values beyond 2^53 lose precision. */
export function toFloat64(arr: NdArray): NdArray & { dtype: 'float64'; data: Float64Array } {
  if (arr.dtype === 'float64' && arr.data instanceof Float64Array) {
    return arr as NdArray & { dtype: 'float64'; data: Float64Array };
  }
  validateNdArray(arr);
  return { dtype: 'float64', shape: arr.shape.slice(), data: convert(arr, new Float64Array(arr.data.length)) };
}
