import { mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EventName, type EventPayload, type RunConfigInput } from '../../src-shared/contract';
import { readNpyFile } from '../engine/io';
import { createStudioHost, type StudioHostInternals } from './studio-host';
import { callHost, statusIs, waitForEvent } from './test-support';

let dir: string;
let host: StudioHostInternals;
const seen: { event: EventName; payload: unknown }[] = [];

const config = (iterations: number, name?: string): RunConfigInput => ({
  name,
  source: { kind: 'synthetic', height: 32, width: 32, nonzeros: 6, seed: 3, noise: 0.01 },
  layers: [
    { filters: 6, kernel: 6, stride: 2, pad: 0, dictionary: { kind: 'random', seed: 1 } },
    { filters: 8, kernel: 3, stride: 1, pad: 0, dictionary: { kind: 'random', seed: 2 } },
  ],
  pursuit: { algorithm: 'ml-fista', lambdas: [0.02, 0.01], iterations, tol: 0 },
});

const call = (op: string, params: unknown) => callHost(host, op, params);
const waitFor = <E extends EventName>(event: E, pred: (p: EventPayload<E>) => boolean) => waitForEvent(host, event, pred);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sparseland-host-'));
  host = await createStudioHost({ kind: 'cli', stateDir: path.join(dir, 'state'), allowedRoots: [dir] });
  host.subscribe((event, payload) => seen.push({ event, payload }));
  await call('projects.create', { dir: path.join(dir, 'proj'), name: 'Test project' });
});
afterAll(async () => {
  await host?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('studio host', () => {
  it('reports the engine’s providers through app.info', async () => {
    const info = (await call('app.info', {})) as { providers: { available: string[] }; host: string };
    expect(info.providers.available).toContain('cpu');
    expect(info.host).toBe('cli');
  });

  it('runs a pursuit end to end and saves it as a folder NumPy can read', async () => {
    const { runId } = (await call('runs.start', { config: config(30, 'first') })) as { runId: string };
    const done = await waitFor('run.status', statusIs(runId, 'finished', 'failed'));
    expect(done.status, JSON.stringify(done.error)).toBe('finished');
    expect(seen.some((e) => e.event === 'run.progress' && (e.payload as { runId: string }).runId === runId)).toBe(true);
    const runDir = path.join(dir, 'proj', 'runs', runId);
    const files = readdirSync(runDir).sort();
    for (const f of ['config.json', 'status.json', 'metrics.jsonl', 'W1.npy', 'W2.npy', 'gamma1.npy', 'gamma2.npy', 'input.npy', 'reconstruction.npy', 'atoms1.npy', 'atoms2.npy']) expect(files).toContain(f);
    const status = JSON.parse(readFileSync(path.join(runDir, 'status.json'), 'utf8'));
    expect(status).toMatchObject({ id: runId, status: 'finished', iterations: 30, provider: 'cpu' });
    const metrics = readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(metrics.at(-1).iteration).toBe(30);
    expect(metrics[0].density).toHaveLength(2);
    const gamma2 = await readNpyFile(path.join(runDir, 'gamma2.npy'));
    expect(gamma2.shape).toEqual([1, 8, 12, 12]);
    const detail = (await call('runs.get', { runId })) as { metrics: unknown[]; config: { name: string } };
    expect(detail.metrics).toHaveLength(metrics.length);
    expect(detail.config.name).toBe('first');
    const preview = (await call('runs.preview', { runId })) as { atoms: { layer: number; images: { shape: number[] } }[]; input: { shape: number[] } };
    expect(preview.atoms.map((a) => a.images.shape)).toEqual([
      [6, 6, 6],
      [8, 10, 10],
    ]);
    expect(preview.input.shape).toEqual([32, 32]);
  });

  it('cancels a run between chunks and keeps what it computed', async () => {
    const { runId } = (await call('runs.start', { config: config(100000) })) as { runId: string };
    await waitFor('run.progress', (p) => p.runId === runId);
    expect(await call('runs.cancel', { runId })).toEqual({ cancelled: true });
    const end = await waitFor('run.status', statusIs(runId, 'cancelled', 'finished', 'failed'));
    expect(end.status).toBe('cancelled');
    expect(end.summary.iterations).toBeLessThan(100000);
  });

  it('turns a killed engine into a failed run, restarts it, and the next run works', async () => {
    const before = host.engine.restartCount;
    const { runId } = (await call('runs.start', { config: config(100000) })) as { runId: string };
    await waitFor('run.progress', (p) => p.runId === runId);
    const restarted = waitFor('engine.restarted', () => true);
    process.kill(host.engine.pid!, 'SIGKILL');
    const failed = await waitFor('run.status', statusIs(runId, 'failed', 'finished', 'cancelled'));
    expect(failed.status).toBe('failed');
    expect(failed.error?.code).toBe('engine-crashed');
    expect(failed.error?.message).toMatch(/killed by SIGKILL/);
    await restarted;
    expect(host.engine.restartCount).toBe(before + 1);
    const saved = JSON.parse(readFileSync(path.join(dir, 'proj', 'runs', runId, 'status.json'), 'utf8'));
    expect(saved.status).toBe('failed');
    const { runId: next } = (await call('runs.start', { config: config(10) })) as { runId: string };
    expect((await waitFor('run.status', statusIs(next, 'finished', 'failed'))).status).toBe('finished');
    const runs = (await call('runs.list', {})) as { status: string }[];
    expect(runs.filter((r) => r.status === 'finished').length).toBeGreaterThanOrEqual(2);
  });

  it('marks runs left running by a dead app as interrupted when the project is reopened', async () => {
    const { runId } = (await call('runs.start', { config: config(10) })) as { runId: string };
    await waitFor('run.status', statusIs(runId, 'finished'));
    const statusFile = path.join(dir, 'proj', 'runs', runId, 'status.json');
    writeFileSync(statusFile, JSON.stringify({ ...JSON.parse(readFileSync(statusFile, 'utf8')), status: 'running' }));
    await call('projects.open', { dir: path.join(dir, 'proj') });
    expect(JSON.parse(readFileSync(statusFile, 'utf8')).status).toBe('interrupted');
  });

  it('refuses invalid configurations, naming the field', async () => {
    const bad = { ...config(10), pursuit: { algorithm: 'ml-fista', lambdas: [0.1], iterations: 10 } };
    await expect(call('runs.start', { config: bad })).rejects.toThrow(/pursuit\.lambdas: 2 layer\(s\) need 2 λ/);
    const broken = { ...config(10), layers: [{ filters: 6, kernel: 40, stride: 1, pad: 0, dictionary: { kind: 'random', seed: 1 } }, config(10).layers[1]] };
    const { runId } = (await call('runs.start', { config: broken })) as { runId: string };
    const end = await waitFor('run.status', statusIs(runId, 'failed', 'finished'));
    expect(end.status).toBe('failed');
    expect(end.error?.code).toBe('invalid-input');
    expect(end.error?.message).toMatch(/does not fit/);
  });

  it('keeps every path inside the allowed folders, symlinks included', async () => {
    await expect(call('projects.create', { dir: path.join(tmpdir(), 'elsewhere-sparseland'), name: 'x' })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(call('files.list', { dir: '/' })).rejects.toMatchObject({ code: 'forbidden' });
    mkdirSync(path.join(dir, 'inside'), { recursive: true });
    symlinkSync('/etc', path.join(dir, 'inside', 'escape'));
    await expect(call('files.list', { dir: path.join(dir, 'inside', 'escape') })).rejects.toMatchObject({ code: 'forbidden' });
    const listing = (await call('files.list', { dir })) as { entries: { name: string }[]; parent: string | null };
    expect(listing.entries.map((e) => e.name)).toContain('proj');
    expect(listing.parent).toBeNull();
    const outside = { ...config(5), source: { kind: 'file', path: '/etc/passwd' } };
    await expect(call('runs.start', { config: outside })).rejects.toMatchObject({ code: 'forbidden' });
  });
});
