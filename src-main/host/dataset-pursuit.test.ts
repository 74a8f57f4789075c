/**
 * A pursuit run whose input is one item of a project data set (source {kind: 'dataset', id, split, index}),
 * through a real host and engine process: the item reaches the run bit for bit, and the host refuses an
 * unknown data set, an index past the split's N and a missing test split before any run folder is made.
 */
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetSummary, EventName, EventPayload, RunConfigInput, RunDetail } from '../../src-shared/contract';
import { readNpyFile, serializeNpy } from '../engine/io/npy';
import { createStudioHost, type StudioHostInternals } from './studio-host';
import { callHost, statusIs, waitForEvent } from './test-support';

let dir: string;
let proj: string;
let host: StudioHostInternals;
const call = (op: string, params: unknown) => callHost(host, op, params);
const waitFor = <E extends EventName>(event: E, pred: (p: EventPayload<E>) => boolean) => waitForEvent(host, event, pred, 60_000);
const runDir = (id: string) => path.join(proj, 'runs', id);
const runCount = () => readdirSync(path.join(proj, 'runs')).length;

/** Six two-channel 12×12 items, each distinct (the item number shifts the phase), with values no rounding keeps. */
const N = 6;
const items = Float32Array.from({ length: N * 2 * 144 }, (_, k) => 0.5 + 0.5 * Math.sin(0.37 * k + 1.3 * Math.floor(k / 288)) + 1e-7 * (k % 7));

let twoChannel: DatasetSummary;
let split: DatasetSummary;

const mlFista = (source: RunConfigInput['source'], layers: RunConfigInput['layers'] = [{ filters: 4, kernel: 3, stride: 1, pad: 0, dictionary: { kind: 'random', seed: 1 } }, { filters: 6, kernel: 3, stride: 1, pad: 0, dictionary: { kind: 'random', seed: 2 } }]): RunConfigInput => ({
  name: 'item of a data set',
  source,
  layers,
  pursuit: { algorithm: 'ml-fista', lambdas: layers.map(() => 0.05), iterations: 5 },
});

async function finish(runId: string): Promise<EventPayload<'run.status'>> {
  return waitFor('run.status', statusIs(runId, 'finished', 'failed', 'cancelled'));
}

beforeAll(async () => {
  dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'sparseland-dataset-pursuit-')));
  proj = path.join(dir, 'proj');
  mkdirSync(path.join(dir, 'data'));
  writeFileSync(path.join(dir, 'data', 'items.npy'), serializeNpy({ dtype: 'float32', shape: [N, 2, 12, 12], data: items }));
  writeFileSync(path.join(dir, 'data', 'gray.npy'), serializeNpy({ dtype: 'float32', shape: [8, 10, 10], data: Float32Array.from({ length: 800 }, (_, k) => Math.abs(Math.cos(k * 0.11))) }));
  // A dictionary for one input channel: the two-channel items must not fit it.
  writeFileSync(path.join(dir, 'data', 'w1-one-channel.npy'), serializeNpy({ dtype: 'float32', shape: [4, 1, 3, 3], data: Float32Array.from({ length: 36 }, (_, k) => Math.sin(k + 1)) }));
  host = await createStudioHost({ kind: 'browser', stateDir: path.join(dir, 'state'), allowedRoots: [dir] });
  await call('projects.create', { dir: proj, name: 'Data set pursuits' });
  twoChannel = await call('datasets.import', { path: path.join(dir, 'data', 'items.npy'), name: 'two-channel' });
  split = await call('datasets.import', { path: path.join(dir, 'data', 'gray.npy'), name: 'gray split', preprocessing: [{ op: 'split', testFraction: 0.25, seed: 3 }] });
}, 60_000);
afterAll(async () => {
  await host?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a pursuit run on an item of a data set', () => {
  it('finishes with input.npy equal to item 2 of the stored data.npy, bit for bit, as [1, C, H, W]', async () => {
    expect(twoChannel.stats.shape).toEqual([N, 2, 12, 12]);
    const { runId } = (await call('runs.start', { config: mlFista({ kind: 'dataset', id: twoChannel.id, index: 2 }) })) as { runId: string };
    const done = await finish(runId);
    expect(done.status, JSON.stringify(done.error)).toBe('finished');
    const stored = await readNpyFile(path.join(proj, 'datasets', twoChannel.id, 'data.npy'));
    const input = await readNpyFile(path.join(runDir(runId), 'input.npy'));
    expect(input.dtype).toBe('float32');
    expect(input.shape).toEqual([1, 2, 12, 12]);
    const size = 2 * 144;
    const want = new Uint32Array((stored.data as Float32Array).slice(2 * size, 3 * size).buffer);
    expect(Array.from(new Uint32Array((input.data as Float32Array).slice().buffer))).toEqual(Array.from(want));
    // Not item 0 or 3 by mistake: the items differ.
    expect(Array.from(new Uint32Array((stored.data as Float32Array).slice(3 * size, 4 * size).buffer))).not.toEqual(Array.from(want));
    const detail = (await call('runs.get', { runId })) as RunDetail;
    expect(detail.config).toMatchObject({ source: { kind: 'dataset', id: twoChannel.id, split: 'train', index: 2 } });
    // Layer 1's dictionary took the item's two channels.
    expect((await readNpyFile(path.join(runDir(runId), 'W1.npy'))).shape).toEqual([4, 2, 3, 3]);
  });

  it('takes the last item of a test split', async () => {
    const testItems = split.stats.testItems!;
    expect(testItems).toBeGreaterThan(0);
    const { runId } = (await call('runs.start', { config: mlFista({ kind: 'dataset', id: split.id, split: 'test', index: testItems - 1 }, [{ filters: 4, kernel: 3, stride: 1, pad: 0, dictionary: { kind: 'random', seed: 1 } }]) })) as { runId: string };
    const done = await finish(runId);
    expect(done.status, JSON.stringify(done.error)).toBe('finished');
    const stored = await readNpyFile(path.join(proj, 'datasets', split.id, 'test.npy'));
    const input = await readNpyFile(path.join(runDir(runId), 'input.npy'));
    expect(input.shape).toEqual([1, 1, 10, 10]);
    expect(Array.from(input.data as Float32Array)).toEqual(Array.from((stored.data as Float32Array).slice((testItems - 1) * 100, testItems * 100)));
  });

  it('fails, naming both shapes, when a dictionary file does not take the item’s channels', async () => {
    const layers: RunConfigInput['layers'] = [{ filters: 4, kernel: 3, stride: 1, pad: 0, dictionary: { kind: 'file', path: path.join(dir, 'data', 'w1-one-channel.npy') } }];
    const { runId } = (await call('runs.start', { config: mlFista({ kind: 'dataset', id: twoChannel.id, index: 0 }, layers) })) as { runId: string };
    const done = await finish(runId);
    expect(done.status).toBe('failed');
    expect(done.error).toMatchObject({ code: 'invalid-input', message: expect.stringMatching(/layer 1: .*has shape \[4, 1, 3, 3\] but the layer is configured as \[4, 2, 3, 3\]/) });
  });

  it('refuses an unknown data set, an index past N and a missing test split, making no run', async () => {
    const before = runCount();
    await expect(call('runs.start', { config: mlFista({ kind: 'dataset', id: 'd-unknown', index: 0 }) })).rejects.toMatchObject({ code: 'not-found', message: expect.stringMatching(/data set d-unknown is not in project/) });
    await expect(call('runs.start', { config: mlFista({ kind: 'dataset', id: twoChannel.id, index: N }) })).rejects.toMatchObject({
      code: 'invalid-input',
      message: expect.stringMatching(new RegExp(`item index ${N} is out of range: the train split of data set "two-channel" .* has N = ${N} item\\(s\\), 0 to ${N - 1}`)),
    });
    const testItems = split.stats.testItems!;
    await expect(call('runs.start', { config: mlFista({ kind: 'dataset', id: split.id, split: 'test', index: testItems }) })).rejects.toMatchObject({
      code: 'invalid-input',
      message: expect.stringMatching(new RegExp(`test split of data set "gray split" .* has N = ${testItems} item`)),
    });
    await expect(call('runs.start', { config: mlFista({ kind: 'dataset', id: twoChannel.id, split: 'test', index: 0 }) })).rejects.toMatchObject({ code: 'invalid-input', message: expect.stringMatching(/"two-channel".*has no test split/) });
    await expect(call('runs.start', { config: mlFista({ kind: 'dataset', id: twoChannel.id, index: -1 }) })).rejects.toMatchObject({ code: 'invalid-request', message: expect.stringMatching(/config\.source\.index/) });
    expect(runCount()).toBe(before);
  });
});
