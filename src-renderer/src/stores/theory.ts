/**
 * The Theory view: a model with known representations, sampled and pursued by theory.analyze, each layer's
 * result held against its theorem (the report); and phase-transition experiments (theory.phaseStart), project
 * runs of kind 'phase' followed like any run (see tracked-run.ts: run.progress, run.status, runs.cancel),
 * whose grid grows with phase.progress and is fetched whole with theory.phaseResult once the run stops, or
 * when a past experiment is opened.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import type { EventPayload, PhaseConfig, PhaseResult, TheoryAnalyzeParams, TheoryReport } from '../../../src-shared/contract';
import { useStudioClient } from '../client';
import { describeError } from '../lib/errors';
import type { FieldErrors } from '../lib/run-form';
import {
  defaultPhaseForm,
  defaultTheoryForm,
  phaseConfigToForm,
  validatePhaseForm,
  validateTheoryForm,
  withKind,
  withMlcscLayerCount,
  withPhaseModel,
  type ModelKind,
  type PhaseFormState,
  type TheoryFormState,
} from '../lib/theory-form';
import { fullerResult } from '../lib/theory-report';
import { useAppStore } from './app';
import { useProjectStore } from './project';
import { isActive, useTrackedRun } from './tracked-run';

/** phase.progress events kept for runs whose start has not answered yet. */
const MAX_HELD_RESULTS = 16;

export const useTheoryStore = defineStore('theory', () => {
  const client = useStudioClient();
  const app = useAppStore();
  const project = useProjectStore();

  // ---- the analysis ------------------------------------------------------------------------------------
  const form = ref<TheoryFormState>(defaultTheoryForm());
  const errors = ref<FieldErrors>({});
  /** After the first "Sample & analyze", errors are re-checked as the user edits. */
  const attempted = ref(false);
  const analyzing = ref(false);
  const report = shallowRef<TheoryReport | null>(null);
  /** The parameters the report on show was made with. */
  const reportParams = shallowRef<TheoryAnalyzeParams | null>(null);
  const analyzeError = ref<string | null>(null);
  /** Bumped on every analysis, so a slow answer to an earlier one is discarded. */
  let analysis = 0;

  function validate() {
    const v = validateTheoryForm(form.value);
    errors.value = v.errors;
    return v;
  }

  function setKind(kind: ModelKind) {
    form.value = withKind(form.value, kind);
  }

  function setLayerCount(count: number) {
    form.value = withMlcscLayerCount(form.value, count);
  }

  function resetForm() {
    form.value = defaultTheoryForm();
    errors.value = {};
    attempted.value = false;
  }

  /** Samples from the model, runs the pursuits and shows the report; false when a field is wrong (inline) or the host refused (banner and inline). */
  async function analyze(): Promise<boolean> {
    attempted.value = true;
    const v = validate();
    if (!v.ok) return false;
    const mine = ++analysis;
    analyzing.value = true;
    analyzeError.value = null;
    try {
      const r = await client['theory.analyze'](v.params);
      if (mine !== analysis) return false;
      report.value = r;
      reportParams.value = v.params;
      return true;
    } catch (err) {
      if (mine !== analysis) return false;
      analyzeError.value = describeError(err).message;
      app.reportError(err, 'Analysing the model');
      return false;
    } finally {
      if (mine === analysis) analyzing.value = false;
    }
  }

  // ---- the phase-transition experiment on show --------------------------------------------------------
  const phaseForm = ref<PhaseFormState>(defaultPhaseForm());
  const phaseErrors = ref<FieldErrors>({});
  const phaseAttempted = ref(false);

  const run = useTrackedRun<PhaseConfig, number>({
    noun: 'phase-transition experiment',
    shortNoun: 'experiment',
    // The grid is what this view plots; the metrics of run.progress are only counted.
    emptySeries: () => 0,
    appendMetrics: (n) => n + 1,
    seriesFromMetrics: (m) => m.length,
    configOf: (d) => ('sparsities' in d.config ? d.config : null),
    plannedIterations: (c) => c.sparsities.length * c.noise.length,
    fallbackTotal: (d) => d.summary.iterations,
    hasPreviews: false,
    firstPreviewMessage: 'The grid fills in as cells finish.',
  });
  const { runId, status, liveRunId, starting } = run;

  const result = shallowRef<PhaseResult | null>(null);
  /** Why a stopped experiment shows no grid (e.g. it failed before its first cell). */
  const resultMissing = ref<string | null>(null);
  const resultLoading = ref(false);
  /** phase.progress of runs not on show, while a start is awaited (the answer may come after the first cells). */
  let heldResults: Map<string, PhaseResult> | null = null;

  const phaseRuns = computed(() => project.runs.filter((r) => r.kind === 'phase'));
  const canStartPhase = computed(() => !!project.current && !starting.value && liveRunId.value === null);
  const phaseBlocked = computed(() => (!project.current ? 'Create or open a project first: experiments are saved in it.' : liveRunId.value ? 'An experiment is in progress; cancel it or wait for it to finish.' : null));

  /** 0…1: run.progress while the run goes, the share of finished cells of a grid, 1 once finished. */
  const phaseFraction = computed(() => {
    if (status.value === 'finished') return 1;
    const r = result.value;
    const byCells = r && r.cellsTotal > 0 ? r.cellsDone / r.cellsTotal : 0;
    if (!isActive(status.value) && r) return byCells;
    return Math.max(run.progress.value?.fraction ?? 0, byCells);
  });

  // A new run on show starts with no grid.
  watch(
    runId,
    () => {
      result.value = null;
      resultMissing.value = null;
      resultLoading.value = false;
    },
    { flush: 'sync' },
  );

  /** Fetches the grid of run `id` (whole, or as far as it got) and keeps it if that run is still on show. */
  async function fetchResult(id: string): Promise<void> {
    resultLoading.value = true;
    try {
      const r = await client['theory.phaseResult']({ runId: id });
      if (runId.value !== id) return;
      result.value = fullerResult(result.value, r);
      resultMissing.value = null;
    } catch (err) {
      if (runId.value !== id) return;
      if (!result.value) resultMissing.value = `No grid was saved for this experiment: ${describeError(err).message}`;
    } finally {
      if (runId.value === id) resultLoading.value = false;
    }
  }

  // When the run on show stops (finished, cancelled, failed), its final grid is fetched.
  watch(
    status,
    (now, before) => {
      const id = runId.value;
      if (id && now && !isActive(now) && isActive(before)) void fetchResult(id);
    },
    { flush: 'sync' },
  );

  function onPhaseProgress(p: EventPayload<'phase.progress'>) {
    if (p.runId === runId.value) {
      result.value = fullerResult(result.value, p.result);
      resultMissing.value = null;
    } else if (heldResults && heldResults.size < MAX_HELD_RESULTS) {
      heldResults.set(p.runId, fullerResult(heldResults.get(p.runId) ?? null, p.result));
    }
  }

  let offPhase: (() => void) | null = null;

  /** Subscribes to the run events and phase.progress (once). */
  function init() {
    run.subscribe();
    offPhase ??= client.on('phase.progress', onPhaseProgress);
  }

  function validatePhase() {
    const v = validatePhaseForm(form.value, phaseForm.value);
    phaseErrors.value = v.errors;
    return v;
  }

  /** Starts the experiment the forms describe and shows it; false when a field is wrong (inline) or the host refused (banner). */
  async function startPhase(): Promise<boolean> {
    phaseAttempted.value = true;
    const v = validatePhase();
    if (!v.ok || !canStartPhase.value) return false;
    init();
    heldResults = new Map();
    try {
      const ok = await run.start(v.config, () => client['theory.phaseStart']({ config: v.config }));
      const early = ok && runId.value ? heldResults.get(runId.value) : undefined;
      if (early) result.value = fullerResult(result.value, early);
      return ok;
    } finally {
      heldResults = null;
    }
  }

  /** Shows a past experiment of the project: its settings, status and grid. */
  async function selectPhase(id: string): Promise<void> {
    init();
    const selecting = run.select(id);
    await Promise.all([selecting, fetchResult(id)]);
  }

  /** Puts the experiment on show back into the forms (its model and values, its grid), to rerun or vary it. */
  function loadPhaseSettings(): boolean {
    const c = run.config.value;
    if (!c) return false;
    const { form: next, warning } = withPhaseModel(form.value, c);
    form.value = next;
    phaseForm.value = phaseConfigToForm(c);
    errors.value = {};
    phaseErrors.value = {};
    if (warning) app.warn(warning, 'Copying settings');
    return true;
  }

  function resetPhaseForm() {
    phaseForm.value = defaultPhaseForm();
    phaseErrors.value = {};
    phaseAttempted.value = false;
  }

  /** The error shown next to a field of the analysis form: its own check first, then the experiment's (same model). */
  function fieldError(key: string): string | undefined {
    return errors.value[key] ?? (phaseAttempted.value ? phaseErrors.value[key] : undefined);
  }

  watch(
    [form, phaseForm],
    () => {
      if (attempted.value) validate();
      if (phaseAttempted.value) validatePhase();
    },
    { deep: true },
  );

  function dispose() {
    run.dispose();
    offPhase?.();
    offPhase = null;
  }

  return {
    // analysis
    form,
    errors,
    analyzing,
    report,
    reportParams,
    analyzeError,
    validate,
    setKind,
    setLayerCount,
    resetForm,
    analyze,
    fieldError,
    // phase
    phaseForm,
    phaseErrors,
    phaseRunId: runId,
    phaseConfig: run.config,
    phaseSummary: run.summary,
    phaseStatus: status,
    phaseError: run.error,
    phaseProgress: run.progress,
    phaseFraction,
    phaseResult: result,
    phaseResultMissing: resultMissing,
    phaseResultLoading: resultLoading,
    phaseLoading: run.loading,
    phaseStarting: starting,
    phaseCancelling: run.cancelling,
    phaseLiveRunId: liveRunId,
    phaseActive: run.active,
    canStartPhase,
    canCancelPhase: run.canCancel,
    phaseBlocked,
    phaseRuns,
    init,
    startPhase,
    cancelPhase: run.cancel,
    selectPhase,
    clearPhase: run.clear,
    loadPhaseSettings,
    resetPhaseForm,
    validatePhase,
    dispose,
  };
});
