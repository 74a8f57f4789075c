/**
 * CSV (RFC 4180) of what a chart shows: a header row, then one row per point or cell; CRLF line ends.
 * Numbers are written in full (String(v)), so an export can be re-plotted exactly; an empty field is a
 * missing value.
 */

export type CsvValue = string | number | boolean | null | undefined;

/** One field, quoted when it holds a comma, a quote, a line break or leading/trailing spaces. */
export function csvField(v: CsvValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : Number.isNaN(v) ? '' : String(v);
  const s = String(v);
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/**
 * Line series side by side: one column per series, one row per x value any series has (ascending); a series
 * without a point at that x leaves its field empty.
 */
export function seriesCsv(xName: string, series: readonly { readonly name: string; readonly points: readonly (readonly [number, number])[] }[]): string {
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  const byX = series.map((s) => new Map(s.points.map((p) => [p[0], p[1]])));
  return toCsv(
    [xName, ...series.map((s) => s.name)],
    xs.map((x) => [x, ...byX.map((m) => m.get(x))]),
  );
}

/** A grid in long form: one row per cell, `values[y][x]` with its two labels; null cells stay empty. */
export function gridCsv(
  names: { readonly x: string; readonly y: string; readonly value: string },
  xLabels: readonly (string | number)[],
  yLabels: readonly (string | number)[],
  values: readonly (readonly (number | null)[])[],
): string {
  const rows: CsvValue[][] = [];
  yLabels.forEach((y, i) => xLabels.forEach((x, j) => rows.push([x, y, values[i]?.[j] ?? null])));
  return toCsv([names.x, names.y, names.value], rows);
}
