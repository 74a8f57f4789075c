import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PhaseResult, TheoryReport, type EventName, type EventPayload, type PhaseConfigInput, type TheoryAnalyzeInput } from '../../src-shared/contract';
import { writeNpyFile } from '../engine/io';
import { createStudioHost, type StudioHostInternals } from './studio-host';
import { callHost, statusIs, waitForEvent } from './test-support';

let dir: string;
let host: StudioHostInternals;
const call = (op: string, params: unknown) => callHost(host, op, params);
const waitFor = <E extends EventName>(event: E, pred: (p: EventPayload<E>) => boolean) => waitForEvent(host, event, pred);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sparseland-theory-'));
  host = await createStudioHost({ kind: 'cli', stateDir: path.join(dir, 'state') });
  await call('projects.create', { dir: path.join(dir, 'proj'), name: 'Theory' });
});
afterAll(async () => {
  await host?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const csc: TheoryAnalyzeInput['model'] = { kind: 'convolutional', dims: '1d', size: 160, layers: [{ filters: 2, kernel: 24, stride: 1, targetCoherence: 0.15 }] };

describe('theory.analyze', () => {
  it('reports, per pursuit and layer, the theorem against the measurement on a noiseless CSC sample', async () => {
    const report = TheoryReport.parse(
      await call('theory.analyze', {
        model: csc,
        sampling: { sparsity: 1, values: { valueRange: [0.8, 1] }, noise: { kind: 'none' }, count: 8, seed: 4 },
        pursuits: [{ pursuit: 'omp' }, { pursuit: 'bp', iterations: 600 }, { pursuit: 'layered-thr' }],
      }),
    );
    expect(report.dictionaries).toHaveLength(1);
    const d = report.dictionaries[0]!;
    expect(d.mu).toBeGreaterThanOrEqual(d.welch);
    expect(d.coherence.shape).toEqual([2, 2]);
    expect(report.codes[0]!.stripe).toBe(1);
    const omp = report.pursuits.find((p) => p.pursuit === 'omp')!.layers[0]!;
    expect(omp.holds).toBe(true);
    expect(omp.exact).toBe(1);
    expect(omp.measured).toBeLessThan(1e-8);
    // Thresholding's theorem holds at stripe sparsity 1 with |Γmin|/|Γmax| ≥ 0.8 and μ ≤ 0.15: support and bound.
    const thr = report.pursuits.find((p) => p.pursuit === 'layered-thr')!.layers[0]!;
    expect(thr.holds).toBe(true);
    expect(thr.exact).toBe(1);
    // At stripe sparsity 1 the bound is tight (soft thresholding shrinks each entry by exactly β): float32 slack.
    expect(thr.measured).toBeLessThanOrEqual(thr.predicted! * (1 + 1e-5));
    expect(report.atoms[0]!.images.shape).toEqual([2, 1, 24]);
    expect(report.clean.shape).toEqual([1, 160]);
  });

  it('on a noisy two-layer ML-CSC sample, layered BP stays within its bound wherever its condition holds', async () => {
    const report = TheoryReport.parse(
      await call('theory.analyze', {
        model: { kind: 'convolutional', dims: '1d', size: 120, layers: [{ filters: 2, kernel: 20, stride: 1, targetCoherence: 0.2 }, { filters: 3, kernel: 7, stride: 1, nonzeros: 2, values: 'sign', targetCoherence: 0.3 }] },
        sampling: { sparsity: 1, values: { valueRange: [0.9, 1] }, noise: { kind: 'patch', value: 0.01 }, count: 4, seed: 2 },
        pursuits: [{ pursuit: 'layered-bp', iterations: 400 }, { pursuit: 'ml-fista', iterations: 100 }],
      }),
    );
    expect(report.noisePatch).toBeCloseTo(0.01, 10);
    const lbp = report.pursuits.find((p) => p.pursuit === 'layered-bp')!;
    expect(lbp.layers).toHaveLength(2);
    for (const v of lbp.layers) if (v.holds) expect(v.measured).toBeLessThanOrEqual(v.predicted! * (1 + 1e-5));
    const ml = report.pursuits.find((p) => p.pursuit === 'ml-fista')!;
    expect(ml.layers.every((v) => v.theorem === null && v.holds === null)).toBe(true);
    expect(report.atoms.map((a) => a.layer)).toEqual([1, 2]);
  });

  it('handles a strided 2-D model and shows its effective atoms as images', async () => {
    const report = TheoryReport.parse(
      await call('theory.analyze', {
        model: { kind: 'convolutional', dims: '2d', size: 24, layers: [{ filters: 4, kernel: 5, stride: 1 }, { filters: 6, kernel: 4, stride: 2, nonzeros: 4 }] },
        sampling: { sparsity: 1, values: { valueRange: [0.5, 1] }, noise: { kind: 'snr', value: 20 }, count: 2, seed: 1 },
        pursuits: [{ pursuit: 'layered-thr' }, { pursuit: 'ml-fista', iterations: 30 }, { pursuit: 'omp' }],
      }),
    );
    expect(report.codes.map((c) => c.shape)).toEqual([[4, 20, 20], [6, 9, 9]]);
    expect(report.atoms[1]!.images.shape).toEqual([6, 5 + 1 * 3, 5 + 1 * 3]);
    expect(report.clean.shape).toEqual([24, 24]);
    expect(report.pursuits.every((p) => p.reconstruction.shape.join() === '24,24')).toBe(true);
  });

  it('loads the model dictionaries from .npy files, and refuses one of the wrong shape naming the file', async () => {
    const w = new Float32Array(2 * 1 * 1 * 24);
    for (let j = 0; j < w.length; j++) w[j] = Math.sin(1 + j * j * 0.37);
    await writeNpyFile(path.join(dir, 'W1.npy'), { dtype: 'float32', shape: [2, 1, 1, 24], data: w });
    const model = { ...csc, layers: [{ filters: 2, kernel: 24, stride: 1 }], dictionaries: [path.join(dir, 'W1.npy')] };
    const report = TheoryReport.parse(
      await call('theory.analyze', { model, sampling: { sparsity: 1, values: { valueRange: [1, 1] }, noise: { kind: 'none' }, count: 2 }, pursuits: [{ pursuit: 'omp' }] }),
    );
    // The atoms shown are the file's filters, as loaded (not renormalised).
    expect(Array.from(report.atoms[0]!.images.data)).toEqual(Array.from(w));
    await expect(call('theory.analyze', { model: { ...model, layers: [{ filters: 3, kernel: 24, stride: 1 }] }, sampling: { sparsity: 1, values: { valueRange: [1, 1] }, noise: { kind: 'none' } }, pursuits: [{ pursuit: 'omp' }] })).rejects.toThrow(/W1\.npy has shape \[2, 1, 1, 24\]/);
  });

  it('refuses an impossible geometry with a message naming the layer', async () => {
    await expect(
      call('theory.analyze', {
        model: { kind: 'convolutional', dims: '1d', size: 10, layers: [{ filters: 2, kernel: 12, stride: 1 }] },
        sampling: { sparsity: 1, values: { valueRange: [1, 1] }, noise: { kind: 'none' } },
        pursuits: [{ pursuit: 'omp' }],
      }),
    ).rejects.toThrow(/layer 1/);
  });
});

describe('phase transitions', () => {
  const config = (trials: number, sparsities: number[]): PhaseConfigInput => ({
    name: `phase ${trials}`,
    model: { kind: 'convolutional', dims: '1d', size: 128, layers: [{ filters: 2, kernel: 16, stride: 1, targetCoherence: 0.2 }] },
    pursuits: ['omp', 'layered-thr'],
    sparsities,
    trials,
    iterations: 50,
  });

  it('runs as a project run with progress, saves its grid after every cell, and reads it back', async () => {
    const { runId } = (await call('theory.phaseStart', { config: config(3, [1, 2, 3]) })) as { runId: string };
    const cells: number[] = [];
    const off = host.subscribe((e, p) => {
      if (e === 'phase.progress' && (p as EventPayload<'phase.progress'>).runId === runId) cells.push((p as EventPayload<'phase.progress'>).result.cellsDone);
    });
    const done = await waitFor('run.status', statusIs(runId, 'finished', 'failed'));
    off();
    expect(done.status, JSON.stringify(done.error)).toBe('finished');
    expect(done.summary.kind).toBe('phase');
    expect(cells).toContain(3);
    const saved = PhaseResult.parse(JSON.parse(readFileSync(path.join(dir, 'proj', 'runs', runId, 'phase.json'), 'utf8')));
    const read = (await call('theory.phaseResult', { runId })) as PhaseResult;
    expect(read).toEqual(saved);
    expect(read.cellsDone).toBe(3);
    expect(read.success[0]![0]!.every((v) => v !== null)).toBe(true);
    const detail = (await call('runs.get', { runId })) as { config: { pursuits: string[] } };
    expect(detail.config.pursuits).toEqual(['omp', 'layered-thr']);
  });

  it('can be cancelled, keeping the cells it finished', async () => {
    const { runId } = (await call('theory.phaseStart', { config: config(40, [1, 2, 3, 4, 5, 6, 7, 8]) })) as { runId: string };
    await waitFor('phase.progress', (p) => p.runId === runId && p.result.cellsDone >= 1);
    await call('runs.cancel', { runId });
    const done = await waitFor('run.status', statusIs(runId, 'cancelled', 'finished', 'failed'));
    expect(done.status).toBe('cancelled');
    const read = (await call('theory.phaseResult', { runId })) as PhaseResult;
    expect(read.cellsDone).toBeGreaterThanOrEqual(1);
    expect(read.cellsDone).toBeLessThan(8);
  });
});
