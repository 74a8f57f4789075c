/**
 * MATLAB v7.3 .mat files: HDF5 files behind a 512-byte user block that starts with the MATLAB
 * header text. Plain numeric and logical datasets of the root group are read with jsfive; structs
 * (groups), cells (references), strings, sparse and complex arrays are refused with a message.
 *
 * HDF5 stores a MATLAB array with its dimensions reversed (MATLAB is column-major), so the MATLAB
 * shape is the dataset's shape reversed and the data is in Fortran order for it; it is returned in C
 * order with the MATLAB shape, as the level-5 reader does.
 *
 * jsfive builds a plain JavaScript array of the whole dataset and inflates chunks without a size
 * limit, so: the shape and chunk shape are checked before any data is read, its deflate filter is
 * replaced by one that never inflates a chunk beyond the size its chunk shape implies, and v7.3
 * variables are limited to MAX_MAT73_ELEMENTS (save larger ones with -v7, or as .npy).
 */
import { File, Filters, type Dataset, type Group } from 'jsfive';
import { DataFormatError, describeError, UNNAMED_SOURCE } from './errors';
import { inflateCapped } from './inflate';
import { describeMatClass, fortranToCFloat32, type MatArray, type MatClass, type MatVariableInfo, type ReadMatOptions } from './mat';

export const MAT73_USER_BLOCK = 512;
/** jsfive materialises a JavaScript array per dataset; larger v7.3 variables are refused. */
export const MAX_MAT73_ELEMENTS = 2 ** 26;

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

const DTYPE_CLASSES: Record<string, MatClass> = {
  f8: 'double',
  f4: 'single',
  i1: 'int8',
  u1: 'uint8',
  i2: 'int16',
  u2: 'uint16',
  i4: 'int32',
  u4: 'uint32',
  i8: 'int64',
  u8: 'uint64',
};

// The chunk being read may inflate to at most this many bytes (set around each read).
let chunkLimit = 0;
Filters.set(1, (buf: ArrayBuffer) => {
  const out = inflateCapped(new Uint8Array(buf), 'zlib', chunkLimit, 'throw');
  return out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength) as ArrayBuffer;
});

function openFile(bytes: Uint8Array, source: string): File {
  if (bytes.length < MAT73_USER_BLOCK + 8 || HDF5_SIGNATURE.some((v, i) => bytes[MAT73_USER_BLOCK + i] !== v)) {
    throw new DataFormatError(source, 'corrupt MATLAB v7.3 file: no HDF5 signature after the 512-byte MATLAB header');
  }
  // HDF5 addresses are relative to the superblock, so the file proper starts after the user block.
  const ab = bytes.buffer.slice(bytes.byteOffset + MAT73_USER_BLOCK, bytes.byteOffset + bytes.length) as ArrayBuffer;
  try {
    return new File(ab, source);
  } catch (e) {
    throw new DataFormatError(source, `corrupt MATLAB v7.3 (HDF5) file: ${describeError(e)}`, { cause: e });
  }
}

function attrString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return undefined;
}

function infoOf(name: string, obj: Group | Dataset | null, source: string): MatVariableInfo {
  const isDataset = obj !== null && 'shape' in obj && Array.isArray((obj as Dataset).shape);
  let attrs: Record<string, unknown> = {};
  try {
    attrs = obj?.attrs ?? {};
  } catch (e) {
    throw new DataFormatError(source, `corrupt MATLAB v7.3 (HDF5) file: attributes of '${name}': ${describeError(e)}`, { cause: e });
  }
  const declared = attrString(attrs['MATLAB_class']);
  if (!isDataset) {
    const cls: MatClass = attrs['MATLAB_sparse'] !== undefined ? 'sparse' : declared === 'struct' || declared === undefined ? 'struct' : 'object';
    return { name, class: cls, dims: [], complex: false, numeric: false };
  }
  const ds = obj as Dataset;
  let shape: number[];
  let dtype: string | unknown[];
  try {
    shape = ds.shape.slice();
    dtype = ds.dtype;
  } catch (e) {
    throw new DataFormatError(source, `corrupt MATLAB v7.3 (HDF5) file: dataset '${name}': ${describeError(e)}`, { cause: e });
  }
  const dims = shape.slice().reverse();
  while (dims.length < 2) dims.push(1);
  const complex = Array.isArray(dtype) && String(dtype[0]).includes('COMPOUND');
  const code = typeof dtype === 'string' ? dtype.replace(/^[<>=|!@]/, '') : '';
  let cls: MatClass = (declared as MatClass | undefined) ?? DTYPE_CLASSES[code] ?? 'unknown';
  if (declared === 'logical') cls = 'logical';
  const known = ['double', 'single', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'logical', 'char', 'cell', 'struct', 'function_handle'];
  if (!known.includes(cls)) cls = 'opaque';
  if (cls === ('function_handle' as MatClass)) cls = 'function';
  const numeric =
    !complex &&
    DTYPE_CLASSES[code] !== undefined &&
    ['double', 'single', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'logical'].includes(cls) &&
    attrs['MATLAB_empty'] === undefined;
  return { name, class: cls, dims, complex, numeric };
}

function variables(f: File, source: string): Array<{ info: MatVariableInfo; obj: Group | Dataset | null }> {
  let keys: string[];
  try {
    keys = f.keys.filter((k) => !k.startsWith('#'));
  } catch (e) {
    throw new DataFormatError(source, `corrupt MATLAB v7.3 (HDF5) file: ${describeError(e)}`, { cause: e });
  }
  return keys.map((k) => {
    let obj: Group | Dataset | null;
    try {
      obj = f.get(k);
    } catch (e) {
      throw new DataFormatError(source, `corrupt MATLAB v7.3 (HDF5) file: variable '${k}': ${describeError(e)}`, { cause: e });
    }
    return { info: infoOf(k, obj, source), obj };
  });
}

/** The variables of a v7.3 MAT-file (root-group members), reading no data. */
export function listMat73(bytes: Uint8Array, sourceName: string = UNNAMED_SOURCE): MatVariableInfo[] {
  return variables(openFile(bytes, sourceName), sourceName).map((v) => v.info);
}

/** Read one real numeric variable of a v7.3 MAT-file (default: the first), as readMatVariable does for level 5. */
export function readMat73Variable(bytes: Uint8Array, sourceName: string = UNNAMED_SOURCE, name?: string, options: ReadMatOptions = {}): MatArray {
  const source = sourceName;
  const maxElements = Math.min(options.maxElements ?? 2 ** 28, MAX_MAT73_ELEMENTS);
  const vars = variables(openFile(bytes, source), source);
  if (vars.length === 0) throw new DataFormatError(source, 'MATLAB v7.3 file holds no variables');
  const v = name === undefined ? vars.find((x) => x.info.numeric) : vars.find((x) => x.info.name === name);
  if (!v) {
    const list = vars.map((x) => `'${x.info.name}' (${describeMatClass(x.info)})`).join(', ').slice(0, 300);
    throw new DataFormatError(
      source,
      name === undefined ? `MATLAB v7.3 file holds no real numeric variable (it holds ${list})` : `MATLAB v7.3 file has no variable '${name}' (it holds ${list})`,
    );
  }
  const { info } = v;
  if (info.complex) throw new DataFormatError(source, `variable '${info.name}' is complex; only real arrays are supported (use real() or abs() first)`);
  if (!info.numeric) throw new DataFormatError(source, `variable '${info.name}' is ${describeMatClass(info)}; only numeric and logical arrays can be imported`);
  const n = info.dims.reduce((a, b) => a * b, 1);
  if (n > maxElements) {
    throw new DataFormatError(
      source,
      `variable '${info.name}' is ${info.dims.join('x')} = ${n} elements; more than ${maxElements} are refused for v7.3 files (save with -v7 or as .npy)`,
    );
  }
  const ds = v.obj as Dataset;
  let values: ArrayLike<number | bigint>;
  try {
    const chunks = ds._dataobjects.chunks;
    const itemSize = Number(/\d+$/.exec(String(ds.dtype))?.[0] ?? 8);
    if (chunks) {
      const per = chunks.reduce((a, b) => a * b, 1);
      if (!(per >= 1 && per <= Math.max(n, 1) * 64 && per <= maxElements)) {
        throw new DataFormatError(source, `variable '${info.name}' declares an absurd chunk shape [${chunks.join(', ')}]`);
      }
      chunkLimit = per * itemSize;
    }
    values = ds.value;
  } catch (e) {
    if (e instanceof DataFormatError) throw e;
    throw new DataFormatError(source, `corrupt MATLAB v7.3 (HDF5) data in variable '${info.name}': ${describeError(e)}`, { cause: e });
  } finally {
    chunkLimit = 0;
  }
  if (!values || values.length !== n) {
    throw new DataFormatError(source, `corrupt MATLAB v7.3 (HDF5) data in variable '${info.name}': ${values?.length ?? 0} values for ${n} elements`);
  }
  const data = fortranToCFloat32(info.dims, n, (f) => Number(values[f]));
  return { name: info.name, class: info.class, shape: info.dims.slice(), data };
}
