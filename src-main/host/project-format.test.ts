/**
 * The project folder is readable with nothing but its documentation: runs saved through the real host (a
 * pursuit run and a K-SVD learning session) are read back by docs/read_project.py — Python and NumPy, using
 * only docs/project-format.md — and what it reports is held against what the engine sent while running.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetSummary, EventPayload, LearnConfigInput, RunConfigInput } from '../../src-shared/contract';
import { serializeNpy } from '../engine/io/npy';
import { createStudioHost, type StudioHostInternals } from './studio-host';
import { callHost, finishRun, pythonWithNumpy } from './test-support';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const reader = path.join(repoRoot, 'docs/read_project.py');
const engineData = existsSync(path.join(repoRoot, 'src-main/engine/data/import.ts'));

const missing = pythonWithNumpy();
if (missing) console.warn(`project-format.test.ts skipped: ${missing}`);

interface ArrayReport {
  dtype: string;
  shape: number[];
  c_order: boolean;
  sum: number;
  nonzeros: number;
  first: number[];
}
interface RunReport {
  id: string;
  kind: string;
  status: string;
  name: string;
  iterations: number;
  finalObjective: number | null;
  layers: { layer: number; nnz: number; density: number }[] | null;
  notes: string | null;
  tags: string[] | null;
  metrics: { count: number; iterations: number[]; lastObjective: number | null; lastValues: Record<string, number> | null };
  arrays: Record<string, ArrayReport>;
  reconstructionError?: number;
  atomsAreW1?: boolean;
  checkpoint?: { iteration: number; arrays: Record<string, { dtype: string; shape: number[] }> };
}
interface Report {
  name: string;
  schemaVersion: number;
  runs: RunReport[];
  datasets: { id: string; name: string; format: string; stats: DatasetSummary['stats']; arrays: Record<string, ArrayReport> }[];
  trash: string[];
}

let dir: string;
let host: StudioHostInternals;
const call = (op: string, params: unknown) => callHost(host, op, params);
const progress: EventPayload<'run.progress'>[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sparseland-format-'));
  host = await createStudioHost({ kind: 'cli', stateDir: path.join(dir, 'state') });
  host.subscribe((event, payload) => {
    if (event === 'run.progress') progress.push(payload as EventPayload<'run.progress'>);
  });
  await call('projects.create', { dir: path.join(dir, 'proj'), name: 'Format check' });
});
afterAll(async () => {
  await host?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const pursuit: RunConfigInput = {
  name: 'ml-fista, two layers',
  source: { kind: 'synthetic', height: 32, width: 32, nonzeros: 6, seed: 3, noise: 0.01 },
  layers: [
    { filters: 6, kernel: 6, stride: 2, pad: 0, dictionary: { kind: 'random', seed: 1 } },
    { filters: 8, kernel: 3, stride: 1, pad: 0, dictionary: { kind: 'random', seed: 2 } },
  ],
  pursuit: { algorithm: 'ml-fista', lambdas: [0.02, 0.01], iterations: 30, tol: 0 },
};

const ksvd: LearnConfigInput = {
  name: 'K-SVD on the camera',
  method: 'ksvd',
  data: { kind: 'sample', name: 'camera', downsample: 8 },
  params: { patchSize: 6, atoms: 36, sparsity: 3, trainingPatches: 1500, sigma: 20 },
  iterations: 4,
  seed: 7,
  checkpointEvery: 2,
};

const finish = (op: 'runs.start' | 'sessions.start' | 'theory.phaseStart', config: unknown) => finishRun(host, op, config);

describe('the documented project format', () => {
  it.skipIf(missing !== undefined)('is enough to read runs back with Python and NumPy alone', async () => {
    const p = await finish('runs.start', pursuit);
    const s = await finish('sessions.start', ksvd);
    const gone = await finish('runs.start', { ...pursuit, name: 'deleted', pursuit: { ...pursuit.pursuit, iterations: 5 } });
    await call('runs.update', { runId: p.id, notes: 'first try', tags: ['baseline', 'λ sweep'] });
    await call('runs.delete', { runId: gone.id });
    let dataset: DatasetSummary | undefined;
    if (engineData) {
      const file = path.join(dir, 'digits.npy');
      writeFileSync(file, serializeNpy({ dtype: 'uint8', shape: [10, 8, 8], data: Uint8Array.from({ length: 640 }, (_, k) => (k * 7) % 256) }));
      dataset = (await call('datasets.import', { path: file, name: 'digits', preprocessing: [{ op: 'scale01' }, { op: 'split', testFraction: 0.2, seed: 0 }] })) as DatasetSummary;
    }

    const r = spawnSync('python3', [reader, path.join(dir, 'proj')], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report).toMatchObject({ name: 'Format check', schemaVersion: 2, trash: [gone.id] });
    if (dataset) {
      // The data set: data.npy and test.npy as float32 [N, C, H, W], with the statistics recorded for them.
      expect(report.datasets).toHaveLength(1);
      const d = report.datasets[0]!;
      expect(d).toMatchObject({ id: dataset.id, name: 'digits', format: 'npy', stats: dataset.stats });
      expect(d.arrays.data).toMatchObject({ dtype: 'float32', shape: [8, 1, 8, 8], c_order: true });
      expect(d.arrays.test).toMatchObject({ dtype: 'float32', shape: [2, 1, 8, 8] });
      expect(d.arrays.data!.sum / (8 * 64)).toBeCloseTo(dataset.stats.mean, 5);
    } else {
      expect(report.datasets).toEqual([]);
    }
    expect(report.runs.map((x) => x.id)).toEqual([p.id, s.id]);

    // The pursuit run: status, metrics as the engine sent them, and arrays NumPy reads with the documented shapes.
    const pr = report.runs[0]!;
    expect(pr).toMatchObject({ kind: 'pursuit', status: 'finished', name: 'ml-fista, two layers', iterations: 30, notes: 'first try', tags: ['baseline', 'λ sweep'] });
    const sent = progress.filter((e) => e.runId === p.id).map((e) => e.metrics);
    expect(pr.metrics.iterations).toEqual(sent.map((m) => m.iteration));
    expect(pr.metrics.iterations.at(-1)).toBe(30);
    expect(pr.metrics.lastObjective).toBe(sent.at(-1)!.objective);
    expect(pr.finalObjective).toBe(p.finalObjective);
    expect(Object.fromEntries(Object.entries(pr.arrays).map(([k, a]) => [k, a.shape]))).toEqual({
      W1: [6, 1, 6, 6],
      W2: [8, 6, 3, 3],
      atoms1: [6, 6, 6],
      atoms2: [8, 10, 10],
      gamma1: [1, 6, 14, 14],
      gamma2: [1, 8, 12, 12],
      input: [1, 1, 32, 32],
      reconstruction: [1, 1, 32, 32],
    });
    for (const [name, a] of Object.entries(pr.arrays)) {
      expect(a.dtype, name).toBe('float32');
      expect(a.c_order, name).toBe(true);
    }
    // The codes NumPy reads have exactly the nonzeros the engine reported for each layer…
    expect([pr.arrays.gamma1!.nonzeros, pr.arrays.gamma2!.nonzeros]).toEqual(p.layers!.map((l) => l.nnz));
    expect(pr.arrays.gamma2!.nonzeros / (8 * 12 * 12)).toBeCloseTo(p.layers![1]!.density, 12);
    // …and D1Γ1 computed in NumPy from W1.npy and gamma1.npy, as the page describes it, is reconstruction.npy.
    expect(pr.reconstructionError).toBeLessThan(1e-4);
    expect(pr.atomsAreW1).toBe(true);

    // The learning session: one metrics line per iteration, its figures, the arrays and the last checkpoint.
    const sr = report.runs[1]!;
    expect(sr).toMatchObject({ kind: 'learning', status: 'finished', iterations: 4 });
    const sentS = progress.filter((e) => e.runId === s.id).map((e) => e.metrics);
    expect(sr.metrics.iterations).toEqual([1, 2, 3, 4]);
    expect(sr.metrics.lastObjective).toBe(sentS.at(-1)!.objective);
    expect(sr.metrics.lastValues).toEqual(sentS.at(-1)!.values);
    expect(sr.finalObjective).toBe(s.finalObjective);
    expect(sr.arrays.W1).toMatchObject({ dtype: 'float32', shape: [36, 1, 6, 6], c_order: true });
    expect(sr.atomsAreW1).toBe(true);
    for (const name of ['input', 'clean', 'reconstruction']) expect(sr.arrays[name]?.shape, name).toEqual([64, 64]);
    expect(sr.checkpoint?.iteration).toBe(s.checkpointIteration);
    expect(sr.checkpoint?.iteration).toBe(4);
    expect(Object.keys(sr.checkpoint!.arrays).length).toBeGreaterThan(0);
    for (const [name, a] of Object.entries(sr.checkpoint!.arrays)) expect(['float32', 'float64', 'int32', 'int64', 'uint8'], name).toContain(a.dtype);
  });
});
