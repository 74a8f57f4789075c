/**
 * One browser page for all the steps of a serial spec, as a user's session keeps one window: created before
 * the first step (the project's viewport and colour scheme, downloads allowed), checked after every step for
 * uncaught page errors and console errors, photographed whole when a step fails (Playwright's own failure
 * screenshot shows only the viewport), and closed after the last step.
 */
import type { Page } from '@playwright/test';
import { expect, test as serverTest } from './server';
import { watchPageErrors } from './workbench';

export function sharePageAcrossSteps(test: typeof serverTest, receive: (page: Page, pageErrors: string[]) => void): void {
  let page: Page | undefined;
  let pageErrors: string[] = [];

  test.beforeAll(async ({ browser }, testInfo) => {
    const { viewport, colorScheme } = testInfo.project.use;
    const context = await browser.newContext({ viewport: viewport ?? { width: 1400, height: 1000 }, colorScheme: colorScheme ?? 'light', acceptDownloads: true });
    page = await context.newPage();
    pageErrors = watchPageErrors(page);
    receive(page, pageErrors);
  });

  test.afterEach(async ({}, testInfo) => {
    if (testInfo.status !== testInfo.expectedStatus && page && !page.isClosed()) {
      const shot = testInfo.outputPath('page-on-failure-full-page.png');
      await page.screenshot({ path: shot, fullPage: true });
      await testInfo.attach('page-on-failure-full-page.png', { path: shot, contentType: 'image/png' });
    }
    expect(pageErrors, 'no uncaught errors or console errors in the page').toEqual([]);
  });

  test.afterAll(async () => {
    await page?.context().close();
  });
}
