import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zlibSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { listMat, readMatVariable } from './mat';
import { buildMat, compressedElement, concatBytes, element, matHeader, matrixElement, mi, mx } from './mat-builder';
import { listMat73, readMat73Variable } from './mat73';
import { expectFormatError } from './test-helpers';

const F = 'data.mat';
// MATLAB's A = [1 2 3; 4 5 6] is stored column-major: 1 4 2 5 3 6.
const A = { name: 'A', cls: mx.DOUBLE, dims: [2, 3], real: [1, 4, 2, 5, 3, 6] };

describe('MAT level 5', () => {
  it('reads a 2x3 double, returning C order with the MATLAB shape', () => {
    for (const bigEndian of [false, true]) {
      const m = readMatVariable(buildMat([A], { bigEndian }), F);
      expect(m.name).toBe('A');
      expect(m.class).toBe('double');
      expect(m.shape).toEqual([2, 3]);
      expect(Array.from(m.data)).toEqual([1, 2, 3, 4, 5, 6]);
    }
  });

  it('reads a compressed variable and a 3-d array (column-major → C order)', () => {
    // B(i, j, k) = 100 i + 10 j + k (0-based), stored with i fastest.
    const dims = [2, 3, 4];
    const col: number[] = [];
    for (let k = 0; k < 4; k++) for (let j = 0; j < 3; j++) for (let i = 0; i < 2; i++) col.push(100 * i + 10 * j + k);
    const file = buildMat([{ name: 'B', cls: mx.SINGLE, dims, real: col, compress: true }]);
    const m = readMatVariable(file, F);
    expect(m.shape).toEqual(dims);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) expect(m.data[(i * 3 + j) * 4 + k]).toBe(100 * i + 10 * j + k);
  });

  it('lists every variable and picks by name; integer, logical and storage-type variants', () => {
    const file = buildMat([
      { name: 'c', cls: mx.CELL, dims: [1, 1] },
      { name: 'u16', cls: mx.UINT16, dims: [1, 3], real: [0, 1000, 65535] },
      { name: 'mask', cls: mx.UINT8, dims: [2, 1], real: [1, 0], logical: true },
      // MATLAB stores integer-valued doubles in the smallest type that holds them.
      { name: 'small', cls: mx.DOUBLE, dims: [1, 2], real: [7, 250], storage: mi.UINT8 },
      { name: 'i64', cls: mx.INT64, dims: [1, 2], real: [-5, 2 ** 40], compress: true },
      { name: 'z', cls: mx.DOUBLE, dims: [1, 1], real: [1], imag: [2] },
    ]);
    expect(listMat(file, F).map((v) => [v.name, v.class, v.numeric])).toEqual([
      ['c', 'cell', false],
      ['u16', 'uint16', true],
      ['mask', 'logical', true],
      ['small', 'double', true],
      ['i64', 'int64', true],
      ['z', 'double', false],
    ]);
    expect(readMatVariable(file, F).name).toBe('u16'); // first numeric
    expect(Array.from(readMatVariable(file, F, 'u16').data)).toEqual([0, 1000, 65535]);
    expect(Array.from(readMatVariable(file, F, 'mask').data)).toEqual([1, 0]);
    expect(Array.from(readMatVariable(file, F, 'small').data)).toEqual([7, 250]);
    expect(Array.from(readMatVariable(file, F, 'i64').data)).toEqual([-5, 2 ** 40]);
    expectFormatError(() => readMatVariable(file, F, 'z'), F, /variable 'z' is complex/);
    expectFormatError(() => readMatVariable(file, F, 'c'), F, /variable 'c' is a cell array; only numeric/);
    expectFormatError(() => readMatVariable(file, F, 'nope'), F, /no variable 'nope'/);
  });

  it('structs, sparse and char are refused when asked for', () => {
    const file = buildMat([
      { name: 's', cls: mx.STRUCT, dims: [1, 1] },
      { name: 'sp', cls: mx.SPARSE, dims: [3, 3] },
      { name: 't', cls: mx.CHAR, dims: [1, 2], real: [104, 105], storage: mi.UINT16 },
    ]);
    expectFormatError(() => readMatVariable(file, F, 's'), F, /is a struct/);
    expectFormatError(() => readMatVariable(file, F, 'sp'), F, /is a sparse matrix/);
    expectFormatError(() => readMatVariable(file, F, 't'), F, /is a char array/);
    expectFormatError(() => readMatVariable(file, F), F, /no real numeric variable/);
  });

  it('refuses lying dimensions, truncation and bombs before allocating', () => {
    const lying = buildMat([{ name: 'x', cls: mx.DOUBLE, dims: [1000, 1000], real: [1], storage: mi.DOUBLE }]);
    expectFormatError(() => readMatVariable(lying, F), F, /dimensions and data disagree/);
    expectFormatError(() => readMatVariable(buildMat([A]).subarray(0, 150), F), F, /truncated/);
    const huge = buildMat([{ name: 'x', cls: mx.DOUBLE, dims: [100000, 100000], real: [1] }]);
    expectFormatError(() => readMatVariable(huge, F), F, /10000000000 elements; more than/);
    // A compressed variable whose inner tag declares 1.5 GB from a few bytes.
    const le = true;
    const inner = matrixElement(A, le);
    new DataView(inner.buffer).setUint32(4, 1.5e9, le);
    const bomb = concatBytes([matHeader(le), compressedElement(inner, le)]);
    expectFormatError(() => listMat(bomb, F), F, /more than DEFLATE can expand/);
    // One that declares its true small size but decompresses to megabytes.
    const real = matrixElement(A, le);
    const stream = zlibSync(concatBytes([real, new Uint8Array(4 << 20)]));
    const actual = concatBytes([matHeader(le), element(mi.COMPRESSED, stream, le, false).subarray(0, 8 + stream.length)]);
    new DataView(actual.buffer).setUint32(128 + 4, stream.length, le);
    expectFormatError(() => readMatVariable(actual, F), F, /corrupt zlib data .*more than/);
  });

  it('refuses bad headers', () => {
    expectFormatError(() => listMat(new Uint8Array(0), F), F, /empty/);
    const h = matHeader(true);
    h[126] = 0x58;
    expectFormatError(() => listMat(h, F), F, /endian indicator/);
    expectFormatError(() => listMat(new TextEncoder().encode('MATLAB 4.0 hello'), F), F, /not a MATLAB 5.0 MAT-file/);
  });
});

describe('MAT v7.3 (HDF5 via jsfive)', () => {
  const h5 = join(process.cwd(), 'node_modules/jsfive/test/test.h5');
  const withHeader = (body: Uint8Array): Uint8Array => {
    const out = new Uint8Array(512 + body.length).fill(0x20, 0, 512);
    const text = 'MATLAB 7.3 MAT-file, Platform: test, Created on: Thu Jan  1 00:00:00 1970 HDF5 schema 1.00 .';
    for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    out.set(body, 512);
    return out;
  };
  it.skipIf(!existsSync(h5))('reads a numeric dataset and refuses strings', () => {
    const file = withHeader(new Uint8Array(readFileSync(h5)));
    expect(listMat73(file, F).filter((v) => v.numeric).map((v) => v.name)).toEqual(['f4', 'f8', 'i1', 'i2', 'i4']);
    const m = readMat73Variable(file, F, 'f8');
    expect(m.shape).toEqual([3, 1]);
    expect(Array.from(m.data)).toEqual([3, 4, 5]);
    expectFormatError(() => readMat73Variable(file, F, 'vlen_string'), F, /only numeric and logical/);
  });
  it('refuses a v7.3 header without HDF5 behind it', () => {
    expectFormatError(() => listMat73(withHeader(new Uint8Array(64)), F), F, /no HDF5 signature/);
  });
});

// Optional: files written by scipy.io.savemat (skipped where python3 with scipy is missing).
const hasScipy = spawnSync('python3', ['-c', 'import scipy.io, numpy'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!hasScipy)('scipy.io.savemat cross-check', () => {
  it('reads what scipy writes, compressed or not, in C order with the MATLAB shape', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mat-scipy-'));
    try {
      const script = String.raw`
import sys, numpy as np, scipy.io as sio
d = sys.argv[1]
x = np.arange(24, dtype=np.float64).reshape(2, 3, 4) * 0.5 - 3
v = {'x': x, 'img': np.arange(12, dtype=np.uint8).reshape(3, 4), 'flag': np.array([[True, False]]),
     'vec': np.arange(5, dtype=np.int16), 'z': np.array([1 + 2j]), 'cellv': np.array([1, 'a'], dtype=object),
     's': {'a': 1.0}, 'f': np.arange(6, dtype=np.float32).reshape(2, 3)}
sio.savemat(d + '/plain.mat', v)
sio.savemat(d + '/zipped.mat', v, do_compression=True)
`;
      const r = spawnSync('python3', ['-c', script, dir], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      for (const name of ['plain.mat', 'zipped.mat']) {
        const bytes = new Uint8Array(await readFile(join(dir, name)));
        const infos = Object.fromEntries(listMat(bytes, name).map((v) => [v.name, v]));
        expect(infos['z']!.complex).toBe(true);
        expect(infos['cellv']!.class).toBe('cell');
        expect(infos['s']!.class).toBe('struct');
        const x = readMatVariable(bytes, name, 'x');
        expect(x.shape).toEqual([2, 3, 4]);
        expect(Array.from(x.data)).toEqual(Array.from({ length: 24 }, (_, i) => i * 0.5 - 3));
        const img = readMatVariable(bytes, name, 'img');
        expect(img.class).toBe('uint8');
        expect(img.shape).toEqual([3, 4]);
        expect(Array.from(img.data)).toEqual(Array.from({ length: 12 }, (_, i) => i));
        expect(readMatVariable(bytes, name, 'flag')).toMatchObject({ class: 'logical', shape: [1, 2] });
        expect(Array.from(readMatVariable(bytes, name, 'flag').data)).toEqual([1, 0]);
        // savemat writes a 1-D array as a row vector.
        expect(readMatVariable(bytes, name, 'vec').shape).toEqual([1, 5]);
        expect(Array.from(readMatVariable(bytes, name, 'f').data)).toEqual([0, 1, 2, 3, 4, 5]);
        expectFormatError(() => readMatVariable(bytes, name, 'z'), name, /complex/);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
