/** Helpers for driving the workbench page: what is drawn on a canvas, page errors, the file browser, downloads. */
import { readFile } from 'node:fs/promises';
import { expect, type Locator, type Page } from '@playwright/test';

export interface CanvasStats {
  readonly width: number;
  readonly height: number;
  /** Distinct RGBA values among the pixels (counting stops at 1024). */
  readonly distinct: number;
  /** Share of pixels that differ from the top-left one. */
  readonly varied: number;
}

/** Reads a canvas's pixels in the page; `canvas` may also be an element that contains one (an ECharts chart). */
export async function canvasStats(canvas: Locator): Promise<CanvasStats> {
  return canvas.evaluate((el) => {
    const c = el instanceof HTMLCanvasElement ? el : el.querySelector('canvas');
    if (!c) throw new Error('no canvas here');
    const ctx = c.getContext('2d');
    if (!ctx || c.width === 0 || c.height === 0) return { width: c.width, height: c.height, distinct: 0, varied: 0 };
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set<number>();
    let varied = 0;
    const r0 = d[0]!;
    const g0 = d[1]!;
    const b0 = d[2]!;
    const a0 = d[3]!;
    for (let i = 0; i < d.length; i += 4) {
      const r = d[i]!;
      const g = d[i + 1]!;
      const b = d[i + 2]!;
      const a = d[i + 3]!;
      if (r !== r0 || g !== g0 || b !== b0 || a !== a0) varied++;
      if (seen.size < 1024) seen.add(((r << 24) | (g << 16) | (b << 8) | a) >>> 0);
    }
    return { width: c.width, height: c.height, distinct: seen.size, varied: varied / (d.length / 4) };
  });
}

/** Asserts that a canvas has been drawn: a real size and not all pixels alike. */
export async function expectDrawn(canvas: Locator, what: string, minDistinct = 2): Promise<CanvasStats> {
  await expect(canvas, `${what} is on the page`).toBeVisible();
  let stats: CanvasStats | undefined;
  await expect
    .poll(async () => (stats = await canvasStats(canvas)).distinct, { message: `${what} is drawn (not blank)`, timeout: 10_000 })
    .toBeGreaterThanOrEqual(minDistinct);
  expect(stats!.width, `${what} has a width`).toBeGreaterThan(0);
  expect(stats!.height, `${what} has a height`).toBeGreaterThan(0);
  expect(stats!.varied, `${what} is not a single colour`).toBeGreaterThan(0);
  return stats!;
}

/** Collects uncaught page errors and console errors, so a test can assert that nothing crashed. */
export function watchPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`);
  });
  return errors;
}

/**
 * Takes the errors the page was expected to log out of `errors` (the app logs every error it shows in its
 * banner with console.error), and asserts there was exactly one such.
 */
export function takeExpectedError(errors: string[], pattern: RegExp): void {
  const matching = errors.filter((e) => pattern.test(e));
  expect(matching, `exactly one logged error matches ${pattern} (logged: ${JSON.stringify(errors)})`).toHaveLength(1);
  errors.splice(errors.indexOf(matching[0]!), 1);
}

/** Opens the workbench at the server's tokened URL and waits until it is connected and mounted. */
export async function openWorkbench(page: Page, url: string): Promise<void> {
  const response = await page.goto(url);
  expect(response?.status(), 'the tokened URL serves the workbench').toBe(200);
  await expect(page.getByTestId('run-form')).toBeVisible();
  await expect(page.getByTestId('connection-error')).toHaveCount(0);
  // The token is taken out of the address bar once the page has it.
  expect(page.url()).not.toContain('token=');
}

/** The file browser dialog, once open. */
export function fileBrowser(page: Page): Locator {
  return page.getByTestId('file-browser');
}

/** An entry of the open file browser, by name. */
export function fileBrowserEntry(page: Page, name: string): Locator {
  return fileBrowser(page).locator(`[data-testid="file-browser-entry"][data-name="${name}"]`);
}

/** Goes to one of the "Places" (an allowed root) in the open file browser. */
export async function goToRoot(page: Page, root: string): Promise<void> {
  const fb = fileBrowser(page);
  await fb.locator(`[data-testid="file-browser-root"][data-path="${root}"]`).click();
  await expect(fb.getByTestId('file-browser-path')).toHaveValue(root);
}

/** The run the panel shows, as marked in the run list. */
export function currentRunItem(page: Page): Locator {
  return page.locator('[data-testid="run-list-item"][aria-current="true"]');
}

export interface SavedFile {
  /** The name the page gave the file (the <a download> attribute). */
  readonly name: string;
  readonly bytes: Buffer;
}

/** Clicks a button that saves a file (an export) and returns what the browser downloaded. */
export async function downloadFrom(page: Page, button: Locator): Promise<SavedFile> {
  const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
  const failure = await download.failure();
  expect(failure, `the download of ${download.suggestedFilename()} completed`).toBeNull();
  const path = await download.path();
  return { name: download.suggestedFilename(), bytes: await readFile(path) };
}

/** The rows of a CSV file (CRLF or LF line ends), without the empty line after the last. */
export function csvLines(bytes: Buffer): string[] {
  return bytes
    .toString('utf8')
    .split(/\r?\n/)
    .filter((line, i, all) => line !== '' || i < all.length - 1);
}
