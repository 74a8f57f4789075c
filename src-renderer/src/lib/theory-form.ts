/**
 * The Theory view's form: a model with known representations (Sparseland, CSC, ML-CSC), how to sample from
 * it, which pursuits to hold against their theorems, and the phase-transition grid. What the inputs edit
 * (numbers may be '' while typed), the conversion to the contract's TheoryAnalyzeParams and PhaseConfig, and
 * validation with the contract's own schemas plus the geometry the schemas cannot see (every kernel fits the
 * code below it, a sparse filter has room for its non-zeros). Errors are keyed by the contract's field path
 * ('model.layers.0.kernel', 'sampling.sparsity'); the phase's own fields by 'phase.*'.
 */
import {
  PhaseConfig,
  TheoryAnalyzeParams,
  TheoryPursuit,
  type PhaseConfigInput,
  type TheoryAnalyzeInput,
  type TheoryModelInput,
} from '../../../src-shared/contract';
import { formatIntegerList, parseIntegerList, parseNumberList } from './lists';
import { convOutputSize, fieldKey, issueMessage, toNumber, type FieldErrors, type NumberInput } from './run-form';

export type TheoryPursuitName = TheoryPursuit;
export const THEORY_PURSUITS: readonly TheoryPursuitName[] = TheoryPursuit.options;

/** The form's three model kinds; CSC and ML-CSC are both the contract's 'convolutional' model. */
export type ModelKind = 'sparseland' | 'csc' | 'mlcsc';
export const MODEL_KINDS: readonly ModelKind[] = ['sparseland', 'csc', 'mlcsc'];
export const MODEL_KIND_LABELS: Record<ModelKind, string> = { sparseland: 'Sparseland', csc: 'CSC (1-D)', mlcsc: 'ML-CSC' };

export type NoiseKindName = 'none' | 'sigma' | 'snr' | 'patch';
export const NOISE_KIND_LABELS: Record<NoiseKindName, string> = {
  none: 'None',
  sigma: 'Gaussian σ',
  snr: 'SNR (dB)',
  patch: '‖E‖p2,∞ exactly',
};
export type PhaseNoiseKind = Exclude<NoiseKindName, 'none'>;

export const PURSUIT_LABELS: Record<TheoryPursuitName, string> = {
  omp: 'OMP',
  bp: 'BP',
  'layered-thr': 'Layered thresholding',
  'layered-bp': 'Layered BP',
  'ml-fista': 'ML-FISTA',
};
/** The per-layer parameter each pursuit takes (OMP takes none: it stops at the sparsity). */
export const PURSUIT_PARAMETER: Record<TheoryPursuitName, string | null> = { omp: null, bp: 'λ', 'layered-thr': 'β', 'layered-bp': 'ξ', 'ml-fista': 'λ' };
/** Pursuits that iterate (the others are one pass, or stop at the sparsity). */
export const ITERATIVE_PURSUITS: readonly TheoryPursuitName[] = ['bp', 'layered-bp', 'ml-fista'];

export const MIN_MLCSC_LAYERS = 2;
export const MAX_MLCSC_LAYERS = 3;

export interface TheoryLayerForm {
  filters: NumberInput;
  kernel: NumberInput;
  stride: NumberInput;
  /** Non-zeros per filter; '' = dense filters. */
  nonzeros: NumberInput;
  values: 'gaussian' | 'sign';
  /** '' = keep the sampled filters' coherence. */
  targetCoherence: NumberInput;
}

export interface PursuitForm {
  enabled: boolean;
  /** One per layer; '' or "auto" = the value the theorem prescribes. */
  lambdas: string[];
  iterations: NumberInput;
}

export interface TheoryFormState {
  kind: ModelKind;
  sparseland: { n: NumberInput; atoms: NumberInput; targetCoherence: NumberInput };
  csc: { size: NumberInput; layer: TheoryLayerForm };
  mlcsc: { dims: '1d' | '2d'; size: NumberInput; layers: TheoryLayerForm[] };
  /** Load W1…WK from .npy files instead of sampling them (convolutional models). */
  dictionaries: { use: boolean; paths: string[] };
  sampling: {
    sparsity: NumberInput;
    valueMin: NumberInput;
    valueMax: NumberInput;
    sign: 'both' | 'positive';
    distribution: 'uniform' | 'gaussian';
    noiseKind: NoiseKindName;
    noiseValue: NumberInput;
    count: NumberInput;
    seed: NumberInput;
  };
  pursuits: Record<TheoryPursuitName, PursuitForm>;
}

export interface PhaseFormState {
  name: string;
  pursuits: Record<TheoryPursuitName, boolean>;
  /** "1-12" or "1, 2, 4, 8". */
  sparsities: string;
  /** "0" or "0, 0.05, 0.1". */
  noise: string;
  noiseKind: PhaseNoiseKind;
  trials: NumberInput;
  iterations: NumberInput;
  seed: NumberInput;
}

/** ML-CSC layers: D1 4 filters of 9 (made less coherent), D2 6 sparse ±1 filters of 5 over D1's 4 channels. */
const DEFAULT_MLCSC_LAYERS: readonly TheoryLayerForm[] = [
  { filters: 4, kernel: 9, stride: 1, nonzeros: '', values: 'gaussian', targetCoherence: 0.3 },
  { filters: 6, kernel: 5, stride: 1, nonzeros: 3, values: 'sign', targetCoherence: '' },
  { filters: 8, kernel: 3, stride: 1, nonzeros: 3, values: 'sign', targetCoherence: '' },
];

export function defaultMlcscLayer(index: number): TheoryLayerForm {
  return { ...DEFAULT_MLCSC_LAYERS[Math.min(index, DEFAULT_MLCSC_LAYERS.length - 1)]! };
}

/** Layers the model has: Sparseland and CSC one, ML-CSC two or three. */
export function layerCount(form: Pick<TheoryFormState, 'kind' | 'mlcsc'>): number {
  return form.kind === 'mlcsc' ? form.mlcsc.layers.length : 1;
}

function defaultPursuit(enabled: boolean, layers: number): PursuitForm {
  return { enabled, lambdas: Array.from({ length: layers }, () => ''), iterations: 400 };
}

/**
 * Defaults that give a clean demonstration in a second or two: CSC with N = 256, two filters of 32 made
 * less coherent (μ ≈ 0.2, so OMP and BP are guaranteed up to ‖Γ‖s0,∞ < 3), two non-zeros per stripe, no
 * noise, OMP, BP and thresholding side by side.
 */
export function defaultTheoryForm(): TheoryFormState {
  return {
    kind: 'csc',
    sparseland: { n: 64, atoms: 128, targetCoherence: 0.3 },
    csc: { size: 256, layer: { filters: 2, kernel: 32, stride: 1, nonzeros: '', values: 'gaussian', targetCoherence: 0.2 } },
    mlcsc: { dims: '1d', size: 200, layers: [defaultMlcscLayer(0), defaultMlcscLayer(1)] },
    dictionaries: { use: false, paths: ['', '', ''] },
    sampling: { sparsity: 2, valueMin: 1, valueMax: 2, sign: 'both', distribution: 'uniform', noiseKind: 'none', noiseValue: 0, count: 4, seed: 0 },
    pursuits: {
      omp: defaultPursuit(true, 1),
      bp: defaultPursuit(true, 1),
      'layered-thr': defaultPursuit(true, 1),
      'layered-bp': defaultPursuit(false, 1),
      'ml-fista': defaultPursuit(false, 1),
    },
  };
}

export function defaultPhaseForm(): PhaseFormState {
  return {
    name: '',
    pursuits: { omp: true, bp: true, 'layered-thr': false, 'layered-bp': false, 'ml-fista': false },
    sparsities: '1-8',
    noise: '0',
    noiseKind: 'patch',
    trials: 10,
    iterations: 300,
    seed: 0,
  };
}

/** Keeps every pursuit's λ list as long as the model has layers (what was typed is kept). */
function fitLambdas(form: TheoryFormState): TheoryFormState {
  const n = layerCount(form);
  const pursuits = { ...form.pursuits };
  for (const p of THEORY_PURSUITS) {
    const l = pursuits[p].lambdas.slice(0, n);
    while (l.length < n) l.push('');
    pursuits[p] = { ...pursuits[p], lambdas: l };
  }
  return { ...form, pursuits };
}

export function withKind(form: TheoryFormState, kind: ModelKind): TheoryFormState {
  return fitLambdas({ ...form, kind });
}

/** Grows or shrinks the ML-CSC layer table (2–3 layers), keeping what was already entered. */
export function withMlcscLayerCount(form: TheoryFormState, count: number): TheoryFormState {
  const n = Math.max(MIN_MLCSC_LAYERS, Math.min(MAX_MLCSC_LAYERS, Math.floor(count)));
  const layers = form.mlcsc.layers.slice(0, n);
  while (layers.length < n) layers.push(defaultMlcscLayer(layers.length));
  return fitLambdas({ ...form, mlcsc: { ...form.mlcsc, layers } });
}

/** An optional number: '' (or only spaces) is "not given". */
function optionalNumber(v: NumberInput): number | undefined {
  if (typeof v === 'string' && v.trim() === '') return undefined;
  return toNumber(v);
}

function layerInput(l: TheoryLayerForm) {
  const nonzeros = optionalNumber(l.nonzeros);
  const targetCoherence = optionalNumber(l.targetCoherence);
  return {
    filters: toNumber(l.filters),
    kernel: toNumber(l.kernel),
    stride: toNumber(l.stride),
    values: l.values,
    ...(nonzeros !== undefined ? { nonzeros } : {}),
    ...(targetCoherence !== undefined ? { targetCoherence } : {}),
  };
}

/** The model the form describes (not yet validated). */
export function formToModel(form: TheoryFormState): TheoryModelInput {
  if (form.kind === 'sparseland') {
    const targetCoherence = optionalNumber(form.sparseland.targetCoherence);
    return { kind: 'sparseland', n: toNumber(form.sparseland.n), atoms: toNumber(form.sparseland.atoms), ...(targetCoherence !== undefined ? { targetCoherence } : {}) };
  }
  const layers = form.kind === 'csc' ? [form.csc.layer] : form.mlcsc.layers;
  const dictionaries = form.dictionaries.use ? form.dictionaries.paths.slice(0, layers.length).map((p) => p.trim()) : undefined;
  return {
    kind: 'convolutional',
    dims: form.kind === 'csc' ? '1d' : form.mlcsc.dims,
    size: toNumber(form.kind === 'csc' ? form.csc.size : form.mlcsc.size),
    layers: layers.map(layerInput),
    ...(dictionaries ? { dictionaries } : {}),
  };
}

/** '' or "auto" = not given; anything else must be a number (the schema says which are wrong). */
function lambdaValue(text: string): number | undefined {
  const t = text.trim();
  if (t === '' || /^auto$/i.test(t)) return undefined;
  return Number(t);
}

function valuesInput(form: TheoryFormState) {
  const s = form.sampling;
  return { valueRange: [toNumber(s.valueMin), toNumber(s.valueMax)] as [number, number], sign: s.sign, distribution: s.distribution };
}

/** The parameters of theory.analyze the form describes (not yet validated). */
export function formToAnalyzeParams(form: TheoryFormState): TheoryAnalyzeInput {
  const s = form.sampling;
  const pursuits = THEORY_PURSUITS.filter((p) => form.pursuits[p].enabled).map((p) => {
    const f = form.pursuits[p];
    const lambdas = f.lambdas.slice(0, layerCount(form)).map(lambdaValue);
    const given = PURSUIT_PARAMETER[p] !== null && lambdas.some((l) => l !== undefined);
    return {
      pursuit: p,
      ...(given ? { lambdas: lambdas.map((l) => l ?? NaN) } : {}),
      ...(ITERATIVE_PURSUITS.includes(p) ? { iterations: toNumber(f.iterations) } : {}),
    };
  });
  return {
    model: formToModel(form),
    sampling: {
      sparsity: toNumber(s.sparsity),
      values: valuesInput(form),
      noise: { kind: s.noiseKind, value: s.noiseKind === 'none' ? 0 : toNumber(s.noiseValue) },
      count: toNumber(s.count),
      seed: toNumber(s.seed),
    },
    pursuits,
  };
}

export interface CodeGeometry {
  readonly layer: number;
  /** Γ_i as [filters, height, width] (1-D: height 1). */
  readonly shape: readonly [number, number, number];
}

/**
 * Shapes of the codes Γ_1…Γ_K of a convolutional model ("valid" geometry: Γ_i is the Conv output of
 * Γ_{i−1}), and errors where a kernel does not fit or a sparse filter has too few entries for its non-zeros.
 * Stops at the first layer with a non-numeric field (the schema reports it).
 */
export function modelGeometry(model: TheoryModelInput): { layers: CodeGeometry[]; errors: FieldErrors } {
  const layers: CodeGeometry[] = [];
  const errors: FieldErrors = {};
  if (model.kind !== 'convolutional') return { layers, errors };
  const twoD = model.dims === '2d';
  let channels = model.channels ?? 1;
  let h = twoD ? model.size : 1;
  let w = model.size;
  for (const [i, l] of model.layers.entries()) {
    if (![w, l.kernel, l.stride, l.filters].every((v) => Number.isInteger(v) && v >= 1)) break;
    const oh = twoD ? convOutputSize(h, l.kernel, l.stride, 0) : 1;
    const ow = convOutputSize(w, l.kernel, l.stride, 0);
    if (oh < 1 || ow < 1) {
      const input = twoD ? `${h}×${w}` : `${w}-sample`;
      errors[`model.layers.${i}.kernel`] = `A kernel of ${l.kernel} does not fit the ${input} ${i === 0 ? 'signal' : `code Γ${i}`} (layer ${i + 1}); use a smaller kernel or a larger size.`;
      break;
    }
    const entries = channels * l.kernel * (twoD ? l.kernel : 1);
    if (l.nonzeros !== undefined && Number.isInteger(l.nonzeros) && l.nonzeros > entries) {
      errors[`model.layers.${i}.nonzeros`] = `A filter of layer ${i + 1} has ${entries} entries (${channels} channel${channels > 1 ? 's' : ''} × ${twoD ? `${l.kernel}×${l.kernel}` : l.kernel}); at most ${entries} non-zeros.`;
    }
    layers.push({ layer: i + 1, shape: [l.filters, oh, ow] });
    channels = l.filters;
    h = oh;
    w = ow;
  }
  return { layers, errors };
}

/** "Γ1 2×225 · Γ2 6×188" (2-D: "Γ1 4×20×20"). */
export function geometryText(layers: readonly CodeGeometry[], twoD: boolean): string {
  return layers.map((g) => `Γ${g.layer} ${g.shape[0]}×${twoD ? `${g.shape[1]}×` : ''}${g.shape[2]}`).join(' · ');
}

type Issue = Parameters<typeof issueMessage>[0];

function issueErrors(issues: readonly Issue[], rename: (key: string) => string = (k) => k): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of issues) errors[rename(fieldKey(issue.path))] ??= issueMessage(issue);
  return errors;
}

/** Checks that need the form, not the contract: loaded dictionaries name a file per layer; λ given for all layers or none. */
function formErrors(form: TheoryFormState, checkPursuits: boolean): FieldErrors {
  const errors: FieldErrors = {};
  const n = layerCount(form);
  if (form.kind !== 'sparseland' && form.dictionaries.use) {
    form.dictionaries.paths.slice(0, n).forEach((p, i) => {
      if (!p.trim()) errors[`model.dictionaries.${i}`] = `Choose the .npy file of W${i + 1}, or turn off loading dictionaries.`;
    });
  }
  if (!checkPursuits) return errors;
  if (!THEORY_PURSUITS.some((p) => form.pursuits[p].enabled)) errors['pursuits'] = 'Choose at least one pursuit.';
  for (const p of THEORY_PURSUITS) {
    const f = form.pursuits[p];
    if (!f.enabled || PURSUIT_PARAMETER[p] === null) continue;
    const values = f.lambdas.slice(0, n).map(lambdaValue);
    if (values.some((v) => v !== undefined) && values.some((v) => v === undefined)) {
      values.forEach((v, i) => {
        if (v === undefined) errors[`pursuits.${p}.lambdas.${i}`] = `Give ${PURSUIT_PARAMETER[p]} for every layer, or leave all on auto.`;
      });
    }
  }
  return errors;
}

/** The schema's error keys for pursuits are positions in the list sent; the form shows them by pursuit name. */
function pursuitKeyRenamer(form: TheoryFormState): (key: string) => string {
  const sent = THEORY_PURSUITS.filter((p) => form.pursuits[p].enabled);
  return (key) => key.replace(/^pursuits\.(\d+)(?=\.|$)/, (m, i: string) => (sent[Number(i)] ? `pursuits.${sent[Number(i)]}` : m));
}

export type TheoryValidation = { ok: true; params: TheoryAnalyzeParams; errors: FieldErrors } | { ok: false; errors: FieldErrors };

/** Validates the analysis form with the contract's TheoryAnalyzeParams (the host's own check) plus the geometry. */
export function validateTheoryForm(form: TheoryFormState): TheoryValidation {
  const draft = formToAnalyzeParams(form);
  const errors = formErrors(form, true);
  const parsed = TheoryAnalyzeParams.safeParse(draft);
  if (!parsed.success) for (const [k, m] of Object.entries(issueErrors(parsed.error.issues as unknown as Issue[], pursuitKeyRenamer(form)))) errors[k] ??= m;
  for (const [k, m] of Object.entries(modelGeometry(draft.model).errors)) errors[k] ??= m;
  if (Object.keys(errors).length || !parsed.success) return { ok: false, errors };
  return { ok: true, params: parsed.data, errors };
}

/** The PhaseConfig the two forms describe: the model and sampled values of the analysis form, the grid of the phase form. */
export function formToPhaseConfig(form: TheoryFormState, phase: PhaseFormState): { config: PhaseConfigInput; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const sparsities = parseIntegerList(phase.sparsities, { min: 1, max: 4096, maxCount: 64 });
  if (!sparsities.ok) errors['phase.sparsities'] = sparsities.error;
  const noise = parseNumberList(phase.noise, { min: 0, max: 1e6, maxCount: 16 });
  if (!noise.ok) errors['phase.noise'] = noise.error;
  const name = phase.name.trim();
  const config: PhaseConfigInput = {
    ...(name ? { name } : {}),
    model: formToModel(form),
    pursuits: THEORY_PURSUITS.filter((p) => phase.pursuits[p]),
    sparsities: sparsities.ok ? sparsities.values : [],
    noise: noise.ok ? noise.values : [],
    noiseKind: phase.noiseKind,
    trials: toNumber(phase.trials),
    values: valuesInput(form),
    iterations: toNumber(phase.iterations),
    seed: toNumber(phase.seed),
  };
  return { config, errors };
}

/** Where a PhaseConfig issue is shown: model and values in the analysis form, the rest in the phase form. */
function phaseKey(key: string): string {
  if (key.startsWith('model')) return key;
  if (key.startsWith('values')) return `sampling.${key}`;
  return `phase.${key.replace(/^(pursuits|sparsities|noise)\.\d+$/, '$1')}`;
}

export type PhaseValidation = { ok: true; config: PhaseConfig; errors: FieldErrors } | { ok: false; errors: FieldErrors };

export function validatePhaseForm(form: TheoryFormState, phase: PhaseFormState): PhaseValidation {
  const { config, errors } = formToPhaseConfig(form, phase);
  Object.assign(errors, formErrors(form, false));
  if (!config.pursuits.length) errors['phase.pursuits'] = 'Choose at least one pursuit.';
  const parsed = PhaseConfig.safeParse(config);
  if (!parsed.success) for (const [k, m] of Object.entries(issueErrors(parsed.error.issues as unknown as Issue[], phaseKey))) errors[k] ??= m;
  for (const [k, m] of Object.entries(modelGeometry(config.model).errors)) errors[k] ??= m;
  if (Object.keys(errors).length || !parsed.success) return { ok: false, errors };
  return { ok: true, config: parsed.data, errors };
}

/** The phase form that shows a saved experiment's grid (its model is described, not loaded). */
export function phaseConfigToForm(config: PhaseConfig): PhaseFormState {
  return {
    name: config.name ?? '',
    pursuits: Object.fromEntries(THEORY_PURSUITS.map((p) => [p, config.pursuits.includes(p)])) as Record<TheoryPursuitName, boolean>,
    sparsities: formatIntegerList(config.sparsities),
    noise: config.noise.join(', '),
    noiseKind: config.noiseKind,
    trials: config.trials,
    iterations: config.iterations,
    seed: config.seed,
  };
}

/** The form keys shown next to a field; any other error goes to the form's summary. */
export function theoryFieldKeys(form: TheoryFormState): string[] {
  const keys = [
    'model.n',
    'model.atoms',
    'model.targetCoherence',
    'model.size',
    'model.dims',
    'sampling.sparsity',
    'sampling.values.valueRange',
    'sampling.values.valueRange.0',
    'sampling.values.valueRange.1',
    'sampling.noise.value',
    'sampling.count',
    'sampling.seed',
    'pursuits',
  ];
  for (let i = 0; i < layerCount(form); i++) {
    keys.push(...['filters', 'kernel', 'stride', 'nonzeros', 'targetCoherence'].map((f) => `model.layers.${i}.${f}`), `model.dictionaries.${i}`);
  }
  for (const p of THEORY_PURSUITS) {
    keys.push(`pursuits.${p}.iterations`);
    for (let i = 0; i < layerCount(form); i++) keys.push(`pursuits.${p}.lambdas.${i}`);
  }
  return keys;
}

function layerToForm(l: { filters: number; kernel: number; stride: number; nonzeros?: number | undefined; values?: 'gaussian' | 'sign' | undefined; targetCoherence?: number | undefined }): TheoryLayerForm {
  return { filters: l.filters, kernel: l.kernel, stride: l.stride, nonzeros: l.nonzeros ?? '', values: l.values ?? 'gaussian', targetCoherence: l.targetCoherence ?? '' };
}

/**
 * The analysis form with a saved experiment's model and values in it (the sampling's other settings and the
 * pursuits stay as they were). A model deeper than the form's three layers keeps its first three, and says so.
 */
export function withPhaseModel(form: TheoryFormState, config: PhaseConfig): { form: TheoryFormState; warning?: string } {
  const m = config.model;
  const sampling = { ...form.sampling, valueMin: config.values.valueRange[0], valueMax: config.values.valueRange[1], sign: config.values.sign, distribution: config.values.distribution };
  if (m.kind === 'sparseland') {
    return { form: withKind({ ...form, sampling, sparseland: { n: m.n, atoms: m.atoms, targetCoherence: m.targetCoherence ?? '' } }, 'sparseland') };
  }
  const paths = [...(m.dictionaries ?? []), '', '', ''].slice(0, MAX_MLCSC_LAYERS);
  const dictionaries = { use: !!m.dictionaries?.length, paths };
  if (m.layers.length === 1 && m.dims === '1d') {
    return { form: withKind({ ...form, sampling, dictionaries, csc: { size: m.size, layer: layerToForm(m.layers[0]!) } }, 'csc') };
  }
  const layers = m.layers.slice(0, MAX_MLCSC_LAYERS).map(layerToForm);
  while (layers.length < MIN_MLCSC_LAYERS) layers.push(defaultMlcscLayer(layers.length));
  const next = withKind({ ...form, sampling, dictionaries, mlcsc: { dims: m.dims, size: m.size, layers } }, 'mlcsc');
  return m.layers.length > MAX_MLCSC_LAYERS ? { form: next, warning: `The experiment's model has ${m.layers.length} layers; the form holds ${MAX_MLCSC_LAYERS}, so the deepest were left out.` } : { form: next };
}
