/**
 * Choosing a file or a folder. The desktop app uses the native dialogs (dialogs.openFile/openDirectory);
 * a browser cannot see the server's disk, so it gets an in-app browser backed by files.list. Either way
 * a view calls pickFile/pickDirectory and awaits a path, or null when the user gave up.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { DirectoryListing } from '../../../src-shared/contract';
import { useStudioClient } from '../client';
import { describeError } from '../lib/errors';
import { ALL_FILES, visibleEntries, type PickFilter } from '../lib/files';
import { useAppStore } from './app';
import { useProjectStore } from './project';

export interface PickRequest {
  readonly mode: 'file' | 'directory';
  readonly title: string;
  /** File mode: the filters offered, the first one applied; "All files" is always added. */
  readonly filters: readonly PickFilter[];
}

/** The folder part of a path ('' when there is none). */
export function dirname(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  if (i < 0) return '';
  if (i === 0) return path.slice(0, 1);
  return path.slice(0, i);
}

export const usePickerStore = defineStore('picker', () => {
  const client = useStudioClient();
  const app = useAppStore();
  const project = useProjectStore();

  const request = shallowRef<PickRequest | null>(null);
  const listing = shallowRef<DirectoryListing | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);
  const filterIndex = ref(0);
  const showHidden = ref(false);
  const selected = ref<string | null>(null);
  /** The folder the browser showed last, to start there next time. */
  const lastDir = ref<string | null>(null);
  let resolver: ((path: string | null) => void) | null = null;

  const filters = computed<PickFilter[]>(() => (request.value ? [...request.value.filters.filter((f) => f.extensions.length), ALL_FILES] : []));
  const filter = computed(() => filters.value[filterIndex.value] ?? ALL_FILES);
  const entries = computed(() => {
    const l = listing.value;
    if (!l) return [];
    const all = visibleEntries(l.entries, request.value?.mode === 'directory' ? undefined : filter.value, showHidden.value);
    return request.value?.mode === 'directory' ? all.filter((e) => e.kind === 'directory') : all;
  });

  let navigation = 0;
  async function navigate(dir?: string): Promise<void> {
    const mine = ++navigation;
    loading.value = true;
    error.value = null;
    try {
      const l = await client['files.list'](dir ? { dir } : {});
      if (mine !== navigation) return;
      listing.value = l;
      lastDir.value = l.dir;
      selected.value = null;
    } catch (err) {
      if (mine !== navigation) return;
      error.value = describeError(err).message;
      // Nothing listed yet (bad start folder): fall back to the default folder once.
      if (!listing.value && dir) {
        await navigate();
        error.value = `Could not open ${dir}: ${describeError(err).message}`;
      }
    } finally {
      if (mine === navigation) loading.value = false;
    }
  }

  function openBrowser(req: PickRequest, start: string | undefined): Promise<string | null> {
    resolver?.(null);
    request.value = req;
    filterIndex.value = 0;
    selected.value = null;
    listing.value = null;
    void navigate(start || lastDir.value || project.current?.dir || undefined);
    return new Promise((resolve) => (resolver = resolve));
  }

  function finish(path: string | null) {
    const r = resolver;
    resolver = null;
    request.value = null;
    r?.(path);
  }

  /** Confirms a path: a file (file mode) or the folder on show (directory mode). */
  function choose(path: string) {
    finish(path);
  }

  function cancel() {
    finish(null);
  }

  /** Asks for a file. `current` (a path already entered) decides where the browser starts. */
  async function pickFile(title: string, filters: readonly PickFilter[], current?: string): Promise<string | null> {
    if (app.isElectron) {
      try {
        const r = await client['dialogs.openFile']({ title, filters: filters.filter((f) => f.extensions.length).map((f) => ({ name: f.name, extensions: [...f.extensions] })) });
        return r.path;
      } catch (err) {
        app.reportError(err, 'Opening the file dialog');
      }
    }
    return openBrowser({ mode: 'file', title, filters }, current ? dirname(current) : undefined);
  }

  async function pickDirectory(title: string, current?: string): Promise<string | null> {
    if (app.isElectron) {
      try {
        return (await client['dialogs.openDirectory']({ title })).path;
      } catch (err) {
        app.reportError(err, 'Opening the folder dialog');
      }
    }
    return openBrowser({ mode: 'directory', title, filters: [] }, current || undefined);
  }

  return { request, listing, loading, error, filters, filterIndex, filter, showHidden, selected, entries, lastDir, navigate, choose, cancel, pickFile, pickDirectory };
});
