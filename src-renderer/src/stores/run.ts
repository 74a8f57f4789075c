/**
 * The pursuit run on show (see tracked-run.ts for how a run is followed): started here with runs.start, or a
 * past pursuit run of the project.
 */
import { defineStore } from 'pinia';
import { computed } from 'vue';
import type { RunConfig } from '../../../src-shared/contract';
import { appendMetrics, emptySeries, latestObjective, seriesFromMetrics, type MetricSeries } from '../lib/metrics';
import { useStudioClient } from '../client';
import { useTrackedRun } from './tracked-run';

export { ACTIVE_STATUSES, isActive, type RunProgress } from './tracked-run';

/** Total iterations a config asks for (layered BP runs the iterations once per layer). */
export function plannedIterations(config: RunConfig): number {
  return config.pursuit.algorithm === 'layered-bp' ? config.pursuit.iterations * config.layers.length : config.pursuit.iterations;
}

export const useRunStore = defineStore('run', () => {
  const client = useStudioClient();
  const run = useTrackedRun<RunConfig, MetricSeries>({
    noun: 'run',
    shortNoun: 'run',
    emptySeries,
    appendMetrics,
    seriesFromMetrics,
    // Learning sessions have their own view; this store shows pursuit runs.
    configOf: (d) => ('pursuit' in d.config ? d.config : null),
    plannedIterations,
    fallbackTotal: (d) => ('pursuit' in d.config ? plannedIterations(d.config) : d.config.iterations),
    firstPreviewMessage: 'The first preview arrives after a few iterations.',
  });

  const canStart = computed(() => !run.starting.value && run.liveRunId.value === null);
  const finalObjective = computed(() => run.summary.value?.finalObjective ?? latestObjective(run.series.value));

  /** Starts a run with a validated config and shows it; false (and a banner) if the host refused. */
  async function start(cfg: RunConfig): Promise<boolean> {
    if (!canStart.value) return false;
    return run.start(cfg, () => client['runs.start']({ config: cfg }));
  }

  return {
    runId: run.runId,
    config: run.config,
    summary: run.summary,
    status: run.status,
    error: run.error,
    series: run.series,
    progress: run.progress,
    preview: run.preview,
    previewMissing: run.previewMissing,
    loading: run.loading,
    starting: run.starting,
    cancelling: run.cancelling,
    liveRunId: run.liveRunId,
    active: run.active,
    canStart,
    canCancel: run.canCancel,
    finalObjective,
    init: run.subscribe,
    start,
    cancel: run.cancel,
    select: run.select,
    clear: run.clear,
    dispose: run.dispose,
  };
});
