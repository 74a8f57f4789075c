import type { RunPreview } from '../../../src-shared/contract';

/**
 * The engine sends a run's atoms and input once, then only reconstructions: a later preview of the same run
 * keeps what it leaves out.
 */
export function mergePreview(previous: RunPreview | null, next: RunPreview): RunPreview {
  const same = previous?.runId === next.runId ? previous : undefined;
  const input = next.input ?? same?.input;
  const reconstruction = next.reconstruction ?? same?.reconstruction;
  return {
    runId: next.runId,
    atoms: next.atoms.length ? next.atoms : (same?.atoms ?? []),
    ...(input ? { input } : {}),
    ...(reconstruction ? { reconstruction } : {}),
  };
}
