/**
 * The run on show: one started from this window (live, fed by events) or a past run of the project
 * (fetched with runs.get + runs.preview, then fed by events if it is still going). Events are filtered
 * by run id; those that arrive for a run whose runs.start has not answered yet are held and replayed.
 */
import { mergePreview } from '../lib/preview';
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import type { EventPayload, RunConfig, RunMetrics, RunPreview, RunStatus, RunSummary, StudioErrorShape } from '../../../src-shared/contract';
import { useStudioClient } from '../client';
import { appendMetrics, emptySeries, latestObjective, seriesFromMetrics, type MetricSeries } from '../lib/metrics';
import { useAppStore } from './app';
import { useProjectStore } from './project';

export const ACTIVE_STATUSES: readonly RunStatus[] = ['queued', 'running'];

export function isActive(status: RunStatus | null | undefined): boolean {
  return !!status && ACTIVE_STATUSES.includes(status);
}

export interface RunProgress {
  /** 0…1 */
  readonly fraction: number;
  readonly iteration: number;
  readonly total: number;
}

type RunEvent =
  | { readonly kind: 'run.progress'; readonly payload: EventPayload<'run.progress'> }
  | { readonly kind: 'run.status'; readonly payload: EventPayload<'run.status'> }
  | { readonly kind: 'run.preview'; readonly payload: EventPayload<'run.preview'> };

const MAX_HELD_EVENTS = 500;

/** Total iterations a config asks for (layered BP runs the iterations once per layer). */
export function plannedIterations(config: RunConfig): number {
  return config.pursuit.algorithm === 'layered-bp' ? config.pursuit.iterations * config.layers.length : config.pursuit.iterations;
}

export const useRunStore = defineStore('run', () => {
  const client = useStudioClient();
  const app = useAppStore();
  const project = useProjectStore();

  const runId = ref<string | null>(null);
  const config = shallowRef<RunConfig | null>(null);
  const summary = shallowRef<RunSummary | null>(null);
  const status = ref<RunStatus | null>(null);
  const error = ref<StudioErrorShape | null>(null);
  const series = shallowRef<MetricSeries>(emptySeries());
  const progress = ref<RunProgress | null>(null);
  const preview = shallowRef<RunPreview | null>(null);
  /** Why there is no preview for a saved run (e.g. it failed before the first chunk). */
  const previewMissing = ref<string | null>(null);
  const loading = ref(false);
  const starting = ref(false);
  const cancelling = ref(false);
  /** The run this window started and that has not ended yet, whether on show or not. */
  const liveRunId = ref<string | null>(null);

  const active = computed(() => isActive(status.value));
  const canStart = computed(() => !starting.value && liveRunId.value === null);
  const canCancel = computed(() => active.value && !cancelling.value && runId.value !== null);
  const finalObjective = computed(() => summary.value?.finalObjective ?? latestObjective(series.value));

  let held: RunEvent[] | null = null;
  /** Metrics received as events for the run on show, to merge with those fetched by runs.get. */
  let liveMetrics: RunMetrics[] = [];
  /** Bumped on every selection, so a slow fetch for an earlier selection is discarded. */
  let selection = 0;

  function reset(id: string | null) {
    selection++;
    runId.value = id;
    config.value = null;
    summary.value = null;
    status.value = null;
    error.value = null;
    series.value = emptySeries();
    progress.value = null;
    preview.value = null;
    previewMissing.value = null;
    cancelling.value = false;
    liveMetrics = [];
  }

  function apply(ev: RunEvent) {
    switch (ev.kind) {
      case 'run.progress': {
        const p = ev.payload;
        liveMetrics.push(p.metrics);
        series.value = appendMetrics(series.value, p.metrics);
        progress.value = { fraction: p.fraction, iteration: p.metrics.iteration, total: p.totalIterations };
        if (status.value === null || status.value === 'queued') status.value = 'running';
        break;
      }
      case 'run.status': {
        const p = ev.payload;
        status.value = p.status;
        summary.value = p.summary;
        error.value = p.error ?? p.summary.error ?? null;
        if (!isActive(p.status)) cancelling.value = false;
        if (p.status === 'finished') progress.value = { fraction: 1, iteration: p.summary.iterations, total: progress.value?.total ?? p.summary.iterations };
        break;
      }
      case 'run.preview':
        preview.value = mergePreview(preview.value, ev.payload);
        previewMissing.value = null;
        break;
    }
  }

  function receive(ev: RunEvent) {
    const id = ev.payload.runId;
    if (ev.kind === 'run.status' && id === liveRunId.value && !isActive(ev.payload.status)) liveRunId.value = null;
    if (id === runId.value) apply(ev);
    else if (held && held.length < MAX_HELD_EVENTS) held.push(ev);
  }

  let disposers: (() => void)[] = [];

  function subscribe() {
    if (disposers.length) return;
    disposers = [
      client.on('run.progress', (payload) => receive({ kind: 'run.progress', payload })),
      client.on('run.status', (payload) => receive({ kind: 'run.status', payload })),
      client.on('run.preview', (payload) => receive({ kind: 'run.preview', payload })),
    ];
  }

  /** Starts a run with a validated config and shows it; false (and a banner) if the host refused. */
  async function start(cfg: RunConfig): Promise<boolean> {
    if (!canStart.value) return false;
    subscribe();
    starting.value = true;
    held = [];
    try {
      const { runId: id } = await client['runs.start']({ config: cfg });
      reset(id);
      liveRunId.value = id;
      config.value = cfg;
      status.value = 'queued';
      progress.value = { fraction: 0, iteration: 0, total: plannedIterations(cfg) };
      const early = held;
      held = null;
      for (const ev of early) if (ev.payload.runId === id) receive(ev);
      return true;
    } catch (err) {
      app.reportError(err, 'Starting the run');
      return false;
    } finally {
      held = null;
      starting.value = false;
    }
  }

  async function cancel(): Promise<boolean> {
    const id = runId.value;
    if (!id || !active.value) return false;
    cancelling.value = true;
    try {
      const r = await client['runs.cancel']({ runId: id });
      if (!r.cancelled) cancelling.value = false;
      return r.cancelled;
    } catch (err) {
      cancelling.value = false;
      app.reportError(err, 'Cancelling the run');
      return false;
    }
  }

  /** Shows a run of the project: its saved config, metrics and preview, then any live events. */
  async function select(id: string): Promise<void> {
    subscribe();
    reset(id);
    const mine = selection;
    loading.value = true;
    try {
      const [detail, pv] = await Promise.allSettled([client['runs.get']({ runId: id }), client['runs.preview']({ runId: id })]);
      if (mine !== selection) return;
      if (detail.status === 'rejected') {
        app.reportError(detail.reason, `Opening run ${id}`);
        return;
      }
      const d = detail.value;
      // Learning sessions have their own view; this store shows pursuit runs.
      config.value = 'pursuit' in d.config ? d.config : null;
      // Events that arrived during the fetch are newer than the fetched state: merge, do not overwrite.
      series.value = seriesFromMetrics([...d.metrics, ...liveMetrics]);
      if (summary.value === null) {
        summary.value = d.summary;
        status.value = d.summary.status;
        error.value = d.summary.error ?? null;
      }
      if (progress.value === null) {
        const total = 'pursuit' in d.config ? plannedIterations(d.config) : d.config.iterations;
        const done = d.summary.status === 'finished' ? 1 : total > 0 ? Math.min(1, d.summary.iterations / total) : 0;
        progress.value = { fraction: done, iteration: d.summary.iterations, total };
      }
      if (pv.status === 'fulfilled') {
        if (preview.value === null) preview.value = pv.value;
      } else if (preview.value === null) {
        const reason = pv.reason as { message?: string };
        previewMissing.value = isActive(status.value) ? 'The first preview arrives after a few iterations.' : `No preview was saved for this run${reason?.message ? ` (${reason.message})` : ''}.`;
      }
    } finally {
      if (mine === selection) loading.value = false;
    }
  }

  function clear() {
    reset(null);
  }

  // A run belongs to its project: opening another project clears what is on show.
  watch(
    () => project.current?.dir,
    (dir, before) => {
      if (before !== undefined && dir !== before && runId.value !== null) clear();
    },
  );

  function dispose() {
    for (const d of disposers) d();
    disposers = [];
  }

  return {
    runId,
    config,
    summary,
    status,
    error,
    series,
    progress,
    preview,
    previewMissing,
    loading,
    starting,
    cancelling,
    liveRunId,
    active,
    canStart,
    canCancel,
    finalObjective,
    init: subscribe,
    start,
    cancel,
    select,
    clear,
    dispose,
  };
});
