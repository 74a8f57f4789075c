/**
 * Learning on a project's data sets, the snapshots a session leaves for the step slider, runs.theory and
 * datasets.upload, through a real host and engine process.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunTheory, type DatasetSummary, type EventName, type EventPayload, type LearnConfigInput, type RunDetail, type RunPreview } from '../../src-shared/contract';
import { readNpyFile, serializeNpy, writeNpyFile } from '../engine/io/npy';
import { writeNpz } from '../engine/io/npz';
import { writeGrayPng } from '../engine/io/png';
import { createStudioHost, type StudioHostInternals } from './studio-host';
import { callHost, statusIs, waitForEvent } from './test-support';

let dir: string;
let proj: string;
let host: StudioHostInternals;
const call = (op: string, params: unknown) => callHost(host, op, params);
const waitFor = <E extends EventName>(event: E, pred: (p: EventPayload<E>) => boolean) => waitForEvent(host, event, pred, 60_000);
const runDir = (id: string) => path.join(proj, 'runs', id);
const snapshotDir = (id: string, it: number) => path.join(runDir(id), 'snapshots', String(it).padStart(9, '0'));

/** Six 12×12 items with smooth, distinct patterns in [0, 1]. */
const items = Float32Array.from({ length: 6 * 144 }, (_, k) => 0.5 + 0.5 * Math.sin(0.37 * k + Math.floor(k / 144)));

const ksvd = (data: LearnConfigInput['data'], iterations: number, name = 'on a data set'): LearnConfigInput => ({
  name,
  method: 'ksvd',
  data,
  params: { patchSize: 4, atoms: 16, sparsity: 2, trainingPatches: 100, sigma: 0 },
  iterations,
  seed: 1,
  checkpointEvery: 1,
});

async function finish(runId: string): Promise<EventPayload<'run.status'>> {
  return waitFor('run.status', statusIs(runId, 'finished', 'failed', 'cancelled'));
}

let plain: DatasetSummary;
let labelled: DatasetSummary;

beforeAll(async () => {
  dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'sparseland-dataset-sessions-')));
  proj = path.join(dir, 'proj');
  mkdirSync(path.join(dir, 'data'));
  writeFileSync(path.join(dir, 'data', 'items.npy'), serializeNpy({ dtype: 'float32', shape: [6, 12, 12], data: items }));
  writeFileSync(
    path.join(dir, 'data', 'labelled.npz'),
    writeNpz({ x: { dtype: 'float32', shape: [8, 12, 12], data: Float32Array.from({ length: 8 * 144 }, (_, k) => Math.abs(Math.cos(k * 0.11))) }, y: { dtype: 'int32', shape: [8], data: Int32Array.from({ length: 8 }, (_, i) => i % 2) } }),
  );
  host = await createStudioHost({ kind: 'browser', stateDir: path.join(dir, 'state'), allowedRoots: [dir] });
  await call('projects.create', { dir: proj, name: 'Data sessions' });
  plain = await call('datasets.import', { path: path.join(dir, 'data', 'items.npy'), name: 'items' });
  labelled = await call('datasets.import', { path: path.join(dir, 'data', 'labelled.npz'), name: 'labelled', preprocessing: [{ op: 'split', testFraction: 0.25, seed: 2 }] });
}, 60_000);
afterAll(async () => {
  await host?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a learning session on a data set', () => {
  let runId: string;

  it('finishes, its configuration names the data set, and it learned from the stored data.npy', async () => {
    ({ runId } = (await call('sessions.start', { config: ksvd({ kind: 'dataset', id: plain.id }, 3) })) as { runId: string });
    const done = await finish(runId);
    expect(done.status, JSON.stringify(done.error)).toBe('finished');
    const detail = (await call('runs.get', { runId })) as RunDetail;
    expect(detail.config).toMatchObject({ method: 'ksvd', data: { kind: 'dataset', id: plain.id, split: 'train' } });
    expect(JSON.parse(readFileSync(path.join(runDir(runId), 'config.json'), 'utf8')).data).toEqual({ kind: 'dataset', id: plain.id, split: 'train' });
    // Patch methods learn on the first item: the run's input is item 0 of the data set.
    const input = await readNpyFile(path.join(runDir(runId), 'input.npy'));
    const stored = await readNpyFile(path.join(proj, 'datasets', plain.id, 'data.npy'));
    expect([...input.shape]).toEqual([12, 12]);
    const first = (stored.data as Float32Array).subarray(0, 144);
    Array.from(input.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(first[i]!, 5));
  });

  it('left snapshots at its start and end; previewAt reads them back and runs.preview says its iteration', async () => {
    const { iterations } = (await call('runs.snapshots', { runId })) as { iterations: number[] };
    expect(iterations[0]).toBe(0);
    expect(iterations.at(-1)).toBe(3);
    expect(iterations.every((v, i) => i === 0 || v > iterations[i - 1]!)).toBe(true);
    const start = (await call('runs.previewAt', { runId, iteration: 0 })) as RunPreview;
    expect(start.iteration).toBe(0);
    const onDisk = await readNpyFile(path.join(snapshotDir(runId, 0), 'atoms1.npy'));
    expect(start.atoms[0]!.images.shape).toEqual([16, 4, 4]);
    expect(Array.from(start.atoms[0]!.images.data)).toEqual(Array.from(onDisk.data as Float32Array));
    const end = (await call('runs.previewAt', { runId, iteration: 99 })) as RunPreview;
    expect(end.iteration).toBe(3);
    const final = await readNpyFile(path.join(runDir(runId), 'atoms1.npy'));
    expect(Array.from(end.atoms[0]!.images.data)).toEqual(Array.from(final.data as Float32Array));
    expect(Array.from(end.atoms[0]!.images.data)).not.toEqual(Array.from(start.atoms[0]!.images.data));
    const preview = (await call('runs.preview', { runId })) as RunPreview;
    expect(preview.iteration).toBe(3);
  });

  it('runs.theory holds the patch dictionary against the coherence bound (Gram of W1.npy)', async () => {
    const t = RunTheory.parse(await call('runs.theory', { runId }));
    expect(t.model).toBe('sparseland');
    const W = await readNpyFile(path.join(runDir(runId), 'W1.npy'));
    const d = W.data as Float32Array;
    const [K, , p] = W.shape as [number, number, number, number];
    const n = p * p;
    let mu = 0;
    for (let i = 0; i < K; i++) {
      for (let j = i + 1; j < K; j++) {
        let s = 0;
        let a = 0;
        let b = 0;
        for (let r = 0; r < n; r++) {
          s += d[i * n + r]! * d[j * n + r]!;
          a += d[i * n + r]! ** 2;
          b += d[j * n + r]! ** 2;
        }
        mu = Math.max(mu, Math.abs(s) / Math.sqrt(a * b));
      }
    }
    expect(t.layers).toHaveLength(1);
    expect(t.layers[0]).toMatchObject({ layer: 1, atoms: 16, channels: 1, kernel: 4, stride: 1 });
    expect(t.layers[0]!.coherence).toBeCloseTo(mu, 6);
    expect(t.layers[0]!.sparsityBound).toBeCloseTo(0.5 * (1 + 1 / mu), 5);
    expect(t.note).toMatch(/saved no codes/);
  });

  it('learns a convolutional dictionary on every item of a data set; runs.theory reads its filters at stride 1', async () => {
    const { runId: id } = (await call('sessions.start', {
      config: { method: 'cdl', data: { kind: 'dataset', id: plain.id }, params: { filters: 4, kernel: 3, codingIterations: 3, lambda: 0.05 }, iterations: 2, seed: 2 },
    })) as { runId: string };
    const done = await finish(id);
    expect(done.status, JSON.stringify(done.error)).toBe('finished');
    expect(done.summary.name).toBe('cdl on items');
    const metrics = ((await call('runs.get', { runId: id })) as RunDetail).metrics;
    expect(metrics.at(-1)!.values!.imagesCoded).toBe(6);
    const t = RunTheory.parse(await call('runs.theory', { runId: id }));
    expect(t.model).toBe('convolutional');
    expect(t.layers).toEqual([expect.objectContaining({ layer: 1, atoms: 4, channels: 1, kernel: 3, stride: 1 })]);
    expect(t.layers[0]!.welch).toBeLessThanOrEqual(t.layers[0]!.coherence);
    expect((await call('runs.snapshots', { runId: id })) as { iterations: number[] }).toMatchObject({ iterations: expect.arrayContaining([2]) });
  });

  it('refuses an unknown data set, a missing test split and a method that does not take data sets', async () => {
    await expect(call('sessions.start', { config: ksvd({ kind: 'dataset', id: 'd-unknown' }, 2) })).rejects.toMatchObject({ code: 'not-found', message: expect.stringMatching(/data set d-unknown is not in project/) });
    await expect(call('sessions.start', { config: ksvd({ kind: 'dataset', id: plain.id, split: 'test' }, 2) })).rejects.toMatchObject({ code: 'invalid-input', message: expect.stringMatching(/"items".*has no test split/) });
    await expect(
      call('sessions.start', { config: { method: 'unrolled-supervised', data: { kind: 'dataset', id: labelled.id }, iterations: 1 } }),
    ).rejects.toMatchObject({ code: 'invalid-input', message: expect.stringMatching(/unrolled-supervised does not train on data of kind "dataset"; it accepts mnist/) });
  });

  it('resumes on the same data set with a monotone snapshot history, and refuses to once the data set is removed', async () => {
    const { runId: id } = (await call('sessions.start', { config: ksvd({ kind: 'dataset', id: labelled.id, split: 'test' }, 100_000, 'resumable') })) as { runId: string };
    await waitFor('run.progress', (p) => p.runId === id && p.metrics.iteration >= 2);
    await call('runs.cancel', { runId: id });
    const stopped = await finish(id);
    expect(stopped.status).toBe('cancelled');
    const checkpoint = stopped.summary.checkpointIteration!;
    expect(checkpoint).toBeGreaterThanOrEqual(2);
    // A snapshot from "after" the checkpoint, as a crash between a snapshot and the next checkpoint leaves.
    mkdirSync(snapshotDir(id, checkpoint + 1), { recursive: true });
    await writeNpyFile(path.join(snapshotDir(id, checkpoint + 1), 'atoms1.npy'), { dtype: 'float32', shape: [1, 4, 4], data: new Float32Array(16).fill(7) });
    await call('sessions.resume', { runId: id });
    expect(existsSync(snapshotDir(id, checkpoint + 1))).toBe(false);
    await waitFor('run.progress', (p) => p.runId === id && p.metrics.iteration >= checkpoint + 2);
    await call('runs.cancel', { runId: id });
    expect((await finish(id)).status).toBe('cancelled');
    const { iterations } = (await call('runs.snapshots', { runId: id })) as { iterations: number[] };
    expect(iterations[0]).toBe(0);
    expect(iterations).toContain(checkpoint);
    expect(iterations.every((v, i) => i === 0 || v > iterations[i - 1]!)).toBe(true);
    if (iterations.includes(checkpoint + 1)) {
      const again = (await call('runs.previewAt', { runId: id, iteration: checkpoint + 1 })) as RunPreview;
      expect(again.atoms[0]!.images.shape).toEqual([16, 4, 4]);
    }

    expect(await call('datasets.remove', { id: labelled.id })).toEqual({ removed: true });
    await expect(call('sessions.resume', { runId: id })).rejects.toMatchObject({ code: 'not-found', message: expect.stringMatching(new RegExp(`data set ${labelled.id} is not in project.*resuming session ${id}`)) });
    expect(((await call('runs.get', { runId: id })) as RunDetail).summary.status).toBe('cancelled');
  });
});

describe('runs.theory', () => {
  it('measures a pursuit run’s codes: μ from the filters, ‖Γ‖s0,∞ from gamma1.npy', async () => {
    const { runId } = (await call('runs.start', {
      config: {
        source: { kind: 'synthetic', height: 16, width: 16, nonzeros: 6, seed: 3 },
        layers: [{ filters: 4, kernel: 3, stride: 1, pad: 2, dictionary: { kind: 'random', seed: 5 } }],
        pursuit: { algorithm: 'fista', lambdas: [0.05], iterations: 30 },
      },
    })) as { runId: string };
    const done = await finish(runId);
    expect(done.status, JSON.stringify(done.error)).toBe('finished');
    const t = RunTheory.parse(await call('runs.theory', { runId }));
    expect(t.model).toBe('convolutional');
    const layer = t.layers[0]!;
    expect(layer).toMatchObject({ atoms: 4, channels: 1, kernel: 3, stride: 1 });
    const gamma = await readNpyFile(path.join(runDir(runId), 'gamma1.npy'));
    const [, m, Hc, Wc] = gamma.shape as [number, number, number, number];
    const g = gamma.data as Float32Array;
    // Brute force: every 3×3 window of the 16×16 input, the non-zeros whose atoms (rows a − 2 … a) overlap it.
    let stripe = 0;
    for (let r0 = 0; r0 + 3 <= 16; r0++) {
      for (let c0 = 0; c0 + 3 <= 16; c0++) {
        let count = 0;
        for (let j = 0; j < m; j++) for (let a = 0; a < Hc; a++) for (let b = 0; b < Wc; b++) if (g[(j * Hc + a) * Wc + b] !== 0 && a - 2 <= r0 + 2 && a >= r0 && b - 2 <= c0 + 2 && b >= c0) count++;
        stripe = Math.max(stripe, count);
      }
    }
    expect(layer.stripeSparsity).toBe(stripe);
    expect(layer.density).toBeCloseTo(g.filter((v) => v !== 0).length / g.length, 12);
    expect(layer.holds).toBe(stripe < layer.sparsityBound);
  });

  it('refuses a phase-transition run', async () => {
    const { runId } = (await call('theory.phaseStart', {
      config: { model: { kind: 'convolutional', dims: '1d', size: 64, layers: [{ filters: 2, kernel: 8, stride: 1, targetCoherence: 0.3 }] }, pursuits: ['omp'], sparsities: [1], trials: 1, iterations: 5 },
    })) as { runId: string };
    await expect(call('runs.theory', { runId })).rejects.toMatchObject({ code: 'invalid-input', message: expect.stringMatching(/phase-transition run has no dictionaries/) });
    await finish(runId);
  });
});

describe('datasets.upload', () => {
  const gray = (seed: number) => Float32Array.from({ length: 8 * 10 }, (_, k) => ((k * 7 + seed * 31) % 256) / 255);
  const png = (seed: number) => writeGrayPng(gray(seed), 8, 10, { min: 0, max: 1 });
  const folders = () => readdirSync(path.join(proj, 'datasets')).sort();

  it('imports one PNG as an image, stored as a copy of the exact bytes', async () => {
    const bytes = png(1);
    const s = (await call('datasets.upload', { files: [{ name: 'one.png', bytes }] })) as DatasetSummary;
    expect(s).toMatchObject({ name: 'one', format: 'image', stored: 'copy', source: 'one.png', copyPath: `datasets/${s.id}/source/one.png` });
    expect(new Uint8Array(readFileSync(path.join(proj, s.copyPath!)))).toEqual(new Uint8Array(bytes));
    const data = await readNpyFile(path.join(proj, 'datasets', s.id, 'data.npy'));
    expect([...data.shape]).toEqual([1, 1, 8, 10]);
    Array.from(data.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(gray(1)[i]!, 6));
    expect(((await call('datasets.list', {})) as DatasetSummary[]).map((d) => d.id)).toContain(s.id);
  });

  it('imports several PNGs as one image folder, with preprocessing', async () => {
    const s = (await call('datasets.upload', { files: [{ name: 'b.png', bytes: png(2) }, { name: 'a.png', bytes: png(3) }], name: 'pair', preprocessing: [{ op: 'scale01' }] })) as DatasetSummary;
    expect(s).toMatchObject({ name: 'pair', format: 'image-folder', copyPath: `datasets/${s.id}/source` });
    expect(s.stats.shape).toEqual([2, 1, 8, 10]);
    expect(s.preprocessing).toEqual([{ op: 'scale01' }]);
    expect(readdirSync(path.join(proj, 'datasets', s.id, 'source')).sort()).toEqual(['a.png', 'b.png']);
  });

  it('imports the chosen array of an .npz', async () => {
    const bytes = writeNpz({ first: { dtype: 'float32', shape: [3, 4, 4], data: new Float32Array(48).fill(0.25) }, second: { dtype: 'float64', shape: [6, 5, 5], data: new Float64Array(150).fill(0.5) } });
    const s = (await call('datasets.upload', { files: [{ name: 'arrays.npz', bytes }], array: 'second' })) as DatasetSummary;
    expect(s).toMatchObject({ format: 'npz', array: 'second', sourceShape: [6, 5, 5], sourceDtype: 'float64' });
    expect(s.stats.shape).toEqual([6, 1, 5, 5]);
  });

  it('refuses a corrupt file, duplicate names and mixed folders, leaving nothing behind', async () => {
    const before = folders();
    const err = (await call('datasets.upload', { files: [{ name: 'broken.png', bytes: new TextEncoder().encode('\x89PNG\r\n\x1a\n but not really') }] }).catch((e: unknown) => e)) as Error & { code: string };
    expect(err.code).toBe('invalid-input');
    expect(err.message).toMatch(/^broken\.png: /);
    expect(err.message, 'the message names the dropped file, not where the project kept it').not.toMatch(/\.import-|source\//);
    await expect(call('datasets.upload', { files: [{ name: 'a.png', bytes: png(1) }, { name: 'A.PNG', bytes: png(2) }] })).rejects.toMatchObject({ code: 'invalid-input', message: expect.stringMatching(/two files named A\.PNG/) });
    await expect(call('datasets.upload', { files: [{ name: 'a.png', bytes: png(1) }, { name: 'x.npy', bytes: serializeNpy({ dtype: 'float32', shape: [2], data: new Float32Array(2) }) }] })).rejects.toMatchObject({
      code: 'invalid-input',
      message: expect.stringMatching(/x\.npy is not an image/),
    });
    await expect(call('datasets.upload', { files: [{ name: '.hidden.png', bytes: png(1) }] })).rejects.toMatchObject({ code: 'invalid-input' });
    await expect(call('datasets.upload', { files: [{ name: '../escape.png', bytes: png(1) }] })).rejects.toMatchObject({ code: 'invalid-request' });
    expect(folders()).toEqual(before);
    expect(existsSync(path.join(proj, 'datasets')) && folders().some((f) => f.startsWith('.'))).toBe(false);
    const listed = ((await call('projects.current', {})) as { datasets: DatasetSummary[] }).datasets.map((d) => d.id).sort();
    expect(listed).toEqual(before.filter((f) => !f.startsWith('.')));
  });
});

