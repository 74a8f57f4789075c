/** Pure rules of the learning-session panel: which checkpoint to show, when a session can resume, whether a preview shows anything. */
import type { RunPreview, RunStatus, RunSummary } from '../../../src-shared/contract';

/** Statuses from which sessions.resume continues a session (a finished one has nothing left to do). */
export const RESUMABLE_STATUSES: readonly RunStatus[] = ['cancelled', 'failed', 'interrupted'];

/** A stopped, failed or interrupted learning session with a checkpoint to continue from. */
export function isResumable(summary: Pick<RunSummary, 'kind' | 'status' | 'checkpointIteration'> | null | undefined): boolean {
  return !!summary && summary.kind === 'learning' && RESUMABLE_STATUSES.includes(summary.status) && summary.checkpointIteration !== undefined;
}

export interface CheckpointInfo {
  readonly iteration: number;
  /**
   * True when the host reported it (RunSummary.checkpointIteration); false when it follows from the
   * schedule while the session runs: the engine saves one after every `checkpointEvery`-th iteration.
   */
  readonly saved: boolean;
}

/**
 * The checkpoint to show: the one the host reported, or, while the session runs, the newest one its
 * schedule has made since (the host announces checkpoints only with the next status change).
 */
export function checkpointInfo(savedIteration: number | undefined, iteration: number, checkpointEvery: number, running: boolean): CheckpointInfo | null {
  const scheduled = running && checkpointEvery > 0 && iteration > 0 ? Math.floor(iteration / checkpointEvery) * checkpointEvery : 0;
  if (savedIteration !== undefined && savedIteration >= scheduled) return { iteration: savedIteration, saved: true };
  return scheduled > 0 ? { iteration: scheduled, saved: false } : null;
}

/** Whether a preview has anything to draw (runs.preview of a session that saved nothing has no atoms and no images). */
export function hasPreviewContent(p: RunPreview | null | undefined): p is RunPreview {
  return !!p && (p.atoms.length > 0 || !!p.input || !!p.reconstruction);
}

/** Title of a layer's atom grid: a single dictionary, layer 1's filters, or deeper layers' effective atoms. */
export function atomGridTitle(layer: number, layers: number): string {
  if (layers === 1 && layer === 1) return 'Dictionary atoms';
  return layer === 1 ? 'Layer 1 atoms' : `Layer ${layer} effective atoms (D1⋯D${layer})`;
}
