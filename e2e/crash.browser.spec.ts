/**
 * Nothing lost, for real: the whole headless app (server and engine) is killed with SIGKILL in the middle of
 * a learning session, as `kill -9` or a power cut would. The app is started again on the same folders, the
 * project is reopened from the workbench, and the interrupted session is offered for resume: resumed, it
 * continues from its last checkpoint and ends where an uninterrupted session would, while the session that
 * had finished before the crash is untouched.
 *
 * This spec runs its own two servers (one killed, one started after), not the shared fixture.
 */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { startStudioServer, type OwnedStudioServer } from './support/server';
import { openWorkbench, watchPageErrors } from './support/workbench';

const ITERATIONS = 40;
const CHECKPOINT_EVERY = 4;

let first: OwnedStudioServer | undefined;
let second: OwnedStudioServer | undefined;

test.afterAll(async () => {
  await second?.close();
  await first?.close();
  if (first) rmSync(first.base, { recursive: true, force: true });
});

async function learnKsvd(page: Page, name: string, o: { downsample: string; patches: string; atoms: string; iterations: number }): Promise<void> {
  await page.getByTestId('learn-method-select').selectOption('ksvd');
  await page.getByTestId('learn-data-kind-select').selectOption('sample');
  await page.getByTestId('learn-sample-select').selectOption('camera');
  await page.getByTestId('learn-downsample-input').fill(o.downsample);
  await page.getByTestId('learn-param-patchSize').fill('8');
  await page.getByTestId('learn-param-atoms').fill(o.atoms);
  await page.getByTestId('learn-param-sparsity').fill('4');
  await page.getByTestId('learn-param-trainingPatches').fill(o.patches);
  await page.getByTestId('learn-param-sigma').fill('0');
  await page.getByTestId('learn-iterations-input').fill(String(o.iterations));
  await page.getByTestId('learn-checkpoint-every-input').fill(String(CHECKPOINT_EVERY));
  await page.getByTestId('learn-seed-input').fill('2');
  await page.getByTestId('learn-name-input').fill(name);
  await expect(page.getByTestId('learn-start-button')).toBeEnabled();
  await page.getByTestId('learn-start-button').click();
  await expect(page.getByTestId('run-details').getByTestId('run-details-name')).toHaveText(name);
}

test('a session killed with the whole app resumes from its checkpoint after a restart; a finished one is intact', async ({ browser }) => {
  test.setTimeout(150_000);
  first = await startStudioServer('crash');
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, colorScheme: 'light' });
  const page = await context.newPage();
  const pageErrors = watchPageErrors(page);
  const projectDir = path.join(first.tmp, 'lab');

  await openWorkbench(page, first.url);
  await page.getByTestId('new-project-button').click();
  const dialog = page.getByTestId('new-project-dialog');
  await dialog.getByTestId('project-name-input').fill('Crash lab');
  await dialog.getByTestId('project-dir-input').fill(projectDir);
  await dialog.getByTestId('create-project-button').click();
  await expect(dialog).toBeHidden();
  await page.getByTestId('view-tab-learn').click();

  // A short session that finishes before the crash…
  await learnKsvd(page, 'finished before', { downsample: '8', patches: '400', atoms: '16', iterations: 4 });
  await expect(page.getByTestId('learn-status')).toHaveText('finished', { timeout: 60_000 });
  const finishedId = (await page.getByTestId('run-details').getAttribute('data-run-id'))!;
  const finishedStatus = readFileSync(path.join(projectDir, 'runs', finishedId, 'status.json'), 'utf8');

  // …and a longer one killed, server and engine together, once it has saved a couple of checkpoints.
  await learnKsvd(page, 'killed midway', { downsample: '2', patches: '4000', atoms: '64', iterations: ITERATIONS });
  const killedId = (await page.getByTestId('run-details').getAttribute('data-run-id'))!;
  await expect
    .poll(async () => Number((await page.getByTestId('learn-checkpoint').getAttribute('data-iteration')) || 0), { timeout: 60_000, message: 'a checkpoint or two is saved' })
    .toBeGreaterThanOrEqual(2 * CHECKPOINT_EVERY);
  await first.crash();
  const onDisk = JSON.parse(readFileSync(path.join(projectDir, 'runs', killedId, 'status.json'), 'utf8')) as { status: string; checkpointIteration?: number };
  expect(onDisk.status, 'the kill came while the session ran').toBe('running');
  const checkpoint = onDisk.checkpointIteration!;
  expect(checkpoint).toBeGreaterThanOrEqual(CHECKPOINT_EVERY);
  expect(checkpoint).toBeLessThan(ITERATIONS);
  await expect(page.getByTestId('connection-error')).toBeVisible({ timeout: 15_000 });

  // The app again, on the same folders: the project is offered for reopening, the session for resuming.
  second = await startStudioServer('crash', { base: first.base });
  pageErrors.length = 0; // the lost connection's errors belong to the killed app
  await openWorkbench(page, second.url);
  await page.getByTestId('reopen-project-button').click();
  await expect(page.getByTestId('current-project')).toHaveAttribute('data-dir', projectDir);
  const banner = page.getByTestId('interrupted-runs');
  await expect(banner).toBeVisible();
  const row = banner.locator(`[data-testid="interrupted-run"][data-run-id="${killedId}"]`);
  await expect(row).toContainText(`continues from checkpoint ${checkpoint}`);
  await expect(banner.getByTestId('interrupted-run')).toHaveCount(1);
  const item = (id: string) => page.locator(`[data-testid="run-list-item"][data-run-id="${id}"]`);
  await expect(item(killedId)).toHaveAttribute('data-status', 'interrupted');
  await expect(item(finishedId)).toHaveAttribute('data-status', 'finished');

  await row.getByTestId('interrupted-resume').click();
  await expect(banner).toHaveCount(0);
  await expect(item(killedId)).toHaveAttribute('data-status', 'finished', { timeout: 90_000 });

  // The resumed session ran to its end, its metrics cover every iteration, and the finished one is as it was.
  const status = JSON.parse(readFileSync(path.join(projectDir, 'runs', killedId, 'status.json'), 'utf8')) as { status: string; iterations: number };
  expect(status).toMatchObject({ status: 'finished', iterations: ITERATIONS });
  const iterations = new Set(
    readFileSync(path.join(projectDir, 'runs', killedId, 'metrics.jsonl'), 'utf8')
      .split('\n')
      .flatMap((line) => {
        try {
          return [(JSON.parse(line) as { iteration: number }).iteration];
        } catch {
          return []; // a line torn by the kill
        }
      }),
  );
  for (let i = 1; i <= ITERATIONS; i++) expect(iterations.has(i), `iteration ${i} is in metrics.jsonl`).toBe(true);
  expect(readFileSync(path.join(projectDir, 'runs', finishedId, 'status.json'), 'utf8')).toBe(finishedStatus);
  expect(pageErrors, 'no errors in the page after the restart').toEqual([]);
  await context.close();
});
