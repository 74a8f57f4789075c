/**
 * Long jobs, followed wherever they were started: their progress goes into the window title ("42% · Learn ·
 * Sparseland Studio"), and when one that ran longer than LONG_JOB_MS ends, a toast says so and, in a browser
 * whose user asked for it, a system notification too. The desktop app's main process shows native
 * notifications itself (it hears the same events), so there the page only toasts.
 */
import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import type { EventPayload, RunSummary } from '../../../src-shared/contract';
import { useStudioClient } from '../client';
import { jobLabel, windowTitle, type JobProgress } from '../lib/title';
import { useAppStore } from './app';
import { useProjectStore } from './project';
import { useToastStore } from './toasts';
import { isActive } from './tracked-run';

export const LONG_JOB_MS = 10_000;
export const NOTIFY_KEY = 'sparseland.notify';

interface Job extends JobProgress {
  readonly startedAt: number;
  readonly name: string;
}

export type NotifyPermission = 'default' | 'granted' | 'denied' | 'unsupported';

function storage(): Storage | undefined {
  try {
    return typeof localStorage === 'undefined' ? undefined : localStorage;
  } catch {
    return undefined;
  }
}

function notificationApi(): typeof Notification | undefined {
  return typeof globalThis.Notification === 'function' ? globalThis.Notification : undefined;
}

/** "1 min 5 s", "12 s". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min${s % 60 ? ` ${s % 60} s` : ''}`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** The sentence for a job that ended, or undefined for an ending that needs no word (cancelled by the user). */
export function endMessage(summary: RunSummary, ms: number, error?: { message: string }): { text: string; kind: 'success' | 'warning' } | undefined {
  const what = `${jobLabel(summary.kind)} “${summary.name || summary.id}”`;
  if (summary.status === 'finished') return { text: `${what} finished after ${formatDuration(ms)}.`, kind: 'success' };
  if (summary.status === 'failed') return { text: `${what} failed after ${formatDuration(ms)}: ${error?.message ?? summary.error?.message ?? 'no reason given'}`, kind: 'warning' };
  if (summary.status === 'interrupted') return { text: `${what} was interrupted after ${formatDuration(ms)}.`, kind: 'warning' };
  return undefined;
}

export const useNotifyStore = defineStore('notify', () => {
  const client = useStudioClient();
  const app = useAppStore();
  const project = useProjectStore();
  const toasts = useToastStore();

  const jobs = ref<Map<string, Job>>(new Map());
  const wanted = ref(storage()?.getItem(NOTIFY_KEY) === 'on');
  const permission = ref<NotifyPermission>(notificationApi()?.permission ?? 'unsupported');
  const running = computed<JobProgress[]>(() => [...jobs.value.values()]);
  const title = computed(() => windowTitle(running.value));
  /** System notifications from this page: wanted, allowed, and not the desktop app (its main process notifies). */
  const systemNotifications = computed(() => wanted.value && permission.value === 'granted' && !app.isElectron);

  let disposers: (() => void)[] = [];

  function track(summary: RunSummary, fraction: number | null) {
    const old = jobs.value.get(summary.id);
    const next = new Map(jobs.value);
    next.set(summary.id, { runId: summary.id, label: jobLabel(summary.kind), name: summary.name, fraction: fraction ?? old?.fraction ?? null, startedAt: old?.startedAt ?? Date.now() });
    jobs.value = next;
  }

  function onStatus(p: EventPayload<'run.status'>) {
    if (isActive(p.status)) {
      track(p.summary, null);
      return;
    }
    const job = jobs.value.get(p.runId);
    if (!job) return;
    const next = new Map(jobs.value);
    next.delete(p.runId);
    jobs.value = next;
    const ms = Date.now() - job.startedAt;
    if (ms <= LONG_JOB_MS) return;
    const said = endMessage(p.summary, ms, p.error);
    if (!said) return;
    toasts.show(said.text, { kind: said.kind });
    if (systemNotifications.value) {
      const N = notificationApi();
      try {
        if (N) new N('Sparseland Studio', { body: said.text, tag: `run-${p.runId}` });
      } catch {
        // Some browsers allow notifications only from a service worker; the toast has said it.
      }
    }
  }

  function onProgress(p: EventPayload<'run.progress'>) {
    const job = jobs.value.get(p.runId);
    if (job) {
      const next = new Map(jobs.value);
      next.set(p.runId, { ...job, fraction: p.fraction });
      jobs.value = next;
      return;
    }
    // A job this window had not heard start (it opened mid-run): follow it from now.
    const summary = project.runs.find((r) => r.id === p.runId);
    track(summary ?? { id: p.runId, name: p.runId, kind: 'pursuit', algorithm: 'ml-fista', status: 'running', createdAt: '', iterations: 0 }, p.fraction);
  }

  function init() {
    if (disposers.length) return;
    disposers = [client.on('run.status', onStatus), client.on('run.progress', onProgress)];
    // Jobs already going when the window opened (a reload during a run).
    const stop = watch(
      () => project.runs,
      (runs) => {
        for (const r of runs) if (isActive(r.status) && !jobs.value.has(r.id)) track(r, null);
      },
      { immediate: true },
    );
    const stopTitle = watch(
      title,
      (t) => {
        if (typeof document !== 'undefined') document.title = t;
      },
      { immediate: true },
    );
    disposers.push(stop, stopTitle);
  }

  /** Turns system notifications on or off; turning on asks the browser's permission (call from a click). */
  async function setWanted(on: boolean): Promise<void> {
    wanted.value = on;
    try {
      storage()?.setItem(NOTIFY_KEY, on ? 'on' : 'off');
    } catch {
      // The choice lasts until the page closes.
    }
    const N = notificationApi();
    if (!on || !N) return;
    if (N.permission === 'default') {
      try {
        permission.value = await N.requestPermission();
      } catch (err) {
        app.reportError(err, 'Asking to show notifications');
      }
    } else permission.value = N.permission;
  }

  function dispose() {
    for (const d of disposers) d();
    disposers = [];
  }

  return { jobs, running, title, wanted, permission, systemNotifications, init, setWanted, dispose };
});
