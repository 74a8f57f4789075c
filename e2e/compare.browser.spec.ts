/**
 * The Compare view, end to end, in Chromium against the real server and engine: two short K-SVD sessions
 * that differ in one parameter (the number of atoms) are learned through the Learn form, then compared: the
 * run table (select, sort, filter), the config diff with differences only, the metric overlays (two series,
 * smoothing, log scale, wall time, SVG export), parallel coordinates, the atoms of both runs with the shared
 * step slider, and the theory of both runs in one table. Ends with a screenshot for the docs.
 *
 * The steps share one page and one project, in order (serial mode), as a user's session does.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { sharePageAcrossSteps } from './support/shared-page';
import { expect, repoRoot, test } from './support/server';
import { downloadFrom, expectDrawn, openWorkbench } from './support/workbench';

test.use({ serverFor: 'compare' });
test.describe.configure({ mode: 'serial' });
sharePageAcrossSteps(test, (p) => {
  page = p;
});

const SESSION_TIMEOUT = 45_000;
/** Two sessions that differ in the number of atoms only (and their names). */
const SESSIONS = [
  { name: 'ksvd wide 32', atoms: '32' },
  { name: 'ksvd narrow 16', atoms: '16' },
];

let page: Page;

const rows = () => page.getByTestId('compare-row');
const row = (name: string) => rows().filter({ has: page.getByTestId('compare-cell-name').getByText(name, { exact: true }) });
const overlay = (key: string) => page.locator(`[data-testid="compare-overlay"][data-key="${key}"]`);
const overlayCard = (key: string) => page.locator(`[data-testid="compare-overlay-card"][data-key="${key}"]`);

async function rowNames(): Promise<string[]> {
  return page.getByTestId('compare-cell-name').allTextContents();
}

async function setRange(range: Locator, value: string): Promise<void> {
  await range.fill(value);
}

test('a. learns two small K-SVD sessions that differ in the number of atoms', async ({ server }) => {
  await openWorkbench(page, server.url);
  await page.getByTestId('new-project-button').click();
  const dialog = page.getByTestId('new-project-dialog');
  await dialog.getByTestId('project-name-input').fill('E2E compare');
  await dialog.getByTestId('project-dir-input').fill(path.join(server.tmp, 'compare-project'));
  await dialog.getByTestId('create-project-button').click();
  await expect(dialog).toBeHidden();

  await page.getByTestId('view-tab-learn').click();
  await expect(page.getByTestId('learn-form').or(page.getByTestId('learn-methods-empty'))).toBeVisible();
  const methods = await page.getByTestId('learn-method-select').locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
  expect(methods, 'K-SVD is offered (it needs nothing but the CPU)').toContain('ksvd');
  await page.getByTestId('learn-method-select').selectOption('ksvd');
  await page.getByTestId('learn-data-kind-select').selectOption('sample');
  await page.getByTestId('learn-sample-select').selectOption('camera');
  await page.getByTestId('learn-downsample-input').fill('8'); // 512 → 64
  await page.getByTestId('learn-param-sparsity').fill('2');
  await page.getByTestId('learn-param-trainingPatches').fill('400');
  await page.getByTestId('learn-iterations-input').fill('6');
  await page.getByTestId('learn-checkpoint-every-input').fill('2');
  await page.getByTestId('learn-seed-input').fill('1');

  for (const s of SESSIONS) {
    await page.getByTestId('learn-param-atoms').fill(s.atoms);
    await page.getByTestId('learn-name-input').fill(s.name);
    await expect(page.getByTestId('learn-start-button')).toBeEnabled({ timeout: SESSION_TIMEOUT });
    await page.getByTestId('learn-start-button').click();
    await expect(page.getByTestId('learn-form-errors')).toHaveCount(0);
    // The panel shows the new session (not the finished one before it) before its status is read.
    await expect(page.getByTestId('run-details').getByTestId('run-details-name')).toHaveText(s.name);
    await expect(page.getByTestId('learn-status')).toHaveText('finished', { timeout: SESSION_TIMEOUT });
  }
});

test('b. the run table: select both, sort by a column, filter by text', async () => {
  await page.getByTestId('view-tab-compare').click();
  await expect(page.getByTestId('compare-view')).toBeVisible();
  await expect(rows()).toHaveCount(2);
  for (const s of SESSIONS) {
    await expect(row(s.name).getByTestId('compare-status')).toHaveAttribute('data-status', 'finished');
    await expect(row(s.name).getByTestId('compare-status')).toContainText('✓ finished');
  }
  // The final PSNR of each run arrives with its metrics.
  await expect(row(SESSIONS[0]!.name).getByTestId('compare-cell-psnr')).toHaveText(/^\d/);

  const sortName = page.getByTestId('compare-sort-name');
  await sortName.click();
  await expect(page.locator('th', { has: sortName })).toHaveAttribute('aria-sort', 'ascending');
  expect(await rowNames()).toEqual(['ksvd narrow 16', 'ksvd wide 32']);
  await sortName.click();
  await expect(page.locator('th', { has: sortName })).toHaveAttribute('aria-sort', 'descending');
  expect(await rowNames()).toEqual(['ksvd wide 32', 'ksvd narrow 16']);

  // A word no run id can hold (ids are dates and hex digits): the filter matches all its words anywhere in a run.
  await page.getByTestId('compare-filter').fill('narrow');
  await expect(rows()).toHaveCount(1);
  expect(await rowNames()).toEqual(['ksvd narrow 16']);
  await page.getByTestId('compare-filter').fill('no such run');
  await expect(page.getByTestId('compare-no-match')).toBeVisible();
  await page.getByTestId('compare-filter').fill('');
  await expect(rows()).toHaveCount(2);

  for (const s of SESSIONS) await row(s.name).getByTestId('compare-select').check();
  await expect(page.getByTestId('compare-view')).toHaveAttribute('data-selected', '2');
  // Each run keeps its own colour swatch.
  const colours = await rows().getByTestId('compare-swatch').evaluateAll((els) => els.map((e) => e.getAttribute('data-color')));
  expect(colours.every((c) => /^#[0-9a-f]{6}$/.test(c ?? ''))).toBe(true);
});

test('c. the config diff: differences only leaves the differing settings', async () => {
  const diffRows = page.getByTestId('compare-diff-row');
  await expect.poll(() => diffRows.count()).toBeGreaterThan(5);
  const all = await diffRows.count();
  await page.getByTestId('compare-diff-only').check();
  await expect.poll(() => diffRows.count()).toBeLessThan(all);
  const paths = await diffRows.evaluateAll((els) => els.map((e) => e.getAttribute('data-path')));
  expect(paths).toContain('params.atoms');
  expect(paths).not.toContain('params.sparsity');
  expect(await diffRows.evaluateAll((els) => els.every((e) => e.getAttribute('data-differs') === 'true'))).toBe(true);
  await expect(page.locator('[data-testid="compare-diff-row"][data-path="params.atoms"] td')).toHaveText(['32', '16']);
});

test('d. metric overlays: two series, smoothing, log scale, wall time, SVG export', async () => {
  const objective = overlay('objective@1');
  await expect(objective).toHaveAttribute('data-series', '2');
  await expectDrawn(objective, 'the objective overlay', 3);

  await setRange(page.getByTestId('compare-smoothing'), '0.8');
  await expect(page.getByTestId('compare-smoothing-value')).toHaveText('0.80');
  await expect(objective).toHaveAttribute('data-smoothing', '0.8');

  await page.getByTestId('compare-logscale').check();
  await expect(objective).toHaveAttribute('data-log', 'true');
  await page.getByTestId('compare-xaxis').selectOption('time');
  await expect(objective).toHaveAttribute('data-x', 'wall time (s)');
  await expectDrawn(objective, 'the objective overlay by wall time on a log scale', 3);

  const svg = await downloadFrom(page, overlayCard('objective@1').getByTestId('export-svg'));
  expect(svg.name).toBe('compare-objective-1.svg');
  const text = svg.bytes.toString('utf8');
  expect(text.startsWith('<svg')).toBe(true);
  expect(text).toContain('ksvd wide 32');
  expect(text).toContain('ksvd narrow 16');
});

test('e. parallel coordinates: the differing setting and the final figures', async () => {
  const parallel = page.getByTestId('compare-parallel');
  await expect(parallel).toHaveAttribute('data-lines', '2');
  const axes = (await parallel.getAttribute('data-axis-names'))?.split('|') ?? [];
  expect(axes).toEqual(expect.arrayContaining(['params.atoms', 'final objective']));
  expect(axes, 'the run name is the legend, not an axis').not.toContain('name');
  await expectDrawn(parallel, 'the parallel coordinates', 3);
});

test('f. atoms of both runs, one step slider', async () => {
  const runs = page.getByTestId('compare-atoms-run');
  await expect(runs).toHaveCount(2);
  for (let i = 0; i < 2; i++) await expectDrawn(runs.nth(i).getByTestId('compare-atoms-layer-1-canvas'), `the atoms of run ${i + 1}`, 2);
  const atoms = page.getByTestId('compare-atoms');
  const step = page.getByTestId('compare-step');
  // Six iterations with a checkpoint every two: several snapshots, so the slider has somewhere to go.
  await expect(step, `the step slider (${await atoms.getAttribute('data-stops')} snapshot steps)`).toBeVisible();
  const last = await atoms.getAttribute('data-step');
  await setRange(step, '0');
  await expect(atoms).not.toHaveAttribute('data-step', last ?? '');
  const first = await atoms.getAttribute('data-step');
  // Both runs saved on the same schedule: each shows the step chosen, and its atoms are drawn again.
  for (let i = 0; i < 2; i++) {
    await expect(runs.nth(i)).toHaveAttribute('data-iteration', first ?? '');
    await expectDrawn(runs.nth(i).getByTestId('compare-atoms-layer-1-canvas'), `the atoms of run ${i + 1} at step ${first}`, 2);
  }
  test.info().annotations.push({ type: 'step slider', description: `${await atoms.getAttribute('data-stops')} steps, ${last} → ${first}` });
});

test('g. theory of both runs in one table, then a screenshot', async ({}, testInfo) => {
  await expect(page.getByTestId('compare-theory').or(page.getByTestId('compare-theory-empty'))).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId('compare-theory')).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId('compare-theory-run')).toHaveCount(2);
  const mu = page.locator('[data-testid="compare-theory-row"][data-layer="1"][data-figure="coherence"] [data-testid="compare-theory-cell"]');
  await expect(mu).toHaveCount(2);
  for (const t of await mu.allTextContents()) expect(Number(t)).toBeGreaterThan(0);

  await page.mouse.move(0, 999);
  const outDir = path.join(repoRoot, 'docs', 'screenshots');
  mkdirSync(outDir, { recursive: true });
  const full = testInfo.outputPath('compare-view.png');
  const png = await page.screenshot({ path: full, animations: 'disabled', caret: 'hide', fullPage: true });
  writeFileSync(path.join(outDir, 'compare-view.png'), png);
  await testInfo.attach('compare-view.png', { path: full, contentType: 'image/png' });
});

test('h. the export buttons of other views offer SVG too (a heat map finds its chart)', async () => {
  await page.getByTestId('view-tab-theory').click();
  const analyze = page.getByTestId('theory-analyze');
  await analyze.click();
  await expect(analyze).toHaveText('Sample & analyze', { timeout: 30_000 });
  const card = page.getByTestId('coherence-heatmap-1-card');
  await expectDrawn(page.getByTestId('coherence-heatmap-1'), 'the coherence map', 3);
  const svg = await downloadFrom(page, card.getByTestId('export-svg'));
  expect(svg.name).toMatch(/\.svg$/);
  expect(svg.bytes.toString('utf8').startsWith('<svg')).toBe(true);
});
