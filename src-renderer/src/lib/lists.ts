/**
 * Lists typed as text: the phase transition's sparsity axis ("1-12", "1,2,4,8", "1-4, 6, 8-12") and its
 * noise axis ("0, 0.05, 0.1"). Axes are drawn in ascending order, so the values come back sorted and without
 * repeats; the messages say what was wrong and where.
 */

export type ListParse = { readonly ok: true; readonly values: number[] } | { readonly ok: false; readonly error: string };

export interface ListLimits {
  readonly min?: number;
  readonly max?: number;
  /** The most values the list may hold (a range counts every value in it). */
  readonly maxCount?: number;
}

function sortedUnique(values: readonly number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

function checkBounds(values: readonly number[], limits: ListLimits): string | null {
  const { min, max, maxCount } = limits;
  const low = values.find((v) => min !== undefined && v < min);
  if (low !== undefined) return `${low} is below the smallest allowed value, ${min}.`;
  const high = values.find((v) => max !== undefined && v > max);
  if (high !== undefined) return `${high} is above the largest allowed value, ${max}.`;
  if (maxCount !== undefined && values.length > maxCount) return `${values.length} values are too many; at most ${maxCount}.`;
  return null;
}

/** Entries separated by commas, semicolons or spaces (a range's dash may have spaces around it). */
function entries(text: string): string[] {
  return text
    .replace(/\s*[-–]\s*/g, '-')
    .split(/[\s,;]+/)
    .filter((t) => t !== '');
}

/**
 * Whole numbers and inclusive ranges: "1-12" → 1…12, "1,2,4,8", "1-4, 6". A range may be written "12-1"
 * (it is the same set). Empty text is an error: an axis needs at least one value.
 */
export function parseIntegerList(text: string, limits: ListLimits = {}): ListParse {
  const parts = entries(text);
  if (!parts.length) return { ok: false, error: 'Enter at least one whole number, e.g. "1-12" or "1, 2, 4, 8".' };
  const values: number[] = [];
  // Ranges are expanded one by one, so a typo like "1-1000000" fails on the count, not on memory.
  const cap = (limits.maxCount ?? 4096) + 1;
  for (const part of parts) {
    const range = /^(\d+)-(\d+)$/.exec(part);
    if (range) {
      const a = Number(range[1]);
      const b = Number(range[2]);
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      if (hi - lo + 1 > cap) return { ok: false, error: `The range ${part} holds ${hi - lo + 1} values; at most ${cap - 1}.` };
      for (let v = lo; v <= hi; v++) values.push(v);
      continue;
    }
    if (!/^\d+$/.test(part)) return { ok: false, error: `"${part}" is not a whole number or a range like 1-12.` };
    values.push(Number(part));
  }
  const unique = sortedUnique(values);
  const bad = checkBounds(unique, limits);
  return bad ? { ok: false, error: bad } : { ok: true, values: unique };
}

/** Numbers (decimals and exponents allowed, no ranges): "0, 0.05, 1e-1". */
export function parseNumberList(text: string, limits: ListLimits = {}): ListParse {
  const parts = text.split(/[\s,;]+/).filter((t) => t !== '');
  if (!parts.length) return { ok: false, error: 'Enter at least one number, e.g. "0, 0.05, 0.1".' };
  const values: number[] = [];
  for (const part of parts) {
    const v = Number(part);
    if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(part) || !Number.isFinite(v)) return { ok: false, error: `"${part}" is not a number.` };
    values.push(v);
  }
  const unique = sortedUnique(values);
  const bad = checkBounds(unique, limits);
  return bad ? { ok: false, error: bad } : { ok: true, values: unique };
}

/** The shortest text for a list of whole numbers: runs of consecutive values become ranges ("1-4, 6, 8-10"). */
export function formatIntegerList(values: readonly number[]): string {
  const v = sortedUnique(values);
  const out: string[] = [];
  for (let i = 0; i < v.length; ) {
    let j = i;
    while (j + 1 < v.length && v[j + 1] === v[j]! + 1) j++;
    out.push(j - i >= 2 ? `${v[i]}-${v[j]}` : v.slice(i, j + 1).join(', '));
    i = j + 1;
  }
  return out.join(', ');
}
