/**
 * What the desktop app shows outside its window while jobs run: the taskbar/dock progress (the slowest
 * running job; -1 removes it) and, when a job that ran longer than LONG_JOB_MS ends, a native notification.
 * Fed the host's run.progress/run.status events by main.ts; pure (no Electron import), so it is unit-tested.
 * The window's page does not notify in the desktop app, so nothing is said twice.
 */
import type { EventName, EventPayload } from '../../src-shared/contract';

export const LONG_JOB_MS = 10_000;

export interface JobNotice {
  readonly title: string;
  readonly body: string;
}

export interface JobWatchUpdate {
  /** For BrowserWindow.setProgressBar: 0…1, or -1 when nothing runs. */
  readonly progress: number;
  readonly notice?: JobNotice;
}

const KIND_LABELS = { pursuit: 'Pursuit', learning: 'Learn', phase: 'Phase transition' } as const;

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
}

export class JobWatch {
  private readonly jobs = new Map<string, { startedAt: number; fraction: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The slowest running job's fraction, or -1. */
  progress(): number {
    if (!this.jobs.size) return -1;
    return Math.min(...[...this.jobs.values()].map((j) => j.fraction));
  }

  /** Takes one host event; returns what to show, or undefined for events that change nothing. */
  onEvent<E extends EventName>(event: E, payload: EventPayload<E>): JobWatchUpdate | undefined {
    if (event === 'run.progress') {
      const p = payload as EventPayload<'run.progress'>;
      const job = this.jobs.get(p.runId);
      this.jobs.set(p.runId, { startedAt: job?.startedAt ?? this.now(), fraction: Math.min(1, Math.max(0, p.fraction)) });
      return { progress: this.progress() };
    }
    if (event !== 'run.status') return undefined;
    const p = payload as EventPayload<'run.status'>;
    if (p.status === 'queued' || p.status === 'running') {
      if (!this.jobs.has(p.runId)) this.jobs.set(p.runId, { startedAt: this.now(), fraction: 0 });
      return { progress: this.progress() };
    }
    const job = this.jobs.get(p.runId);
    if (!job) return undefined;
    this.jobs.delete(p.runId);
    const ms = this.now() - job.startedAt;
    const what = `${KIND_LABELS[p.summary.kind]} “${p.summary.name || p.runId}”`;
    let body: string | undefined;
    if (p.status === 'finished') body = `${what} finished after ${duration(ms)}.`;
    else if (p.status === 'failed') body = `${what} failed after ${duration(ms)}: ${p.error?.message ?? p.summary.error?.message ?? 'no reason given'}`;
    // Cancelled: the user did it and knows; interrupted: the app is quitting or the engine restarted (the window says so).
    return ms > LONG_JOB_MS && body ? { progress: this.progress(), notice: { title: p.status === 'finished' ? 'Job finished' : 'Job failed', body } } : { progress: this.progress() };
  }
}
