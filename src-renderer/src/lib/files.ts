/** Pure helpers for the in-app file browser: extension filters, ordering, path display. */

export interface Entry {
  readonly name: string;
  readonly path: string;
  readonly kind: 'file' | 'directory';
  readonly size?: number;
}

export interface PickFilter {
  readonly name: string;
  /** Lower-case extensions without the dot; empty means every file. */
  readonly extensions: readonly string[];
}

export const IMAGE_OR_ARRAY: PickFilter = { name: 'Images and arrays (.png, .npy)', extensions: ['png', 'npy'] };
export const NPY_ONLY: PickFilter = { name: 'NumPy arrays (.npy)', extensions: ['npy'] };
export const ALL_FILES: PickFilter = { name: 'All files', extensions: [] };

export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

export function matchesFilter(entry: Entry, filter: PickFilter | undefined): boolean {
  if (entry.kind === 'directory' || !filter || filter.extensions.length === 0) return true;
  return filter.extensions.includes(extensionOf(entry.name));
}

/** Directories first, then files, each by name (natural order, case-insensitive); hidden entries last. */
export function sortEntries<E extends Entry>(entries: readonly E[]): E[] {
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
  const rank = (e: Entry) => (e.kind === 'directory' ? 0 : 2) + (e.name.startsWith('.') ? 1 : 0);
  return [...entries].sort((a, b) => rank(a) - rank(b) || collator.compare(a.name, b.name));
}

/** Entries to show: filtered by extension and, optionally, without hidden (dot) entries. */
export function visibleEntries<E extends Entry>(entries: readonly E[], filter: PickFilter | undefined, showHidden: boolean): E[] {
  return sortEntries(entries.filter((e) => matchesFilter(e, filter) && (showHidden || !e.name.startsWith('.'))));
}

/** Splits a path into clickable segments: [{label, path}] from the root to the folder itself. */
export function breadcrumbs(dir: string): { label: string; path: string }[] {
  const windows = /^[A-Za-z]:[\\/]/.test(dir) || dir.includes('\\');
  const sep = windows ? '\\' : '/';
  const parts = dir.split(/[\\/]+/).filter(Boolean);
  const out: { label: string; path: string }[] = [];
  let acc = '';
  if (!windows && dir.startsWith('/')) {
    out.push({ label: '/', path: '/' });
  }
  for (const [i, p] of parts.entries()) {
    if (windows) acc = i === 0 ? `${p}${sep}` : `${acc}${acc.endsWith(sep) ? '' : sep}${p}`;
    else acc = i === 0 && !dir.startsWith('/') ? p : `${acc}/${p}`;
    out.push({ label: p, path: acc });
  }
  return out;
}
