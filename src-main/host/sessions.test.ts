import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EventName, type EventPayload, type LearnConfigInput } from '../../src-shared/contract';
import { readNpyFile } from '../engine/io';
import { createStudioHost, type StudioHostInternals } from './studio-host';
import { callHost, statusIs, waitForEvent } from './test-support';

let dir: string;
let host: StudioHostInternals;

const ksvdConfig = (name: string): LearnConfigInput => ({
  name,
  method: 'ksvd',
  data: { kind: 'sample', name: 'camera', downsample: 8 },
  params: { patchSize: 6, atoms: 36, sparsity: 3, trainingPatches: 1500, sigma: 20 },
  iterations: 6,
  seed: 7,
  checkpointEvery: 2,
});

const call = (op: string, params: unknown) => callHost(host, op, params);
const waitFor = <E extends EventName>(event: E, pred: (p: EventPayload<E>) => boolean) => waitForEvent(host, event, pred);
const runDir = (id: string) => path.join(dir, 'proj', 'runs', id);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sparseland-sessions-'));
  host = await createStudioHost({ kind: 'cli', stateDir: path.join(dir, 'state') });
  await call('projects.create', { dir: path.join(dir, 'proj'), name: 'Sessions' });
});
afterAll(async () => {
  await host?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const unrolledConfig = (name: string): LearnConfigInput => ({
  name,
  method: 'unrolled-supervised',
  data: { kind: 'mnist', split: 'train', count: 256 },
  params: { preset: 'small', unrolling: 'ml-fista', T: 2, batchSize: 32, stepsPerIteration: 3, testCount: 64 },
  iterations: 4,
  seed: 3,
  checkpointEvery: 1,
});

describe('learning sessions', () => {
  it('lists the available methods with their parameters', async () => {
    const methods = (await call('sessions.methods', {})) as { method: string; params: { name: string }[] }[];
    expect(methods.map((m) => m.method)).toContain('ksvd');
    expect(methods.find((m) => m.method === 'ksvd')!.params.map((p) => p.name)).toContain('atoms');
  });

  it('refuses bad parameters, naming them', async () => {
    await expect(call('sessions.start', { config: { ...ksvdConfig('bad'), params: { atoms: 3.5 } } })).rejects.toThrow(/parameter atoms must be an integer/);
    await expect(call('sessions.start', { config: { ...ksvdConfig('bad'), params: { bogus: 1 } } })).rejects.toThrow(/unknown parameter "bogus"/);
  });

  it('a session killed with the engine resumes from its checkpoint and ends exactly like an uninterrupted one', async () => {
    const { runId: whole } = (await call('sessions.start', { config: ksvdConfig('uninterrupted') })) as { runId: string };
    const done = await waitFor('run.status', statusIs(whole, 'finished', 'failed'));
    expect(done.status, JSON.stringify(done.error)).toBe('finished');
    expect(done.summary.checkpointIteration).toBe(6);
    const metrics = readFileSync(path.join(runDir(whole), 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const last = metrics.at(-1);
    expect(last.iteration).toBe(6);
    expect(last.values.psnr).toBeGreaterThan(last.values.psnrNoisy);

    const { runId: killed } = (await call('sessions.start', { config: ksvdConfig('killed') })) as { runId: string };
    await waitFor('run.progress', (p) => p.runId === killed && p.metrics.iteration >= 3);
    process.kill(host.engine.pid!, 'SIGKILL');
    const failed = await waitFor('run.status', statusIs(killed, 'failed', 'finished'));
    expect(failed.status).toBe('failed');
    // The finished session is intact after the crash: status, metrics and tensors as they were.
    const intact = (await call('runs.get', { runId: whole })) as { summary: { status: string }; metrics: unknown[] };
    expect(intact.summary.status).toBe('finished');
    expect(intact.metrics).toHaveLength(metrics.length);
    const pointer = JSON.parse(readFileSync(path.join(runDir(killed), 'checkpoint.json'), 'utf8'));
    expect(pointer.iteration).toBeGreaterThanOrEqual(2);
    await call('sessions.resume', { runId: killed });
    const resumed = await waitFor('run.status', statusIs(killed, 'finished', 'failed'));
    expect(resumed.status, JSON.stringify(resumed.error)).toBe('finished');

    const a = await readNpyFile(path.join(runDir(whole), 'W1.npy'));
    const b = await readNpyFile(path.join(runDir(killed), 'W1.npy'));
    expect(Array.from(b.data as Float32Array)).toEqual(Array.from(a.data as Float32Array));
    const ra = await readNpyFile(path.join(runDir(whole), 'reconstruction.npy'));
    const rb = await readNpyFile(path.join(runDir(killed), 'reconstruction.npy'));
    expect(Array.from(rb.data as Float32Array)).toEqual(Array.from(ra.data as Float32Array));
    const detail = (await call('runs.get', { runId: killed })) as { metrics: { iteration: number }[] };
    expect(detail.metrics.map((m) => m.iteration)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('trains an unrolled ML-FISTA network on MNIST, resumes it exactly after a kill, and exports it as ONNX', async () => {
    const { runId: whole } = (await call('sessions.start', { config: unrolledConfig('unrolled whole') })) as { runId: string };
    const done = await waitFor('run.status', statusIs(whole, 'finished', 'failed'));
    expect(done.status, JSON.stringify(done.error)).toBe('finished');
    const metrics = readFileSync(path.join(runDir(whole), 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(metrics).toHaveLength(4);
    expect(metrics[3].values.testAccuracy).toBeGreaterThan(0.1);
    expect(metrics[3].values.step).toBe(12);

    const { runId: killed } = (await call('sessions.start', { config: unrolledConfig('unrolled killed') })) as { runId: string };
    await waitFor('run.progress', (p) => p.runId === killed && p.metrics.iteration >= 2);
    process.kill(host.engine.pid!, 'SIGKILL');
    expect((await waitFor('run.status', statusIs(killed, 'failed', 'finished'))).status).toBe('failed');
    await call('sessions.resume', { runId: killed });
    expect((await waitFor('run.status', statusIs(killed, 'finished', 'failed'))).status).toBe('finished');
    for (const name of ['W1', 'W2', 'W3']) {
      const a = await readNpyFile(path.join(runDir(whole), `${name}.npy`));
      const b = await readNpyFile(path.join(runDir(killed), `${name}.npy`));
      expect(Array.from(b.data as Float32Array), name).toEqual(Array.from(a.data as Float32Array));
    }

    const onnx = path.join(dir, 'model.onnx');
    const r = spawnSync(process.execPath, [path.join(import.meta.dirname, '../../bin/sparseland.mjs'), 'export', '--project', path.join(dir, 'proj'), '--run', whole, '--onnx', onnx, '--json'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const ort = (await import('onnxruntime-node')).default;
    const session = await ort.InferenceSession.create(readFileSync(onnx));
    const out = await session.run({ images: new ort.Tensor('float32', new Float32Array(28 * 28), [1, 1, 28, 28]) });
    expect(out.logits!.dims).toEqual([1, 10]);
  });

  it('learns a convolutional dictionary and a 2-layer ML-CSC model as sessions, resuming exactly', async () => {
    for (const config of [
      { method: 'cdl', data: { kind: 'sample', name: 'camera', downsample: 8, highPass: true }, params: { filters: 4, kernel: 5, lambda: 0.05, codingIterations: 10 }, iterations: 10, seed: 2, checkpointEvery: 1 },
      { method: 'mlcsc-unsupervised', data: { kind: 'mnist', split: 'train', count: 32 }, params: { filters: [4, 6], kernels: [5, 3], strides: [2, 1], lambda: 0.1, zeta: 0.001, batchSize: 8 }, iterations: 10, seed: 2, checkpointEvery: 1 },
    ] as LearnConfigInput[]) {
      const { runId: whole } = (await call('sessions.start', { config: { ...config, name: `${config.method} whole` } })) as { runId: string };
      const done = await waitFor('run.status', statusIs(whole, 'finished', 'failed'));
      expect(done.status, `${config.method}: ${JSON.stringify(done.error)}`).toBe('finished');
      // Stop after a checkpoint (cancel this time), resume, and compare with the uninterrupted session.
      const { runId: stopped } = (await call('sessions.start', { config: { ...config, name: `${config.method} stopped` } })) as { runId: string };
      await waitFor('run.progress', (p) => p.runId === stopped && p.metrics.iteration >= 2);
      await call('runs.cancel', { runId: stopped });
      const cancelled = await waitFor('run.status', statusIs(stopped, 'cancelled', 'finished', 'failed'));
      expect(cancelled.status, config.method).toBe('cancelled');
      expect(cancelled.summary.iterations).toBeLessThan(10);
      await call('sessions.resume', { runId: stopped });
      expect((await waitFor('run.status', statusIs(stopped, 'finished', 'failed'))).status).toBe('finished');
      const a = await readNpyFile(path.join(runDir(whole), 'W1.npy'));
      const b = await readNpyFile(path.join(runDir(stopped), 'W1.npy'));
      expect(Array.from(b.data as Float32Array), config.method).toEqual(Array.from(a.data as Float32Array));
    }
  });
});
