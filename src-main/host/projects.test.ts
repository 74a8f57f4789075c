/**
 * Project format 2 and run management, through a real host: the upgrade of a format-1 project written by hand
 * (as the first releases wrote it), runs.update/delete/restore, projects.saveAs, and torn metrics lines.
 */
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EventName, type EventPayload, type RunConfigInput, type RunSummary } from '../../src-shared/contract';
import { serializeNpy } from '../engine/io/npy';
import { PROJECT_SCHEMA_VERSION, Project } from './projects';
import { createStudioHost, type StudioHostInternals } from './studio-host';
import { callHost, statusIs, waitForEvent } from './test-support';

let dir: string;
let host: StudioHostInternals;
const call = (op: string, params: unknown) => callHost(host, op, params);
const waitFor = <E extends EventName>(event: E, pred: (p: EventPayload<E>) => boolean) => waitForEvent(host, event, pred);

const config = (iterations: number, name?: string): RunConfigInput => ({
  name,
  source: { kind: 'synthetic', height: 24, width: 24, nonzeros: 4, seed: 3, noise: 0.01 },
  layers: [{ filters: 4, kernel: 5, stride: 1, pad: 0, dictionary: { kind: 'random', seed: 1 } }],
  pursuit: { algorithm: 'fista', lambdas: [0.05], iterations, tol: 0 },
});

async function finishedRun(name: string): Promise<string> {
  const { runId } = (await call('runs.start', { config: config(20, name) })) as { runId: string };
  const done = await waitFor('run.status', statusIs(runId, 'finished', 'failed'));
  expect(done.status, JSON.stringify(done.error)).toBe('finished');
  return runId;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sparseland-projects-'));
  host = await createStudioHost({ kind: 'cli', stateDir: path.join(dir, 'state'), allowedRoots: [dir] });
});
afterAll(async () => {
  await host?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** A format-1 project exactly as the old Project class wrote it: 2-space JSON plus a newline, datasets []. */
function writeV1Project(root: string): { runId: string; manifest: string } {
  const runId = 'r20250301-101500-a1b2c3';
  const runDir = path.join(root, 'runs', runId);
  mkdirSync(runDir, { recursive: true });
  const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
  const manifest = json({ schemaVersion: 1, name: 'Old project', createdAt: '2025-03-01T10:14:00.000Z', datasets: [], runs: [runId] });
  writeFileSync(path.join(root, 'project.json'), manifest);
  writeFileSync(
    path.join(runDir, 'config.json'),
    json({
      name: 'from 2025',
      source: { kind: 'synthetic', height: 24, width: 24, nonzeros: 4, seed: 3, noise: 0 },
      layers: [{ filters: 4, kernel: 5, stride: 1, pad: 0, dictionary: { kind: 'random', seed: 1 } }],
      pursuit: { algorithm: 'fista', lambdas: [0.05], iterations: 2, tol: 0 },
    }),
  );
  writeFileSync(
    path.join(runDir, 'status.json'),
    json({ id: runId, kind: 'pursuit', name: 'from 2025', algorithm: 'fista', status: 'finished', createdAt: '2025-03-01T10:15:00.000Z', finishedAt: '2025-03-01T10:15:01.000Z', iterations: 2, finalObjective: 1.5, provider: 'cpu', layers: [{ layer: 1, objective: 1.5, nnz: 10, density: 0.01 }] }),
  );
  writeFileSync(path.join(runDir, 'metrics.jsonl'), `${JSON.stringify({ iteration: 1, objective: 2, density: [0.02], seconds: 0.1, layer: 1 })}\n${JSON.stringify({ iteration: 2, objective: 1.5, density: [0.01], seconds: 0.2, layer: 1 })}\n`);
  writeFileSync(path.join(runDir, 'W1.npy'), serializeNpy({ dtype: 'float32', shape: [4, 1, 5, 5], data: Float32Array.from({ length: 100 }, (_, i) => i / 100) }));
  return { runId, manifest };
}

describe('project format 2', () => {
  it('upgrades a format-1 project in place, keeping a backup, and a second open changes nothing', async () => {
    const root = path.join(dir, 'v1');
    const { runId, manifest } = writeV1Project(root);
    const summary = (await call('projects.open', { dir: root })) as { schemaVersion: number; runs: RunSummary[]; datasets: unknown[] };
    expect(PROJECT_SCHEMA_VERSION).toBe(2);
    expect(summary.schemaVersion).toBe(2);
    expect(summary.datasets).toEqual([]);
    expect(summary.runs.map((r) => [r.id, r.status, r.name])).toEqual([[runId, 'finished', 'from 2025']]);
    expect(readFileSync(path.join(root, 'project.v1.json'), 'utf8')).toBe(manifest);
    const upgraded = JSON.parse(readFileSync(path.join(root, 'project.json'), 'utf8'));
    expect(upgraded).toEqual({ schemaVersion: 2, name: 'Old project', createdAt: '2025-03-01T10:14:00.000Z', datasets: [], runs: [runId] });
    // No temporaries left behind by the atomic writes.
    expect(readdirSync(root).sort()).toEqual(['project.json', 'project.v1.json', 'runs']);

    const before = { manifest: readFileSync(path.join(root, 'project.json'), 'utf8'), backup: statSync(path.join(root, 'project.v1.json')).mtimeMs };
    await call('projects.open', { dir: root });
    expect(readFileSync(path.join(root, 'project.json'), 'utf8')).toBe(before.manifest);
    expect(statSync(path.join(root, 'project.v1.json')).mtimeMs).toBe(before.backup);

    // The old run reads as before and takes the new fields.
    const detail = (await call('runs.get', { runId })) as { metrics: { iteration: number }[] };
    expect(detail.metrics.map((m) => m.iteration)).toEqual([1, 2]);
    const updated = (await call('runs.update', { runId, notes: 'baseline from the old app', tags: ['baseline'] })) as RunSummary;
    expect(updated).toMatchObject({ status: 'finished', finalObjective: 1.5, notes: 'baseline from the old app', tags: ['baseline'] });
  });

  it('upgrades again after a crash between the backup and the new manifest', async () => {
    const root = path.join(dir, 'v1-crashed');
    const { manifest } = writeV1Project(root);
    writeFileSync(path.join(root, 'project.v1.json'), manifest);
    const p = await Project.open(root);
    expect((await p.summary()).schemaVersion).toBe(2);
    expect(JSON.parse(readFileSync(path.join(root, 'project.json'), 'utf8')).schemaVersion).toBe(2);
  });

  it('refuses a project from a newer version and a malformed one, touching neither', async () => {
    const newer = path.join(dir, 'v3');
    mkdirSync(newer);
    const text = `${JSON.stringify({ schemaVersion: 3, name: 'Future', createdAt: '2030-01-01T00:00:00.000Z', runs: [], datasets: [], somethingNew: true })}\n`;
    writeFileSync(path.join(newer, 'project.json'), text);
    await expect(call('projects.open', { dir: newer })).rejects.toThrow(/newer Sparseland Studio \(schema 3\)/);
    expect(readFileSync(path.join(newer, 'project.json'), 'utf8')).toBe(text);

    const broken = path.join(dir, 'v1-broken');
    mkdirSync(broken);
    writeFileSync(path.join(broken, 'project.json'), JSON.stringify({ schemaVersion: 1, name: 'Broken', runs: 'none' }));
    await expect(call('projects.open', { dir: broken })).rejects.toMatchObject({ code: 'invalid-input' });
    expect(existsSync(path.join(broken, 'project.v1.json'))).toBe(false);
  });

  it('keeps fields it does not know when it rewrites project.json', async () => {
    const root = path.join(dir, 'extra');
    mkdirSync(root);
    writeFileSync(path.join(root, 'project.json'), JSON.stringify({ schemaVersion: 2, name: 'Extra', createdAt: '2025-01-01T00:00:00.000Z', datasets: [], runs: [], description: 'kept' }));
    await call('projects.open', { dir: root });
    await finishedRun('adds to the manifest');
    expect(JSON.parse(readFileSync(path.join(root, 'project.json'), 'utf8'))).toMatchObject({ description: 'kept', runs: [expect.any(String)] });
  });

  it('starts a fresh metrics line after a torn one, so only the torn line is lost', async () => {
    const root = path.join(dir, 'torn');
    const p = await Project.create(root, 'Torn');
    const run = await p.createRun({ ...config(5), pursuit: { algorithm: 'fista', lambdas: [0.05], iterations: 5, tol: 0 } } as never);
    await p.appendMetrics(run.id, { iteration: 1, objective: 3, density: [0.1], seconds: 0.1, layer: 1 });
    appendFileSync(path.join(root, 'runs', run.id, 'metrics.jsonl'), '{"iteration":2,"objec');
    const reopened = await Project.open(root);
    await reopened.appendMetrics(run.id, { iteration: 3, objective: 2, density: [0.1], seconds: 0.3, layer: 1 });
    expect((await reopened.readMetrics(run.id)).map((m) => m.iteration)).toEqual([1, 3]);
  });
});

describe('run management', () => {
  let root: string;
  beforeAll(async () => {
    root = path.join(dir, 'manage');
    await call('projects.create', { dir: root, name: 'Manage' });
  });

  it('renames a run and sets its notes and tags, on disk and in the listing', async () => {
    const runId = await finishedRun('before');
    const event = waitFor('run.status', (p) => p.runId === runId && p.summary.name === 'after');
    const s = (await call('runs.update', { runId, name: ' after ', notes: 'λ too small?', tags: ['sweep', 'fista', 'sweep'] })) as RunSummary;
    expect(s).toMatchObject({ id: runId, name: 'after', status: 'finished', notes: 'λ too small?', tags: ['sweep', 'fista'] });
    expect((await event).summary.tags).toEqual(['sweep', 'fista']);
    expect(JSON.parse(readFileSync(path.join(root, 'runs', runId, 'status.json'), 'utf8'))).toMatchObject({ name: 'after', notes: 'λ too small?', tags: ['sweep', 'fista'] });
    // Absent fields stay; empty notes and tags are removed.
    const cleared = (await call('runs.update', { runId, notes: '', tags: [] })) as RunSummary;
    expect(cleared.name).toBe('after');
    expect(cleared.notes).toBeUndefined();
    expect(cleared.tags).toBeUndefined();
    const listed = ((await call('runs.list', {})) as RunSummary[]).find((r) => r.id === runId)!;
    expect(listed.name).toBe('after');

    await expect(call('runs.update', { runId, tags: ['two\nlines'] })).rejects.toMatchObject({ code: 'invalid-request' });
    await expect(call('runs.update', { runId, name: '' })).rejects.toMatchObject({ code: 'invalid-request' });
    await expect(call('runs.update', { runId: 'r-nope', name: 'x' })).rejects.toMatchObject({ code: 'not-found' });
  });

  it('updates a running run without losing the change when it ends', async () => {
    const { runId } = (await call('runs.start', { config: config(100_000, 'long') })) as { runId: string };
    await waitFor('run.progress', (p) => p.runId === runId);
    await call('runs.update', { runId, name: 'renamed while running', tags: ['live'] });
    await expect(call('runs.delete', { runId })).rejects.toThrow(/still running/);
    await call('runs.cancel', { runId });
    const end = await waitFor('run.status', statusIs(runId, 'cancelled', 'finished', 'failed'));
    expect(end.status).toBe('cancelled');
    expect(end.summary).toMatchObject({ name: 'renamed while running', tags: ['live'] });
    expect(JSON.parse(readFileSync(path.join(root, 'runs', runId, 'status.json'), 'utf8'))).toMatchObject({ status: 'cancelled', name: 'renamed while running', tags: ['live'] });
  });

  it('deletes a run into trash/ and restores it (undo), in its place in the listing', async () => {
    const ids = ((await call('runs.list', {})) as RunSummary[]).map((r) => r.id);
    const victim = ids[0]!;
    const metricsBefore = readFileSync(path.join(root, 'runs', victim, 'metrics.jsonl'), 'utf8');
    const changed = waitFor('project.changed', (p) => !p.runs.some((r) => r.id === victim));
    expect(await call('runs.delete', { runId: victim })).toEqual({ deleted: true });
    await changed;
    expect(existsSync(path.join(root, 'runs', victim))).toBe(false);
    expect(readFileSync(path.join(root, 'trash', victim, 'metrics.jsonl'), 'utf8')).toBe(metricsBefore);
    expect(JSON.parse(readFileSync(path.join(root, 'project.json'), 'utf8')).runs).not.toContain(victim);
    await expect(call('runs.get', { runId: victim })).rejects.toMatchObject({ code: 'not-found' });
    await expect(call('runs.delete', { runId: victim })).rejects.toMatchObject({ code: 'not-found' });

    const restored = (await call('runs.restore', { runId: victim })) as RunSummary;
    expect(restored.id).toBe(victim);
    expect(((await call('runs.list', {})) as RunSummary[]).map((r) => r.id)).toEqual(ids);
    expect(readFileSync(path.join(root, 'runs', victim, 'metrics.jsonl'), 'utf8')).toBe(metricsBefore);
    expect(existsSync(path.join(root, 'trash', victim))).toBe(false);
    expect((await call('runs.get', { runId: victim })) as { summary: RunSummary }).toMatchObject({ summary: { id: victim } });
    await expect(call('runs.restore', { runId: victim })).rejects.toMatchObject({ code: 'not-found' });
    await expect(call('runs.restore', { runId: '../runs' })).rejects.toMatchObject({ code: 'invalid-request' });
  });

  it('saves the project as a new folder (without the trash) and opens the copy', async () => {
    const trashed = await finishedRun('to be trashed');
    await call('runs.delete', { runId: trashed });
    const runs = ((await call('runs.list', {})) as RunSummary[]).map((r) => r.id);
    const copy = path.join(dir, 'copies', 'manage-2');
    const saved = (await call('projects.saveAs', { dir: copy, name: 'Manage (copy)' })) as { dir: string; name: string; runs: RunSummary[] };
    expect(saved).toMatchObject({ dir: copy, name: 'Manage (copy)' });
    expect(saved.runs.map((r) => r.id)).toEqual(runs);
    expect(readdirSync(copy).sort()).toEqual(['project.json', 'runs']);
    expect(readdirSync(path.join(copy, 'runs')).sort()).toEqual([...runs].sort());
    for (const id of runs) expect(readFileSync(path.join(copy, 'runs', id, 'status.json'), 'utf8')).toBe(readFileSync(path.join(root, 'runs', id, 'status.json'), 'utf8'));
    expect(readdirSync(path.dirname(copy))).toEqual(['manage-2']);
    expect(((await call('projects.current', {})) as { dir: string }).dir).toBe(copy);
    // The original is untouched and keeps its trash.
    expect(JSON.parse(readFileSync(path.join(root, 'project.json'), 'utf8')).name).toBe('Manage');
    expect(existsSync(path.join(root, 'trash', trashed))).toBe(true);
    // A run in the copy is independent of the original.
    await call('runs.update', { runId: runs[0], notes: 'only in the copy' });
    expect(JSON.parse(readFileSync(path.join(root, 'runs', runs[0]!, 'status.json'), 'utf8')).notes).toBeUndefined();

    await expect(call('projects.saveAs', { dir: root })).rejects.toThrow(/not an empty folder/);
    await expect(call('projects.saveAs', { dir: path.join(copy, 'runs', 'inner') })).rejects.toThrow(/overlap/);
    await expect(call('projects.saveAs', { dir: path.join(tmpdir(), 'sparseland-outside') })).rejects.toMatchObject({ code: 'forbidden' });
    mkdirSync(path.join(dir, 'empty-target'));
    expect(((await call('projects.saveAs', { dir: path.join(dir, 'empty-target') })) as { name: string }).name).toBe('Manage (copy)');
  });

  it('refuses to save as while a run is going on', async () => {
    const { runId } = (await call('runs.start', { config: config(100_000, 'busy') })) as { runId: string };
    await waitFor('run.progress', (p) => p.runId === runId);
    await expect(call('projects.saveAs', { dir: path.join(dir, 'busy-copy') })).rejects.toThrow(/still running/);
    await call('runs.cancel', { runId });
    await waitFor('run.status', statusIs(runId, 'cancelled', 'finished', 'failed'));
    expect(existsSync(path.join(dir, 'busy-copy'))).toBe(false);
  });
});
