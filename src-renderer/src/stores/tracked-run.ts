/**
 * The run on show, shared by the pursuit and learning stores: one started from this window (live, fed by
 * events) or a past one of the project (runs.get + runs.preview, then events if it is still going). Events are
 * filtered by run id; those for a run whose start has not answered yet are held and replayed.
 */
import { computed, ref, shallowRef, watch, type Ref, type ShallowRef } from 'vue';
import type { EventPayload, RunDetail, RunMetrics, RunPreview, RunStatus, RunSummary, StudioErrorShape } from '../../../src-shared/contract';
import { useStudioClient } from '../client';
import { mergePreview } from '../lib/preview';
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

export interface TrackedRunOptions<C, S> {
  /** 'run' or 'learning session', in messages about starting and cancelling. */
  readonly noun: string;
  /** 'run' or 'session', in messages about opening and previews. */
  readonly shortNoun: string;
  readonly emptySeries: () => S;
  readonly appendMetrics: (series: S, m: RunMetrics) => S;
  readonly seriesFromMetrics: (metrics: RunMetrics[]) => S;
  /** The config of this store's kind in a fetched run, or null for a run of the other kind. */
  readonly configOf: (detail: RunDetail) => C | null;
  /** Iterations the run asks for in all. */
  readonly plannedIterations: (config: C) => number;
  /** The total for a fetched run of the other kind (configOf gave null). */
  readonly fallbackTotal: (detail: RunDetail) => number;
  /** Whether runs of this kind have previews to fetch with runs.preview (default true). */
  readonly hasPreviews?: boolean;
  /** Whether a fetched preview has anything to show (default: any preview). */
  readonly acceptPreview?: (preview: RunPreview) => boolean;
  /** Shown while an active run has not sent its first preview. */
  readonly firstPreviewMessage: string;
  /** Called for every status event (before filtering by the run on show). */
  readonly onStatusEvent?: (payload: EventPayload<'run.status'>) => void;
}

export interface TrackedRun<C, S> {
  readonly runId: Ref<string | null>;
  readonly config: ShallowRef<C | null>;
  readonly summary: ShallowRef<RunSummary | null>;
  readonly status: Ref<RunStatus | null>;
  readonly error: Ref<StudioErrorShape | null>;
  readonly series: ShallowRef<S>;
  readonly progress: Ref<RunProgress | null>;
  readonly preview: ShallowRef<RunPreview | null>;
  /** Why there is no preview for a saved run (e.g. it failed before the first chunk). */
  readonly previewMissing: Ref<string | null>;
  readonly loading: Ref<boolean>;
  readonly starting: Ref<boolean>;
  readonly cancelling: Ref<boolean>;
  /** The run this window started and that has not ended yet, whether on show or not. */
  readonly liveRunId: Ref<string | null>;
  readonly active: Ref<boolean>;
  readonly canCancel: Ref<boolean>;
  subscribe(): void;
  /** Starts a run through `request` and shows it; false (and a banner) if the host refused. */
  start(cfg: C, request: () => Promise<{ runId: string }>): Promise<boolean>;
  cancel(): Promise<boolean>;
  select(id: string): Promise<void>;
  clear(): void;
  dispose(): void;
}

export function useTrackedRun<C, S>(o: TrackedRunOptions<C, S>): TrackedRun<C, S> {
  const client = useStudioClient();
  const app = useAppStore();
  const project = useProjectStore();

  const runId = ref<string | null>(null);
  const config = shallowRef<C | null>(null) as ShallowRef<C | null>;
  const summary = shallowRef<RunSummary | null>(null);
  const status = ref<RunStatus | null>(null);
  const error = ref<StudioErrorShape | null>(null);
  const series = shallowRef<S>(o.emptySeries()) as ShallowRef<S>;
  const progress = ref<RunProgress | null>(null);
  const preview = shallowRef<RunPreview | null>(null);
  const previewMissing = ref<string | null>(null);
  const loading = ref(false);
  const starting = ref(false);
  const cancelling = ref(false);
  const liveRunId = ref<string | null>(null);

  const active = computed(() => isActive(status.value));
  const canCancel = computed(() => active.value && !cancelling.value && runId.value !== null);

  let held: RunEvent[] | null = null;
  /** Metrics received as events for the run on show, to merge with those fetched by runs.get. */
  let liveMetrics: RunMetrics[] = [];
  /** Bumped on every selection, so a slow fetch for an earlier selection is discarded. */
  let selection = 0;
  let disposers: (() => void)[] = [];

  function reset(id: string | null) {
    selection++;
    runId.value = id;
    config.value = null;
    summary.value = null;
    status.value = null;
    error.value = null;
    series.value = o.emptySeries();
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
        series.value = o.appendMetrics(series.value, p.metrics);
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
    if (ev.kind === 'run.status') {
      if (id === liveRunId.value && !isActive(ev.payload.status)) liveRunId.value = null;
      o.onStatusEvent?.(ev.payload);
    }
    if (id === runId.value) apply(ev);
    else if (held && held.length < MAX_HELD_EVENTS) held.push(ev);
  }

  function subscribe() {
    if (disposers.length) return;
    disposers = [
      client.on('run.progress', (payload) => receive({ kind: 'run.progress', payload })),
      client.on('run.status', (payload) => receive({ kind: 'run.status', payload })),
      client.on('run.preview', (payload) => receive({ kind: 'run.preview', payload })),
    ];
  }

  async function start(cfg: C, request: () => Promise<{ runId: string }>): Promise<boolean> {
    subscribe();
    starting.value = true;
    held = [];
    try {
      const { runId: id } = await request();
      reset(id);
      liveRunId.value = id;
      config.value = cfg;
      status.value = 'queued';
      progress.value = { fraction: 0, iteration: 0, total: o.plannedIterations(cfg) };
      const early = held;
      held = null;
      for (const ev of early) if (ev.payload.runId === id) receive(ev);
      return true;
    } catch (err) {
      app.reportError(err, `Starting the ${o.noun}`);
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
      app.reportError(err, `Cancelling the ${o.noun}`);
      return false;
    }
  }

  async function select(id: string): Promise<void> {
    subscribe();
    reset(id);
    const mine = selection;
    loading.value = true;
    try {
      const previewRequest = o.hasPreviews === false ? Promise.reject<RunPreview>(new Error(`${o.shortNoun}s have no preview`)) : client['runs.preview']({ runId: id });
      const [detail, pv] = await Promise.allSettled([client['runs.get']({ runId: id }), previewRequest]);
      if (mine !== selection) return;
      if (detail.status === 'rejected') {
        app.reportError(detail.reason, `Opening ${o.shortNoun} ${id}`);
        return;
      }
      const d = detail.value;
      config.value = o.configOf(d);
      // Events that arrived during the fetch are newer than the fetched state: merge, do not overwrite.
      series.value = o.seriesFromMetrics([...d.metrics, ...liveMetrics]);
      if (summary.value === null) {
        summary.value = d.summary;
        status.value = d.summary.status;
        error.value = d.summary.error ?? null;
      }
      if (progress.value === null) {
        const total = config.value !== null ? o.plannedIterations(config.value) : o.fallbackTotal(d);
        const done = d.summary.status === 'finished' ? 1 : total > 0 ? Math.min(1, d.summary.iterations / total) : 0;
        progress.value = { fraction: done, iteration: d.summary.iterations, total };
      }
      if (preview.value === null && o.hasPreviews !== false) {
        if (pv.status === 'fulfilled' && (o.acceptPreview?.(pv.value) ?? true)) preview.value = pv.value;
        else if (isActive(status.value)) previewMissing.value = o.firstPreviewMessage;
        else {
          const reason = pv.status === 'rejected' ? (pv.reason as { message?: string })?.message : undefined;
          previewMissing.value = `No preview was saved for this ${o.shortNoun}${reason ? ` (${reason})` : ''}.`;
        }
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

  return { runId, config, summary, status, error, series, progress, preview, previewMissing, loading, starting, cancelling, liveRunId, active, canCancel, subscribe, start, cancel, select, clear, dispose };
}
