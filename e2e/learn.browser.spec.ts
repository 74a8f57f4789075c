/**
 * The Learn view, end to end, in Chromium against the real server and engine (`sparseland serve`): create a
 * project, go to Learn, and — when this build offers learning methods — run a small session of the first
 * method that learns from a sample image (else MNIST), cancel it after a checkpoint, resume it to the end,
 * and find it again after a reload. When the engine offers no method, the view must say so.
 *
 * The steps share one page and one project, in order (serial mode), as a user's session does.
 */
import path from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { sharePageAcrossSteps } from './support/shared-page';
import { expect, test } from './support/server';
import { canvasStats, expectDrawn, openWorkbench } from './support/workbench';

test.use({ serverFor: 'learn' });
test.describe.configure({ mode: 'serial' });
sharePageAcrossSteps(test, (p) => {
  page = p;
});

/** A small session takes a few seconds; allow for a slow, busy machine. */
const SESSION_TIMEOUT = 45_000;
/** Iterations to try: if a method is so fast that a session ends before Cancel is pressed, the next try runs longer. */
const ITERATION_TRIES = [20, 100, 400, 1500];

/**
 * Parameters that make each known method quick (only those the form shows are set): few atoms or filters,
 * few training patches, small batches. Anything not listed keeps its default.
 */
const QUICK_PARAMS: Record<string, Record<string, string>> = {
  ksvd: { atoms: '32', sparsity: '2', trainingPatches: '400' },
  mod: { atoms: '32', sparsity: '2', trainingPatches: '400' },
  'online-dl': { atoms: '32', sparsity: '2', trainingPatches: '400', batchSize: '32' },
  cdl: { filters: '4', kernel: '5', codingIterations: '5' },
  'mlcsc-unsupervised': { filters: '4, 8', kernels: '5, 3', strides: '2, 1', batchSize: '2' },
  'unrolled-supervised': { preset: 'small', T: '1', batchSize: '8', testCount: '50' },
};

let page: Page;
/** Set when the engine offers no learning method: the session steps are skipped. */
let noMethods = false;
let method = '';
let sessionId = '';
let livePoints = 0;

const status = () => page.getByTestId('learn-status');
const progressText = () => page.getByTestId('learn-progress-text');
const checkpoint = () => page.getByTestId('learn-checkpoint');
const sessionItem = (id: string) => page.locator(`[data-testid="run-list-item"][data-run-id="${id}"]`);

async function attrNumber(locator: Locator, attr: string): Promise<number> {
  return Number((await locator.getAttribute(attr)) ?? 'NaN');
}

/** The run on show in the Learn view, as marked in the run list. */
async function currentSessionId(): Promise<string> {
  const item = page.locator('[data-testid="run-list-item"][aria-current="true"]');
  await expect(item).toHaveAttribute('data-kind', 'learning');
  return (await item.getAttribute('data-run-id')) ?? '';
}

/** Fills the method's parameter fields from QUICK_PARAMS, where the form has them. */
async function useQuickParams(name: string): Promise<string[]> {
  const set: string[] = [];
  for (const [param, value] of Object.entries(QUICK_PARAMS[name] ?? {})) {
    const field = page.getByTestId(`learn-param-${param}`);
    if (!(await field.count())) continue;
    if ((await field.evaluate((el) => el.tagName)) === 'SELECT') await field.selectOption(value);
    else await field.fill(value);
    set.push(`${param}=${value}`);
  }
  return set;
}

interface CancelTry {
  readonly outcome: 'cancelled' | 'finished';
  /** The iteration shown when Cancel was pressed (undefined: it was no longer enabled). */
  readonly pressedAt?: number;
}

async function shownIteration(): Promise<number> {
  return Number(/iteration (\d+)/.exec((await progressText().textContent()) ?? '')?.[1] ?? NaN);
}

/** Starts a session, waits for progress and a checkpoint, presses Cancel, and waits for the session to stop. */
async function startThenCancel(iterations: number): Promise<CancelTry> {
  await expect(page.getByTestId('learn-start-button')).toBeEnabled();
  await page.getByTestId('learn-start-button').click();
  await expect(page.getByTestId('learn-form-errors')).toHaveCount(0);
  // Progress of this session (each try asks for a different number of iterations) has arrived, and the
  // schedule (every 2 iterations) has made a checkpoint.
  await expect(progressText()).toHaveText(new RegExp(`iteration [1-9]\\d* / ${iterations}$`), { timeout: SESSION_TIMEOUT });
  await expect(status()).toHaveText(/running|cancelled|finished/);
  await expect.poll(() => attrNumber(checkpoint(), 'data-iteration'), { message: 'a checkpoint is shown', timeout: SESSION_TIMEOUT }).toBeGreaterThanOrEqual(2);
  await expect(checkpoint()).toContainText('checkpoint at iteration');
  const cancel = page.getByTestId('learn-cancel-button');
  const pressedAt = (await cancel.isEnabled()) ? await shownIteration() : undefined;
  const clicked =
    pressedAt !== undefined &&
    (await cancel.click({ timeout: 2_000 }).then(
      () => true,
      () => false,
    ));
  await expect(status()).toHaveText(/cancelled|finished/, { timeout: SESSION_TIMEOUT });
  const outcome = (await status().textContent())?.trim() === 'cancelled' ? 'cancelled' : 'finished';
  return clicked ? { outcome, pressedAt } : { outcome };
}

test('a. creates a project and opens the Learn view', async ({ server }) => {
  const projectDir = path.join(server.tmp, 'learn-project');
  await openWorkbench(page, server.url);
  await expect(page.getByTestId('view-tab-pursuit')).toHaveAttribute('aria-selected', 'true');

  await page.getByTestId('new-project-button').click();
  const dialog = page.getByTestId('new-project-dialog');
  await dialog.getByTestId('project-name-input').fill('E2E learn');
  await dialog.getByTestId('project-dir-input').fill(projectDir);
  await dialog.getByTestId('create-project-button').click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('current-project')).toHaveAttribute('data-dir', projectDir);

  await page.getByTestId('view-tab-learn').click();
  await expect(page.getByTestId('view-tab-learn')).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('learn-panel')).toBeVisible();
  await expect(page.getByTestId('run-form')).toHaveCount(0);
  await expect(status()).toHaveText('idle');

  // The form, or the message that there is nothing to learn with.
  await expect(page.getByTestId('learn-form').or(page.getByTestId('learn-methods-empty'))).toBeVisible();
  if (await page.getByTestId('learn-methods-empty').isVisible()) {
    noMethods = true;
    await expect(page.getByTestId('learn-methods-empty')).toHaveText('No learning methods are available in this build.');
    await expect(page.getByTestId('learn-start-button')).toBeDisabled();
    await expect(page.getByTestId('learn-start-hint')).toContainText('No learning methods are available');
    test.info().annotations.push({ type: 'learning methods', description: 'none in this build: the session steps are skipped' });
    return;
  }

  // Pick the first method that learns from a sample image, else from MNIST.
  const options = await page
    .getByTestId('learn-method-select')
    .locator('option')
    .evaluateAll((os) => os.map((o) => ({ value: (o as HTMLOptionElement).value, kinds: (o.getAttribute('data-kinds') ?? '').split(' ') })));
  expect(options.length, 'the methods are listed').toBeGreaterThan(0);
  const chosen = options.find((o) => o.kinds.includes('sample')) ?? options.find((o) => o.kinds.includes('mnist'));
  test.skip(!chosen, `no method learns from a sample image or MNIST (${options.map((o) => o.value).join(', ')})`);
  method = chosen!.value;
  await page.getByTestId('learn-method-select').selectOption(method);
  await expect(page.getByTestId('learn-method-summary')).not.toBeEmpty();
  await expect(page.getByTestId('learn-method-citation')).not.toBeEmpty();
  // The data kinds offered are exactly those the method accepts.
  const kinds = await page
    .getByTestId('learn-data-kind-select')
    .locator('option')
    .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
  expect(kinds).toEqual(chosen!.kinds);
  test.info().annotations.push({ type: 'learning method', description: `${method} (offered: ${options.map((o) => o.value).join(', ')})` });
});

test('b. runs a small session: progress, checkpoint, cancel, resume, finished, charts and atoms', async () => {
  test.skip(noMethods || !method, 'no learning method to run');
  const form = page.getByTestId('learn-form');
  if (await page.getByTestId('learn-data-kind-select').locator('option[value="sample"]').count()) {
    await page.getByTestId('learn-data-kind-select').selectOption('sample');
    await page.getByTestId('learn-sample-select').selectOption('camera');
    await page.getByTestId('learn-downsample-input').fill('8'); // 512 → 64
  } else {
    await page.getByTestId('learn-data-kind-select').selectOption('mnist');
    await page.getByTestId('learn-mnist-count-input').fill('64');
  }
  const quick = await useQuickParams(method);
  test.info().annotations.push({ type: 'quick parameters', description: quick.join(', ') || '(defaults)' });
  // Every parameter shows its help inline.
  const fields = form.locator('[data-testid^="learn-param-"][data-testid$="-field"]');
  const help = form.locator('[data-testid^="learn-param-"][data-testid$="-help"]');
  expect(await help.count()).toBe(await fields.count());
  await page.getByTestId('learn-checkpoint-every-input').fill('2');
  await page.getByTestId('learn-seed-input').fill('1');

  let last: CancelTry & { iterations: number } = { outcome: 'finished', iterations: 0 };
  for (const iterations of ITERATION_TRIES) {
    await page.getByTestId('learn-iterations-input').fill(String(iterations));
    await page.getByTestId('learn-name-input').fill(`${method} × ${iterations}`);
    last = { ...(await startThenCancel(iterations)), iterations };
    if (last.outcome === 'cancelled') break;
    // A fast method may end before the cancel reaches it (the page shows iterations a little late): run longer.
    test.info().annotations.push({ type: 'ended before Cancel took effect', description: `${iterations} iterations (Cancel pressed at ${last.pressedAt ?? 'none: already ended'})` });
  }
  // Soft: if the engine ignores Cancel, the finished session's charts and atoms are still checked below.
  expect
    .soft(last.outcome, `a session was cancelled while it ran (last try: Cancel pressed at iteration ${last.pressedAt ?? '—'} of ${last.iterations}, yet the ${method} session ran to its end)`)
    .toBe('cancelled');
  sessionId = await currentSessionId();
  const total = Number(/\/ (\d+)/.exec((await progressText().textContent()) ?? '')?.[1]);
  await expect(sessionItem(sessionId)).toHaveAttribute('data-kind', 'learning');
  await expect(sessionItem(sessionId).getByTestId('run-list-item-kind')).toHaveText('learning');
  const resume = page.getByTestId('learn-resume-button');

  if (last.outcome === 'cancelled') {
    test.info().annotations.push({ type: 'cancelled', description: `${last.iterations} iterations, Cancel pressed at ${last.pressedAt}` });
    // Cancelled: not a failure; the host reports the checkpoint it saved; Resume is offered.
    await expect(page.getByTestId('learn-error').filter({ hasText: 'Session failed' })).toHaveCount(0);
    await expect(checkpoint()).toHaveAttribute('data-saved', 'true');
    const savedAt = await attrNumber(checkpoint(), 'data-iteration');
    expect(savedAt).toBeGreaterThanOrEqual(2);
    expect(savedAt).toBeLessThan(total);
    await expect(sessionItem(sessionId)).toHaveAttribute('data-status', 'cancelled');
    await expect(page.getByTestId('learn-start-button')).toBeEnabled();
    await expect(resume).toBeEnabled();

    await resume.click();
    await expect(status()).toHaveText(/queued|running|finished/);
    await expect(status()).toHaveText('finished', { timeout: SESSION_TIMEOUT });
  }
  await expect(page.getByTestId('learn-progress')).toHaveAttribute('aria-valuenow', '100');
  await expect(progressText()).toContainText(`iteration ${total} / ${total}`);
  await expect(resume).toBeDisabled();
  await expect(sessionItem(sessionId)).toHaveAttribute('data-status', 'finished');

  // Charts: the objective, and one per named value (the engine always reports seconds per iteration).
  const objective = page.getByTestId('learn-objective-chart');
  await expect.poll(() => attrNumber(objective, 'data-points'), { message: 'the objective chart has points' }).toBeGreaterThanOrEqual(total);
  livePoints = await attrNumber(objective, 'data-points');
  expect(livePoints, 'one point per iteration: the resumed iterations replace, not repeat').toBe(total);
  await expectDrawn(objective, 'the objective chart', 3);
  const valueCharts = page.getByTestId('learn-value-chart');
  expect(await valueCharts.count(), 'a chart per named value').toBeGreaterThan(0);
  const names = await valueCharts.evaluateAll((cs) => cs.map((c) => c.getAttribute('data-name')));
  test.info().annotations.push({ type: 'value charts', description: names.join(', ') });
  expect(names).toContain('secondsPerIteration');
  expect(await attrNumber(valueCharts.first(), 'data-points')).toBeGreaterThan(0);

  // The atoms of every layer the method previews, drawn.
  const grids = page.locator('[data-testid^="learn-atoms-layer-"][data-testid$="-canvas"]');
  await expect(grids.first()).toBeVisible({ timeout: 10_000 });
  await expectDrawn(grids.first(), 'the atoms of layer 1', 2);
  const stats = await canvasStats(grids.first());
  test.info().annotations.push({ type: 'atoms', description: `${await page.getByTestId('learn-atoms-layer-1').getAttribute('data-count')} atoms of ${await page.getByTestId('learn-atoms-layer-1').getAttribute('data-atom-size')}, ${stats.distinct} distinct colours` });
});

test('c. after a reload the session is in the run list and opens in the Learn view', async () => {
  test.skip(noMethods || !sessionId, 'no session was run');
  await page.reload();
  await expect(page.getByTestId('run-form')).toBeVisible();
  await expect(page.getByTestId('connection-error')).toHaveCount(0);
  await expect(page.getByTestId('view-tab-pursuit')).toHaveAttribute('aria-selected', 'true');
  await expect(sessionItem(sessionId)).toHaveAttribute('data-status', 'finished');
  await expect(sessionItem(sessionId)).toHaveAttribute('data-kind', 'learning');

  await sessionItem(sessionId).click();
  await expect(page.getByTestId('view-tab-learn')).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('learn-panel')).toBeVisible();
  await expect(sessionItem(sessionId)).toHaveAttribute('aria-current', 'true');
  await expect(status()).toHaveText('finished');
  await expect(page.getByTestId('learn-progress')).toHaveAttribute('aria-valuenow', '100');
  const objective = page.getByTestId('learn-objective-chart');
  await expect.poll(() => attrNumber(objective, 'data-points'), { message: 'the saved objective curve has the points shown live' }).toBe(livePoints);
  await expectDrawn(objective, 'the saved objective chart', 3);
  expect(await page.getByTestId('learn-value-chart').count()).toBeGreaterThan(0);
  // The saved atoms, or a message saying none were saved.
  await expect(page.locator('[data-testid^="learn-atoms-layer-"][data-testid$="-canvas"]').first().or(page.getByTestId('learn-preview-missing'))).toBeVisible();

  // Back to Pursuit: the run form is there again.
  await page.getByTestId('view-tab-pursuit').click();
  await expect(page.getByTestId('run-form')).toBeVisible();
  await expect(page.getByTestId('learn-panel')).toHaveCount(0);
});
