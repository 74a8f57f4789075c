/**
 * Every request, result, event and error between the UI (or a script) and the engine host, as zod schemas.
 * Each binding (Electron IPC, the headless WebSocket, the in-process CLI) validates what it receives with
 * these schemas; the TypeScript types are inferred from them, so the two cannot drift apart.
 */
import { z } from 'zod';
import { FilePath, Id, ProviderName } from './basics';
import { Bytes, Float32Tensor } from './tensors';
import { DatasetImportParams, DatasetPreview, DatasetSummary, DatasetUploadParams } from './datasets';
import { PhaseConfig, PhaseResult, RunTheory, TheoryAnalyzeParams, TheoryReport } from './theory';

// ---- building blocks ---------------------------------------------------------------------------------------

export { FilePath, Id, ProviderName } from './basics';

export const PursuitAlgorithm = z.enum(['thr', 'ista', 'fista', 'layered-thr', 'layered-bp', 'ml-ista', 'ml-fista']);
export type PursuitAlgorithm = z.infer<typeof PursuitAlgorithm>;

export const ThresholdKind = z.enum(['soft', 'soft-nonneg', 'hard']);

export const DictionarySource = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('random'), seed: z.number().int().min(0).max(2 ** 31 - 1) }),
  z.object({ kind: z.literal('file'), path: FilePath }),
]);
export type DictionarySource = z.infer<typeof DictionarySource>;

export const LayerConfig = z.object({
  filters: z.number().int().min(1).max(4096),
  kernel: z.number().int().min(1).max(64),
  stride: z.number().int().min(1).max(8),
  pad: z.number().int().min(0).max(64),
  dictionary: DictionarySource,
});
export type LayerConfig = z.infer<typeof LayerConfig>;

export const DataSource = z.discriminatedUnion('kind', [
  /** An image synthesised from the model itself: a sparse deepest code pushed through D_1⋯D_K. */
  z.object({
    kind: z.literal('synthetic'),
    height: z.number().int().min(8).max(1024),
    width: z.number().int().min(8).max(1024),
    nonzeros: z.number().int().min(1).max(10000),
    seed: z.number().int().min(0).max(2 ** 31 - 1),
    noise: z.number().min(0).max(10).default(0),
  }),
  /** A PNG (read as grayscale in [0, 1]) or an NPY of [H, W], [C, H, W] or [B, C, H, W]. */
  z.object({ kind: z.literal('file'), path: FilePath }),
  /**
   * Item `index` of a data set of the open project (datasets.import): [C, H, W] of its data.npy, or of its
   * test.npy for the test split, pursued as the input [1, C, H, W].
   */
  z.object({ kind: z.literal('dataset'), id: Id, split: z.enum(['train', 'test']).default('train'), index: z.number().int().min(0).default(0) }),
]);
export type DataSource = z.infer<typeof DataSource>;

export const PursuitConfig = z.object({
  algorithm: PursuitAlgorithm,
  /** One λ per layer (the threshold β for thresholding pursuits). */
  lambdas: z.array(z.number().nonnegative().finite()).min(1).max(8),
  iterations: z.number().int().min(0).max(100000),
  tol: z.number().nonnegative().max(1).default(0),
  threshold: ThresholdKind.optional(),
});
export type PursuitConfig = z.infer<typeof PursuitConfig>;

export const RunConfig = z
  .object({
    name: z.string().max(200).optional(),
    source: DataSource,
    layers: z.array(LayerConfig).min(1).max(4),
    pursuit: PursuitConfig,
    providers: z.array(ProviderName).min(1).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.pursuit.lambdas.length !== c.layers.length) {
      ctx.addIssue({ code: 'custom', path: ['pursuit', 'lambdas'], message: `${c.layers.length} layer(s) need ${c.layers.length} λ value(s), got ${c.pursuit.lambdas.length}` });
    }
  });
export type RunConfig = z.infer<typeof RunConfig>;
export type RunConfigInput = z.input<typeof RunConfig>;

// ---- learning sessions ------------------------------------------------------------------------------------

export const LearnMethod = z.enum(['ksvd', 'mod', 'online-dl', 'cdl', 'mlcsc-unsupervised', 'unrolled-supervised']);
export type LearnMethod = z.infer<typeof LearnMethod>;

export const SAMPLE_IMAGES = ['camera', 'brick', 'grass', 'gravel', 'coffee-gray', 'chelsea-gray'] as const;

export const LearnData = z.discriminatedUnion('kind', [
  /** A bundled CC0 test image, box-downsampled by `downsample` (camera 512 → 256 with 2). */
  z.object({ kind: z.literal('sample'), name: z.enum(SAMPLE_IMAGES), downsample: z.number().int().min(1).max(8).default(2), highPass: z.boolean().default(false) }),
  /** MNIST from the bundled IDX files: the first `count` images of a split. */
  z.object({ kind: z.literal('mnist'), split: z.enum(['train', 'test']).default('train'), count: z.number().int().min(1).max(60000) }),
  z.object({ kind: z.literal('file'), path: FilePath }),
  /** A data set of the open project (datasets.import): its preprocessed data.npy, or its test split. */
  z.object({ kind: z.literal('dataset'), id: Id, split: z.enum(['train', 'test']).default('train') }),
]);
export type LearnData = z.infer<typeof LearnData>;

/** Method parameters: checked by the method itself in the engine (each has its own schema there). */
export const MethodParams = z.record(z.string().max(64), z.union([z.number(), z.string().max(200), z.boolean(), z.array(z.number()).max(64)]));

export const LearnConfig = z.object({
  name: z.string().max(200).optional(),
  method: LearnMethod,
  data: LearnData,
  params: MethodParams.default({}),
  /** Outer iterations (epochs × steps for supervised training are counted in steps). */
  iterations: z.number().int().min(1).max(1_000_000),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
  /** Save a checkpoint every this many iterations (and at the end, and on cancel). */
  checkpointEvery: z.number().int().min(1).max(1_000_000).default(10),
  providers: z.array(ProviderName).min(1).optional(),
});
export type LearnConfig = z.infer<typeof LearnConfig>;
export type LearnConfigInput = z.input<typeof LearnConfig>;

/** How the UI should render one method parameter; the engine validates the values against the same spec. */
export const ParamSpec = z.object({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/),
  label: z.string(),
  kind: z.enum(['number', 'integer', 'boolean', 'choice', 'integers']),
  default: z.union([z.number(), z.boolean(), z.string(), z.array(z.number())]),
  min: z.number().optional(),
  max: z.number().optional(),
  choices: z.array(z.string()).optional(),
  /** One or two sentences, citing the paper where the parameter comes from. */
  help: z.string(),
});
export type ParamSpec = z.infer<typeof ParamSpec>;

export const MethodSpec = z.object({
  method: LearnMethod,
  title: z.string(),
  /** The paper the method implements. */
  citation: z.string(),
  summary: z.string(),
  data: z.array(z.enum(['sample', 'mnist', 'file', 'dataset'])).min(1),
  defaultIterations: z.number().int().positive(),
  params: z.array(ParamSpec),
});
export type MethodSpec = z.infer<typeof MethodSpec>;

export const RunStatus = z.enum(['queued', 'running', 'finished', 'failed', 'cancelled', 'interrupted']);
export type RunStatus = z.infer<typeof RunStatus>;

export const ErrorCode = z.enum(['invalid-request', 'invalid-input', 'not-found', 'no-project', 'forbidden', 'engine-crashed', 'diverged', 'cancelled', 'unavailable', 'internal']);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const StudioErrorShape = z.object({
  code: ErrorCode,
  /** A sentence for the user: what was wrong, where, and what to do. */
  message: z.string(),
  /** Where the problem is (a field path, a file name). */
  where: z.string().optional(),
});
export type StudioErrorShape = z.infer<typeof StudioErrorShape>;

/** Metrics measured after each chunk of iterations (pursuits) or each step (learning sessions). */
export const RunMetrics = z.object({
  iteration: z.number().int().nonnegative(),
  objective: z.number(),
  /** ℓ0 density (nnz / size) of each layer's code. */
  density: z.array(z.number().min(0).max(1)),
  seconds: z.number().nonnegative(),
  layer: z.number().int().positive(),
  /** Further named figures of a learning session: psnr, ssim, accuracy, rmse, time per step, filter sparsity… */
  values: z.record(z.string().max(64), z.number()).optional(),
});
export type RunMetrics = z.infer<typeof RunMetrics>;

export const LayerSummary = z.object({
  layer: z.number().int().positive(),
  objective: z.number(),
  nnz: z.number().int().nonnegative(),
  density: z.number().min(0).max(1),
});

export const RUN_NOTES_MAX = 20_000;
export const RUN_TAGS_MAX = 32;
/** A tag: 1–64 characters, no line breaks. */
export const RunTag = z.string().min(1).max(64).regex(/^[^\r\n\t]+$/, 'tags are one line of text');

export const RunSummary = z.object({
  id: Id,
  name: z.string(),
  /** A pursuit run, a learning session or a phase-transition experiment. */
  kind: z.enum(['pursuit', 'learning', 'phase']).default('pursuit'),
  /** The pursuit algorithm, the learning method, or `phase-transition`. */
  algorithm: z.union([PursuitAlgorithm, LearnMethod, z.literal('phase-transition')]),
  status: RunStatus,
  createdAt: z.string(),
  finishedAt: z.string().optional(),
  iterations: z.number().int().nonnegative(),
  finalObjective: z.number().optional(),
  provider: ProviderName.optional(),
  error: StudioErrorShape.optional(),
  layers: z.array(LayerSummary).optional(),
  /** Learning sessions: the iteration of the last checkpoint saved, from which the session can resume. */
  checkpointIteration: z.number().int().nonnegative().optional(),
  /** The researcher's notes on the run (free text), set with runs.update. */
  notes: z.string().max(RUN_NOTES_MAX).optional(),
  /** Labels for finding and grouping runs, set with runs.update. */
  tags: z.array(RunTag).max(RUN_TAGS_MAX).optional(),
});
export type RunSummary = z.infer<typeof RunSummary>;

export const RunDetail = z.object({
  summary: RunSummary,
  config: z.union([RunConfig, LearnConfig, PhaseConfig]),
  metrics: z.array(RunMetrics),
});
export type RunDetail = z.infer<typeof RunDetail>;

/** What the workbench shows of a run: atoms of every layer, the input and its reconstruction D_1Γ_1. */
export const RunPreview = z.object({
  runId: Id,
  /** The iteration the atoms were taken at (learning sessions). */
  iteration: z.number().int().nonnegative().optional(),
  /** Per layer, the (effective) atoms as images [m, h, w]: layer 1's filters, deeper layers' D_1⋯D_i atoms. */
  atoms: z.array(z.object({ layer: z.number().int().positive(), images: Float32Tensor })),
  input: Float32Tensor.optional(),
  reconstruction: Float32Tensor.optional(),
});
export type RunPreview = z.infer<typeof RunPreview>;

/** The ways a run's results leave the app: every array in one .npz, one array as .npy, the learned network as .onnx, a Markdown report with figures (zip). */
export const ExportFormat = z.enum(['npz', 'npy', 'onnx', 'report']);
export type ExportFormat = z.infer<typeof ExportFormat>;

/** One saved array of a run (runs/<id>/<name>.npy): dictionaries W1…, codes gamma1…, atoms, input, reconstruction. */
export const RunArrayInfo = z.object({ name: z.string(), dtype: z.string(), shape: z.array(z.number().int().nonnegative()) });
export type RunArrayInfo = z.infer<typeof RunArrayInfo>;

export const RunExports = z.object({ arrays: z.array(RunArrayInfo), formats: z.array(ExportFormat) });
export type RunExports = z.infer<typeof RunExports>;

export const RunExportParams = z
  .object({ runId: Id, format: ExportFormat, /** For npy: which array. */ array: z.string().regex(/^[A-Za-z0-9_]+$/).max(64).optional() })
  .strict();

/** A file for the user to save: the browser downloads it, the desktop app offers a save dialog. */
export const ExportedFile = z.object({ name: z.string().min(1).max(255), mediaType: z.string().max(100), bytes: Bytes });
export type ExportedFile = z.infer<typeof ExportedFile>;

export const ProjectSummary = z.object({
  dir: z.string(),
  name: z.string(),
  schemaVersion: z.number().int().positive(),
  runs: z.array(RunSummary),
  /** The project's data sets (project format 2); the same list as datasets.list. */
  datasets: z.array(DatasetSummary).optional(),
});
export type ProjectSummary = z.infer<typeof ProjectSummary>;

export const RecentProject = z.object({ dir: z.string(), name: z.string(), openedAt: z.string() });

export const AppInfo = z.object({
  version: z.string(),
  onnxruntime: z.string(),
  providers: z.object({ available: z.array(ProviderName), used: z.union([ProviderName, z.literal('none')]) }),
  /** Which front door this client came through: decides native dialogs vs the in-app file browser. */
  host: z.enum(['electron', 'browser', 'cli']),
});
export type AppInfo = z.infer<typeof AppInfo>;

export const FileEntry = z.object({ name: z.string(), path: z.string(), kind: z.enum(['file', 'directory']), size: z.number().nonnegative().optional() });
export const DirectoryListing = z.object({ dir: z.string(), parent: z.string().nullable(), entries: z.array(FileEntry), roots: z.array(z.string()) });
export type DirectoryListing = z.infer<typeof DirectoryListing>;

export const FileFilter = z.object({ name: z.string(), extensions: z.array(z.string().regex(/^[a-z0-9]+$/i)) });

export const DataInfo = z.object({ path: z.string(), shape: z.array(z.number().int().nonnegative()), dtype: z.string(), min: z.number(), max: z.number() });

// ---- operations ------------------------------------------------------------------------------------------

const Empty = z.object({}).strict();
const RunRef = z.object({ runId: Id }).strict();

/**
 * The operations, by name. Each has the schema of its parameters and of its result. A binding exposes
 * exactly these; nothing else crosses from the UI to the engine.
 */
export const OPERATIONS = {
  'app.info': { params: Empty, result: AppInfo },
  'projects.create': { params: z.object({ dir: FilePath, name: z.string().min(1).max(200) }).strict(), result: ProjectSummary },
  'projects.open': { params: z.object({ dir: FilePath }).strict(), result: ProjectSummary },
  'projects.current': { params: Empty, result: ProjectSummary.nullable() },
  'projects.recent': { params: Empty, result: z.array(RecentProject) },
  'runs.start': { params: z.object({ config: RunConfig }).strict(), result: z.object({ runId: Id }) },
  /** The learning methods this engine offers, with their parameters. */
  'sessions.methods': { params: Empty, result: z.array(MethodSpec) },
  /** Starts a learning session (a run of kind 'learning'); cancel it with runs.cancel. */
  'sessions.start': { params: z.object({ config: LearnConfig }).strict(), result: z.object({ runId: Id }) },
  /** Continues a stopped, failed or interrupted session from its last checkpoint. */
  'sessions.resume': { params: RunRef, result: z.object({ runId: Id }) },
  'runs.cancel': { params: RunRef, result: z.object({ cancelled: z.boolean() }) },
  'runs.list': { params: Empty, result: z.array(RunSummary) },
  'runs.get': { params: RunRef, result: RunDetail },
  'runs.preview': { params: RunRef, result: RunPreview },
  /** Iterations at which a learning session saved its atoms (for the comparison view's step slider), ascending. */
  'runs.snapshots': { params: RunRef, result: z.object({ iterations: z.array(z.number().int().nonnegative()) }) },
  /** The atoms as they were at the last snapshot at or before `iteration` (the first one if none is). */
  'runs.previewAt': { params: z.object({ runId: Id, iteration: z.number().int().nonnegative() }).strict(), result: RunPreview },
  /** Each layer of the run's dictionaries held against the coherence bounds, with the sparsity of its codes. */
  'runs.theory': { params: RunRef, result: RunTheory },
  /** What can be exported of a run: its arrays and the formats that apply. */
  'runs.exports': { params: RunRef, result: RunExports },
  'runs.export': { params: RunExportParams, result: ExportedFile },
  /** Renames a run and sets its notes and tags (each left as it is when absent); allowed while it runs. */
  'runs.update': {
    params: z.object({ runId: Id, name: z.string().trim().min(1).max(200).optional(), notes: z.string().max(RUN_NOTES_MAX).optional(), tags: z.array(RunTag).max(RUN_TAGS_MAX).optional() }).strict(),
    result: RunSummary,
  },
  /** Moves a run's folder to the project's trash/ and drops it from the project; refused while it runs. */
  'runs.delete': { params: RunRef, result: z.object({ deleted: z.literal(true) }) },
  /** Brings a deleted run back from trash/ (undo of runs.delete). */
  'runs.restore': { params: RunRef, result: RunSummary },
  /** Copies the open project (runs and data sets, not its trash) to a new folder and opens the copy. */
  'projects.saveAs': { params: z.object({ dir: FilePath, name: z.string().min(1).max(200).optional() }).strict(), result: ProjectSummary },
  /** Samples signals from a model with known codes, runs the pursuits, and holds each layer against its theorem. */
  'theory.analyze': { params: TheoryAnalyzeParams, result: TheoryReport },
  /** Starts a phase-transition experiment (a run of kind 'phase'); cancel it with runs.cancel. */
  'theory.phaseStart': { params: z.object({ config: PhaseConfig }).strict(), result: z.object({ runId: Id }) },
  /** The success-rate grid of a phase-transition run, complete or as far as it got. */
  'theory.phaseResult': { params: RunRef, result: PhaseResult },
  /** Imports a file (or a folder of images) into the open project as a data set, preprocessing recorded. */
  'datasets.import': { params: DatasetImportParams, result: DatasetSummary },
  /** Imports files whose contents the client sends (drag and drop in the browser); stored as a copy. */
  'datasets.upload': { params: DatasetUploadParams, result: DatasetSummary },
  'datasets.list': { params: Empty, result: z.array(DatasetSummary) },
  /** Thumbnails and statistics for the data set view. */
  'datasets.preview': { params: z.object({ id: Id }).strict(), result: DatasetPreview },
  'datasets.remove': { params: z.object({ id: Id }).strict(), result: z.object({ removed: z.boolean() }) },
  'files.list': { params: z.object({ dir: FilePath.optional() }).strict(), result: DirectoryListing },
  'data.inspect': { params: z.object({ path: FilePath }).strict(), result: DataInfo },
  /** Native dialogs exist in the desktop app only; the browser uses files.list. `null` when dismissed. */
  'dialogs.openFile': { params: z.object({ title: z.string().max(200), filters: z.array(FileFilter).max(10) }).strict(), result: z.object({ path: z.string().nullable() }) },
  'dialogs.openDirectory': { params: z.object({ title: z.string().max(200) }).strict(), result: z.object({ path: z.string().nullable() }) },
} as const;

export type OperationName = keyof typeof OPERATIONS;
export type Params<Op extends OperationName> = z.input<(typeof OPERATIONS)[Op]['params']>;
export type Result<Op extends OperationName> = z.infer<(typeof OPERATIONS)[Op]['result']>;

// ---- events ------------------------------------------------------------------------------------------------

export const EVENTS = {
  /** After every chunk of iterations. */
  'run.progress': z.object({ runId: Id, fraction: z.number().min(0).max(1), totalIterations: z.number().int().nonnegative(), metrics: RunMetrics }),
  /** Status changes: queued → running → finished | failed | cancelled (| interrupted after a crash of the app). */
  'run.status': z.object({ runId: Id, status: RunStatus, summary: RunSummary, error: StudioErrorShape.optional() }),
  /** Atoms and reconstruction, every few chunks and at the end. */
  'run.preview': RunPreview,
  /** The engine process crashed and was restarted. */
  'engine.restarted': z.object({ reason: z.string(), at: z.string() }),
  'project.changed': ProjectSummary,
  /** A phase-transition run finished a cell of its grid: the whole grid so far. */
  'phase.progress': z.object({ runId: Id, result: PhaseResult }),
} as const;

export type EventName = keyof typeof EVENTS;
export type EventPayload<E extends EventName> = z.infer<(typeof EVENTS)[E]>;
