/**
 * Smoke test of the desktop app (Playwright project "electron"): the built app starts, shows its window, and
 * the page is sandboxed — it sees the contract on `window.sparseland` and nothing of Node. One call goes all
 * the way through (page → preload → main → host → engine utility process) to prove the wiring.
 *
 * Needs `npm run build` first (it launches the built app, `electron .` → out/main/index.js) and the Electron
 * binary, which this repository installs without (no internet): then every test here is skipped, saying why.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron as electron, expect, test, type ElectronApplication } from '@playwright/test';
import { EVENTS, OPERATIONS } from '../src-shared/contract/schemas';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The electron package exports the path of its binary, and throws when it was installed without one. */
function electronBinary(): { ok: true; path: string } | { ok: false; reason: string } {
  let binary: unknown;
  try {
    binary = createRequire(import.meta.url)('electron');
  } catch (err) {
    return { ok: false, reason: (err as Error).message.split('\n')[0]! };
  }
  if (typeof binary !== 'string') return { ok: false, reason: 'the electron package did not name a binary' };
  if (!existsSync(binary)) return { ok: false, reason: `${binary} does not exist` };
  return { ok: true, path: binary };
}

const binary = electronBinary();
const needsDisplay = process.platform === 'linux' && !process.env['DISPLAY'] && !process.env['WAYLAND_DISPLAY'];

test.describe('desktop app', () => {
  test.skip(
    !binary.ok,
    `Electron binary not installed (node_modules/electron/dist missing): ${binary.ok ? '' : binary.reason}. ` +
      'On a machine with internet access run `node node_modules/electron/install.js` (or `npm rebuild electron`), then `npm run build`.',
  );
  test.skip(needsDisplay, 'No display for Electron (DISPLAY and WAYLAND_DISPLAY are unset): run the tests under `xvfb-run`.');

  let app: ElectronApplication | undefined;
  let userData: string | undefined;

  test.beforeEach(async ({}, testInfo) => {
    test.skip(testInfo.project.name !== '' && testInfo.project.name !== 'electron', 'runs in the "electron" Playwright project only');
    expect(existsSync(path.join(root, 'out/main/index.js')), 'the app is not built: run `npm run build` first').toBe(true);
    // A profile of its own: no lock shared with a running instance, no recent projects of the user's.
    userData = mkdtempSync(path.join(tmpdir(), 'sparseland-e2e-'));
    app = await electron.launch({
      args: [
        '.',
        // Chromium refuses to start as root with its OS sandbox (CI containers); the renderer stays sandboxed.
        ...(process.platform === 'linux' && process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      ],
      cwd: root,
      env: { ...process.env, SPARSELAND_USER_DATA_DIR: userData, ELECTRON_RENDERER_URL: '' },
      timeout: 60_000,
    });
  });

  test.afterEach(async () => {
    await app?.close();
    app = undefined;
    if (userData) rmSync(userData, { recursive: true, force: true });
  });

  test('opens its window, sandboxed, with the contract on window.sparseland', async () => {
    const window = await app!.firstWindow();
    await window.waitForLoadState('domcontentloaded');

    await expect(window).toHaveTitle(/Sparseland Studio/);
    const windowTitle = await app!.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]?.getTitle());
    expect(windowTitle).toMatch(/Sparseland Studio/);

    const page = await window.evaluate(() => {
      const w = window as unknown as Record<string, unknown>;
      const bridge = w['sparseland'] as Record<string, unknown> | undefined;
      return {
        bridge: typeof bridge,
        members: bridge ? Object.keys(bridge).sort() : [],
        require: typeof w['require'],
        process: typeof (globalThis as Record<string, unknown>)['process'],
        module: typeof w['module'],
        electron: typeof w['electron'],
        ipcRenderer: bridge ? 'ipcRenderer' in bridge : false,
      };
    });
    expect(page.bridge).toBe('object');
    expect(page.members).toEqual([...Object.keys(OPERATIONS), 'on', 'onMenuCommand', 'pathForFile'].sort());
    expect(page.ipcRenderer).toBe(false);
    expect(page.require).toBe('undefined');
    expect(page.process).toBe('undefined');
    expect(page.module).toBe('undefined');
    expect(page.electron).toBe('undefined');

    // The page may subscribe to contract events only.
    const onUnknown = await window.evaluate(() => {
      const bridge = (window as unknown as { sparseland: { on(e: string, h: () => void): () => void } }).sparseland;
      try {
        bridge.on('not-an-event', () => undefined);
        return 'accepted';
      } catch (err) {
        return (err as Error).message;
      }
    });
    expect(onUnknown).toMatch(/unknown event/);
    expect(Object.keys(EVENTS).length).toBeGreaterThan(0);

    // One request end to end: the host answers app.info, asking the engine process for ONNX Runtime's version.
    const info = await window.evaluate(() => (window as unknown as { sparseland: Record<string, (p: object) => Promise<{ host: string; onnxruntime: string }>> }).sparseland['app.info']!({}));
    expect(info.host).toBe('electron');
    expect(info.onnxruntime).toMatch(/^\d+\.\d+/);
  });
});
