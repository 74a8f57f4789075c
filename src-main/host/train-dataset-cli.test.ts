/**
 * `sparseland train --dataset ID`: the CLI trains on a data set a project already holds (imported through
 * the host, as the app does), and names an unknown one.
 */
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetSummary, RunSummary } from '../../src-shared/contract';
import { runCli } from '../cli/test-support';
import { serializeNpy } from '../engine/io/npy';
import { createStudioHost } from './studio-host';
import { callHost } from './test-support';

let dir: string;
let dataset: DatasetSummary;

beforeAll(async () => {
  dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'sparseland-train-dataset-')));
  writeFileSync(path.join(dir, 'items.npy'), serializeNpy({ dtype: 'float32', shape: [6, 10, 10], data: Float32Array.from({ length: 600 }, (_, k) => (k % 17) / 17) }));
  const host = await createStudioHost({ kind: 'cli', stateDir: path.join(dir, 'state') });
  try {
    await callHost(host, 'projects.create', { dir: path.join(dir, 'proj'), name: 'CLI data' });
    dataset = await callHost(host, 'datasets.import', { path: path.join(dir, 'items.npy'), name: 'items', preprocessing: [{ op: 'split', testFraction: 0.34, seed: 0 }] });
  } finally {
    await host.dispose();
  }
  writeFileSync(path.join(dir, 'ksvd.json'), JSON.stringify({ method: 'ksvd', data: { kind: 'sample', name: 'camera' }, params: { patchSize: 4, atoms: 16, sparsity: 2, trainingPatches: 100, sigma: 0 }, iterations: 2 }));
  process.env.SPARSELAND_STATE_DIR = path.join(dir, 'state');
}, 60_000);
afterAll(() => {
  delete process.env.SPARSELAND_STATE_DIR;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('train --dataset', () => {
  it('trains on the data set’s test split in place of the configured data', async () => {
    const r = await runCli('train', '--config', path.join(dir, 'ksvd.json'), '--project', path.join(dir, 'proj'), '--dataset', dataset.id, '--split', 'test', '--json');
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as RunSummary;
    expect(summary).toMatchObject({ status: 'finished', iterations: 2, name: 'ksvd on items (test)' });
    const config = JSON.parse(readFileSync(path.join(dir, 'proj', 'runs', summary.id, 'config.json'), 'utf8'));
    expect(config.data).toEqual({ kind: 'dataset', id: dataset.id, split: 'test' });
  }, 60_000);

  it('names an unknown data set and a bad split', async () => {
    const unknown = await runCli('train', '--config', path.join(dir, 'ksvd.json'), '--project', path.join(dir, 'proj'), '--dataset', 'd-missing');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/data set d-missing is not in project CLI data/);
    const bad = await runCli('train', '--config', path.join(dir, 'ksvd.json'), '--project', path.join(dir, 'proj'), '--dataset', dataset.id, '--split', 'validation');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--split must be train or test/);
  }, 60_000);
});
