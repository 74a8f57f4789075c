/**
 * runs.exports and runs.export: a run's results as files for people and other tools. One array as the .npy
 * the project holds (the same bytes), every array in one .npz (as np.savez writes it: stored .npy members),
 * a standalone .onnx (the trained network of an unrolled session, or the pursuit of a run with its learned or
 * configured convolutional dictionaries), or a Markdown report with figures (zip). Everything is read with async
 * I/O and built in memory, bounded by MAX_EXPORT_BYTES. No ONNX Runtime in the host: an unrolled network is only
 * serialised here, from the weights in the session's last checkpoint; a pursuit needs its step sizes (power
 * iteration), so the engine process builds it from the run folder, on the plan made here from headers and configs.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { zipSync, type Zippable } from 'fflate';
import { z } from 'zod';
import { LearnConfig, PhaseConfig, RunConfig, StudioError, type ExportedFile, type ExportFormat, type RunDetail, type RunExports, type RunSummary } from '../../../src-shared/contract';
import { readNpyFile, toFloat32 } from '../../engine/io/npy';
import { checkParams } from '../../engine/learn/specs';
import { exportOnnx } from '../../engine/learn/unrolled/export';
import { deserializeTrainingState } from '../../engine/learn/unrolled/training-state';
import type { Project } from '../projects';
import { buildReport, type LoadedArray } from './report';
import type { PursuitExportReply, PursuitExportSpecMessage } from '../protocol';
import { ARRAY_NAME, checkpointArrayShape, hasTrainedNetwork, listRunArrays, npyShape, type RunArrayFile } from './run-files';

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
  /** Height and width of an exported pursuit's `signal` input (default: the run's own data, see pursuitPlan). */
  readonly size?: readonly [number, number];
}

/** The engine's side of a pursuit export: it reads the run's W<k>.npy, computes the step sizes, builds the model. */
export interface PursuitExporter {
  exportPursuitOnnx(params: { dir: string; spec: PursuitExportSpecMessage }): Promise<PursuitExportReply>;
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
  if ((await hasNetwork(dir, config)) || (await pursuitPlan(project, runId, config, undefined).then(() => true, () => false))) formats.push('onnx');
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

export async function exportRun(project: Project, request: ExportRequest, engine?: PursuitExporter): Promise<ExportedFile> {
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
      return exportOnnxFile(project, request, stem, engine);
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

/** A trained network when the run has one, else the run's pursuit with its dictionaries. */
async function exportOnnxFile(project: Project, request: ExportRequest, stem: string, engine: PursuitExporter | undefined): Promise<ExportedFile> {
  const { runId } = request;
  const dir = project.runDir(runId);
  const config = await readConfig(dir);
  if (await hasNetwork(dir, config)) return exportNetwork(project, runId, stem, request.batchSize ?? 1);
  let spec: PursuitExportSpecMessage;
  try {
    spec = await pursuitPlan(project, runId, config, request.size);
  } catch (err) {
    if (!(err instanceof NoPursuit)) throw err;
    throw new StudioError('invalid-input', `run ${runId} has nothing to export as ONNX: ${err.message}. ONNX export covers trained unrolled-supervised networks and the pursuits of runs with convolutional dictionaries (pursuit runs, cdl and mlcsc-unsupervised sessions once they have saved W1.npy)`, runId);
  }
  if (!engine) throw new StudioError('unavailable', `run ${runId}: exporting a pursuit as ONNX needs the engine process (it computes the step sizes); export it through the app or the server`, runId);
  const reply = await engine.exportPursuitOnnx({ dir, spec });
  // The IPC may hand a Node Buffer over; the wire codec sends typed arrays by their constructor, so a plain view.
  return { name: `${stem}.onnx`, mediaType: EXPORT_MEDIA_TYPES.onnx, bytes: new Uint8Array(reply.bytes.buffer, reply.bytes.byteOffset, reply.bytes.byteLength) };
}

/** Why a run has no pursuit to export (the message completes "run X has nothing to export as ONNX: …"). */
class NoPursuit extends Error {}

const MAX_SIGNAL_SIDE = 4096;

/**
 * What the engine must build for a run's pursuit export, from the config and array headers alone:
 * - pursuit runs: the run's algorithm, λ, iterations and threshold over its layers; input [B, C, H, W] of its
 *   input.npy (the very signal it pursued, so the model reproduces gamma*.npy and reconstruction.npy);
 * - cdl sessions: FISTA with adaptive restart (the learner's coding step) with the session's λ, its FISTA steps
 *   per iteration and its threshold (S⁺ for non-negative codes), pad k − 1 as the learner codes; input
 *   [1, C, H, W] of the first training image (input.npy);
 * - mlcsc-unsupervised sessions: the learner's projection pursuit (FISTA on Γ_K against D_1⋯D_K, its own
 *   40 iterations, then Γ_{i−1} = D_iΓ_i) with the session's λ and strides, pad 0; input [1, C, H, W] of one
 *   training item (the checkpoint's power-iteration vector has exactly that shape; MNIST or the data set's
 *   header otherwise).
 * `size` replaces H and W. Throws NoPursuit when the run has none.
 */
async function pursuitPlan(project: Project, runId: string, config: RunDetail['config'] | undefined, size: readonly [number, number] | undefined): Promise<PursuitExportSpecMessage> {
  const dir = project.runDir(runId);
  if (config === undefined) throw new NoPursuit('its config.json does not read as a run configuration');
  const dictionaries = async (count: number) => {
    const shapes: number[][] = [];
    for (let i = 1; i <= count; i++) {
      const shape = await npyShape(path.join(dir, `W${i}.npy`));
      if (!shape || shape.length !== 4) throw new NoPursuit(`it has no ${shape ? '4-D ' : ''}dictionary W${i}.npy${shape ? '' : ' (yet)'}`);
      shapes.push(shape);
    }
    return shapes;
  };
  // Where the input size comes from, for the model's metadata.
  const sizeFrom = (own: string) => ({ 'sparseland.input_size': size ? `${size[0]}×${size[1]}, asked for when exporting` : own });
  const params = (method: 'cdl' | 'mlcsc-unsupervised', raw: Record<string, unknown>) => {
    try {
      return checkParams(method, raw);
    } catch (err) {
      throw new NoPursuit(`its parameters do not check (${(err as Error).message})`);
    }
  };
  const withSize = (shape: readonly number[]): [number, number, number, number] => {
    if (size && !size.every((d) => Number.isInteger(d) && d >= 1 && d <= MAX_SIGNAL_SIDE)) throw new StudioError('invalid-input', `the signal size must be two integers in [1, ${MAX_SIGNAL_SIDE}], got [${size.join(', ')}]`, 'size');
    return [shape[0]!, shape[1]!, size?.[0] ?? shape[2]!, size?.[1] ?? shape[3]!];
  };
  if ('pursuit' in config) {
    await dictionaries(config.layers.length);
    const input = await npyShape(path.join(dir, 'input.npy'));
    if (!input || input.length !== 4) throw new NoPursuit('it has no input.npy [B, C, H, W] (yet) to take the input size from');
    return {
      runId,
      source: 'pursuit',
      algorithm: config.pursuit.algorithm,
      lambdas: config.pursuit.lambdas,
      iterations: config.pursuit.iterations,
      ...(config.pursuit.threshold ? { threshold: config.pursuit.threshold } : {}),
      layers: config.layers.map((l) => ({ stride: l.stride, pad: l.pad })),
      signalShape: withSize(input),
      metadata: sizeFrom('the run’s input.npy'),
    };
  }
  if (!('method' in config)) throw new NoPursuit('a phase-transition experiment keeps no dictionaries');
  if (config.method === 'cdl') {
    const p = params('cdl', config.params);
    const [w] = await dictionaries(1);
    const first = await npyShape(path.join(dir, 'input.npy'));
    if (!first || first.length !== 2) throw new NoPursuit('it has no input.npy (its first training image) to take the input size from');
    return {
      runId,
      source: 'cdl',
      algorithm: 'fista',
      lambdas: [p.lambda as number],
      iterations: p.codingIterations as number,
      threshold: p.nonNegative ? 'soft-nonneg' : 'soft',
      restart: true,
      layers: [{ stride: 1, pad: Math.max(w![2]!, w![3]!) - 1 }],
      signalShape: withSize([1, w![1]!, first[0]!, first[1]!]),
      metadata: { ...sizeFrom('the session’s first training image'), 'sparseland.start': 'zero code (the session warm-starts)' },
    };
  }
  if (config.method === 'mlcsc-unsupervised') {
    const p = params('mlcsc-unsupervised', config.params);
    const strides = p.strides as number[];
    await dictionaries(strides.length);
    let item = await checkpointArrayShape(dir, 'pursuit_vector');
    let from = 'one training item (the checkpoint’s power-iteration vector)';
    if (!item || item.length !== 4) {
      item = undefined;
      const data = config.data;
      if (data.kind === 'mnist') item = [1, 1, 28, 28];
      else if (data.kind === 'dataset') {
        const header = await npyShape(path.join(project.datasetDir(data.id), data.split === 'test' ? 'test.npy' : 'data.npy'));
        if (header?.length === 4) item = [1, ...header.slice(1)];
      }
      from = 'one training item (the data’s own size)';
      if (!item) throw new NoPursuit('it has no checkpoint with its training item size yet');
    }
    return {
      runId,
      source: 'mlcsc-unsupervised',
      algorithm: 'projection-fista',
      lambdas: [p.lambda as number],
      layers: strides.map((stride) => ({ stride, pad: 0 })),
      signalShape: withSize(item),
      metadata: sizeFrom(from),
    };
  }
  if (config.method === 'unrolled-supervised') throw new NoPursuit('its trained network is exported from its last checkpoint, and it has saved none yet');
  throw new NoPursuit(`a ${config.method} session keeps no convolutional dictionaries to pursue with`);
}

async function exportNetwork(project: Project, runId: string, stem: string, batchSize: number): Promise<ExportedFile> {
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
