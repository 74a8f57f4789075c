/**
 * The engine process and its supervision. The host talks to the engine through an EngineChannel; a Node
 * child process in headless and CLI modes, an Electron utility process in the app (the Electron shell passes
 * its own factory). When the process dies unexpectedly — a native crash, out of memory, a kill — every job it
 * was running fails with a clear message and a fresh process is started.
 */
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { RunTheory, StudioError, type StudioErrorShape } from '../../src-shared/contract';
import { z } from 'zod';
import { DatasetImportReply, DatasetPreviewReply, PursuitExportReply, WorkerToHost, type DatasetFilesMessage, type EngineInfo, type HostToWorker } from './protocol';

function parseReply<T>(schema: z.ZodType<T>, reply: unknown, what: string): T {
  const r = schema.safeParse(reply);
  if (!r.success) throw new StudioError('internal', `the engine answered ${what} with a malformed reply (${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message})`);
  return r.data;
}

export interface EngineExit {
  readonly code: number | null;
  readonly signal: string | null;
}

export interface EngineChannel {
  send(message: HostToWorker): void;
  onMessage(receive: (message: unknown) => void): void;
  onExit(exited: (exit: EngineExit) => void): void;
  kill(): void;
  readonly pid: number | undefined;
}

export type EngineChannelFactory = () => EngineChannel;

/**
 * tsx's loader by absolute URL: a bare `--import tsx` would be resolved from the current directory, so the
 * CLI run from a folder outside the app (`sparseland train --project ~/study`) could not start its engine.
 */
function tsxLoader(): string {
  const require = createRequire(import.meta.url);
  return pathToFileURL(path.join(path.dirname(require.resolve('tsx/package.json')), 'dist', 'loader.mjs')).href;
}

/** The engine as a Node child process running the TypeScript worker through tsx. */
export function nodeEngineChannel(): EngineChannel {
  const worker = fileURLToPath(new URL('./engine-worker.ts', import.meta.url));
  const child = fork(worker, [], {
    execArgv: ['--import', tsxLoader()],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env },
  });
  return {
    send: (m) => child.send(m),
    onMessage: (cb) => child.on('message', cb),
    onExit: (cb) => child.on('exit', (code, signal) => cb({ code, signal })),
    kill: () => child.kill('SIGTERM'),
    get pid() {
      return child.pid;
    },
  };
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export interface JobListener {
  progress(m: Extract<WorkerToHost, { type: 'progress' }>): void;
  preview(m: Extract<WorkerToHost, { type: 'preview' }>): void;
  done(m: Extract<WorkerToHost, { type: 'done' }>): void;
  failed(error: StudioErrorShape): void;
  checkpoint?(m: Extract<WorkerToHost, { type: 'checkpoint' }>): void;
  phase?(m: Extract<WorkerToHost, { type: 'phase' }>): void;
}

export class EngineSupervisor {
  private channel: EngineChannel | undefined;
  private readonly jobs = new Map<string, JobListener>();
  private readonly requests = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextRequest = 1;
  private disposed = false;
  private restarts = 0;

  constructor(
    private readonly factory: EngineChannelFactory,
    private readonly onRestart: (reason: string) => void,
  ) {}

  /** The engine process id (started on demand). */
  get pid(): number | undefined {
    return this.ensure().pid;
  }

  get restartCount(): number {
    return this.restarts;
  }

  start(jobId: string, config: Extract<HostToWorker, { type: 'start' }>['config'], listener: JobListener, dataset?: DatasetFilesMessage): void {
    this.jobs.set(jobId, listener);
    this.ensure().send({ type: 'start', jobId, config, ...(dataset ? { dataset } : {}) });
  }

  learn(jobId: string, config: Extract<HostToWorker, { type: 'learn' }>['config'], resume: Extract<HostToWorker, { type: 'learn' }>['resume'], listener: JobListener, dataset?: DatasetFilesMessage): void {
    this.jobs.set(jobId, listener);
    this.ensure().send({ type: 'learn', jobId, config, ...(resume ? { resume } : {}), ...(dataset ? { dataset } : {}) });
  }

  phase(jobId: string, config: Extract<HostToWorker, { type: 'phase' }>['config'], listener: JobListener): void {
    this.jobs.set(jobId, listener);
    this.ensure().send({ type: 'phase', jobId, config });
  }

  cancel(jobId: string): boolean {
    if (!this.jobs.has(jobId) || !this.channel) return false;
    this.channel.send({ type: 'cancel', jobId });
    return true;
  }

  isRunning(jobId: string): boolean {
    return this.jobs.has(jobId);
  }

  info(): Promise<EngineInfo> {
    return this.request({ type: 'info' }) as Promise<EngineInfo>;
  }

  inspect(path: string): Promise<unknown> {
    return this.request({ type: 'inspect', path });
  }

  analyze(params: Extract<HostToWorker, { type: 'analyze' }>['params']): Promise<unknown> {
    return this.request({ type: 'analyze', params });
  }

  /** Imports a data file in the engine process (parsing untrusted files never happens in the host). */
  async datasetImport(params: Omit<Extract<HostToWorker, { type: 'dataset-import' }>, 'type' | 'requestId'>): Promise<DatasetImportReply> {
    return parseReply(DatasetImportReply, await this.request({ type: 'dataset-import', ...params }), 'dataset-import');
  }

  /** The theory of a run's saved dictionaries and codes, computed in the engine process (it reads the run folder). */
  async runTheory(params: Omit<Extract<HostToWorker, { type: 'run-theory' }>, 'type' | 'requestId'>): Promise<RunTheory> {
    return parseReply(RunTheory, await this.request({ type: 'run-theory', ...params }), 'run-theory');
  }

  /** A run's pursuit with its saved dictionaries as ONNX bytes, built in the engine process (it reads the run folder). */
  async exportPursuitOnnx(params: Omit<Extract<HostToWorker, { type: 'export-pursuit-onnx' }>, 'type' | 'requestId'>): Promise<PursuitExportReply> {
    return parseReply(PursuitExportReply, await this.request({ type: 'export-pursuit-onnx', ...params }), 'export-pursuit-onnx');
  }

  async datasetPreview(file: string, count?: number): Promise<DatasetPreviewReply> {
    return parseReply(DatasetPreviewReply, await this.request(count === undefined ? { type: 'dataset-preview', file } : { type: 'dataset-preview', file, count }), 'dataset-preview');
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const ch = this.channel;
    this.channel = undefined;
    if (!ch) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 3000);
      ch.onExit(() => {
        clearTimeout(timer);
        resolve();
      });
      ch.kill();
    });
  }

  private request(m: DistributiveOmit<Extract<HostToWorker, { requestId: number }>, 'requestId'>): Promise<unknown> {
    const requestId = this.nextRequest++;
    return new Promise((resolve, reject) => {
      this.requests.set(requestId, { resolve, reject });
      this.ensure().send({ ...m, requestId } as HostToWorker);
    });
  }

  private ensure(): EngineChannel {
    if (this.disposed) throw new StudioError('unavailable', 'the engine has been shut down');
    if (this.channel) return this.channel;
    const ch = this.factory();
    this.channel = ch;
    ch.onMessage((raw) => {
      // A malformed message must not take the host (and with it the app) down.
      try {
        this.receive(raw);
      } catch (err) {
        process.emitWarning(`engine message dropped: ${(err as Error).message}`);
      }
    });
    ch.onExit((exit) => this.exited(ch, exit));
    return ch;
  }

  private receive(raw: unknown): void {
    const parsed = WorkerToHost.safeParse(raw);
    if (!parsed.success) return;
    const m = parsed.data;
    switch (m.type) {
      case 'ready':
        return;
      case 'progress':
        this.jobs.get(m.jobId)?.progress(m);
        return;
      case 'preview':
        this.jobs.get(m.jobId)?.preview(m);
        return;
      case 'checkpoint':
        this.jobs.get(m.jobId)?.checkpoint?.(m);
        return;
      case 'phase':
        this.jobs.get(m.jobId)?.phase?.(m);
        return;
      case 'done': {
        const l = this.jobs.get(m.jobId);
        this.jobs.delete(m.jobId);
        l?.done(m);
        return;
      }
      case 'failed': {
        const l = this.jobs.get(m.jobId);
        this.jobs.delete(m.jobId);
        l?.failed(m.error);
        return;
      }
      case 'reply': {
        const r = this.requests.get(m.requestId);
        this.requests.delete(m.requestId);
        if (!r) return;
        if (m.ok) r.resolve(m.result);
        else r.reject(StudioError.from(m.error ?? { code: 'internal', message: 'the engine refused the request without a reason' }));
      }
    }
  }

  private exited(ch: EngineChannel, exit: EngineExit): void {
    if (this.channel !== ch) return;
    this.channel = undefined;
    if (this.disposed) return;
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
    const reason = `The engine process ${how}.`;
    const error: StudioErrorShape = {
      code: 'engine-crashed',
      message: `${reason} This run stopped; what it had saved (configuration, metrics so far) is kept. The engine has been restarted, so you can start the run again.`,
    };
    const jobs = [...this.jobs.values()];
    this.jobs.clear();
    for (const j of jobs) j.failed(error);
    for (const r of this.requests.values()) r.reject(new StudioError('engine-crashed', `${reason} The request was not answered; try again.`));
    this.requests.clear();
    this.restarts++;
    // Restart at once, so the next request does not pay the start-up.
    this.ensure();
    this.onRestart(reason);
  }
}
