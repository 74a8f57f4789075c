/**
 * The host: implements the contract's operations over projects on disk and the engine process. Every
 * front door (Electron IPC, the headless WebSocket, the CLI) binds these same handlers.
 */
import { mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import {
  LearnConfig,
  PhaseConfig,
  RecentProject,
  StudioError,
  type EventName,
  type EventPayload,
  type Handlers,
  type DatasetSummary,
  type DatasetUploadParams,
  type RunConfig,
  type RunTheory,
  type RunSummary,
} from '../../src-shared/contract';
import { writeFileAtomic } from '../engine/io/fileio';
import { APP_VERSION } from '../engine/version';
import { AVAILABLE_METHODS as availableMethods } from '../engine/learn/available';
import { METHOD_SPECS, ParamError, checkParams } from '../engine/learn/specs';
import { EngineSupervisor, nodeEngineChannel, type EngineChannelFactory, type JobListener } from './engine-process';
import { PathGuard } from './paths';
import { exportRun, listRunExports } from './export/run-export';
import { Project, copyTree } from './projects';
import type { HostEventListener, StudioHost, StudioHostOptions } from './types';

const MAX_RECENT = 10;
/** The most datasets.upload takes in one call (Electron IPC; the WebSocket's frame limit is lower). */
export const MAX_UPLOAD_BYTES = 2 * 2 ** 30;
/** Several uploaded files become one image folder: these are the image formats the importer reads. */
const UPLOAD_IMAGE_EXTENSIONS = /\.(png|jpe?g|jpe|tiff?|bmp|dib)$/i;

export interface StudioHostInternals extends StudioHost {
  /** The engine supervisor (tests kill its process to check crash handling). */
  readonly engine: EngineSupervisor;
}

export async function createStudioHost(options: StudioHostOptions, engineFactory: EngineChannelFactory = nodeEngineChannel): Promise<StudioHostInternals> {
  const listeners = new Set<HostEventListener>();
  const emit = <E extends EventName>(event: E, payload: EventPayload<E>) => {
    for (const l of listeners) {
      try {
        l(event, payload);
      } catch {
        // A failing client must not stop the others from hearing.
      }
    }
  };
  const guard = new PathGuard(options.allowedRoots);
  const engine = new EngineSupervisor(engineFactory, (reason) => emit('engine.restarted', { reason, at: new Date().toISOString() }));
  let project: Project | undefined;
  /** Per-run write chains: metrics, tensors and status are written in the order they happen. */
  const writes = new Map<string, Promise<void>>();
  const live = new Map<string, RunSummary>();
  const recentFile = path.join(options.stateDir, 'recent.json');

  const chain = (runId: string, work: () => Promise<void>) => {
    const next = (writes.get(runId) ?? Promise.resolve()).then(work).catch((err) => {
      emitStatus({ ...(live.get(runId) as RunSummary), status: 'failed', error: { code: 'internal', message: `could not save run ${runId}: ${(err as Error).message}` } });
    });
    writes.set(runId, next);
    return next;
  };

  /**
   * Runs `work` after the run's pending writes, on the same chain, and hands its result (or error) to the
   * caller; unlike `chain`, a failure does not mark the run failed.
   */
  function serial<T>(runId: string, work: () => Promise<T>): Promise<T> {
    const result = (writes.get(runId) ?? Promise.resolve()).then(work);
    writes.set(
      runId,
      result.then(
        () => undefined,
        () => undefined,
      ),
    );
    return result;
  }

  function requireProject(): Project {
    if (!project) throw new StudioError('no-project', 'no project is open: create or open a project first');
    return project;
  }

  function emitStatus(summary: RunSummary) {
    live.set(summary.id, summary);
    emit('run.status', { runId: summary.id, status: summary.status, summary, ...(summary.error ? { error: summary.error } : {}) });
  }

  async function readRecent(): Promise<z.infer<typeof RecentProject>[]> {
    try {
      const parsed = z.array(RecentProject).safeParse(JSON.parse(await readFile(recentFile, 'utf8')));
      return parsed.success ? parsed.data : [];
    } catch {
      return [];
    }
  }

  async function remember(p: Project) {
    const recent = (await readRecent()).filter((r) => r.dir !== p.dir);
    recent.unshift({ dir: p.dir, name: p.name, openedAt: new Date().toISOString() });
    await mkdir(options.stateDir, { recursive: true });
    await writeFileAtomic(recentFile, new TextEncoder().encode(JSON.stringify(recent.slice(0, MAX_RECENT), null, 2)));
  }

  async function activate(p: Project) {
    project = p;
    await p.markInterrupted((id) => engine.isRunning(id));
    await remember(p);
    emit('project.changed', await p.summary());
    return p.summary();
  }

  function checkConfigPaths(config: RunConfig): RunConfig {
    const source = config.source.kind === 'file' ? { ...config.source, path: guard.check(config.source.path, 'data file') } : config.source;
    const layers = config.layers.map((l, i) => (l.dictionary.kind === 'file' ? { ...l, dictionary: { ...l.dictionary, path: guard.check(l.dictionary.path, `dictionary of layer ${i + 1}`) } } : l));
    return { ...config, source, layers };
  }

  /** Listens to one job of the engine and keeps its run folder and the clients up to date. */
  function jobListener(p: Project, runId: string): JobListener {
    let started = false;
    const markRunning = () => {
      if (started) return;
      started = true;
      const s = { ...live.get(runId)!, status: 'running' as const };
      delete (s as { error?: unknown }).error;
      void chain(runId, () => p.writeStatus(s));
      emitStatus(s);
    };
    return {
      progress: (m) => {
        markRunning();
        const metrics = {
          iteration: m.progress.iteration,
          objective: m.progress.objective,
          density: m.progress.density.map((d) => Math.min(1, Math.max(0, d))),
          seconds: m.progress.seconds,
          layer: m.progress.layer,
          ...(m.progress.values ? { values: m.progress.values } : {}),
        };
        void chain(runId, () => p.appendMetrics(runId, metrics));
        const total = m.progress.totalIterations;
        emit('run.progress', { runId, fraction: total > 0 ? Math.min(1, m.progress.iteration / total) : 1, totalIterations: total, metrics });
        live.set(runId, { ...live.get(runId)!, iterations: m.progress.iteration, finalObjective: m.progress.objective });
      },
      preview: (m) => {
        markRunning();
        // Learning sessions say at which iteration they previewed; their atoms become a snapshot for the step slider.
        const iteration = m.preview.iteration;
        if (iteration !== undefined && m.preview.atoms.length) void chain(runId, () => p.writeSnapshot(runId, iteration, m.preview.atoms.map((a) => ({ layer: a.layer, images: a.images }))));
        emit('run.preview', { runId, ...m.preview });
      },
      phase: (m) => {
        markRunning();
        void chain(runId, () => p.writePhaseResult(runId, m.result));
        emit('phase.progress', { runId, result: m.result });
      },
      checkpoint: (m) => {
        void chain(runId, async () => {
          await p.writeCheckpoint(runId, m.iteration, m.saved);
          const s: RunSummary = { ...live.get(runId)!, checkpointIteration: m.iteration };
          await p.writeStatus(s);
          emitStatus(s);
        });
      },
      done: (m) => {
        void chain(runId, async () => {
          for (const [name, t] of Object.entries(m.tensors)) await p.writeTensor(runId, name, t);
          const s: RunSummary = {
            ...live.get(runId)!,
            status: m.cancelled ? 'cancelled' : 'finished',
            finishedAt: new Date().toISOString(),
            iterations: m.iterations,
            provider: m.provider,
            ...(m.layers.length ? { layers: m.layers } : {}),
            ...(m.finalObjective !== undefined ? { finalObjective: m.finalObjective } : {}),
          };
          await p.writeStatus(s);
          emitStatus(s);
        });
      },
      failed: (error) => {
        void chain(runId, async () => {
          const s: RunSummary = { ...live.get(runId)!, status: 'failed', finishedAt: new Date().toISOString(), error };
          await p.writeStatus(s);
          emitStatus(s);
        });
      },
    };
  }

  /**
   * The files of a pursuit's source {kind: 'dataset'}, with its item checked against the data set's recorded
   * shape, so an index out of range is refused before a run folder is made.
   */
  async function pursuitDataset(p: Project, source: Extract<RunConfig['source'], { kind: 'dataset' }>) {
    const files = await p.datasetFiles(source.id, source.split, 'the run');
    const d = p.dataset(source.id);
    const items = source.split === 'test' ? d.stats.testItems : d.stats.shape[0];
    if (items !== undefined && source.index >= items) {
      throw new StudioError('invalid-input', `item index ${source.index} is out of range: the ${source.split} split of data set "${d.name}" (${d.id}) has N = ${items} item(s), 0 to ${items - 1}`, 'source.index');
    }
    return files;
  }

  async function startRun(rawConfig: RunConfig): Promise<{ runId: string }> {
    const p = requireProject();
    const config = checkConfigPaths(rawConfig);
    const dataset = config.source.kind === 'dataset' ? await pursuitDataset(p, config.source) : undefined;
    const created = await p.createRun(config);
    emitStatus(created);
    engine.start(created.id, config, jobListener(p, created.id), dataset);
    return { runId: created.id };
  }

  async function startSession(rawConfig: LearnConfig): Promise<{ runId: string }> {
    const p = requireProject();
    const config = rawConfig.data.kind === 'file' ? { ...rawConfig, data: { ...rawConfig.data, path: guard.check(rawConfig.data.path, 'data file') } } : rawConfig;
    if (!availableMethods.includes(config.method)) throw new StudioError('unavailable', `the learning method ${config.method} is not available in this build`, 'method');
    const accepts = METHOD_SPECS.find((m) => m.method === config.method)?.data ?? [];
    if (!accepts.includes(config.data.kind)) throw new StudioError('invalid-input', `${config.method} does not train on data of kind "${config.data.kind}"; it accepts ${accepts.join(', ')}`, 'data');
    const dataset = config.data.kind === 'dataset' ? await p.datasetFiles(config.data.id, config.data.split) : undefined;
    try {
      checkParams(config.method, config.params);
    } catch (err) {
      if (err instanceof ParamError) throw new StudioError('invalid-input', err.message, 'params');
      throw err;
    }
    const created = await p.createRun(config);
    emitStatus(created);
    engine.learn(created.id, config, undefined, jobListener(p, created.id), dataset);
    return { runId: created.id };
  }

  async function startPhase(rawConfig: PhaseConfig): Promise<{ runId: string }> {
    const p = requireProject();
    const model = rawConfig.model;
    const config = model.kind === 'convolutional' && model.dictionaries ? { ...rawConfig, model: { ...model, dictionaries: model.dictionaries.map((d, i) => guard.check(d, `dictionary of layer ${i + 1}`)) } } : rawConfig;
    const created = await p.createRun(config);
    emitStatus(created);
    engine.phase(created.id, config, jobListener(p, created.id));
    return { runId: created.id };
  }

  async function resumeSession(runId: string): Promise<{ runId: string }> {
    const p = requireProject();
    if (engine.isRunning(runId)) throw new StudioError('invalid-request', `run ${runId} is still running`, runId);
    const detail = await p.readRun(runId);
    const parsed = LearnConfig.safeParse(detail.config);
    if (!parsed.success) throw new StudioError('invalid-request', `run ${runId} is a pursuit run, not a learning session; start it again instead`, runId);
    if (detail.summary.status === 'finished') throw new StudioError('invalid-request', `session ${runId} has finished; there is nothing to resume`, runId);
    const checkpoint = await p.readCheckpoint(runId);
    if (checkpoint) {
      for (const [name, a] of Object.entries(checkpoint.saved.tensors)) {
        if (!['float32', 'float64', 'int32', 'int64', 'uint8'].includes(a.dtype)) throw new StudioError('invalid-input', `checkpoint array ${name} of run ${runId} has dtype ${a.dtype}, which no method writes`, runId);
      }
    }
    const data = parsed.data.data;
    const dataset = data.kind === 'dataset' ? await p.datasetFiles(data.id, data.split, `resuming session ${runId}`) : undefined;
    // The iterations after the checkpoint are redone: their snapshots go, so the slider's history stays monotone.
    await serial(runId, () => p.dropSnapshotsAfter(runId, checkpoint?.iteration ?? 0));
    const summary: RunSummary = { ...detail.summary, status: 'queued' };
    delete (summary as { finishedAt?: string }).finishedAt;
    delete (summary as { error?: unknown }).error;
    await p.writeStatus(summary);
    emitStatus(summary);
    engine.learn(runId, parsed.data, checkpoint as Parameters<typeof engine.learn>[2], jobListener(p, runId), dataset);
    return { runId };
  }

  /**
   * datasets.import: the engine process reads and preprocesses the file and writes the arrays into a hidden
   * folder of the project; the host copies the source when asked, writes dataset.json, renames the folder
   * into place and lists the data set in project.json. Any failure removes the hidden folder.
   */
  async function importDataset(params: { path: string; name?: string | undefined; stored: 'reference' | 'copy'; array?: string | undefined; preprocessing: DatasetSummary['preprocessing'] }): Promise<DatasetSummary> {
    const p = requireProject();
    const source = guard.check(params.path, 'data file');
    const { id, staging } = await p.stageDataset();
    return importStaged(p, id, staging, {
      read: source,
      source,
      name: params.name ?? path.basename(source).replace(/\.[A-Za-z0-9]+$/, ''),
      stored: params.stored,
      array: params.array,
      preprocessing: params.preprocessing,
      copy:
        params.stored === 'copy'
          ? async () => {
              await mkdir(path.join(staging, 'source'), { recursive: true });
              await copyTree(source, path.join(staging, 'source', path.basename(source)));
              return `source/${path.basename(source)}`;
            }
          : undefined,
    });
  }

  /**
   * datasets.upload: the files' contents are written into `source/` of the hidden folder of a new data set,
   * then imported from there like a copied file (one file) or a copied folder of images (several). Names come
   * checked by the contract (no folders); duplicates, hidden names and oversized uploads are refused here.
   */
  async function uploadDataset(params: DatasetUploadParams): Promise<DatasetSummary> {
    const p = requireProject();
    const seen = new Set<string>();
    let total = 0;
    for (const f of params.files) {
      if (f.name.startsWith('.')) throw new StudioError('invalid-input', `cannot upload ${f.name}: file names starting with "." are hidden files; rename it`, f.name);
      // Case-insensitive, as on the file systems of macOS and Windows, where the two would be one file.
      const key = f.name.normalize('NFC').toLowerCase();
      if (seen.has(key)) throw new StudioError('invalid-input', `the upload holds two files named ${f.name}; each file needs its own name`, f.name);
      seen.add(key);
      total += f.bytes.byteLength;
    }
    if (total > MAX_UPLOAD_BYTES) throw new StudioError('invalid-input', `the upload is ${(total / 2 ** 30).toFixed(2)} GiB; at most ${MAX_UPLOAD_BYTES / 2 ** 30} GiB can be uploaded at once (import large data from a path instead)`);
    const several = params.files.length > 1;
    if (several) {
      const others = params.files.filter((f) => !UPLOAD_IMAGE_EXTENSIONS.test(f.name));
      if (others.length) throw new StudioError('invalid-input', `several files are imported as one folder of images, but ${others.slice(0, 3).map((f) => f.name).join(', ')}${others.length > 3 ? ` and ${others.length - 3} more` : ''} ${others.length === 1 ? 'is' : 'are'} not an image (PNG, JPEG, TIFF, BMP); upload other formats one file at a time`);
    }
    const first = params.files[0]!;
    const { id, staging } = await p.stageDataset();
    const folder = path.join(staging, 'source');
    try {
      await mkdir(folder);
      for (const f of params.files) await writeFileAtomic(path.join(folder, f.name), f.bytes);
    } catch (err) {
      await p.discardDataset(staging);
      throw new StudioError('internal', `the uploaded files could not be stored in project ${p.name}: ${(err as Error).message}`);
    }
    // The user knows the files by the names they dropped, not by where the project keeps them for a moment.
    const asDropped = (text: string) => text.split(`${folder}${path.sep}`).join('').split(folder).join('the uploaded images');
    return importStaged(p, id, staging, {
      read: several ? folder : path.join(folder, first.name),
      source: several ? `${params.files.length} uploaded images (${first.name}, …)` : first.name,
      name: params.name ?? (several ? `${params.files.length} images` : first.name.replace(/\.[A-Za-z0-9]+$/, '')),
      stored: 'copy',
      array: params.array,
      preprocessing: params.preprocessing,
      copy: async () => (several ? 'source' : `source/${first.name}`),
    }).catch((err: unknown) => {
      if (err instanceof StudioError) throw new StudioError(err.code, asDropped(err.message), err.where === undefined ? undefined : asDropped(err.where));
      throw err;
    });
  }

  /**
   * The common end of datasets.import and datasets.upload: the engine reads `read` and writes the arrays into
   * `staging`; the source is copied when asked; dataset.json is written and the folder renamed into place. Any
   * failure removes the hidden folder, so a failed import leaves nothing in the project.
   */
  async function importStaged(
    p: Project,
    id: string,
    staging: string,
    o: { read: string; source: string; name: string; stored: 'reference' | 'copy'; array?: string | undefined; preprocessing: DatasetSummary['preprocessing']; copy: (() => Promise<string>) | undefined },
  ): Promise<DatasetSummary> {
    try {
      const reply = await engine.datasetImport({ path: o.read, ...(o.array !== undefined ? { array: o.array } : {}), preprocessing: o.preprocessing, outDir: staging });
      const rel = (f: string) => `datasets/${id}/${f}`;
      const copyPath = o.copy ? rel(await o.copy()) : undefined;
      const summary: DatasetSummary = {
        id,
        name: o.name,
        format: reply.format,
        source: o.source,
        stored: o.stored,
        ...(copyPath ? { copyPath } : {}),
        ...(reply.array !== undefined ? { array: reply.array } : {}),
        sourceDtype: reply.sourceDtype,
        sourceShape: reply.sourceShape,
        preprocessing: o.preprocessing,
        stats: reply.stats,
        createdAt: new Date().toISOString(),
        files: {
          data: rel(reply.files.data),
          ...(reply.files.test ? { test: rel(reply.files.test) } : {}),
          ...(reply.files.labels ? { labels: rel(reply.files.labels) } : {}),
          ...(reply.files.testLabels ? { testLabels: rel(reply.files.testLabels) } : {}),
        },
      };
      await p.commitDataset(summary, staging);
      emit('project.changed', await p.summary());
      return summary;
    } catch (err) {
      await p.discardDataset(staging);
      throw err;
    }
  }

  /** runs.theory: the run's saved dictionaries (and codes) against the coherence bounds, computed in the engine. */
  async function runTheory(runId: string): Promise<RunTheory> {
    const p = requireProject();
    const detail = await p.readRun(runId);
    const config = detail.config;
    if (!('pursuit' in config) && !('method' in config)) throw new StudioError('invalid-input', `run ${runId} is a phase-transition run, and a phase-transition run has no dictionaries`, runId);
    return engine.runTheory({ runId, dir: p.runDir(runId), config });
  }

  const defaultDir = () => guard.allowedRoots?.[0] ?? homedir();

  const handlers: Partial<Handlers> = {
    'app.info': async () => {
      const info = await engine.info();
      return { version: APP_VERSION, onnxruntime: info.onnxruntime, providers: { available: info.available, used: info.used }, host: options.kind };
    },
    'projects.create': async ({ dir, name }) => activate(await Project.create(guard.check(dir, 'project folder'), name)),
    'projects.open': async ({ dir }) => activate(await Project.open(guard.check(dir, 'project folder'))),
    'projects.current': async () => (project ? project.summary() : null),
    'projects.recent': async () => {
      const recent = await readRecent();
      return guard.allowedRoots ? recent.filter((r) => { try { guard.check(r.dir, 'project'); return true; } catch { return false; } }) : recent;
    },
    'runs.start': async ({ config }) => startRun(config),
    'sessions.methods': async () => METHOD_SPECS.filter((m) => availableMethods.includes(m.method)),
    'sessions.start': async ({ config }) => startSession(config),
    'sessions.resume': async ({ runId }) => resumeSession(runId),
    'theory.analyze': async (params) => {
      const model = params.model;
      const checked = model.kind === 'convolutional' && model.dictionaries ? { ...params, model: { ...model, dictionaries: model.dictionaries.map((d, i) => guard.check(d, `dictionary of layer ${i + 1}`)) } } : params;
      return engine.analyze(checked) as never;
    },
    'theory.phaseStart': async ({ config }) => startPhase(config),
    'theory.phaseResult': async ({ runId }) => requireProject().readPhaseResult(runId),
    'runs.cancel': async ({ runId }) => ({ cancelled: engine.cancel(runId) }),
    'runs.list': async () => requireProject().listRuns(),
    'runs.get': async ({ runId }) => {
      const detail = await requireProject().readRun(runId);
      const current = live.get(runId);
      return current && engine.isRunning(runId) ? { ...detail, summary: current } : detail;
    },
    'runs.preview': async ({ runId }) => {
      const p = requireProject();
      p.runDir(runId);
      // After the run's pending writes, as runs.previewAt: its latest snapshot is never read while being replaced.
      return serial(runId, () => p.readPreview(runId));
    },
    'runs.snapshots': async ({ runId }) => {
      const p = requireProject();
      p.runDir(runId);
      return { iterations: await serial(runId, () => p.listSnapshots(runId)) };
    },
    'runs.previewAt': async ({ runId, iteration }) => {
      const p = requireProject();
      p.runDir(runId);
      // After the run's pending writes: a snapshot being thinned out is not read half-way.
      return serial(runId, () => p.readPreviewAt(runId, iteration));
    },
    'runs.theory': async ({ runId }) => runTheory(runId),
    'runs.update': async ({ runId, name, notes, tags }) => {
      const p = requireProject();
      p.runDir(runId);
      return serial(runId, async () => {
        const current = live.get(runId);
        const base = current && engine.isRunning(runId) ? current : await p.readStatus(runId);
        const next: RunSummary = { ...base };
        if (name !== undefined) next.name = name;
        if (notes !== undefined) {
          if (notes === '') delete next.notes;
          else next.notes = notes;
        }
        if (tags !== undefined) {
          const unique = [...new Set(tags.map((t) => t.trim()).filter((t) => t.length > 0))];
          if (unique.length) next.tags = unique;
          else delete next.tags;
        }
        await p.writeStatus(next);
        emitStatus(next);
        return next;
      });
    },
    'runs.delete': async ({ runId }) => {
      const p = requireProject();
      p.runDir(runId);
      if (engine.isRunning(runId)) throw new StudioError('invalid-request', `run ${runId} is still running; cancel it (and wait for it to stop) before deleting it`, runId);
      await serial(runId, () => p.trashRun(runId));
      live.delete(runId);
      emit('project.changed', await p.summary());
      return { deleted: true as const };
    },
    'runs.restore': async ({ runId }) => {
      const p = requireProject();
      const summary = await p.restoreRun(runId);
      emit('project.changed', await p.summary());
      return summary;
    },
    'runs.exports': async ({ runId }) => listRunExports(requireProject(), runId),
    // Reads and zips on the host with async I/O, bounded at 1 GiB; the ONNX bytes are serialised, never run, here.
    'runs.export': async ({ runId, format, array }) => exportRun(requireProject(), { runId, format, array }, engine),
    'projects.saveAs': async ({ dir, name }) => {
      const p = requireProject();
      const target = guard.check(dir, 'project folder');
      const busy = p.runIds.filter((id) => engine.isRunning(id));
      if (busy.length) throw new StudioError('invalid-request', `${busy.length === 1 ? `run ${busy[0]} is` : `${busy.length} runs are`} still running; wait for ${busy.length === 1 ? 'it' : 'them'} to finish or cancel ${busy.length === 1 ? 'it' : 'them'} before saving the project under a new name`);
      await Promise.all(writes.values());
      return activate(await Project.open(await p.copyTo(target, name)));
    },
    'datasets.import': async (params) => importDataset(params),
    'datasets.upload': async (params) => uploadDataset(params),
    'datasets.list': async () => requireProject().datasets(),
    'datasets.preview': async ({ id }) => {
      const p = requireProject();
      const summary = p.dataset(id);
      // Always the data set's own data.npy: a path from project.json is not trusted to stay in the project.
      const reply = await engine.datasetPreview(path.join(p.datasetDir(id), 'data.npy'));
      return { id, thumbnails: reply.thumbnails, stats: summary.stats };
    },
    'datasets.remove': async ({ id }) => {
      const p = requireProject();
      const removed = await p.removeDataset(id);
      if (removed) emit('project.changed', await p.summary());
      return { removed };
    },
    'files.list': async ({ dir }) => {
      const target = guard.check(dir ?? defaultDir(), 'folder');
      let entries;
      try {
        entries = await readdir(target, { withFileTypes: true });
      } catch (err) {
        throw new StudioError('not-found', `cannot list ${target}: ${(err as Error).message}`, target);
      }
      const visible = entries.filter((e) => !e.name.startsWith('.') && (e.isDirectory() || e.isFile()));
      const listed = (
        await Promise.all(
          visible.map(async (e) => {
            const full = path.join(target, e.name);
            if (e.isDirectory()) return { name: e.name, path: full, kind: 'directory' as const };
            const size = await stat(full).then((st) => st.size, () => undefined);
            return size === undefined ? { name: e.name, path: full, kind: 'file' as const } : { name: e.name, path: full, kind: 'file' as const, size };
          }),
        )
      ).sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'directory' ? -1 : 1));
      let parent: string | null = path.dirname(target);
      if (parent === target) parent = null;
      else {
        try {
          guard.check(parent, 'folder');
        } catch {
          parent = null;
        }
      }
      return { dir: target, parent, entries: listed, roots: [...(guard.allowedRoots ?? [homedir()])] };
    },
    'data.inspect': async ({ path: p }) => engine.inspect(guard.check(p, 'data file')) as never,
  };

  if (options.projectDir) await activate(await Project.open(guard.check(options.projectDir, 'project folder')));

  return {
    handlers,
    engine,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async dispose() {
      if (project) {
        const p = project;
        for (const [id, s] of live) {
          if (engine.isRunning(id)) {
            const next: RunSummary = { ...s, status: 'interrupted', error: { code: 'cancelled', message: 'The app was closed while this run was going on.' } };
            await chain(id, () => p.writeStatus(next));
          }
        }
      }
      await Promise.all(writes.values());
      await engine.dispose();
    },
  };
}
