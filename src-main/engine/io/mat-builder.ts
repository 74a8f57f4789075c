/**
 * Builds level-5 MAT-files byte by byte, for the tests and the hostile corpus: every field can be
 * set (or set wrong) explicitly. Not a general writer: the engine stores arrays as .npy.
 */
import { zlibSync } from 'fflate';

export const mi = { INT8: 1, UINT8: 2, INT16: 3, UINT16: 4, INT32: 5, UINT32: 6, SINGLE: 7, DOUBLE: 9, INT64: 12, UINT64: 13, MATRIX: 14, COMPRESSED: 15 } as const;
export const mx = { CELL: 1, STRUCT: 2, OBJECT: 3, CHAR: 4, SPARSE: 5, DOUBLE: 6, SINGLE: 7, INT8: 8, UINT8: 9, INT16: 10, UINT16: 11, INT32: 12, UINT32: 13, INT64: 14, UINT64: 15 } as const;

export interface MatVarSpec {
  name: string;
  /** mx class code. */
  cls: number;
  dims: number[];
  /** Column-major values, stored as `storage` (default: the class's own type). */
  real?: ArrayLike<number>;
  imag?: ArrayLike<number>;
  storage?: number;
  logical?: boolean;
  /** Wrap this variable in an miCOMPRESSED element. */
  compress?: boolean;
}

const CLASS_STORAGE: Record<number, number> = { 6: 9, 7: 7, 8: 1, 9: 2, 10: 3, 11: 4, 12: 5, 13: 6, 14: 12, 15: 13 };
const SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8 };

/** A data element: tag plus payload, padded to 8 bytes; small payloads (≤ 4 bytes) use the compact form when `small`. */
export function element(type: number, payload: Uint8Array, le: boolean, small = true): Uint8Array {
  if (small && payload.length <= 4 && type !== mi.MATRIX) {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setUint32(0, (payload.length << 16) | type, le);
    out.set(payload, 4);
    return out;
  }
  const out = new Uint8Array(8 + Math.ceil(payload.length / 8) * 8);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, type, le);
  dv.setUint32(4, payload.length, le);
  out.set(payload, 8);
  return out;
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function encodeValues(values: ArrayLike<number>, type: number, le: boolean): Uint8Array {
  const size = SIZE[type]!;
  const out = new Uint8Array(values.length * size);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const o = i * size;
    switch (type) {
      case mi.INT8:
        dv.setInt8(o, v);
        break;
      case mi.UINT8:
        dv.setUint8(o, v);
        break;
      case mi.INT16:
        dv.setInt16(o, v, le);
        break;
      case mi.UINT16:
        dv.setUint16(o, v, le);
        break;
      case mi.INT32:
        dv.setInt32(o, v, le);
        break;
      case mi.UINT32:
        dv.setUint32(o, v, le);
        break;
      case mi.SINGLE:
        dv.setFloat32(o, v, le);
        break;
      case mi.DOUBLE:
        dv.setFloat64(o, v, le);
        break;
      case mi.INT64:
        dv.setBigInt64(o, BigInt(v), le);
        break;
      default:
        dv.setBigUint64(o, BigInt(v), le);
    }
  }
  return out;
}

/** The miMATRIX element of one variable (uncompressed). */
export function matrixElement(v: MatVarSpec, le: boolean): Uint8Array {
  const flags = new Uint8Array(8);
  const fdv = new DataView(flags.buffer);
  fdv.setUint32(0, v.cls | (v.logical ? 0x200 : 0) | (v.imag ? 0x800 : 0), le);
  const dims = new Uint8Array(4 * v.dims.length);
  v.dims.forEach((d, i) => new DataView(dims.buffer).setInt32(4 * i, d, le));
  const name = Uint8Array.from(v.name, (c) => c.charCodeAt(0));
  const parts = [element(mi.UINT32, flags, le, false), element(mi.INT32, dims, le), element(mi.INT8, name, le)];
  const storage = v.storage ?? CLASS_STORAGE[v.cls];
  if (v.real && storage !== undefined) parts.push(element(storage, encodeValues(v.real, storage, le), le));
  if (v.imag && storage !== undefined) parts.push(element(storage, encodeValues(v.imag, storage, le), le));
  return element(mi.MATRIX, concatBytes(parts), le, false);
}

/** The 128-byte header: text, subsystem offset, version 0x0100 and the endian indicator. */
export function matHeader(le: boolean, text = 'MATLAB 5.0 MAT-file, Platform: sparseland-test, Created on: Thu Jan  1 00:00:00 1970'): Uint8Array {
  const h = new Uint8Array(128).fill(0x20);
  for (let i = 0; i < Math.min(116, text.length); i++) h[i] = text.charCodeAt(i);
  h.fill(0, 116, 124);
  new DataView(h.buffer).setUint16(124, 0x0100, le);
  h[126] = le ? 0x49 : 0x4d; // 'I' 'M' little-endian, 'M' 'I' big-endian
  h[127] = le ? 0x4d : 0x49;
  return h;
}

export function compressedElement(matrix: Uint8Array, le: boolean): Uint8Array {
  const z = zlibSync(matrix, { level: 6 });
  const out = new Uint8Array(8 + z.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, mi.COMPRESSED, le);
  dv.setUint32(4, z.length, le);
  out.set(z, 8);
  return out;
}

/** A complete level-5 MAT-file holding `vars`. */
export function buildMat(vars: MatVarSpec[], o: { bigEndian?: boolean } = {}): Uint8Array {
  const le = !o.bigEndian;
  return concatBytes([
    matHeader(le),
    ...vars.map((v) => {
      const m = matrixElement(v, le);
      return v.compress ? compressedElement(m, le) : m;
    }),
  ]);
}
