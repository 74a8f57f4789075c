/**
 * Nothing lost: runs the app was in the middle of when it stopped (crash, power cut, quit) are marked
 * 'interrupted' by the host when the project opens. This store lists them for the banner and carries out the
 * user's choice per run: Resume (a learning session from its last checkpoint; any other run started again
 * with the same settings) or Discard (to the project's trash, with undo). "Later" hides the banner for this
 * project until the window is reloaded.
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { LearnConfig, PhaseConfig, RunConfig, RunSummary } from '../../../src-shared/contract';
import { useStudioClient } from '../client';
import { useAppStore } from './app';
import { useLearnStore } from './learn';
import { useProjectStore } from './project';
import { useRunStore } from './run';
import { useTheoryStore } from './theory';
import { useViewStore } from './view';

/** What Resume does for a run: continue it from its checkpoint, or start it again with its settings. */
export function resumeKind(r: Pick<RunSummary, 'kind' | 'checkpointIteration'>): 'checkpoint' | 'restart' {
  return r.kind === 'learning' && r.checkpointIteration !== undefined ? 'checkpoint' : 'restart';
}

export const useInterruptedStore = defineStore('interrupted', () => {
  const client = useStudioClient();
  const app = useAppStore();
  const project = useProjectStore();
  /** project dir → run ids the user has dealt with or put off. */
  const handled = ref<Map<string, Set<string>>>(new Map());
  const busyId = ref<string | null>(null);

  const runs = computed(() => {
    const dir = project.current?.dir;
    if (!dir) return [];
    const done = handled.value.get(dir);
    return project.runs.filter((r) => r.status === 'interrupted' && !done?.has(r.id));
  });

  function markHandled(ids: readonly string[]) {
    const dir = project.current?.dir;
    if (!dir) return;
    const next = new Map(handled.value);
    next.set(dir, new Set([...(next.get(dir) ?? []), ...ids]));
    handled.value = next;
  }

  /** Hides the banner (the runs stay in the list, marked interrupted). */
  function later() {
    markHandled(runs.value.map((r) => r.id));
  }

  async function fetchConfig(r: RunSummary): Promise<RunConfig | LearnConfig | PhaseConfig> {
    return (await client['runs.get']({ runId: r.id })).config;
  }

  /** Resumes or restarts one run and shows it; false (and a banner) when that was refused. */
  async function resume(r: RunSummary): Promise<boolean> {
    if (busyId.value) return false;
    busyId.value = r.id;
    const view = useViewStore();
    try {
      if (resumeKind(r) === 'checkpoint') {
        await view.openRun(r);
        const learn = useLearnStore();
        if (learn.runId !== r.id || !(await learn.resume())) return false;
        markHandled([r.id]);
        return true;
      }
      let config;
      try {
        config = await fetchConfig(r);
      } catch (err) {
        app.reportError(err, `Reading the settings of run ${r.name || r.id}`);
        return false;
      }
      let ok: boolean;
      if ('pursuit' in config) {
        view.show('pursuit');
        ok = await useRunStore().start(config);
      } else if ('method' in config) {
        view.show('learn');
        ok = await useLearnStore().start(config);
      } else {
        // A phase-transition experiment is started from the Theory forms: put its settings there first.
        const theory = useTheoryStore();
        await view.openRun(r);
        ok = theory.loadPhaseSettings() && (await theory.startPhase());
      }
      if (ok) markHandled([r.id]);
      return ok;
    } finally {
      busyId.value = null;
    }
  }

  /** Moves the run to the trash (the toast offers undo; restored, it is listed here again). */
  async function discard(r: RunSummary): Promise<boolean> {
    if (busyId.value) return false;
    busyId.value = r.id;
    try {
      return await project.deleteRun(r.id);
    } finally {
      busyId.value = null;
    }
  }

  return { runs, busyId, resume, discard, later };
});
