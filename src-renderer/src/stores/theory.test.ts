import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { StudioError, type EventPayload, type PhaseConfig, type ProjectSummary, type RunMetrics, type RunSummary } from '../../../src-shared/contract';
import { provideStudioClient } from '../client';
import { defaultPhaseForm, defaultTheoryForm, validatePhaseForm } from '../lib/theory-form';
import { deferred, fakeClient, type FakeHandlers } from '../testing/fake-client';
import { phaseResult, theoryReport } from '../testing/theory-fixtures';
import { useAppStore } from './app';
import { useProjectStore } from './project';
import { useTheoryStore } from './theory';
import { useViewStore } from './view';

const INFO = { version: '0.1.0', onnxruntime: '1.30.0', providers: { available: ['cpu' as const], used: 'cpu' as const }, host: 'browser' as const };

function phaseConfig(): PhaseConfig {
  const v = validatePhaseForm(defaultTheoryForm(), { ...defaultPhaseForm(), sparsities: '1-4', noise: '0, 0.1', trials: 3 });
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  return v.config;
}

function summary(id: string, status: RunSummary['status'], extra: Partial<RunSummary> = {}): RunSummary {
  return { id, name: id, kind: 'phase', algorithm: 'phase-transition', status, createdAt: '2026-01-01T00:00:00Z', iterations: 0, ...extra };
}
const status = (runId: string, s: RunSummary['status'], extra: Partial<RunSummary> = {}): EventPayload<'run.status'> => ({ runId, status: s, summary: summary(runId, s, extra) });
const metrics = (iteration: number): RunMetrics => ({ iteration, objective: 0, density: [0], seconds: 0, layer: 1 });
const progress = (runId: string, cells: number): EventPayload<'run.progress'> => ({ runId, fraction: cells / 8, totalIterations: 8, metrics: metrics(cells) });
const project = (runs: RunSummary[] = []): ProjectSummary => ({ dir: '/p', name: 'P', schemaVersion: 1, runs });

function setup(handlers: FakeHandlers = {}) {
  const fake = fakeClient({ 'app.info': () => INFO, 'projects.current': () => project(), 'projects.recent': () => [], ...handlers });
  provideStudioClient(fake.client);
  setActivePinia(createPinia());
  return fake;
}

async function withProject(runs: RunSummary[] = []) {
  const p = useProjectStore();
  p.current = project(runs);
  return p;
}

beforeEach(() => {
  vi.spyOn(console, 'error').mockImplementation(() => {});
});

describe('theory store: analysis', () => {
  it('sends the validated form to theory.analyze and shows the report, busy meanwhile', async () => {
    const answer = deferred<ReturnType<typeof theoryReport>>();
    const fake = setup({ 'theory.analyze': () => answer.promise });
    const theory = useTheoryStore();
    const done = theory.analyze();
    expect(theory.analyzing).toBe(true);
    const sent = fake.calls.find((c) => c.op === 'theory.analyze')?.params as { model: { kind: string; size: number }; pursuits: { pursuit: string }[] };
    expect(sent.model).toMatchObject({ kind: 'convolutional', size: 256 });
    expect(sent.pursuits.map((p) => p.pursuit)).toEqual(['omp', 'bp', 'layered-thr']);
    answer.resolve(theoryReport());
    expect(await done).toBe(true);
    expect(theory.analyzing).toBe(false);
    expect(theory.report?.pursuits).toHaveLength(2);
    expect(theory.reportParams?.model.kind).toBe('convolutional');
    expect(theory.analyzeError).toBeNull();
  });

  it('refuses an invalid form without calling the host, and re-checks as the user edits', async () => {
    const fake = setup({ 'theory.analyze': () => theoryReport() });
    const theory = useTheoryStore();
    theory.form.csc.size = 8;
    expect(await theory.analyze()).toBe(false);
    expect(theory.errors['model.layers.0.kernel']).toContain('does not fit');
    expect(fake.calls.some((c) => c.op === 'theory.analyze')).toBe(false);
    theory.form.csc.size = 256;
    await Promise.resolve();
    await new Promise((r) => setTimeout(r, 0));
    expect(theory.errors).toEqual({});
  });

  it('reports a refusal inline and in the banner, keeping the last report', async () => {
    let fail = false;
    setup({
      'theory.analyze': () => {
        if (fail) throw new StudioError('invalid-input', 'The dictionary file W1.npy has 3 filters; the layer asks for 2.', 'model.dictionaries.0');
        return theoryReport();
      },
    });
    const theory = useTheoryStore();
    await theory.analyze();
    const first = theory.report;
    fail = true;
    expect(await theory.analyze()).toBe(false);
    expect(theory.analyzeError).toBe('The dictionary file W1.npy has 3 filters; the layer asks for 2.');
    expect(useAppStore().messages[0]).toMatchObject({ context: 'Analysing the model', code: 'invalid-input', where: 'model.dictionaries.0' });
    expect(theory.report).toBe(first);
  });

  it('keeps only the answer to the latest analysis', async () => {
    const answers = [deferred<ReturnType<typeof theoryReport>>(), deferred<ReturnType<typeof theoryReport>>()];
    let call = 0;
    setup({ 'theory.analyze': () => answers[call++]!.promise });
    const theory = useTheoryStore();
    const a = theory.analyze();
    const b = theory.analyze();
    answers[1]!.resolve(theoryReport(['bp']));
    expect(await b).toBe(true);
    answers[0]!.resolve(theoryReport(['omp']));
    expect(await a).toBe(false);
    expect(theory.report?.pursuits.map((p) => p.pursuit)).toEqual(['bp']);
  });

  it('switches model kinds and ML-CSC depth, keeping the λ lists one per layer', () => {
    setup();
    const theory = useTheoryStore();
    theory.setKind('mlcsc');
    theory.setLayerCount(3);
    expect(theory.form.mlcsc.layers).toHaveLength(3);
    expect(theory.form.pursuits.bp.lambdas).toHaveLength(3);
    theory.setKind('sparseland');
    expect(theory.form.pursuits.bp.lambdas).toHaveLength(1);
    theory.resetForm();
    expect(theory.form.kind).toBe('csc');
  });
});

describe('theory store: phase transitions', () => {
  it('needs a project to start', async () => {
    const fake = setup({ 'theory.phaseStart': () => ({ runId: 'x' }) });
    const theory = useTheoryStore();
    expect(theory.phaseBlocked).toContain('Create or open a project');
    expect(await theory.startPhase()).toBe(false);
    expect(fake.calls.some((c) => c.op === 'theory.phaseStart')).toBe(false);
  });

  it('refuses an invalid grid inline', async () => {
    const fake = setup({ 'theory.phaseStart': () => ({ runId: 'x' }) });
    await withProject();
    const theory = useTheoryStore();
    theory.phaseForm.sparsities = 'one to four';
    expect(await theory.startPhase()).toBe(false);
    expect(theory.phaseErrors['phase.sparsities']).toContain('not a whole number');
    expect(fake.calls.some((c) => c.op === 'theory.phaseStart')).toBe(false);
    // A model error found by the experiment's check is shown in the model form.
    theory.phaseForm.sparsities = '1-4';
    theory.form.csc.layer.filters = 0;
    expect(await theory.startPhase()).toBe(false);
    expect(theory.fieldError('model.layers.0.filters')).toBe('Must be at least 1.');
  });

  it('starts, follows progress and the growing grid, then fetches the final grid when it finishes', async () => {
    const answer = deferred<{ runId: string }>();
    const final = phaseResult(8);
    const fake = setup({ 'theory.phaseStart': () => answer.promise, 'theory.phaseResult': () => final });
    await withProject();
    const theory = useTheoryStore();
    theory.init();
    theory.phaseForm = { ...defaultPhaseForm(), sparsities: '1-4', noise: '0, 0.1', trials: 3 };
    const started = theory.startPhase();
    expect(theory.phaseStarting).toBe(true);
    const sent = fake.calls.find((c) => c.op === 'theory.phaseStart')?.params as { config: PhaseConfig };
    expect(sent.config).toMatchObject({ sparsities: [1, 2, 3, 4], noise: [0, 0.1], trials: 3, pursuits: ['omp', 'bp'] });
    // Events of the new run may beat the answer: they are held, then shown.
    fake.emit('run.status', status('ph1', 'running'));
    fake.emit('phase.progress', { runId: 'ph1', result: phaseResult(1) });
    fake.emit('phase.progress', { runId: 'other', result: phaseResult(7) });
    answer.resolve({ runId: 'ph1' });
    expect(await started).toBe(true);
    expect(theory.phaseRunId).toBe('ph1');
    expect(theory.phaseStatus).toBe('running');
    expect(theory.phaseResult?.cellsDone).toBe(1);
    expect(theory.phaseLiveRunId).toBe('ph1');
    expect(theory.canStartPhase).toBe(false);

    fake.emit('run.progress', progress('ph1', 4));
    fake.emit('phase.progress', { runId: 'ph1', result: phaseResult(4) });
    fake.emit('phase.progress', { runId: 'other', result: phaseResult(8) });
    expect(theory.phaseResult?.cellsDone).toBe(4);
    expect(theory.phaseFraction).toBe(0.5);

    fake.emit('run.status', status('ph1', 'finished'));
    await vi.waitFor(() => expect(fake.calls.filter((c) => c.op === 'theory.phaseResult')).toHaveLength(1));
    await vi.waitFor(() => expect(theory.phaseResult).toBe(final));
    expect(theory.phaseFraction).toBe(1);
    expect(theory.phaseLiveRunId).toBeNull();
    expect(theory.canStartPhase).toBe(true);
  });

  it('cancels with runs.cancel and shows the grid as far as it got', async () => {
    const fake = setup({ 'theory.phaseStart': () => ({ runId: 'ph2' }), 'runs.cancel': () => ({ cancelled: true }), 'theory.phaseResult': () => phaseResult(3) });
    await withProject();
    const theory = useTheoryStore();
    theory.init();
    await theory.startPhase();
    fake.emit('run.status', status('ph2', 'running'));
    expect(theory.canCancelPhase).toBe(true);
    expect(await theory.cancelPhase()).toBe(true);
    expect(fake.calls.find((c) => c.op === 'runs.cancel')?.params).toEqual({ runId: 'ph2' });
    expect(theory.phaseCancelling).toBe(true);
    fake.emit('run.status', { ...status('ph2', 'cancelled'), error: { code: 'cancelled', message: 'Cancelled by the user.' } });
    expect(theory.phaseCancelling).toBe(false);
    await vi.waitFor(() => expect(theory.phaseResult?.cellsDone).toBe(3));
    expect(theory.phaseFraction).toBeCloseTo(3 / 8);
    expect(theory.phaseError?.message).toBe('Cancelled by the user.');
  });

  it('reports a refused start in the banner', async () => {
    setup({
      'theory.phaseStart': () => {
        throw new StudioError('invalid-input', 'sparsity 40 does not fit a stripe of 63 entries');
      },
    });
    await withProject();
    const theory = useTheoryStore();
    expect(await theory.startPhase()).toBe(false);
    expect(useAppStore().messages[0]).toMatchObject({ context: 'Starting the phase-transition experiment', code: 'invalid-input' });
    expect(theory.phaseRunId).toBeNull();
  });

  it('lists the project\'s phase runs and opens one: config from runs.get, grid from theory.phaseResult, no preview asked', async () => {
    const config = phaseConfig();
    const fake = setup({
      'runs.get': ({ runId }) => ({ summary: summary(runId, 'finished', { iterations: 8 }), config, metrics: [] }),
      'theory.phaseResult': () => phaseResult(8),
    });
    await withProject([summary('ph-old', 'finished'), { ...summary('pursuit-1', 'finished'), kind: 'pursuit', algorithm: 'ml-fista' }]);
    const theory = useTheoryStore();
    expect(theory.phaseRuns.map((r) => r.id)).toEqual(['ph-old']);
    await useViewStore().openRun({ id: 'ph-old', kind: 'phase' });
    expect(useViewStore().view).toBe('theory');
    expect(useViewStore().currentRunId()).toBe('ph-old');
    expect(theory.phaseConfig?.sparsities).toEqual([1, 2, 3, 4]);
    expect(theory.phaseStatus).toBe('finished');
    expect(theory.phaseResult?.cellsDone).toBe(8);
    expect(theory.phaseFraction).toBe(1);
    expect(fake.calls.some((c) => c.op === 'runs.preview')).toBe(false);

    // Its settings go back into the forms.
    theory.setKind('sparseland');
    theory.phaseForm.sparsities = '9';
    expect(theory.loadPhaseSettings()).toBe(true);
    expect(theory.form.kind).toBe('csc');
    expect(theory.phaseForm.sparsities).toBe('1-4');
    expect(theory.phaseForm.noise).toBe('0, 0.1');
  });

  it('explains a past experiment without a grid, and drops a late grid of a run no longer on show', async () => {
    const slow = deferred<ReturnType<typeof phaseResult>>();
    setup({
      'runs.get': ({ runId }) => ({ summary: summary(runId, 'failed'), config: phaseConfig(), metrics: [] }),
      'theory.phaseResult': ({ runId }) => {
        if (runId === 'slow') return slow.promise;
        throw new StudioError('not-found', 'run broken has no grid');
      },
    });
    await withProject();
    const theory = useTheoryStore();
    await theory.selectPhase('broken');
    expect(theory.phaseResult).toBeNull();
    expect(theory.phaseResultMissing).toBe('No grid was saved for this experiment: run broken has no grid');
    const pending = theory.selectPhase('slow');
    theory.clearPhase();
    slow.resolve(phaseResult(8));
    await pending;
    expect(theory.phaseRunId).toBeNull();
    expect(theory.phaseResult).toBeNull();
  });

  it('subscribes once to phase.progress and lets go on dispose', () => {
    const fake = setup();
    const theory = useTheoryStore();
    theory.init();
    theory.init();
    expect(fake.listeners('phase.progress')).toBe(1);
    expect(fake.listeners('run.status')).toBeGreaterThan(0);
    theory.dispose();
    expect(fake.listeners('phase.progress')).toBe(0);
  });
});
