/**
 * ONNX export of a run's pursuit with its own dictionaries, through the host: a two-layer ML-FISTA pursuit run
 * (the model, run by onnxruntime-node on the run's input.npy, gives back its gamma*.npy and reconstruction.npy),
 * a CDL session and an unsupervised ML-CSC session (the model codes a training item better than the zero code,
 * with the session's W<k>.npy inside bit for bit), and a phase-transition run (nothing to export, said clearly).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExportedFile, LearnConfigInput, PhaseConfigInput, RunConfigInput, RunExports, RunSummary } from '../../../src-shared/contract';
import { ONNX_SUBSET_PROTO } from '../../engine/graph/onnx-schema';
import { loadMnist } from '../../engine/jobs/learn-data';
import { readNpyFile } from '../../engine/io/npy';
import { Project } from '../projects';
import { createStudioHost, type StudioHostInternals } from '../studio-host';
import { exportRun } from './run-export';
import { callHost, finishRun } from '../test-support';

let dir: string;
let host: StudioHostInternals;
const call = (op: string, params: unknown) => callHost(host, op, params);
const runDir = (id: string) => path.join(dir, 'proj', 'runs', id);
const exportOf = (runId: string, format: string) => call('runs.export', { runId, format }) as Promise<ExportedFile>;

const pursuit: RunConfigInput = {
  name: 'ml-fista two layers',
  source: { kind: 'synthetic', height: 32, width: 30, nonzeros: 6, seed: 3, noise: 0.01 },
  layers: [
    { filters: 6, kernel: 6, stride: 2, pad: 0, dictionary: { kind: 'random', seed: 1 } },
    { filters: 8, kernel: 3, stride: 1, pad: 1, dictionary: { kind: 'random', seed: 2 } },
  ],
  pursuit: { algorithm: 'ml-fista', lambdas: [0.02, 0.01], iterations: 30, tol: 0 },
};

const cdl: LearnConfigInput = {
  name: 'cdl camera',
  method: 'cdl',
  data: { kind: 'sample', name: 'camera', downsample: 8 },
  params: { filters: 4, kernel: 5, lambda: 0.05, codingIterations: 12 },
  iterations: 2,
  seed: 5,
  checkpointEvery: 2,
};

const mlcsc: LearnConfigInput = {
  name: 'mlcsc mnist',
  method: 'mlcsc-unsupervised',
  data: { kind: 'mnist', split: 'train', count: 8 },
  params: { filters: [4, 6], kernels: [7, 5], strides: [2, 1], lambda: 0.1, batchSize: 4 },
  iterations: 2,
  seed: 2,
  checkpointEvery: 2,
};

const phase: PhaseConfigInput = {
  name: 'phase grid',
  model: { kind: 'convolutional', dims: '1d', size: 32, layers: [{ filters: 2, kernel: 4, stride: 1, targetCoherence: 0.3 }] },
  pursuits: ['layered-thr'],
  sparsities: [1],
  noise: [0],
  trials: 1,
  iterations: 5,
};

const runs: Record<'pursuit' | 'cdl' | 'mlcsc' | 'phase', RunSummary> = {} as never;

const finish = (op: 'runs.start' | 'sessions.start' | 'theory.phaseStart', config: unknown) => finishRun(host, op, config);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sparseland-pursuit-onnx-'));
  host = await createStudioHost({ kind: 'cli', stateDir: path.join(dir, 'state') });
  await call('projects.create', { dir: path.join(dir, 'proj'), name: 'Pursuit exports' });
  runs.pursuit = await finish('runs.start', pursuit);
  runs.cdl = await finish('sessions.start', cdl);
  runs.mlcsc = await finish('sessions.start', mlcsc);
  runs.phase = await finish('theory.phaseStart', phase);
}, 120_000);

afterAll(async () => {
  await host?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const ModelProto = protobuf.parse(ONNX_SUBSET_PROTO, { keepCase: true }).root.lookupType('onnx.ModelProto');
interface DecodedModel {
  metadata_props: { key: string; value: string }[];
  graph: { input: { name: string; type: { tensor_type: { shape: { dim: { dim_value: number }[] } } } }[]; output: { name: string }[]; initializer: { name: string; raw_data: Uint8Array }[] };
}
function decode(bytes: Uint8Array): { model: DecodedModel; meta: Record<string, string>; inputShape: number[] } {
  const model = ModelProto.toObject(ModelProto.decode(bytes), { longs: Number }) as DecodedModel;
  return { model, meta: Object.fromEntries(model.metadata_props.map((p) => [p.key, p.value])), inputShape: model.graph.input[0]!.type.tensor_type.shape.dim.map((d) => d.dim_value) };
}

async function runModel(bytes: Uint8Array, signal: Float32Array, shape: number[]): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  try {
    return await session.run({ signal: new ort.Tensor('float32', signal, shape) });
  } finally {
    await session.release();
  }
}

async function npy(id: string, name: string) {
  const a = await readNpyFile(path.join(runDir(id), `${name}.npy`));
  return { shape: [...a.shape], data: a.data as Float32Array };
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    s = Math.max(s, Math.abs(b[i]!));
  }
  return d / s;
}

const sumSquares = (a: ArrayLike<number>, b?: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - (b?.[i] ?? 0)) ** 2;
  return s;
};

/** The bytes a float32 array holds, to compare with an initializer's raw_data. */
const bytesOf = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('runs.exports', () => {
  it('lists onnx for runs with convolutional dictionaries, and not for a phase experiment', async () => {
    for (const id of [runs.pursuit.id, runs.cdl.id, runs.mlcsc.id]) expect(((await call('runs.exports', { runId: id })) as RunExports).formats, id).toEqual(['npz', 'npy', 'onnx', 'report']);
    expect(((await call('runs.exports', { runId: runs.phase.id })) as RunExports).formats).toEqual(['report']);
  });
});

describe('runs.export as onnx', () => {
  it('gives a pursuit run’s pursuit, which reproduces the run’s codes and reconstruction from its input', async () => {
    const id = runs.pursuit.id;
    const file = await exportOf(id, 'onnx');
    expect(file.name).toBe('ml-fista-two-layers.onnx');
    expect(file.mediaType).toBe('application/octet-stream');
    // A plain Uint8Array, not a Node Buffer (the wire codec sends typed arrays by their constructor).
    expect(Object.getPrototypeOf(file.bytes)).toBe(Uint8Array.prototype);
    const input = await npy(id, 'input');
    const { model, meta, inputShape } = decode(file.bytes);
    expect(inputShape).toEqual(input.shape);
    expect(model.graph.output.map((o) => o.name)).toEqual(['gamma1', 'gamma2', 'reconstruction']);
    expect(meta).toMatchObject({ 'sparseland.run': id, 'sparseland.algorithm': 'ml-fista', 'sparseland.lambdas': '[0.02,0.01]', 'sparseland.iterations': '30', 'sparseland.strides': '[2,1]', 'sparseland.pads': '[0,1]' });
    for (const [i, w] of [await npy(id, 'W1'), await npy(id, 'W2')].entries()) expect(Buffer.from(model.graph.initializer.find((t) => t.name === `W${i + 1}`)!.raw_data).equals(bytesOf(w.data)), `W${i + 1}`).toBe(true);

    const out = await runModel(file.bytes, input.data, input.shape);
    for (const name of ['gamma1', 'gamma2', 'reconstruction']) {
      const saved = await npy(id, name);
      expect(out[name]!.dims, name).toEqual(saved.shape);
      expect(sumSquares(saved.data), name).toBeGreaterThan(0);
      expect(maxRelDiff(out[name]!.data as Float32Array, saved.data), name).toBeLessThan(1e-4);
    }
  });

  it('gives a CDL session’s coding step with its dictionary, which codes the training image better than zero', async () => {
    const id = runs.cdl.id;
    const file = await exportOf(id, 'onnx');
    expect(file.name).toBe('cdl-camera.onnx');
    const w1 = await npy(id, 'W1');
    const image = await npy(id, 'input');
    const { model, meta, inputShape } = decode(file.bytes);
    expect(inputShape).toEqual([1, 1, ...image.shape]);
    expect(Buffer.from(model.graph.initializer.find((t) => t.name === 'W1')!.raw_data).equals(bytesOf(w1.data))).toBe(true);
    expect(meta).toMatchObject({ 'sparseland.run': id, 'sparseland.source': 'cdl', 'sparseland.algorithm': 'fista', 'sparseland.lambdas': '[0.05]', 'sparseland.iterations': '12', 'sparseland.pads': '[4]' });
    const out = await runModel(file.bytes, image.data, inputShape);
    const x = out.reconstruction!.data as Float32Array;
    expect(out.gamma1!.dims).toEqual([1, 4, image.shape[0]! + 4, image.shape[1]! + 4]);
    // ½‖y − D₁Γ₁‖² well below ½‖y‖², the error of the zero code.
    expect(sumSquares(image.data, x)).toBeLessThan(0.5 * sumSquares(image.data));
  });

  it('gives an ML-CSC session’s projection pursuit at the size of its training items', async () => {
    const id = runs.mlcsc.id;
    const file = await exportOf(id, 'onnx');
    const { model, meta, inputShape } = decode(file.bytes);
    expect(inputShape).toEqual([1, 1, 28, 28]);
    expect(meta).toMatchObject({ 'sparseland.source': 'mlcsc-unsupervised', 'sparseland.algorithm': 'projection-fista', 'sparseland.lambdas': '[0.1]', 'sparseland.iterations': '40', 'sparseland.strides': '[2,1]' });
    for (const i of [1, 2]) expect(Buffer.from(model.graph.initializer.find((t) => t.name === `W${i}`)!.raw_data).equals(bytesOf((await npy(id, `W${i}`)).data)), `W${i}`).toBe(true);
    const item = (await loadMnist('train', 1)).images;
    const out = await runModel(file.bytes, item.data as Float32Array, [1, 1, 28, 28]);
    expect(out.gamma1!.dims).toEqual([1, 4, 11, 11]);
    expect(out.gamma2!.dims).toEqual([1, 6, 7, 7]);
    const y = item.data as Float32Array;
    expect(sumSquares(y, out.reconstruction!.data as Float32Array)).toBeLessThan(sumSquares(y));
  });

  it('exports at another input size when asked, and needs the engine to', async () => {
    const project = await Project.open(path.join(dir, 'proj'));
    const file = await exportRun(project, { runId: runs.cdl.id, format: 'onnx', size: [20, 24] }, host.engine);
    const { meta, inputShape } = decode(file.bytes);
    expect(inputShape).toEqual([1, 1, 20, 24]);
    expect(meta['sparseland.input_size']).toBe('20×24, asked for when exporting');
    const out = await runModel(file.bytes, new Float32Array(20 * 24).fill(0.5), inputShape);
    expect(out.reconstruction!.dims).toEqual([1, 1, 20, 24]);
    await expect(exportRun(project, { runId: runs.cdl.id, format: 'onnx', size: [0, 24] }, host.engine)).rejects.toMatchObject({ code: 'invalid-input', message: expect.stringMatching(/signal size must be two integers in \[1, 4096\]/) });
    await expect(exportRun(project, { runId: runs.cdl.id, format: 'onnx' })).rejects.toMatchObject({ code: 'unavailable', message: expect.stringMatching(/needs the engine process/) });
  });

  it('says why a phase-transition run has nothing to export as ONNX', async () => {
    await expect(exportOf(runs.phase.id, 'onnx')).rejects.toMatchObject({ code: 'invalid-input', message: expect.stringMatching(/has nothing to export as ONNX: a phase-transition experiment keeps no dictionaries/) });
  });
});
