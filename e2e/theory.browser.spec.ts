/**
 * The Theory view, end to end, in Chromium against the real server and engine (`sparseland serve`): sample
 * from a CSC model and a two-layer ML-CSC model with known codes, run every pursuit, and check the report
 * (every pursuit × layer, measured errors, OMP's guarantee on a noiseless 1-sparse sample), the coherence maps
 * and effective atoms drawn, PNG and CSV exports; then a small phase transition run to its end and a larger one
 * cancelled, the finished one opened again from the project, the view at 1280×800, and screenshots.
 *
 * The steps share one page and one project, in order (serial mode), as a user's session does.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { sharePageAcrossSteps } from './support/shared-page';
import { expect, repoRoot, test } from './support/server';
import { csvLines, downloadFrom, expectDrawn, openWorkbench } from './support/workbench';

test.use({ serverFor: 'theory' });
test.describe.configure({ mode: 'serial' });
sharePageAcrossSteps(test, (p) => {
  page = p;
});

/** An analysis takes a second or two; a small phase grid a few seconds. Allow for a slow, busy machine. */
const ANALYZE_TIMEOUT = 60_000;
const PHASE_TIMEOUT = 60_000;
const ALL_PURSUITS = ['omp', 'bp', 'layered-thr', 'layered-bp', 'ml-fista'] as const;
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

let page: Page;
let smallRunId = '';

const verdicts = () => page.getByTestId('theory-verdict');
const phaseStatus = () => page.getByTestId('phase-status');
const card = (testid: string) => page.getByTestId(`${testid}-card`);

async function attrNumber(locator: Locator, attr: string): Promise<number> {
  return Number((await locator.getAttribute(attr)) ?? 'NaN');
}

/** Ticks exactly the pursuits given in the analysis form. */
async function choosePursuits(chosen: readonly string[]): Promise<void> {
  for (const p of ALL_PURSUITS) await page.getByTestId(`theory-pursuit-${p}`).setChecked(chosen.includes(p));
}

/** Presses "Sample & analyze" and waits until the report of this analysis is on show. */
async function analyze(): Promise<void> {
  const button = page.getByTestId('theory-analyze');
  await button.click();
  await expect(page.getByTestId('theory-form-errors')).toHaveCount(0);
  await expect(button).toHaveText('Sample & analyze', { timeout: ANALYZE_TIMEOUT });
  await expect(page.getByTestId('theory-analyze-error')).toHaveCount(0);
  await expect(page.getByTestId('theory-report')).toHaveAttribute('aria-busy', 'false');
}

/** Every pursuit × layer has one row, with a measured error that is a number. */
async function expectVerdicts(pursuits: readonly string[], layers: number): Promise<void> {
  await expect(verdicts()).toHaveCount(pursuits.length * layers);
  for (const p of pursuits)
    for (let l = 1; l <= layers; l++) {
      const row = page.locator(`[data-testid="theory-verdict"][data-pursuit="${p}"][data-layer="${l}"]`);
      await expect(row, `a row for ${p}, layer ${l}`).toHaveCount(1);
      const measured = await attrNumber(row, 'data-measured');
      expect(Number.isFinite(measured), `${p} layer ${l}: the measured error is a number (${measured})`).toBe(true);
      expect(measured).toBeGreaterThanOrEqual(0);
      await expect(row.getByTestId('theory-verdict-measured')).toHaveText(/^\d|^-?\d/);
      await expect(row).toHaveAttribute('data-holds', /^(true|false|null)$/);
    }
}

test('a. creates a project and opens the Theory view', async ({ server }) => {
  const projectDir = path.join(server.tmp, 'theory-project');
  await openWorkbench(page, server.url);
  await page.getByTestId('new-project-button').click();
  const dialog = page.getByTestId('new-project-dialog');
  await dialog.getByTestId('project-name-input').fill('E2E theory');
  await dialog.getByTestId('project-dir-input').fill(projectDir);
  await dialog.getByTestId('create-project-button').click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('current-project')).toHaveAttribute('data-dir', projectDir);

  await page.getByTestId('view-tab-theory').click();
  await expect(page.getByTestId('view-tab-theory')).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('view-tab-theory')).toHaveText('Theory');
  await expect(page.getByTestId('theory-form')).toBeVisible();
  await expect(page.getByTestId('run-form')).toHaveCount(0);
  await expect(page.getByTestId('theory-report-empty')).toBeVisible();
  // The default: CSC, one layer of two filters.
  await expect(page.getByTestId('theory-model-kind')).toHaveValue('csc');
  await expect(page.getByTestId('theory-layer-1-filters')).toHaveValue('2');
  await expect(page.getByTestId('phase-status')).toHaveText('idle');
  await expect(page.getByTestId('phase-start')).toBeEnabled();
});

test('b. analyzes a noiseless 1-sparse CSC sample: every pursuit reported, OMP recovers the support exactly', async () => {
  await page.getByTestId('theory-sparsity').fill('1');
  await page.getByTestId('theory-noise-kind').selectOption('none');
  await choosePursuits(ALL_PURSUITS);
  await analyze();

  await expectVerdicts(ALL_PURSUITS, 1);
  const omp = page.locator('[data-testid="theory-verdict"][data-pursuit="omp"][data-layer="1"]');
  await expect(omp, 'below ½(1+1/μ), OMP is guaranteed to succeed').toHaveAttribute('data-holds', 'true');
  await expect(omp.getByTestId('theory-verdict-holds')).toHaveText('✓');
  await expect(omp).toHaveAttribute('data-exact', '1');
  await expect(omp.getByTestId('theory-verdict-exact')).toHaveText('100.0%');
  await expect(omp.getByTestId('theory-verdict-theorem')).toHaveAttribute('title', /\S/);

  // The dictionary: μ at or above the Welch bound.
  const dictionary = page.locator('[data-testid="theory-dictionary"][data-layer="1"]');
  await expect(dictionary).toHaveCount(1);
  const mu = await attrNumber(dictionary, 'data-mu');
  const welch = await attrNumber(dictionary, 'data-welch');
  expect(mu).toBeGreaterThan(0);
  expect(mu).toBeGreaterThanOrEqual(welch - 1e-6);
  await expect(page.getByTestId('theory-noise')).toHaveAttribute('data-patch', '0');

  // The coherence map (2 × 2 filters), the atoms and the signal chart are drawn.
  const map = page.getByTestId('coherence-heatmap-1');
  await expect(map).toHaveAttribute('data-cells', '4');
  await expectDrawn(map, 'the coherence map of D1', 3);
  await expect(page.getByTestId('theory-atoms-1')).toHaveAttribute('data-count', '2');
  await expectDrawn(page.getByTestId('theory-atoms-1-canvas'), 'the atoms of D1', 3);
  const signal = page.getByTestId('theory-signal-chart');
  await expect(signal).toHaveAttribute('data-series', String(2 + ALL_PURSUITS.length));
  await expectDrawn(signal, 'the first signal', 3);
});

test('c. exports a chart as CSV (exactly its data) and as PNG', async () => {
  const csv = await downloadFrom(page, card('coherence-heatmap-1').getByTestId('export-csv'));
  expect(csv.name).toBe('coherence-layer1.csv');
  const lines = csvLines(csv.bytes);
  expect(lines[0]).toBe('filter_j,filter_i,coherence');
  expect(lines, 'a header and one row per filter pair').toHaveLength(1 + 4);
  for (const line of lines.slice(1)) expect(line).toMatch(/^\d+,\d+,[0-9.e-]+$/);

  const png = await downloadFrom(page, card('coherence-heatmap-1').getByTestId('export-png'));
  expect(png.name).toBe('coherence-layer1.png');
  expect([...png.bytes.subarray(0, 8)], 'a PNG file').toEqual(PNG_MAGIC);
  expect(png.bytes.length).toBeGreaterThan(1000);

  // The signal chart: one row per sample, one column per series.
  const signal = await downloadFrom(page, card('theory-signal-chart').getByTestId('export-csv'));
  expect(signal.name).toBe('signal.csv');
  const rows = csvLines(signal.bytes);
  expect(rows[0]).toBe(`index,clean,noisy,${ALL_PURSUITS.join(',')}`);
  expect(rows).toHaveLength(1 + 256);
});

test('c2. analyzes a Sparseland model: one dictionary, its Gram as the coherence map', async () => {
  await page.getByTestId('theory-model-kind').selectOption('sparseland');
  await page.getByTestId('theory-n').fill('32');
  await page.getByTestId('theory-atoms').fill('48');
  await choosePursuits(['omp', 'bp']);
  await analyze();
  await expectVerdicts(['omp', 'bp'], 1);
  await expect(page.getByTestId('theory-dictionary')).toHaveCount(1);
  await expect(page.getByTestId('coherence-heatmap-1')).toHaveAttribute('data-cells', String(48 * 48));
  await expectDrawn(page.getByTestId('coherence-heatmap-1'), 'the Gram of the Sparseland dictionary', 3);
  await expect(page.getByTestId('theory-atoms-1')).toHaveAttribute('data-count', '48');
  await expect(page.getByTestId('theory-signal-chart')).toHaveAttribute('data-series', '4');
  await choosePursuits(ALL_PURSUITS);
});

test('d. analyzes a two-layer ML-CSC model: both layers reported, mapped and drawn', async () => {
  await page.getByTestId('theory-model-kind').selectOption('mlcsc');
  await expect(page.getByTestId('theory-layer-count')).toHaveValue('2');
  await expect(page.getByTestId('theory-layer-2')).toBeVisible();
  await expect(page.getByTestId('theory-geometry')).toHaveText('Γ1 4×192 · Γ2 6×188');
  await analyze();

  await expectVerdicts(ALL_PURSUITS, 2);
  await expect(page.getByTestId('theory-dictionary')).toHaveCount(2);
  for (const layer of [1, 2]) {
    const filters = layer === 1 ? 4 : 6;
    const map = page.getByTestId(`coherence-heatmap-${layer}`);
    await expect(map).toHaveAttribute('data-cells', String(filters * filters));
    await expectDrawn(map, `the coherence map of D${layer}`, 3);
    await expect(page.getByTestId(`theory-atoms-${layer}`)).toHaveAttribute('data-count', String(filters));
    await expectDrawn(page.getByTestId(`theory-atoms-${layer}-canvas`), `the effective atoms of layer ${layer}`, 3);
  }
  const csv = await downloadFrom(page, card('coherence-heatmap-2').getByTestId('export-csv'));
  expect(csv.name).toBe('coherence-layer2.csv');
  expect(csvLines(csv.bytes)).toHaveLength(1 + 36);
});

test('d2. shows a 2-D model\'s signals as images on one scale', async () => {
  await page.getByTestId('theory-dims').selectOption('2d');
  await page.getByTestId('theory-size').fill('24');
  await choosePursuits(['omp', 'layered-thr']);
  await expect(page.getByTestId('theory-geometry')).toHaveText('Γ1 4×16×16 · Γ2 6×12×12');
  await analyze();
  await expectVerdicts(['omp', 'layered-thr'], 2);
  await expect(page.getByTestId('theory-signal-chart')).toHaveCount(0);
  const canvases = page.getByTestId('theory-signal-canvas');
  await expect(canvases).toHaveCount(4);
  expect(await canvases.evaluateAll((cs) => cs.map((c) => c.getAttribute('data-name')))).toEqual(['clean', 'noisy', 'omp', 'layered-thr']);
  await expect(canvases.first()).toHaveAttribute('data-size', '24x24');
  await expectDrawn(canvases.first(), 'the clean 2-D signal', 3);
  await expectDrawn(page.getByTestId('theory-atoms-2-canvas'), 'the 2-D effective atoms of layer 2', 3);
  await choosePursuits(ALL_PURSUITS);
});

test('e. runs a small phase transition to its end: progress, one cell per sparsity, the theorems\' limits', async () => {
  // CSC, N = 128, two filters of 16.
  await page.getByTestId('theory-model-kind').selectOption('csc');
  await page.getByTestId('theory-size').fill('128');
  await page.getByTestId('theory-layer-1-filters').fill('2');
  await page.getByTestId('theory-layer-1-kernel').fill('16');
  for (const p of ALL_PURSUITS) await page.getByTestId(`phase-pursuit-${p}`).setChecked(p === 'omp' || p === 'layered-thr');
  await page.getByTestId('phase-sparsities').fill('1-4');
  await page.getByTestId('phase-noise').fill('0');
  await page.getByTestId('phase-trials').fill('3');
  await page.getByTestId('phase-name').fill('small CSC');
  await page.getByTestId('phase-start').click();
  await expect(page.getByTestId('phase-sparsities-error')).toHaveCount(0);
  await expect(phaseStatus()).toHaveText(/queued|running|finished/);
  await expect(phaseStatus()).toHaveText('finished', { timeout: PHASE_TIMEOUT });
  await expect(page.getByTestId('phase-progress')).toHaveAttribute('aria-valuenow', '100');
  await expect(page.getByTestId('phase-progress-text')).toContainText('4 / 4 cells');

  for (const p of ['omp', 'layered-thr']) {
    const map = page.getByTestId(`phase-heatmap-${p}`);
    await expect(map).toHaveAttribute('data-total', '4');
    await expect(map, `every cell of ${p} has a success rate`).toHaveAttribute('data-cells', '4');
    await expectDrawn(map, `the ${p} success map`, 3);
  }
  await expect(page.getByTestId('phase-heatmap-bp')).toHaveCount(0);
  const chart = page.getByTestId('phase-chart');
  await expect(chart).toHaveAttribute('data-series', '2');
  await expect(chart).toHaveAttribute('data-points', '8');
  await expectDrawn(chart, 'success against sparsity', 3);
  const bounds = page.getByTestId('phase-bounds');
  const success = await attrNumber(bounds, 'data-success');
  const bp = await attrNumber(bounds, 'data-bp');
  const mu = Number((await page.getByTestId('phase-mu').getAttribute('data-mu'))?.split(' ')[0]);
  expect(success, '½(1+1/μ)').toBeCloseTo(0.5 * (1 + 1 / mu), 6);
  expect(bp, '⅓(1+1/μ)').toBeCloseTo((1 + 1 / mu) / 3, 6);

  const csv = await downloadFrom(page, card('phase-heatmap-omp').getByTestId('export-csv'));
  expect(csv.name).toBe('phase-omp.csv');
  const lines = csvLines(csv.bytes);
  expect(lines[0]).toBe('sparsity,noise_patch,success');
  expect(lines).toHaveLength(1 + 4);
  const png = await downloadFrom(page, card('phase-chart').getByTestId('export-png'));
  expect(png.name).toBe('phase-success.png');
  expect([...png.bytes.subarray(0, 8)]).toEqual(PNG_MAGIC);

  // The experiment is a run of the project, of kind phase.
  const item = page.locator('[data-testid="run-list-item"][aria-current="true"]');
  await expect(item).toHaveAttribute('data-kind', 'phase');
  await expect(item).toHaveAttribute('data-status', 'finished');
  smallRunId = (await item.getAttribute('data-run-id')) ?? '';
  expect(smallRunId).not.toBe('');
});

test('f. cancels a larger phase transition; the grid stops where it got', async () => {
  for (const p of ALL_PURSUITS) await page.getByTestId(`phase-pursuit-${p}`).setChecked(p === 'omp' || p === 'bp');
  await page.getByTestId('phase-sparsities').fill('1-16');
  await page.getByTestId('phase-noise').fill('0, 0.05, 0.1, 0.2');
  await page.getByTestId('phase-trials').fill('200');
  await page.getByTestId('phase-name').fill('large CSC');
  await page.getByTestId('phase-start').click();
  await expect(phaseStatus()).toHaveText('running', { timeout: PHASE_TIMEOUT });
  // Progress while it runs: cells finish one by one and the grid grows with them.
  await expect(page.getByTestId('phase-progress-text')).toHaveText(/ · [1-9]\d* \/ 64 cells$/, { timeout: PHASE_TIMEOUT });
  expect(await attrNumber(page.getByTestId('phase-progress'), 'aria-valuenow')).toBeGreaterThan(0);
  expect(await attrNumber(page.getByTestId('phase-heatmap-omp'), 'data-cells')).toBeGreaterThan(0);
  await expect(page.getByTestId('phase-heatmap-omp')).toHaveAttribute('data-total', '64');
  const cancel = page.getByTestId('phase-cancel');
  await expect(cancel).toBeEnabled();
  await cancel.click();
  await expect(phaseStatus()).toHaveText('cancelled', { timeout: PHASE_TIMEOUT });
  // Cancelled is not a failure.
  await expect(page.getByTestId('phase-error').filter({ hasText: 'failed' })).toHaveCount(0);
  await expect(page.getByTestId('phase-start')).toBeEnabled();
  await expect.poll(() => attrNumber(page.getByTestId('phase-progress'), 'aria-valuenow'), { message: 'the grid stopped short of its end' }).toBeLessThan(100);
  const map = page.getByTestId('phase-heatmap-omp').or(page.getByTestId('phase-empty'));
  await expect(map).toBeVisible();
  if (await page.getByTestId('phase-heatmap-omp').count()) {
    expect(await attrNumber(page.getByTestId('phase-heatmap-omp'), 'data-cells')).toBeLessThan(16 * 4);
  }
  const item = page.locator('[data-testid="run-list-item"][aria-current="true"]');
  await expect(item).toHaveAttribute('data-status', 'cancelled');
});

test('g. opens the finished experiment again from the project\'s past experiments', async () => {
  await page.getByTestId('phase-runs').selectOption(smallRunId);
  await expect(page.locator('[data-testid="run-list-item"][aria-current="true"]')).toHaveAttribute('data-run-id', smallRunId);
  await expect(phaseStatus()).toHaveText('finished');
  await expect(page.getByRole('heading', { name: 'small CSC' })).toBeVisible();
  await expect(page.getByTestId('phase-heatmap-omp')).toHaveAttribute('data-cells', '4');
  await expect(page.getByTestId('phase-progress')).toHaveAttribute('aria-valuenow', '100');
  await expectDrawn(page.getByTestId('phase-heatmap-layered-thr'), 'the saved layered-thr map', 3);

  // From the Pursuit view, the run list opens it in the Theory view.
  await page.getByTestId('view-tab-pursuit').click();
  await expect(page.getByTestId('run-form')).toBeVisible();
  await page.locator(`[data-testid="run-list-item"][data-run-id="${smallRunId}"]`).click();
  await expect(page.getByTestId('view-tab-theory')).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('phase-heatmap-omp')).toHaveAttribute('data-cells', '4');
  // The form keeps what was entered while the view was away.
  await expect(page.getByTestId('theory-size')).toHaveValue('128');
});

test('h. is usable at 1280×800: no sideways scrolling, the main controls in reach', async ({}, testInfo) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  try {
    await expect(page.getByTestId('theory-analyze')).toBeInViewport();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, 'the page does not scroll sideways').toBeLessThanOrEqual(0);
    for (const id of ['theory-form', 'theory-report', 'phase-panel', 'run-list']) {
      const box = await page.getByTestId(id).boundingBox();
      expect(box, `${id} is laid out`).not.toBeNull();
      expect(box!.x + box!.width, `${id} fits the width`).toBeLessThanOrEqual(1280 + 0.5);
    }
    const shot = testInfo.outputPath('theory-1280x800.png');
    await page.screenshot({ path: shot, animations: 'disabled', caret: 'hide' });
    await testInfo.attach('theory-1280x800.png', { path: shot, contentType: 'image/png' });
  } finally {
    await page.setViewportSize({ width: 1400, height: 1000 });
  }
});

test('i. screenshots of the Theory view, light and dark', async ({}, testInfo) => {
  // The experiment on show (the small one) goes back into the forms, so the picture is consistent.
  await page.getByTestId('phase-load-settings').click();
  await expect(page.getByTestId('phase-sparsities')).toHaveValue('1-4');
  await expect(page.getByTestId('phase-name')).toHaveValue('small CSC');
  await expect(page.getByTestId('phase-pursuit-layered-thr')).toBeChecked();
  await expect(page.getByTestId('theory-layer-1-kernel')).toHaveValue('16');
  // A report on show for the picture: the CSC default with a little noise.
  await page.getByTestId('theory-reset-form').click();
  await page.getByTestId('theory-noise-kind').selectOption('patch');
  await page.getByTestId('theory-noise-value').fill('0.05');
  await analyze();
  await expect(page.getByTestId('error-banner')).toHaveCount(0);
  const outDir = path.join(repoRoot, 'docs', 'screenshots');
  mkdirSync(outDir, { recursive: true });

  const toggle = page.getByTestId('theme-toggle');
  for (const theme of ['light', 'dark'] as const) {
    if ((await toggle.getAttribute('data-theme')) !== theme) await toggle.click();
    await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
    await page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))));
    await expectDrawn(page.getByTestId('coherence-heatmap-1'), `the coherence map (${theme})`, 3);
    await expectDrawn(page.getByTestId('phase-heatmap-omp'), `the phase map (${theme})`, 3);
    await page.mouse.move(0, 999);
    const full = testInfo.outputPath(`theory-${theme}-full-page.png`);
    const png = await page.screenshot({ path: full, animations: 'disabled', caret: 'hide', fullPage: true });
    writeFileSync(path.join(outDir, `theory-${theme}.png`), png);
    await testInfo.attach(`theory-${theme}-full-page.png`, { path: full, contentType: 'image/png' });
  }
  await toggle.click();
  await expect(toggle).toHaveAttribute('data-theme', 'light');
});
