/**
 * Learning sessions: the methods the engine offers (sessions.methods, fetched once, then events), and the
 * session on show: one started or resumed from this window (live, fed by events) or a past one of the
 * project (runs.get + runs.preview, then events if it is still going). Events are filtered by run id; those
 * for a session whose sessions.start has not answered yet are held and replayed, as in the run store.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import type { EventPayload, LearnConfig, MethodSpec, RunMetrics, RunPreview, RunStatus, RunSummary, StudioErrorShape } from '../../../src-shared/contract';
import { useStudioClient } from '../client';
import { describeError } from '../lib/errors';
import { appendLearnMetrics, emptyLearnSeries, latestLearnObjective, learnSeriesFromMetrics, type LearnSeries } from '../lib/learn-metrics';
import { checkpointInfo, hasPreviewContent, isResumable } from '../lib/learn-session';
import { mergePreview } from '../lib/preview';
import { useAppStore } from './app';
import { useProjectStore } from './project';
import { isActive, type RunProgress } from './run';

type SessionEvent =
  | { readonly kind: 'run.progress'; readonly payload: EventPayload<'run.progress'> }
  | { readonly kind: 'run.status'; readonly payload: EventPayload<'run.status'> }
  | { readonly kind: 'run.preview'; readonly payload: EventPayload<'run.preview'> };

const MAX_HELD_EVENTS = 500;

export type MethodsState = 'idle' | 'loading' | 'loaded' | 'failed';

export const useLearnStore = defineStore('learn', () => {
  const client = useStudioClient();
  const app = useAppStore();
  const project = useProjectStore();

  // ---- the methods on offer
  const methods = shallowRef<readonly MethodSpec[]>([]);
  const methodsState = ref<MethodsState>('idle');
  const methodsError = ref<string | null>(null);

  // ---- the session on show
  const runId = ref<string | null>(null);
  const config = shallowRef<LearnConfig | null>(null);
  const summary = shallowRef<RunSummary | null>(null);
  const status = ref<RunStatus | null>(null);
  const error = ref<StudioErrorShape | null>(null);
  const series = shallowRef<LearnSeries>(emptyLearnSeries());
  const progress = ref<RunProgress | null>(null);
  const preview = shallowRef<RunPreview | null>(null);
  /** Why there is no preview (a saved session that kept none, or one that has not sent its first yet). */
  const previewMissing = ref<string | null>(null);
  const loading = ref(false);
  const starting = ref(false);
  const cancelling = ref(false);
  const resuming = ref(false);
  /** The session this window started or resumed and that has not ended yet, whether on show or not. */
  const liveRunId = ref<string | null>(null);

  const active = computed(() => isActive(status.value));
  const canStart = computed(() => !starting.value && !resuming.value && liveRunId.value === null);
  const canCancel = computed(() => active.value && !cancelling.value && runId.value !== null);
  const canResume = computed(() => runId.value !== null && config.value !== null && !active.value && !resuming.value && !starting.value && liveRunId.value === null && isResumable(summary.value));
  const checkpoint = computed(() => checkpointInfo(summary.value?.checkpointIteration, progress.value?.iteration ?? 0, config.value?.checkpointEvery ?? 0, active.value));
  const finalObjective = computed(() => summary.value?.finalObjective ?? latestLearnObjective(series.value));
  /** The spec of the session on show (undefined when the method is not offered by this build). */
  const methodSpec = computed(() => (config.value ? methods.value.find((m) => m.method === config.value!.method) : undefined));

  function methodTitle(method: string): string {
    return methods.value.find((m) => m.method === method)?.title ?? method;
  }

  let held: SessionEvent[] | null = null;
  /** Metrics received as events for the session on show, to merge with those fetched by runs.get. */
  let liveMetrics: RunMetrics[] = [];
  /** Bumped on every selection, so a slow fetch for an earlier selection is discarded. */
  let selection = 0;
  /** While sessions.resume is awaited: the run, and the last status an event reported for it meanwhile. */
  let resumeWatch: { id: string; status?: RunStatus } | null = null;

  function reset(id: string | null) {
    selection++;
    runId.value = id;
    config.value = null;
    summary.value = null;
    status.value = null;
    error.value = null;
    series.value = emptyLearnSeries();
    progress.value = null;
    preview.value = null;
    previewMissing.value = null;
    cancelling.value = false;
    liveMetrics = [];
  }

  function apply(ev: SessionEvent) {
    switch (ev.kind) {
      case 'run.progress': {
        const p = ev.payload;
        liveMetrics.push(p.metrics);
        series.value = appendLearnMetrics(series.value, p.metrics);
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

  function receive(ev: SessionEvent) {
    const id = ev.payload.runId;
    if (ev.kind === 'run.status') {
      if (id === liveRunId.value && !isActive(ev.payload.status)) liveRunId.value = null;
      if (resumeWatch?.id === id) resumeWatch.status = ev.payload.status;
    }
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

  /** Asks the engine which learning methods it offers (an empty list is a valid answer: none in this build). */
  async function loadMethods(): Promise<void> {
    methodsState.value = 'loading';
    methodsError.value = null;
    try {
      methods.value = await client['sessions.methods']({});
      methodsState.value = 'loaded';
    } catch (err) {
      methodsState.value = 'failed';
      methodsError.value = describeError(err).message;
      app.reportError(err, 'Listing the learning methods');
    }
  }

  /** Subscribes to the session events, then fetches the methods. */
  async function init(): Promise<void> {
    subscribe();
    await loadMethods();
  }

  /** Starts a session with a validated config and shows it; false (and a banner) if the host refused. */
  async function start(cfg: LearnConfig): Promise<boolean> {
    if (!canStart.value) return false;
    subscribe();
    starting.value = true;
    held = [];
    try {
      const { runId: id } = await client['sessions.start']({ config: cfg });
      reset(id);
      liveRunId.value = id;
      config.value = cfg;
      status.value = 'queued';
      progress.value = { fraction: 0, iteration: 0, total: cfg.iterations };
      const early = held;
      held = null;
      for (const ev of early) if (ev.payload.runId === id) receive(ev);
      return true;
    } catch (err) {
      app.reportError(err, 'Starting the learning session');
      return false;
    } finally {
      held = null;
      starting.value = false;
    }
  }

  /** Stops the session on show; it saves a checkpoint, from which Resume continues. */
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
      app.reportError(err, 'Cancelling the learning session');
      return false;
    }
  }

  /** Continues the session on show from its last checkpoint (sessions.resume); the iterations after it are reported again. */
  async function resume(): Promise<boolean> {
    const id = runId.value;
    if (!id || !canResume.value) return false;
    subscribe();
    resuming.value = true;
    resumeWatch = { id };
    const from = summary.value?.checkpointIteration ?? 0;
    try {
      await client['sessions.resume']({ runId: id });
      const seen = resumeWatch?.status;
      // The queued status may come after the answer (another channel in the desktop app).
      if (seen === undefined || isActive(seen)) liveRunId.value = id;
      if (seen === undefined && runId.value === id) {
        status.value = 'queued';
        error.value = null;
        const total = config.value?.iterations ?? progress.value?.total ?? 0;
        progress.value = { fraction: total > 0 ? Math.min(1, from / total) : 0, iteration: from, total };
      }
      return true;
    } catch (err) {
      app.reportError(err, 'Resuming the learning session');
      return false;
    } finally {
      resumeWatch = null;
      resuming.value = false;
    }
  }

  /** Shows a session of the project: its saved config, metrics and preview, then any live events. */
  async function select(id: string): Promise<void> {
    subscribe();
    reset(id);
    const mine = selection;
    loading.value = true;
    try {
      const [detail, pv] = await Promise.allSettled([client['runs.get']({ runId: id }), client['runs.preview']({ runId: id })]);
      if (mine !== selection) return;
      if (detail.status === 'rejected') {
        app.reportError(detail.reason, `Opening session ${id}`);
        return;
      }
      const d = detail.value;
      config.value = 'pursuit' in d.config ? null : d.config;
      // Events that arrived during the fetch are newer than the fetched state: merge, do not overwrite.
      series.value = learnSeriesFromMetrics([...d.metrics, ...liveMetrics]);
      if (summary.value === null) {
        summary.value = d.summary;
        status.value = d.summary.status;
        error.value = d.summary.error ?? null;
      }
      if (progress.value === null) {
        const total = config.value?.iterations ?? d.summary.iterations;
        const done = d.summary.status === 'finished' ? 1 : total > 0 ? Math.min(1, d.summary.iterations / total) : 0;
        progress.value = { fraction: done, iteration: d.summary.iterations, total };
      }
      if (preview.value === null) {
        if (pv.status === 'fulfilled' && hasPreviewContent(pv.value)) preview.value = pv.value;
        else if (isActive(status.value)) previewMissing.value = 'The first preview arrives after the first iteration.';
        else {
          const reason = pv.status === 'rejected' ? (pv.reason as { message?: string })?.message : undefined;
          previewMissing.value = `No preview was saved for this session${reason ? ` (${reason})` : ''}.`;
        }
      }
    } finally {
      if (mine === selection) loading.value = false;
    }
  }

  function clear() {
    reset(null);
  }

  // A session belongs to its project: opening another project clears what is on show.
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
    methods,
    methodsState,
    methodsError,
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
    resuming,
    liveRunId,
    active,
    canStart,
    canCancel,
    canResume,
    checkpoint,
    finalObjective,
    methodSpec,
    methodTitle,
    init,
    loadMethods,
    start,
    cancel,
    resume,
    select,
    clear,
    dispose,
  };
});
