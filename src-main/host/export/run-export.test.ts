/**
 * Exports of real runs made through the host: a two-layer ML-FISTA pursuit, a K-SVD session, a phase-transition
 * experiment and a tiny unrolled network. The files are checked against the run folder (bytes), NumPy (npz),
 * pngjs (tile grids, pixel by pixel), ONNX Runtime (the network runs) and the Markdown's own references.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExportedFile, LearnConfigInput, PhaseConfigInput, PhaseResult, RunConfigInput, RunDetail, RunExports, RunSummary } from '../../../src-shared/contract';
import { runCli } from '../../cli/test-support';
import { readNpyFile, toFloat32 } from '../../engine/io/npy';
import { listNpz } from '../../engine/io/npz';
import { createStudioHost, type StudioHostInternals } from '../studio-host';
import { callHost, finishRun, pythonWithNumpy } from '../test-support';
import { FIGURE_TARGET_WIDTH, gridColumns, lineChartSvg, metricCharts, TILE_PAD, upscaleFactor, valueGroup } from './figures';
import { formatNumber } from './report';
import { EXPORT_MEDIA_TYPES, fileStem } from './run-export';

let dir: string;
let host: StudioHostInternals;
const call = (op: string, params: unknown) => callHost(host, op, params);
const project = () => path.join(dir, 'proj');
const runDir = (id: string) => path.join(project(), 'runs', id);

const noNumpy = pythonWithNumpy();
if (noNumpy) console.warn(`run-export.test.ts: the NumPy check is skipped (${noNumpy})`);

const pursuit: RunConfigInput = {
  name: 'ml-fista: two layers / λ sweep',
  source: { kind: 'synthetic', height: 32, width: 32, nonzeros: 6, seed: 3, noise: 0.01 },
  layers: [
    { filters: 6, kernel: 6, stride: 2, pad: 0, dictionary: { kind: 'random', seed: 1 } },
    { filters: 8, kernel: 3, stride: 1, pad: 0, dictionary: { kind: 'random', seed: 2 } },
  ],
  pursuit: { algorithm: 'ml-fista', lambdas: [0.02, 0.01], iterations: 20, tol: 0 },
};

const ksvd: LearnConfigInput = {
  name: 'K-SVD camera',
  method: 'ksvd',
  data: { kind: 'sample', name: 'camera', downsample: 8 },
  params: { patchSize: 6, atoms: 36, sparsity: 3, trainingPatches: 1000, sigma: 20 },
  iterations: 3,
  seed: 7,
  checkpointEvery: 3,
};

const phase: PhaseConfigInput = {
  name: 'phase grid',
  model: { kind: 'convolutional', dims: '1d', size: 64, layers: [{ filters: 2, kernel: 8, stride: 1, targetCoherence: 0.3 }] },
  pursuits: ['omp', 'layered-thr'],
  sparsities: [1, 2],
  noise: [0, 0.05],
  trials: 2,
  iterations: 20,
};

const unrolled: LearnConfigInput = {
  name: 'tiny unrolled',
  method: 'unrolled-supervised',
  data: { kind: 'mnist', split: 'train', count: 32 },
  params: { preset: 'small', unrolling: 'ml-fista', T: 1, batchSize: 16, stepsPerIteration: 1, testCount: 16 },
  iterations: 1,
  seed: 3,
  checkpointEvery: 1,
};

const runs: { pursuit?: RunSummary; ksvd?: RunSummary; phase?: RunSummary; unrolled?: RunSummary } = {};

const finish = (op: 'runs.start' | 'sessions.start' | 'theory.phaseStart', config: unknown) => finishRun(host, op, config);

const exportOf = (runId: string, format: string, array?: string) => call('runs.export', { runId, format, ...(array ? { array } : {}) }) as Promise<ExportedFile>;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sparseland-export-'));
  host = await createStudioHost({ kind: 'cli', stateDir: path.join(dir, 'state') });
  await call('projects.create', { dir: project(), name: 'Exports' });
  runs.pursuit = await finish('runs.start', pursuit);
  await call('runs.update', { runId: runs.pursuit.id, notes: 'First *try*: λ₂ looks too small.', tags: ['baseline', 'λ sweep'] });
  runs.ksvd = await finish('sessions.start', ksvd);
  runs.phase = await finish('theory.phaseStart', phase);
  runs.unrolled = await finish('sessions.start', unrolled);
}, 300_000);

afterAll(async () => {
  await host?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const npyFiles = (id: string) => readdirSync(runDir(id)).filter((f) => f.endsWith('.npy')).map((f) => f.slice(0, -4)).sort();

describe('runs.exports', () => {
  it('lists exactly the arrays in the run folder, with the dtype and shape of each file', async () => {
    for (const run of [runs.pursuit!, runs.ksvd!, runs.unrolled!]) {
      const listed = (await call('runs.exports', { runId: run.id })) as RunExports;
      expect(listed.arrays.map((a) => a.name).sort(), run.name).toEqual(npyFiles(run.id));
      expect(listed.arrays.length).toBeGreaterThan(0);
      for (const a of listed.arrays) {
        const read = await readNpyFile(path.join(runDir(run.id), `${a.name}.npy`));
        expect({ dtype: a.dtype, shape: a.shape }, a.name).toEqual({ dtype: read.dtype, shape: read.shape });
      }
    }
    const p = (await call('runs.exports', { runId: runs.pursuit!.id })) as RunExports;
    expect(p.arrays.map((a) => a.name)).toEqual(['W1', 'W2', 'gamma1', 'gamma2', 'atoms1', 'atoms2', 'input', 'reconstruction']);
    // A pursuit run exports its pursuit as ONNX (pursuit-onnx.test.ts); K-SVD's patch dictionary does not.
    expect(p.formats).toEqual(['npz', 'npy', 'onnx', 'report']);
    expect(((await call('runs.exports', { runId: runs.ksvd!.id })) as RunExports).formats).toEqual(['npz', 'npy', 'report']);
    expect(((await call('runs.exports', { runId: runs.unrolled!.id })) as RunExports).formats).toEqual(['npz', 'npy', 'onnx', 'report']);
    const ph = (await call('runs.exports', { runId: runs.phase!.id })) as RunExports;
    expect(ph).toEqual({ arrays: [], formats: ['report'] });
  });
});

describe('runs.export as npy and npz', () => {
  it('gives each array as the very bytes of its .npy file', async () => {
    for (const name of npyFiles(runs.pursuit!.id)) {
      const file = await exportOf(runs.pursuit!.id, 'npy', name);
      expect(file.name).toBe(`ml-fista-two-layers-λ-sweep-${name}.npy`);
      expect(file.mediaType).toBe('application/x-npy');
      expect(Buffer.from(file.bytes).equals(readFileSync(path.join(runDir(runs.pursuit!.id), `${name}.npy`))), name).toBe(true);
    }
  });

  it('puts every array in one .npz whose members are the .npy files, which NumPy loads', async () => {
    const id = runs.ksvd!.id;
    const file = await exportOf(id, 'npz');
    expect(file).toMatchObject({ name: 'K-SVD-camera.npz', mediaType: EXPORT_MEDIA_TYPES.npz });
    const members = unzipSync(file.bytes);
    expect(Object.keys(members).sort()).toEqual(npyFiles(id).map((n) => `${n}.npy`).sort());
    for (const [member, bytes] of Object.entries(members)) expect(Buffer.from(bytes).equals(readFileSync(path.join(runDir(id), member))), member).toBe(true);
    // The engine's own .npz reader agrees (member names and headers).
    expect(listNpz(file.bytes).map((m) => m.key).sort()).toEqual(npyFiles(id));
    // Exporting again gives the same bytes: the zip's time stamps are the run's own.
    expect(Buffer.from((await exportOf(id, 'npz')).bytes).equals(Buffer.from(file.bytes))).toBe(true);

    if (noNumpy) return;
    const npz = path.join(dir, 'ksvd.npz');
    writeFileSync(npz, file.bytes);
    const py = 'import json, sys, numpy as np\nd = np.load(sys.argv[1])\nprint(json.dumps({k: {"dtype": str(d[k].dtype), "shape": list(d[k].shape), "sum": float(d[k].astype(np.float64).sum())} for k in d.files}))';
    const r = spawnSync('python3', ['-c', py, npz], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const seen = JSON.parse(r.stdout) as Record<string, { dtype: string; shape: number[]; sum: number }>;
    expect(Object.keys(seen).sort()).toEqual(npyFiles(id));
    for (const [name, a] of Object.entries(seen)) {
      const read = await readNpyFile(path.join(runDir(id), `${name}.npy`));
      expect({ dtype: a.dtype, shape: a.shape }, name).toEqual({ dtype: read.dtype, shape: read.shape });
      const sum = Array.from(toFloat32(read).data).reduce((x, y) => x + y, 0);
      expect(a.sum, name).toBeCloseTo(sum, 3);
    }
  });

  it('refuses unknown runs, arrays and formats, naming what is wrong', async () => {
    await expect(exportOf('r-no-such-run', 'npz')).rejects.toMatchObject({ code: 'not-found', message: expect.stringMatching(/run r-no-such-run is not in project Exports/) });
    await expect(call('runs.exports', { runId: 'r-no-such-run' })).rejects.toMatchObject({ code: 'not-found' });
    await expect(exportOf(runs.pursuit!.id, 'npy', 'W9')).rejects.toMatchObject({ code: 'invalid-input', message: expect.stringMatching(/has no array named "W9" \(it has: W1, W2, gamma1/) });
    await expect(exportOf(runs.pursuit!.id, 'npy')).rejects.toMatchObject({ code: 'invalid-input', message: expect.stringMatching(/needs the array to export/) });
    await expect(exportOf(runs.ksvd!.id, 'onnx')).rejects.toMatchObject({ code: 'invalid-input', message: expect.stringMatching(/has nothing to export as ONNX: a ksvd session keeps no convolutional dictionaries/) });
    await expect(exportOf(runs.phase!.id, 'npz')).rejects.toMatchObject({ code: 'invalid-input', message: expect.stringMatching(/has saved no arrays/) });
    await expect(exportOf(runs.pursuit!.id, 'pdf')).rejects.toMatchObject({ code: 'invalid-request' });
    await expect(exportOf(runs.pursuit!.id, 'npy', '../project')).rejects.toMatchObject({ code: 'invalid-request' });
  });
});

describe('runs.export as onnx', () => {
  it('gives the unrolled network as a standalone model that ONNX Runtime runs', async () => {
    const file = await exportOf(runs.unrolled!.id, 'onnx');
    expect(file).toMatchObject({ name: 'tiny-unrolled.onnx', mediaType: 'application/octet-stream' });
    const ort = (await import('onnxruntime-node')).default;
    const session = await ort.InferenceSession.create(file.bytes);
    expect([...session.inputNames]).toEqual(['images']);
    const out = await session.run({ images: new ort.Tensor('float32', new Float32Array(28 * 28).fill(0.5), [1, 1, 28, 28]) });
    expect(out.logits!.dims).toEqual([1, 10]);
    expect(Array.from(out.logits!.data as Float32Array).every(Number.isFinite)).toBe(true);
  });
});

/** The report zip, its Markdown and the figure files it references. */
async function report(runId: string): Promise<{ file: ExportedFile; md: string; entries: Record<string, Uint8Array>; refs: string[] }> {
  const file = await exportOf(runId, 'report');
  expect(file.mediaType).toBe('application/zip');
  const entries = unzipSync(file.bytes);
  const md = new TextDecoder().decode(entries['report.md']);
  const refs = [...md.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]!);
  // Every figure is shown and every image shown is in the zip.
  expect(refs.sort()).toEqual(Object.keys(entries).filter((k) => k !== 'report.md').sort());
  for (const ref of refs) expect(ref).toMatch(/^figures\/[A-Za-z0-9_-]+\.(png|svg)$/);
  for (const [name, bytes] of Object.entries(entries)) {
    if (!name.endsWith('.svg')) continue;
    const svg = new TextDecoder().decode(bytes);
    expect(svg.startsWith('<svg'), name).toBe(true);
    expect(svg, name).toContain('<path');
    expect(svg.trimEnd().endsWith('</svg>'), name).toBe(true);
  }
  return { file, md, entries, refs };
}

function fencedJson(md: string): unknown {
  const m = /## Configuration\n\n```json\n([\s\S]*?)\n```/.exec(md);
  expect(m).not.toBeNull();
  return JSON.parse(m![1]!);
}

describe('runs.export as a report', () => {
  it('describes a pursuit run, with its configuration, metrics and layers', async () => {
    const id = runs.pursuit!.id;
    const { file, md, refs } = await report(id);
    expect(file.name).toBe('ml-fista-two-layers-λ-sweep-report.zip');
    const detail = (await call('runs.get', { runId: id })) as RunDetail;
    expect(md.startsWith('# ml-fista: two layers / λ sweep\n')).toBe(true);
    expect(md).toContain(`\`${id}\``);
    expect(md).toContain('| **Algorithm** | ml-fista |');
    expect(md).toContain('| **Status** | finished |');
    expect(md).toContain(`| **Provider** | ${detail.summary.provider} |`);
    expect(md).toContain('| **Tags** | baseline, λ sweep |');
    expect(md).toContain('First *try*: λ₂ looks too small.');
    expect(fencedJson(md)).toEqual(detail.config);
    expect(md).toContain(`| Objective | ${formatNumber(detail.summary.finalObjective!)} |`);
    const last = detail.metrics.at(-1)!;
    expect(md).toContain(`| Density, layer 2 | ${formatNumber(last.density[1]!)} |`);
    for (const l of detail.summary.layers!) expect(md).toContain(`| ${l.layer} | ${formatNumber(l.objective)} | ${l.nnz} | ${formatNumber(l.density)} |`);
    expect(refs).toEqual(['figures/atoms1.png', 'figures/atoms2.png', 'figures/density.svg', 'figures/input.png', 'figures/objective.svg', 'figures/reconstruction.png']);
    expect(md).toContain('![Atoms of layer 1](figures/atoms1.png)');
  });

  it('draws the atoms as a tile grid, each atom scaled to its own range', async () => {
    const id = runs.pursuit!.id;
    const { entries } = await report(id);
    for (const layer of [1, 2]) {
      const atoms = await readNpyFile(path.join(runDir(id), `atoms${layer}.npy`));
      const [m, h, w] = atoms.shape as [number, number, number];
      const cols = gridColumns(m);
      const rows = Math.ceil(m / cols);
      const gridW = cols * (w + TILE_PAD) + TILE_PAD;
      const gridH = rows * (h + TILE_PAD) + TILE_PAD;
      const f = upscaleFactor(gridW);
      expect(gridW * f).toBeLessThanOrEqual(Math.max(gridW, FIGURE_TARGET_WIDTH));
      const png = PNG.sync.read(Buffer.from(entries[`figures/atoms${layer}.png`]!));
      expect([png.width, png.height], `layer ${layer}`).toEqual([gridW * f, gridH * f]);
      const gray = (x: number, y: number) => png.data[(y * png.width + x) * 4]!;
      const data = atoms.data as Float32Array;
      for (let k = 0; k < m; k++) {
        const atom = Array.from(data.subarray(k * h * w, (k + 1) * h * w));
        const at = (i: number) => gray((TILE_PAD + (k % cols) * (w + TILE_PAD) + (i % w)) * f, (TILE_PAD + Math.floor(k / cols) * (h + TILE_PAD) + Math.floor(i / w)) * f);
        expect(at(atom.indexOf(Math.max(...atom))), `atom ${k} max`).toBe(255);
        expect(at(atom.indexOf(Math.min(...atom))), `atom ${k} min`).toBe(0);
      }
      // The lines between tiles are white.
      expect(gray(0, 0)).toBe(255);
    }
    const input = await readNpyFile(path.join(runDir(id), 'input.npy'));
    const [H, W] = input.shape.slice(-2) as [number, number];
    const png = PNG.sync.read(Buffer.from(entries['figures/input.png']!));
    expect([png.width, png.height]).toEqual([W * upscaleFactor(W), H * upscaleFactor(W)]);
  });

  it('charts a learning session’s named values', async () => {
    const id = runs.ksvd!.id;
    const { md, refs, file, entries } = await report(id);
    expect(file.name).toBe('K-SVD-camera-report.zip');
    const detail = (await call('runs.get', { runId: id })) as RunDetail;
    const values = detail.metrics.at(-1)!.values!;
    expect(Object.keys(values)).toContain('psnr');
    for (const [k, v] of Object.entries(values)) {
      expect(md).toContain(`| ${k} | ${formatNumber(v)} |`);
      // A chart for every figure measured at two iterations or more (K-SVD measures PSNR at the end only).
      const measured = detail.metrics.filter((m) => m.values?.[k] !== undefined).length;
      if (measured >= 2) expect(refs, k).toContain(`figures/value-${valueGroup(k)}.svg`);
      if (measured < 2 && Object.keys(values).every((o) => o === k || valueGroup(o) !== valueGroup(k))) expect(refs, k).not.toContain(`figures/value-${valueGroup(k)}.svg`);
    }
    expect(refs).toContain('figures/value-meanL0.svg');
    expect(new TextDecoder().decode(entries['figures/value-meanL0.svg'])).toContain('meanL0');
    expect(md).toContain('| **Method** | ksvd |');
    expect(refs).toEqual(expect.arrayContaining(['figures/atoms1.png', 'figures/clean.png', 'figures/input.png', 'figures/reconstruction.png', 'figures/objective.svg']));
  });

  it('tabulates a phase-transition grid', async () => {
    const id = runs.phase!.id;
    const { md } = await report(id);
    const grid = JSON.parse(readFileSync(path.join(runDir(id), 'phase.json'), 'utf8')) as PhaseResult;
    expect(md).toContain('## Phase transition');
    expect(md).toContain('| **Pursuits** | omp, layered-thr |');
    expect(md).toContain('| **Kind** | phase-transition experiment |');
    grid.pursuits.forEach((p, pi) => {
      const section = md.slice(md.indexOf(`### ${p}`));
      grid.noise.forEach((n, ni) => expect(section, `${p} noise ${n}`).toContain(`| ${formatNumber(n)} | ${grid.success[pi]![ni]!.map((v) => (v === null ? '—' : formatNumber(v))).join(' | ')} |`));
    });
  });
});

describe('sparseland report', () => {
  it('writes the same report zip from the command line', async () => {
    const out = path.join(dir, 'cli-report.zip');
    const r = await runCli('report', '--project', project(), '--run', runs.pursuit!.id, '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const printed = JSON.parse(r.stdout) as { files: string[]; bytes: number };
    const entries = unzipSync(readFileSync(out));
    expect(Object.keys(entries).sort()).toEqual([...printed.files].sort());
    expect(printed.bytes).toBe(readFileSync(out).length);
    const md = new TextDecoder().decode(entries['report.md']);
    expect(md).toContain(`\`${runs.pursuit!.id}\``);
    const fromHost = unzipSync((await exportOf(runs.pursuit!.id, 'report')).bytes);
    // Same figures: PNGs to the byte, SVGs to the drawn paths (ECharts numbers its instances' CSS classes).
    const paths = (svg: Uint8Array) => [...new TextDecoder().decode(svg).matchAll(/ d="([^"]+)"/g)].map((m) => m[1]);
    for (const name of Object.keys(fromHost)) {
      if (name.endsWith('.png')) expect(Buffer.from(entries[name]!).equals(Buffer.from(fromHost[name]!)), name).toBe(true);
      if (name.endsWith('.svg')) expect(paths(entries[name]!), name).toEqual(paths(fromHost[name]!));
    }

    const bad = await runCli('report', '--project', project(), '--run', 'r-missing', '--out', path.join(dir, 'x.zip'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/run r-missing is not in project Exports/);
    expect(existsSync(path.join(dir, 'x.zip'))).toBe(false);
  });
});

describe('sparseland export', () => {
  it('writes the arrays as .npz, and as .onnx an unrolled session’s network or a pursuit run’s pursuit', async () => {
    const npz = path.join(dir, 'cli.npz');
    const r = await runCli('export', '--project', project(), '--run', runs.pursuit!.id, '--npz', npz, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { arrays: { name: string }[] }).arrays.map((a) => a.name).sort()).toEqual(npyFiles(runs.pursuit!.id));
    expect(Buffer.from(readFileSync(npz)).equals(Buffer.from((await exportOf(runs.pursuit!.id, 'npz')).bytes))).toBe(true);

    const onnx = path.join(dir, 'cli.onnx');
    const both = await runCli('export', '--project', project(), '--run', runs.unrolled!.id, '--onnx', onnx, '--npz', path.join(dir, 'unrolled.npz'), '--json');
    expect(both.code, both.stderr).toBe(0);
    expect(JSON.parse(both.stdout)).toMatchObject({ onnx, inputs: { images: [1, 1, 28, 28] }, outputs: ['logits', 'gamma_K'] });
    expect(Object.keys(unzipSync(readFileSync(path.join(dir, 'unrolled.npz')))).sort()).toEqual(npyFiles(runs.unrolled!.id).map((n) => `${n}.npy`));
    expect(readFileSync(onnx).length).toBeGreaterThan(1000);

    const neither = await runCli('export', '--project', project(), '--run', runs.pursuit!.id);
    expect(neither.code).toBe(1);
    expect(neither.stderr).toMatch(/say what to export/);
    // A pursuit run has no trained network: its pursuit with its dictionaries is exported, as the app does.
    const pursuitOnnx = path.join(dir, 'pursuit.onnx');
    const pursuit = await runCli('export', '--project', project(), '--run', runs.pursuit!.id, '--onnx', pursuitOnnx, '--json');
    expect(pursuit.code, pursuit.stderr).toBe(0);
    expect(JSON.parse(pursuit.stdout)).toMatchObject({ onnx: pursuitOnnx, inputs: ['signal'] });
    expect(Buffer.from(readFileSync(pursuitOnnx)).equals(Buffer.from((await exportOf(runs.pursuit!.id, 'onnx')).bytes)), 'the CLI writes what the app exports').toBe(true);
    const nothing = await runCli('export', '--project', project(), '--run', runs.ksvd!.id, '--onnx', path.join(dir, 'none.onnx'));
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toMatch(/has nothing to export as ONNX/);
    expect(existsSync(path.join(dir, 'none.onnx'))).toBe(false);
  });
});

describe('limits', () => {
  it('refuses arrays over 1 GiB before reading them, and lists no report for a run without a readable config', async () => {
    const id = runs.ksvd!.id;
    // A sparse file: a valid header for 300M float32 values (1.2 GB) that takes no disk space.
    const big = path.join(runDir(id), 'huge.npy');
    const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (300000000,), }";
    const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
    const header = new Uint8Array(total);
    header.set([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0, (total - 10) & 0xff, (total - 10) >> 8]);
    header.set(new TextEncoder().encode(`${dict.padEnd(total - 11, ' ')}\n`), 10);
    writeFileSync(big, header);
    truncateSync(big, header.length + 4 * 300_000_000);
    try {
      const listed = (await call('runs.exports', { runId: id })) as RunExports;
      expect(listed.arrays.find((a) => a.name === 'huge')).toEqual({ name: 'huge', dtype: 'float32', shape: [300_000_000] });
      await expect(exportOf(id, 'npy', 'huge')).rejects.toMatchObject({ code: 'invalid-request', message: expect.stringMatching(/array huge takes 1\.12 GiB, more than the 1\.00 GiB an export may hold/) });
      await expect(exportOf(id, 'npz')).rejects.toMatchObject({ code: 'invalid-request', message: expect.stringMatching(/GiB an export may hold; copy the \.npy files/) });
      // The report reads only the arrays it draws, so it is still made.
      expect((await exportOf(id, 'report')).bytes.length).toBeGreaterThan(0);
    } finally {
      rmSync(big);
    }
    const configFile = path.join(runDir(runs.phase!.id), 'config.json');
    const config = readFileSync(configFile);
    writeFileSync(configFile, '{"not": "a config"}');
    try {
      expect(((await call('runs.exports', { runId: runs.phase!.id })) as RunExports).formats).toEqual([]);
      await expect(exportOf(runs.phase!.id, 'report')).rejects.toMatchObject({ code: 'invalid-input', message: expect.stringMatching(/config\.json is malformed/) });
    } finally {
      writeFileSync(configFile, config);
    }
  });
});

describe('metric charts', () => {
  it('puts train and test, denoised and noisy figures on one chart, and skips single points', async () => {
    const metrics = [1, 2, 3].map((iteration) => ({ iteration, objective: 10 / iteration, density: [0.5 / iteration, 0.2], seconds: iteration, layer: 2, values: { trainAccuracy: 0.5 + iteration / 10, testAccuracy: 0.4 + iteration / 10, psnr: 20 + iteration, psnrNoisy: 18, ...(iteration === 3 ? { final: 1 } : {}) } }));
    const charts = metricCharts(metrics);
    expect(charts.map((c) => [c.key, c.spec.curves.map((k) => k.name)])).toEqual([
      ['objective', ['objective']],
      ['density', ['layer 1', 'layer 2']],
      ['value-accuracy', ['trainAccuracy', 'testAccuracy']],
      ['value-psnr', ['psnr', 'psnrNoisy']],
    ]);
    expect(charts[0]!.spec.curves[0]!.points).toEqual([[1, 10], [2, 5], [3, 10 / 3]]);
    const svg = await lineChartSvg(charts[2]!.spec);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(new Set([...svg.matchAll(/ecmeta_series_index="(\d+)"/g)].map((m) => m[1]))).toEqual(new Set(['0', '1']));
    expect(svg).toContain('testAccuracy');
  });
});

describe('file names', () => {
  it('keeps letters of any script and folds the rest into dashes', () => {
    expect(fileStem('ml-fista: two layers / λ sweep', 'r1')).toBe('ml-fista-two-layers-λ-sweep');
    expect(fileStem('../../etc/passwd', 'r1')).toBe('etc-passwd');
    expect(fileStem('   ', 'r1')).toBe('r1');
    expect(fileStem('CON', 'r1')).toBe('CON_');
    expect(fileStem('a'.repeat(300), 'r1')).toHaveLength(100);
    // 100 bytes of UTF-8, whole characters only: λ takes two.
    expect(fileStem('λ'.repeat(300), 'r1')).toBe('λ'.repeat(50));
    expect(Buffer.byteLength(fileStem('字'.repeat(300), 'r1'))).toBe(99);
  });
});

describe('the host stays free of ONNX Runtime', () => {
  it('imports nothing that loads it, following every import from run-export.ts', () => {
    const seen = new Set<string>();
    const bare = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:^|\n)\s*(import|export)\s+(type\s+)?[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
        if (m[2]) continue; // type-only: erased
        const spec = (m[3] ?? m[4])!;
        if (!spec.startsWith('.')) {
          bare.add(spec);
          continue;
        }
        const base = path.resolve(path.dirname(file), spec);
        const target = [`${base}.ts`, path.join(base, 'index.ts'), base].find((p) => existsSync(p) && p.endsWith('.ts'));
        if (target) visit(target);
      }
    };
    visit(path.join(import.meta.dirname, 'run-export.ts'));
    expect(seen.size).toBeGreaterThan(5);
    expect([...bare].filter((s) => s.startsWith('onnxruntime'))).toEqual([]);
  });
});
