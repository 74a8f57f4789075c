/**
 * The preprocessing editor of the import dialog: an ordered list of steps, each with its fields as typed,
 * converted to the contract's PreprocessStep[] and validated with the contract's own schema, so the dialog
 * and the engine agree. The order matters (it is recorded with the data set and replayed in that order).
 * Errors are keyed 'steps.<index>.<field>' and name the step and the field.
 */
import { z } from 'zod';
import { PreprocessStep } from '../../../src-shared/contract';
import { fieldKey, issueMessage, toNumber, type FieldErrors, type NumberInput } from './run-form';

export type PreprocessOp = PreprocessStep['op'];

/** The most steps datasets.import accepts. */
export const MAX_STEPS = 16;

export interface StepField {
  readonly name: string;
  readonly label: string;
  readonly help: string;
  /** An optional field may be left empty (patches' max: keep every patch). */
  readonly optional?: boolean;
  /** 'any' for a real number, else integers only. */
  readonly step: number | 'any';
  readonly min?: number;
  readonly max?: number;
}

export interface OpInfo {
  readonly label: string;
  readonly help: string;
  readonly fields: readonly StepField[];
}

export const OPS: Readonly<Record<PreprocessOp, OpInfo>> = {
  grayscale: { label: 'Grayscale', help: 'ITU-R BT.601 luma of RGB(A) images; gray data is left as is.', fields: [] },
  scale01: { label: 'Scale to [0, 1]', help: '(x − min)/(max − min) over the whole (training) set.', fields: [] },
  'remove-mean': { label: 'Remove mean', help: "Subtract each item's mean.", fields: [] },
  'high-pass': {
    label: 'High-pass',
    help: 'Subtract a Gaussian low-pass, as SPORCO does before convolutional sparse coding.',
    fields: [{ name: 'sigma', label: 'σ (pixels)', help: 'Width of the Gaussian low-pass, in (0, 64].', step: 'any', min: 0, max: 64 }],
  },
  crop: {
    label: 'Crop',
    help: 'Keep the window x ≤ column < x + width, y ≤ row < y + height of every item; it must lie inside.',
    fields: [
      { name: 'x', label: 'x', help: 'First column kept.', step: 1, min: 0 },
      { name: 'y', label: 'y', help: 'First row kept.', step: 1, min: 0 },
      { name: 'width', label: 'Width', help: 'Columns kept.', step: 1, min: 1 },
      { name: 'height', label: 'Height', help: 'Rows kept.', step: 1, min: 1 },
    ],
  },
  resize: {
    label: 'Resize',
    help: 'Bilinear where an axis grows, area averaging where it shrinks.',
    fields: [
      { name: 'width', label: 'Width', help: 'New width in pixels (1–8192).', step: 1, min: 1, max: 8192 },
      { name: 'height', label: 'Height', help: 'New height in pixels (1–8192).', step: 1, min: 1, max: 8192 },
    ],
  },
  patches: {
    label: 'Patches',
    help: 'Every size×size window at multiples of the stride becomes an item (1×size on 1-D signals).',
    fields: [
      { name: 'size', label: 'Size', help: 'Patch side in pixels (2–256).', step: 1, min: 2, max: 256 },
      { name: 'stride', label: 'Stride', help: 'Step between patches (1–256).', step: 1, min: 1, max: 256 },
      { name: 'max', label: 'At most', help: 'Keep this many, drawn at random (empty: keep all).', optional: true, step: 1, min: 1 },
      { name: 'seed', label: 'Seed', help: 'Seeds the random draw.', step: 1, min: 0 },
    ],
  },
  split: {
    label: 'Train/test split',
    help: 'Put a random share of the items in a test set; steps after it apply to both sets.',
    fields: [
      { name: 'testFraction', label: 'Test fraction', help: 'Share of the items in the test set, in (0, 1).', step: 'any', min: 0, max: 1 },
      { name: 'seed', label: 'Seed', help: 'Seeds the random draw.', step: 1, min: 0 },
    ],
  },
};

export const OP_ORDER: readonly PreprocessOp[] = ['grayscale', 'scale01', 'remove-mean', 'high-pass', 'crop', 'resize', 'patches', 'split'];

const DEFAULTS: Readonly<Record<PreprocessOp, Readonly<Record<string, NumberInput>>>> = {
  grayscale: {},
  scale01: {},
  'remove-mean': {},
  'high-pass': { sigma: 4 },
  crop: { x: 0, y: 0, width: 64, height: 64 },
  resize: { width: 64, height: 64 },
  patches: { size: 8, stride: 4, max: '', seed: 0 },
  split: { testFraction: 0.2, seed: 0 },
};

/** One step as the editor holds it: the fields as typed (a number, or the text while it is not one). */
export interface StepForm {
  /** Stable key for the list while steps move. */
  readonly uid: number;
  op: PreprocessOp;
  values: Record<string, NumberInput>;
}

let nextUid = 1;

/** A new step with its defaults. */
export function newStep(op: PreprocessOp): StepForm {
  return { uid: nextUid++, op, values: { ...DEFAULTS[op] } };
}

/** The editor's rows for recorded steps (to import again with the same preprocessing). */
export function stepsToForm(steps: readonly PreprocessStep[]): StepForm[] {
  return steps.map((s) => {
    const row = newStep(s.op);
    for (const f of OPS[s.op].fields) {
      const v = (s as Record<string, unknown>)[f.name];
      row.values[f.name] = typeof v === 'number' ? v : '';
    }
    return row;
  });
}

/** The step a row describes (not yet validated): empty optional fields are left out, other text becomes NaN. */
export function rowToStep(row: StepForm): Record<string, unknown> {
  const step: Record<string, unknown> = { op: row.op };
  for (const f of OPS[row.op].fields) {
    const raw = row.values[f.name] ?? '';
    if (f.optional && typeof raw === 'string' && raw.trim() === '') continue;
    step[f.name] = toNumber(raw);
  }
  return step;
}

export type StepsValidation = { ok: true; steps: PreprocessStep[]; errors: FieldErrors } | { ok: false; errors: FieldErrors };

const StepList = z.array(PreprocessStep).max(MAX_STEPS);

/** "Step 3 (patches), size" — how a message names the field it is about. */
export function fieldLabel(rows: readonly StepForm[], index: number, field?: string): string {
  const row = rows[index];
  const step = `Step ${index + 1}${row ? ` (${OPS[row.op].label.toLowerCase()})` : ''}`;
  const f = row && field ? OPS[row.op].fields.find((x) => x.name === field) : undefined;
  return f ? `${step}, ${f.label.toLowerCase()}` : step;
}

type StepIssue = Parameters<typeof issueMessage>[0] & { inclusive?: boolean };

/** As issueMessage, but exclusive bounds say so (σ > 0, 0 < test fraction < 1); for whole numbers, "at least 1". */
function stepIssueMessage(issue: StepIssue, integer: boolean): string {
  if (issue.code === 'too_small' && issue.origin === 'number' && issue.inclusive === false) {
    return integer && typeof issue.minimum === 'number' ? `Must be at least ${issue.minimum + 1}.` : `Must be greater than ${String(issue.minimum)}.`;
  }
  if (issue.code === 'too_big' && issue.origin === 'number' && issue.inclusive === false) return `Must be less than ${String(issue.maximum)}.`;
  return issueMessage(issue);
}

/**
 * Validates the rows with the contract's schema (the check datasets.import makes) plus the engine's rule of
 * at most one split. Each error keyed 'steps.<i>.<field>' reads "Step 2 (patches), size: Must be at least 2."
 */
export function validateSteps(rows: readonly StepForm[]): StepsValidation {
  const errors: FieldErrors = {};
  if (rows.length > MAX_STEPS) errors['steps'] = `At most ${MAX_STEPS} preprocessing steps; remove ${rows.length - MAX_STEPS}.`;
  const parsed = StepList.safeParse(rows.map(rowToStep));
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const [index, field] = issue.path;
      if (typeof index !== 'number') continue;
      const key = fieldKey(['steps', ...issue.path]);
      const spec = typeof field === 'string' ? OPS[rows[index]!.op].fields.find((f) => f.name === field) : undefined;
      errors[key] ??= `${fieldLabel(rows, index, typeof field === 'string' ? field : undefined)}: ${stepIssueMessage(issue as StepIssue, spec?.step === 1)}`;
    }
  }
  const splits = rows.flatMap((r, i) => (r.op === 'split' ? [i] : []));
  for (const i of splits.slice(1)) errors[`steps.${i}.op`] = `${fieldLabel(rows, i)}: the data is already split by step ${splits[0]! + 1}; only one split is allowed.`;
  if (Object.keys(errors).length || !parsed.success) return { ok: false, errors };
  return { ok: true, steps: parsed.data, errors };
}

/** The rows with the one at `index` moved by `delta` places (clamped to the list); the same list if it cannot move. */
export function moveStep<T>(rows: readonly T[], index: number, delta: number): T[] {
  const to = Math.max(0, Math.min(rows.length - 1, index + delta));
  if (index < 0 || index >= rows.length || to === index) return rows.slice();
  const next = rows.slice();
  const [row] = next.splice(index, 1);
  next.splice(to, 0, row!);
  return next;
}

export function removeStep<T>(rows: readonly T[], index: number): T[] {
  return rows.filter((_, i) => i !== index);
}

/** A recorded step in words, e.g. "patches 8×8, stride 4, at most 500, seed 0". */
export function describeStep(step: PreprocessStep): string {
  switch (step.op) {
    case 'grayscale':
    case 'scale01':
    case 'remove-mean':
      return step.op;
    case 'high-pass':
      return `high-pass σ = ${step.sigma}`;
    case 'crop':
      return `crop ${step.width}×${step.height} at (${step.x}, ${step.y})`;
    case 'resize':
      return `resize to ${step.width}×${step.height}`;
    case 'patches':
      return `patches ${step.size}×${step.size}, stride ${step.stride}${step.max !== undefined ? `, at most ${step.max}` : ''}, seed ${step.seed}`;
    case 'split':
      return `split ${step.testFraction} to test, seed ${step.seed}`;
  }
}
