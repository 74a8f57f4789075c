/**
 * The run form: what the inputs edit (numbers may be '' while the user types), its conversion to the
 * contract's RunConfig, validation with the contract's own schema (errors keyed by field path, e.g.
 * 'layers.1.kernel') and a geometry check that every layer fits the output of the one before it.
 */
import { RunConfig, type DataSource, type DatasetSummary, type LayerConfig, type PursuitAlgorithm } from '../../../src-shared/contract';

/** What v-model.number leaves in a numeric input: a number, or the raw text when it does not parse. */
export type NumberInput = number | string;
export type ThresholdChoice = '' | 'soft' | 'soft-nonneg' | 'hard';

export interface LayerForm {
  filters: NumberInput;
  kernel: NumberInput;
  stride: NumberInput;
  pad: NumberInput;
  dictionary: 'random' | 'file';
  seed: NumberInput;
  path: string;
  /** λ_i (ISTA-type pursuits) or the threshold β_i (thresholding pursuits). */
  lambda: NumberInput;
}

export interface RunFormState {
  name: string;
  source: {
    kind: 'synthetic' | 'file' | 'dataset';
    height: NumberInput;
    width: NumberInput;
    nonzeros: NumberInput;
    seed: NumberInput;
    noise: NumberInput;
    path: string;
    /** Source 'dataset': which data set of the project, which split, and which item of it. */
    datasetId: string;
    datasetSplit: 'train' | 'test';
    index: NumberInput;
  };
  layers: LayerForm[];
  algorithm: PursuitAlgorithm;
  iterations: NumberInput;
  tol: NumberInput;
  threshold: ThresholdChoice;
}

export type FieldErrors = Record<string, string>;

/** What the form needs to know of the project's data sets to check an item chosen among them. */
export type DatasetChoice = Pick<DatasetSummary, 'id' | 'name' | 'stats' | 'files'>;

export const SINGLE_LAYER_ALGORITHMS: readonly PursuitAlgorithm[] = ['thr', 'ista', 'fista'];
export const MULTI_LAYER_ALGORITHMS: readonly PursuitAlgorithm[] = ['layered-thr', 'layered-bp', 'ml-ista', 'ml-fista'];
export const MAX_LAYERS = 3;

export const ALGORITHM_LABELS: Record<PursuitAlgorithm, string> = {
  thr: 'Thresholding (1 layer)',
  ista: 'ISTA (1 layer)',
  fista: 'FISTA (1 layer)',
  'layered-thr': 'Layered thresholding (forward pass)',
  'layered-bp': 'Layered basis pursuit',
  'ml-ista': 'ML-ISTA',
  'ml-fista': 'ML-FISTA',
};

/** Thresholding pursuits take a threshold β per layer and no iterations. */
export function isThresholding(a: PursuitAlgorithm): boolean {
  return a === 'thr' || a === 'layered-thr';
}

export function algorithmsFor(layerCount: number): readonly PursuitAlgorithm[] {
  return layerCount === 1 ? [...MULTI_LAYER_ALGORITHMS, ...SINGLE_LAYER_ALGORITHMS] : MULTI_LAYER_ALGORITHMS;
}

/** The closest algorithm that works with `layerCount` layers. */
export function algorithmForLayers(a: PursuitAlgorithm, layerCount: number): PursuitAlgorithm {
  if (layerCount === 1 || !SINGLE_LAYER_ALGORITHMS.includes(a)) return a;
  return a === 'thr' ? 'layered-thr' : a === 'ista' ? 'ml-ista' : 'ml-fista';
}

/**
 * Defaults that run in seconds on a small CPU: a 64×64 synthetic image, D_1 8 filters 6×6 stride 2
 * (64 → 30), D_2 16 filters 3×3 (30 → 28), ML-FISTA for 100 iterations. A third layer adds 32 filters 3×3.
 */
const DEFAULT_LAYERS: readonly LayerForm[] = [
  { filters: 8, kernel: 6, stride: 2, pad: 0, dictionary: 'random', seed: 1, path: '', lambda: 0.05 },
  { filters: 16, kernel: 3, stride: 1, pad: 0, dictionary: 'random', seed: 2, path: '', lambda: 0.02 },
  { filters: 32, kernel: 3, stride: 1, pad: 0, dictionary: 'random', seed: 3, path: '', lambda: 0.01 },
];

export function defaultLayer(index: number): LayerForm {
  const base = DEFAULT_LAYERS[Math.min(index, DEFAULT_LAYERS.length - 1)]!;
  return { ...base, seed: index + 1 };
}

export function defaultForm(): RunFormState {
  return {
    name: '',
    source: { kind: 'synthetic', height: 64, width: 64, nonzeros: 8, seed: 0, noise: 0, path: '', datasetId: '', datasetSplit: 'train', index: 0 },
    layers: [defaultLayer(0), defaultLayer(1)],
    algorithm: 'ml-fista',
    iterations: 100,
    tol: 0,
    threshold: '',
  };
}

/** Grows or shrinks the layer list, keeping what was already entered. */
export function withLayerCount(form: RunFormState, count: number): RunFormState {
  const n = Math.max(1, Math.min(MAX_LAYERS, Math.floor(count)));
  const layers = form.layers.slice(0, n);
  while (layers.length < n) layers.push(defaultLayer(layers.length));
  return { ...form, layers, algorithm: algorithmForLayers(form.algorithm, n) };
}

/** '' and unparseable text become NaN, which the schema reports as "enter a number". */
export function toNumber(v: NumberInput): number {
  if (typeof v === 'number') return v;
  const t = v.trim();
  return t === '' ? NaN : Number(t);
}

/** The RunConfig the form describes (not yet validated). */
export function formToConfig(form: RunFormState): RunConfig {
  const f = form.source;
  const source: DataSource =
    f.kind === 'synthetic'
      ? { kind: 'synthetic', height: toNumber(f.height), width: toNumber(f.width), nonzeros: toNumber(f.nonzeros), seed: toNumber(f.seed), noise: toNumber(f.noise) }
      : f.kind === 'dataset'
        ? { kind: 'dataset', id: f.datasetId, split: f.datasetSplit, index: toNumber(f.index) }
        : { kind: 'file', path: f.path.trim() };
  const layers: LayerConfig[] = form.layers.map((l) => ({
    filters: toNumber(l.filters),
    kernel: toNumber(l.kernel),
    stride: toNumber(l.stride),
    pad: toNumber(l.pad),
    dictionary: l.dictionary === 'random' ? { kind: 'random', seed: toNumber(l.seed) } : { kind: 'file', path: l.path.trim() },
  }));
  const config: RunConfig = {
    source,
    layers,
    pursuit: {
      algorithm: form.algorithm,
      lambdas: form.layers.map((l) => toNumber(l.lambda)),
      iterations: isThresholding(form.algorithm) ? 0 : toNumber(form.iterations),
      tol: toNumber(form.tol),
      ...(form.threshold ? { threshold: form.threshold } : {}),
    },
  };
  const name = form.name.trim();
  return name ? { name, ...config } : config;
}

/** The form that shows `config` (to rerun or vary a saved run). */
export function configToForm(config: RunConfig): RunFormState {
  const base = defaultForm();
  const s = config.source;
  return {
    name: config.name ?? '',
    source:
      s.kind === 'synthetic'
        ? { ...base.source, kind: 'synthetic', height: s.height, width: s.width, nonzeros: s.nonzeros, seed: s.seed, noise: s.noise }
        : s.kind === 'dataset'
          ? { ...base.source, kind: 'dataset', datasetId: s.id, datasetSplit: s.split, index: s.index }
          : { ...base.source, kind: 'file', path: s.path },
    layers: config.layers.map((l, i) => ({
      filters: l.filters,
      kernel: l.kernel,
      stride: l.stride,
      pad: l.pad,
      dictionary: l.dictionary.kind,
      seed: l.dictionary.kind === 'random' ? l.dictionary.seed : i + 1,
      path: l.dictionary.kind === 'file' ? l.dictionary.path : '',
      lambda: config.pursuit.lambdas[i] ?? 0,
    })),
    algorithm: config.pursuit.algorithm,
    iterations: config.pursuit.iterations,
    tol: config.pursuit.tol,
    threshold: config.pursuit.threshold ?? '',
  };
}

type Issue = { code: string; path: readonly PropertyKey[]; message: string; expected?: unknown; minimum?: unknown; maximum?: unknown; origin?: unknown };

/** A message a person can act on for one schema issue. */
export function issueMessage(issue: Issue): string {
  if (issue.code === 'invalid_type' && issue.expected === 'number') return 'Enter a number.';
  if (issue.code === 'invalid_type' && issue.expected === 'int') return 'Enter a whole number.';
  if (issue.code === 'too_small' && issue.origin === 'string') return 'Required.';
  if (issue.code === 'too_small' && issue.origin === 'number') return `Must be at least ${String(issue.minimum)}.`;
  if (issue.code === 'too_big' && issue.origin === 'number') return `Must be at most ${String(issue.maximum)}.`;
  return issue.message;
}

export function fieldKey(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

/** Spatial size of a layer's output: ⌊(n + 2p − k)/s⌋ + 1 (Conv with explicit pads). */
export function convOutputSize(n: number, kernel: number, stride: number, pad: number): number {
  return Math.floor((n + 2 * pad - kernel) / stride) + 1;
}

export interface LayerGeometry {
  readonly layer: number;
  /** Code Γ_i as [channels, height, width]. */
  readonly code: readonly [number, number, number];
}

/**
 * Shapes of the codes Γ_1…Γ_K for an input of `input` = [C, H, W]; stops at the first layer that does
 * not fit and reports it. Layers with non-numeric fields end the walk silently (the schema reports them).
 */
export function codeGeometry(input: readonly [number, number, number], layers: readonly LayerConfig[]): { layers: LayerGeometry[]; errors: FieldErrors } {
  const out: LayerGeometry[] = [];
  const errors: FieldErrors = {};
  let [, h, w] = input;
  for (const [i, l] of layers.entries()) {
    if (![l.kernel, l.stride, l.pad, l.filters].every((v) => Number.isInteger(v) && v >= 0) || l.stride < 1) break;
    const oh = convOutputSize(h, l.kernel, l.stride, l.pad);
    const ow = convOutputSize(w, l.kernel, l.stride, l.pad);
    if (oh < 1 || ow < 1) {
      errors[`layers.${i}.kernel`] = `A ${l.kernel}×${l.kernel} kernel (stride ${l.stride}, pad ${l.pad}) does not fit the ${h}×${w} input of layer ${i + 1}; use a smaller kernel or more padding.`;
      break;
    }
    out.push({ layer: i + 1, code: [l.filters, oh, ow] });
    h = oh;
    w = ow;
  }
  return { layers: out, errors };
}

/**
 * [C, H, W] of a data source: the synthetic size, the item shape of a data set among `datasets` (both splits
 * share it), or the last dimensions of an inspected file's shape.
 */
export function inputShape(config: RunConfig, fileShape?: readonly number[], datasets: readonly DatasetChoice[] = []): [number, number, number] | undefined {
  if (config.source.kind === 'synthetic') return [1, config.source.height, config.source.width];
  if (config.source.kind === 'dataset') {
    const { id } = config.source;
    const shape = datasets.find((d) => d.id === id)?.stats.shape;
    return shape ? [shape[1]!, shape[2]!, shape[3]!] : undefined;
  }
  if (!fileShape || fileShape.length < 2) return undefined;
  const n = fileShape.length;
  return [n >= 3 ? fileShape[n - 3]! : 1, fileShape[n - 2]!, fileShape[n - 1]!];
}

export type Validation = { ok: true; config: RunConfig; errors: FieldErrors } | { ok: false; errors: FieldErrors };

/** Items in a split of a data set, when the project's record says (older records may not count test items). */
export function splitItems(d: DatasetChoice, split: 'train' | 'test'): number | undefined {
  return split === 'test' ? d.stats.testItems : d.stats.shape[0];
}

/**
 * Checks a data set item chosen as the run's input against the project's data sets: one must be chosen, it must
 * still be there, the test split must exist, and the index must be below the split's item count N.
 */
export function checkDatasetSource(source: RunFormState['source'], datasets: readonly DatasetChoice[]): FieldErrors {
  const id = source.datasetId;
  if (!id) return { 'source.id': datasets.length ? 'Choose a data set of the project.' : 'The project has no data sets yet; import one in the Data view.' };
  const d = datasets.find((x) => x.id === id);
  if (!d) return { 'source.id': `The data set ${id} is no longer in this project; choose another.` };
  // As learn-form's hasTestSplit (not imported: learn-form imports this module).
  const hasTest = (d.stats.testItems ?? 0) > 0 || d.files?.test !== undefined;
  if (source.datasetSplit === 'test' && !hasTest) return { 'source.split': `${d.name} has no test split (import it with a "split" step); use its training items.` };
  const n = splitItems(d, source.datasetSplit);
  const index = toNumber(source.index);
  if (n !== undefined && Number.isInteger(index) && index >= n) return { 'source.index': `Item index must be below N = ${n} (the ${source.datasetSplit} split of ${d.name} has items 0 to ${n - 1}).` };
  return {};
}

/**
 * Validates the form with the contract's RunConfig schema (the same check the host makes) plus the
 * layer geometry when the input size is known. Errors are keyed by field path, first issue per field.
 */
export function validateForm(form: RunFormState, fileShape?: readonly number[], datasets?: readonly DatasetChoice[]): Validation {
  const draft = formToConfig(form);
  const parsed = RunConfig.safeParse(draft);
  // A data set choice is checked against the project's list when it is known; its messages say more than the schema's.
  const errors: FieldErrors = form.source.kind === 'dataset' && datasets ? checkDatasetSource(form.source, datasets) : {};
  if (!parsed.success) {
    for (const issue of parsed.error.issues as unknown as Issue[]) {
      const key = fieldKey(issue.path);
      errors[key] ??= key === 'source.index' ? `Item index: ${issueMessage(issue)}` : issueMessage(issue);
    }
    return { ok: false, errors };
  }
  if (Object.keys(errors).length) return { ok: false, errors };
  const shape = inputShape(parsed.data, fileShape, datasets);
  if (shape) Object.assign(errors, codeGeometry(shape, parsed.data.layers).errors);
  if (Object.keys(errors).length) return { ok: false, errors };
  return { ok: true, config: parsed.data, errors };
}

/** The error keys the form shows next to a field; any other error is listed in the form's summary. */
export function fieldKeys(form: RunFormState): string[] {
  const keys = ['name', 'source.height', 'source.width', 'source.nonzeros', 'source.seed', 'source.noise', 'source.path', 'source.id', 'source.split', 'source.index', 'pursuit.algorithm', 'pursuit.iterations', 'pursuit.tol', 'pursuit.threshold'];
  form.layers.forEach((_, i) => {
    keys.push(...['filters', 'kernel', 'stride', 'pad', 'dictionary.seed', 'dictionary.path'].map((f) => `layers.${i}.${f}`), `pursuit.lambdas.${i}`);
  });
  return keys;
}
