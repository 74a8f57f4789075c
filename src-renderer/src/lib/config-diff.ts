/**
 * Run configurations side by side: each config flattened to dotted paths (`params.atoms`, `data.kind`,
 * `params.filters.1` for the second entry of an array), the union of paths over the runs in the order they
 * first appear, and a flag on every row whose values are not all the same. A path one run lacks differs from
 * one it has, so a parameter only one method takes shows up as a difference.
 */

export type Leaf = string | number | boolean | null;

/** Path → leaf value; empty objects and arrays are leaves of their own (`{}` and `[]`), so nothing vanishes. */
export function flattenConfig(value: unknown, prefix = ''): Map<string, Leaf> {
  const out = new Map<string, Leaf>();
  visit(value, prefix, out);
  return out;
}

function visit(value: unknown, path: string, out: Map<string, Leaf>): void {
  if (Array.isArray(value)) {
    if (!value.length) out.set(path, '[]');
    value.forEach((v, i) => visit(v, join(path, String(i)), out));
    return;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (!entries.length) out.set(path, '{}');
    for (const [k, v] of entries) visit(v, join(path, k), out);
    return;
  }
  if (value === undefined) return;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null) out.set(path, value);
  else out.set(path, String(value));
}

function join(prefix: string, key: string): string {
  return prefix ? `${prefix}.${key}` : key;
}

export interface DiffRow {
  readonly path: string;
  /** One entry per run, in the order the configs were given; undefined where a run has no such path. */
  readonly values: readonly (Leaf | undefined)[];
  readonly differs: boolean;
}

function same(a: Leaf | undefined, b: Leaf | undefined): boolean {
  return Object.is(a, b) || (a === 0 && b === 0);
}

/** The rows of the diff of `configs` (one per run). */
export function configDiff(configs: readonly unknown[]): DiffRow[] {
  const flat = configs.map((c) => flattenConfig(c));
  const paths: string[] = [];
  const seen = new Set<string>();
  for (const f of flat)
    for (const p of f.keys())
      if (!seen.has(p)) {
        seen.add(p);
        paths.push(p);
      }
  return paths.map((path) => {
    const values = flat.map((f) => (f.has(path) ? f.get(path)! : undefined));
    return { path, values, differs: values.some((v) => !same(v, values[0])) };
  });
}

/** The rows to show: every row, or only those that differ. */
export function visibleDiffRows(rows: readonly DiffRow[], differencesOnly: boolean): DiffRow[] {
  return differencesOnly ? rows.filter((r) => r.differs) : rows.slice();
}

/** A value as shown in a cell: numbers in full (a diff must not round two different values to one). */
export function formatLeaf(v: Leaf | undefined): string {
  if (v === undefined) return '—';
  if (v === null) return 'null';
  if (typeof v === 'string') return v;
  return String(v);
}
