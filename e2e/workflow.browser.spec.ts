/**
 * The first real workflow, end to end, in Chromium against the real server and engine (`sparseland serve`):
 * create a project (folder chosen in the in-app file browser), run the default ML-FISTA model and watch it
 * finish, cancel a long run and run again, run layered thresholding on a sample image chosen in the file
 * browser, find the runs again after a reload, see invalid settings refused, and take the README's
 * screenshots in both themes.
 *
 * The steps share one page and one project, in order (serial mode): each builds on the one before, as a
 * user's session does. If one fails, the later ones are skipped rather than failing for the same reason.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { sharePageAcrossSteps } from './support/shared-page';
import { expect, repoRoot, test } from './support/server';
import { csvLines, currentRunItem, downloadFrom, expectDrawn, fileBrowser, fileBrowserEntry, goToRoot, openWorkbench, takeExpectedError } from './support/workbench';

test.use({ serverFor: 'workflow' });
test.describe.configure({ mode: 'serial' });
sharePageAcrossSteps(test, (p, errors) => {
  page = p;
  pageErrors = errors;
});

/** A run of the default form (64×64 synthetic, 2 layers, ML-FISTA × 100) takes about a second; allow for a slow, busy machine. */
const RUN_TIMEOUT = 60_000;

let page: Page;
let pageErrors: string[];
let projectDir: string;
/** Objective points the first run showed live, to compare with what is shown again from disk. */
let firstRunPoints = 0;
let firstRunId = '';

const status = () => page.getByTestId('run-status');
const progress = () => page.getByTestId('run-progress');
const runItems = () => page.getByTestId('run-list-item');

async function attrNumber(testid: string, attr: string): Promise<number> {
  return Number((await page.getByTestId(testid).getAttribute(attr)) ?? 'NaN');
}

/** Records every value the progress bar takes from now on (the run is too quick to sample by polling). */
async function recordProgress(): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __progress: number[]; __progressObserver?: MutationObserver };
    w.__progressObserver?.disconnect();
    const bar = document.querySelector('[data-testid="run-progress"]')!;
    w.__progress = [];
    w.__progressObserver = new MutationObserver(() => w.__progress.push(Number(bar.getAttribute('aria-valuenow'))));
    w.__progressObserver.observe(bar, { attributes: true, attributeFilter: ['aria-valuenow'] });
  });
}

async function recordedProgress(): Promise<number[]> {
  return page.evaluate(() => (window as unknown as { __progress: number[] }).__progress);
}

async function startAndFinish(): Promise<string> {
  await expect(page.getByTestId('start-run-button')).toBeEnabled();
  await page.getByTestId('start-run-button').click();
  await expect(status()).toHaveText('finished', { timeout: RUN_TIMEOUT });
  await expect(progress()).toHaveAttribute('aria-valuenow', '100');
  const id = await currentRunItem(page).getAttribute('data-run-id');
  expect(id, 'the run on show is marked in the run list').toBeTruthy();
  await expect(currentRunItem(page)).toHaveAttribute('data-status', 'finished');
  return id!;
}

/** The run panel shows a finished multi-layer run completely: charts, per-layer table, images, atoms of every layer. */
async function expectRunShown(layers: number, size: string): Promise<void> {
  const chart = page.getByTestId('objective-chart');
  await expect.poll(() => attrNumber('objective-chart', 'data-points'), { message: 'the objective chart has points' }).toBeGreaterThan(0);
  await expect(page.getByTestId('density-chart')).toHaveAttribute('data-series', String(layers));
  await expect.poll(() => attrNumber('density-chart', 'data-points')).toBeGreaterThan(0);
  await expectDrawn(chart, 'the objective chart', 3);
  await expectDrawn(page.getByTestId('density-chart'), 'the density chart', 3);
  await expect(page.getByTestId('layer-summary').locator('tbody tr')).toHaveCount(layers);
  await expect(page.getByTestId('input-canvas')).toHaveAttribute('data-size', size);
  await expect(page.getByTestId('reconstruction-canvas')).toHaveAttribute('data-size', size);
  await expectDrawn(page.getByTestId('input-canvas'), 'the input image', 8);
  await expectDrawn(page.getByTestId('reconstruction-canvas'), 'the reconstruction', 8);
  for (let l = 1; l <= layers; l++) {
    await expect(page.getByTestId(`atoms-layer-${l}`)).toHaveAttribute('data-atom-size', /^\d+x\d+$/);
    await expectDrawn(page.getByTestId(`atoms-layer-${l}-canvas`), `the atoms of layer ${l}`, 8);
  }
  await expect(page.getByTestId(`atoms-layer-${layers + 1}`)).toHaveCount(0);
}

test('a. creates a project in a folder chosen with the in-app file browser', async ({ server }) => {
  // A folder to walk into and back out of.
  mkdirSync(path.join(server.tmp, 'datasets', 'mnist'), { recursive: true });
  projectDir = path.join(server.tmp, 'proj');

  await openWorkbench(page, server.url);
  await expect(page.getByTestId('current-project')).toHaveAttribute('data-dir', '');
  await expect(page.getByTestId('start-hint')).toContainText('Create or open a project');
  await expect(page.getByTestId('start-run-button')).toBeDisabled();
  await expect(status()).toHaveText('idle');

  await page.getByTestId('new-project-button').click();
  const dialog = page.getByTestId('new-project-dialog');
  await expect(dialog).toBeVisible();
  // Creating without name or folder says what is missing.
  await dialog.getByTestId('create-project-button').click();
  await expect(dialog).toContainText('Give the project a name.');
  await expect(dialog.getByTestId('project-dir-error')).toHaveText('Choose or type the folder for the project.');
  await dialog.getByTestId('project-name-input').fill('E2E workflow');

  await dialog.getByTestId('project-dir-browse').click();
  const fb = fileBrowser(page);
  await expect(fb).toBeVisible();
  // It starts in the first allowed root, and offers every root as a place.
  await expect(fb.getByTestId('file-browser-path')).toHaveValue(server.tmp);
  await expect(fb.getByTestId('file-browser-root')).toHaveCount(2);
  // Folder mode lists folders only: the samples root has none.
  await goToRoot(page, server.samples);
  await expect(fb.getByTestId('file-browser-entry')).toHaveCount(0);
  await expect(fb.getByTestId('file-browser-entries')).toContainText('No folders here.');
  await goToRoot(page, server.tmp);
  // In and out of a folder: click opens it, Up goes back.
  await fileBrowserEntry(page, 'datasets').click();
  await expect(fb.getByTestId('file-browser-path')).toHaveValue(path.join(server.tmp, 'datasets'));
  await expect(fileBrowserEntry(page, 'mnist')).toHaveAttribute('data-kind', 'directory');
  await fb.getByTestId('file-browser-parent').click();
  await expect(fb.getByTestId('file-browser-path')).toHaveValue(server.tmp);
  // The root's parent is outside every root: no way up.
  await expect(fb.getByTestId('file-browser-parent')).toBeDisabled();
  await fb.getByTestId('file-browser-choose-folder').click();
  await expect(fb).toBeHidden();
  await expect(dialog.getByTestId('project-dir-input')).toHaveValue(server.tmp);

  // The project goes in a new folder under the chosen one.
  await dialog.getByTestId('project-dir-input').fill(projectDir);
  await dialog.getByTestId('create-project-button').click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('current-project')).toHaveAttribute('data-dir', projectDir);
  await expect(page.getByTestId('current-project-name')).toHaveText('E2E workflow');
  await expect(page.getByTestId('run-list-empty')).toBeVisible();
  await expect(page.getByTestId('start-run-button')).toBeEnabled();
  expect(existsSync(path.join(projectDir, 'project.json')), 'the project is on disk').toBe(true);
});

test('b. runs the default synthetic 2-layer ML-FISTA to the end: progress, status, charts, atoms, images', async () => {
  await expect(page.getByTestId('layer-count-select')).toHaveValue('2');
  await expect(page.getByTestId('algorithm-select')).toHaveValue('ml-fista');
  await expect(page.getByTestId('source-kind-select')).toHaveValue('synthetic');
  await expect(page.getByTestId('geometry')).toHaveText('Y 1×64×64 → Γ1 8×30×30 → Γ2 16×28×28');
  await page.getByTestId('run-name-input').fill('default ML-FISTA');
  await recordProgress();

  firstRunId = await startAndFinish();

  // The bar only moved forward, and ended full.
  const seen = await recordedProgress();
  expect(seen.length, 'the progress bar moved').toBeGreaterThan(0);
  expect(seen.at(-1)).toBe(100);
  for (let i = 1; i < seen.length; i++) expect(seen[i]!, `progress never goes back (${seen.join(', ')})`).toBeGreaterThanOrEqual(seen[i - 1]!);
  await expect(page.getByTestId('run-progress-text')).toContainText('iteration 100 / 100');
  await expect(page.getByTestId('run-final-objective')).toHaveText(/objective \d/);
  await expect(page.getByRole('heading', { name: 'default ML-FISTA' })).toBeVisible();

  await expectRunShown(2, '64x64');
  await expect(page.getByTestId('atoms-layer-1')).toHaveAttribute('data-count', '8');
  await expect(page.getByTestId('atoms-layer-1')).toHaveAttribute('data-atom-size', '6x6');
  await expect(page.getByTestId('atoms-layer-2')).toHaveAttribute('data-count', '16');
  firstRunPoints = await attrNumber('objective-chart', 'data-points');

  // The objective curve leaves as vector graphics and as data, one CSV row per point drawn.
  const card = page.getByTestId('objective-chart-card');
  const svg = await downloadFrom(page, card.getByTestId('export-svg'));
  expect(svg.name).toBe(`${firstRunId}-objective.svg`);
  expect(svg.bytes.toString('utf8')).toMatch(/<svg[\s>][\s\S]*<path/);
  const csv = csvLines((await downloadFrom(page, card.getByTestId('export-csv'))).bytes);
  expect(csv.length - 1).toBe(firstRunPoints);

  await expect(runItems()).toHaveCount(1);
  await expect(runItems().first()).toHaveAttribute('data-status', 'finished');
  await expect(runItems().first().getByTestId('run-list-item-objective')).toHaveText(/^obj /);
  await expect(page.getByTestId('cancel-run-button')).toBeDisabled();
});

test('c. cancels a long 3-layer layered-BP run quickly, then finishes another', async () => {
  await page.getByTestId('layer-count-select').selectOption('3');
  await expect(page.getByTestId('layer-3')).toBeVisible();
  await page.getByTestId('algorithm-select').selectOption('layered-bp');
  await page.getByTestId('iterations-input').fill('20000');
  await page.getByTestId('run-name-input').fill('long layered BP');
  await page.getByTestId('start-run-button').click();

  await expect(status()).toHaveText(/queued|running/);
  // Layered BP runs its iterations once per layer.
  await expect(page.getByTestId('run-progress-text')).toContainText('/ 60000');
  // At least one progress update has arrived.
  await expect(page.getByTestId('run-progress-text')).toHaveText(/iteration [1-9]\d* \/ 60000/, { timeout: RUN_TIMEOUT });
  await expect(status()).toHaveText('running');
  await expect(page.getByTestId('start-run-button')).toBeDisabled();
  const longRunId = await currentRunItem(page).getAttribute('data-run-id');
  await expect(currentRunItem(page)).toHaveAttribute('data-status', 'running');

  const cancel = page.getByTestId('cancel-run-button');
  await expect(cancel).toBeEnabled();
  const clicked = Date.now();
  await cancel.click();
  await expect(status()).toHaveText('cancelled', { timeout: 5_000 });
  const cancelMs = Date.now() - clicked;
  test.info().annotations.push({ type: 'cancel latency', description: `${cancelMs} ms` });
  // Cancelling is not a failure.
  await expect(page.getByTestId('run-error').filter({ hasText: 'Run failed' })).toHaveCount(0);
  await expect(page.getByTestId('start-run-button')).toBeEnabled();
  await expect(page.locator(`[data-testid="run-list-item"][data-run-id="${longRunId}"]`)).toHaveAttribute('data-status', 'cancelled');
  const stoppedAt = Number(/iteration (\d+)/.exec((await page.getByTestId('run-progress-text').textContent()) ?? '')?.[1]);
  expect(stoppedAt, 'the run stopped long before its 60000 iterations').toBeLessThan(60_000);

  // Back to the defaults, and a run that finishes.
  await page.getByTestId('reset-form-button').click();
  await expect(page.getByTestId('layer-count-select')).toHaveValue('2');
  await expect(page.getByTestId('algorithm-select')).toHaveValue('ml-fista');
  await expect(page.getByTestId('start-run-button')).toBeEnabled();
  const secondId = await startAndFinish();

  await expect(runItems()).toHaveCount(3);
  // Newest first.
  expect(await runItems().evaluateAll((items) => items.map((i) => [i.getAttribute('data-run-id'), i.getAttribute('data-status')]))).toEqual([
    [secondId, 'finished'],
    [longRunId, 'cancelled'],
    [firstRunId, 'finished'],
  ]);
  await expect(runItems().getByTestId('run-list-item-status')).toHaveText(['finished', 'cancelled', 'finished']);
});

test('d. runs layered thresholding on camera.png chosen in the file browser', async ({ server }) => {
  await page.getByTestId('source-kind-select').selectOption('file');
  await page.getByTestId('source-file-browse').click();
  const fb = fileBrowser(page);
  await expect(fb).toBeVisible();
  await goToRoot(page, server.samples);
  // The PNG/NPY filter hides other files until "All files" is chosen.
  await expect(fileBrowserEntry(page, 'camera.png')).toBeVisible();
  await expect(fileBrowserEntry(page, 'LICENSE.md')).toHaveCount(0);
  await fb.getByTestId('file-browser-filter').selectOption({ label: 'All files' });
  await expect(fileBrowserEntry(page, 'LICENSE.md')).toBeVisible();
  await fb.getByTestId('file-browser-filter').selectOption({ index: 0 });
  await expect(fileBrowserEntry(page, 'LICENSE.md')).toHaveCount(0);

  const camera = path.join(server.samples, 'camera.png');
  await fileBrowserEntry(page, 'camera.png').click();
  await expect(fb.getByTestId('file-browser-selected')).toHaveText(camera);
  await fb.getByTestId('file-browser-select').click();
  await expect(fb).toBeHidden();
  await expect(page.getByTestId('source-file-input')).toHaveValue(camera);

  // What the host read from the file.
  await expect(page.getByTestId('data-info-shape')).toHaveText(/^\[(1, )*512, 512\]$/);
  await expect(page.getByTestId('data-info-dtype')).not.toBeEmpty();
  await expect(page.getByTestId('data-info-range')).toContainText('…');
  await expect(page.getByTestId('geometry')).toContainText('Y 1×512×512');

  await expect(page.getByTestId('layer-count-select')).toHaveValue('2');
  await page.getByTestId('algorithm-select').selectOption('layered-thr');
  // A single pass: no iterations to choose, one threshold β per layer.
  await expect(page.getByTestId('iterations-input')).toBeDisabled();
  await expect(page.getByText('β1 (threshold)')).toBeVisible();
  await page.getByTestId('run-name-input').fill('camera layered THR');

  await startAndFinish();
  await expect(page.getByTestId('layer-summary').locator('tbody tr')).toHaveCount(2);
  await expect(page.getByTestId('input-canvas')).toHaveAttribute('data-size', '512x512');
  await expect(page.getByTestId('reconstruction-canvas')).toHaveAttribute('data-size', '512x512');
  await expectDrawn(page.getByTestId('input-canvas'), 'the camera image', 32);
  await expectDrawn(page.getByTestId('reconstruction-canvas'), 'its reconstruction', 8);
  await expectDrawn(page.getByTestId('atoms-layer-1-canvas'), 'the atoms of layer 1', 8);
  await expectDrawn(page.getByTestId('atoms-layer-2-canvas'), 'the atoms of layer 2', 8);
  await expect(runItems()).toHaveCount(4);
});

test('e. lists the past runs after a reload and after opening the project again, and shows a saved run', async () => {
  await page.reload();
  await expect(page.getByTestId('run-form')).toBeVisible();
  await expect(page.getByTestId('connection-error')).toHaveCount(0);
  await expect(page.getByTestId('current-project')).toHaveAttribute('data-dir', projectDir);
  await expect(runItems()).toHaveCount(4);
  await expect(runItems().getByTestId('run-list-item-status')).toHaveText(['finished', 'finished', 'cancelled', 'finished']);
  await expect(status()).toHaveText('idle');

  // Open it again from the recent projects.
  await page.getByTestId('open-project-button').click();
  const dialog = page.getByTestId('open-project-dialog');
  await expect(dialog).toBeVisible();
  const recent = dialog.locator(`[data-testid="recent-project-item"][data-dir="${projectDir}"]`);
  await expect(recent).toContainText('E2E workflow');
  await recent.click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('current-project')).toHaveAttribute('data-dir', projectDir);
  await expect(runItems()).toHaveCount(4);

  // The first run, from disk: the same objective curve as it showed live, its atoms and images.
  await page.locator(`[data-testid="run-list-item"][data-run-id="${firstRunId}"]`).click();
  await expect(currentRunItem(page)).toHaveAttribute('data-run-id', firstRunId);
  await expect(status()).toHaveText('finished');
  await expect(page.getByRole('heading', { name: 'default ML-FISTA' })).toBeVisible();
  await expect(progress()).toHaveAttribute('aria-valuenow', '100');
  await expectRunShown(2, '64x64');
  expect(await attrNumber('objective-chart', 'data-points'), 'the saved objective curve has the points shown live').toBe(firstRunPoints);
});

test('g. screenshots of the workbench after a finished run, light and dark', async ({}, testInfo) => {
  // The first run is on show (step e); its settings go into the form, so the picture is consistent.
  await page.getByTestId('load-config-button').click();
  await expect(page.getByTestId('run-name-input')).toHaveValue('default ML-FISTA');
  await expect(page.getByTestId('algorithm-select')).toHaveValue('ml-fista');
  await expect(page.getByTestId('form-errors')).toHaveCount(0);
  await expect(page.getByTestId('error-banner')).toHaveCount(0);
  expect(page.viewportSize()).toEqual({ width: 1400, height: 1000 });
  const outDir = path.join(repoRoot, 'docs', 'screenshots');
  mkdirSync(outDir, { recursive: true });

  const toggle = page.getByTestId('theme-toggle');
  for (const theme of ['light', 'dark'] as const) {
    if ((await toggle.getAttribute('data-theme')) !== theme) await toggle.click();
    await expect(toggle).toHaveAttribute('data-theme', theme);
    await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
    // Charts and atoms redraw with the theme's palette on the next frames.
    await page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))));
    await expectDrawn(page.getByTestId('objective-chart'), `the objective chart (${theme})`, 3);
    await page.mouse.move(0, 999); // no hover effects or tooltips in the picture
    // Attached by path (not body), so the JSON report stays small.
    const artifact = testInfo.outputPath(`workbench-${theme}.png`);
    await page.screenshot({ path: artifact, animations: 'disabled', caret: 'hide' });
    await testInfo.attach(`workbench-${theme}.png`, { path: artifact, contentType: 'image/png' });
    // At 1400×1000 the atom grids lie below the fold: the README shows the whole page, atoms included.
    await expectDrawn(page.getByTestId('atoms-layer-2-canvas'), `the atoms of layer 2 (${theme})`, 8);
    const full = testInfo.outputPath(`workbench-${theme}-full-page.png`);
    const png = await page.screenshot({ path: full, animations: 'disabled', caret: 'hide', fullPage: true });
    writeFileSync(path.join(outDir, `workbench-${theme}.png`), png);
    await testInfo.attach(`workbench-${theme}-full-page.png`, { path: full, contentType: 'image/png' });
  }
  // The two themes really differ.
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await toggle.click();
  await expect(toggle).toHaveAttribute('data-theme', 'light');
  expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).not.toBe(bg);
});

test('f. invalid settings are refused with a clear message, and nothing crashes', async ({ server }) => {
  await page.getByTestId('reset-form-button').click();
  const before = await runItems().count();
  const start = page.getByTestId('start-run-button');

  // λ1 left empty: an inline error, a summary, the keyboard taken to the field; no run.
  await page.getByTestId('lambda-1').fill('');
  await start.click();
  await expect(page.getByTestId('form-errors')).toContainText('One setting needs attention');
  await expect(page.getByTestId('lambda-1-error')).toHaveText('Enter a number.');
  await expect(page.getByTestId('lambda-1')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByTestId('lambda-1')).toBeFocused();
  // Fixing it clears the error as the user types.
  await page.getByTestId('lambda-1').fill('0.05');
  await expect(page.getByTestId('lambda-1-error')).toHaveCount(0);
  await expect(page.getByTestId('form-errors')).toHaveCount(0);

  // A kernel bigger than the image.
  await page.getByTestId('synthetic-height').fill('16');
  await page.getByTestId('synthetic-width').fill('16');
  await page.getByTestId('layer-1-kernel').fill('24');
  await start.click();
  await expect(page.getByTestId('layer-1-kernel-error')).toContainText('does not fit the 16×16 input of layer 1');
  await expect(page.getByTestId('form-errors')).toBeVisible();
  await expect(page.getByTestId('layer-1-kernel')).toBeFocused();

  // Out of the schema's range.
  await page.getByTestId('layer-1-kernel').fill('100');
  await expect(page.getByTestId('layer-1-kernel-error')).toHaveText('Must be at most 64.');
  await expect(runItems()).toHaveCount(before);

  // A file outside the folders the server may use: the host refuses, the banner says so.
  await page.getByTestId('reset-form-button').click();
  await page.getByTestId('source-kind-select').selectOption('file');
  await page.getByTestId('source-file-input').fill('/etc/hostname');
  await page.getByTestId('source-file-input').press('Enter');
  await expect(page.getByTestId('data-inspect-error')).toContainText('outside the folders this server may use');
  await start.click();
  const banner = page.getByTestId('error-banner-message');
  await expect(banner).toHaveAttribute('data-code', 'forbidden');
  await expect(banner).toContainText('Starting the run failed');
  await expect(banner).toContainText('outside the folders this server may use');
  await expect(runItems()).toHaveCount(before);
  // The app logs what it shows in the banner: that one console error is expected.
  takeExpectedError(pageErrors, /^console\.error: Starting the run StudioError: data file \/etc\/hostname is outside/);
  await page.getByTestId('error-banner-dismiss').click();
  await expect(page.getByTestId('error-banner')).toHaveCount(0);

  // A file that does not exist: the run starts, fails, and says why.
  await page.getByTestId('source-file-input').fill(path.join(server.tmp, 'missing.png'));
  await page.getByTestId('source-file-input').press('Enter');
  await expect(page.getByTestId('data-inspect-error')).toBeVisible();
  await start.click();
  await expect(status()).toHaveText('failed', { timeout: RUN_TIMEOUT });
  await expect(page.getByTestId('run-error')).toContainText('Run failed');
  await expect(page.getByTestId('run-error')).toContainText('missing.png');
  await expect(runItems()).toHaveCount(before + 1);
  await expect(currentRunItem(page)).toHaveAttribute('data-status', 'failed');

  // Still alive: the defaults run.
  await page.getByTestId('reset-form-button').click();
  await startAndFinish();
  await expect(page.getByTestId('connection-error')).toHaveCount(0);
});
