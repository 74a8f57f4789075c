/**
 * The Data view, end to end, in Chromium against the real server and engine: create a project, import a
 * file of every format through the import dialog and the in-app file browser (PNG gray and colour, JPEG,
 * a two-page TIFF, BMP, a folder of images, IDX and IDX.gz, NPY, an NPZ with an array chosen, MAT v5 and
 * v7.3, CSV of 1-D signals), each shown with its shape and its thumbnails drawn; one import with
 * preprocessing (grayscale → scale01 → patches → split) and its recorded steps and test split; a file that
 * is not what its name says refused with its name; files dropped on the view uploaded as one image folder;
 * "Train on this data set"; "Pursue an item" (a pursuit run on one test item of a data set); removing a data set;
 * and a screenshot.
 *
 * The steps share one page and one project, in order (serial mode), as a user's session does.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { writeDataFixtures, type DataFixture } from './support/data-files';
import { sharePageAcrossSteps } from './support/shared-page';
import { expect, repoRoot, test } from './support/server';
import { expectDrawn, fileBrowser, fileBrowserEntry, goToRoot, openWorkbench, takeExpectedError } from './support/workbench';

test.use({ serverFor: 'data' });
test.describe.configure({ mode: 'serial' });
sharePageAcrossSteps(test, (p, errors) => {
  page = p;
  pageErrors = errors;
});

let page: Page;
let pageErrors: string[];
let dataDir: string;
let fixtures: DataFixture[] = [];
let files: ReturnType<typeof writeDataFixtures>;

test.beforeAll(async ({ server }) => {
  dataDir = path.join(server.tmp, 'data');
  files = writeDataFixtures(dataDir);
  fixtures = files.fixtures;
});

const dialog = () => page.getByTestId('data-import-dialog');
const items = () => page.getByTestId('dataset-item');
const selectedItem = () => page.locator('[data-testid="dataset-item"][aria-selected="true"]');

/** Opens the import dialog and chooses `name` (a file, or a folder) in the data folder with the in-app file browser. */
async function chooseInDialog(server: { tmp: string }, name: string, kind: 'file' | 'folder'): Promise<void> {
  await page.getByTestId('data-import-button').click();
  await expect(dialog()).toBeVisible();
  await dialog().getByTestId(kind === 'file' ? 'data-import-file-browse' : 'data-import-folder-browse').click();
  const fb = fileBrowser(page);
  await expect(fb).toBeVisible();
  if ((await fb.getByTestId('file-browser-path').inputValue()) !== dataDir) {
    await goToRoot(page, server.tmp);
    await fileBrowserEntry(page, 'data').click();
    await expect(fb.getByTestId('file-browser-path')).toHaveValue(dataDir);
  }
  if (kind === 'file') {
    await fileBrowserEntry(page, name).click();
    await expect(fb.getByTestId('file-browser-selected')).toHaveText(path.join(dataDir, name));
    await fb.getByTestId('file-browser-select').click();
  } else {
    await fileBrowserEntry(page, name).click();
    await expect(fb.getByTestId('file-browser-path')).toHaveValue(path.join(dataDir, name));
    await fb.getByTestId('file-browser-choose-folder').click();
  }
  await expect(fb).toBeHidden();
  await expect(dialog().getByTestId('data-import-path-input')).toHaveValue(path.join(dataDir, name));
}

/** The data set just imported is selected, listed with its shape and drawn. */
async function expectImported(name: string, format: string, shape: string): Promise<string> {
  await expect(dialog()).toBeHidden({ timeout: 30_000 });
  const item = selectedItem();
  await expect(item.getByTestId('dataset-item-name')).toHaveText(name);
  await expect(item).toHaveAttribute('data-format', format);
  await expect(item).toHaveAttribute('data-shape', shape);
  await expect(item.getByTestId('dataset-item-shape')).toHaveText(shape);
  const detail = page.getByTestId('dataset-detail');
  await expect(detail.getByTestId('dataset-name')).toHaveText(name);
  await expect(detail.getByTestId('dataset-shape')).toHaveAttribute('data-shape', shape);
  const n = Number(shape.split('×')[0]);
  await expect(detail.getByTestId('dataset-thumbnails')).toHaveAttribute('data-count', String(Math.min(n, 64)));
  await expectDrawn(detail.getByTestId('dataset-thumbnails-canvas'), `the thumbnails of ${name}`);
  const channels = Number(shape.split('×')[1]);
  await expect(detail.getByTestId('dataset-channel')).toHaveCount(channels);
  return (await item.getAttribute('data-dataset-id'))!;
}

test('a. creates a project; the Data view offers import once there is one', async ({ server }) => {
  await openWorkbench(page, server.url);
  await page.getByTestId('view-tab-data').click();
  await expect(page.getByTestId('data-view')).toBeVisible();
  await expect(page.getByTestId('data-no-project')).toBeVisible();
  await expect(page.getByTestId('data-import-button')).toBeDisabled();

  await page.getByTestId('new-project-button').click();
  const create = page.getByTestId('new-project-dialog');
  await create.getByTestId('project-name-input').fill('E2E data');
  await create.getByTestId('project-dir-input').fill(path.join(server.tmp, 'proj'));
  await create.getByTestId('create-project-button').click();
  await expect(create).toBeHidden();
  await expect(page.getByTestId('current-project')).toHaveAttribute('data-dir', path.join(server.tmp, 'proj'));
  await expect(page.getByTestId('data-list-empty')).toBeVisible();
  await expect(page.getByTestId('data-drop-zone')).toBeVisible();
  await expect(page.getByTestId('data-import-button')).toBeEnabled();
});

test('b. imports every format through the file browser: shape listed, thumbnails drawn', async ({ server }) => {
  test.setTimeout(120_000);
  expect(fixtures.map((f) => f.file), 'a MAT v7.3 fixture is available (jsfive’s test.h5)').toContain('v73.mat');
  for (const f of fixtures) {
    await chooseInDialog(server, f.file, f.kind);
    await expect(dialog().getByTestId('data-import-name')).toHaveValue(f.name);
    if (f.array) await dialog().getByTestId('data-import-array').fill(f.array);
    else await expect(dialog().getByTestId('data-import-array')).toHaveCount(0);
    await dialog().getByTestId('data-import-submit').click();
    await expectImported(f.name, f.format, f.shape);
    if (f.array) await expect(page.getByTestId('dataset-array')).toHaveText(f.array);
  }
  await expect(items()).toHaveCount(fixtures.length);

  // What the detail tells of the NPZ: the chosen array, its labels, the source, the stored file.
  await items().filter({ hasText: 'arrays' }).click();
  const detail = page.getByTestId('dataset-detail');
  await expect(detail.getByTestId('dataset-name')).toHaveText('arrays');
  await expect(detail.getByTestId('dataset-source-shape')).toHaveAttribute('data-shape', '5×8×8');
  await expect(detail.getByTestId('dataset-labels')).toHaveAttribute('data-labels', 'true');
  await expect(detail.getByTestId('dataset-source')).toHaveText(path.join(dataDir, 'arrays.npz'));
  await expect(detail.getByTestId('dataset-stored')).toHaveAttribute('data-stored', 'reference');
  await expect(detail.locator('[data-testid="dataset-file"][data-role="data"]')).toContainText('data.npy');
  await expect(detail.getByTestId('dataset-test-items')).toHaveAttribute('data-test-items', '0');
  await expect(detail.getByTestId('dataset-preprocessing-none')).toBeVisible();
  // The colour PNG has three channels with their own statistics.
  await items().filter({ hasText: 'colour' }).click();
  await expect(detail.getByTestId('dataset-channel')).toHaveCount(3);
  await expectDrawn(detail.getByTestId('dataset-thumbnails-canvas'), 'the thumbnails of colour');
});

test('c. imports with preprocessing: grayscale → scale01 → patches → split, recorded in order', async ({ server }, testInfo) => {
  await chooseInDialog(server, files.preprocess, 'file');
  await dialog().getByTestId('data-import-name').fill('patches of prep');
  await dialog().getByTestId('data-import-stored-copy').check();
  const addStep = async (op: string) => {
    await dialog().getByTestId('preprocess-add-select').selectOption(op);
    await dialog().getByTestId('preprocess-add-button').click();
  };
  // Added out of order, then moved: the order is what is recorded.
  await addStep('scale01');
  await addStep('grayscale');
  await dialog().getByTestId('preprocess-step-2-up').click();
  await addStep('patches');
  await addStep('split');
  const steps = dialog().getByTestId('preprocess-step');
  await expect(steps).toHaveCount(4);
  expect(await steps.evaluateAll((els) => els.map((e) => e.getAttribute('data-op')))).toEqual(['grayscale', 'scale01', 'patches', 'split']);
  // A wrong value is refused before anything is sent, naming the step and field.
  await dialog().getByTestId('preprocess-step-3-size').fill('1');
  await dialog().getByTestId('preprocess-step-3-stride').fill('8');
  await dialog().getByTestId('data-import-submit').click();
  await expect(dialog().getByTestId('preprocess-step-3-size-error')).toHaveText('Step 3 (patches), size: Must be at least 2.');
  await expect(dialog().getByTestId('data-import-errors')).toBeVisible();
  await dialog().getByTestId('preprocess-step-3-size').fill('8');
  await dialog().getByTestId('preprocess-step-4-testFraction').fill('0.25');
  await expect(dialog().getByTestId('data-import-errors')).toHaveCount(0);
  const shot = testInfo.outputPath('import-dialog.png');
  await dialog().screenshot({ path: shot, animations: 'disabled', caret: 'hide' });
  await testInfo.attach('import-dialog.png', { path: shot, contentType: 'image/png' });
  await dialog().getByTestId('data-import-submit').click();

  // 32×32 → 16 patches of 8×8 → 4 to test, 12 to train.
  await expectImported('patches of prep', 'image', '12×1×8×8');
  const detail = page.getByTestId('dataset-detail');
  await expect(detail.getByTestId('dataset-test-items')).toHaveAttribute('data-test-items', '4');
  await expect(detail.getByTestId('dataset-source-shape')).toHaveAttribute('data-shape', '32×32×3');
  const recorded = detail.getByTestId('dataset-step');
  expect(await recorded.evaluateAll((els) => els.map((e) => e.getAttribute('data-op')))).toEqual(['grayscale', 'scale01', 'patches', 'split']);
  await expect(recorded.nth(2)).toHaveText('patches 8×8, stride 8, seed 0');
  await expect(recorded.nth(3)).toHaveText('split 0.25 to test, seed 0');
  await expect(detail.getByTestId('dataset-range')).toHaveAttribute('data-min', '0');
  await expect(detail.getByTestId('dataset-stored')).toHaveAttribute('data-stored', 'copy');
  await expect(detail.getByTestId('dataset-copy-path')).toContainText('prep.png');
  await expect(detail.locator('[data-testid="dataset-file"][data-role="test"]')).toContainText('test.npy');
});

test('d. a file that is not what its name says is refused, naming the file', async ({ server }) => {
  const before = await items().count();
  await chooseInDialog(server, files.bad, 'file');
  await dialog().getByTestId('data-import-submit').click();
  await expect(dialog().getByTestId('data-import-error')).toContainText('bad.png');
  await expect(page.getByTestId('error-banner-message')).toContainText('bad.png');
  takeExpectedError(pageErrors, /bad\.png/);
  await expect(dialog()).toBeVisible();
  await dialog().getByTestId('data-import-cancel').click();
  await expect(dialog()).toBeHidden();
  await expect(items()).toHaveCount(before);
  await page.getByTestId('error-banner-dismiss').click();
});

test('e. files dropped on the view are uploaded: two images become one image folder; a bad file is named', async () => {
  const before = await items().count();
  const zone = page.getByTestId('data-drop-zone');
  const junk = { name: 'junk.npy', bytes: Array.from(new TextEncoder().encode('not an array')) };
  const transfer = await page.evaluateHandle((dropped) => {
    const dt = new DataTransfer();
    for (const f of dropped) dt.items.add(new File([new Uint8Array(f.bytes)], f.name));
    return dt;
  }, [...files.dropped, junk]);
  await zone.dispatchEvent('dragenter', { dataTransfer: transfer });
  await expect(zone).toHaveAttribute('data-active', 'true');
  await zone.dispatchEvent('drop', { dataTransfer: transfer });
  await expect(zone).toHaveAttribute('data-active', 'false');
  const outcomes = page.getByTestId('data-drop-outcome');
  await expect(outcomes).toHaveCount(3, { timeout: 30_000 });
  for (const name of ['drop1.png', 'drop2.png']) await expect(outcomes.and(page.locator(`[data-name="${name}"]`))).toHaveAttribute('data-ok', 'true');
  const failed = outcomes.and(page.locator('[data-name="junk.npy"]'));
  await expect(failed).toHaveAttribute('data-ok', 'false');
  await expect(failed).toContainText('junk.npy');
  await expect(page.getByTestId('error-banner-message')).toContainText('junk.npy');
  takeExpectedError(pageErrors, /junk\.npy/);
  await page.getByTestId('error-banner-dismiss').click();
  await expect(items()).toHaveCount(before + 1);
  await expectImported('drop1 (2 images)', 'image-folder', '2×1×8×8');
});

test('f. "Train on this data set" puts it in the Learn form, and a session learns from it', async () => {
  await items().filter({ hasText: 'patches of prep' }).click();
  const id = await selectedItem().getAttribute('data-dataset-id');
  await page.getByTestId('dataset-train-button').click();
  await expect(page.getByTestId('view-tab-learn')).toHaveAttribute('aria-selected', 'true');
  const kinds = page.getByTestId('learn-data-kind-select');
  const offered = await kinds.locator('option').evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value));
  expect(offered, 'the first method learns from data sets of the project').toContain('dataset');
  await expect(kinds).toHaveValue('dataset');
  await expect(page.getByTestId('learn-dataset-select')).toHaveValue(id!);
  await expect(page.getByTestId('learn-dataset-info')).toContainText('12 items · 1 channel · 8×8 · 4 test items');
  // A tiny convolutional dictionary learnt on the data set's training items, to the end.
  await page.getByTestId('learn-method-select').selectOption('cdl');
  await expect(kinds).toHaveValue('dataset');
  await expect(page.getByTestId('learn-dataset-select')).toHaveValue(id!);
  await page.getByTestId('learn-param-filters').fill('4');
  await page.getByTestId('learn-param-kernel').fill('5');
  await page.getByTestId('learn-param-codingIterations').fill('5');
  await page.getByTestId('learn-iterations-input').fill('2');
  await page.getByTestId('learn-name-input').fill('CDL on patches of prep');
  await page.getByTestId('learn-start-button').click();
  await expect(page.getByTestId('learn-status')).toHaveText('finished', { timeout: 45_000 });
  await expect(page.getByTestId('learn-atoms-layer-1')).toHaveAttribute('data-count', '4');
  await page.getByTestId('view-tab-data').click();
  await expect(selectedItem()).toHaveAttribute('data-dataset-id', id!);
});

test('g. "Pursue an item" makes an item of the data set the Pursuit input, bounded by N, and the run draws it', async () => {
  await items().filter({ hasText: 'patches of prep' }).click();
  const id = await selectedItem().getAttribute('data-dataset-id');
  await page.getByTestId('dataset-pursue-button').click();
  await expect(page.getByTestId('view-tab-pursuit')).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('source-kind-select')).toHaveValue('dataset');
  await expect(page.getByTestId('source-dataset-select')).toHaveValue(id!);
  await expect(page.getByTestId('source-dataset-info')).toContainText('12 items · 1 channel · 8×8 · 4 test items');
  await page.getByTestId('source-dataset-split-select').selectOption('test');
  // Two small layers on the 8×8 item: 8 → 6 → 4.
  await page.getByTestId('layer-count-select').selectOption('2');
  for (const l of [1, 2]) {
    await page.getByTestId(`layer-${l}-kernel`).fill('3');
    await page.getByTestId(`layer-${l}-stride`).fill('1');
  }
  await page.getByTestId('algorithm-select').selectOption('ml-fista');
  await page.getByTestId('iterations-input').fill('10');
  await page.getByTestId('run-name-input').fill('ML-FISTA on a test patch');
  await expect(page.getByTestId('geometry')).toContainText('Y 1×8×8 → Γ1 8×6×6 → Γ2 16×4×4');
  // The test split has 4 items: index 4 is refused before anything is sent, naming the field and N.
  await page.getByTestId('source-dataset-index').fill('4');
  await page.getByTestId('start-run-button').click();
  await expect(page.getByTestId('source-dataset-index-error')).toContainText('Item index must be below N = 4');
  await page.getByTestId('source-dataset-index').fill('3');
  await expect(page.getByTestId('source-dataset-index-error')).toHaveCount(0);
  await page.getByTestId('start-run-button').click();
  await expect(page.getByTestId('run-status')).toHaveText('finished', { timeout: 30_000 });
  await expect(page.getByTestId('input-canvas')).toHaveAttribute('data-size', '8x8');
  await expectDrawn(page.getByTestId('input-canvas'), 'the data set item', 4);
  await page.getByTestId('view-tab-data').click();
  await expect(page.getByTestId('data-view')).toBeVisible();
});

test('h. screenshot of the Data view, then removing a data set asks first', async ({}, testInfo) => {
  await items().filter({ hasText: 'colour' }).click();
  await expectDrawn(page.getByTestId('dataset-thumbnails-canvas'), 'the thumbnails of colour');
  await page.mouse.move(0, 999);
  const outDir = path.join(repoRoot, 'docs', 'screenshots');
  mkdirSync(outDir, { recursive: true });
  const full = testInfo.outputPath('data-view.png');
  const png = await page.screenshot({ path: full, animations: 'disabled', caret: 'hide', fullPage: true });
  writeFileSync(path.join(outDir, 'data-view.png'), png);

  const before = await items().count();
  await page.getByTestId('dataset-remove-button').click();
  const confirm = page.getByTestId('dataset-remove-dialog');
  await expect(confirm).toBeVisible();
  await confirm.getByTestId('dataset-remove-cancel').click();
  await expect(items()).toHaveCount(before);
  await page.getByTestId('dataset-remove-button').click();
  await confirm.getByTestId('dataset-remove-confirm').click();
  await expect(items()).toHaveCount(before - 1);
  await expect(items().filter({ hasText: 'colour' })).toHaveCount(0);
  await expect(page.getByTestId('dataset-detail-empty')).toBeVisible();
});
