import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { StudioError, dispatch, type EventName, type EventPayload, type OperationName, type Params, type Result, type RunSummary } from '../../../src-shared/contract';
import { createStudioHost } from '../../host/studio-host';
import { CliError, printJson, progressBar } from '../output';

interface TrainOptions {
  config?: string;
  project: string;
  resume?: string;
  dataset?: string;
  split?: string;
  json?: boolean;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('run a learning session (K-SVD, CDL, ML-CSC, unrolled networks) into a project, with checkpoints; resume a stopped one')
    .option('--config <file>', 'session configuration (JSON, the contract’s LearnConfig)')
    .requiredOption('--project <dir>', 'project folder (created if it does not exist)')
    .option('--resume <runId>', 'continue a stopped, failed or interrupted session from its last checkpoint')
    .option('--dataset <id>', 'train on this data set of the project (as imported in the app) instead of the data in --config')
    .option('--split <split>', 'with --dataset: train (data.npy, the default) or test (test.npy)')
    .option('--json', 'machine-readable output')
    .action(async (o: TrainOptions) => {
      if (!o.config && !o.resume) throw new CliError('train needs --config FILE to start a session or --resume RUN to continue one');
      if ((o.dataset || o.split) && !o.config) throw new CliError('--dataset and --split choose the data of a new session: use them with --config FILE (a resumed session keeps its data)');
      if (o.split && !o.dataset) throw new CliError('--split needs --dataset ID');
      if (o.split && o.split !== 'train' && o.split !== 'test') throw new CliError(`--split must be train or test, got ${o.split}`);
      const summary = await train(o);
      if (o.json) return printJson(summary);
      console.log(`${summary.name}: ${summary.status} after ${summary.iterations} iterations${summary.finalObjective !== undefined ? `, objective ${summary.finalObjective.toPrecision(6)}` : ''}`);
      console.log(`saved in ${path.join(o.project, 'runs', summary.id)}${summary.checkpointIteration !== undefined ? ` (checkpoint at iteration ${summary.checkpointIteration})` : ''}`);
      if (summary.status === 'failed') process.exitCode = 1;
    });
}

async function train(o: TrainOptions): Promise<RunSummary> {
  const host = await createStudioHost({ kind: 'cli', stateDir: process.env.SPARSELAND_STATE_DIR ?? path.join(homedir(), '.sparseland-studio') });
  // The CLI binds the contract in-process: requests go through the same validation as IPC and WebSocket.
  let nextId = 1;
  const call = async <Op extends OperationName>(op: Op, params: Params<Op>): Promise<Result<Op>> => {
    const r = await dispatch(host.handlers, { kind: 'request', id: nextId++, op, params });
    if (!r || !r.ok) throw r ? StudioError.from(r.error) : new CliError(`${op}: no response`);
    return r.result as Result<Op>;
  };
  const bar = o.json ? undefined : progressBar('train');
  try {
    const dir = path.resolve(o.project);
    if (existsSync(path.join(dir, 'project.json'))) await call('projects.open', { dir });
    else await call('projects.create', { dir, name: path.basename(dir) });
    let runId: string | undefined;
    const finished = new Promise<RunSummary>((resolve) => {
      host.subscribe(<E extends EventName>(event: E, payload: EventPayload<E>) => {
        if (event === 'run.progress') {
          const p = payload as EventPayload<'run.progress'>;
          if (p.runId === runId) bar?.update(p.fraction, `it ${p.metrics.iteration}/${p.totalIterations} obj ${p.metrics.objective.toPrecision(5)}`);
        } else if (event === 'run.status') {
          const p = payload as EventPayload<'run.status'>;
          if (p.runId === runId && ['finished', 'failed', 'cancelled'].includes(p.status)) resolve(p.summary);
        }
      });
    });
    if (o.resume) runId = (await call('sessions.resume', { runId: o.resume })).runId;
    else {
      let raw: unknown;
      try {
        raw = JSON.parse(await readFile(o.config!, 'utf8'));
      } catch (err) {
        throw new CliError(`--config ${o.config}: ${(err as Error).message}`);
      }
      // The contract checks the id (and the rest of the config); an unknown data set is the host's not-found.
      if (o.dataset) raw = { ...(raw as object), data: { kind: 'dataset', id: o.dataset, split: o.split ?? 'train' } };
      runId = (await call('sessions.start', { config: raw as Params<'sessions.start'>['config'] })).runId;
    }
    const onSigint = () => void call('runs.cancel', { runId: runId! });
    process.once('SIGINT', onSigint);
    const summary = await finished;
    process.off('SIGINT', onSigint);
    bar?.done();
    if (summary.status === 'failed' && summary.error) throw new CliError(`${summary.name} failed: ${summary.error.message}`);
    return summary;
  } finally {
    await host.dispose();
  }
}
