/**
 * Run management and everyday comfort, end to end against the real server and engine: rename a run, write
 * notes (autosaved) and tags, find them again after a reload, filter the list, delete with undo, export the
 * arrays and a report, save the project as a copy, and drive the workbench from the keyboard (views, help,
 * start and cancel) while the window title shows the progress.
 *
 * One page and one project, steps in order (serial mode), as a user's session goes.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { unzipSync } from 'fflate';
import { sharePageAcrossSteps } from './support/shared-page';
import { expect, test } from './support/server';
import { currentRunItem, downloadFrom, fileBrowser, openWorkbench } from './support/workbench';

test.use({ serverFor: 'runs' });
test.describe.configure({ mode: 'serial' });
sharePageAcrossSteps(test, (p) => {
  page = p;
});

const RUN_TIMEOUT = 60_000;

let page: Page;
let projectDir: string;
let copyDir = '';
let firstId = '';
let secondId = '';

const runItems = () => page.getByTestId('run-list-item');
const item = (id: string) => page.locator(`[data-testid="run-list-item"][data-run-id="${id}"]`);
const details = () => page.getByTestId('run-details');
const status = () => page.getByTestId('run-status');
/** The tags the details panel shows, in order. */
const shownTags = () => details().getByTestId('run-tag').evaluateAll((chips) => chips.map((c) => c.getAttribute('data-tag')));

/**
 * Waits for the run on show to finish and returns its id. With `previous`, first waits until the panel shows
 * another run than that one: right after a start, the panel may still show the previous run's "finished".
 */
async function finished(previous?: string): Promise<string> {
  if (previous) await expect(currentRunItem(page)).not.toHaveAttribute('data-run-id', previous);
  await expect(status()).toHaveText('finished', { timeout: RUN_TIMEOUT });
  const id = await currentRunItem(page).getAttribute('data-run-id');
  expect(id).toBeTruthy();
  await expect(currentRunItem(page)).toHaveAttribute('data-status', 'finished');
  await expect(details()).toHaveAttribute('data-run-id', id!);
  return id!;
}

test('a. creates a project and runs two short pursuits, the second with Ctrl+Enter', async ({ server }) => {
  projectDir = path.join(server.tmp, 'runs-project');
  await openWorkbench(page, server.url);
  await expect(page).toHaveTitle('Sparseland Studio');
  await page.getByTestId('new-project-button').click();
  const dialog = page.getByTestId('new-project-dialog');
  await dialog.getByTestId('project-name-input').fill('Runs E2E');
  await dialog.getByTestId('project-dir-browse').click();
  await expect(fileBrowser(page)).toBeVisible();
  await fileBrowser(page).getByTestId('file-browser-choose-folder').click();
  await expect(dialog.getByTestId('project-dir-input')).toHaveValue(server.tmp);
  await dialog.getByTestId('project-dir-input').fill(projectDir);
  await dialog.getByTestId('create-project-button').click();
  await expect(page.getByTestId('current-project')).toHaveAttribute('data-dir', projectDir);
  await expect(page.getByTestId('project-saved-state')).toHaveAttribute('data-state', 'saved');

  await page.getByTestId('run-name-input').fill('first');
  await page.getByTestId('start-run-button').click();
  firstId = await finished();

  await page.getByTestId('run-name-input').fill('second');
  // From a text field: the modifier combination still acts.
  await page.getByTestId('run-name-input').press('Control+Enter');
  await expect(runItems()).toHaveCount(2);
  secondId = await finished(firstId);
});

test('b. renames the run on show, writes notes (autosaved) and tags, and filters the list', async () => {
  await expect(details()).toHaveAttribute('data-run-id', secondId);
  await details().getByTestId('run-rename-button').click();
  const nameEdit = details().getByTestId('run-name-edit');
  await nameEdit.fill('   ');
  await nameEdit.press('Enter');
  await expect(details().getByTestId('run-name-error')).toHaveText('A run needs a name.');
  await nameEdit.fill('second, λ = 0.2');
  await nameEdit.press('Enter');
  await expect(details().getByTestId('run-details-name')).toHaveText('second, λ = 0.2');
  await expect(item(secondId)).toContainText('second, λ = 0.2');

  const notes = details().getByTestId('run-notes');
  await notes.fill('Converges in ~60 iterations.\nTry λ = 0.3 next.');
  // Saved after a pause, without leaving the field.
  await expect(details().getByTestId('run-notes-state')).toHaveAttribute('data-state', 'saved', { timeout: 5_000 });
  await expect(notes).toBeFocused();

  const tagInput = details().getByTestId('run-tag-input');
  await tagInput.fill('x'.repeat(65));
  await tagInput.press('Enter');
  await expect(details().getByTestId('run-tag-error')).toContainText('at most 64 characters');
  await tagInput.fill('sweep');
  await tagInput.press('Enter');
  // A comma ends a tag too.
  await tagInput.fill('mnist');
  await tagInput.press(',');
  await expect(tagInput).toHaveValue('');
  await expect.poll(shownTags).toEqual(['sweep', 'mnist']);
  await expect(item(secondId).getByTestId('run-list-item-tags')).toHaveText(/sweep\s*mnist/);
  await details().locator('[data-testid="run-tag"][data-tag="sweep"]').getByTestId('run-tag-remove').click();
  await expect.poll(shownTags).toEqual(['mnist']);
  await tagInput.fill('sweep');
  await details().getByTestId('run-tag-add').click();
  await expect.poll(shownTags).toEqual(['mnist', 'sweep']);

  const filter = page.getByTestId('run-filter');
  await filter.fill('#mnist');
  await expect(runItems()).toHaveCount(1);
  await expect(runItems()).toHaveAttribute('data-run-id', secondId);
  await filter.fill('first');
  await expect(runItems()).toHaveAttribute('data-run-id', firstId);
  await filter.fill('nothing-like-this');
  await expect(page.getByTestId('run-filter-empty')).toBeVisible();
  await filter.fill('');
  await expect(runItems()).toHaveCount(2);

  // Written to the run folder at once.
  const status = JSON.parse(readFileSync(path.join(projectDir, 'runs', secondId, 'status.json'), 'utf8')) as { name: string; notes: string; tags: string[] };
  expect(status).toMatchObject({ name: 'second, λ = 0.2', notes: 'Converges in ~60 iterations.\nTry λ = 0.3 next.', tags: ['mnist', 'sweep'] });
});

test('c. finds name, notes and tags again after a reload', async () => {
  await page.reload();
  await expect(page.getByTestId('current-project')).toHaveAttribute('data-dir', projectDir);
  await expect(item(secondId)).toContainText('second, λ = 0.2');
  await item(secondId).click();
  await expect(details()).toHaveAttribute('data-run-id', secondId);
  await expect(details().getByTestId('run-notes')).toHaveValue('Converges in ~60 iterations.\nTry λ = 0.3 next.');
  await expect.poll(shownTags).toEqual(['mnist', 'sweep']);
});

test('d. deletes a run, undoes it from the toast, deletes it again', async () => {
  await item(firstId).click();
  await expect(details()).toHaveAttribute('data-run-id', firstId);
  await details().getByTestId('run-delete-button').click();
  await expect(item(firstId)).toHaveCount(0);
  const toast = page.getByTestId('toast').filter({ hasText: 'Deleted “first”' });
  await expect(toast).toBeVisible();
  await toast.getByTestId('toast-action').click();
  await expect(item(firstId)).toHaveCount(1);
  await expect(item(firstId)).toHaveAttribute('data-status', 'finished');
  expect(existsSync(path.join(projectDir, 'runs', firstId)), 'the run folder is back').toBe(true);

  await item(firstId).click();
  await details().getByTestId('run-delete-button').click();
  await expect(item(firstId)).toHaveCount(0);
  await expect(runItems()).toHaveCount(1);
  expect(existsSync(path.join(projectDir, 'runs', firstId)), 'the run folder went to the trash').toBe(false);
  // Nothing of it is shown any more.
  await expect(details()).toHaveCount(0);
});

test('e. exports the arrays (.npz, .npy) and a report', async () => {
  await item(secondId).click();
  await details().getByTestId('run-export-button').click();
  const menu = page.getByTestId('run-export-menu');
  await expect(menu.getByTestId('export-npz')).toBeVisible();

  const npz = await downloadFrom(page, menu.getByTestId('export-npz'));
  expect(npz.name).toMatch(/\.npz$/);
  expect(npz.bytes.subarray(0, 2).toString('latin1')).toBe('PK');
  expect(Object.keys(unzipSync(new Uint8Array(npz.bytes)))).toContain('W1.npy');

  const w1 = menu.locator('[data-testid="export-npy"][data-array="W1"]');
  await expect(w1).toContainText(/float32/);
  const npy = await downloadFrom(page, w1);
  expect(npy.name).toMatch(/W1\.npy$/);
  expect(npy.bytes.subarray(0, 6).toString('latin1')).toBe('\x93NUMPY');

  const report = await downloadFrom(page, menu.getByTestId('export-report'));
  expect(report.name).toMatch(/\.zip$/);
  const files = unzipSync(new Uint8Array(report.bytes));
  const md = Object.keys(files).find((f) => f.endsWith('report.md'));
  expect(md, `report.md among ${Object.keys(files).join(', ')}`).toBeTruthy();
  expect(new TextDecoder().decode(files[md!])).toContain('second, λ = 0.2');
  await page.keyboard.press('Escape');
});

test('f. saves the project as a copy in a new folder and goes on there', async ({ server }) => {
  copyDir = path.join(server.tmp, 'runs-copy');
  await page.getByTestId('save-as-project-button').click();
  const dialog = page.getByTestId('save-as-dialog');
  await expect(dialog).toBeVisible();
  await dialog.getByTestId('save-as-dir-input').fill(projectDir);
  await dialog.getByTestId('save-as-submit').click();
  await expect(dialog.getByTestId('save-as-dir-error')).toContainText('own folder');
  await dialog.getByTestId('save-as-dir-input').fill(copyDir);
  await dialog.getByTestId('save-as-name-input').fill('Runs copy');
  await dialog.getByTestId('save-as-submit').click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('current-project')).toHaveAttribute('data-dir', copyDir);
  await expect(page.getByTestId('current-project-name')).toHaveText('Runs copy');
  await expect(item(secondId)).toContainText('second, λ = 0.2');
  expect(existsSync(path.join(copyDir, 'project.json'))).toBe(true);
  expect(existsSync(path.join(projectDir, 'project.json')), 'the original stays').toBe(true);
});

test('g. keyboard: views, help panel, start and cancel; the title shows the progress', async () => {
  const main = page.locator('main');
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('Alt+3');
  await expect(main).toHaveAttribute('data-view', 'learn');
  await page.keyboard.press('1');
  await expect(main).toHaveAttribute('data-view', 'data');
  await page.keyboard.press('Alt+2');
  await expect(main).toHaveAttribute('data-view', 'pursuit');
  // Typing a digit into a field types it.
  await page.getByTestId('iterations-input').fill('');
  await page.getByTestId('iterations-input').press('4');
  await expect(main).toHaveAttribute('data-view', 'pursuit');
  await expect(page.getByTestId('iterations-input')).toHaveValue('4');

  await page.keyboard.press('F1');
  const help = page.getByTestId('help-panel');
  await expect(help).toBeVisible();
  await expect(help.getByTestId('help-shortcut')).toHaveCount(13);
  await expect(help.locator('[data-testid="help-shortcut"][data-action="run.start"]')).toContainText('Ctrl+Enter');
  await expect(help.locator('[data-testid="help-shortcut"][data-action="view.theory"]')).toContainText('Alt+4');
  await expect(help.getByTestId('help-theme')).toContainText('follows the system');
  await page.keyboard.press('Escape');
  await expect(help).toBeHidden();

  // A long run: the title counts up; Ctrl+. cancels it.
  await page.getByTestId('run-name-input').fill('long');
  await page.getByTestId('iterations-input').fill('20000');
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('Control+Enter');
  await expect.poll(() => page.title(), { timeout: RUN_TIMEOUT, message: 'the title shows the percentage' }).toMatch(/^\d{1,2}% · Pursuit · Sparseland Studio$/);
  await page.keyboard.press('Control+.');
  await expect(status()).toHaveText('cancelled', { timeout: 10_000 });
  await expect(page).toHaveTitle('Sparseland Studio');
});

test('h. a run the app was in the middle of is offered to run again when the project opens', async () => {
  // As a crash leaves it: status.json still says running.
  const file = path.join(copyDir, 'runs', secondId, 'status.json');
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), status: 'running' }));
  await page.getByTestId('open-project-button').click();
  await page.getByTestId('open-project-dialog').locator(`[data-testid="recent-project-item"][data-dir="${copyDir}"]`).click();
  const banner = page.getByTestId('interrupted-runs');
  await expect(banner).toBeVisible();
  await expect(item(secondId)).toHaveAttribute('data-status', 'interrupted');
  const row = banner.locator(`[data-testid="interrupted-run"][data-run-id="${secondId}"]`);
  await expect(row).toContainText('second, λ = 0.2');
  await row.getByTestId('interrupted-resume').click();
  // Started again with the same settings: a new run that finishes; the banner has nothing left to offer.
  await expect(banner).toHaveCount(0);
  const againId = await finished(secondId);
  expect(againId).not.toBe(secondId);
  // The settings it ran with (the name in them is the one it was started with).
  await expect(item(againId)).toContainText('second');
  await expect(item(secondId)).toHaveAttribute('data-status', 'interrupted');
});
