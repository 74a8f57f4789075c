/**
 * Data sets in a project, through a real host and engine process: import (parsed in the engine), the stored
 * folder datasets/<id>/ as docs/project-format.md describes it, preview, removal into the trash, errors that
 * name the file, path confinement, and a run that uses the stored data.npy.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetPreview, DatasetSummary, EventName, EventPayload, ProjectSummary } from '../../src-shared/contract';
import { readNpyFile, serializeNpy } from '../engine/io/npy';
import { writeNpz } from '../engine/io/npz';
import { createStudioHost, type StudioHostInternals } from './studio-host';
import { callHost, statusIs, waitForEvent } from './test-support';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const engineData = existsSync(path.join(repoRoot, 'src-main/engine/data/import.ts'));

let dir: string;
let proj: string;
let host: StudioHostInternals;
const call = (op: string, params: unknown) => callHost(host, op, params);
const waitFor = <E extends EventName>(event: E, pred: (p: EventPayload<E>) => boolean) => waitForEvent(host, event, pred);

/** 10 items of 8×8 uint8, item i filled with i·20 + pixel index (mod 256): an MNIST-like [N, H, W] array. */
function digits(): Uint8Array {
  return Uint8Array.from({ length: 10 * 64 }, (_, k) => (Math.floor(k / 64) * 20 + (k % 64)) % 256);
}

beforeAll(async () => {
  dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'sparseland-datasets-')));
  proj = path.join(dir, 'proj');
  mkdirSync(path.join(dir, 'data'));
  writeFileSync(path.join(dir, 'data', 'digits.npy'), serializeNpy({ dtype: 'uint8', shape: [10, 8, 8], data: digits() }));
  writeFileSync(
    path.join(dir, 'data', 'labelled.npz'),
    writeNpz({
      x: { dtype: 'float32', shape: [12, 8, 8], data: Float32Array.from({ length: 12 * 64 }, (_, k) => Math.sin(k)) },
      y: { dtype: 'int32', shape: [12], data: Int32Array.from({ length: 12 }, (_, i) => i % 3) },
      other: { dtype: 'float64', shape: [2, 6, 6], data: new Float64Array(72).fill(0.5) },
    }),
  );
  writeFileSync(path.join(dir, 'data', 'broken.npy'), new TextEncoder().encode('\x93NUMPY\x01\x00garbage that is no header'));
  host = await createStudioHost({ kind: 'browser', stateDir: path.join(dir, 'state'), allowedRoots: [dir, path.join(repoRoot, 'resources/samples')] });
  await call('projects.create', { dir: proj, name: 'Data' });
});
afterAll(async () => {
  await host?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!engineData)('data sets', () => {
  let digitsSet: DatasetSummary;

  it('imports an .npy by reference, preprocessed and split, stored as the format page describes', async () => {
    const changed = waitFor('project.changed', (p) => (p.datasets ?? []).length === 1);
    digitsSet = (await call('datasets.import', {
      path: path.join(dir, 'data', 'digits.npy'),
      name: 'digits',
      preprocessing: [{ op: 'scale01' }, { op: 'split', testFraction: 0.2, seed: 1 }],
    })) as DatasetSummary;
    expect(digitsSet).toMatchObject({
      name: 'digits',
      format: 'npy',
      source: path.join(dir, 'data', 'digits.npy'),
      stored: 'reference',
      sourceDtype: 'uint8',
      sourceShape: [10, 8, 8],
      preprocessing: [{ op: 'scale01' }, { op: 'split', testFraction: 0.2, seed: 1 }],
    });
    expect(digitsSet.copyPath).toBeUndefined();
    expect(digitsSet.stats.shape).toEqual([8, 1, 8, 8]);
    expect(digitsSet.stats.testItems).toBe(2);
    expect(digitsSet.stats.min).toBeGreaterThanOrEqual(0);
    expect(digitsSet.stats.max).toBeLessThanOrEqual(1);
    expect((await changed).datasets?.map((d) => d.id)).toEqual([digitsSet.id]);

    const folder = path.join(proj, 'datasets', digitsSet.id);
    expect(readdirSync(folder).sort()).toEqual(['data.npy', 'dataset.json', 'test.npy']);
    expect(readdirSync(path.join(proj, 'datasets'))).toEqual([digitsSet.id]);
    expect(digitsSet.files).toEqual({ data: `datasets/${digitsSet.id}/data.npy`, test: `datasets/${digitsSet.id}/test.npy` });
    const data = await readNpyFile(path.join(proj, digitsSet.files!.data));
    expect(data.dtype).toBe('float32');
    expect(data.shape).toEqual([8, 1, 8, 8]);
    expect((await readNpyFile(path.join(proj, digitsSet.files!.test!))).shape).toEqual([2, 1, 8, 8]);
    const values = Array.from(data.data as Float32Array);
    expect(Math.min(...values)).toBeCloseTo(digitsSet.stats.min, 6);
    expect(Math.max(...values)).toBeCloseTo(digitsSet.stats.max, 6);
    expect(values.reduce((a, b) => a + b, 0) / values.length).toBeCloseTo(digitsSet.stats.mean, 5);

    expect(JSON.parse(readFileSync(path.join(folder, 'dataset.json'), 'utf8'))).toEqual(digitsSet);
    expect(JSON.parse(readFileSync(path.join(proj, 'project.json'), 'utf8')).datasets).toEqual([digitsSet]);
    expect(await call('datasets.list', {})).toEqual([digitsSet]);
  });

  it('copies the source into the project when asked', async () => {
    const camera = path.join(repoRoot, 'resources/samples/camera.png');
    const s = (await call('datasets.import', { path: camera, stored: 'copy', preprocessing: [{ op: 'resize', width: 64, height: 64 }, { op: 'scale01' }] })) as DatasetSummary;
    expect(s).toMatchObject({ name: 'camera', format: 'image', stored: 'copy', copyPath: `datasets/${s.id}/source/camera.png` });
    expect(s.stats.shape).toEqual([1, 1, 64, 64]);
    expect(readFileSync(path.join(proj, s.copyPath!)).equals(readFileSync(camera))).toBe(true);
    expect(((await call('datasets.list', {})) as DatasetSummary[]).map((d) => d.id)).toEqual([digitsSet.id, s.id]);

    // A run uses the stored, preprocessed data.npy.
    const { runId } = (await call('runs.start', {
      config: {
        source: { kind: 'file', path: path.join(proj, s.files!.data) },
        layers: [{ filters: 4, kernel: 5, stride: 1, pad: 0, dictionary: { kind: 'random', seed: 1 } }],
        pursuit: { algorithm: 'fista', lambdas: [0.05], iterations: 10, tol: 0 },
      },
    })) as { runId: string };
    const end = await waitFor('run.status', statusIs(runId, 'finished', 'failed'));
    expect(end.status, JSON.stringify(end.error)).toBe('finished');
    expect((await readNpyFile(path.join(proj, 'runs', runId, 'input.npy'))).shape).toEqual([1, 1, 64, 64]);
  });

  it('previews a data set as thumbnails in [0, 1] with its statistics', async () => {
    const preview = (await call('datasets.preview', { id: digitsSet.id })) as DatasetPreview;
    expect(preview.id).toBe(digitsSet.id);
    expect(preview.stats).toEqual(digitsSet.stats);
    expect(preview.thumbnails.shape.length).toBe(3);
    expect(preview.thumbnails.shape[0]).toBeGreaterThan(0);
    expect(preview.thumbnails.shape[0]).toBeLessThanOrEqual(8);
    const t = Array.from(preview.thumbnails.data);
    expect(t.every((v) => v >= 0 && v <= 1)).toBe(true);
    await expect(call('datasets.preview', { id: 'd-nope' })).rejects.toMatchObject({ code: 'not-found' });
  });

  it('keeps the labels of an .npz beside its data, split the same way, and imports the array asked for', async () => {
    const s = (await call('datasets.import', { path: path.join(dir, 'data', 'labelled.npz'), preprocessing: [{ op: 'split', testFraction: 0.25, seed: 3 }] })) as DatasetSummary;
    expect(s).toMatchObject({ format: 'npz', array: 'x', sourceDtype: 'float32', sourceShape: [12, 8, 8] });
    expect(s.stats.shape).toEqual([9, 1, 8, 8]);
    expect(s.files).toMatchObject({ labels: `datasets/${s.id}/labels.npy`, testLabels: `datasets/${s.id}/test_labels.npy` });
    const labels = await readNpyFile(path.join(proj, s.files!.labels!));
    const testLabels = await readNpyFile(path.join(proj, s.files!.testLabels!));
    expect([labels.dtype, labels.shape, testLabels.shape]).toEqual(['int32', [9], [3]]);
    const all = [...Array.from(labels.data as Int32Array), ...Array.from(testLabels.data as Int32Array)].sort();
    expect(all).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
    // The split moved whole items with their labels: each test item is one of the source's, labelled as it was.
    const test = await readNpyFile(path.join(proj, s.files!.test!));
    const source = Float32Array.from({ length: 12 * 64 }, (_, k) => Math.sin(k));
    for (let t = 0; t < 3; t++) {
      const item = Array.from((test.data as Float32Array).subarray(t * 64, t * 64 + 64));
      const from = [...Array(12).keys()].find((i) => Array.from(source.subarray(i * 64, i * 64 + 64)).every((v, j) => v === item[j]));
      expect(from, `test item ${t}`).toBeDefined();
      expect((testLabels.data as Int32Array)[t]).toBe(from! % 3);
    }

    const other = (await call('datasets.import', { path: path.join(dir, 'data', 'labelled.npz'), array: 'other' })) as DatasetSummary;
    expect(other).toMatchObject({ array: 'other', sourceDtype: 'float64', sourceShape: [2, 6, 6] });
    expect(await call('datasets.remove', { id: other.id })).toEqual({ removed: true });
    expect(await call('datasets.remove', { id: s.id })).toEqual({ removed: true });
  });

  it('refuses a malformed file in the engine, naming the file, and leaves nothing behind', async () => {
    const bad = path.join(dir, 'data', 'broken.npy');
    const err = (await call('datasets.import', { path: bad }).catch((e: unknown) => e)) as Error & { code: string };
    expect(err.code).toBe('invalid-input');
    expect(err.message).toContain('broken.npy');
    await expect(call('datasets.import', { path: path.join(dir, 'data', 'missing.npy') })).rejects.toThrow(/missing\.npy/);
    expect(readdirSync(path.join(proj, 'datasets')).filter((n) => n.startsWith('.'))).toEqual([]);
    expect(((await call('datasets.list', {})) as DatasetSummary[]).length).toBe(2);
  });

  it('goes with the project when it is saved under a new name', async () => {
    const before = (await call('datasets.list', {})) as DatasetSummary[];
    const copy = path.join(dir, 'copy');
    const saved = (await call('projects.saveAs', { dir: copy })) as ProjectSummary;
    expect(saved.datasets).toEqual(before);
    for (const d of before) expect(readFileSync(path.join(copy, d.files!.data)).equals(readFileSync(path.join(proj, d.files!.data)))).toBe(true);
    expect(existsSync(path.join(copy, 'trash'))).toBe(false);
    expect(((await call('datasets.preview', { id: before[0]!.id })) as DatasetPreview).id).toBe(before[0]!.id);
    await call('projects.open', { dir: proj });
  });

  it('keeps imports inside the allowed folders', async () => {
    await expect(call('datasets.import', { path: '/etc/passwd' })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(call('datasets.import', { path: path.join(dir, 'data', 'digits.npy'), stored: 'elsewhere' })).rejects.toMatchObject({ code: 'invalid-request' });
  });

  it('removes a data set into the trash', async () => {
    const changed = waitFor('project.changed', (p: ProjectSummary) => !(p.datasets ?? []).some((d) => d.id === digitsSet.id));
    expect(await call('datasets.remove', { id: digitsSet.id })).toEqual({ removed: true });
    await changed;
    expect(existsSync(path.join(proj, 'datasets', digitsSet.id))).toBe(false);
    expect(existsSync(path.join(proj, 'trash', digitsSet.id, 'data.npy'))).toBe(true);
    expect(((await call('datasets.list', {})) as DatasetSummary[]).map((d) => d.id)).not.toContain(digitsSet.id);
    expect(JSON.parse(readFileSync(path.join(proj, 'project.json'), 'utf8')).datasets.map((d: DatasetSummary) => d.id)).not.toContain(digitsSet.id);
    expect(await call('datasets.remove', { id: digitsSet.id })).toEqual({ removed: false });
  });
});
