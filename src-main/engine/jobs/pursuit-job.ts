/**
 * A pursuit run as the workbench starts it: resolve the data source and the dictionaries of a RunConfig,
 * run the pursuit, and report progress (objective and ℓ0 density per layer), previews (atoms of every layer,
 * the input and its reconstruction D_1Γ_1) and the final tensors.
 */
import type { RunConfig } from '../../../src-shared/contract';
import { GraphBuilder } from '../graph/builder';
import { DataFormatError, loadDictionaryFile, loadSignalFile } from '../io';
import { readNpyFile } from '../io/npy';
import { effectiveAtoms } from '../ops/effective-atoms';
import { modelShapes, randomDictionary, synthesis } from '../ops/dictionary';
import { PursuitInputError, runPursuit, type LayerSpec, type PursuitResult } from '../pursuit';
import type { HostTensor, Runtime } from '../runtime/session';
import { hostTensor } from '../runtime/session';
import { sampleMultiLayerSignal } from '../theory/synthetic';
import type { DatasetFiles } from './learn-data';

export interface JobProgress {
  readonly iteration: number;
  readonly totalIterations: number;
  readonly objective: number;
  readonly density: number[];
  readonly seconds: number;
  readonly layer: number;
}

export interface JobPreview {
  readonly atoms: { layer: number; images: HostTensor }[];
  readonly input?: HostTensor;
  readonly reconstruction?: HostTensor;
}

export interface JobSink {
  progress(p: JobProgress): void;
  preview(p: JobPreview): void;
}

export interface JobOutcome {
  readonly result: PursuitResult;
  /** Everything worth keeping, by file stem: W1…, gamma1…, input, reconstruction, atoms1…. */
  readonly tensors: Record<string, HostTensor>;
}

/** How often a preview is sent while a run goes on. */
const PREVIEW_INTERVAL_MS = 1000;

export async function resolveLayers(config: RunConfig, inputChannels: number): Promise<LayerSpec[]> {
  const layers: LayerSpec[] = [];
  let channels = inputChannels;
  for (const [i, l] of config.layers.entries()) {
    const shape = [l.filters, channels, l.kernel, l.kernel];
    let weights: HostTensor;
    if (l.dictionary.kind === 'random') weights = randomDictionary(shape, l.dictionary.seed);
    else {
      weights = await loadDictionaryFile(l.dictionary.path, i + 1);
      if (weights.shape.join() !== shape.join()) {
        throw new PursuitInputError(`layer ${i + 1}: ${l.dictionary.path} has shape [${weights.shape.join(', ')}] but the layer is configured as [${shape.join(', ')}] (filters, input channels, kernel, kernel)`);
      }
    }
    layers.push({ weights, stride: l.stride, pad: l.pad });
    channels = l.filters;
  }
  return layers;
}

/**
 * Item `index` of a stored data set (float32 [N, C, H, W]) as a one-item batch [1, C, H, W], copied bit for bit.
 * The host has checked the index against the data set's recorded shape; the file is checked again here, since
 * that record and the file can part ways (a data set folder edited by hand).
 */
export async function loadDatasetItem(files: DatasetFiles, split: 'train' | 'test', index: number): Promise<HostTensor> {
  const a = await readNpyFile(files.data);
  if (a.dtype !== 'float32' || a.shape.length !== 4 || a.shape.some((d) => d < 1)) {
    throw new DataFormatError(files.data, `is ${a.dtype} [${a.shape.join(', ')}]; a stored data set is float32 [N, C, H, W] (import the data again)`);
  }
  const [n, c, h, w] = a.shape as [number, number, number, number];
  if (index >= n) throw new PursuitInputError(`item ${index} is out of range: the ${split} split of data set "${files.name}" has ${n} item(s) (0 to ${n - 1})`);
  const size = c * h * w;
  return hostTensor([1, c, h, w], (a.data as Float32Array).slice(index * size, (index + 1) * size));
}

/** `dataset`: the files of source {kind: 'dataset'}, resolved by the host (required for that kind). */
export async function resolveSignal(runtime: Runtime, config: RunConfig, layers: () => Promise<LayerSpec[]>, dataset?: DatasetFiles): Promise<HostTensor> {
  const s = config.source;
  if (s.kind === 'file') return loadSignalFile(s.path);
  if (s.kind === 'dataset') {
    if (!dataset || dataset.id !== s.id) throw new Error(`data set ${s.id} was not resolved to its files: start the run through the host, which finds it in the open project`);
    return loadDatasetItem(dataset, s.split, s.index);
  }
  const sample = await sampleMultiLayerSignal(runtime, await layers(), { height: s.height, width: s.width, nonzeros: s.nonzeros, seed: s.seed, noise: s.noise });
  return sample.signal;
}

function density(code: HostTensor): number {
  const d = code.data as Float32Array;
  let nnz = 0;
  for (let i = 0; i < d.length; i++) if (d[i] !== 0) nnz++;
  return d.length ? nnz / d.length : 0;
}

/** Channel 0 of batch item 0, as [H, W]. */
function firstImage(t: HostTensor): HostTensor {
  const [, , h, w] = t.shape as [number, number, number, number];
  return hostTensor([h, w], Float32Array.from((t.data as Float32Array).subarray(0, h * w)));
}

async function reconstruct(runtime: Runtime, layer: LayerSpec, gamma1: HostTensor, signalShape: readonly number[]): Promise<HostTensor> {
  const g = new GraphBuilder('reconstruction');
  const gamma = g.input('gamma', 'float32', gamma1.shape);
  const w = g.input('w', 'float32', layer.weights.shape);
  g.output('x', synthesis(g, gamma, w, { weightShape: layer.weights.shape, stride: layer.stride, pad: layer.pad }, signalShape));
  const r = await runtime.run(g.toIR(), { gamma: gamma1, w: layer.weights });
  return r.outputs.x!;
}

export async function runPursuitJob(runtime: Runtime, config: RunConfig, sink: JobSink, signal: AbortSignal, dataset?: DatasetFiles): Promise<JobOutcome> {
  const inputChannels = config.source.kind === 'synthetic' ? 1 : undefined;
  let layers: LayerSpec[] | undefined;
  const getLayers = async (channels: number) => (layers ??= await resolveLayers(config, channels));
  const input = await resolveSignal(runtime, config, () => getLayers(inputChannels ?? 1), dataset);
  const model = await getLayers(input.shape[1]!);
  modelShapes(input.shape, model.map((l) => ({ weightShape: l.weights.shape, stride: l.stride, pad: l.pad })));

  const atoms: { layer: number; images: HostTensor }[] = [];
  for (let i = 1; i <= model.length; i++) atoms.push({ layer: i, images: await effectiveAtoms(runtime, model, i) });
  const inputImage = firstImage(input);
  sink.preview({ atoms, input: inputImage });

  let lastPreview = performance.now();
  let pendingPreview: Promise<void> | undefined;
  const result = await runPursuit(
    runtime,
    { signal: input, layers: model },
    {
      algorithm: config.pursuit.algorithm,
      lambdas: config.pursuit.lambdas,
      iterations: config.pursuit.iterations,
      tol: config.pursuit.tol,
      threshold: config.pursuit.threshold,
      signal,
      onProgress: (p) => {
        const codes = p.codes ?? [];
        sink.progress({
          iteration: p.iteration,
          totalIterations: p.totalIterations,
          objective: p.objective,
          density: model.map((_, i) => (codes[i] ? density(codes[i]!) : 0)),
          seconds: p.seconds,
          layer: p.layer,
        });
        if (codes[0] && !pendingPreview && performance.now() - lastPreview > PREVIEW_INTERVAL_MS) {
          lastPreview = performance.now();
          const gamma1 = codes[0];
          pendingPreview = reconstruct(runtime, model[0]!, gamma1, input.shape)
            .then((x) => sink.preview({ atoms: [], reconstruction: firstImage(x) }))
            .catch(() => undefined)
            .finally(() => (pendingPreview = undefined));
        }
      },
    },
  );
  await pendingPreview;
  const reconstruction = await reconstruct(runtime, model[0]!, result.codes[0]!, input.shape);
  sink.preview({ atoms: [], reconstruction: firstImage(reconstruction) });
  const tensors: Record<string, HostTensor> = { input, reconstruction };
  model.forEach((l, i) => (tensors[`W${i + 1}`] = l.weights));
  result.codes.forEach((c, i) => (tensors[`gamma${i + 1}`] = c));
  atoms.forEach((a) => (tensors[`atoms${a.layer}`] = a.images));
  return { result, tensors };
}
