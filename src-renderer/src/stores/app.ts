/**
 * The application: what the host is (app.info), the theme, and the messages the error banner shows.
 * Every store reports failures here, so nothing the user caused or the engine hit goes unseen.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import type { AppInfo } from '../../../src-shared/contract';
import { useStudioClient } from '../client';
import { describeError } from '../lib/errors';
import { initialTheme, isTheme, paletteFor, THEME_KEY, type Theme } from '../lib/theme';

export interface BannerMessage {
  readonly id: number;
  readonly severity: 'error' | 'warning';
  /** What the user was doing, e.g. "Starting the run". */
  readonly context?: string;
  readonly message: string;
  readonly code?: string;
  readonly where?: string;
}

function storage(): Storage | undefined {
  try {
    return typeof localStorage === 'undefined' ? undefined : localStorage;
  } catch {
    return undefined;
  }
}

function darkQuery(): MediaQueryList | undefined {
  return typeof window !== 'undefined' && typeof window.matchMedia === 'function' ? window.matchMedia('(prefers-color-scheme: dark)') : undefined;
}

export const useAppStore = defineStore('app', () => {
  const client = useStudioClient();
  const info = ref<AppInfo | null>(null);
  const messages = ref<BannerMessage[]>([]);
  let nextId = 1;

  const storedTheme = storage()?.getItem(THEME_KEY);
  /** True once the user chose a theme; until then the theme follows the system. */
  const chosen = ref(isTheme(storedTheme));
  const theme = ref<Theme>(initialTheme(storedTheme, darkQuery()?.matches ?? false));
  const palette = computed(() => paletteFor(theme.value));
  const isElectron = computed(() => info.value?.host === 'electron');

  watch(
    theme,
    (t) => {
      if (typeof document !== 'undefined') {
        document.documentElement.dataset.theme = t;
        document.documentElement.style.colorScheme = t;
      }
    },
    { immediate: true },
  );

  function setTheme(t: Theme) {
    theme.value = t;
    chosen.value = true;
    try {
      storage()?.setItem(THEME_KEY, t);
    } catch {
      // A full or disabled storage only loses the preference for the next start.
    }
  }

  function toggleTheme() {
    setTheme(theme.value === 'dark' ? 'light' : 'dark');
  }

  function push(severity: BannerMessage['severity'], err: unknown, context?: string): BannerMessage {
    const d = describeError(err);
    const m: BannerMessage = { id: nextId++, severity, message: d.message, ...(context ? { context } : {}), ...(d.code ? { code: d.code } : {}), ...(d.where ? { where: d.where } : {}) };
    // The same failure repeated (e.g. a button pressed twice) is shown once.
    messages.value = [...messages.value.filter((x) => !(x.message === m.message && x.context === m.context)), m].slice(-5);
    return m;
  }

  /** Shows an error in the banner; also logged for whoever has the developer tools open. */
  function reportError(err: unknown, context?: string): BannerMessage {
    console.error(context ?? 'Error', err);
    return push('error', err, context);
  }

  function warn(message: string, context?: string): BannerMessage {
    return push('warning', { message }, context);
  }

  function dismiss(id: number) {
    messages.value = messages.value.filter((m) => m.id !== id);
  }

  function dismissAll() {
    messages.value = [];
  }

  const disposers = shallowRef<(() => void)[]>([]);

  /** Fetches app.info, then follows engine restarts and the system theme. */
  async function init() {
    if (!disposers.value.length) {
      const offRestart = client.on('engine.restarted', (p) => warn(`The engine process stopped (${p.reason}) and was restarted. Runs that were in progress were interrupted; start them again.`, 'Engine'));
      const query = darkQuery();
      const onScheme = (ev: MediaQueryListEvent) => {
        if (!chosen.value) theme.value = ev.matches ? 'dark' : 'light';
      };
      query?.addEventListener('change', onScheme);
      disposers.value = [offRestart, () => query?.removeEventListener('change', onScheme)];
    }
    try {
      info.value = await client['app.info']({});
    } catch (err) {
      reportError(err, 'Asking the engine host what it is');
    }
  }

  function dispose() {
    for (const d of disposers.value) d();
    disposers.value = [];
  }

  return { info, isElectron, theme, palette, messages, setTheme, toggleTheme, reportError, warn, dismiss, dismissAll, init, dispose };
});
