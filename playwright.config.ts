/**
 * End-to-end tests. Two projects:
 *   browser  — the real headless server (`sparseland serve`, real engine) driven in Debian's Chromium
 *              (/usr/bin/chromium; Playwright's own browsers are never downloaded). Files: e2e/*.browser.spec.ts.
 *   electron — the desktop app (e2e/electron.spec.ts); skipped, with its reason, where the Electron binary
 *              or a display is missing.
 * `npx playwright test` works on a fresh clone: the global setup builds the renderer when it is missing or
 * older than its sources. Runs are small (64×64 images, ~1 s of ML-FISTA) for a 2-core machine.
 */
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results/e2e',
  globalSetup: './e2e/support/global-setup.ts',
  // One worker: the engine (ONNX Runtime) uses the cores itself, and two servers side by side would only
  // make every timing slower and flakier on a 2-core machine.
  workers: 1,
  fullyParallel: false,
  // No retries: a test that needs a retry to pass is a bug to fix, not to hide.
  retries: 0,
  forbidOnly: !!process.env['CI'],
  timeout: 90_000,
  expect: { timeout: 15_000 },
  // `list` for people; `json` for scripts/test.mjs, which names the file in PLAYWRIGHT_JSON_OUTPUT_NAME.
  // Without that variable the JSON reporter would print the whole report to stdout after the list, so a
  // plain `npx playwright test` writes it to test-results/e2e.json (the file scripts/test.mjs uses) instead.
  reporter: [['list'], ['json', { outputFile: process.env['PLAYWRIGHT_JSON_OUTPUT_NAME'] || 'test-results/e2e.json' }]],
  use: {
    screenshot: 'only-on-failure',
    trace: process.env['E2E_TRACE'] === '1' ? 'retain-on-failure' : 'off',
    actionTimeout: 15_000,
    navigationTimeout: 30_000,
  },
  projects: [
    {
      name: 'browser',
      testMatch: /.*\.browser\.spec\.ts$/,
      use: {
        browserName: 'chromium',
        viewport: { width: 1400, height: 1000 },
        // Deterministic: the app follows the system theme until the user picks one.
        colorScheme: 'light',
        launchOptions: {
          executablePath: '/usr/bin/chromium',
          args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
        },
      },
    },
    {
      name: 'electron',
      testMatch: /(^|\/)electron\.spec\.ts$/,
    },
  ],
});
