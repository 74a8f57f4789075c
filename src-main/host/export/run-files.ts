/**
 * What a run folder holds that can leave the app: its saved arrays (runs/<id>/<name>.npy, read by header only),
 * whether its last checkpoint carries a trained network, and the shapes a pursuit export needs. Reads nothing
 * but headers and small JSON files, so listing stays cheap however large the arrays are.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { RunArrayInfo } from '../../../src-shared/contract';
import { readNpyHeaderFile } from '../../engine/io/npy';

/** The stems the contract accepts for `runs.export`'s `array` (and the project writes). */
export const ARRAY_NAME = /^[A-Za-z0-9_]+$/;

export interface RunArrayFile extends RunArrayInfo {
  /** Absolute path of the .npy file. */
  readonly file: string;
  /** Size of the file in bytes. */
  readonly bytes: number;
}

/**
 * Layer-indexed arrays (W1, gamma2, atoms1…) first by family in the order a reader meets them (dictionaries,
 * codes, atoms), each by layer number; everything else after, alphabetically.
 */
const FAMILIES = ['W', 'gamma', 'atoms'];
function arrayOrder(a: string, b: string): number {
  const rank = (n: string) => {
    const m = /^([A-Za-z_]+?)(\d+)$/.exec(n);
    const family = m ? FAMILIES.indexOf(m[1]!) : -1;
    return family >= 0 ? { family, layer: Number(m![2]) } : { family: FAMILIES.length, layer: 0 };
  };
  const ra = rank(a);
  const rb = rank(b);
  return ra.family - rb.family || ra.layer - rb.layer || a.localeCompare(b, 'en', { numeric: true });
}

/**
 * The run's arrays with dtype and shape from each file's header. A file whose header does not parse (a
 * stray or damaged file) is left out: it is not an array anyone can export.
 */
export async function listRunArrays(runDir: string): Promise<RunArrayFile[]> {
  const entries = await readdir(runDir, { withFileTypes: true });
  const names = entries.filter((e) => e.isFile() && e.name.endsWith('.npy') && ARRAY_NAME.test(e.name.slice(0, -4))).map((e) => e.name.slice(0, -4));
  const found = await Promise.all(
    names.map(async (name): Promise<RunArrayFile | undefined> => {
      const file = path.join(runDir, `${name}.npy`);
      try {
        const [header, st] = await Promise.all([readNpyHeaderFile(file), stat(file)]);
        return { name, dtype: header.dtype, shape: [...header.shape], file, bytes: st.size };
      } catch {
        return undefined;
      }
    }),
  );
  return found.filter((a): a is RunArrayFile => a !== undefined).sort((a, b) => arrayOrder(a.name, b.name));
}

/** The shape in a .npy file's header, or undefined when the file is missing or not an array. */
export async function npyShape(file: string): Promise<number[] | undefined> {
  try {
    return [...(await readNpyHeaderFile(file)).shape];
  } catch {
    return undefined;
  }
}

const CheckpointPointer = z.object({ iteration: z.number().int().nonnegative(), dir: z.string().regex(/^checkpoints\/\d+$/) });
const CheckpointState = z.object({ tensors: z.array(z.string()) });

/**
 * Whether the run's last checkpoint lists a `training_state` array (an unrolled network's weights and
 * optimiser state), judged from checkpoint.json and state.json alone.
 */
export async function hasTrainedNetwork(runDir: string): Promise<boolean> {
  try {
    const pointer = CheckpointPointer.safeParse(JSON.parse(await readFile(path.join(runDir, 'checkpoint.json'), 'utf8')));
    if (!pointer.success) return false;
    const state = CheckpointState.safeParse(JSON.parse(await readFile(path.join(runDir, pointer.data.dir, 'state.json'), 'utf8')));
    return state.success && state.data.tensors.includes('training_state');
  } catch {
    return false;
  }
}

/** The shape of array `name` in the run's last checkpoint (from its .npy header), or undefined. */
export async function checkpointArrayShape(runDir: string, name: string): Promise<number[] | undefined> {
  if (!ARRAY_NAME.test(name)) return undefined;
  try {
    const pointer = CheckpointPointer.safeParse(JSON.parse(await readFile(path.join(runDir, 'checkpoint.json'), 'utf8')));
    return pointer.success ? npyShape(path.join(runDir, pointer.data.dir, `${name}.npy`)) : undefined;
  } catch {
    return undefined;
  }
}
