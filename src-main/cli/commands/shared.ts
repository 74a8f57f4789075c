/** Loading signals and dictionaries from files, shared by the commands. */
import path from 'node:path';
import { readNpyFile, readPngAsGray, readWholeFile, toFloat32 } from '../../engine/io';
import { PROVIDER_NAMES, hostTensor, type HostTensor, type ProviderName } from '../../engine/runtime/session';
import { CliError } from '../output';

export function parseProviders(value: string): ProviderName[] {
  const list = value.split(',').map((s) => s.trim().toLowerCase());
  for (const p of list) if (!PROVIDER_NAMES.includes(p as ProviderName)) throw new CliError(`--provider: unknown provider "${p}" (expected ${PROVIDER_NAMES.join(', ')})`);
  return list as ProviderName[];
}

/** A signal file as [B, C, H, W] float32: .npy of [B,C,H,W], [C,H,W] or [H,W]; or a PNG (grayscale in [0,1]). */
export async function loadSignal(file: string): Promise<HostTensor> {
  if (/\.png$/i.test(file)) {
    const img = readPngAsGray(await readWholeFile(file), file);
    return hostTensor([1, 1, img.shape[0], img.shape[1]], img.data);
  }
  if (!/\.npy$/i.test(file)) throw new CliError(`--signal ${file}: expected a .npy or .png file`);
  const arr = await readNpyFile(file);
  if (arr.dtype !== 'float32' && arr.dtype !== 'float64') throw new CliError(`--signal ${path.basename(file)}: dtype ${arr.dtype} is not supported (use float32 or float64)`);
  const f = toFloat32(arr);
  const s = f.shape;
  const shape = s.length === 4 ? s : s.length === 3 ? [1, ...s] : s.length === 2 ? [1, 1, ...s] : undefined;
  if (!shape) throw new CliError(`--signal ${path.basename(file)}: shape [${s.join(', ')}] is not [B, C, H, W], [C, H, W] or [H, W]`);
  return hostTensor(shape, f.data);
}

export async function loadDictionary(file: string, index: number): Promise<HostTensor> {
  const arr = await readNpyFile(file);
  if (arr.dtype !== 'float32' && arr.dtype !== 'float64') throw new CliError(`--dict ${path.basename(file)}: dtype ${arr.dtype} is not supported (use float32 or float64)`);
  if (arr.shape.length !== 4) throw new CliError(`--dict ${path.basename(file)} (layer ${index + 1}): shape [${arr.shape.join(', ')}] must be [m, c, k, k]`);
  return hostTensor(arr.shape, toFloat32(arr).data);
}

/** Expands a per-layer list: one value applies to all layers. */
export function perLayer(values: number[] | undefined, layers: number, fallback: number, what: string): number[] {
  if (!values) return new Array(layers).fill(fallback);
  if (values.length === 1) return new Array(layers).fill(values[0]);
  if (values.length !== layers) throw new CliError(`${what}: ${values.length} values given for ${layers} layer(s)`);
  return values;
}
