/**
 * Tiny data files of every format the Data view imports, written with the same encoders and builders the
 * engine's own tests use (pngjs, jpeg-js, bmp-ts, the TIFF and MAT builders, the NPY/NPZ writers, fflate),
 * so each has known content and a known [N, C, H, W] after import. The MAT v7.3 file is jsfive's own HDF5
 * test file behind a MATLAB 7.3 header (no HDF5 writer is available to Node here).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encode as encodeBmp } from 'bmp-ts';
import { gzipSync } from 'fflate';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { buildMat, mx } from '../../src-main/engine/io/mat-builder';
import { serializeNpy, type NdArray } from '../../src-main/engine/io/npy';
import { writeNpz } from '../../src-main/engine/io/npz';
import { buildTiff, imageTags } from '../../src-main/engine/io/tiff-builder';
import { repoRoot } from './server';

/** A fixture: where it is (relative to the data folder), and what the import must show. */
export interface DataFixture {
  /** File (or folder) name inside the data folder. */
  readonly file: string;
  readonly kind: 'file' | 'folder';
  /** The data set's default name (the file name without its extension). */
  readonly name: string;
  readonly format: string;
  /** [N, C, H, W] after import without preprocessing, as data-shape writes it. */
  readonly shape: string;
  /** For .npz/.mat: the array to choose. */
  readonly array?: string;
}

/** Smooth, varied pixel values (so thumbnails are not flat), 0…255. */
const level = (x: number, y: number, k = 0) => Math.round(127.5 + 127.5 * Math.sin(0.7 * x + 0.45 * y + k));

function png(width: number, height: number, channels: 1 | 3, k = 0): Uint8Array {
  const img = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const g = level(x, y, k);
      img.data.set(channels === 1 ? [g, g, g, 255] : [g, level(y, x, 1 + k), 255 - g, 255], 4 * (y * width + x));
    }
  }
  // colorType 0: 8-bit gray; 2: 8-bit RGB (pngjs takes RGBA in and converts).
  return new Uint8Array(PNG.sync.write(img, { colorType: channels === 1 ? 0 : 2 }));
}

function rgba(width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out.set([level(x, y), level(y, x, 2), 90, 255], 4 * (y * width + x));
  return out;
}

const f32 = (shape: number[], f: (i: number) => number): NdArray => ({ dtype: 'float32', shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => f(i)) });

/** An IDX file of unsigned bytes [n, h, w] (MNIST's layout). */
function idx(n: number, h: number, w: number): Uint8Array {
  const out = new Uint8Array(4 + 12 + n * h * w);
  const dv = new DataView(out.buffer);
  out.set([0, 0, 0x08, 3]);
  dv.setUint32(4, n);
  dv.setUint32(8, h);
  dv.setUint32(12, w);
  for (let i = 0; i < n * h * w; i++) out[16 + i] = level(i % w, Math.floor(i / w), Math.floor(i / (h * w)));
  return out;
}

/** jsfive's test.h5 behind a 512-byte MATLAB 7.3 header: a valid v7.3 MAT-file with numeric arrays f4, f8, … */
function mat73(): Uint8Array | null {
  const h5 = path.join(repoRoot, 'node_modules/jsfive/test/test.h5');
  if (!existsSync(h5)) return null;
  const body = readFileSync(h5);
  const out = new Uint8Array(512 + body.length).fill(0x20, 0, 512);
  const text = 'MATLAB 7.3 MAT-file, Platform: e2e, Created on: Thu Jan  1 00:00:00 1970 HDF5 schema 1.00 .';
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  out.set(body, 512);
  return out;
}

/** Writes the fixtures into `dir` (created) and lists them, with what each import must give. */
export function writeDataFixtures(dir: string): { fixtures: DataFixture[]; bad: string; preprocess: string; dropped: { name: string; bytes: number[] }[] } {
  mkdirSync(dir, { recursive: true });
  const put = (name: string, bytes: Uint8Array | string) => writeFileSync(path.join(dir, name), bytes);
  const fixtures: DataFixture[] = [];

  put('gray8.png', png(16, 12, 1));
  fixtures.push({ file: 'gray8.png', kind: 'file', name: 'gray8', format: 'image', shape: '1×1×12×16' });
  put('colour.png', png(12, 10, 3));
  fixtures.push({ file: 'colour.png', kind: 'file', name: 'colour', format: 'image', shape: '1×3×10×12' });
  put('photo.jpg', new Uint8Array(jpeg.encode({ data: rgba(16, 16), width: 16, height: 16 }, 90).data));
  fixtures.push({ file: 'photo.jpg', kind: 'file', name: 'photo', format: 'image', shape: '1×3×16×16' });

  const pages = [0, 1].map((p) => ({ tags: imageTags({ width: 12, height: 10 }), blocks: [Uint8Array.from({ length: 120 }, (_, i) => level(i % 12, Math.floor(i / 12), 3 * p))] }));
  put('pages.tif', buildTiff(pages));
  fixtures.push({ file: 'pages.tif', kind: 'file', name: 'pages', format: 'image', shape: '2×1×10×12' });

  const abgr = Buffer.alloc(10 * 8 * 4);
  for (let i = 0; i < 80; i++) abgr.set([0, level(i % 10, 0), level(0, Math.floor(i / 10)), 40], 4 * i);
  put('pic.bmp', new Uint8Array(encodeBmp({ width: 10, height: 8, data: abgr, bitPP: 24 }).data));
  fixtures.push({ file: 'pic.bmp', kind: 'file', name: 'pic', format: 'image', shape: '1×3×8×10' });

  mkdirSync(path.join(dir, 'faces'), { recursive: true });
  for (let i = 1; i <= 3; i++) writeFileSync(path.join(dir, 'faces', `face${i}.png`), png(8, 8, 1, i));
  fixtures.push({ file: 'faces', kind: 'folder', name: 'faces', format: 'image-folder', shape: '3×1×8×8' });

  const digits = idx(5, 8, 8);
  put('digits.idx3', digits);
  fixtures.push({ file: 'digits.idx3', kind: 'file', name: 'digits', format: 'idx', shape: '5×1×8×8' });
  put('zipped.idx3.gz', gzipSync(digits));
  fixtures.push({ file: 'zipped.idx3.gz', kind: 'file', name: 'zipped', format: 'idx', shape: '5×1×8×8' });

  put('stack.npy', serializeNpy(f32([6, 8, 8], (i) => Math.sin(i / 5))));
  fixtures.push({ file: 'stack.npy', kind: 'file', name: 'stack', format: 'npy', shape: '6×1×8×8' });

  // 'z' comes first, so importing without choosing would take it: choosing 'x' must be honoured.
  put('arrays.npz', writeNpz(new Map<string, NdArray>([['z', f32([2, 5], (i) => i)], ['x', f32([5, 8, 8], (i) => Math.cos(i / 7))], ['y', { dtype: 'int32', shape: [5], data: Int32Array.from([0, 1, 2, 1, 0]) }]])));
  fixtures.push({ file: 'arrays.npz', kind: 'file', name: 'arrays', format: 'npz', shape: '5×1×8×8', array: 'x' });

  // MATLAB stores column-major: img(r, c) = r + 10·c.
  const rows = 6;
  const cols = 7;
  put('v5.mat', buildMat([{ name: 'img', cls: mx.DOUBLE, dims: [rows, cols], real: Float64Array.from({ length: rows * cols }, (_, i) => (i % rows) + 10 * Math.floor(i / rows)) }]));
  fixtures.push({ file: 'v5.mat', kind: 'file', name: 'v5', format: 'mat', shape: '1×1×6×7', array: 'img' });

  const v73 = mat73();
  if (v73) {
    put('v73.mat', v73);
    // f8 is [3, 4, 5] in jsfive's file, a column vector [3, 1] as MATLAB reads it: one 1-D signal.
    fixtures.push({ file: 'v73.mat', kind: 'file', name: 'v73', format: 'mat', shape: '1×1×1×3', array: 'f8' });
  }

  const lines = ['t0,t1,t2,t3,t4,t5,t6,t7,t8,t9,t10,t11,t12,t13,t14,t15'];
  for (let r = 0; r < 4; r++) lines.push(Array.from({ length: 16 }, (_, c) => Math.sin(0.4 * c + r).toFixed(4)).join(','));
  put('signals.csv', `${lines.join('\n')}\n`);
  fixtures.push({ file: 'signals.csv', kind: 'file', name: 'signals', format: 'csv', shape: '4×1×1×16' });

  put('bad.png', 'this is not a PNG image at all\n');
  // 32×32 colour: grayscale → scale01 → 8×8 patches at stride 8 (16 of them) → a quarter (4) to test.
  put('prep.png', png(32, 32, 3, 5));

  const dropped = [1, 2].map((i) => ({ name: `drop${i}.png`, bytes: Array.from(png(8, 8, 1, 10 + i)) }));
  return { fixtures, bad: 'bad.png', preprocess: 'prep.png', dropped };
}
