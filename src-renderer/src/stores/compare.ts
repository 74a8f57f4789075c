/**
 * The Compare view: which runs are side by side, their details (runs.get: config and metrics, cached, kept
 * up to date from run.progress while a run goes on), and per run its snapshot iterations, atoms at a step
 * and theory figures. Also the view's settings: smoothing, x axis, log scale, the atoms' step, the metrics
 * charted.
 *
 * The table shows final figures of every run, so details are fetched for all runs of the project (a few at
 * a time); snapshots, atoms and theory only for the selected ones. Failures of the optional operations
 * (snapshots, atoms at a step, theory) are kept per run and shown where the figure would be: a run that
 * saved no codes, or a host without the operation, leaves the rest of the view working.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, triggerRef, watch } from 'vue';
import type { EventPayload, RunDetail, RunMetrics, RunPreview, RunSummary, RunTheory } from '../../../src-shared/contract';
import { useStudioClient } from '../client';
import { appendRecord, finalValues, normalizeRecords, type MetricKey, type XAxisMode } from '../lib/compare-metrics';
import { clampSmoothing } from '../lib/ema';
import { describeError } from '../lib/errors';
import { useAppStore } from './app';
import { useProjectStore } from './project';

export interface CompareDetail {
  readonly summary: RunSummary;
  readonly config: RunDetail['config'];
  /** Normalised: a resumed iteration supersedes what came after it. */
  readonly metrics: readonly RunMetrics[];
  /** Last finite value of each named figure. */
  readonly finals: Readonly<Record<string, number>>;
}

export type Loadable<T> = { readonly state: 'loading' } | { readonly state: 'loaded'; readonly value: T } | { readonly state: 'failed'; readonly error: string };

/** How many runs.get requests may be in flight at once (the host reads each run's metrics file). */
const DETAIL_CONCURRENCY = 4;
/** Atom previews kept (each holds every layer's atoms). */
const PREVIEW_CACHE = 48;

const ACTIVE = new Set<RunSummary['status']>(['queued', 'running']);

function detailOf(d: RunDetail, metrics?: readonly RunMetrics[]): CompareDetail {
  const m = metrics ?? normalizeRecords(d.metrics);
  return { summary: d.summary, config: d.config, metrics: m, finals: finalValues(m) };
}

function previewKey(runId: string, iteration: number | null): string {
  return `${runId}@${iteration ?? 'last'}`;
}

export const useCompareStore = defineStore('compare', () => {
  const client = useStudioClient();
  const app = useAppStore();
  const project = useProjectStore();

  // ---- selection and settings
  const selected = ref<string[]>([]);
  const smoothing = ref(0);
  const xAxis = ref<XAxisMode>('step');
  const logY = ref(false);
  /** The atoms' step; null: the last step any selected run has. */
  const step = ref<number | null>(null);
  /** Metrics the user took off the charts (all others are charted). */
  const hiddenMetrics = ref<MetricKey[]>([]);

  // ---- caches (shallow: tensors and long metric lists must not become reactive proxies)
  const details = shallowRef(new Map<string, Loadable<CompareDetail>>());
  const snapshots = shallowRef(new Map<string, Loadable<readonly number[]>>());
  const previews = shallowRef(new Map<string, Loadable<RunPreview>>());
  const theories = shallowRef(new Map<string, Loadable<RunTheory>>());
  /** Metrics that arrived while a run's details were being fetched, applied once they are in. */
  const pending = new Map<string, RunMetrics[]>();
  /** Requests of a project that is no longer open are dropped when they answer. */
  let generation = 0;

  const selectedSet = computed(() => new Set(selected.value));

  function isSelected(id: string): boolean {
    return selectedSet.value.has(id);
  }

  function toggle(id: string, on = !isSelected(id)) {
    if (on === isSelected(id)) return;
    selected.value = on ? [...selected.value, id] : selected.value.filter((x) => x !== id);
    if (on) void loadSelected(id);
  }

  function select(ids: readonly string[]) {
    selected.value = [...new Set(ids)];
    for (const id of selected.value) void loadSelected(id);
  }

  function setSmoothing(v: number) {
    smoothing.value = clampSmoothing(v);
  }

  function setMetricShown(key: MetricKey, shown: boolean) {
    hiddenMetrics.value = shown ? hiddenMetrics.value.filter((k) => k !== key) : [...new Set([...hiddenMetrics.value, key])];
  }

  // ---- details

  function put<T>(cache: typeof details | typeof snapshots | typeof previews | typeof theories, key: string, value: Loadable<T>) {
    (cache.value as Map<string, Loadable<T>>).set(key, value);
    triggerRef(cache);
  }

  let inFlight = 0;
  const queue: string[] = [];

  function pump() {
    while (inFlight < DETAIL_CONCURRENCY && queue.length) {
      const id = queue.shift()!;
      inFlight++;
      void fetchDetail(id).finally(() => {
        inFlight--;
        pump();
      });
    }
  }

  async function fetchDetail(id: string): Promise<void> {
    const gen = generation;
    try {
      const d = await client['runs.get']({ runId: id });
      if (gen !== generation) return;
      let metrics = normalizeRecords(d.metrics);
      for (const m of pending.get(id) ?? []) metrics = appendRecord(metrics, m);
      pending.delete(id);
      put(details, id, { state: 'loaded', value: detailOf(d, metrics) });
    } catch (err) {
      if (gen !== generation) return;
      pending.delete(id);
      put(details, id, { state: 'failed', error: describeError(err).message });
      app.reportError(err, `Loading run ${id} for comparison`);
    }
  }

  /** Fetches the details of the runs not yet fetched (or failed, when `retry`). */
  function ensureDetails(ids: readonly string[], retry = false) {
    for (const id of ids) {
      const d = details.value.get(id);
      if (d && !(retry && d.state === 'failed')) continue;
      put(details, id, { state: 'loading' });
      queue.push(id);
    }
    pump();
  }

  /** Fetches a run's details again (it finished: the saved metrics and summary are the final word). */
  function refetchDetail(id: string) {
    if (details.value.get(id)?.state === 'loading') return;
    put(details, id, details.value.get(id) ?? { state: 'loading' });
    queue.push(id);
    pump();
  }

  function detail(id: string): CompareDetail | undefined {
    const d = details.value.get(id);
    return d?.state === 'loaded' ? d.value : undefined;
  }

  // ---- snapshots, atoms, theory of the selected runs

  async function load<T>(cache: typeof snapshots | typeof previews | typeof theories, key: string, fetch: () => Promise<T>, force = false): Promise<void> {
    const have = (cache.value as Map<string, Loadable<unknown>>).get(key);
    if (have && !force && have.state !== 'failed') return;
    const gen = generation;
    put(cache, key, { state: 'loading' });
    try {
      const value = await fetch();
      if (gen === generation) put(cache, key, { state: 'loaded', value });
    } catch (err) {
      // Shown next to the figure, not in the banner: a host without the operation, or a run without the
      // data, is an answer, not an accident.
      if (gen === generation) put(cache, key, { state: 'failed', error: describeError(err).message });
    }
  }

  function loadSnapshots(id: string, force = false) {
    return load(snapshots, id, async () => [...(await client['runs.snapshots']({ runId: id })).iterations].sort((a, b) => a - b), force);
  }

  function loadTheory(id: string, force = false) {
    return load(theories, id, () => client['runs.theory']({ runId: id }), force);
  }

  /** Atoms of a run at a saved iteration (null: what runs.preview returns, the run's last). */
  function loadPreview(id: string, iteration: number | null) {
    const key = previewKey(id, iteration);
    const p = load(previews, key, () => (iteration === null ? client['runs.preview']({ runId: id }) : client['runs.previewAt']({ runId: id, iteration })));
    // Keep the cache bounded: Map order is insertion order, the oldest go first.
    const cache = previews.value;
    if (cache.size > PREVIEW_CACHE) {
      for (const k of [...cache.keys()].slice(0, cache.size - PREVIEW_CACHE)) if (cache.get(k)?.state !== 'loading') cache.delete(k);
      triggerRef(previews);
    }
    return p;
  }

  function preview(id: string, iteration: number | null): Loadable<RunPreview> | undefined {
    return previews.value.get(previewKey(id, iteration));
  }

  function loadSelected(id: string) {
    ensureDetails([id]);
    void loadSnapshots(id);
    void loadTheory(id);
  }

  // ---- live updates

  function onProgress(p: EventPayload<'run.progress'>) {
    const d = details.value.get(p.runId);
    if (!d) return;
    if (d.state === 'loading') {
      pending.set(p.runId, [...(pending.get(p.runId) ?? []), p.metrics]);
      return;
    }
    if (d.state !== 'loaded') return;
    const metrics = appendRecord(d.value.metrics, p.metrics);
    put(details, p.runId, { state: 'loaded', value: { ...d.value, metrics, finals: finalValues(metrics) } });
  }

  function onStatus(p: EventPayload<'run.status'>) {
    const d = details.value.get(p.runId);
    if (d?.state === 'loaded') {
      const wasActive = ACTIVE.has(d.value.summary.status);
      put(details, p.runId, { state: 'loaded', value: { ...d.value, summary: p.summary } });
      if (wasActive && !ACTIVE.has(p.status)) {
        refetchDetail(p.runId);
        // New snapshots, final atoms and codes: what was fetched while it ran is out of date.
        if (isSelected(p.runId)) {
          void loadSnapshots(p.runId, true);
          void loadTheory(p.runId, true);
        }
        previews.value.delete(previewKey(p.runId, null));
        triggerRef(previews);
      }
    }
  }

  let disposers: (() => void)[] = [];

  function init() {
    if (disposers.length) return;
    disposers = [client.on('run.progress', onProgress), client.on('run.status', onStatus)];
  }

  function dispose() {
    for (const d of disposers) d();
    disposers = [];
  }

  function reset() {
    generation++;
    queue.length = 0;
    pending.clear();
    selected.value = [];
    step.value = null;
    details.value = new Map();
    snapshots.value = new Map();
    previews.value = new Map();
    theories.value = new Map();
  }

  // Another project: nothing of the last one applies.
  watch(
    () => project.current?.dir,
    (dir, before) => {
      if (dir !== before) reset();
    },
  );
  // Runs deleted from the project leave the selection.
  watch(
    () => project.runs,
    (runs) => {
      const ids = new Set(runs.map((r) => r.id));
      if (selected.value.some((id) => !ids.has(id))) selected.value = selected.value.filter((id) => ids.has(id));
    },
  );

  return {
    selected,
    smoothing,
    xAxis,
    logY,
    step,
    hiddenMetrics,
    details,
    snapshots,
    previews,
    theories,
    isSelected,
    toggle,
    select,
    setSmoothing,
    setMetricShown,
    ensureDetails,
    detail,
    loadSnapshots,
    loadTheory,
    loadPreview,
    preview,
    init,
    dispose,
    reset,
  };
});
