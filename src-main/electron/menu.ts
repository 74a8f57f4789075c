/**
 * The application menu, as a template built from plain state (no Electron import at run time, so the shape is
 * unit-tested). Items that need the window's state send a MenuCommand to the renderer; the rest are Electron
 * roles or main-process actions.
 */
import type { MenuItemConstructorOptions } from 'electron';
import type { MenuCommand } from './bridge';

export interface RecentEntry {
  readonly dir: string;
  readonly name: string;
}

export interface MenuState {
  readonly platform: NodeJS.Platform;
  /** Development build (not packaged): adds Reload and Toggle Developer Tools. */
  readonly dev: boolean;
  readonly productName: string;
  readonly recent: readonly RecentEntry[];
}

export interface MenuActions {
  /** Hands a command to the renderer (studio:menu). */
  send(command: MenuCommand): void;
  /** Shows the About box. */
  about(): void;
}

const MAX_RECENT_ITEMS = 10;

/**
 * On Windows and Linux `&` in a label marks the access key (Alt+F for "&File") and `&&` is a literal `&`;
 * macOS menus have no access keys, so labels go there as they are.
 */
function accessKey(label: string, mac: boolean): string {
  return mac ? label : `&${label}`;
}

function literal(label: string, mac: boolean): string {
  return mac ? label : label.replace(/&/g, '&&');
}

export function recentSubmenu(recent: readonly RecentEntry[], actions: MenuActions, mac = false): MenuItemConstructorOptions[] {
  if (recent.length === 0) return [{ label: 'No Recent Projects', enabled: false }];
  return recent.slice(0, MAX_RECENT_ITEMS).map((r) => ({
    label: literal(`${r.name} — ${r.dir}`, mac),
    click: () => actions.send({ command: 'project.openRecent', dir: r.dir }),
  }));
}

export function menuTemplate(state: MenuState, actions: MenuActions): MenuItemConstructorOptions[] {
  const mac = state.platform === 'darwin';
  const about = (): MenuItemConstructorOptions => ({ label: `About ${state.productName}`, click: () => actions.about() });

  const file: MenuItemConstructorOptions = {
    label: accessKey('File', mac),
    submenu: [
      { label: 'New Project…', accelerator: 'CmdOrCtrl+N', click: () => actions.send({ command: 'project.new' }) },
      { label: 'Open Project…', accelerator: 'CmdOrCtrl+O', click: () => actions.send({ command: 'project.open' }) },
      { label: 'Recent', submenu: recentSubmenu(state.recent, actions, mac) },
      { type: 'separator' },
      { label: 'Save Project As…', accelerator: 'CmdOrCtrl+Shift+S', click: () => actions.send({ command: 'project.saveAs' }) },
      { type: 'separator' },
      // On macOS Quit lives in the application menu and File ends with Close Window.
      mac ? { role: 'close' } : { role: 'quit', label: 'Quit', accelerator: 'CmdOrCtrl+Q' },
    ],
  };

  const view: MenuItemConstructorOptions = {
    label: accessKey('View', mac),
    submenu: [
      { label: 'Toggle Theme', accelerator: 'CmdOrCtrl+Shift+L', click: () => actions.send({ command: 'theme.toggle' }) },
      ...(state.dev ? ([{ type: 'separator' }, { role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }] satisfies MenuItemConstructorOptions[]) : []),
      { type: 'separator' },
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
    ],
  };

  const shortcuts: MenuItemConstructorOptions = { label: 'Keyboard Shortcuts', accelerator: 'F1', click: () => actions.send({ command: 'help.shortcuts' }) };
  const help: MenuItemConstructorOptions = { role: 'help', label: accessKey('Help', mac), submenu: [shortcuts, { type: 'separator' }, about()] };

  const appMenu: MenuItemConstructorOptions[] = mac
    ? [
        {
          label: state.productName,
          submenu: [about(), { type: 'separator' }, { role: 'services' }, { type: 'separator' }, { role: 'hide' }, { role: 'hideOthers' }, { role: 'unhide' }, { type: 'separator' }, { role: 'quit' }],
        },
      ]
    : [];

  // Edit keeps the clipboard shortcuts working in text fields (on macOS they exist only through the menu).
  return [...appMenu, file, { role: 'editMenu' }, view, ...(mac ? [{ role: 'windowMenu' } satisfies MenuItemConstructorOptions] : []), help];
}
