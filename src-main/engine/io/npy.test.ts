import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataFormatError } from './errors';
import {
  dtypeItemSize,
  parseNpy,
  parseNpyHeader,
  readNpyFile,
  serializeNpy,
  toFloat32,
  toFloat64,
  writeNpyFile,
  type DType,
  type NdArray,
  type NdData,
} from './npy';
import { ascii, bytesOf, concat, expectFormatError, expectFormatErrorAsync } from './test-helpers';

const ALL_DTYPES: DType[] = ['float32', 'float64', 'int32', 'int64', 'uint8', 'bool', 'int16', 'uint16', 'int8'];
const SHAPES: number[][] = [[], [0], [3], [2, 3, 4], [1, 1, 5, 7]];

function makeData(dtype: DType, n: number, seed: number): NdData {
  const bytes = new Uint8Array(n * dtypeItemSize(dtype));
  // Random bytes cover NaN payloads, -0, subnormals and infinities for the float types.
  let s = seed >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    bytes[i] = dtype === 'bool' ? (s >>> 31) & 1 : s >>> 24;
  }
  const b = bytes.buffer;
  switch (dtype) {
    case 'float32':
      return new Float32Array(b);
    case 'float64':
      return new Float64Array(b);
    case 'int32':
      return new Int32Array(b);
    case 'int64':
      return new BigInt64Array(b);
    case 'int16':
      return new Int16Array(b);
    case 'uint16':
      return new Uint16Array(b);
    case 'int8':
      return new Int8Array(b);
    case 'uint8':
    case 'bool':
      return bytes;
  }
}

/** An .npy file laid out by hand from the spec: magic, version, header length, header padded to 64. */
function handNpy(header: string, data: Uint8Array, major = 1): Uint8Array {
  const prefix = major === 1 ? 10 : 12;
  let text = header;
  while ((prefix + text.length + 1) % 64 !== 0) text += ' ';
  text += '\n';
  const lenBytes =
    major === 1
      ? [text.length & 0xff, text.length >> 8]
      : [text.length & 0xff, (text.length >> 8) & 0xff, (text.length >> 16) & 0xff, text.length >>> 24];
  return concat(new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0, ...lenBytes]), ascii(text), data);
}

function leF64(values: number[], littleEndian = true): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => dv.setFloat64(i * 8, v, littleEndian));
  return out;
}

describe('npy round trip', () => {
  for (const dtype of ALL_DTYPES) {
    for (const shape of SHAPES) {
      it(`is bit-exact for ${dtype} ${JSON.stringify(shape)}`, () => {
        const n = shape.reduce((a, b) => a * b, 1);
        const arr: NdArray = { dtype, shape, data: makeData(dtype, n, n * 31 + dtype.length) };
        const bytes = serializeNpy(arr);
        const back = parseNpy(bytes, 'rt.npy');
        expect(back.dtype).toBe(dtype);
        expect(back.shape).toEqual(shape);
        expect(back.data.constructor).toBe(arr.data.constructor);
        expect(Buffer.from(bytesOf(back.data)).equals(Buffer.from(bytesOf(arr.data)))).toBe(true);
        const h = parseNpyHeader(bytes, 'rt.npy');
        expect(h.dataOffset % 64).toBe(0);
        expect(h.version).toEqual([1, 0]);
        expect(bytes[h.dataOffset - 1]).toBe(0x0a);
        expect(bytes.length).toBe(h.dataOffset + n * dtypeItemSize(dtype));
      });
    }
  }

  it('round-trips views that do not start at offset 0 of their buffer', () => {
    const backing = new Float64Array([9, 1, 2, 3, 9]);
    const arr: NdArray = { dtype: 'float64', shape: [3], data: backing.subarray(1, 4) };
    expect(Array.from(parseNpy(serializeNpy(arr)).data as Float64Array)).toEqual([1, 2, 3]);
  });

  it('parses from a Uint8Array view at an odd offset', () => {
    const file = serializeNpy({ dtype: 'float64', shape: [2], data: new Float64Array([1.5, -2.5]) });
    const shifted = new Uint8Array(file.length + 3);
    shifted.set(file, 3);
    expect(Array.from(parseNpy(shifted.subarray(3)).data as Float64Array)).toEqual([1.5, -2.5]);
  });

  it('writes the exact header NumPy writes', () => {
    const bytes = serializeNpy({ dtype: 'uint8', shape: [3], data: new Uint8Array([1, 2, 3]) });
    const dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }";
    expect(Buffer.from(bytes.subarray(10, 10 + dict.length)).toString('latin1')).toBe(dict);
    expect(bytes.length).toBe(128 + 3);
    const scalar = serializeNpy({ dtype: 'bool', shape: [], data: new Uint8Array([1]) });
    expect(Buffer.from(scalar.subarray(10, 128)).toString('latin1').trimEnd()).toBe(
      "{'descr': '|b1', 'fortran_order': False, 'shape': (), }",
    );
  });

  it('switches to version 2.0 only when the header no longer fits 65535 bytes', () => {
    const big: NdArray = { dtype: 'int8', shape: new Array<number>(25000).fill(1), data: new Int8Array([-7]) };
    const bytes = serializeNpy(big);
    expect(bytes[6]).toBe(2);
    const h = parseNpyHeader(bytes, 'v2.npy');
    expect(h.dataOffset % 64).toBe(0);
    expect(h.shape.length).toBe(25000);
    expect(Array.from(parseNpy(bytes).data as Int8Array)).toEqual([-7]);
    const fits: NdArray = { dtype: 'int8', shape: new Array<number>(20000).fill(1), data: new Int8Array([1]) };
    expect(serializeNpy(fits)[6]).toBe(1);
  });

  it('normalises bool bytes to 0/1', () => {
    const bytes = handNpy("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", new Uint8Array([0, 2, 255]));
    expect(Array.from(parseNpy(bytes).data as Uint8Array)).toEqual([0, 1, 1]);
  });

  it('refuses inconsistent arrays when writing', () => {
    expect(() => serializeNpy({ dtype: 'float32', shape: [2, 2], data: new Float32Array(3) })).toThrow(/needs 4 elements/);
    expect(() => serializeNpy({ dtype: 'float32', shape: [2], data: new Float64Array(2) })).toThrow(/Float32Array/);
    expect(() => serializeNpy({ dtype: 'float32', shape: [-1], data: new Float32Array(0) })).toThrow(/non-negative/);
  });
});

describe('npy golden files built by hand', () => {
  // np.save('g.npy', np.array([[1., 2.], [3., 4.]])) per the format spec: 10-byte prefix with
  // header length 0x0076, dict, spaces up to byte 127, '\n', then four little-endian doubles.
  const golden = concat(
    new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x01, 0x00, 0x76, 0x00]),
    ascii("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }" + ' '.repeat(58) + '\n'),
    new Uint8Array([
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f, // 1.0
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, // 2.0
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x40, // 3.0
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x40, // 4.0
    ]),
  );

  it('reads a <f8 (2, 2) array', () => {
    expect(golden.length).toBe(128 + 32);
    const arr = parseNpy(golden, 'golden.npy');
    expect(arr.dtype).toBe('float64');
    expect(arr.shape).toEqual([2, 2]);
    expect(arr.data).toBeInstanceOf(Float64Array);
    expect(Array.from(arr.data as Float64Array)).toEqual([1, 2, 3, 4]);
  });

  it('writes exactly the golden bytes', () => {
    const bytes = serializeNpy({ dtype: 'float64', shape: [2, 2], data: new Float64Array([1, 2, 3, 4]) });
    expect(Buffer.from(bytes).equals(Buffer.from(golden))).toBe(true);
  });

  it('converts a Fortran-order 2-D array to C order', () => {
    // [[1, 2, 3], [4, 5, 6]] stored column by column.
    const data = new Uint8Array(24);
    const dv = new DataView(data.buffer);
    [1, 4, 2, 5, 3, 6].forEach((v, i) => dv.setInt32(i * 4, v, true));
    const arr = parseNpy(handNpy("{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3), }", data), 'f.npy');
    expect(arr.shape).toEqual([2, 3]);
    expect(Array.from(arr.data as Int32Array)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('converts a big-endian Fortran-order 3-D array to native C order', () => {
    const shape = [2, 3, 4];
    const fValues: number[] = [];
    for (let k = 0; k < 4; k++) for (let j = 0; j < 3; j++) for (let i = 0; i < 2; i++) fValues.push(i * 12 + j * 4 + k + 0.25);
    const arr = parseNpy(
      handNpy("{'descr': '>f8', 'fortran_order': True, 'shape': (2, 3, 4), }", leF64(fValues, false)),
      'f3.npy',
    );
    expect(arr.shape).toEqual(shape);
    expect(Array.from(arr.data as Float64Array)).toEqual(Array.from({ length: 24 }, (_, c) => c + 0.25));
  });

  it('converts a 4-D Fortran-order array, checked against naive index arithmetic', () => {
    const shape = [2, 3, 1, 5];
    const n = 30;
    const f = new Int16Array(n);
    // Element (i, j, k, l) has C index ((i*3 + j)*1 + k)*5 + l and F index i + 2*(j + 3*(k + 1*l)).
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 3; j++)
        for (let l = 0; l < 5; l++) f[i + 2 * (j + 3 * l)] = (i * 3 + j) * 5 + l - 7;
    const arr = parseNpy(handNpy("{'descr': '<i2', 'fortran_order': True, 'shape': (2, 3, 1, 5), }", bytesOf(f)));
    expect(arr.shape).toEqual(shape);
    expect(Array.from(arr.data as Int16Array)).toEqual(Array.from({ length: n }, (_, c) => c - 7));
  });

  it('reads 1-byte and 2-byte Fortran arrays and 0-d/1-d Fortran arrays unchanged', () => {
    const u8 = parseNpy(handNpy("{'descr': '|u1', 'fortran_order': True, 'shape': (2, 2), }", new Uint8Array([1, 3, 2, 4])));
    expect(Array.from(u8.data as Uint8Array)).toEqual([1, 2, 3, 4]);
    const i2 = parseNpy(
      handNpy("{'descr': '<i2', 'fortran_order': True, 'shape': (3, 1), }", new Uint8Array([1, 0, 0xff, 0xff, 2, 0])),
    );
    expect(Array.from(i2.data as Int16Array)).toEqual([1, -1, 2]);
    const scalar = parseNpy(handNpy("{'descr': '<f8', 'fortran_order': True, 'shape': (), }", leF64([7])));
    expect(scalar.shape).toEqual([]);
    expect(Array.from(scalar.data as Float64Array)).toEqual([7]);
  });

  it('reads big-endian dtypes into native order', () => {
    const cases: Array<[string, number[], (dv: DataView, i: number, v: number) => void, DType]> = [
      ['>f4', [1.5, -2], (dv, i, v) => dv.setFloat32(i * 4, v, false), 'float32'],
      ['>f8', [1e300, -0.5], (dv, i, v) => dv.setFloat64(i * 8, v, false), 'float64'],
      ['>i4', [-123456, 7], (dv, i, v) => dv.setInt32(i * 4, v, false), 'int32'],
      ['>i2', [-300, 300], (dv, i, v) => dv.setInt16(i * 2, v, false), 'int16'],
      ['>u2', [65535, 1], (dv, i, v) => dv.setUint16(i * 2, v, false), 'uint16'],
    ];
    for (const [descr, values, set, dtype] of cases) {
      const size = Number(descr.slice(2));
      const data = new Uint8Array(values.length * size);
      const dv = new DataView(data.buffer);
      values.forEach((v, i) => set(dv, i, v));
      const arr = parseNpy(handNpy(`{'descr': '${descr}', 'fortran_order': False, 'shape': (2,), }`, data));
      expect(arr.dtype).toBe(dtype);
      expect(Array.from(arr.data as ArrayLike<number>)).toEqual(values);
    }
    const i8 = new Uint8Array(16);
    new DataView(i8.buffer).setBigInt64(0, -(2n ** 62n), false);
    new DataView(i8.buffer).setBigInt64(8, 5n, false);
    const arr = parseNpy(handNpy("{'descr': '>i8', 'fortran_order': False, 'shape': (2,), }", i8));
    expect(Array.from(arr.data as BigInt64Array)).toEqual([-(2n ** 62n), 5n]);
  });

  it('reads versions 2.0 and 3.0, other key orders, double quotes and Python 2 longs', () => {
    const d = leF64([1, 2]);
    const v2 = parseNpy(handNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", d, 2));
    expect(Array.from(v2.data as Float64Array)).toEqual([1, 2]);
    const v3 = parseNpy(handNpy("{'shape': (2,), 'fortran_order': False, 'descr': '<f8'}", d, 3));
    expect(Array.from(v3.data as Float64Array)).toEqual([1, 2]);
    const py2 = parseNpy(handNpy('{"descr": "<f8", "fortran_order": False, "shape": (2L, )}', d));
    expect(py2.shape).toEqual([2]);
    const i1 = parseNpy(handNpy("{'descr': '|i1', 'fortran_order': False, 'shape': (2,), }", new Uint8Array([0xff, 1])));
    expect(i1.dtype).toBe('int8');
    expect(Array.from(i1.data as Int8Array)).toEqual([-1, 1]);
  });

  it('reads empty arrays with zero-sized dimensions anywhere', () => {
    const arr = parseNpy(handNpy("{'descr': '<f4', 'fortran_order': True, 'shape': (3, 0, 2), }", new Uint8Array(0)));
    expect(arr.shape).toEqual([3, 0, 2]);
    expect(arr.data.length).toBe(0);
  });

  it('ignores bytes after the data, as NumPy does', () => {
    const file = concat(serializeNpy({ dtype: 'int32', shape: [1], data: new Int32Array([42]) }), new Uint8Array([1, 2, 3]));
    expect(Array.from(parseNpy(file).data as Int32Array)).toEqual([42]);
  });
});

describe('npy hostile input', () => {
  const hdr = (dict: string, data: Uint8Array = new Uint8Array(0), major = 1) => handNpy(dict, data, major);
  const F = 'evil.npy';

  it('empty file', () => expectFormatError(() => parseNpy(new Uint8Array(0), F), F, /empty/));
  it('bad magic', () => expectFormatError(() => parseNpy(ascii('PK\x03\x04 not numpy at all'), F), F, /bad magic/));
  it('truncated prefix', () => expectFormatError(() => parseNpy(ascii('\x93NUMPY\x01'), F), F, /truncated .npy header/));
  it('unknown format version', () =>
    expectFormatError(() => parseNpy(concat(ascii('\x93NUMPY\x04\x00'), new Uint8Array(60)), F), F, /version 4\.0/));
  it('truncated header', () => {
    const full = hdr("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", leF64([1, 2]));
    expectFormatError(() => parseNpy(full.subarray(0, 50), F), F, /truncated .npy header.*declares 128 header bytes.*only 50/);
  });
  it('header that is code, not a literal', () =>
    expectFormatError(() => parseNpy(hdr("__import__('os').system('echo pwned')"), F), F, /not a valid Python dict literal.*__import__/));
  it('unterminated dict', () =>
    expectFormatError(() => parseNpy(hdr("{'descr': '<f8', 'fortran_order': False, 'shape': (2,)"), F), F, /not a valid Python dict literal/));
  it('header that is a list, not a dict', () => expectFormatError(() => parseNpy(hdr('[1, 2]'), F), F, /not a Python dict/));
  it('deeply nested header', () =>
    expectFormatError(() => parseNpy(hdr(`{'descr': ${'('.repeat(5000)}`), F), F, /nested too deeply/));
  it('missing key', () =>
    expectFormatError(() => parseNpy(hdr("{'descr': '<f8', 'shape': (2,), }"), F), F, /missing the key 'fortran_order'/));
  it('extra key', () =>
    expectFormatError(() => parseNpy(hdr("{'descr': '<f8', 'fortran_order': False, 'shape': (), 'x': 1}"), F), F, /unexpected key 'x'/));
  it('unknown dtype', () =>
    expectFormatError(() => parseNpy(hdr("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }"), F), F, /unsupported dtype '<c16'/));
  it('object dtype', () =>
    expectFormatError(() => parseNpy(hdr("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"), F), F, /object arrays/));
  it('structured dtype', () =>
    expectFormatError(() => parseNpy(hdr("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }"), F), F, /structured/));
  it('fortran_order that is not a bool', () =>
    expectFormatError(() => parseNpy(hdr("{'descr': '<f8', 'fortran_order': 0, 'shape': (1,), }"), F), F, /fortran_order/));
  it('negative dimension', () =>
    expectFormatError(() => parseNpy(hdr("{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 3), }"), F), F, /negative dimension -1/));
  it('non-integer dimension', () =>
    expectFormatError(() => parseNpy(hdr("{'descr': '<f8', 'fortran_order': False, 'shape': (2.5,), }"), F), F, /non-integer dimension 2\.5/));
  it('shape that is a list or a bare int', () => {
    expectFormatError(() => parseNpy(hdr("{'descr': '<f8', 'fortran_order': False, 'shape': [2], }"), F), F, /not a tuple/);
    expectFormatError(() => parseNpy(hdr("{'descr': '<f8', 'fortran_order': False, 'shape': (2), }"), F), F, /not a tuple/);
  });
  it('lying shape: more elements than bytes present', () =>
    expectFormatError(
      () => parseNpy(hdr("{'descr': '<f8', 'fortran_order': False, 'shape': (1000,), }", leF64([1, 2])), F),
      F,
      /truncated data: shape \(1000,\) of '<f8' needs 8000 bytes but only 16 are present/,
    ));
  it('absurd shape (1e9, 1e9) is refused before allocating', () =>
    expectFormatError(
      () => parseNpy(hdr("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000, 1000000000), }"), F),
      F,
      /1\.000e\+18 elements; more than 2\^31/,
    ));
  it('dimension beyond 2^53', () =>
    expectFormatError(() => parseNpy(hdr("{'descr': '<u1', 'fortran_order': False, 'shape': (99999999999999999999,), }"), F), F, /absurdly large/));
  it('just over 2^31 one-byte elements', () =>
    expectFormatError(() => parseNpy(hdr("{'descr': '|u1', 'fortran_order': False, 'shape': (2147483649,), }"), F), F, /more than 2\^31/));
  it('one-byte-order marker on a multi-byte type', () =>
    expectFormatError(() => parseNpy(hdr("{'descr': '|f8', 'fortran_order': False, 'shape': (1,), }", leF64([1])), F), F, /no byte order/));
  it('names the path when reading a truncated file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'npy-bad-'));
    try {
      const path = join(dir, 'cut.npy');
      const full = serializeNpy({ dtype: 'float32', shape: [100], data: new Float32Array(100) });
      await writeFile(path, full.subarray(0, 200));
      await expectFormatErrorAsync(readNpyFile(path), path, /truncated data.*needs 400 bytes but only 72/);
      await writeFile(path, full.subarray(0, 40));
      await expectFormatErrorAsync(readNpyFile(path), path, /truncated .npy header/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  it('errors carry file and problem separately', () => {
    const err = expectFormatError(() => parseNpy(new Uint8Array([1, 2, 3]), 'x/y.npy'), 'x/y.npy', /bad magic/);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('DataFormatError');
    expect(err.message).toBe(`x/y.npy: ${err.problem}`);
    expect(() => parseNpy(new Uint8Array([1]))).toThrow(DataFormatError);
  });
});

describe('npy files', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'npy-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes atomically and reads back, replacing an existing file', async () => {
    const path = join(dir, 'a.npy');
    await writeFile(path, 'old contents');
    const arr: NdArray = { dtype: 'int64', shape: [2, 2], data: new BigInt64Array([1n, -2n, 3n, 2n ** 60n]) };
    await writeNpyFile(path, arr);
    expect(await readdir(dir)).toEqual(['a.npy']); // no temporary file left behind
    expect(Buffer.from(await readFile(path)).equals(Buffer.from(serializeNpy(arr)))).toBe(true);
    const back = await readNpyFile(path);
    expect(back.shape).toEqual([2, 2]);
    expect(Array.from(back.data as BigInt64Array)).toEqual([1n, -2n, 3n, 2n ** 60n]);
  });

  it('leaves no temporary file when the target directory does not exist', async () => {
    await expect(writeNpyFile(join(dir, 'missing', 'b.npy'), { dtype: 'uint8', shape: [0], data: new Uint8Array(0) })).rejects.toThrow();
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('reads Fortran and big-endian files from disk', async () => {
    const path = join(dir, 'f.npy');
    const data = new Uint8Array(16);
    const dv = new DataView(data.buffer);
    [1, 3, 2, 4].forEach((v, i) => dv.setFloat32(i * 4, v, false));
    await writeFile(path, handNpy("{'descr': '>f4', 'fortran_order': True, 'shape': (2, 2), }", data));
    const back = await readNpyFile(path);
    expect(Array.from(back.data as Float32Array)).toEqual([1, 2, 3, 4]);
  });
});

describe('toFloat32 / toFloat64', () => {
  it('converts every numeric dtype', () => {
    const cases: NdArray[] = [
      { dtype: 'int8', shape: [3], data: new Int8Array([-128, 0, 127]) },
      { dtype: 'uint16', shape: [3], data: new Uint16Array([0, 1, 65535]) },
      { dtype: 'int64', shape: [3], data: new BigInt64Array([-5n, 0n, 2n ** 40n]) },
      { dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 1]) },
      { dtype: 'float64', shape: [3], data: new Float64Array([0.1, -0, 1e40]) },
    ];
    const expected = [
      [-128, 0, 127],
      [0, 1, 65535],
      [-5, 0, 2 ** 40],
      [1, 0, 1],
      [0.1, -0, 1e40],
    ];
    cases.forEach((arr, i) => {
      const f64 = toFloat64(arr);
      expect(f64.dtype).toBe('float64');
      expect(f64.shape).toEqual([3]);
      expect(Array.from(f64.data)).toEqual(expected[i]);
      const f32 = toFloat32(arr);
      expect(f32.data).toBeInstanceOf(Float32Array);
      expect(Array.from(f32.data)).toEqual(Array.from(Float32Array.from(expected[i]!)));
    });
  });

  it('returns the array itself when it already has the dtype', () => {
    const a: NdArray = { dtype: 'float32', shape: [1], data: new Float32Array([1]) };
    expect(toFloat32(a)).toBe(a);
    expect(toFloat64(a)).not.toBe(a);
  });
});
