/**
 * The project's data sets: the list (mirrored from the project summary, which project.changed keeps
 * current), the one on show with its preview (thumbnails and statistics from datasets.preview), importing
 * by path (datasets.import), uploading dropped files' bytes (datasets.upload, for the browser, where no
 * path on the server exists), and removing. Failures go to the error banner and, where a form shows them,
 * into `importError` or the per-file drop outcomes.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import type { DatasetImportInput, DatasetPreview, DatasetSummary, DatasetUploadInput, PreprocessStep } from '../../../src-shared/contract';
import { useStudioClient } from '../client';
import { datasetNameFromPath, groupDroppedFiles, MAX_UPLOAD_BYTES, sortDatasets, upsertDataset, type DropOutcome } from '../lib/datasets';
import { describeError } from '../lib/errors';
import { formatBytes } from '../lib/format';
import { useAppStore } from './app';
import { useProjectStore } from './project';

/** A file dropped on the Data view: a path where the desktop app knows it, and a way to read its bytes. */
export interface DroppedFile {
  readonly name: string;
  readonly size: number;
  /** The file's path on disk (desktop app only); null in the browser. */
  readonly path: string | null;
  read(): Promise<Uint8Array>;
}

export interface DropOptions {
  readonly preprocessing?: readonly PreprocessStep[];
}

export const useDatasetsStore = defineStore('datasets', () => {
  const client = useStudioClient();
  const app = useAppStore();
  const project = useProjectStore();

  const items = ref<DatasetSummary[]>([]);
  const list = computed(() => sortDatasets(items.value));
  const listLoading = ref(false);
  const selectedId = ref<string | null>(null);
  const selected = computed(() => items.value.find((d) => d.id === selectedId.value) ?? null);
  const preview = shallowRef<DatasetPreview | null>(null);
  const previewLoading = ref(false);
  const previewError = ref<string | null>(null);
  const importing = ref(false);
  const importError = ref<string | null>(null);
  const removing = ref(false);
  const dropping = ref(false);
  const dropOutcomes = ref<DropOutcome[]>([]);

  /** Previews by data set id; a data set never changes after import, so its preview stays valid. */
  let previews = new Map<string, DatasetPreview>();
  let previewRequest = 0;
  let projectDir: string | null = null;

  async function refresh(): Promise<void> {
    if (!project.current) return;
    listLoading.value = true;
    try {
      items.value = await client['datasets.list']({});
    } catch (err) {
      app.reportError(err, 'Listing the data sets');
    } finally {
      listLoading.value = false;
    }
  }

  function clearSelection() {
    selectedId.value = null;
    preview.value = null;
    previewError.value = null;
    previewLoading.value = false;
    previewRequest++;
  }

  let stopWatch: (() => void) | null = null;

  /** Follows the open project: its summary carries the list (else it is asked for). */
  function init() {
    if (stopWatch) return;
    stopWatch = watch(
      () => project.current,
      (p) => {
        const dir = p?.dir ?? null;
        if (dir !== projectDir) {
          projectDir = dir;
          previews = new Map();
          clearSelection();
          dropOutcomes.value = [];
          importError.value = null;
          items.value = [];
        }
        if (!p) return;
        if (p.datasets) items.value = p.datasets;
        else void refresh();
        if (selectedId.value && !items.value.some((d) => d.id === selectedId.value)) clearSelection();
      },
      { immediate: true },
    );
  }

  async function select(id: string | null): Promise<void> {
    if (id === null) {
      clearSelection();
      return;
    }
    selectedId.value = id;
    previewError.value = null;
    const mine = ++previewRequest;
    const cached = previews.get(id);
    if (cached) {
      preview.value = cached;
      previewLoading.value = false;
      return;
    }
    preview.value = null;
    previewLoading.value = true;
    try {
      const p = await client['datasets.preview']({ id });
      previews.set(id, p);
      if (mine === previewRequest) preview.value = p;
    } catch (err) {
      if (mine === previewRequest) previewError.value = describeError(err).message;
      app.reportError(err, 'Showing the data set');
    } finally {
      if (mine === previewRequest) previewLoading.value = false;
    }
  }

  function added(d: DatasetSummary) {
    items.value = upsertDataset(items.value, d);
    void select(d.id);
  }

  /** Imports a file or folder by path; the new data set is selected. Null (and importError) on failure. */
  async function importPath(params: DatasetImportInput): Promise<DatasetSummary | null> {
    importing.value = true;
    importError.value = null;
    try {
      const d = await client['datasets.import'](params as Parameters<(typeof client)['datasets.import']>[0]);
      added(d);
      return d;
    } catch (err) {
      importError.value = describeError(err).message;
      app.reportError(err, `Importing ${params.path}`);
      return null;
    } finally {
      importing.value = false;
    }
  }

  async function upload(params: DatasetUploadInput): Promise<DatasetSummary> {
    const d = await client['datasets.upload'](params as Parameters<(typeof client)['datasets.upload']>[0]);
    added(d);
    return d;
  }

  /**
   * Imports dropped files, reporting per file what became of it: with a path (desktop app), a file is
   * imported where it lies; otherwise its bytes are uploaded. Two or more images become one image folder
   * (uploaded: they need not share a folder on disk); every other file is a data set of its own.
   */
  async function importDropped(files: readonly DroppedFile[], options: DropOptions = {}): Promise<DropOutcome[]> {
    if (!files.length) return [];
    dropping.value = true;
    dropOutcomes.value = [];
    const outcomes: DropOutcome[] = [];
    const preprocessing = [...(options.preprocessing ?? [])];
    const failures: string[] = [];
    try {
      for (const group of groupDroppedFiles(files.map((f) => f.name))) {
        const members = group.map((i) => files[i]!);
        const names = members.map((f) => f.name);
        const first = members[0]!;
        try {
          let d: DatasetSummary;
          if (members.length === 1 && first.path) {
            d = await client['datasets.import']({ path: first.path, stored: 'reference', preprocessing });
            added(d);
          } else {
            const total = members.reduce((s, f) => s + f.size, 0);
            if (total > MAX_UPLOAD_BYTES) {
              throw new Error(`${formatBytes(total)} is more than a browser may upload at once (${formatBytes(MAX_UPLOAD_BYTES)}); import it by path with Import… instead`);
            }
            const uploaded = await Promise.all(
              members.map(async (f) => {
                try {
                  return { name: f.name, bytes: await f.read() };
                } catch (err) {
                  throw new Error(`${f.name} could not be read (a folder cannot be dropped in the browser; use Import…): ${describeError(err).message}`);
                }
              }),
            );
            const name = members.length > 1 ? `${datasetNameFromPath(first.name)} (${members.length} images)` : datasetNameFromPath(first.name);
            d = await upload({ files: uploaded, name, preprocessing });
          }
          for (const n of names) outcomes.push({ name: n, ok: true, message: members.length > 1 ? `imported with ${members.length - 1} other image${members.length > 2 ? 's' : ''} as ${d.name}` : `imported as ${d.name}` });
        } catch (err) {
          const message = describeError(err).message;
          failures.push(`${names.join(', ')}: ${message}`);
          for (const n of names) outcomes.push({ name: n, ok: false, message });
        }
        dropOutcomes.value = outcomes.slice();
      }
      if (failures.length) app.reportError(new Error(failures.join('; ')), `Importing ${failures.length === 1 ? 'a dropped file' : 'dropped files'}`);
      return outcomes;
    } finally {
      dropping.value = false;
    }
  }

  async function remove(id: string): Promise<boolean> {
    removing.value = true;
    try {
      const { removed } = await client['datasets.remove']({ id });
      items.value = items.value.filter((d) => d.id !== id);
      previews.delete(id);
      if (selectedId.value === id) clearSelection();
      if (!removed) app.warn(`The data set ${id} was no longer in the project.`, 'Removing the data set');
      return removed;
    } catch (err) {
      app.reportError(err, 'Removing the data set');
      return false;
    } finally {
      removing.value = false;
    }
  }

  function dispose() {
    stopWatch?.();
    stopWatch = null;
  }

  return {
    list,
    listLoading,
    selectedId,
    selected,
    preview,
    previewLoading,
    previewError,
    importing,
    importError,
    removing,
    dropping,
    dropOutcomes,
    init,
    refresh,
    select,
    importPath,
    importDropped,
    remove,
    dispose,
  };
});
