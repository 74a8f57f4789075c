/**
 * The learning-session form, rendered from the engine's method specs (sessions.methods): what the inputs
 * edit, the defaults a spec implies, each parameter checked against its spec (bounds, whole numbers,
 * lists), and the conversion to the contract's LearnConfig, validated with the contract's own schema so the
 * form and the host agree. Errors are keyed by field path ('params.atoms', 'data.downsample', 'iterations').
 */
import { LearnConfig, SAMPLE_IMAGES, type DatasetSummary, type LearnData, type LearnMethod, type MethodSpec, type ParamSpec } from '../../../src-shared/contract';
import { fieldKey, issueMessage, toNumber, type FieldErrors, type NumberInput } from './run-form';

export type LearnDataKind = LearnData['kind'];
export type SampleName = (typeof SAMPLE_IMAGES)[number];
/** What a parameter's input holds: a number (or the text typed while it is not one), a boolean, a choice, or a list as text. */
export type ParamInput = number | string | boolean;
/** A parameter's value as the contract carries it. */
export type ParamValue = number | string | boolean | number[];

export interface LearnFormState {
  name: string;
  /** '' until the methods are known. */
  method: LearnMethod | '';
  data: {
    kind: LearnDataKind;
    sample: SampleName;
    downsample: NumberInput;
    highPass: boolean;
    split: 'train' | 'test';
    count: NumberInput;
    path: string;
    /** A data set of the open project ('' until one is chosen). */
    datasetId: string;
    datasetSplit: 'train' | 'test';
  };
  params: Record<string, ParamInput>;
  iterations: NumberInput;
  seed: NumberInput;
  checkpointEvery: NumberInput;
}

export const DATA_KIND_LABELS: Record<LearnDataKind, string> = {
  sample: 'Bundled sample image',
  mnist: 'MNIST digits',
  file: 'File (PNG or NPY)',
  dataset: 'Data set of the project',
};

export const SAMPLES: readonly SampleName[] = SAMPLE_IMAGES;
/** The most list entries MethodParams accepts. */
export const MAX_LIST_LENGTH = 64;
export const DEFAULT_CHECKPOINT_EVERY = 10;
const DEFAULT_MNIST_COUNT = 1000;

/** The input that shows a parameter's value: lists as "32, 64", everything else as is. */
export function paramInput(spec: ParamSpec, value: ParamValue): ParamInput {
  if (Array.isArray(value)) return value.join(', ');
  if (spec.kind === 'boolean') return value === true;
  if (spec.kind === 'integers') return String(value);
  return value;
}

/** The inputs of a method's parameters, at their defaults. */
export function defaultParams(spec: MethodSpec): Record<string, ParamInput> {
  return Object.fromEntries(spec.params.map((p) => [p.name, paramInput(p, p.default)]));
}

/** "4–16", "≥ 0", "≤ 10" or '' : the bounds of a numeric parameter, for its label. */
export function paramRange(spec: ParamSpec): string {
  if (spec.kind !== 'number' && spec.kind !== 'integer' && spec.kind !== 'integers') return '';
  const { min, max } = spec;
  if (min !== undefined && max !== undefined) return `${min}–${max}`;
  if (min !== undefined) return `≥ ${min}`;
  if (max !== undefined) return `≤ ${max}`;
  return '';
}

export type ParamCheck = { ok: true; value: ParamValue } | { ok: false; error: string };

function checkBounds(v: number, spec: ParamSpec, what = ''): string | undefined {
  if (spec.min !== undefined && v < spec.min) return `${what}Must be at least ${spec.min}.`;
  if (spec.max !== undefined && v > spec.max) return `${what}Must be at most ${spec.max}.`;
  return undefined;
}

/**
 * Checks one parameter's input against its spec, as the engine will: numbers finite and within [min, max],
 * integers whole, a choice among the choices, a list of whole numbers ≥ 1 (and within the bounds, if any).
 */
export function checkParam(spec: ParamSpec, input: ParamInput | undefined): ParamCheck {
  switch (spec.kind) {
    case 'number':
    case 'integer': {
      const v = typeof input === 'boolean' || input === undefined ? NaN : toNumber(input);
      if (!Number.isFinite(v)) return { ok: false, error: 'Enter a number.' };
      if (spec.kind === 'integer' && !Number.isInteger(v)) return { ok: false, error: 'Enter a whole number.' };
      const bad = checkBounds(v, spec);
      return bad ? { ok: false, error: bad } : { ok: true, value: v };
    }
    case 'boolean':
      return typeof input === 'boolean' ? { ok: true, value: input } : { ok: false, error: 'Choose on or off.' };
    case 'choice': {
      const choices = spec.choices ?? [];
      return typeof input === 'string' && choices.includes(input) ? { ok: true, value: input } : { ok: false, error: `Choose one of ${choices.join(', ')}.` };
    }
    case 'integers': {
      const text = typeof input === 'number' ? String(input) : typeof input === 'string' ? input : '';
      const parts = text
        .split(/[\s,;]+/)
        .map((t) => t.trim())
        .filter(Boolean);
      if (!parts.length) return { ok: false, error: 'Enter one or more whole numbers separated by commas, e.g. 32, 64.' };
      if (parts.length > MAX_LIST_LENGTH) return { ok: false, error: `At most ${MAX_LIST_LENGTH} values.` };
      const values: number[] = [];
      for (const [i, t] of parts.entries()) {
        const v = Number(t);
        const which = parts.length > 1 ? `Value ${i + 1} (${t}): ` : '';
        if (!Number.isInteger(v)) return { ok: false, error: `"${t}" is not a whole number.` };
        if (v < 1) return { ok: false, error: `${which}Must be at least 1.` };
        const bad = checkBounds(v, spec, which);
        if (bad) return { ok: false, error: bad };
        values.push(v);
      }
      return { ok: true, value: values };
    }
  }
}

/** Checks every parameter of the method; values of the valid ones, errors (keyed 'params.<name>') of the others. */
export function checkParams(spec: MethodSpec, inputs: Readonly<Record<string, ParamInput>>): { values: Record<string, ParamValue>; errors: FieldErrors } {
  const values: Record<string, ParamValue> = {};
  const errors: FieldErrors = {};
  for (const p of spec.params) {
    const r = checkParam(p, inputs[p.name]);
    if (r.ok) values[p.name] = r.value;
    else errors[`params.${p.name}`] = r.error;
  }
  return { values, errors };
}

/** A fresh form for a method (or for none, while the methods are not known yet). */
export function defaultLearnForm(spec?: MethodSpec | null): LearnFormState {
  const blank: LearnFormState = {
    name: '',
    method: '',
    data: { kind: 'sample', sample: 'camera', downsample: 2, highPass: false, split: 'train', count: DEFAULT_MNIST_COUNT, path: '', datasetId: '', datasetSplit: 'train' },
    params: {},
    iterations: 10,
    seed: 0,
    checkpointEvery: DEFAULT_CHECKPOINT_EVERY,
  };
  return spec ? withMethod(blank, spec) : blank;
}

/**
 * The form switched to another method: its parameters at their defaults, its default iterations, and a
 * data kind it accepts (the current one if it can, else its first). Name, seed, checkpoints and the data
 * fields already entered stay.
 */
export function withMethod(form: LearnFormState, spec: MethodSpec): LearnFormState {
  const kind = spec.data.includes(form.data.kind) ? form.data.kind : spec.data[0]!;
  return { ...form, method: spec.method, data: { ...form.data, kind }, params: defaultParams(spec), iterations: spec.defaultIterations };
}

/** The data source the form describes (not yet validated). */
export function formData(form: LearnFormState): LearnData {
  const d = form.data;
  switch (d.kind) {
    case 'sample':
      return { kind: 'sample', name: d.sample, downsample: toNumber(d.downsample), highPass: d.highPass };
    case 'mnist':
      return { kind: 'mnist', split: d.split, count: toNumber(d.count) };
    case 'file':
      return { kind: 'file', path: d.path.trim() };
    case 'dataset':
      return { kind: 'dataset', id: d.datasetId, split: d.datasetSplit };
  }
}

/**
 * The LearnConfig the form describes, with the parameters that passed their spec (the others are in
 * `paramErrors`). Not yet validated against the schema.
 */
export function learnFormToConfig(form: LearnFormState, spec: MethodSpec): { config: LearnConfig; paramErrors: FieldErrors } {
  const { values, errors } = checkParams(spec, form.params);
  const name = form.name.trim();
  const config: LearnConfig = {
    ...(name ? { name } : {}),
    method: spec.method,
    data: formData(form),
    params: values,
    iterations: toNumber(form.iterations),
    seed: toNumber(form.seed),
    checkpointEvery: toNumber(form.checkpointEvery),
  };
  return { config, paramErrors: errors };
}

/** The form that shows a saved session's settings (parameters it does not set keep the spec's defaults). */
export function learnConfigToForm(config: LearnConfig, spec?: MethodSpec | null): LearnFormState {
  const base = defaultLearnForm(spec);
  const params = { ...base.params };
  for (const [name, value] of Object.entries(config.params)) {
    const p = spec?.params.find((x) => x.name === name);
    if (p) params[name] = paramInput(p, value);
  }
  const d = config.data;
  return {
    name: config.name ?? '',
    method: config.method,
    data: {
      ...base.data,
      kind: d.kind,
      ...(d.kind === 'sample' ? { sample: d.name, downsample: d.downsample, highPass: d.highPass } : {}),
      ...(d.kind === 'mnist' ? { split: d.split, count: d.count } : {}),
      ...(d.kind === 'file' ? { path: d.path } : {}),
      ...(d.kind === 'dataset' ? { datasetId: d.id, datasetSplit: d.split } : {}),
    },
    params,
    iterations: config.iterations,
    seed: config.seed,
    checkpointEvery: config.checkpointEvery,
  };
}

/** What the form needs to know of the project's data sets to check a choice among them. */
export type DatasetChoice = Pick<DatasetSummary, 'id' | 'name' | 'stats' | 'files'>;

/** True when the data set was imported with a test split (a "split" step) that left test items. */
export function hasTestSplit(d: Pick<DatasetSummary, 'stats' | 'files'>): boolean {
  return (d.stats.testItems ?? 0) > 0 || d.files?.test !== undefined;
}

/**
 * Checks a data set chosen to learn from against the project's list: one must be chosen, it must still be
 * in the project, and the test split only exists when the import split the items. Errors keyed by field.
 */
export function checkDatasetChoice(id: string, split: 'train' | 'test', datasets: readonly DatasetChoice[]): FieldErrors {
  if (!id) return { 'data.id': datasets.length ? 'Choose a data set of the project.' : 'The project has no data sets yet; import one in the Data view.' };
  const d = datasets.find((x) => x.id === id);
  if (!d) return { 'data.id': `The data set ${id} is no longer in this project; choose another.` };
  if (split === 'test' && !hasTestSplit(d)) return { 'data.split': `${d.name} has no test split (import it with a "split" step), so only its training items can be used.` };
  return {};
}

/**
 * A session's data in a few words, for headings: "camera ÷2, high-pass", "MNIST train × 1000", the file's
 * name, or the data set's name (its id when the project no longer lists it) and split.
 */
export function describeLearnData(d: LearnData, datasets: readonly Pick<DatasetSummary, 'id' | 'name'>[] = []): string {
  switch (d.kind) {
    case 'sample':
      return `${d.name} ÷${d.downsample}${d.highPass ? ', high-pass' : ''}`;
    case 'mnist':
      return `MNIST ${d.split} × ${d.count}`;
    case 'file':
      return d.path.split(/[\\/]/).pop() || d.path;
    case 'dataset':
      return `data set ${datasets.find((x) => x.id === d.id)?.name ?? d.id}${d.split === 'test' ? ' (test split)' : ''}`;
  }
}

export type LearnValidation = { ok: true; config: LearnConfig; errors: FieldErrors } | { ok: false; errors: FieldErrors };

/**
 * Validates the form: the method must be one on offer, its data kind one the method accepts, every
 * parameter within its spec, and the whole config valid for the contract's LearnConfig schema (the same
 * check the host makes), and a data set chosen among `datasets` (the project's, when given). First error per field.
 */
export function validateLearnForm(form: LearnFormState, spec: MethodSpec | null | undefined, datasets?: readonly DatasetChoice[]): LearnValidation {
  if (!spec) return { ok: false, errors: { method: 'Choose a learning method.' } };
  const { config, paramErrors } = learnFormToConfig(form, spec);
  const errors: FieldErrors = {};
  if (!spec.data.includes(form.data.kind)) {
    errors['data.kind'] = `${spec.title} learns from ${spec.data.map((k) => DATA_KIND_LABELS[k].toLowerCase()).join(' or ')}; choose one of those.`;
  }
  // Checked before the schema, so a missing choice reads "choose one" rather than the id pattern.
  if (form.data.kind === 'dataset' && datasets) Object.assign(errors, checkDatasetChoice(form.data.datasetId, form.data.datasetSplit, datasets));
  const parsed = LearnConfig.safeParse(config);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      errors[fieldKey(issue.path)] ??= issueMessage(issue as Parameters<typeof issueMessage>[0]);
    }
  }
  Object.assign(errors, paramErrors);
  if (Object.keys(errors).length || !parsed.success) return { ok: false, errors };
  return { ok: true, config: parsed.data, errors };
}

/** The error keys the form shows next to a field; any other error goes in the form's summary. */
export function learnFieldKeys(spec: MethodSpec | null | undefined): string[] {
  const keys = ['name', 'method', 'data.kind', 'data.name', 'data.downsample', 'data.highPass', 'data.split', 'data.count', 'data.path', 'data.id', 'iterations', 'seed', 'checkpointEvery'];
  for (const p of spec?.params ?? []) keys.push(`params.${p.name}`);
  return keys;
}
