import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { readIdx, readIdxFile } from './idx';
import { concat, expectFormatError, expectFormatErrorAsync } from './test-helpers';

/** An IDX file built by hand: 0x00 0x00, type code, ndim, big-endian u32 dims, big-endian data. */
function idx(type: number, dims: number[], data: Uint8Array): Uint8Array {
  const head = new Uint8Array(4 + 4 * dims.length);
  head.set([0, 0, type, dims.length]);
  dims.forEach((d, i) => new DataView(head.buffer).setUint32(4 + 4 * i, d, false));
  return concat(head, data);
}

function be(values: number[], size: number, set: (dv: DataView, o: number, v: number) => void): Uint8Array {
  const out = new Uint8Array(values.length * size);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => set(dv, i * size, v));
  return out;
}

function withIsize(gz: Uint8Array, isize: number): Uint8Array {
  const out = gz.slice();
  new DataView(out.buffer).setUint32(out.length - 4, isize >>> 0, true);
  return out;
}

// MNIST-style: three 2x3 "images" and their labels.
const pixels = Uint8Array.from({ length: 18 }, (_, i) => i * 14);
const images = idx(0x08, [3, 2, 3], pixels);
const labels = idx(0x08, [3], new Uint8Array([7, 2, 1]));

describe('idx', () => {
  it('reads a hand-built uint8 image file, plain and gzipped', () => {
    expect(Array.from(images.subarray(0, 4))).toEqual([0, 0, 8, 3]); // magic 0x00000803
    for (const bytes of [images, gzipSync(images)]) {
      const arr = readIdx(bytes, 'train-images-idx3-ubyte');
      expect(arr.dtype).toBe('uint8');
      expect(arr.shape).toEqual([3, 2, 3]);
      expect(Array.from(arr.data as Uint8Array)).toEqual(Array.from(pixels));
    }
    const l = readIdx(gzipSync(labels));
    expect(l.shape).toEqual([3]);
    expect(Array.from(l.data as Uint8Array)).toEqual([7, 2, 1]);
  });

  it('reads every element type, converting from big-endian', () => {
    const cases: Array<[number, string, number, number[], (dv: DataView, o: number, v: number) => void]> = [
      [0x09, 'int8', 1, [-128, 5, 127], (dv, o, v) => dv.setInt8(o, v)],
      [0x0b, 'int16', 2, [-32768, 300, 32767], (dv, o, v) => dv.setInt16(o, v, false)],
      [0x0c, 'int32', 4, [-(2 ** 31), 70000, 2 ** 31 - 1], (dv, o, v) => dv.setInt32(o, v, false)],
      [0x0d, 'float32', 4, [1.5, -0.25, 3e38], (dv, o, v) => dv.setFloat32(o, v, false)],
      [0x0e, 'float64', 8, [Math.PI, -1e-300, 0], (dv, o, v) => dv.setFloat64(o, v, false)],
    ];
    for (const [code, dtype, size, values, set] of cases) {
      const file = idx(code, [1, 3], be(values, size, set));
      for (const bytes of [file, gzipSync(file, { level: 9 })]) {
        const arr = readIdx(bytes);
        expect(arr.dtype).toBe(dtype);
        expect(arr.shape).toEqual([1, 3]);
        expect(Array.from(arr.data as ArrayLike<number>)).toEqual(values.map((v) => (dtype === 'float32' ? Math.fround(v) : v)));
      }
    }
  });

  it('reads empty arrays and gzip data delivered across many chunks', () => {
    expect(readIdx(idx(0x0d, [0, 5], new Uint8Array(0))).data.length).toBe(0);
    const big = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 251);
    const arr = readIdx(gzipSync(idx(0x08, [300, 1000], big), { level: 1 }));
    expect(Buffer.from(arr.data as Uint8Array).equals(Buffer.from(big))).toBe(true);
  });

  it('reads files from disk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'idx-test-'));
    try {
      const path = join(dir, 't10k-labels-idx1-ubyte.gz');
      await writeFile(path, gzipSync(labels));
      expect(Array.from((await readIdxFile(path)).data as Uint8Array)).toEqual([7, 2, 1]);
      await writeFile(path, labels.subarray(0, 9));
      await expectFormatErrorAsync(readIdxFile(path), path, /truncated IDX data/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  describe('hostile input', () => {
    const F = 'evil-idx3-ubyte';
    it('bad magic', () =>
      expectFormatError(() => readIdx(new Uint8Array([0x12, 0x34, 0x56, 0x78, 0, 0, 0, 1]), F), F, /not an IDX file: bad magic 0x12345678/));
    it('unknown type code', () =>
      expectFormatError(() => readIdx(idx(0x0a, [1], new Uint8Array(1)), F), F, /unknown element type 0x0a/));
    it('zero dimensions', () => expectFormatError(() => readIdx(new Uint8Array([0, 0, 8, 0, 1]), F), F, /zero dimensions/));
    it('truncated header', () => {
      expectFormatError(() => readIdx(new Uint8Array([0, 0, 8]), F), F, /truncated IDX header: only 3 bytes/);
      expectFormatError(() => readIdx(images.subarray(0, 10), F), F, /truncated IDX header/);
    });
    it('truncated data', () =>
      expectFormatError(() => readIdx(images.subarray(0, images.length - 1), F), F, /shape \(3, 2, 3\) of uint8 needs 18 bytes but only 17/));
    it('trailing bytes', () =>
      expectFormatError(() => readIdx(concat(labels, new Uint8Array(2)), F), F, /2 bytes beyond the 3 its header declares/));
    it('lying shape is refused before allocating', () =>
      expectFormatError(() => readIdx(idx(0x08, [60000, 28, 28], new Uint8Array(100)), F), F, /needs 47040000 bytes but only 100/));
    it('absurd dims (1e9, 1e9)', () =>
      expectFormatError(() => readIdx(idx(0x0e, [1e9, 1e9], new Uint8Array(8)), F), F, /1\.000e\+18 elements; more than 2\^31/));
    it('gzip whose trailer disagrees with the header', () =>
      expectFormatError(() => readIdx(gzipSync(idx(0x08, [10], new Uint8Array(5))), F), F, /declares 18 bytes but the gzip trailer records 13/));
    it('gzip stream shorter than the header says, trailer forged to match', () =>
      expectFormatError(() => readIdx(withIsize(gzipSync(idx(0x08, [10], new Uint8Array(5))), 18), F), F, /needs 10 bytes but only 5/));
    it('gzip bomb: stream far longer than the header says', () =>
      expectFormatError(
        () => readIdx(withIsize(gzipSync(idx(0x08, [2, 2], new Uint8Array(16 << 20))), 16), F),
        F,
        /longer than the 4 bytes its header declares/,
      ));
    it('gzip header claiming an impossible expansion', () => {
      const claim = 40000 * 40000 + 12;
      expectFormatError(() => readIdx(withIsize(gzipSync(idx(0x08, [40000, 40000], new Uint8Array(10))), claim), F), F, /impossible for \d+ bytes of gzip data/);
    });
    it('corrupt gzip data', () =>
      expectFormatError(() => readIdx(new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6]), F), F, /corrupt gzip data/));
  });
});
