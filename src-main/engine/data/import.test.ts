import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode as encodeBmp } from 'bmp-ts';
import { gzipSync } from 'fflate';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataFormatError } from '../io/errors';
import { buildMat, mx } from '../io/mat-builder';
import { serializeNpy, type NdArray } from '../io/npy';
import { writeNpz } from '../io/npz';
import { writeGrayPng } from '../io/png';
import { buildTiff, imageTags, lzwEncode } from '../io/tiff-builder';
import { importData } from './import';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'import-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function put(name: string, bytes: Uint8Array | string): Promise<string> {
  const p = join(dir, name);
  await mkdir(join(p, '..'), { recursive: true });
  await writeFile(p, bytes);
  return p;
}

async function refused(path: string, problem: RegExp, o?: Parameters<typeof importData>[1]): Promise<DataFormatError> {
  const e = await importData(path, o).then(
    () => null,
    (err: unknown) => err,
  );
  expect(e, `${path} should be refused`).toBeInstanceOf(DataFormatError);
  expect((e as Error).message).toContain(path.split('/').pop());
  expect((e as Error).message).toMatch(problem);
  return e as DataFormatError;
}

function rgbaPng(width: number, height: number, px: (x: number, y: number) => [number, number, number, number]): Uint8Array {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) png.data.set(px(x, y), 4 * (y * width + x));
  return new Uint8Array(PNG.sync.write(png));
}

const f32 = (shape: number[], f: (i: number) => number = (i) => i): NdArray => ({
  dtype: 'float32',
  shape,
  data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => f(i)),
});

describe('importData: images', () => {
  it('PNG gray (8-bit) and RGBA: [1, C, H, W] in [0, 1]', async () => {
    const gray = await put('g.png', writeGrayPng(Float32Array.from([0, 0.5, 1, 0.25, 0.75, 0]), 2, 3, { min: 0, max: 1 }));
    const r = await importData(gray);
    expect(r.format).toBe('image');
    const [a] = r.arrays;
    expect(a).toMatchObject({ name: 'g.png', shape: [1, 1, 2, 3], sourceDtype: 'uint8', sourceShape: [2, 3, 1] });
    expect(Array.from(a!.data, (v) => Math.round(v * 255))).toEqual([0, 128, 255, 64, 191, 0]);
    const rgba = await put('c.png', rgbaPng(2, 1, (x) => [255, x * 255, 0, 128]));
    const c = (await importData(rgba)).arrays[0]!;
    expect(c.shape).toEqual([1, 4, 1, 2]);
    expect(Array.from(c.data, (v) => Math.round(v * 255))).toEqual([255, 255, 0, 255, 0, 0, 128, 128]);
  });

  it('JPEG, BMP and a 16-bit multi-page TIFF (N = pages, / 65535)', async () => {
    const rgba = new Uint8Array(8 * 8 * 4).fill(200);
    const jpg = await put('p.jpeg', new Uint8Array(jpeg.encode({ data: rgba, width: 8, height: 8 }, 90).data));
    const j = (await importData(jpg)).arrays[0]!;
    expect(j.shape).toEqual([1, 3, 8, 8]);
    expect(Math.abs(j.data[10]! - 200 / 255)).toBeLessThan(0.02);
    const bmpData = Buffer.alloc(3 * 2 * 4);
    for (let i = 0; i < 6; i++) bmpData.set([0, 10 * i, 20 * i, 30 * i], 4 * i); // A B G R
    const bmp = await put('p.bmp', new Uint8Array(encodeBmp({ width: 3, height: 2, data: bmpData, bitPP: 24 }).data));
    const b = (await importData(bmp)).arrays[0]!;
    expect(b.shape).toEqual([1, 3, 2, 3]);
    expect(Array.from(b.data.subarray(0, 6), (v) => Math.round(v * 255))).toEqual([0, 30, 60, 90, 120, 150]);
    const raw = (p: number) => {
      const out = new Uint8Array(2 * 6);
      for (let i = 0; i < 6; i++) new DataView(out.buffer).setUint16(2 * i, p * 10000 + i, true);
      return out;
    };
    const tif = await put('s.tiff', buildTiff([0, 1].map((p) => ({ tags: imageTags({ width: 3, height: 2, bits: 16, compression: 5 }), blocks: [lzwEncode(raw(p))] }))));
    const t = (await importData(tif)).arrays[0]!;
    expect(t).toMatchObject({ shape: [2, 1, 2, 3], sourceDtype: 'uint16', sourceShape: [2, 2, 3, 1] });
    expect(Math.round(t.data[7]! * 65535)).toBe(10001);
  });

  it('a folder: natural order, gray promoted to RGB, subfolders and other files ignored', async () => {
    const d = join(dir, 'folder');
    await put('folder/img10.png', rgbaPng(2, 2, () => [255, 0, 0, 255]));
    await put('folder/img2.png', writeGrayPng(new Float32Array(4).fill(0.5), 2, 2, { min: 0, max: 1 }));
    await put('folder/notes.txt', 'hello');
    await put('folder/sub/other.png', writeGrayPng(new Float32Array(9), 3, 3));
    const r = await importData(d);
    expect(r.format).toBe('image-folder');
    const a = r.arrays[0]!;
    // img10 is RGBA: C = 4; img2 (gray 128) comes first, replicated, alpha 1.
    expect(a.shape).toEqual([2, 4, 2, 2]);
    expect(Array.from(a.data.subarray(0, 16), (v) => Math.round(v * 255))).toEqual([...new Array(12).fill(128), 255, 255, 255, 255]);
    expect(Math.round(a.data[16]! * 255)).toBe(255);
    await put('folder/img3.png', writeGrayPng(new Float32Array(6), 2, 3));
    await refused(d, /img3\.png is 3x2 but img2\.png is 2x2/);
  });
});

describe('importData: arrays', () => {
  it('NPY shape rule: 1-D, 2-D, column vector, [C,H,W], [H,W,C], [N,H,W], 4-D, leading ones', async () => {
    const cases: Array<[number[], number[]]> = [
      [[7], [1, 1, 1, 7]],
      [[3, 5], [1, 1, 3, 5]],
      [[6, 1], [1, 1, 1, 6]],
      [[3, 5, 6], [1, 3, 5, 6]],
      [[5, 6, 3], [1, 3, 5, 6]],
      [[10, 5, 6], [10, 1, 5, 6]],
      [[2, 3, 4, 5], [2, 3, 4, 5]],
      [[1, 1, 2, 3, 4, 5], [2, 3, 4, 5]],
    ];
    for (const [i, [src, want]] of cases.entries()) {
      const p = await put(`shape${i}.npy`, serializeNpy(f32(src)));
      const a = (await importData(p)).arrays[0]!;
      expect(a.shape, `shape ${src}`).toEqual(want);
      expect(a.sourceShape).toEqual(src);
    }
    // [H, W, C] is transposed to planes: element (y, x, c) lands at [c, y, x].
    const hwc = (await importData(join(dir, 'shape4.npy'))).arrays[0]!;
    expect(hwc.data[1 * 30 + 2 * 6 + 4]).toBe((2 * 6 + 4) * 3 + 1);
    await refused(await put('five.npy', serializeNpy(f32([2, 1, 2, 3, 4]))), /5 dimensions/);
    await refused(await put('scalar.npy', serializeNpy(f32([]))), /single number/);
    await refused(await put('empty0.npy', serializeNpy(f32([0, 4]))), /is empty/);
  });

  it('NPY dtypes convert to float32; NaN, Infinity and float32 overflow are refused with their index', async () => {
    const u8 = await put('u8.npy', serializeNpy({ dtype: 'uint8', shape: [2, 2], data: Uint8Array.from([0, 1, 254, 255]) }));
    expect(Array.from((await importData(u8)).arrays[0]!.data)).toEqual([0, 1, 254, 255]);
    expect((await importData(u8)).arrays[0]!.sourceDtype).toBe('uint8');
    await refused(await put('nan.npy', serializeNpy(f32([2, 3], (i) => (i === 5 ? NaN : i)))), /NaN at index \[1, 2\]/);
    await refused(await put('ovf.npy', serializeNpy({ dtype: 'float64', shape: [3], data: Float64Array.from([0, 1e300, 0]) })), /Infinity at index \[1\].*float32 range/);
  });

  it('sizes are refused from the header, before the data is read', async () => {
    const p = await put('big.npy', serializeNpy(f32([64, 64])));
    await refused(p, /4096 elements; more than 1000 are refused/, { maxElements: 1000 });
  });

  it('NPZ: first non-label array by default, `array` by name, labels attached', async () => {
    const zip = writeNpz(
      { labels: { dtype: 'int64', shape: [6], data: BigInt64Array.from([0n, 2n, 1n, 5n, 4n, 3n]) }, x: f32([6, 4, 5]), other: f32([2, 2]) },
      { compress: true },
    );
    const p = await put('d.npz', zip);
    const r = await importData(p);
    expect(r.format).toBe('npz');
    expect(r.available).toEqual(['labels', 'x', 'other']);
    const a = r.arrays[0]!;
    expect(a).toMatchObject({ name: 'x', shape: [6, 1, 4, 5] });
    expect(Array.from(a.labels!)).toEqual([0, 2, 1, 5, 4, 3]);
    expect((await importData(p, { array: 'other' })).arrays[0]!.shape).toEqual([1, 1, 2, 2]);
    await refused(p, /no array named "nope"/, { array: 'nope' });
  });

  it('MAT: column-major to C order, compressed, labels beside x_train', async () => {
    const col = [1, 4, 2, 5, 3, 6]; // [[1, 2, 3], [4, 5, 6]]
    const p = await put(
      'm.mat',
      buildMat([
        { name: 'note', cls: mx.CHAR, dims: [1, 2], real: [104, 105] },
        { name: 'x_train', cls: mx.DOUBLE, dims: [2, 3], real: col, compress: true },
        { name: 'y_train', cls: mx.DOUBLE, dims: [1, 1], real: [1] },
      ]),
    );
    const r = await importData(p);
    expect(r.format).toBe('mat');
    const a = r.arrays[0]!;
    expect(a).toMatchObject({ name: 'x_train', shape: [1, 1, 2, 3], sourceDtype: 'double', sourceShape: [2, 3] });
    expect(Array.from(a.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(a.labels!)).toEqual([1]);
    await refused(p, /variable 'note' is a char array/, { array: 'note' });
  });

  it('IDX: images / 255 with their sibling label file; a label file alone is refused as data', async () => {
    const head = (dims: number[]) => {
      const h = new Uint8Array(4 + 4 * dims.length);
      h.set([0, 0, 8, dims.length]);
      dims.forEach((d, i) => new DataView(h.buffer).setUint32(4 + 4 * i, d, false));
      return h;
    };
    const images = new Uint8Array([...head([2, 2, 3]), ...Array.from({ length: 12 }, (_, i) => i * 20)]);
    const p = await put('mnist/train-images-idx3-ubyte.gz', gzipSync(images));
    const labelsPath = await put('mnist/train-labels-idx1-ubyte', new Uint8Array([...head([2]), 7, 3]));
    const a = (await importData(p)).arrays[0]!;
    expect(a).toMatchObject({ shape: [2, 1, 2, 3], sourceDtype: 'uint8' });
    expect(a.data[1]).toBeCloseTo(20 / 255);
    expect(Array.from(a.labels!)).toEqual([7, 3]);
    await refused(labelsPath, /is an IDX label file/);
  });

  it('CSV/TSV: rows are 1-D signals', async () => {
    const p = await put('s.csv', 't0,t1,t2\n1,2,3\n4,5,6\n');
    const r = await importData(p);
    expect(r.format).toBe('csv');
    expect(r.arrays[0]).toMatchObject({ name: 's', shape: [2, 1, 1, 3], sourceShape: [2, 3] });
    expect((await importData(await put('s.tsv', '1\t2\n'))).arrays[0]!.shape).toEqual([1, 1, 1, 2]);
    await refused(await put('r.csv', '1,2\n3\n'), /line 2 has 1 values/);
  });
});

describe('importData: detection', () => {
  it('content decides, the extension must agree', async () => {
    // An .npy with no extension is still recognised by its magic.
    const npy = await put('noext', serializeNpy(f32([2, 2])));
    expect((await importData(npy)).format).toBe('npy');
    await refused(await put('text.png', '1,2,3\n'), /the file is text, but its extension '\.png' says a PNG image/);
    await refused(await put('actually-npy.mat', serializeNpy(f32([2]))), /NumPy \.npy array, but its extension '\.mat' says a MATLAB/);
    await refused(await put('blob.bin', new Uint8Array([1, 2, 3, 250, 0, 7])), /unrecognised file format/);
    await refused(await put('zero.npy', new Uint8Array(0)), /file is empty/);
  });
});
