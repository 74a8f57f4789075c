/**
 * Which workbench is on show: Data (the project's data sets), Pursuit (run a model on data), Learn (learning sessions) or Theory (models
 * with known representations, theorems held against pursuits, phase transitions) or Compare (runs side by side). Opening a run from the
 * list shows it in the view of its kind.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { RunSummary } from '../../../src-shared/contract';
import { useLearnStore } from './learn';
import { useRunStore } from './run';
import { useTheoryStore } from './theory';

export type WorkbenchView = 'data' | 'pursuit' | 'learn' | 'theory' | 'compare';
export const VIEWS: readonly WorkbenchView[] = ['data', 'pursuit', 'learn', 'theory', 'compare'];
export const VIEW_LABELS: Record<WorkbenchView, string> = { data: 'Data', pursuit: 'Pursuit', learn: 'Learn', theory: 'Theory', compare: 'Compare' };

export const useViewStore = defineStore('view', () => {
  const run = useRunStore();
  const learn = useLearnStore();
  const theory = useTheoryStore();
  const view = ref<WorkbenchView>('pursuit');

  function show(v: WorkbenchView) {
    view.value = v;
  }

  /** Shows a run of the project: a learning session in Learn, a phase transition in Theory, a pursuit run in Pursuit. */
  function openRun(r: Pick<RunSummary, 'id' | 'kind'>): Promise<void> {
    if (r.kind === 'learning') {
      view.value = 'learn';
      return learn.select(r.id);
    }
    if (r.kind === 'phase') {
      view.value = 'theory';
      return theory.selectPhase(r.id);
    }
    view.value = 'pursuit';
    return run.select(r.id);
  }

  /** The run the current view shows (marked in the run list). */
  function currentRunId(): string | null {
    if (view.value === 'data' || view.value === 'compare') return null;
    return view.value === 'learn' ? learn.runId : view.value === 'theory' ? theory.phaseRunId : run.runId;
  }

  return { view, show, openRun, currentRunId };
});
