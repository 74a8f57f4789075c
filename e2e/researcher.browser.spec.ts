/**
 * A researcher's day, in one project, in Chromium against the real server and engine: import a data set with
 * preprocessing, learn two dictionaries on it that differ in one setting, annotate one, compare them (config
 * diff with differences only, metric overlay, atoms side by side), export each format the app writes (.npz,
 * .npy, a Markdown report with figures, an .onnx network, a chart as PNG, SVG and CSV) and check what was
 * written with independent readers (fflate, NumPy where installed, ONNX Runtime), then leave the project and
 * reopen it from the recent list with everything in place.
 *
 * The other specs cover each view in depth; this one checks that they work together on the same data.
 * One page and one project, steps in order (serial mode).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { gzipSync, unzipSync } from 'fflate';
import * as ort from 'onnxruntime-node';
import { sharePageAcrossSteps } from './support/shared-page';
import { expect, test } from './support/server';
import { csvLines, downloadFrom, expectDrawn, fileBrowser, fileBrowserEntry, goToRoot, openWorkbench } from './support/workbench';

test.use({ serverFor: 'researcher' });
test.describe.configure({ mode: 'serial' });
sharePageAcrossSteps(test, (p) => {
  page = p;
});

const SESSION_TIMEOUT = 60_000;
const SESSIONS = [
  { name: 'K-SVD 16 atoms', atoms: '16' },
  { name: 'K-SVD 36 atoms', atoms: '36' },
];

let page: Page;
let projectDir = '';
let dataDir = '';
let datasetId = '';

/** 24 MNIST-like 20×20 images (smooth strokes at varied angles) as a gzipped IDX file. */
function strokesIdxGz(): Uint8Array {
  const n = 24;
  const h = 20;
  const w = 20;
  const out = new Uint8Array(16 + n * h * w);
  const dv = new DataView(out.buffer);
  out.set([0, 0, 0x08, 3]);
  dv.setUint32(4, n);
  dv.setUint32(8, h);
  dv.setUint32(12, w);
  for (let i = 0; i < n; i++) {
    const angle = (i / n) * Math.PI;
    const [c, s] = [Math.cos(angle), Math.sin(angle)];
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const d = Math.abs((x - w / 2) * s - (y - h / 2) * c);
        out[16 + i * h * w + y * w + x] = Math.round(255 * Math.exp(-(d * d) / 4));
      }
  }
  return gzipSync(out);
}

/** The header of an .npy file: dtype and shape. */
function npyHeader(bytes: Uint8Array): { descr: string; shape: number[] } {
  expect(Buffer.from(bytes.subarray(0, 6)).toString('latin1')).toBe('\x93NUMPY');
  const len = bytes[8]! | (bytes[9]! << 8);
  const header = Buffer.from(bytes.subarray(10, 10 + len)).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1] ?? '';
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean)
    .map(Number);
  return { descr, shape };
}

test.beforeAll(async ({ server }) => {
  dataDir = path.join(server.tmp, 'data');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(path.join(dataDir, 'strokes.idx3.gz'), strokesIdxGz());
  projectDir = path.join(server.tmp, 'study');
});

async function createProject(name: string, dir: string): Promise<void> {
  await page.getByTestId('new-project-button').click();
  const dialog = page.getByTestId('new-project-dialog');
  await dialog.getByTestId('project-name-input').fill(name);
  await dialog.getByTestId('project-dir-input').fill(dir);
  await dialog.getByTestId('create-project-button').click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('current-project')).toHaveAttribute('data-dir', dir);
}

test('a. imports an IDX.gz data set with preprocessing: scale to [0, 1], 8×8 patches, a seeded split', async ({ server }) => {
  await openWorkbench(page, server.url);
  await createProject('Dictionary study', projectDir);
  await page.getByTestId('view-tab-data').click();
  await page.getByTestId('data-import-button').click();
  const dialog = page.getByTestId('data-import-dialog');
  await dialog.getByTestId('data-import-file-browse').click();
  await goToRoot(page, server.tmp);
  await fileBrowserEntry(page, 'data').click();
  await fileBrowserEntry(page, 'strokes.idx3.gz').click();
  await fileBrowser(page).getByTestId('file-browser-select').click();
  await expect(dialog.getByTestId('data-import-path-input')).toHaveValue(path.join(dataDir, 'strokes.idx3.gz'));
  await dialog.getByTestId('data-import-name').fill('strokes');
  await dialog.getByTestId('data-import-stored-copy').check();
  for (const op of ['scale01', 'patches', 'split']) {
    await dialog.getByTestId('preprocess-add-select').selectOption(op);
    await dialog.getByTestId('preprocess-add-button').click();
  }
  await dialog.getByTestId('preprocess-step-2-size').fill('8');
  await dialog.getByTestId('preprocess-step-2-stride').fill('4');
  await dialog.getByTestId('preprocess-step-3-testFraction').fill('0.25');
  await dialog.getByTestId('data-import-submit').click();
  await expect(dialog).toBeHidden({ timeout: 30_000 });

  // 24 images × 16 patches (8×8 every 4 pixels of 20×20) = 384; a quarter to test: 288 to train.
  const item = page.locator('[data-testid="dataset-item"][aria-selected="true"]');
  await expect(item).toHaveAttribute('data-shape', '288×1×8×8');
  await expect(item).toHaveAttribute('data-format', 'idx');
  datasetId = (await item.getAttribute('data-dataset-id'))!;
  const detail = page.getByTestId('dataset-detail');
  await expect(detail.getByTestId('dataset-test-items')).toHaveAttribute('data-test-items', '96');
  await expect(detail.getByTestId('dataset-range')).toHaveAttribute('data-min', '0');
  expect(await detail.getByTestId('dataset-step').evaluateAll((els) => els.map((e) => e.getAttribute('data-op')))).toEqual(['scale01', 'patches', 'split']);
  await expectDrawn(detail.getByTestId('dataset-thumbnails-canvas'), 'the thumbnails of the strokes');
});

test('b. learns two K-SVD dictionaries on the data set that differ in the number of atoms', async () => {
  await page.getByTestId('dataset-train-button').click();
  await expect(page.getByTestId('view-tab-learn')).toHaveAttribute('aria-selected', 'true');
  await page.getByTestId('learn-method-select').selectOption('ksvd');
  await page.getByTestId('learn-data-kind-select').selectOption('dataset');
  await page.getByTestId('learn-dataset-select').selectOption(datasetId);
  await page.getByTestId('learn-param-patchSize').fill('8');
  await page.getByTestId('learn-param-sparsity').fill('2');
  await page.getByTestId('learn-param-trainingPatches').fill('200');
  await page.getByTestId('learn-param-sigma').fill('0');
  await page.getByTestId('learn-iterations-input').fill('5');
  await page.getByTestId('learn-checkpoint-every-input').fill('2');
  await page.getByTestId('learn-seed-input').fill('3');
  for (const s of SESSIONS) {
    await page.getByTestId('learn-param-atoms').fill(s.atoms);
    await page.getByTestId('learn-name-input').fill(s.name);
    await expect(page.getByTestId('learn-start-button')).toBeEnabled({ timeout: SESSION_TIMEOUT });
    await page.getByTestId('learn-start-button').click();
    await expect(page.getByTestId('run-details').getByTestId('run-details-name')).toHaveText(s.name);
    await expect(page.getByTestId('learn-status')).toHaveText('finished', { timeout: SESSION_TIMEOUT });
    await expect(page.getByTestId('learn-atoms-layer-1')).toHaveAttribute('data-count', s.atoms);
  }
  // Notes and tags on the second: written at once, so they survive the reopening below.
  const details = page.getByTestId('run-details');
  await expect(details.getByTestId('run-details-name')).toHaveText(SESSIONS[1]!.name);
  await details.getByTestId('run-notes').fill('More atoms: does the residual drop enough to pay for them?');
  await details.getByTestId('run-tag-input').fill('atoms-sweep');
  await details.getByTestId('run-tag-add').click();
  await expect(details.getByTestId('run-notes-state')).toHaveAttribute('data-state', 'saved', { timeout: 10_000 });
});

test('c. compares them: differences only, the objective overlaid, atoms side by side', async () => {
  await page.getByTestId('view-tab-compare').click();
  const rows = page.getByTestId('compare-row');
  await expect(rows).toHaveCount(2);
  for (const s of SESSIONS) await rows.filter({ hasText: s.name }).getByTestId('compare-select').check();
  await page.getByTestId('compare-diff-only').check();
  const paths = await page.getByTestId('compare-diff-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-path')));
  expect(paths).toContain('params.atoms');
  expect(paths, 'the shared data set is not a difference').not.toContain('data.id');
  const objective = page.locator('[data-testid="compare-overlay"][data-key="objective@1"]');
  await expect(objective).toHaveAttribute('data-series', '2');
  await expectDrawn(objective, 'the objectives of both sessions');
  const atoms = page.getByTestId('compare-atoms-run');
  await expect(atoms).toHaveCount(2);
  for (let i = 0; i < 2; i++) await expectDrawn(atoms.nth(i).locator('canvas').first(), `the atoms of session ${i + 1}`);
});

test('d. exports a chart as PNG, SVG and CSV', async () => {
  const card = page.locator('[data-testid="compare-overlay-card"][data-key="objective@1"]');
  const png = await downloadFrom(page, card.getByTestId('export-png'));
  expect(png.name).toMatch(/\.png$/);
  expect([...png.bytes.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
  const svg = await downloadFrom(page, card.getByTestId('export-svg'));
  expect(svg.name).toMatch(/\.svg$/);
  expect(svg.bytes.toString('utf8')).toMatch(/^(<\?xml[^>]*>\s*)?<svg[\s>]/);
  expect(svg.bytes.toString('utf8')).toContain('<path');
  const csv = csvLines((await downloadFrom(page, card.getByTestId('export-csv'))).bytes);
  // A header, then one row per iteration of the longer run (5 iterations, maybe an initial row).
  expect(csv.length).toBeGreaterThanOrEqual(6);
  for (const s of SESSIONS) expect(csv[0]).toContain(s.name);
});

test('e. exports the run’s arrays (the learned dictionary among them) as .npz and .npy, and a Markdown report with its figures', async ({ server }) => {
  await page.getByTestId('view-tab-learn').click();
  const run = page.locator('[data-testid="run-list-item"]').filter({ hasText: SESSIONS[0]!.name });
  await run.click();
  await expect(page.getByTestId('run-details').getByTestId('run-details-name')).toHaveText(SESSIONS[0]!.name);
  await page.getByTestId('run-export-button').click();
  const menu = page.getByTestId('run-export-menu');
  const npyItems = menu.getByTestId('export-npy');
  await expect(npyItems.first()).toBeVisible();
  const arrays = await npyItems.evaluateAll((els) => els.map((e) => e.getAttribute('data-array')!));
  expect(arrays).toContain('W1');

  const npz = await downloadFrom(page, menu.getByTestId('export-npz'));
  expect(npz.name).toMatch(/\.npz$/);
  const entries = unzipSync(new Uint8Array(npz.bytes));
  expect(Object.keys(entries).sort()).toEqual(arrays.map((a) => `${a}.npy`).sort());
  // K-SVD's dictionary: 16 atoms of 8×8 patches, as NumPy's [m, c, k, k].
  expect(npyHeader(entries['W1.npy']!)).toEqual({ descr: '<f4', shape: [16, 1, 8, 8] });
  const saved = path.join(server.tmp, 'export.npz');
  writeFileSync(saved, npz.bytes);
  const numpy = spawnSync('python3', ['-c', 'import sys, json, numpy as np; d = np.load(sys.argv[1], allow_pickle=False); print(json.dumps({k: list(d[k].shape) for k in d.files}))', saved], { encoding: 'utf8' });
  if (numpy.status === 0) expect(JSON.parse(numpy.stdout).W1).toEqual([16, 1, 8, 8]);
  else test.info().annotations.push({ type: 'NumPy check skipped', description: numpy.stderr || String(numpy.error) });

  const w1 = await downloadFrom(page, menu.locator('[data-testid="export-npy"][data-array="W1"]'));
  expect(w1.name).toMatch(/W1\.npy$/);
  expect(Buffer.compare(w1.bytes, Buffer.from(entries['W1.npy']!)), 'the .npy equals the .npz entry byte for byte').toBe(0);

  const report = await downloadFrom(page, menu.getByTestId('export-report'));
  expect(report.name).toMatch(/\.zip$/);
  const files = unzipSync(new Uint8Array(report.bytes));
  const mdName = Object.keys(files).find((f) => f.endsWith('report.md'));
  expect(mdName, `report.md in ${Object.keys(files).join(', ')}`).toBeTruthy();
  const md = Buffer.from(files[mdName!]!).toString('utf8');
  expect(md).toContain(SESSIONS[0]!.name);
  const base = path.posix.dirname(mdName!);
  const figures = [...md.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]!);
  expect(figures.length, 'the report shows figures').toBeGreaterThanOrEqual(2);
  for (const f of figures) {
    const bytes = files[path.posix.join(base, f)];
    expect(bytes, `the report's figure ${f} is in the zip`).toBeDefined();
    if (f.endsWith('.png')) expect([...bytes!.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    if (f.endsWith('.svg')) expect(Buffer.from(bytes!).toString('utf8')).toMatch(/<svg[\s>]/);
  }
  await page.keyboard.press('Escape');
});

test('f. trains a tiny unrolled ML-FISTA network and exports it as ONNX that ONNX Runtime runs', async ({ server }) => {
  test.setTimeout(120_000);
  await page.getByTestId('learn-method-select').selectOption('unrolled-supervised');
  await page.getByTestId('learn-data-kind-select').selectOption('mnist');
  await page.getByTestId('learn-mnist-count-input').fill('64');
  await page.getByTestId('learn-param-preset').selectOption('small');
  await page.getByTestId('learn-param-T').fill('1');
  await page.getByTestId('learn-param-batchSize').fill('8');
  await page.getByTestId('learn-param-testCount').fill('50');
  await page.getByTestId('learn-param-stepsPerIteration').fill('2');
  await page.getByTestId('learn-iterations-input').fill('1');
  await page.getByTestId('learn-checkpoint-every-input').fill('1');
  await page.getByTestId('learn-name-input').fill('tiny unrolled');
  await page.getByTestId('learn-start-button').click();
  // The panel shows the new session (not the finished one before it) before its status is read.
  await expect(page.getByTestId('run-details').getByTestId('run-details-name')).toHaveText('tiny unrolled');
  await expect(page.getByTestId('learn-status')).toHaveText('finished', { timeout: SESSION_TIMEOUT });
  await page.getByTestId('run-export-button').click();
  const onnx = await downloadFrom(page, page.getByTestId('run-export-menu').getByTestId('export-onnx'));
  expect(onnx.name).toMatch(/\.onnx$/);
  const file = path.join(server.tmp, 'net.onnx');
  writeFileSync(file, onnx.bytes);
  const session = await ort.InferenceSession.create(file);
  expect(session.inputNames).toEqual(['images']);
  expect(session.outputNames).toContain('logits');
  const out = await session.run({ images: new ort.Tensor('float32', new Float32Array(28 * 28).fill(0.5), [1, 1, 28, 28]) });
  expect(out['logits']!.dims).toEqual([1, 10]);
  expect([...(out['logits']!.data as Float32Array)].every(Number.isFinite)).toBe(true);
});

test('g. leaves the project and reopens it from the recent list: data set, runs, notes and comparison intact', async ({ server }) => {
  await createProject('Scratch', path.join(server.tmp, 'scratch'));
  await expect(page.getByTestId('run-list-empty')).toBeVisible();
  await page.getByTestId('open-project-button').click();
  await page.getByTestId('open-project-dialog').locator(`[data-testid="recent-project-item"][data-dir="${projectDir}"]`).click();
  await expect(page.getByTestId('current-project')).toHaveAttribute('data-dir', projectDir);
  await expect(page.getByTestId('run-list-item')).toHaveCount(3);

  await page.getByTestId('view-tab-data').click();
  await expect(page.locator(`[data-testid="dataset-item"][data-dataset-id="${datasetId}"]`)).toHaveAttribute('data-shape', '288×1×8×8');

  await page.getByTestId('view-tab-learn').click();
  await page.locator('[data-testid="run-list-item"]').filter({ hasText: SESSIONS[1]!.name }).click();
  const details = page.getByTestId('run-details');
  await expect(details.getByTestId('run-notes')).toHaveValue('More atoms: does the residual drop enough to pay for them?');
  await expect(details.getByTestId('run-tag')).toHaveAttribute('data-tag', 'atoms-sweep');

  await page.getByTestId('view-tab-compare').click();
  const rows = page.getByTestId('compare-row');
  await expect(rows).toHaveCount(3);
  for (const s of SESSIONS) await rows.filter({ hasText: s.name }).getByTestId('compare-select').check();
  await page.getByTestId('compare-diff-only').check();
  await expect(page.locator('[data-testid="compare-diff-row"][data-path="params.atoms"]')).toBeVisible();
});
