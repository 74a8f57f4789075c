/**
 * The engine process: hosts ONNX Runtime and runs jobs, one at a time, off the UI's process. Started by the
 * host as a Node child process (headless, CLI) or an Electron utility process (desktop app).
 */
import path from 'node:path';
import { DataFormatError, readNpyFile, writeNpyFile, type NdArray } from '../engine/io';
import { loadSignalFile } from '../engine/io/signal-files';
import { runPursuitJob } from '../engine/jobs/pursuit-job';
import { UnknownMethodError, runLearningJob } from '../engine/jobs/learning-job';
import { runPhaseTransition } from '../engine/jobs/phase-transition';
import { analyzeTheory } from '../engine/jobs/theory-analysis';
import { MissingDictionaryError, runTheoryFromFolder } from '../engine/theory/run-theory';
import { runTheoryGeometry } from '../engine/theory/run-geometry';
import '../engine/learn/register';
import { probeProviders } from '../engine/runtime/providers';
import { DEFAULT_PROVIDER_ORDER, Runtime, type HostTensor } from '../engine/runtime/session';
import { DivergenceError, PursuitInputError } from '../engine/pursuit';
import { ShapeError } from '../engine/graph/shapes';
import { ZodError } from 'zod';
import { describeIssues, type StudioErrorShape } from '../../src-shared/contract';
import { HostToWorker, type DatasetImportReply, type DatasetPreviewReply, type WorkerToHost } from './protocol';

interface Port {
  post(message: WorkerToHost): void;
  listen(receive: (message: unknown) => void): void;
}

function connect(): Port {
  const parentPort = (process as unknown as { parentPort?: { postMessage(m: unknown): void; on(e: 'message', cb: (e: { data: unknown }) => void): void } }).parentPort;
  if (parentPort) return { post: (m) => parentPort.postMessage(m), listen: (cb) => parentPort.on('message', (e) => cb(e.data)) };
  if (!process.send) throw new Error('engine-worker must be started as a child process with an IPC channel');
  return { post: (m) => process.send!(m), listen: (cb) => process.on('message', cb) };
}

function toError(err: unknown): StudioErrorShape {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof DataFormatError) return { code: 'invalid-input', message, where: err.file };
  // A file that cannot be opened: Node's message names it (ENOENT: no such file or directory, open '…').
  const sys = err as NodeJS.ErrnoException;
  if (sys && typeof sys.code === 'string' && typeof sys.path === 'string') {
    if (sys.code === 'ENOENT' || sys.code === 'ENOTDIR') return { code: 'not-found', message: `${sys.path}: no such file or folder`, where: sys.path };
    if (sys.code === 'EACCES' || sys.code === 'EPERM' || sys.code === 'EISDIR') return { code: 'invalid-input', message: `${sys.path} cannot be read (${sys.code})`, where: sys.path };
  }
  if (err instanceof PursuitInputError || err instanceof ShapeError) return { code: 'invalid-input', message };
  if (err instanceof DivergenceError) return { code: 'diverged', message };
  if (err instanceof UnknownMethodError) return { code: 'unavailable', message };
  if (err instanceof MissingDictionaryError) return { code: 'not-found', message };
  if (err instanceof ZodError) return { code: 'invalid-input', message: `parameters: ${describeIssues(err.issues)}` };
  // The theory's samplers and measures reject impossible geometries and sizes with RangeErrors that say why.
  if (err instanceof RangeError) return { code: 'invalid-input', message };
  if (/diverged/.test(message)) return { code: 'diverged', message };
  return { code: 'internal', message };
}

function checkpointArrays(tensors: Record<string, NdArray>) {
  const out: Record<string, { dtype: 'float32' | 'float64' | 'int32' | 'int64' | 'uint8'; shape: number[]; data: NdArray['data'] }> = {};
  for (const [name, a] of Object.entries(tensors)) {
    if (a.dtype !== 'float32' && a.dtype !== 'float64' && a.dtype !== 'int32' && a.dtype !== 'int64' && a.dtype !== 'uint8') throw new Error(`checkpoint array ${name} has dtype ${a.dtype}, which checkpoints do not carry`);
    out[name] = { dtype: a.dtype, shape: [...a.shape], data: a.data };
  }
  return out;
}

function plain(t: HostTensor) {
  return { dtype: 'float32' as const, shape: [...t.shape], data: t.data as Float32Array };
}

const port = connect();
const jobs = new Map<string, AbortController>();
let queue: Promise<void> = Promise.resolve();
const runtimes = new Map<string, Runtime>();

function runtimeFor(providers: readonly string[] | undefined): Runtime {
  const key = (providers ?? DEFAULT_PROVIDER_ORDER).join(',');
  let rt = runtimes.get(key);
  if (!rt) runtimes.set(key, (rt = new Runtime({ providers: providers as never })));
  return rt;
}

/** Imports a data set: read (any supported format), preprocess, write the arrays into outDir, measure. */
async function importDataset(msg: Extract<HostToWorker, { type: 'dataset-import' }>): Promise<DatasetImportReply> {
  // Loaded on first use: most engine processes never import a data set.
  const { importData } = await import('../engine/data/import');
  const { preprocess } = await import('../engine/data/preprocess');
  const { datasetStats } = await import('../engine/data/stats');
  const imported = await importData(msg.path, msg.array === undefined ? undefined : { array: msg.array });
  const chosen = msg.array === undefined ? imported.arrays[0] : (imported.arrays.find((a) => a.name === msg.array) ?? imported.arrays[0]);
  if (!chosen) throw new DataFormatError(msg.path, 'holds no numeric array to import');
  const { train, test } = preprocess(chosen, msg.preprocessing);
  const files: DatasetImportReply['files'] = { data: 'data.npy' };
  await writeNpyFile(path.join(msg.outDir, 'data.npy'), { dtype: 'float32', shape: [...train.shape], data: train.data });
  if (test) {
    await writeNpyFile(path.join(msg.outDir, 'test.npy'), { dtype: 'float32', shape: [...test.shape], data: test.data });
    files.test = 'test.npy';
  }
  if (train.labels) {
    await writeNpyFile(path.join(msg.outDir, 'labels.npy'), { dtype: 'int32', shape: [train.labels.length], data: train.labels });
    files.labels = 'labels.npy';
  }
  if (test?.labels) {
    await writeNpyFile(path.join(msg.outDir, 'test_labels.npy'), { dtype: 'int32', shape: [test.labels.length], data: test.labels });
    files.testLabels = 'test_labels.npy';
  }
  return {
    format: imported.format,
    ...(imported.format === 'npz' || imported.format === 'mat' ? { array: chosen.name } : {}),
    sourceDtype: chosen.sourceDtype,
    sourceShape: [...chosen.sourceShape],
    stats: datasetStats(train, test?.shape[0]),
    files,
  };
}

/** Thumbnails of a stored data set (data.npy: float32 [N, C, H, W]). */
async function previewDataset(msg: Extract<HostToWorker, { type: 'dataset-preview' }>): Promise<DatasetPreviewReply> {
  const { thumbnails } = await import('../engine/data/stats');
  const a = await readNpyFile(msg.file);
  if (a.dtype !== 'float32' || a.shape.length !== 4) throw new DataFormatError(msg.file, `is ${a.dtype} [${a.shape.join(', ')}]; a stored data set is float32 [N, C, H, W]`);
  const shape = a.shape as [number, number, number, number];
  const t = thumbnails({ name: 'data', data: a.data as Float32Array, shape: [...shape], sourceDtype: 'float32', sourceShape: [...shape] }, { count: msg.count ?? 64 });
  return { thumbnails: { dtype: 'float32', shape: [...t.shape], data: t.data } };
}

function answer(requestId: number, work: Promise<unknown>): void {
  void work.then(
    (result) => port.post({ type: 'reply', requestId, ok: true, result }),
    (err) => port.post({ type: 'reply', requestId, ok: false, error: toError(err) }),
  );
}

port.listen((raw) => {
  const parsed = HostToWorker.safeParse(raw);
  if (!parsed.success) return;
  const msg = parsed.data;
  switch (msg.type) {
    case 'start': {
      const abort = new AbortController();
      jobs.set(msg.jobId, abort);
      // Jobs run one after another: they share the CPU and ONNX Runtime's thread pool.
      queue = queue.then(async () => {
        if (abort.signal.aborted) {
          port.post({ type: 'done', jobId: msg.jobId, cancelled: true, iterations: 0, provider: 'cpu', layers: [], tensors: {} });
          return;
        }
        try {
          const { result, tensors } = await runPursuitJob(
            runtimeFor(msg.config.providers),
            msg.config,
            {
              progress: (p) => port.post({ type: 'progress', jobId: msg.jobId, progress: p }),
              preview: (p) =>
                port.post({
                  type: 'preview',
                  jobId: msg.jobId,
                  preview: { atoms: p.atoms.map((a) => ({ layer: a.layer, images: plain(a.images) })), input: p.input && plain(p.input), reconstruction: p.reconstruction && plain(p.reconstruction) },
                }),
            },
            abort.signal,
            msg.dataset,
          );
          port.post({
            type: 'done',
            jobId: msg.jobId,
            cancelled: result.stopReason === 'cancelled',
            iterations: result.iterations,
            provider: result.provider,
            finalObjective: result.history.at(-1)?.objective ?? result.layers.at(-1)?.objective,
            layers: result.layers.map((l) => ({ layer: l.layer, objective: l.objective, nnz: l.nnz, density: l.density })),
            tensors: Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, plain(t)])),
          });
        } catch (err) {
          port.post({ type: 'failed', jobId: msg.jobId, error: toError(err) });
        } finally {
          jobs.delete(msg.jobId);
        }
      });
      break;
    }
    case 'learn': {
      const abort = new AbortController();
      jobs.set(msg.jobId, abort);
      queue = queue.then(async () => {
        try {
          const outcome = await runLearningJob(
            runtimeFor(msg.config.providers),
            msg.config,
            {
              progress: (p) =>
                port.post({
                  type: 'progress',
                  jobId: msg.jobId,
                  progress: { iteration: p.iteration, totalIterations: p.totalIterations, objective: p.report.objective, density: p.report.density ?? [], seconds: p.seconds, layer: Math.max(1, p.report.density?.length ?? 1), values: p.report.values },
                }),
              preview: (p) =>
                port.post({
                  type: 'preview',
                  jobId: msg.jobId,
                  preview: { iteration: p.iteration, atoms: p.atoms.map((a) => ({ layer: a.layer, images: plain(a.images) })), input: p.input && plain(p.input), reconstruction: p.reconstruction && plain(p.reconstruction) },
                }),
              checkpoint: (iteration, saved) => port.post({ type: 'checkpoint', jobId: msg.jobId, iteration, saved: { json: saved.json, tensors: checkpointArrays(saved.tensors) } }),
            },
            abort.signal,
            msg.resume && { iteration: msg.resume.iteration, saved: { json: msg.resume.saved.json, tensors: msg.resume.saved.tensors as Record<string, NdArray> } },
            msg.dataset,
          );
          port.post({
            type: 'done',
            jobId: msg.jobId,
            cancelled: outcome.cancelled,
            iterations: outcome.iterations,
            provider: runtimeFor(msg.config.providers).lastProvider ?? 'cpu',
            ...(outcome.finalObjective !== undefined ? { finalObjective: outcome.finalObjective } : {}),
            layers: [],
            tensors: Object.fromEntries(Object.entries(outcome.tensors).map(([k, t]) => [k, plain(t)])),
          });
        } catch (err) {
          port.post({ type: 'failed', jobId: msg.jobId, error: toError(err) });
        } finally {
          jobs.delete(msg.jobId);
        }
      });
      break;
    }
    case 'phase': {
      const abort = new AbortController();
      jobs.set(msg.jobId, abort);
      queue = queue.then(async () => {
        const runtime = runtimeFor(msg.config.providers);
        const started = performance.now();
        try {
          const outcome = await runPhaseTransition(
            runtime,
            msg.config,
            (result) => {
              const done = result.success.flat(2).filter((v): v is number => v !== null);
              port.post({
                type: 'progress',
                jobId: msg.jobId,
                progress: {
                  iteration: result.cellsDone,
                  totalIterations: result.cellsTotal,
                  objective: done.length ? done.reduce((a, b) => a + b, 0) / done.length : 0,
                  density: [],
                  seconds: (performance.now() - started) / 1000,
                  layer: 1,
                },
              });
              port.post({ type: 'phase', jobId: msg.jobId, result });
            },
            abort.signal,
          );
          port.post({ type: 'phase', jobId: msg.jobId, result: outcome.result });
          port.post({ type: 'done', jobId: msg.jobId, cancelled: outcome.cancelled, iterations: outcome.result.cellsDone, provider: runtime.lastProvider ?? 'cpu', layers: [], tensors: {} });
        } catch (err) {
          port.post({ type: 'failed', jobId: msg.jobId, error: toError(err) });
        } finally {
          jobs.delete(msg.jobId);
        }
      });
      break;
    }
    case 'analyze':
      // Not queued behind running jobs: an analysis takes seconds, a phase transition can take many minutes.
      void analyzeTheory(runtimeFor(msg.params.providers), msg.params).then(
        (result) => port.post({ type: 'reply', requestId: msg.requestId, ok: true, result }),
        (err) => port.post({ type: 'reply', requestId: msg.requestId, ok: false, error: toError(err) }),
      );
      break;
    case 'cancel':
      jobs.get(msg.jobId)?.abort();
      break;
    // Not queued behind running jobs either: the data set view waits for these.
    case 'dataset-import':
      answer(msg.requestId, importDataset(msg));
      break;
    case 'dataset-preview':
      answer(msg.requestId, previewDataset(msg));
      break;
    // Seconds at most (run-theory.ts bounds the work); not queued behind a long learning session.
    case 'run-theory':
      answer(
        msg.requestId,
        (async () => {
          const { model, layers } = runTheoryGeometry(msg.config);
          return runTheoryFromFolder(msg.runId, msg.dir, model, layers);
        })(),
      );
      break;
    // Seconds at most (the iterations are capped); not queued behind a long learning session.
    case 'export-pursuit-onnx':
      answer(
        msg.requestId,
        (async () => {
          const { exportPursuitFromFolder } = await import('../engine/pursuit/export-onnx');
          const r = await exportPursuitFromFolder(runtimeFor(undefined), msg.dir, msg.spec);
          return { bytes: r.bytes, iterations: r.iterations, capped: r.capped, stepSizes: r.stepSizes };
        })(),
      );
      break;
    case 'info':
      void probeProviders().then(
        (probe) => {
          const used = DEFAULT_PROVIDER_ORDER.find((p) => probe.available.includes(p)) ?? 'none';
          port.post({ type: 'reply', requestId: msg.requestId, ok: true, result: { onnxruntime: Runtime.version(), available: probe.available, used } });
        },
        (err) => port.post({ type: 'reply', requestId: msg.requestId, ok: false, error: toError(err) }),
      );
      break;
    case 'inspect':
      void loadSignalFile(msg.path).then(
        (t) => {
          const d = t.data as Float32Array;
          let min = Infinity;
          let max = -Infinity;
          for (let i = 0; i < d.length; i++) {
            if (d[i]! < min) min = d[i]!;
            if (d[i]! > max) max = d[i]!;
          }
          port.post({ type: 'reply', requestId: msg.requestId, ok: true, result: { path: msg.path, shape: [...t.shape], dtype: /\.png$/i.test(msg.path) ? 'png (gray)' : 'float32', min, max } });
        },
        (err) => port.post({ type: 'reply', requestId: msg.requestId, ok: false, error: toError(err) }),
      );
      break;
  }
});

port.post({ type: 'ready', pid: process.pid });
