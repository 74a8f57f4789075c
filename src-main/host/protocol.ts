/**
 * Messages between the host and the engine process. Typed arrays travel natively (Node's advanced
 * serialisation, Electron's structured clone); both sides validate what they receive.
 */
import { z } from 'zod';
import { DataFormat, DataInfo, DatasetStats, Float32Tensor, Id, LearnConfig, PhaseConfig, PhaseResult, PreprocessStep, ProviderName, PursuitAlgorithm, RunConfig, StudioErrorShape, TheoryAnalyzeParams, ThresholdKind } from '../../src-shared/contract';

export const JobProgressMessage = z.object({
  iteration: z.number().int().nonnegative(),
  totalIterations: z.number().int().nonnegative(),
  objective: z.number(),
  density: z.array(z.number()),
  seconds: z.number(),
  layer: z.number().int().positive(),
  values: z.record(z.string(), z.number()).optional(),
});

const TensorMap = z.record(z.string().regex(/^[A-Za-z0-9_]+$/), Float32Tensor);

const TYPED = { float32: Float32Array, float64: Float64Array, int32: Int32Array, int64: BigInt64Array, uint8: Uint8Array } as const;

/** A checkpoint array keeps its dtype (float64 dictionaries, integer supports), so resume is exact. */
export const CheckpointArray = z
  .object({ dtype: z.enum(['float32', 'float64', 'int32', 'int64', 'uint8']), shape: z.array(z.number().int().nonnegative()), data: z.unknown() })
  .refine((a) => a.data instanceof TYPED[a.dtype] && (a.data as { length: number }).length === a.shape.reduce((x, y) => x * y, 1), { message: 'checkpoint array data does not match its dtype and shape' });

export const SavedStateMessage = z.object({ json: z.unknown(), tensors: z.record(z.string().regex(/^[A-Za-z0-9_]+$/), CheckpointArray) });

export const PreviewMessage = z.object({
  /** The iteration the state was previewed at (learning sessions; the initial preview is the start iteration). */
  iteration: z.number().int().nonnegative().optional(),
  atoms: z.array(z.object({ layer: z.number().int().positive(), images: Float32Tensor })),
  input: Float32Tensor.optional(),
  reconstruction: Float32Tensor.optional(),
});

export const LayerReportMessage = z.object({ layer: z.number().int().positive(), objective: z.number(), nnz: z.number().int().nonnegative(), density: z.number() });

/** A project data set as a learning session reads it: absolute paths of its data and (when it has them) labels. */
export const DatasetFilesMessage = z.object({ id: Id, name: z.string(), data: z.string(), labels: z.string().optional() });
export type DatasetFilesMessage = z.infer<typeof DatasetFilesMessage>;

/** What `export-pursuit-onnx` builds (engine/pursuit/export-onnx.ts PursuitExportSpec). */
export const PursuitExportSpecMessage = z.object({
  runId: Id,
  source: z.string(),
  algorithm: z.union([PursuitAlgorithm, z.literal('projection-fista')]),
  lambdas: z.array(z.number().nonnegative().finite()).min(1).max(8),
  /** Left out: the learner's own count (projection-fista). */
  iterations: z.number().int().nonnegative().optional(),
  threshold: ThresholdKind.optional(),
  restart: z.boolean().optional(),
  layers: z.array(z.object({ stride: z.number().int().positive(), pad: z.number().int().nonnegative() })).min(1).max(8),
  signalShape: z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]),
  metadata: z.record(z.string(), z.string()).optional(),
});
export type PursuitExportSpecMessage = z.infer<typeof PursuitExportSpecMessage>;

export const HostToWorker = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('start'),
    jobId: Id,
    config: RunConfig,
    /** For source {kind: 'dataset'}: the files the host resolved the data set's id to (inside the project). */
    dataset: DatasetFilesMessage.optional(),
  }),
  z.object({
    type: z.literal('learn'),
    jobId: Id,
    config: LearnConfig,
    resume: z.object({ iteration: z.number().int().nonnegative(), saved: SavedStateMessage }).optional(),
    /** For data {kind: 'dataset'}: the files the host resolved the data set's id to (inside the project). */
    dataset: DatasetFilesMessage.optional(),
  }),
  z.object({ type: z.literal('cancel'), jobId: Id }),
  z.object({ type: z.literal('info'), requestId: z.number().int() }),
  z.object({ type: z.literal('inspect'), requestId: z.number().int(), path: z.string() }),
  z.object({ type: z.literal('analyze'), requestId: z.number().int(), params: TheoryAnalyzeParams }),
  z.object({ type: z.literal('phase'), jobId: Id, config: PhaseConfig }),
  /**
   * Reads a data file (or a folder of images), preprocesses it and writes the arrays of a data set into
   * `outDir` (a folder the host made for it): data.npy, and test.npy, labels.npy, test_labels.npy when there
   * are such. The reply is a DatasetImportReply. Parsing happens here, never in the host.
   */
  z.object({ type: z.literal('dataset-import'), requestId: z.number().int(), path: z.string(), array: z.string().optional(), preprocessing: z.array(PreprocessStep), outDir: z.string() }),
  /**
   * The theory of a finished (or stopped) run's dictionaries: reads W<k>.npy (and gamma<k>.npy, input.npy when
   * present) from `dir`, takes strides and padding from the run's `config`, and holds each layer against the
   * coherence bounds; the reply is a RunTheory.
   */
  z.object({ type: z.literal('run-theory'), requestId: z.number().int(), runId: Id, dir: z.string(), config: z.union([RunConfig, LearnConfig]) }),
  /**
   * A run's pursuit with its saved dictionaries (W<k>.npy in `dir`) as a standalone ONNX model: the engine
   * computes the step sizes and builds the graph (ONNX Runtime never enters the host); the reply is a
   * PursuitExportReply.
   */
  z.object({ type: z.literal('export-pursuit-onnx'), requestId: z.number().int(), dir: z.string(), spec: PursuitExportSpecMessage }),
  /** Thumbnails of a stored data set's data.npy; the reply is a DatasetPreviewReply. */
  z.object({ type: z.literal('dataset-preview'), requestId: z.number().int(), file: z.string(), count: z.number().int().min(1).max(64).optional() }),
]);
export type HostToWorker = z.infer<typeof HostToWorker>;

export const EngineInfo = z.object({ onnxruntime: z.string(), available: z.array(ProviderName), used: z.union([ProviderName, z.literal('none')]) });
export type EngineInfo = z.infer<typeof EngineInfo>;

export const WorkerToHost = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), pid: z.number().int() }),
  z.object({ type: z.literal('progress'), jobId: Id, progress: JobProgressMessage }),
  z.object({ type: z.literal('preview'), jobId: Id, preview: PreviewMessage }),
  z.object({
    type: z.literal('done'),
    jobId: Id,
    cancelled: z.boolean(),
    iterations: z.number().int().nonnegative(),
    provider: ProviderName,
    finalObjective: z.number().optional(),
    layers: z.array(LayerReportMessage),
    tensors: TensorMap,
  }),
  z.object({ type: z.literal('failed'), jobId: Id, error: StudioErrorShape }),
  z.object({ type: z.literal('checkpoint'), jobId: Id, iteration: z.number().int().nonnegative(), saved: SavedStateMessage }),
  /** A phase-transition job finished a cell: the grid so far. */
  z.object({ type: z.literal('phase'), jobId: Id, result: PhaseResult }),
  /** The answer to an info/inspect request: `result` when ok, `error` otherwise. */
  z.object({ type: z.literal('reply'), requestId: z.number().int(), ok: z.boolean(), result: z.unknown().optional(), error: StudioErrorShape.optional() }),
]);
export type WorkerToHost = z.infer<typeof WorkerToHost>;

/** What the engine reports of an import; the arrays themselves are in the files it names (relative to outDir). */
export const DatasetImportReply = z.object({
  format: DataFormat,
  /** The array imported from an .npz/.mat. */
  array: z.string().optional(),
  sourceDtype: z.string(),
  sourceShape: z.array(z.number().int().nonnegative()),
  stats: DatasetStats,
  files: z.object({ data: z.literal('data.npy'), test: z.literal('test.npy').optional(), labels: z.literal('labels.npy').optional(), testLabels: z.literal('test_labels.npy').optional() }),
});
export type DatasetImportReply = z.infer<typeof DatasetImportReply>;

/** The ONNX model's bytes and what was unrolled (iterations, and whether the run's count was capped). */
export const PursuitExportReply = z.object({ bytes: z.instanceof(Uint8Array), iterations: z.number().int().nonnegative(), capped: z.boolean(), stepSizes: z.array(z.number()) });
export type PursuitExportReply = z.infer<typeof PursuitExportReply>;

/** Gray thumbnails [n, h, w] scaled to [0, 1]. */
export const DatasetPreviewReply = z.object({ thumbnails: Float32Tensor });
export type DatasetPreviewReply = z.infer<typeof DatasetPreviewReply>;
export { DataInfo };
