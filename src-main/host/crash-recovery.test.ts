/**
 * Nothing lost when the whole app dies: the real headless server (`sparseland serve`, with its engine child
 * process) is driven over its WebSocket, then SIGKILLed together with its engine (the process group) while a
 * learning session runs. A fresh host then opens the project: the finished run is intact, the killed session
 * is 'interrupted', and sessions.resume continues it from its last checkpoint to the end.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import type { EventPayload, LearnConfigInput, RunConfigInput, RunDetail, RunSummary, StudioClient } from '../../src-shared/contract';
import { readNpyFile } from '../engine/io/npy';
import { connect, rpcOver } from '../server/test-support';
import { Project } from './projects';
import { createStudioHost, type StudioHostInternals } from './studio-host';
import { callHost, statusIs, waitForEvent } from './test-support';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const canKillGroups = process.platform !== 'win32';

const pursuit: RunConfigInput = {
  name: 'finished before the crash',
  source: { kind: 'synthetic', height: 32, width: 32, nonzeros: 6, seed: 3, noise: 0.01 },
  layers: [
    { filters: 6, kernel: 6, stride: 2, pad: 0, dictionary: { kind: 'random', seed: 1 } },
    { filters: 8, kernel: 3, stride: 1, pad: 0, dictionary: { kind: 'random', seed: 2 } },
  ],
  pursuit: { algorithm: 'ml-fista', lambdas: [0.02, 0.01], iterations: 30, tol: 0 },
};

const ITERATIONS = 24;
const session: LearnConfigInput = {
  name: 'killed with the app',
  method: 'ksvd',
  data: { kind: 'sample', name: 'camera', downsample: 8 },
  params: { patchSize: 6, atoms: 36, sparsity: 3, trainingPatches: 1500, sigma: 20 },
  iterations: ITERATIONS,
  seed: 7,
  checkpointEvery: 2,
};

let base: string | undefined;
let server: ChildProcess | undefined;
let host: StudioHostInternals | undefined;
let stderr = '';

/** Processes of a process group that still run (zombies waiting for a reaper do not count). */
function liveMembers(pgid: number): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,pgid=,stat='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 3 && Number(f[1]) === pgid && !f[2]!.startsWith('Z'))
    .map((f) => Number(f[0]));
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

afterAll(async () => {
  await host?.dispose();
  if (server?.pid && canKillGroups) killGroup(server.pid);
  if (base) rmSync(base, { recursive: true, force: true });
});

function firstLine(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sparseland serve printed nothing within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code, signal) => reject(new Error(`sparseland serve exited (${code ?? signal}) before printing its address`)));
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
  });
}

/** Every run.status event the client has seen, and a wait that looks at the past ones first. */
function statusLog(client: StudioClient) {
  const seen: EventPayload<'run.status'>[] = [];
  const waiters = new Set<{ pred: (p: EventPayload<'run.status'>) => boolean; resolve: (p: EventPayload<'run.status'>) => void }>();
  client.on('run.status', (p) => {
    seen.push(p);
    for (const w of waiters) if (w.pred(p)) (waiters.delete(w), w.resolve(p));
  });
  return {
    seen,
    until(pred: (p: EventPayload<'run.status'>) => boolean, timeoutMs = 60_000): Promise<EventPayload<'run.status'>> {
      const past = seen.find(pred);
      if (past) return Promise.resolve(past);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve: (p: EventPayload<'run.status'>) => (clearTimeout(timer), resolve(p)) };
        const timer = setTimeout(() => (waiters.delete(w), reject(new Error('timed out waiting for run.status'))), timeoutMs);
        waiters.add(w);
      });
    },
  };
}

describe('kill -9 of the whole app during a run', () => {
  it.skipIf(!canKillGroups)('keeps finished runs intact and leaves the killed session resumable from its checkpoint', async () => {
    base = realpathSync(mkdtempSync(path.join(tmpdir(), 'sparseland-crash-')));
    const projectDir = path.join(base, 'proj');
    const stateDir = path.join(base, 'state');
    await Project.create(projectDir, 'Crash');

    server = spawn(process.execPath, ['bin/sparseland.mjs', 'serve', '--project', projectDir, '--root', base, '--port', '0', '--json'], {
      cwd: repoRoot,
      env: { ...process.env, SPARSELAND_STATE_DIR: stateDir },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: the engine child process joins it, and one kill reaches both.
      detached: true,
    });
    server.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const pgid = server.pid!;
    let finishedId: string;
    let killedId: string;
    try {
      const info = JSON.parse(await firstLine(server, 30_000)) as { port: number; token: string };
      const ws = await connect(`ws://127.0.0.1:${info.port}/ws?token=${info.token}`, { origin: `http://127.0.0.1:${info.port}` });
      if (!ws.ok) throw new Error(`upgrade refused with ${ws.status}`);
      const client = rpcOver(ws.ws);
      const log = statusLog(client);
      expect((await client['projects.current']({}))?.dir).toBe(projectDir);

      ({ runId: finishedId } = await client['runs.start']({ config: pursuit }));
      const done = await log.until((p) => p.runId === finishedId && ['finished', 'failed'].includes(p.status));
      expect(done.status, JSON.stringify(done.error)).toBe('finished');

      ({ runId: killedId } = await client['sessions.start']({ config: session }));
      // The status that carries a checkpoint is sent after the checkpoint and status.json are on disk.
      const checkpointed = await log.until((p) => p.runId === killedId && (p.summary.checkpointIteration ?? 0) >= 2);
      expect(checkpointed.status).toBe('running');
      expect(existsSync(path.join(projectDir, 'runs', killedId, 'checkpoint.json'))).toBe(true);

      const members = liveMembers(pgid);
      expect(members.length, 'the server and its engine process share the process group').toBeGreaterThanOrEqual(2);
      const exited = new Promise<NodeJS.Signals | null>((resolve) => server!.once('exit', (_code, signal) => resolve(signal)));
      killGroup(pgid);
      expect(await exited).toBe('SIGKILL');
      ws.ws.terminate();
      for (let i = 0; i < 50 && liveMembers(pgid).length; i++) await new Promise((r) => setTimeout(r, 100));
      expect(liveMembers(pgid), 'no process of the killed app is left').toEqual([]);
    } catch (err) {
      if (err instanceof Error) err.message += `\n--- serve stderr ---\n${stderr.slice(-20_000)}`;
      throw err;
    }

    // The app died without a word: the session's status.json still says running.
    const runDir = (id: string) => path.join(projectDir, 'runs', id);
    expect(JSON.parse(readFileSync(path.join(runDir(killedId), 'status.json'), 'utf8')).status).toBe('running');
    const pointer = JSON.parse(readFileSync(path.join(runDir(killedId), 'checkpoint.json'), 'utf8')) as { iteration: number; dir: string };
    expect(pointer.iteration).toBeGreaterThanOrEqual(2);
    expect(pointer.iteration).toBeLessThan(ITERATIONS);
    expect(existsSync(path.join(runDir(killedId), pointer.dir, 'state.json'))).toBe(true);

    host = await createStudioHost({ kind: 'cli', stateDir, projectDir });
    const call = (op: string, params: unknown) => callHost(host!, op, params);
    const runs = (await call('runs.list', {})) as RunSummary[];
    expect(runs.map((r) => [r.id, r.status])).toEqual([
      [finishedId, 'finished'],
      [killedId, 'interrupted'],
    ]);

    const finished = (await call('runs.get', { runId: finishedId })) as RunDetail;
    expect(finished.summary).toMatchObject({ status: 'finished', iterations: 30 });
    expect(finished.metrics.at(-1)?.iteration).toBe(30);
    expect((await readNpyFile(path.join(runDir(finishedId), 'gamma2.npy'))).shape).toEqual([1, 8, 12, 12]);
    expect((await readNpyFile(path.join(runDir(finishedId), 'W1.npy'))).shape).toEqual([6, 1, 6, 6]);
    const reconstruction = await readNpyFile(path.join(runDir(finishedId), 'reconstruction.npy'));
    expect(reconstruction.shape).toEqual([1, 1, 32, 32]);
    expect(Array.from(reconstruction.data as Float32Array).every(Number.isFinite)).toBe(true);

    const interrupted = (await call('runs.get', { runId: killedId })) as RunDetail;
    expect(interrupted.summary.error?.code).toBe('engine-crashed');
    expect(interrupted.metrics.length).toBeGreaterThanOrEqual(pointer.iteration);

    await call('sessions.resume', { runId: killedId });
    const end = await waitForEvent(host, 'run.status', statusIs(killedId, 'finished', 'failed'), 60_000);
    expect(end.status, JSON.stringify(end.error)).toBe('finished');
    expect(end.summary).toMatchObject({ iterations: ITERATIONS, checkpointIteration: ITERATIONS });
    const resumed = (await call('runs.get', { runId: killedId })) as RunDetail;
    expect(resumed.metrics.map((m) => m.iteration)).toEqual(Array.from({ length: ITERATIONS }, (_, i) => i + 1));
    expect((await readNpyFile(path.join(runDir(killedId), 'W1.npy'))).shape.length).toBeGreaterThan(0);
    // The finished run was not touched by any of this.
    expect(((await call('runs.get', { runId: finishedId })) as RunDetail).metrics).toEqual(finished.metrics);
  });
});
