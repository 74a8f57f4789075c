/**
 * The Electron main process: one instance, one window, the application menu, native dialogs, and the IPC
 * binding of the contract. The host (projects, runs, persistence) lives in src-main/host; the engine runs in
 * an Electron utility process that the host supervises (engine-process.ts).
 *
 * Security (https://www.electronjs.org/docs/latest/tutorial/security): the renderer is sandboxed and
 * context-isolated without Node; it gets the contract through the preload only; every IPC message is checked
 * for its sender and validated; navigation, new windows, webviews and permission requests are refused; a
 * strict Content-Security-Policy is sent with every response (and the page carries its own <meta> policy).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeTheme, Notification, session, shell, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { dispatch, OPERATIONS, StudioError, type EventName, type EventPayload, type Handlers, type OperationName } from '../../src-shared/contract';
import { createStudioHost } from '../host/studio-host';
import type { StudioHost } from '../host/types';
import { CALL_CHANNEL, EVENT_CHANNEL, MENU_CHANNEL, type MenuCommand } from './bridge';
import { utilityEngineChannelFactory } from './engine-process';
import { JobWatch, type JobWatchUpdate } from './job-watch';
import { menuTemplate, type RecentEntry } from './menu';
import { contentSecurityPolicy, devPage, externalLink, filePage, isAppPage, type AppPage } from './security';

const PRODUCT_NAME = 'Sparseland Studio';
/** How long quitting waits for the host to mark running jobs interrupted and stop the engine. */
const DISPOSE_TIMEOUT_MS = 10_000;

const here = path.dirname(fileURLToPath(import.meta.url));
const dev = !app.isPackaged;
const rendererUrl = dev ? process.env['ELECTRON_RENDERER_URL'] : undefined;
const page: AppPage = rendererUrl ? devPage(rendererUrl) : filePage(path.join(here, '../renderer/index.html'));

/**
 * electron-vite emits the preload next to the main bundle's folder. A sandboxed preload is run as a classic
 * script, so it must be the CommonJS build (.cjs, or .js); an ES-module build (.mjs) cannot run sandboxed.
 */
function preloadPath(): string {
  const dir = path.join(here, '../preload');
  for (const name of ['index.cjs', 'index.js', 'index.mjs']) {
    const file = path.join(dir, name);
    if (existsSync(file)) {
      if (name.endsWith('.mjs')) console.error(`sparseland: ${file} is an ES module, which a sandboxed preload cannot be; build the preload as CommonJS`);
      return file;
    }
  }
  throw new Error(`no preload script in ${dir}: run \`npm run build\` first`);
}

// The same folder whether the app runs from source or packaged (Electron would otherwise derive it from
// package.json's "name" in one case and "productName" in the other). SPARSELAND_USER_DATA_DIR lets tests
// run beside a real instance without sharing its lock or its recent projects.
app.setPath('userData', process.env['SPARSELAND_USER_DATA_DIR'] || path.join(app.getPath('appData'), PRODUCT_NAME));
app.setName(PRODUCT_NAME);
// Every renderer sandboxed, whatever a window's own preferences say.
app.enableSandbox();

/** `work`, or a rejection with `message` once `ms` have passed. */
function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([work, expiry]).finally(() => clearTimeout(timer));
}

if (!app.requestSingleInstanceLock()) {
  // Another instance owns the window; it is told through 'second-instance' and comes to the front.
  app.quit();
} else {
  start();
}

function start(): void {
  let mainWindow: BrowserWindow | undefined;
  let host: StudioHost | undefined;
  let hostError: unknown;
  let recent: RecentEntry[] = [];

  // ---- the window ---------------------------------------------------------------------------------------

  function createWindow(): BrowserWindow {
    const win = new BrowserWindow({
      width: 1440,
      height: 920,
      minWidth: 960,
      minHeight: 600,
      title: PRODUCT_NAME,
      show: false,
      backgroundColor: nativeTheme.shouldUseDarkColors ? '#16181d' : '#ffffff',
      webPreferences: {
        preload: preloadPath(),
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        nodeIntegrationInSubFrames: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        webviewTag: false,
        navigateOnDragDrop: false,
        safeDialogs: true,
        spellcheck: false,
      },
    });
    mainWindow = win;
    const reveal = () => {
      if (!win.isDestroyed() && !win.isVisible()) win.show();
    };
    win.once('ready-to-show', reveal);
    // A page that never paints (a broken build) must still show its window rather than nothing at all.
    const fallback = setTimeout(reveal, 5000);
    win.on('closed', () => {
      clearTimeout(fallback);
      if (mainWindow === win) mainWindow = undefined;
    });
    win.webContents.on('did-fail-load', (_e, code, description, url, isMainFrame) => {
      if (isMainFrame) console.error(`sparseland: the window could not load ${url}: ${description} (${code})`);
    });
    win.webContents.on('render-process-gone', (_e, details) => {
      if (details.reason === 'clean-exit') return;
      void dialog
        .showMessageBox(win, {
          type: 'error',
          title: PRODUCT_NAME,
          message: 'The window stopped working.',
          detail: `Its renderer process ended (${details.reason}, exit code ${details.exitCode}). Your projects and runs are safe on disk; running jobs go on in the engine. Reload the window to continue.`,
          buttons: ['Reload', 'Quit'],
          defaultId: 0,
          cancelId: 1,
        })
        .then(({ response }) => {
          if (win.isDestroyed()) return;
          if (response === 0) win.webContents.reload();
          else app.quit();
        });
    });
    if (page.kind === 'dev') void win.loadURL(page.url.toString());
    else void win.loadFile(fileURLToPath(page.url));
    return win;
  }

  function focusWindow(): void {
    const win = mainWindow ?? createWindow();
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  }

  function sendToWindow(channel: string, message: unknown): void {
    const win = mainWindow;
    if (!win || win.isDestroyed() || win.webContents.isDestroyed() || win.webContents.isCrashed()) return;
    win.webContents.send(channel, message);
  }

  // ---- IPC: the contract, from our own page only ------------------------------------------------------------

  /** The message must come from our window's top frame, showing our page, on every call. */
  function trustedSender(event: IpcMainInvokeEvent): boolean {
    const win = mainWindow;
    if (!win || win.isDestroyed() || event.sender.id !== win.webContents.id) return false;
    const frame = event.senderFrame;
    if (!frame || frame.parent !== null) return false;
    return isAppPage(page, frame.url);
  }

  async function openDialog(options: Electron.OpenDialogOptions): Promise<{ path: string | null }> {
    const win = mainWindow;
    const result = win && !win.isDestroyed() ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
    return { path: result.canceled ? null : (result.filePaths[0] ?? null) };
  }

  const dialogHandlers: Pick<Handlers, 'dialogs.openFile' | 'dialogs.openDirectory'> = {
    'dialogs.openFile': ({ title, filters }) => openDialog({ title, filters: filters.length ? [...filters, { name: 'All Files', extensions: ['*'] }] : [], properties: ['openFile'] }),
    'dialogs.openDirectory': ({ title }) => openDialog({ title, properties: ['openDirectory', 'createDirectory', 'promptToCreate'] }),
  };

  /** Before the host is up, or if it could not start, every host operation answers why. */
  function unavailableHandlers(): Partial<Handlers> {
    const reason =
      hostError === undefined
        ? 'the engine host is still starting; try again in a moment'
        : `the engine host could not start: ${hostError instanceof Error ? hostError.message : String(hostError)}. Restart the app; if this persists, check that the folder ${app.getPath('userData')} is writable.`;
    const handlers: Partial<Record<OperationName, () => Promise<never>>> = {};
    for (const op of Object.keys(OPERATIONS) as OperationName[]) {
      handlers[op] = () => Promise.reject(new StudioError('unavailable', `${op}: ${reason}`, op));
    }
    return handlers as Partial<Handlers>;
  }

  // ---- jobs outside the window: taskbar progress and native notifications ---------------------------------

  const jobs = new JobWatch();
  /** Held until closed: a notification the garbage collector takes loses its click handler. */
  const notices = new Set<Notification>();

  function showJobs(update: JobWatchUpdate): void {
    const win = mainWindow;
    if (win && !win.isDestroyed()) win.setProgressBar(update.progress);
    if (update.notice && Notification.isSupported()) {
      const notification = new Notification({ title: `${PRODUCT_NAME}: ${update.notice.title}`, body: update.notice.body });
      notices.add(notification);
      notification.on('click', () => focusWindow());
      notification.on('close', () => notices.delete(notification));
      notification.show();
    }
  }

  const hostReady = app.whenReady().then(async () => {
    const created = await createStudioHost({ kind: 'electron', stateDir: app.getPath('userData') }, utilityEngineChannelFactory(path.join(here, 'engine-worker.js')));
    host = created;
    created.subscribe(<E extends EventName>(event: E, payload: EventPayload<E>) => {
      sendToWindow(EVENT_CHANNEL, { event, payload });
      if (event === 'project.changed') void refreshRecent();
      const update = jobs.onEvent(event, payload);
      if (update) showJobs(update);
    });
    return created;
  });
  hostReady.catch((err: unknown) => {
    hostError = err;
    console.error('sparseland: the engine host could not start:', err);
  });

  ipcMain.handle(CALL_CHANNEL, async (event, message: unknown) => {
    if (!trustedSender(event)) {
      console.error(`sparseland: refused a ${CALL_CHANNEL} message from ${event.senderFrame?.url ?? 'a destroyed frame'}`);
      throw new Error('refused: this channel serves only the app window');
    }
    await hostReady.catch(() => undefined);
    const handlers: Partial<Handlers> = { ...(host ? host.handlers : unavailableHandlers()), ...dialogHandlers };
    return dispatch(handlers, message);
  });

  // ---- menu ---------------------------------------------------------------------------------------------------

  function sendMenuCommand(command: MenuCommand): void {
    if (!mainWindow) focusWindow();
    sendToWindow(MENU_CHANNEL, command);
  }

  async function showAbout(): Promise<void> {
    let engine = 'ONNX Runtime: not started';
    const appInfo = host?.handlers['app.info'];
    if (appInfo) {
      try {
        const info = await withTimeout(appInfo({}), 5000, 'the engine did not answer within 5 s');
        engine = `ONNX Runtime ${info.onnxruntime} — providers: ${info.providers.available.join(', ') || 'none'} (using ${info.providers.used})`;
      } catch (err) {
        engine = `ONNX Runtime: unavailable (${err instanceof Error ? err.message : String(err)})`;
      }
    }
    const options: Electron.MessageBoxOptions = {
      type: 'info',
      title: `About ${PRODUCT_NAME}`,
      message: `${PRODUCT_NAME} ${app.getVersion()}`,
      detail: [
        'A workbench for sparse coding research: Sparseland, convolutional sparse coding and multi-layer CSC.',
        '',
        engine,
        `Electron ${process.versions.electron} · Chromium ${process.versions.chrome} · Node ${process.versions.node}`,
      ].join('\n'),
      buttons: ['OK'],
    };
    const win = mainWindow;
    await (win && !win.isDestroyed() ? dialog.showMessageBox(win, options) : dialog.showMessageBox(options));
  }

  function buildMenu(): void {
    Menu.setApplicationMenu(
      Menu.buildFromTemplate(
        menuTemplate({ platform: process.platform, dev, productName: PRODUCT_NAME, recent }, { send: sendMenuCommand, about: () => void showAbout() }),
      ),
    );
  }

  async function refreshRecent(): Promise<void> {
    const list = host?.handlers['projects.recent'];
    if (!list) return;
    try {
      recent = (await list({})).map((r) => ({ dir: r.dir, name: r.name }));
    } catch (err) {
      console.error('sparseland: could not read the recent projects:', err);
      return;
    }
    buildMenu();
  }

  // ---- hardening of every web contents ------------------------------------------------------------------------

  function openExternal(url: string): void {
    const safe = externalLink(url);
    if (safe) void shell.openExternal(safe);
    else console.error(`sparseland: refused to open ${url.slice(0, 200)}`);
  }

  function harden(contents: WebContents): void {
    contents.setWindowOpenHandler(({ url }) => {
      openExternal(url);
      return { action: 'deny' };
    });
    contents.on('will-navigate', (event, url) => {
      if (isAppPage(page, url)) return;
      event.preventDefault();
      openExternal(url);
    });
    contents.on('will-redirect', (event, url) => {
      if (!isAppPage(page, url)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
  }

  app.on('web-contents-created', (_event, contents) => harden(contents));

  app.on('second-instance', () => focusWindow());

  // ---- start-up -----------------------------------------------------------------------------------------------

  void app.whenReady().then(() => {
    if (process.platform === 'win32') app.setAppUserModelId('org.sparseland.studio');
    const policy = contentSecurityPolicy(page);
    session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
      const headers = Object.fromEntries(Object.entries(details.responseHeaders ?? {}).filter(([name]) => name.toLowerCase() !== 'content-security-policy'));
      callback({ responseHeaders: { ...headers, 'Content-Security-Policy': [policy] } });
    });
    session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
    session.defaultSession.setPermissionCheckHandler(() => false);
    session.defaultSession.setDevicePermissionHandler(() => false);

    buildMenu();
    createWindow();
    void hostReady.then(() => refreshRecent()).catch(() => undefined);

    app.on('activate', () => {
      // macOS: clicking the dock icon with no window open brings one back.
      if (BrowserWindow.getAllWindows().length === 0) createWindow();
    });
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  // ---- quitting: stop the host first (running jobs are marked interrupted), then exit -----------------------

  let quitState: 'running' | 'disposing' | 'done' = 'running';
  app.on('before-quit', (event) => {
    if (quitState === 'done') return;
    event.preventDefault();
    if (quitState === 'disposing') return;
    quitState = 'disposing';
    void shutDownHost().finally(() => {
      quitState = 'done';
      app.quit();
    });
  });

  async function shutDownHost(): Promise<void> {
    const h = await hostReady.catch(() => undefined);
    if (!h) return;
    try {
      await withTimeout(h.dispose(), DISPOSE_TIMEOUT_MS, `the engine host did not stop within ${DISPOSE_TIMEOUT_MS / 1000} s`);
    } catch (err) {
      console.error('sparseland: quitting without a clean stop of the engine host:', err instanceof Error ? err.message : err);
    }
  }

  // A terminal's Ctrl+C or a service manager's SIGTERM goes through the same orderly quit.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => app.quit());
}
