/**
 * A project is a folder a NumPy user can read without the app (docs/project-format.md is the full format):
 *   project.json                 schema version, name, data sets, run ids
 *   project.v1.json              the manifest as it was before an upgrade from format 1 (kept as a backup)
 *   datasets/<id>/               dataset.json, data.npy (preprocessed [N, C, H, W]), test.npy, labels.npy, source/
 *   runs/<id>/config.json        the run's configuration
 *   runs/<id>/status.json        status, timings, final figures, notes and tags (RunSummary)
 *   runs/<id>/metrics.jsonl      one JSON object per chunk, append-only
 *   runs/<id>/<name>.npy         tensors: W1…, gamma1…, input, reconstruction, atoms1…
 *   runs/<id>/snapshots/<iter>/  a learning session's atoms1.npy… as previewed at iteration <iter> (9 digits)
 *   trash/<id>/                  deleted runs and data sets (runs.restore brings a run back)
 * Whole-file writes go through a temp file, fsync and rename, so a crash leaves the old or the new file,
 * never half of one. A torn last metrics line (a crash mid-append) is skipped when read, and the next append
 * starts on a fresh line. Folders that appear whole (an imported data set, a saved-as copy) are built under
 * a hidden name beside their destination and renamed into place when complete.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, copyFile, lstat, mkdir, open, readFile, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import {
  DatasetSummary,
  Id,
  LearnConfig,
  PhaseConfig,
  PhaseResult,
  RunConfig,
  RunMetrics,
  RunSummary,
  StudioError,
  type ProjectSummary,
  type RunDetail,
  type RunPreview,
} from '../../src-shared/contract';
// Direct module imports: the io index also re-exports loaders that pull in ONNX Runtime, which must stay
// out of the host process.
import { syncDirectory, writeFileAtomic } from '../engine/io/fileio';
import { readNpyFile, writeNpyFile, type NdArray } from '../engine/io/npy';

/**
 * The project format this build writes. Older projects are upgraded in place when opened (the old manifest
 * is kept as project.v<N>.json); newer ones are refused, so an old app never damages a newer project.
 */
export const PROJECT_SCHEMA_VERSION = 2;

/** Just enough of project.json to decide whether and how to read the rest. */
const ProjectHeader = z.looseObject({ schemaVersion: z.number().int().positive() });

/** Format 1, as the first releases wrote it: `datasets` was always an empty list. */
const ProjectFileV1 = z.looseObject({
  schemaVersion: z.literal(1),
  name: z.string(),
  createdAt: z.string(),
  datasets: z.array(z.unknown()).default([]),
  runs: z.array(z.string()),
});

/** Format 2. Unknown fields are kept (loose), so a rewrite never drops what another tool added. */
const ProjectFile = z.looseObject({
  schemaVersion: z.literal(PROJECT_SCHEMA_VERSION),
  name: z.string(),
  createdAt: z.string(),
  datasets: z.array(DatasetSummary),
  runs: z.array(Id),
});
type ProjectFile = z.infer<typeof ProjectFile>;

type Manifest = Record<string, unknown>;

/**
 * Upgrades, by the version they start from. Each takes a manifest that passed the previous version's
 * schema and returns one of the next version; they run one after another up to PROJECT_SCHEMA_VERSION.
 */
const MIGRATIONS: Record<number, { schema: z.ZodType; up(m: Manifest): Manifest }> = {
  1: {
    schema: ProjectFileV1,
    // 1 → 2: data sets become DatasetSummary records (format 1 never wrote any); runs gain optional notes and
    // tags in status.json, which need no rewrite. Run ids that are not plain folder names are dropped.
    up: (m) => ({
      ...m,
      schemaVersion: 2,
      datasets: (m.datasets as unknown[]).filter((d) => DatasetSummary.safeParse(d).success),
      runs: (m.runs as string[]).filter((id) => Id.safeParse(id).success),
    }),
  },
};

async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`));
}

async function readJson(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new StudioError('not-found', `${what} ${file} cannot be read: ${(err as Error).message}`, file);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new StudioError('invalid-input', `${what} ${file} is not valid JSON`, file);
  }
}

/** A learning session keeps at most this many snapshots; beyond it every other one is dropped (first and last kept). */
export const MAX_SNAPSHOTS = 64;

const SNAPSHOT_NAME = /^\d{9}$/;

function snapshotName(iteration: number): string {
  return String(iteration).padStart(9, '0');
}

/** The snapshots to keep of an ascending list that grew past MAX_SNAPSHOTS: the first, the last and every other one. */
export function thinSnapshots(iterations: readonly number[], max = MAX_SNAPSHOTS): number[] {
  if (iterations.length <= max) return [...iterations];
  return iterations.filter((_, i) => i === 0 || i === iterations.length - 1 || i % 2 === 0);
}

export function newRunId(now = new Date()): string {
  return newId('r', now);
}

export function newDatasetId(now = new Date()): string {
  return newId('d', now);
}

function newId(prefix: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${prefix}${stamp}-${randomBytes(3).toString('hex')}`;
}

export class Project {
  /** project.json writes, one after another, each writing the manifest as it is when its turn comes. */
  private manifestWrites: Promise<void> = Promise.resolve();
  /** Runs whose metrics.jsonl was checked for a torn last line since the project was opened. */
  private readonly metricsChecked = new Set<string>();

  private constructor(
    readonly dir: string,
    private file: ProjectFile,
  ) {}

  static async create(dir: string, name: string): Promise<Project> {
    const manifest = path.join(dir, 'project.json');
    if (await exists(manifest)) throw new StudioError('invalid-input', `${dir} already holds a project; open it instead`, dir);
    await mkdir(path.join(dir, 'runs'), { recursive: true });
    const file: ProjectFile = { schemaVersion: PROJECT_SCHEMA_VERSION, name, createdAt: new Date().toISOString(), datasets: [], runs: [] };
    await writeJson(manifest, file);
    return new Project(dir, file);
  }

  /**
   * Opens a project, upgrading an older format in place: the manifest as it was is copied to
   * project.v<N>.json, then the upgraded one replaces project.json atomically. Opening again finds the
   * current format and changes nothing; a crash between the two writes leaves the old format, upgraded again
   * on the next open.
   */
  static async open(dir: string): Promise<Project> {
    const manifest = path.join(dir, 'project.json');
    const raw = await readJson(manifest, 'project file');
    const header = ProjectHeader.safeParse(raw);
    if (!header.success) throw new StudioError('invalid-input', `${manifest} is not a Sparseland Studio project file (${header.error.issues[0]?.message})`, manifest);
    const version = header.data.schemaVersion;
    if (version > PROJECT_SCHEMA_VERSION) {
      throw new StudioError('invalid-input', `${manifest} was written by a newer Sparseland Studio (schema ${version}); update the app to open it`, manifest);
    }
    let data = raw as Manifest;
    for (let v = version; v < PROJECT_SCHEMA_VERSION; v++) {
      const step = MIGRATIONS[v];
      if (!step) throw new StudioError('invalid-input', `${manifest} has project format ${version}, which this version cannot upgrade`, manifest);
      const parsed = step.schema.safeParse(data);
      if (!parsed.success) throw new StudioError('invalid-input', `${manifest} is not a valid format-${v} project file (${parsed.error.issues[0]?.message})`, manifest);
      data = step.up(parsed.data as Manifest);
    }
    const parsed = ProjectFile.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new StudioError('invalid-input', `${manifest} is not a Sparseland Studio project file (${issue ? `${issue.path.join('.')}: ${issue.message}` : 'malformed'})`, manifest);
    }
    if (version < PROJECT_SCHEMA_VERSION) {
      try {
        await writeFileAtomic(path.join(dir, `project.v${version}.json`), new Uint8Array(await readFile(manifest)));
        await writeJson(manifest, parsed.data);
      } catch (err) {
        throw new StudioError('invalid-input', `${manifest} has project format ${version} and could not be upgraded to format ${PROJECT_SCHEMA_VERSION}: ${(err as Error).message}`, manifest);
      }
    }
    return new Project(dir, parsed.data);
  }

  get name(): string {
    return this.file.name;
  }

  get runIds(): readonly string[] {
    return this.file.runs;
  }

  runDir(id: string): string {
    if (!this.file.runs.includes(id)) throw new StudioError('not-found', `run ${id} is not in project ${this.file.name}`, id);
    return path.join(this.dir, 'runs', id);
  }

  async summary(): Promise<ProjectSummary> {
    return { dir: this.dir, name: this.file.name, schemaVersion: this.file.schemaVersion, runs: await this.listRuns(), datasets: this.datasets() };
  }

  async listRuns(): Promise<RunSummary[]> {
    const out: RunSummary[] = [];
    for (const id of this.file.runs) {
      try {
        out.push(await this.readStatus(id));
      } catch {
        // A run folder removed by hand: skip it rather than fail the whole listing.
      }
    }
    return out;
  }

  /** Runs left running or queued by a process that is gone: the app crashed or was killed. */
  async markInterrupted(isLive: (id: string) => boolean): Promise<RunSummary[]> {
    const changed: RunSummary[] = [];
    for (const s of await this.listRuns()) {
      if ((s.status === 'running' || s.status === 'queued') && !isLive(s.id)) {
        const next: RunSummary = { ...s, status: 'interrupted', error: { code: 'engine-crashed', message: 'The app stopped while this run was going on; its configuration and metrics up to that point are kept.' } };
        await this.writeStatus(next);
        changed.push(next);
      }
    }
    return changed;
  }

  async createRun(config: RunConfig | LearnConfig | PhaseConfig): Promise<RunSummary> {
    const id = newRunId();
    const dir = path.join(this.dir, 'runs', id);
    await mkdir(dir, { recursive: true });
    await writeJson(path.join(dir, 'config.json'), config);
    const described = describeRun(config, (datasetId) => this.file.datasets.find((d) => d.id === datasetId)?.name);
    const summary: RunSummary = { id, ...described, name: config.name ?? described.name, status: 'queued', createdAt: new Date().toISOString(), iterations: 0 };
    await writeJson(path.join(dir, 'status.json'), summary);
    this.file = { ...this.file, runs: [...this.file.runs, id] };
    await this.saveManifest();
    return summary;
  }

  async writeStatus(summary: RunSummary): Promise<void> {
    await writeJson(path.join(this.runDir(summary.id), 'status.json'), summary);
  }

  async readStatus(id: string): Promise<RunSummary> {
    const parsed = RunSummary.safeParse(await readJson(path.join(this.runDir(id), 'status.json'), 'run status'));
    if (!parsed.success) throw new StudioError('invalid-input', `runs/${id}/status.json is malformed`, id);
    return parsed.data;
  }

  /**
   * Appends one line to metrics.jsonl. The first append after opening starts a fresh line when the file ends
   * in a torn line (a crash mid-append), so the torn line stays the only one lost.
   */
  async appendMetrics(id: string, metrics: RunMetrics): Promise<void> {
    const file = path.join(this.runDir(id), 'metrics.jsonl');
    let prefix = '';
    if (!this.metricsChecked.has(id)) {
      if (!(await endsWithNewline(file))) prefix = '\n';
      this.metricsChecked.add(id);
    }
    await appendFile(file, `${prefix}${JSON.stringify(metrics)}\n`);
  }

  async writeTensor(id: string, name: string, t: { shape: readonly number[]; data: Float32Array }): Promise<void> {
    if (!/^[A-Za-z0-9_]+$/.test(name)) throw new StudioError('invalid-input', `tensor name ${name} is not a plain file stem`);
    await writeNpyFile(path.join(this.runDir(id), `${name}.npy`), { dtype: 'float32', shape: [...t.shape], data: t.data });
  }

  /**
   * Saves a session checkpoint: tensors and state into `checkpoints/<iteration>/`, then the pointer
   * `checkpoint.json` atomically, then older checkpoints are removed. A crash at any point leaves the
   * pointer naming a complete checkpoint.
   */
  async writeCheckpoint(id: string, iteration: number, saved: { json: unknown; tensors: Record<string, { dtype: string; shape: readonly number[]; data: unknown }> }): Promise<void> {
    const runDir = this.runDir(id);
    const name = String(iteration).padStart(9, '0');
    const dir = path.join(runDir, 'checkpoints', name);
    await mkdir(dir, { recursive: true });
    for (const [tensor, t] of Object.entries(saved.tensors)) {
      if (!/^[A-Za-z0-9_]+$/.test(tensor)) throw new StudioError('invalid-input', `checkpoint tensor name ${tensor} is not a plain file stem`);
      await writeNpyFile(path.join(dir, `${tensor}.npy`), { dtype: t.dtype, shape: [...t.shape], data: t.data } as NdArray);
    }
    await writeJson(path.join(dir, 'state.json'), { iteration, state: saved.json, tensors: Object.keys(saved.tensors) });
    await writeJson(path.join(runDir, 'checkpoint.json'), { iteration, dir: `checkpoints/${name}` });
    for (const old of await readdir(path.join(runDir, 'checkpoints'))) if (old !== name) await rm(path.join(runDir, 'checkpoints', old), { recursive: true, force: true });
  }

  async readCheckpoint(id: string): Promise<{ iteration: number; saved: { json: unknown; tensors: Record<string, NdArray> } } | undefined> {
    const runDir = this.runDir(id);
    let pointer: unknown;
    try {
      pointer = JSON.parse(await readFile(path.join(runDir, 'checkpoint.json'), 'utf8'));
    } catch {
      return undefined;
    }
    const p = z.object({ iteration: z.number().int().nonnegative(), dir: z.string().regex(/^checkpoints\/\d+$/) }).safeParse(pointer);
    if (!p.success) throw new StudioError('invalid-input', `runs/${id}/checkpoint.json is malformed`, id);
    const dir = path.join(runDir, p.data.dir);
    const state = z.object({ iteration: z.number(), state: z.unknown(), tensors: z.array(z.string().regex(/^[A-Za-z0-9_]+$/)) }).safeParse(await readJson(path.join(dir, 'state.json'), 'checkpoint state'));
    if (!state.success) throw new StudioError('invalid-input', `${p.data.dir}/state.json of run ${id} is malformed`, id);
    const tensors: Record<string, NdArray> = {};
    for (const name of state.data.tensors) tensors[name] = await readNpyFile(path.join(dir, `${name}.npy`));
    return { iteration: p.data.iteration, saved: { json: state.data.state, tensors } };
  }

  async readRun(id: string): Promise<RunDetail> {
    const dir = this.runDir(id);
    const raw = await readJson(path.join(dir, 'config.json'), 'run configuration');
    const config = z.union([RunConfig, LearnConfig, PhaseConfig]).safeParse(raw);
    if (!config.success) throw new StudioError('invalid-input', `runs/${id}/config.json is malformed`, id);
    return { summary: await this.readStatus(id), config: config.data, metrics: await this.readMetrics(id) };
  }

  async readMetrics(id: string): Promise<RunMetrics[]> {
    let text = '';
    try {
      text = await readFile(path.join(this.runDir(id), 'metrics.jsonl'), 'utf8');
    } catch {
      return [];
    }
    let out: RunMetrics[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const m = RunMetrics.safeParse(JSON.parse(line));
        if (!m.success) continue;
        // A session resumed from a checkpoint repeats the iterations after it: the later lines supersede.
        const last = out[out.length - 1];
        if (last && m.data.iteration <= last.iteration && m.data.layer === last.layer) out = out.filter((x) => x.iteration < m.data.iteration);
        out.push(m.data);
      } catch {
        // A torn line from a crash mid-append.
      }
    }
    return out;
  }

  /** The grid of a phase-transition run, rewritten whole after every cell so that a crash keeps the cells done. */
  async writePhaseResult(id: string, result: PhaseResult): Promise<void> {
    await writeJson(path.join(this.runDir(id), 'phase.json'), result);
  }

  async readPhaseResult(id: string): Promise<PhaseResult> {
    const file = path.join(this.runDir(id), 'phase.json');
    if (!(await exists(file))) throw new StudioError('not-found', `run ${id} has no phase-transition results (yet)`, id);
    const parsed = PhaseResult.safeParse(await readJson(file, 'phase-transition results'));
    if (!parsed.success) throw new StudioError('invalid-input', `runs/${id}/phase.json is malformed (${parsed.error.issues[0]?.message})`, id);
    return parsed.data;
  }

  // ---- snapshots of a learning session (the comparison view's step slider) ---------------------------------

  /**
   * Saves the atoms of every layer as previewed at `iteration` into snapshots/<iteration>/: written into a
   * hidden folder and renamed into place, so a snapshot folder is complete or absent (one at the same
   * iteration, from before a resume, is replaced). Then thins the snapshots to at most MAX_SNAPSHOTS.
   */
  async writeSnapshot(id: string, iteration: number, atoms: readonly { layer: number; images: { shape: readonly number[]; data: Float32Array } }[]): Promise<void> {
    if (!atoms.length) return;
    const root = path.join(this.runDir(id), 'snapshots');
    await mkdir(root, { recursive: true });
    // Leftovers of a crash mid-write or mid-removal: nothing reads hidden folders, and writes to one run are serial.
    for (const entry of await readdir(root)) if (entry.startsWith('.')) await rm(path.join(root, entry), { recursive: true, force: true });
    const name = snapshotName(iteration);
    const staging = path.join(root, `.writing-${name}-${randomBytes(3).toString('hex')}`);
    await mkdir(staging);
    try {
      for (const a of atoms) await writeNpyFile(path.join(staging, `atoms${a.layer}.npy`), { dtype: 'float32', shape: [...a.images.shape], data: a.images.data });
      const target = path.join(root, name);
      if (await exists(target)) await this.dropFolder(root, name);
      await rename(staging, target);
      await syncDirectory(root);
    } catch (err) {
      await rm(staging, { recursive: true, force: true });
      throw err;
    }
    const all = await this.listSnapshots(id);
    const keep = new Set(thinSnapshots(all));
    for (const it of all) if (!keep.has(it)) await this.dropFolder(root, snapshotName(it));
  }

  /** Iterations of the complete snapshots, ascending. */
  async listSnapshots(id: string): Promise<number[]> {
    let entries: string[];
    try {
      entries = await readdir(path.join(this.runDir(id), 'snapshots'));
    } catch {
      return [];
    }
    return entries.filter((e) => SNAPSHOT_NAME.test(e)).map(Number).sort((a, b) => a - b);
  }

  /** A session resumed from the checkpoint at `iteration` redoes what came after it: those snapshots go, so history stays monotone. */
  async dropSnapshotsAfter(id: string, iteration: number): Promise<void> {
    const root = path.join(this.runDir(id), 'snapshots');
    for (const it of await this.listSnapshots(id)) if (it > iteration) await this.dropFolder(root, snapshotName(it));
  }

  /** The atoms of the last snapshot at or before `iteration` (the first if none is); runs.preview's atoms when there are no snapshots. */
  async readPreviewAt(id: string, iteration: number): Promise<RunPreview> {
    const all = await this.listSnapshots(id);
    if (!all.length) return this.readPreview(id);
    let chosen = all[0]!;
    for (const it of all) if (it <= iteration) chosen = it;
    return { runId: id, iteration: chosen, atoms: await this.readSnapshotAtoms(id, chosen) };
  }

  private async readSnapshotAtoms(id: string, iteration: number): Promise<RunPreview['atoms']> {
    const dir = path.join(this.runDir(id), 'snapshots', snapshotName(iteration));
    const atoms: RunPreview['atoms'] = [];
    for (let layer = 1; layer <= 8; layer++) {
      let a: NdArray;
      try {
        a = await readNpyFile(path.join(dir, `atoms${layer}.npy`));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') break;
        throw new StudioError('invalid-input', `runs/${id}/snapshots/${snapshotName(iteration)}/atoms${layer}.npy cannot be read: ${(err as Error).message}`, id);
      }
      if (a.dtype !== 'float32') throw new StudioError('invalid-input', `runs/${id}/snapshots/${snapshotName(iteration)}/atoms${layer}.npy is ${a.dtype}, not float32`, id);
      atoms.push({ layer, images: { dtype: 'float32', shape: [...a.shape], data: a.data as Float32Array } });
    }
    return atoms;
  }

  /** Removes a folder so that it is never seen half-removed: renamed to a hidden name first, then deleted. */
  private async dropFolder(root: string, name: string): Promise<void> {
    const hidden = path.join(root, `.removing-${name}-${randomBytes(3).toString('hex')}`);
    await rename(path.join(root, name), hidden);
    await rm(hidden, { recursive: true, force: true });
  }

  /**
   * What runs.preview shows: the run's saved atoms, input and reconstruction. A learning session's atoms
   * come from its latest snapshot (with its iteration), which is newer than atoms<k>.npy while it runs again
   * after a resume and the same as them once it has finished.
   */
  async readPreview(id: string): Promise<RunPreview> {
    const dir = this.runDir(id);
    const names = new Set(await readdir(dir));
    const load = async (stem: string) => {
      if (!names.has(`${stem}.npy`)) return undefined;
      const a = await readNpyFile(path.join(dir, `${stem}.npy`));
      if (a.dtype !== 'float32') return undefined;
      return { dtype: 'float32' as const, shape: [...a.shape], data: a.data as Float32Array };
    };
    let atoms: RunPreview['atoms'] = [];
    const latest = (await this.listSnapshots(id)).at(-1);
    if (latest !== undefined) atoms = await this.readSnapshotAtoms(id, latest);
    else {
      for (let layer = 1; layer <= 8; layer++) {
        const images = await load(`atoms${layer}`);
        if (!images) break;
        atoms.push({ layer, images });
      }
    }
    const input = await load('input');
    const reconstruction = await load('reconstruction');
    const image = (t: typeof input) => (t && t.shape.length === 4 ? { ...t, shape: t.shape.slice(2), data: t.data.slice(0, t.shape[2]! * t.shape[3]!) } : t);
    return { runId: id, ...(latest !== undefined ? { iteration: latest } : {}), atoms, ...(input ? { input: image(input) } : {}), ...(reconstruction ? { reconstruction: image(reconstruction) } : {}) };
  }

  // ---- the manifest ------------------------------------------------------------------------------------------

  /** Writes project.json (atomically), after any write already under way, with the manifest as it is then. */
  private saveManifest(): Promise<void> {
    const next = this.manifestWrites.then(() => writeJson(path.join(this.dir, 'project.json'), this.file));
    this.manifestWrites = next.catch(() => undefined);
    return next;
  }

  // ---- data sets ---------------------------------------------------------------------------------------------

  datasets(): DatasetSummary[] {
    return [...this.file.datasets];
  }

  dataset(id: string): DatasetSummary {
    const d = this.file.datasets.find((x) => x.id === id);
    if (!d) throw new StudioError('not-found', `data set ${id} is not in project ${this.file.name}`, id);
    return d;
  }

  datasetDir(id: string): string {
    return path.join(this.dir, 'datasets', this.dataset(id).id);
  }

  /**
   * The files a learning session reads for data {kind: 'dataset', id, split}: always inside the data set's own
   * folder (paths in project.json are not trusted to stay in the project). Not found: an unknown id, or a
   * folder whose data file is gone; invalid input: a test split the data set does not have.
   */
  async datasetFiles(id: string, split: 'train' | 'test', purpose = 'the session'): Promise<{ id: string; name: string; data: string; labels?: string }> {
    const d = this.file.datasets.find((x) => x.id === id);
    if (!d) throw new StudioError('not-found', `data set ${id} is not in project ${this.file.name} (it may have been removed); ${purpose} needs it`, 'data');
    const dir = this.datasetDir(id);
    const label = `data set "${d.name}" (${id})`;
    if (split === 'test' && !d.files?.test && !(await exists(path.join(dir, 'test.npy')))) {
      throw new StudioError('invalid-input', `${label} has no test split; train on its train split, or import it again with a split step`, 'data');
    }
    const data = path.join(dir, split === 'test' ? 'test.npy' : 'data.npy');
    if (!(await exists(data))) throw new StudioError('not-found', `${label} has lost its ${path.basename(data)} (datasets/${id}/); import the data again`, 'data');
    const labels = path.join(dir, split === 'test' ? 'test_labels.npy' : 'labels.npy');
    return { id, name: d.name, data, ...((await exists(labels)) ? { labels } : {}) };
  }

  /**
   * A new data set id and a hidden folder to build it in (`datasets/.import-<id>`); commitDataset renames it
   * into place, discardDataset removes it. A crash leaves at most the hidden folder, which nothing reads.
   */
  async stageDataset(): Promise<{ id: string; staging: string }> {
    const id = newDatasetId();
    const staging = path.join(this.dir, 'datasets', `.import-${id}`);
    await mkdir(staging, { recursive: true });
    return { id, staging };
  }

  async commitDataset(summary: DatasetSummary, staging: string): Promise<void> {
    await writeJson(path.join(staging, 'dataset.json'), summary);
    await rename(staging, path.join(this.dir, 'datasets', summary.id));
    await syncDirectory(path.join(this.dir, 'datasets'));
    this.file = { ...this.file, datasets: [...this.file.datasets, summary] };
    await this.saveManifest();
  }

  async discardDataset(staging: string): Promise<void> {
    await rm(staging, { recursive: true, force: true });
  }

  /** Drops a data set from the project and moves its folder to trash/<id>; false when there is no such data set. */
  async removeDataset(id: string): Promise<boolean> {
    if (!this.file.datasets.some((d) => d.id === id)) return false;
    await this.moveToTrash(path.join(this.dir, 'datasets', id), id);
    this.file = { ...this.file, datasets: this.file.datasets.filter((d) => d.id !== id) };
    await this.saveManifest();
    return true;
  }

  // ---- deleting, restoring, saving as --------------------------------------------------------------------

  /**
   * Moves runs/<id> to trash/<id>, then drops the id from project.json. A crash between the two leaves the
   * id listed with no folder: the listing skips it and runs.restore still finds it in the trash.
   */
  async trashRun(id: string): Promise<void> {
    const dir = this.runDir(id);
    if (await exists(dir)) await this.moveToTrash(dir, id);
    this.file = { ...this.file, runs: this.file.runs.filter((r) => r !== id) };
    this.metricsChecked.delete(id);
    await this.saveManifest();
  }

  /** Brings trash/<id> back to runs/<id> and lists it again, in the order of creation. */
  async restoreRun(id: string): Promise<RunSummary> {
    if (!Id.safeParse(id).success) throw new StudioError('invalid-request', `${id} is not a run id`, id);
    const from = path.join(this.dir, 'trash', id);
    const to = path.join(this.dir, 'runs', id);
    if (!(await exists(path.join(from, 'status.json')))) throw new StudioError('not-found', `run ${id} is not in the trash of project ${this.file.name}`, id);
    if (await exists(to)) throw new StudioError('invalid-request', `run ${id} already exists in project ${this.file.name}`, id);
    await mkdir(path.join(this.dir, 'runs'), { recursive: true });
    await rename(from, to);
    await syncDirectory(path.join(this.dir, 'runs'));
    if (!this.file.runs.includes(id)) {
      // Back in its place: before the first run created after it.
      this.file = { ...this.file, runs: [...this.file.runs, id] };
      const created = (await this.readStatus(id)).createdAt;
      const later = (await this.listRuns()).find((r) => r.id !== id && r.createdAt > created);
      const runs = this.file.runs.filter((r) => r !== id);
      const at = later ? runs.indexOf(later.id) : -1;
      runs.splice(at < 0 ? runs.length : at, 0, id);
      this.file = { ...this.file, runs };
    }
    await this.saveManifest();
    return this.readStatus(id);
  }

  private async moveToTrash(dir: string, id: string): Promise<void> {
    const trash = path.join(this.dir, 'trash');
    await mkdir(trash, { recursive: true });
    const target = path.join(trash, id);
    // A previous copy with the same id (deleted, restored by hand, deleted again): the newer one wins.
    await rm(target, { recursive: true, force: true });
    await rename(dir, target);
    await syncDirectory(trash);
  }

  /**
   * Copies the project, without its trash and hidden temporaries, to `target` (a new or empty folder) and
   * returns the copy's folder. The copy is built under a hidden name beside `target`, project.json last, and
   * renamed into place when complete.
   */
  async copyTo(target: string, name?: string): Promise<string> {
    const from = path.resolve(this.dir);
    const to = path.resolve(target);
    const inside = (a: string, b: string) => a === b || a.startsWith(b.endsWith(path.sep) ? b : b + path.sep);
    if (inside(to, from) || inside(from, to)) throw new StudioError('invalid-input', `cannot save project ${this.file.name} as ${to}: the folders overlap`, to);
    const existing = await stat(to).catch(() => undefined);
    if (existing && (!existing.isDirectory() || (await readdir(to)).length > 0)) throw new StudioError('invalid-input', `${to} already exists and is not an empty folder; choose a new folder`, to);
    await this.manifestWrites;
    const parent = path.dirname(to);
    await mkdir(parent, { recursive: true });
    const staging = path.join(parent, `.${path.basename(to)}.saving-${randomBytes(4).toString('hex')}`);
    try {
      await mkdir(staging);
      for (const entry of await readdir(from)) {
        if (entry.startsWith('.') || entry === 'trash' || entry === 'project.json' || /^project\.v\d+\.json$/.test(entry)) continue;
        await copyTree(path.join(from, entry), path.join(staging, entry));
      }
      await writeJson(path.join(staging, 'project.json'), { ...this.file, name: name ?? this.file.name });
      if (existing) await rmdir(to);
      await rename(staging, to);
      await syncDirectory(parent);
    } catch (err) {
      await rm(staging, { recursive: true, force: true });
      if (err instanceof StudioError) throw err;
      throw new StudioError('invalid-input', `cannot save project ${this.file.name} as ${to}: ${(err as Error).message}`, to);
    }
    return to;
  }
}

function describeRun(config: RunConfig | LearnConfig | PhaseConfig, datasetName: (id: string) => string | undefined): Pick<RunSummary, 'kind' | 'name' | 'algorithm'> {
  if ('pursuit' in config) return { kind: 'pursuit', name: `${config.pursuit.algorithm} ${config.layers.length}-layer`, algorithm: config.pursuit.algorithm };
  if ('method' in config) {
    const d = config.data;
    const on = d.kind === 'sample' ? d.name : d.kind === 'dataset' ? `${datasetName(d.id) ?? d.id}${d.split === 'test' ? ' (test)' : ''}` : d.kind;
    return { kind: 'learning', name: `${config.method} on ${on}`, algorithm: config.method };
  }
  const model = config.model.kind === 'sparseland' ? 'Sparseland' : config.model.layers.length === 1 ? 'CSC' : `${config.model.layers.length}-layer ML-CSC`;
  return { kind: 'phase', name: `phase transition, ${model}`, algorithm: 'phase-transition' };
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

async function endsWithNewline(file: string): Promise<boolean> {
  let h;
  try {
    h = await open(file, 'r');
  } catch {
    return true; // no file yet
  }
  try {
    const { size } = await h.stat();
    if (size === 0) return true;
    const last = new Uint8Array(1);
    await h.read(last, 0, 1, size - 1);
    return last[0] === 0x0a;
  } finally {
    await h.close();
  }
}

/**
 * Copies a file or folder, fsyncing every file; inside folders, hidden entries (the app's temporaries:
 * `.name.tmp` of atomic writes, `.import-<id>` folders of unfinished imports) and symbolic links are left out.
 */
export async function copyTree(from: string, to: string): Promise<void> {
  const st = await lstat(from);
  if (st.isDirectory()) {
    await mkdir(to, { recursive: true });
    for (const entry of await readdir(from)) if (!entry.startsWith('.')) await copyTree(path.join(from, entry), path.join(to, entry));
    await syncDirectory(to);
  } else if (st.isFile()) {
    await copyFile(from, to);
    const h = await open(to, 'r+');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  }
}
