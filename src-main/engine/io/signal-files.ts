/** Signals and dictionaries from the files researchers have: PNG images and NumPy arrays. */
import path from 'node:path';
import { hostTensor, type HostTensor } from '../runtime/session';
import { DataFormatError } from './errors';
import { readWholeFile } from './fileio';
import { readNpyFile, toFloat32 } from './npy';
import { readPngAsGray } from './png';

/** A signal file as [B, C, H, W] float32: .npy of [B,C,H,W], [C,H,W] or [H,W]; or a PNG (grayscale in [0,1]). */
export async function loadSignalFile(file: string): Promise<HostTensor> {
  const name = path.basename(file);
  if (/\.png$/i.test(file)) {
    const img = readPngAsGray(await readWholeFile(file), file);
    return hostTensor([1, 1, img.shape[0], img.shape[1]], img.data);
  }
  if (!/\.npy$/i.test(file)) throw new DataFormatError(file, 'expected a .npy or .png file');
  const arr = await readNpyFile(file);
  if (arr.dtype !== 'float32' && arr.dtype !== 'float64') throw new DataFormatError(file, `dtype ${arr.dtype} is not supported for signals (use float32 or float64)`);
  const f = toFloat32(arr);
  const s = f.shape;
  const shape = s.length === 4 ? s : s.length === 3 ? [1, ...s] : s.length === 2 ? [1, 1, ...s] : undefined;
  if (!shape) throw new DataFormatError(file, `shape [${s.join(', ')}] of ${name} is not [B, C, H, W], [C, H, W] or [H, W]`);
  for (let i = 0; i < f.data.length; i++) if (!Number.isFinite(f.data[i]!)) throw new DataFormatError(file, `contains ${f.data[i]} at flat index ${i}`);
  return hostTensor(shape, f.data);
}

/** A dictionary [m, c, k, k] as float32. */
export async function loadDictionaryFile(file: string, layer: number): Promise<HostTensor> {
  if (!/\.npy$/i.test(file)) throw new DataFormatError(file, `dictionaries are .npy files of shape [m, c, k, k] (layer ${layer})`);
  const arr = await readNpyFile(file);
  if (arr.dtype !== 'float32' && arr.dtype !== 'float64') throw new DataFormatError(file, `dtype ${arr.dtype} is not supported for dictionaries (use float32 or float64)`);
  if (arr.shape.length !== 4) throw new DataFormatError(file, `layer ${layer}: shape [${arr.shape.join(', ')}] must be [m, c, k, k]`);
  const f = toFloat32(arr);
  for (let i = 0; i < f.data.length; i++) if (!Number.isFinite(f.data[i]!)) throw new DataFormatError(file, `layer ${layer}: contains ${f.data[i]} at flat index ${i}`);
  return hostTensor(arr.shape, f.data);
}
