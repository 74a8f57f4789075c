import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { MenuCommand } from './bridge';
import { menuTemplate, type MenuState } from './menu';

const base: MenuState = { platform: 'linux', dev: false, productName: 'Sparseland Studio', recent: [] };

function build(state: Partial<MenuState> = {}) {
  const actions = { send: vi.fn(), about: vi.fn() };
  return { template: menuTemplate({ ...base, ...state }, actions), actions };
}

const items = (item: MenuItemConstructorOptions | undefined) => (item?.submenu ?? []) as MenuItemConstructorOptions[];
const top = (template: MenuItemConstructorOptions[], label: string) => template.find((m) => m.label?.replace('&', '') === label);
const byLabel = (list: MenuItemConstructorOptions[], label: string) => list.find((i) => i.label === label);
const click = (item: MenuItemConstructorOptions | undefined) => (item?.click as (() => void) | undefined)?.();

describe('application menu', () => {
  it('has File, Edit, View and Help on Linux and Windows', () => {
    const { template } = build();
    expect(template.map((m) => m.label?.replace('&', '') ?? m.role)).toEqual(['File', 'editMenu', 'View', 'Help']);
  });

  it('File sends New Project, Open Project and Save Project As to the window and quits by role', () => {
    const { template, actions } = build();
    const file = items(top(template, 'File'));
    click(byLabel(file, 'New Project…'));
    click(byLabel(file, 'Open Project…'));
    click(byLabel(file, 'Save Project As…'));
    expect(actions.send.mock.calls).toEqual([[{ command: 'project.new' }], [{ command: 'project.open' }], [{ command: 'project.saveAs' }]]);
    expect(byLabel(file, 'Save Project As…')?.accelerator).toBe('CmdOrCtrl+Shift+S');
    expect(file.at(-1)?.role).toBe('quit');
  });

  it('Recent lists the recent projects and opens the one picked; empty, it says so', () => {
    const { template, actions } = build({ recent: [{ dir: '/data/a&b', name: 'A&B' }, { dir: '/data/c', name: 'C' }] });
    const recent = items(byLabel(items(top(template, 'File')), 'Recent'));
    expect(recent.map((r) => r.label)).toEqual(['A&&B — /data/a&&b', 'C — /data/c']);
    click(recent[1]);
    expect(actions.send).toHaveBeenCalledWith({ command: 'project.openRecent', dir: '/data/c' });

    const empty = items(byLabel(items(top(build().template, 'File')), 'Recent'));
    expect(empty).toHaveLength(1);
    expect(empty[0]!.enabled).toBe(false);
  });

  it('View toggles the theme; Reload and DevTools exist in development only', () => {
    const { template, actions } = build();
    const view = items(top(template, 'View'));
    click(byLabel(view, 'Toggle Theme'));
    expect(actions.send).toHaveBeenCalledWith({ command: 'theme.toggle' });
    expect(view.map((i) => i.role)).not.toContain('reload');
    expect(view.map((i) => i.role)).not.toContain('toggleDevTools');

    const devView = items(top(build({ dev: true }).template, 'View'));
    expect(devView.map((i) => i.role)).toEqual(expect.arrayContaining(['reload', 'toggleDevTools']));
  });

  it('Help › About shows the About box in the main process; Keyboard Shortcuts (F1) opens the help panel in the window', () => {
    const { template, actions } = build();
    const help = items(top(template, 'Help'));
    click(byLabel(help, 'About Sparseland Studio'));
    expect(actions.about).toHaveBeenCalledOnce();
    expect(actions.send).not.toHaveBeenCalled();
    const shortcuts = byLabel(help, 'Keyboard Shortcuts');
    expect(shortcuts?.accelerator).toBe('F1');
    click(shortcuts);
    expect(actions.send).toHaveBeenCalledWith({ command: 'help.shortcuts' });
  });

  it('on macOS puts About and Quit in the application menu and closes windows from File', () => {
    const { template } = build({ platform: 'darwin' });
    expect(template[0]!.label).toBe('Sparseland Studio');
    expect(template.map((m) => m.label).filter(Boolean)).toEqual(['Sparseland Studio', 'File', 'View', 'Help']);
    expect(items(template[0]).map((i) => i.role)).toContain('quit');
    expect(items(top(template, 'File')).at(-1)?.role).toBe('close');
  });

  it('every command the menu sends is one the preload accepts', () => {
    const { template, actions } = build({ dev: true, recent: [{ dir: '/x', name: 'x' }] });
    const walk = (list: MenuItemConstructorOptions[]): void => {
      for (const item of list) {
        click(item);
        walk(items(item));
      }
    };
    walk(template);
    expect(actions.send.mock.calls.length).toBeGreaterThanOrEqual(6);
    for (const [command] of actions.send.mock.calls) expect(MenuCommand.safeParse(command).success, JSON.stringify(command)).toBe(true);
  });
});

describe('MenuCommand', () => {
  it('rejects unknown commands and extra fields', () => {
    expect(MenuCommand.safeParse({ command: 'project.delete' }).success).toBe(false);
    expect(MenuCommand.safeParse({ command: 'project.new', dir: '/x' }).success).toBe(false);
    expect(MenuCommand.safeParse({ command: 'project.openRecent' }).success).toBe(false);
  });
});
