/**
 * Pure helpers of the Data view: the list's order, shapes in words, the file filter of the import dialog,
 * and how files dropped on the view are grouped into imports (several images become one image folder, as
 * datasets.upload makes them; every other file is a data set of its own).
 */
import { DatasetImportParams, type DatasetSummary } from '../../../src-shared/contract';
import { extensionOf, type PickFilter } from './files';
import { validateSteps, type StepForm } from './preprocess-form';
import { fieldKey, issueMessage, type FieldErrors } from './run-form';

/** Newest first; data sets without a parseable date keep their order at the end. */
export function sortDatasets(list: readonly DatasetSummary[]): DatasetSummary[] {
  const t = (d: DatasetSummary) => {
    const v = Date.parse(d.createdAt);
    return Number.isNaN(v) ? -Infinity : v;
  };
  return [...list].sort((a, b) => t(b) - t(a));
}

/** Replaces the data set with the same id, or adds it. */
export function upsertDataset(list: readonly DatasetSummary[], d: DatasetSummary): DatasetSummary[] {
  const i = list.findIndex((x) => x.id === d.id);
  if (i < 0) return [...list, d];
  const next = list.slice();
  next[i] = d;
  return next;
}

/** "16×1×8×8": a shape as the UI prints it (and as e2e tests read it from data-shape). */
export function shapeText(shape: readonly number[]): string {
  return shape.length ? shape.join('×') : 'scalar';
}

/** "16 items · 1 channel · 8×8" (H = 1: "1-D signals of 64 samples"). */
export function describeNchw(shape: readonly number[]): string {
  const [n = 0, c = 0, h = 0, w = 0] = shape;
  const items = `${n} item${n === 1 ? '' : 's'}`;
  if (h === 1) return `${items} · ${c} channel${c === 1 ? '' : 's'} · 1-D signals of ${w} samples`;
  return `${items} · ${c} channel${c === 1 ? '' : 's'} · ${h}×${w}`;
}

/** Items in the training set: N of the stored data (the test split, if any, is stored apart). */
export function trainItems(d: Pick<DatasetSummary, 'stats'>): number {
  return d.stats.shape[0] ?? 0;
}

export const IMAGE_FILE_EXTENSIONS: readonly string[] = ['png', 'jpg', 'jpeg', 'jpe', 'tif', 'tiff', 'bmp', 'dib'];

/** The formats datasets.import reads (extensions valid for native dialogs: letters and digits only). */
export const DATA_FILES: PickFilter = {
  name: 'Data files (images, IDX, .npy, .npz, .mat, CSV)',
  extensions: [...IMAGE_FILE_EXTENSIONS, 'idx', 'idx1', 'idx2', 'idx3', 'idx4', 'ubyte', 'gz', 'npy', 'npz', 'mat', 'csv', 'tsv', 'tab', 'txt'],
};

/** Files that need an array name: .npz and .mat hold several. */
export function holdsArrays(path: string): boolean {
  const ext = extensionOf(path.replace(/[\\/]+$/, ''));
  return ext === 'npz' || ext === 'mat';
}

export function isImageName(name: string): boolean {
  return IMAGE_FILE_EXTENSIONS.includes(extensionOf(name));
}

/** A name for a data set from its file or folder name: without folders and the last extension. */
export function datasetNameFromPath(path: string): string {
  const base = path.replace(/[\\/]+$/, '').split(/[\\/]/).pop() ?? '';
  const name = base.replace(/\.gz$/i, '').replace(/\.[A-Za-z0-9]+$/, '');
  return (name || base).slice(0, 200);
}

/** The imports a drop of `names` makes: indices of the files of each. Two or more images go together. */
export function groupDroppedFiles(names: readonly string[]): number[][] {
  const images = names.flatMap((n, i) => (isImageName(n) ? [i] : []));
  const groups: number[][] = [];
  if (images.length >= 2) groups.push(images);
  names.forEach((n, i) => {
    if (!(images.length >= 2 && isImageName(n))) groups.push([i]);
  });
  return groups;
}

/**
 * The headless server refuses a WebSocket message over 512 MiB (the frame codec's limit), so larger drops
 * are refused before reading them, with a little room for the message around the files (importing by path
 * has no such limit).
 */
export const MAX_UPLOAD_BYTES = 500 * 1024 * 1024;

/** What became of one dropped file. */
export interface DropOutcome {
  readonly name: string;
  readonly ok: boolean;
  /** The data set it went into, or why it failed. */
  readonly message: string;
}

/** The import dialog's fields. */
export interface ImportFormState {
  path: string;
  name: string;
  stored: 'reference' | 'copy';
  /** The array of an .npz/.mat ('' = the first numeric one). */
  array: string;
  steps: StepForm[];
}

export function defaultImportForm(): ImportFormState {
  return { path: '', name: '', stored: 'reference', array: '', steps: [] };
}

export type ImportValidation = { ok: true; params: DatasetImportParams; errors: FieldErrors } | { ok: false; errors: FieldErrors };

/**
 * The datasets.import parameters the dialog describes, checked with the contract's schema (the host's own
 * check) and the preprocessing rows with validateSteps; errors keyed 'path', 'name', 'array', 'steps.i.field'.
 */
export function validateImportForm(form: ImportFormState): ImportValidation {
  const errors: FieldErrors = {};
  const path = form.path.trim();
  if (!path) errors['path'] = 'Choose or type the file or folder to import.';
  const steps = validateSteps(form.steps);
  Object.assign(errors, steps.errors);
  const name = form.name.trim();
  const array = form.array.trim();
  const parsed = DatasetImportParams.safeParse({
    path,
    stored: form.stored,
    ...(name ? { name } : {}),
    ...(array && holdsArrays(path) ? { array } : {}),
    preprocessing: steps.ok ? steps.steps : [],
  });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = fieldKey(issue.path);
      // The steps were checked row by row above, with messages naming the step.
      if (key.startsWith('preprocessing')) continue;
      errors[key] ??= issueMessage(issue as Parameters<typeof issueMessage>[0]);
    }
  }
  if (Object.keys(errors).length || !parsed.success) return { ok: false, errors };
  return { ok: true, params: parsed.data, errors };
}

/**
 * The path on disk of a dropped file, where the desktop app's preload can tell (`pathForFile`, backed by
 * Electron's webUtils.getPathForFile); null in a browser, for a file not backed by one, or if the bridge fails.
 */
export function desktopPath(bridge: unknown, file: File): string | null {
  const fn = (bridge as { pathForFile?: unknown } | null | undefined)?.pathForFile;
  if (typeof fn !== 'function') return null;
  try {
    const p: unknown = fn.call(bridge, file);
    return typeof p === 'string' && p !== '' ? p : null;
  } catch {
    return null;
  }
}
