/**
 * The open project and the recent ones. Fetches once, then mirrors the host: project.changed replaces
 * the project, run.status updates one run's summary in place. Also the edits of a run (name, notes, tags),
 * deleting one (with undo), and "Save as". The host writes every change at once; `saving` and `savedAt`
 * tell the project bar whether a write is still on its way.
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { ExportedFile, ExportFormat, Params, ProjectSummary, Result, RunExports, RunSummary } from '../../../src-shared/contract';
import { useStudioClient } from '../client';
import { useAppStore } from './app';
import { useToastStore } from './toasts';

export type RecentProject = Result<'projects.recent'>[number];

/** Newest first; runs without a parseable date keep their order at the end. */
export function sortRuns(runs: readonly RunSummary[]): RunSummary[] {
  const t = (r: RunSummary) => {
    const v = Date.parse(r.createdAt);
    return Number.isNaN(v) ? -Infinity : v;
  };
  return [...runs].sort((a, b) => t(b) - t(a));
}

export type RunEdit = Omit<Params<'runs.update'>, 'runId'>;

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
  const toasts = useToastStore();
  const current = ref<ProjectSummary | null>(null);
  const recent = ref<RecentProject[]>([]);
  const busy = ref(false);
  const loaded = ref(false);
  const runs = computed(() => sortRuns(current.value?.runs ?? []));
  /** Writes asked of the host and not answered yet. */
  const pendingWrites = ref(0);
  const saving = computed(() => pendingWrites.value > 0);
  /** When the host last confirmed a write of this window (ms since the epoch), null before the first. */
  const savedAt = ref<number | null>(null);
  /** The project to offer reopening when none is open (the most recent one). */
  const lastProject = computed(() => (current.value ? null : (recent.value[0] ?? null)));

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

  /** Runs one write through the host, counted in `saving`; its result, or null (and a banner) if refused. */
  async function write<T>(context: string, action: () => Promise<T>): Promise<T | null> {
    pendingWrites.value++;
    try {
      const r = await action();
      savedAt.value = Date.now();
      return r;
    } catch (err) {
      app.reportError(err, context);
      return null;
    } finally {
      pendingWrites.value--;
    }
  }

  function replaceRun(summary: RunSummary) {
    if (current.value && current.value.runs.some((r) => r.id === summary.id)) current.value = { ...current.value, runs: upsertRun(current.value.runs, summary) };
  }

  /** Renames a run or sets its notes or tags; the updated summary, or null when the host refused. */
  async function updateRun(runId: string, edit: RunEdit): Promise<RunSummary | null> {
    const what = edit.name !== undefined ? 'Renaming the run' : edit.notes !== undefined ? 'Saving the notes' : 'Saving the tags';
    const summary = await write(what, () => client['runs.update']({ runId, ...edit }));
    if (summary) replaceRun(summary);
    return summary;
  }

  /** Brings a deleted run back from the project's trash. */
  async function restoreRun(runId: string): Promise<RunSummary | null> {
    const summary = await write('Restoring the run', () => client['runs.restore']({ runId }));
    if (summary && current.value) current.value = { ...current.value, runs: upsertRun(current.value.runs, summary) };
    if (summary) toasts.show(`Restored “${summary.name || summary.id}”.`, { kind: 'success' });
    return summary;
  }

  /** Moves a run to the project's trash and offers to undo that for a few seconds. */
  async function deleteRun(runId: string): Promise<boolean> {
    const run = current.value?.runs.find((r) => r.id === runId);
    const dir = current.value?.dir;
    const done = await write('Deleting the run', () => client['runs.delete']({ runId }));
    if (!done) return false;
    if (current.value) current.value = { ...current.value, runs: current.value.runs.filter((r) => r.id !== runId) };
    toasts.show(`Deleted “${run?.name || runId}”.`, {
      action: {
        label: 'Undo',
        // The trash belongs to the project it was deleted from.
        run: () => (current.value?.dir === dir ? restoreRun(runId) : app.warn(`The run was deleted from ${dir}, which is no longer open; open it again to restore the run from its trash.`, 'Undo')),
      },
    });
    return true;
  }

  /** Copies the project (runs, data sets) to another folder, optionally renamed, and opens the copy. */
  function saveAs(dir: string, name?: string): Promise<boolean> {
    const n = name?.trim();
    return withBusy('Saving the project as a copy', async () => {
      const r = await client['projects.saveAs']({ dir: dir.trim(), ...(n ? { name: n } : {}) });
      savedAt.value = Date.now();
      return r;
    });
  }

  /** What a run can be exported as (its arrays with shapes, and the formats on offer); null (and a banner) on failure. */
  async function listExports(runId: string): Promise<RunExports | null> {
    try {
      return await client['runs.exports']({ runId });
    } catch (err) {
      app.reportError(err, 'Listing what the run can be exported as');
      return null;
    }
  }

  /** One export of a run as a file to save (its name and media type come from the host); null (and a banner) on failure. */
  async function exportRun(runId: string, format: ExportFormat, array?: string): Promise<ExportedFile | null> {
    try {
      return await client['runs.export']({ runId, format, ...(array !== undefined ? { array } : {}) });
    } catch (err) {
      app.reportError(err, `Exporting the run as ${format === 'npy' ? `${array ?? 'an array'}.npy` : format === 'report' ? 'a report' : `.${format}`}`);
      return null;
    }
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

  return { current, recent, runs, busy, loaded, saving, savedAt, lastProject, init, create, open, saveAs, refreshRecent, refreshRuns, updateRun, deleteRun, restoreRun, listExports, exportRun, dispose };
});
