/**
 * A colour per run that never changes: chosen from the run's id alone (FNV-1a hash into a fixed palette), so
 * a run keeps its colour in every chart, table and session whatever other runs exist, are added or are
 * selected. Twelve mid-tone colours that read on the light and the dark surface alike; two runs may share
 * one (then the legend's names tell them apart).
 */

export const RUN_COLORS: readonly string[] = [
  '#3b7ddd', // blue
  '#e0702d', // orange
  '#2a9d6f', // green
  '#a15bd4', // purple
  '#d6455d', // red
  '#1c9bb0', // teal
  '#c49a1a', // ochre
  '#d45fa8', // pink
  '#6a8a2a', // olive
  '#7a6ee6', // indigo
  '#b3643c', // brown
  '#5a7d99', // slate
];

/** 32-bit FNV-1a of the UTF-16 code units: fast, stable across sessions and platforms, well spread. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function runColorIndex(runId: string): number {
  return fnv1a(runId) % RUN_COLORS.length;
}

export function runColor(runId: string): string {
  return RUN_COLORS[runColorIndex(runId)]!;
}

/** `#rrggbb` with an alpha channel, for the faint raw curve behind a smoothed one. */
export function withAlpha(hex: string, alpha: number): string {
  const m = /^#([0-9a-f]{6})$/i.exec(hex);
  if (!m) throw new Error(`not a #rrggbb colour: ${hex}`);
  const a = Math.round(Math.min(1, Math.max(0, alpha)) * 255);
  return `#${m[1]}${a.toString(16).padStart(2, '0')}`;
}
