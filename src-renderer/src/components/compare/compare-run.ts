/** A selected run as the Compare view's sections receive it: its colour, a legend name unique among them, its details once loaded. */
import type { RunSummary } from '../../../../src-shared/contract';
import type { CompareDetail } from '../../stores/compare';

export interface CompareRun {
  readonly id: string;
  /** Unique among the selected runs (a shared name gets the id added). */
  readonly label: string;
  readonly color: string;
  readonly summary: RunSummary;
  readonly detail: CompareDetail | undefined;
}
