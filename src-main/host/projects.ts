/**
 * A project is a folder a NumPy user can read without the app:
 *   project.json                 schema version, name, data sets, run ids
 *   runs/<id>/config.json        the run's configuration
 *   runs/<id>/status.json        status, timings, final figures (RunSummary)
 *   runs/<id>/metrics.jsonl      one JSON object per chunk, append-only
 *   runs/<id>/<name>.npy         tensors: W1…, gamma1…, input, reconstruction, atoms1…
 * Whole-file writes go through a temp file, fsync and rename, so a crash leaves the old or the new file,
 * never half of one. A torn last metrics line (a crash mid-append) is skipped when read.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, appendFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { LearnConfig, PhaseConfig, PhaseResult, RunConfig, RunMetrics, RunSummary, StudioError, type ProjectSummary, type RunDetail, type RunPreview } from '../../src-shared/contract';
// Direct module imports: the io index also re-exports loaders that pull in ONNX Runtime, which must stay
// out of the host process.
import { writeFileAtomic } from '../engine/io/fileio';
import { readNpyFile, writeNpyFile, type NdArray } from '../engine/io/npy';

export const PROJECT_SCHEMA_VERSION = 1;

const ProjectFile = z.object({
  schemaVersion: z.number().int().positive(),
  name: z.string(),
  createdAt: z.string(),
  datasets: z.array(z.unknown()).default([]),
  runs: z.array(z.string()),
});
type ProjectFile = z.infer<typeof ProjectFile>;

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

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `r${stamp}-${randomBytes(3).toString('hex')}`;
}

export class Project {
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

  static async open(dir: string): Promise<Project> {
    const manifest = path.join(dir, 'project.json');
    const parsed = ProjectFile.safeParse(await readJson(manifest, 'project file'));
    if (!parsed.success) throw new StudioError('invalid-input', `${manifest} is not a Sparseland Studio project file (${parsed.error.issues[0]?.message})`, manifest);
    if (parsed.data.schemaVersion > PROJECT_SCHEMA_VERSION) {
      throw new StudioError('invalid-input', `${manifest} was written by a newer Sparseland Studio (schema ${parsed.data.schemaVersion}); update the app to open it`, manifest);
    }
    return new Project(dir, parsed.data);
  }

  get name(): string {
    return this.file.name;
  }

  runDir(id: string): string {
    if (!this.file.runs.includes(id)) throw new StudioError('not-found', `run ${id} is not in project ${this.file.name}`, id);
    return path.join(this.dir, 'runs', id);
  }

  async summary(): Promise<ProjectSummary> {
    return { dir: this.dir, name: this.file.name, schemaVersion: this.file.schemaVersion, runs: await this.listRuns() };
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
    const described = describeRun(config);
    const summary: RunSummary = { id, ...described, name: config.name ?? described.name, status: 'queued', createdAt: new Date().toISOString(), iterations: 0 };
    await writeJson(path.join(dir, 'status.json'), summary);
    this.file = { ...this.file, runs: [...this.file.runs, id] };
    await writeJson(path.join(this.dir, 'project.json'), this.file);
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

  async appendMetrics(id: string, metrics: RunMetrics): Promise<void> {
    await appendFile(path.join(this.runDir(id), 'metrics.jsonl'), `${JSON.stringify(metrics)}\n`);
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

  async readPreview(id: string): Promise<RunPreview> {
    const dir = this.runDir(id);
    const names = new Set(await readdir(dir));
    const load = async (stem: string) => {
      if (!names.has(`${stem}.npy`)) return undefined;
      const a = await readNpyFile(path.join(dir, `${stem}.npy`));
      if (a.dtype !== 'float32') return undefined;
      return { dtype: 'float32' as const, shape: [...a.shape], data: a.data as Float32Array };
    };
    const atoms: RunPreview['atoms'] = [];
    for (let layer = 1; layer <= 8; layer++) {
      const images = await load(`atoms${layer}`);
      if (!images) break;
      atoms.push({ layer, images });
    }
    const input = await load('input');
    const reconstruction = await load('reconstruction');
    const image = (t: typeof input) => (t && t.shape.length === 4 ? { ...t, shape: t.shape.slice(2), data: t.data.slice(0, t.shape[2]! * t.shape[3]!) } : t);
    return { runId: id, atoms, ...(input ? { input: image(input) } : {}), ...(reconstruction ? { reconstruction: image(reconstruction) } : {}) };
  }
}

function describeRun(config: RunConfig | LearnConfig | PhaseConfig): Pick<RunSummary, 'kind' | 'name' | 'algorithm'> {
  if ('pursuit' in config) return { kind: 'pursuit', name: `${config.pursuit.algorithm} ${config.layers.length}-layer`, algorithm: config.pursuit.algorithm };
  if ('method' in config) return { kind: 'learning', name: `${config.method} on ${config.data.kind === 'sample' ? config.data.name : config.data.kind}`, algorithm: config.method };
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
