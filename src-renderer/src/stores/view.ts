/**
 * Which workbench is on show: Pursuit (run a model on data) or Learn (learning sessions). Opening a run
 * from the list shows it in the view of its kind.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { RunSummary } from '../../../src-shared/contract';
import { useLearnStore } from './learn';
import { useRunStore } from './run';

export type WorkbenchView = 'pursuit' | 'learn';
export const VIEWS: readonly WorkbenchView[] = ['pursuit', 'learn'];

export const useViewStore = defineStore('view', () => {
  const run = useRunStore();
  const learn = useLearnStore();
  const view = ref<WorkbenchView>('pursuit');

  function show(v: WorkbenchView) {
    view.value = v;
  }

  /** Shows a run of the project: a learning session in Learn, a pursuit run in Pursuit. */
  function openRun(r: Pick<RunSummary, 'id' | 'kind'>): Promise<void> {
    if (r.kind === 'learning') {
      view.value = 'learn';
      return learn.select(r.id);
    }
    view.value = 'pursuit';
    return run.select(r.id);
  }

  /** The run the current view shows (marked in the run list). */
  function currentRunId(): string | null {
    return view.value === 'learn' ? learn.runId : run.runId;
  }

  return { view, show, openRun, currentRunId };
});
