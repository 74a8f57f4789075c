/**
 * The window title during long jobs: "42% · Learn · Sparseland Studio" while something runs, so the progress
 * is seen from the taskbar or another tab. Pure: the notify store feeds it the jobs it follows.
 */

export const PRODUCT_TITLE = 'Sparseland Studio';

export interface JobProgress {
  readonly runId: string;
  /** 0…1; unknown until the first run.progress. */
  readonly fraction: number | null;
  /** What runs: Pursuit, Learn or Phase transition. */
  readonly label: string;
}

/** Whole percent, never 100 while the job is still going (rounding must not claim it is done). */
export function percentOf(fraction: number): number {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  return Math.floor(clamped * 100);
}

/**
 * The title for the jobs running now. With several, the one furthest behind decides the percentage (the
 * wait is until it ends) and the count is said.
 */
export function windowTitle(jobs: readonly JobProgress[], base = PRODUCT_TITLE): string {
  if (!jobs.length) return base;
  const slowest = jobs.reduce((a, b) => ((b.fraction ?? 0) < (a.fraction ?? 0) ? b : a));
  const pct = slowest.fraction === null ? '…' : `${percentOf(slowest.fraction)}%`;
  const more = jobs.length > 1 ? ` (+${jobs.length - 1})` : '';
  return `${pct} · ${slowest.label}${more} · ${base}`;
}

/** The kind of a run as the views name it. */
export function jobLabel(kind: 'pursuit' | 'learning' | 'phase' | undefined): string {
  return kind === 'learning' ? 'Learn' : kind === 'phase' ? 'Phase transition' : 'Pursuit';
}
