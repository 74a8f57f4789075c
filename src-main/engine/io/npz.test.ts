import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { serializeNpy, type NdArray } from './npy';
import { readNpz, readNpzFile, writeNpz, writeNpzFile } from './npz';
import { ascii, bytesOf, expectFormatError, expectFormatErrorAsync } from './test-helpers';

const arrays = new Map<string, NdArray>([
  ['D', { dtype: 'float32', shape: [4, 3], data: Float32Array.from({ length: 12 }, (_, i) => i / 7 - 0.5) }],
  ['labels', { dtype: 'int64', shape: [3], data: new BigInt64Array([0n, -1n, 9007199254740993n]) }],
  ['mask', { dtype: 'bool', shape: [2, 2], data: new Uint8Array([1, 0, 0, 1]) }],
  ['empty', { dtype: 'float64', shape: [0, 5], data: new Float64Array(0) }],
  ['scalar', { dtype: 'int16', shape: [], data: new Int16Array([-3]) }],
  ['layer/1', { dtype: 'uint8', shape: [2], data: new Uint8Array([7, 255]) }],
]);

function expectSame(a: Map<string, NdArray>, b: Map<string, NdArray>): void {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  for (const [k, v] of a) {
    const w = b.get(k)!;
    expect(w.dtype).toBe(v.dtype);
    expect(w.shape).toEqual(v.shape);
    expect(Buffer.from(bytesOf(w.data)).equals(Buffer.from(bytesOf(v.data)))).toBe(true);
  }
}

/** Offsets of every central-directory entry in a zip. */
function centralEntries(zip: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i + 4 <= zip.length; i++) {
    if (zip[i] === 0x50 && zip[i + 1] === 0x4b && zip[i + 2] === 0x01 && zip[i + 3] === 0x02) out.push(i);
  }
  return out;
}

function setU32(b: Uint8Array, o: number, v: number): void {
  new DataView(b.buffer, b.byteOffset).setUint32(o, v, true);
}

const one = (): Uint8Array => serializeNpy({ dtype: 'float64', shape: [2], data: new Float64Array([1, 2]) });

describe('npz round trip', () => {
  it('stored archive', () => {
    const zip = writeNpz(arrays);
    expect(zip[0]).toBe(0x50);
    expectSame(arrays, readNpz(zip, 'a.npz'));
  });

  it('deflated archive, from a plain object', () => {
    const big = new Map(arrays).set('zeros', { dtype: 'float64', shape: [1000], data: new Float64Array(1000) });
    const stored = writeNpz(big);
    const zip = writeNpz(Object.fromEntries(big), { compress: true });
    expect(zip.length).toBeLessThan(stored.length / 2);
    expectSame(big, readNpz(zip, 'c.npz'));
  });

  it('is reproducible byte for byte', () => {
    expect(Buffer.from(writeNpz(arrays)).equals(Buffer.from(writeNpz(arrays)))).toBe(true);
  });

  it('reads an empty archive', () => {
    expect(readNpz(writeNpz(new Map())).size).toBe(0);
  });

  it('files: atomic write and read back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'npz-test-'));
    try {
      const path = join(dir, 'model.npz');
      await writeNpzFile(path, arrays, { compress: true });
      expect(await readdir(dir)).toEqual(['model.npz']);
      expectSame(arrays, await readNpzFile(path));
      await expectFormatErrorAsync(
        readNpzFile(join(dir, 'model.npz')).then(() => readNpz(ascii('nope'), path)),
        path,
        /not an .npz/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses unsafe array names when writing', () => {
    for (const key of ['../x', '/abs', 'a\\b', '']) {
      expect(() => writeNpz(new Map([[key, arrays.get('scalar')!]]))).toThrow(/cannot be used/);
    }
  });
});

describe('npz hostile input', () => {
  const F = 'evil.npz';

  it('not a zip at all (bad magic)', () =>
    expectFormatError(() => readNpz(one(), F), F, /not an .npz \(zip\) archive: no end-of-central-directory/));
  it('tiny input', () => expectFormatError(() => readNpz(ascii('PK'), F), F, /only 2 bytes/));
  it('truncated archive', () => {
    const zip = writeNpz(arrays);
    expectFormatError(() => readNpz(zip.subarray(0, Math.floor(zip.length / 2)), F), F, /no end-of-central-directory/);
  });
  it('central directory pointing outside the file', () => {
    const zip = writeNpz(arrays);
    setU32(zip, zip.length - 22 + 16, 0x7fffffff);
    expectFormatError(() => readNpz(zip, F), F, /central directory lies outside/);
  });
  it('entry count that cannot fit the directory', () => {
    const zip = writeNpz(arrays);
    const e = zip.length - 22;
    new DataView(zip.buffer).setUint16(e + 8, 60000, true);
    new DataView(zip.buffer).setUint16(e + 10, 60000, true);
    expectFormatError(() => readNpz(zip, F), F, /60000 entries cannot fit/);
  });
  it('path traversal in a member name', () => {
    const zip = zipSync({ '../../etc/passwd.npy': one() });
    expectFormatError(() => readNpz(zip, F), F, /member name "..\/..\/etc\/passwd.npy" is refused: .*path traversal/);
  });
  it('absolute and backslash member names', () => {
    expectFormatError(() => readNpz(zipSync({ '/abs.npy': one() }), F), F, /refused: the name is an absolute path/);
    expectFormatError(() => readNpz(zipSync({ 'C:/x.npy': one() }), F), F, /absolute path/);
    expectFormatError(() => readNpz(zipSync({ 'a\\..\\b.npy': one() }), F), F, /backslash/);
  });
  it('member that is not a .npy', () =>
    expectFormatError(() => readNpz(zipSync({ 'readme.txt': ascii('hi') }), F), F, /"readme.txt" is not a .npy array/));
  it('member declaring a huge uncompressed size is refused before inflating', () => {
    const zip = zipSync({ 'bomb.npy': [new Uint8Array(1 << 20), { level: 9 }] });
    const [cd] = centralEntries(zip);
    setU32(zip, cd! + 24, 0xfffffff0);
    expectFormatError(() => readNpz(zip, F), F, /"bomb.npy" declares an uncompressed size of 4294967280 bytes; members over 2 GiB are refused/);
  });
  it('members declaring more than 4 GiB in total', () => {
    const zip = zipSync({ 'a.npy': one(), 'b.npy': one(), 'c.npy': one() });
    for (const cd of centralEntries(zip)) setU32(zip, cd + 24, 0x7ff00000);
    expectFormatError(() => readNpz(zip, F), F, /more than 4 GiB .* in total/);
  });
  it('member that inflates to more than it declares (zip bomb) stops early', () => {
    const zip = zipSync({ 'bomb.npy': [new Uint8Array(8 << 20), { level: 9 }] });
    const [cd] = centralEntries(zip);
    setU32(zip, cd! + 24, 1000);
    expectFormatError(() => readNpz(zip, F), F, /"bomb.npy": corrupt compressed data \(.*more than the declared 1000 bytes/);
  });
  it('member that inflates to less than it declares', () => {
    const zip = zipSync({ 'a.npy': [one(), { level: 6 }] });
    const [cd] = centralEntries(zip);
    setU32(zip, cd! + 24, one().length + 100);
    expectFormatError(() => readNpz(zip, F), F, /expands to 144 bytes, not the declared 244/);
  });
  it('corrupted member bytes fail the CRC', () => {
    const zip = zipSync({ 'a.npy': one() }, { level: 0 });
    zip[30 + 'a.npy'.length + 130] ^= 0xff; // inside the array data
    expectFormatError(() => readNpz(zip, F), F, /"a.npy" fails its CRC-32 check/);
  });
  it('member whose data runs past the end of the file', () => {
    const zip = zipSync({ 'a.npy': one() }, { level: 0 });
    const [cd] = centralEntries(zip);
    setU32(zip, cd! + 20, 1 << 30);
    setU32(zip, cd! + 24, 1 << 30);
    expectFormatError(() => readNpz(zip, F), F, /runs past the end of the archive/);
  });
  it('encrypted member and unknown compression method', () => {
    const zip = zipSync({ 'a.npy': one() }, { level: 0 });
    const [cd] = centralEntries(zip);
    zip[cd! + 8] |= 1;
    expectFormatError(() => readNpz(zip, F), F, /"a.npy" is encrypted/);
    zip[cd! + 8] &= ~1;
    zip[cd! + 10] = 14;
    expectFormatError(() => readNpz(zip, F), F, /unsupported compression method 14/);
  });
  it('corrupt .npy inside a member names the archive and the member', () => {
    const bad = one();
    bad[0] = 0;
    const zip = zipSync({ 'weights.npy': bad });
    const err = expectFormatError(() => readNpz(zip, F), F, /member "weights.npy": not a .npy file: bad magic/);
    expect(err.cause).toBeDefined();
  });
  it('lying shape inside a member', () => {
    const npy = Buffer.from(one());
    const text = npy.toString('latin1').replace('(2,), }   ', '(9999,), }'); // same length
    expect(text.length).toBe(npy.length);
    const zip = zipSync({ 'x.npy': Buffer.from(text, 'latin1') });
    expectFormatError(() => readNpz(zip, F), F, /member "x.npy": truncated data: shape \(9999,\)/);
  });
});
