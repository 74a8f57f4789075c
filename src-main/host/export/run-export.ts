/**
 * runs.exports and runs.export: a run's results as files for people and other tools. One array as the .npy
 * the project holds (the same bytes), every array in one .npz (as np.savez writes it: stored .npy members),
 * the trained network of an unrolled session as a standalone .onnx, or a Markdown report with figures (zip).
 * Everything is read with async I/O and built in memory, bounded by MAX_EXPORT_BYTES; the ONNX model is only
 * serialised here (no ONNX Runtime in the host), from the weights in the session's last checkpoint.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { zipSync, type Zippable } from 'fflate';
import { z } from 'zod';
import { LearnConfig, PhaseConfig, RunConfig, StudioError, type ExportedFile, type ExportFormat, type RunDetail, type RunExports, type RunSummary } from '../../../src-shared/contract';
import { readNpyFile, toFloat32 } from '../../engine/io/npy';
import { exportOnnx } from '../../engine/learn/unrolled/export';
import { deserializeTrainingState } from '../../engine/learn/unrolled/training-state';
import type { Project } from '../projects';
import { buildReport, type LoadedArray } from './report';
import { ARRAY_NAME, hasTrainedNetwork, listRunArrays, type RunArrayFile } from './run-files';

/** No export reads or builds more than this (1 GiB): beyond it, the project folder itself is the way out. */
export const MAX_EXPORT_BYTES = 2 ** 30;

export const EXPORT_MEDIA_TYPES: Record<ExportFormat, string> = {
  npy: 'application/x-npy',
  npz: 'application/zip',
  onnx: 'application/octet-stream',
  report: 'application/zip',
};

/** How the MNIST images fed to an exported unrolled network must be prepared (the session normalises so). */
export const UNROLLED_PREPROCESSING = 'x/255, then (x − 0.1307)/0.3081';

export interface ExportRequest {
  readonly runId: string;
  readonly format: ExportFormat;
  readonly array?: string | undefined;
  /** Static batch size of an exported network's `images` input (default 1). */
  readonly batchSize?: number;
}

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)$/i;

/**
 * A file name stem from a run's name: letters and digits of any script kept, everything else (separators,
 * punctuation, spaces) folded into single dashes, at most 100 bytes; `fallback` (the run id) when nothing is left.
 */
export function fileStem(name: string, fallback: string): string {
  let stem = name
    .normalize('NFC')
    .replace(/[^\p{L}\p{N}._-]+/gu, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
  // File systems count bytes (255 at most): keep whole characters up to 100 bytes of UTF-8.
  let bytes = 0;
  stem = [...stem].filter((ch) => (bytes += Buffer.byteLength(ch)) <= 100).join('').replace(/[-.]+$/, '');
  if (!stem) return fallback;
  return WINDOWS_RESERVED.test(stem) ? `${stem}_` : stem;
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

function refuseLarge(runId: string, what: string, bytes: number): void {
  if (bytes > MAX_EXPORT_BYTES) {
    throw new StudioError('invalid-request', `run ${runId}: ${what} ${gib(bytes)}, more than the ${gib(MAX_EXPORT_BYTES)} an export may hold; copy the .npy files from the project folder (runs/${runId}/) instead`, runId);
  }
}

/** A run's arrays and the formats that apply to it. */
export async function listRunExports(project: Project, runId: string): Promise<RunExports> {
  const dir = project.runDir(runId);
  const arrays = await listRunArrays(dir);
  const config = await readConfig(dir);
  const formats: ExportFormat[] = [];
  if (arrays.length) formats.push('npz', 'npy');
  if (await hasNetwork(dir, config)) formats.push('onnx');
  if (config !== undefined) formats.push('report');
  return { arrays: arrays.map(({ name, dtype, shape }) => ({ name, dtype, shape })), formats };
}

/** The run's config.json when it reads as a run configuration (a report needs one). */
async function readConfig(dir: string): Promise<RunDetail['config'] | undefined> {
  try {
    const parsed = z.union([RunConfig, LearnConfig, PhaseConfig]).safeParse(JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the run is an unrolled-supervised session whose last checkpoint holds its network. */
async function hasNetwork(dir: string, config: RunDetail['config'] | undefined): Promise<boolean> {
  return config !== undefined && 'method' in config && config.method === 'unrolled-supervised' && (await hasTrainedNetwork(dir));
}

export async function exportRun(project: Project, request: ExportRequest): Promise<ExportedFile> {
  const { runId, format } = request;
  const dir = project.runDir(runId);
  const summary = await project.readStatus(runId);
  const stem = fileStem(summary.name, runId);
  switch (format) {
    case 'npy':
      return exportNpy(runId, await listRunArrays(dir), stem, request.array);
    case 'npz':
      return exportNpz(summary, await listRunArrays(dir), stem);
    case 'onnx':
      return exportNetwork(project, runId, stem, request.batchSize ?? 1);
    case 'report':
      return exportReport(project, runId, stem);
    default:
      throw new StudioError('invalid-input', `run ${runId}: unknown export format "${String(format)}" (npz, npy, onnx or report)`, 'format');
  }
}

/** A Buffer's bytes as a plain Uint8Array (the wire codec sends typed arrays by their constructor), without copying. */
function plainBytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function arrayNames(arrays: readonly RunArrayFile[]): string {
  return arrays.length ? arrays.map((a) => a.name).join(', ') : 'none';
}

async function exportNpy(runId: string, arrays: readonly RunArrayFile[], stem: string, name: string | undefined): Promise<ExportedFile> {
  if (name === undefined) throw new StudioError('invalid-input', `run ${runId}: exporting as .npy needs the array to export (this run has: ${arrayNames(arrays)})`, 'array');
  const found = ARRAY_NAME.test(name) ? arrays.find((a) => a.name === name) : undefined;
  if (!found) throw new StudioError('invalid-input', `run ${runId} has no array named "${name}" (it has: ${arrayNames(arrays)})`, 'array');
  refuseLarge(runId, `array ${name} takes`, found.bytes);
  return { name: `${stem}-${name}.npy`, mediaType: EXPORT_MEDIA_TYPES.npy, bytes: plainBytes(await readFile(found.file)) };
}

async function exportNpz(summary: RunSummary, arrays: readonly RunArrayFile[], stem: string): Promise<ExportedFile> {
  if (!arrays.length) throw new StudioError('invalid-input', `run ${summary.id} has saved no arrays (yet), so there is no .npz to export`, summary.id);
  refuseLarge(summary.id, `its ${arrays.length} arrays take`, arrays.reduce((n, a) => n + a.bytes, 0));
  // The run's own time stamp, so exporting the same run twice gives the same bytes.
  const mtime = new Date(summary.finishedAt ?? summary.createdAt);
  const files: Zippable = {};
  // Buffers go in as they are read (a Buffer is a Uint8Array): the zip is the only copy made.
  for (const a of arrays) files[`${a.name}.npy`] = [await readFile(a.file), { level: 0, mtime: Number.isNaN(mtime.getTime()) ? new Date() : mtime }];
  return { name: `${stem}.npz`, mediaType: EXPORT_MEDIA_TYPES.npz, bytes: zipSync(files) };
}

async function exportNetwork(project: Project, runId: string, stem: string, batchSize: number): Promise<ExportedFile> {
  const dir = project.runDir(runId);
  if (!(await hasNetwork(dir, await readConfig(dir)))) throw new StudioError('invalid-input', `run ${runId} has no trained network to export as ONNX: only unrolled-supervised sessions have one, once they have saved a checkpoint`, runId);
  const checkpoint = await project.readCheckpoint(runId);
  const bytes = checkpoint?.saved.tensors.training_state;
  if (!bytes || bytes.dtype !== 'uint8') throw new StudioError('invalid-input', `run ${runId}: its checkpoint has no training_state array to export`, runId);
  let state;
  try {
    state = deserializeTrainingState(bytes.data as Uint8Array);
  } catch (err) {
    throw new StudioError('invalid-input', `run ${runId}: the checkpoint's training state cannot be read: ${(err as Error).message}`, runId);
  }
  const onnx = exportOnnx(state.model, state.params, { batchSize, preprocessing: UNROLLED_PREPROCESSING, metadata: { 'sparseland.run': runId, 'sparseland.step': String(state.step) } });
  return { name: `${stem}.onnx`, mediaType: EXPORT_MEDIA_TYPES.onnx, bytes: onnx };
}

/** Arrays the report draws (atoms, images); only these are read. */
const FIGURE_ARRAY = /^(atoms\d+|clean|input|reconstruction)$/;

async function exportReport(project: Project, runId: string, stem: string): Promise<ExportedFile> {
  const detail = await project.readRun(runId);
  const arrays = await listRunArrays(project.runDir(runId));
  refuseLarge(runId, 'the arrays its report draws take', arrays.filter((a) => FIGURE_ARRAY.test(a.name)).reduce((n, a) => n + a.bytes, 0));
  const byName = new Map(arrays.map((a) => [a.name, a]));
  const load = async (name: string): Promise<LoadedArray> => {
    const a = byName.get(name);
    if (!a) throw new StudioError('not-found', `run ${runId} has no array ${name}`, name);
    const read = await readNpyFile(a.file);
    return { shape: read.shape, data: toFloat32(read).data };
  };
  let phase;
  if (detail.summary.kind === 'phase') {
    try {
      phase = await project.readPhaseResult(runId);
    } catch (err) {
      // A phase run that has not finished a cell yet has no grid; the report says what there is.
      if (!(err instanceof StudioError && err.code === 'not-found')) throw err;
    }
  }
  const report = await buildReport({ detail, arrays, load, ...(phase ? { phase } : {}) });
  const files: Zippable = { 'report.md': [new TextEncoder().encode(report.markdown), { level: 6 }] };
  for (const [file, bytes] of report.figures) files[file] = [bytes, { level: file.endsWith('.png') ? 0 : 6 }];
  return { name: `${stem}-report.zip`, mediaType: EXPORT_MEDIA_TYPES.report, bytes: zipSync(files) };
}
