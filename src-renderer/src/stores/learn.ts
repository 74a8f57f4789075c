/**
 * Learning sessions: the methods the engine offers (sessions.methods, fetched once), and the session on show
 * (see tracked-run.ts for how a run is followed): started or resumed from this window, or a past one of the
 * project.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { LearnConfig, MethodSpec, RunStatus } from '../../../src-shared/contract';
import { useStudioClient } from '../client';
import { describeError } from '../lib/errors';
import { appendLearnMetrics, emptyLearnSeries, latestLearnObjective, learnSeriesFromMetrics, type LearnSeries } from '../lib/learn-metrics';
import { checkpointInfo, hasPreviewContent, isResumable } from '../lib/learn-session';
import { useAppStore } from './app';
import { isActive, useTrackedRun } from './tracked-run';

export type MethodsState = 'idle' | 'loading' | 'loaded' | 'failed';

export const useLearnStore = defineStore('learn', () => {
  const client = useStudioClient();
  const app = useAppStore();

  // ---- the methods on offer
  const methods = shallowRef<readonly MethodSpec[]>([]);
  const methodsState = ref<MethodsState>('idle');
  const methodsError = ref<string | null>(null);

  // ---- the session on show
  /** While sessions.resume is awaited: the run, and the last status an event reported for it meanwhile. */
  let resumeWatch: { id: string; status?: RunStatus } | null = null;
  const run = useTrackedRun<LearnConfig, LearnSeries>({
    noun: 'learning session',
    shortNoun: 'session',
    emptySeries: emptyLearnSeries,
    appendMetrics: appendLearnMetrics,
    seriesFromMetrics: learnSeriesFromMetrics,
    // Pursuit runs and phase-transition runs have views of their own.
    configOf: (d) => ('method' in d.config ? d.config : null),
    plannedIterations: (c) => c.iterations,
    fallbackTotal: (d) => d.summary.iterations,
    acceptPreview: hasPreviewContent,
    firstPreviewMessage: 'The first preview arrives after the first iteration.',
    onStatusEvent: (p) => {
      if (resumeWatch?.id === p.runId) resumeWatch.status = p.status;
    },
  });
  const { runId, config, summary, status, error, progress, series, active, liveRunId, starting } = run;
  const resuming = ref(false);

  const canStart = computed(() => !starting.value && !resuming.value && liveRunId.value === null);
  const canResume = computed(() => runId.value !== null && config.value !== null && !active.value && !resuming.value && !starting.value && liveRunId.value === null && isResumable(summary.value));
  const checkpoint = computed(() => checkpointInfo(summary.value?.checkpointIteration, progress.value?.iteration ?? 0, config.value?.checkpointEvery ?? 0, active.value));
  const finalObjective = computed(() => summary.value?.finalObjective ?? latestLearnObjective(series.value));
  /** The spec of the session on show (undefined when the method is not offered by this build). */
  const methodSpec = computed(() => (config.value ? methods.value.find((m) => m.method === config.value!.method) : undefined));

  function methodTitle(method: string): string {
    return methods.value.find((m) => m.method === method)?.title ?? method;
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
    run.subscribe();
    await loadMethods();
  }

  /** Starts a session with a validated config and shows it; false (and a banner) if the host refused. */
  async function start(cfg: LearnConfig): Promise<boolean> {
    if (!canStart.value) return false;
    return run.start(cfg, () => client['sessions.start']({ config: cfg }));
  }

  /** Continues the session on show from its last checkpoint (sessions.resume); the iterations after it are reported again. */
  async function resume(): Promise<boolean> {
    const id = runId.value;
    if (!id || !canResume.value) return false;
    run.subscribe();
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
    preview: run.preview,
    previewMissing: run.previewMissing,
    loading: run.loading,
    starting,
    cancelling: run.cancelling,
    resuming,
    liveRunId,
    active,
    canStart,
    canCancel: run.canCancel,
    canResume,
    checkpoint,
    finalObjective,
    methodSpec,
    methodTitle,
    init,
    loadMethods,
    start,
    cancel: run.cancel,
    resume,
    select: run.select,
    clear: run.clear,
    dispose: run.dispose,
  };
});
