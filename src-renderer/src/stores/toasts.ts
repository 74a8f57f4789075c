/**
 * Short messages at the corner of the window ("Run deleted — Undo", "Session finished"): each goes away by
 * itself after a while, or at once when dismissed or its action is taken. Errors still go to the banner
 * (app store); toasts are for what went right and what can be undone.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';

export const TOAST_MS = 5_000;
/** Long enough to read "Run deleted" and reach for Undo. */
export const UNDO_TOAST_MS = 8_000;
const MAX_TOASTS = 4;

export interface ToastAction {
  readonly label: string;
  readonly run: () => unknown;
}

export interface Toast {
  readonly id: number;
  readonly message: string;
  readonly kind: 'info' | 'success' | 'warning';
  readonly action?: ToastAction;
  readonly timeoutMs: number;
}

export interface ToastOptions {
  readonly kind?: Toast['kind'];
  readonly action?: ToastAction;
  readonly timeoutMs?: number;
}

export const useToastStore = defineStore('toasts', () => {
  const toasts = ref<Toast[]>([]);
  const timers = new Map<number, ReturnType<typeof setTimeout>>();
  let nextId = 1;

  function dismiss(id: number) {
    const t = timers.get(id);
    if (t !== undefined) clearTimeout(t);
    timers.delete(id);
    toasts.value = toasts.value.filter((x) => x.id !== id);
  }

  function show(message: string, options: ToastOptions = {}): number {
    const toast: Toast = { id: nextId++, message, kind: options.kind ?? 'info', timeoutMs: options.timeoutMs ?? (options.action ? UNDO_TOAST_MS : TOAST_MS), ...(options.action ? { action: options.action } : {}) };
    const kept = [...toasts.value, toast];
    // The oldest make way; their actions (an undo) are lost with them, as after their timeout.
    for (const old of kept.slice(0, Math.max(0, kept.length - MAX_TOASTS))) dismiss(old.id);
    toasts.value = [...toasts.value, toast];
    timers.set(
      toast.id,
      setTimeout(() => dismiss(toast.id), toast.timeoutMs),
    );
    return toast.id;
  }

  /** Takes the toast's action once (a second click finds it gone) and closes it. */
  async function act(id: number): Promise<void> {
    const toast = toasts.value.find((t) => t.id === id);
    if (!toast?.action) return;
    dismiss(id);
    await toast.action.run();
  }

  function clear() {
    for (const id of [...timers.keys()]) dismiss(id);
    toasts.value = [];
  }

  return { toasts, show, dismiss, act, clear };
});
