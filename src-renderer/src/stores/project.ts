/**
 * The open project and the recent ones. Fetches once, then mirrors the host: project.changed replaces
 * the project, run.status updates one run's summary in place.
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { ProjectSummary, Result, RunSummary } from '../../../src-shared/contract';
import { useStudioClient } from '../client';
import { useAppStore } from './app';

export type RecentProject = Result<'projects.recent'>[number];

/** Newest first; runs without a parseable date keep their order at the end. */
export function sortRuns(runs: readonly RunSummary[]): RunSummary[] {
  const t = (r: RunSummary) => {
    const v = Date.parse(r.createdAt);
    return Number.isNaN(v) ? -Infinity : v;
  };
  return [...runs].sort((a, b) => t(b) - t(a));
}

/** Replaces the run with the same id, or adds it. */
export function upsertRun(runs: readonly RunSummary[], run: RunSummary): RunSummary[] {
  const i = runs.findIndex((r) => r.id === run.id);
  if (i < 0) return [...runs, run];
  const next = runs.slice();
  next[i] = run;
  return next;
}

export const useProjectStore = defineStore('project', () => {
  const client = useStudioClient();
  const app = useAppStore();
  const current = ref<ProjectSummary | null>(null);
  const recent = ref<RecentProject[]>([]);
  const busy = ref(false);
  const loaded = ref(false);
  const runs = computed(() => sortRuns(current.value?.runs ?? []));

  let disposers: (() => void)[] = [];

  function subscribe() {
    if (disposers.length) return;
    disposers = [
      client.on('project.changed', (p) => {
        current.value = p;
      }),
      client.on('run.status', (p) => {
        if (current.value) current.value = { ...current.value, runs: upsertRun(current.value.runs, p.summary) };
      }),
    ];
  }

  async function init() {
    subscribe();
    try {
      const [cur, rec] = await Promise.all([client['projects.current']({}), client['projects.recent']({})]);
      // An event may have delivered a newer project while we waited.
      current.value ??= cur;
      recent.value = rec;
    } catch (err) {
      app.reportError(err, 'Loading the project');
    } finally {
      loaded.value = true;
    }
  }

  async function refreshRecent() {
    try {
      recent.value = await client['projects.recent']({});
    } catch (err) {
      app.reportError(err, 'Listing recent projects');
    }
  }

  async function withBusy(context: string, action: () => Promise<ProjectSummary>): Promise<boolean> {
    busy.value = true;
    try {
      current.value = await action();
      void refreshRecent();
      return true;
    } catch (err) {
      app.reportError(err, context);
      return false;
    } finally {
      busy.value = false;
    }
  }

  function create(name: string, dir: string): Promise<boolean> {
    return withBusy('Creating the project', () => client['projects.create']({ name: name.trim(), dir: dir.trim() }));
  }

  function open(dir: string): Promise<boolean> {
    return withBusy('Opening the project', () => client['projects.open']({ dir: dir.trim() }));
  }

  async function refreshRuns() {
    if (!current.value) return;
    try {
      const list = await client['runs.list']({});
      if (current.value) current.value = { ...current.value, runs: list };
    } catch (err) {
      app.reportError(err, 'Listing the runs');
    }
  }

  function dispose() {
    for (const d of disposers) d();
    disposers = [];
  }

  return { current, recent, runs, busy, loaded, init, create, open, refreshRecent, refreshRuns, dispose };
});
