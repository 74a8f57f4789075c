/**
 * The desktop app's menu items that act on the window (File › New/Open/Recent project, Save As…, View › Toggle
 * theme, Help › Keyboard Shortcuts) arrive through the preload's `onMenuCommand`. The shape mirrors the MenuCommand the preload
 * validates; the renderer cannot import it from src-main, so it checks the fields it uses.
 */
export type MenuCommand =
  | { command: 'project.new' }
  | { command: 'project.open' }
  | { command: 'project.openRecent'; dir: string }
  | { command: 'project.saveAs' }
  | { command: 'theme.toggle' }
  | { command: 'help.shortcuts' };

interface MenuBridge {
  onMenuCommand?: (handler: (command: unknown) => void) => () => void;
}

export function asMenuCommand(v: unknown): MenuCommand | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const c = v as { command?: unknown; dir?: unknown };
  switch (c.command) {
    case 'project.new':
    case 'project.open':
    case 'project.saveAs':
    case 'theme.toggle':
    case 'help.shortcuts':
      return { command: c.command };
    case 'project.openRecent':
      return typeof c.dir === 'string' && c.dir ? { command: c.command, dir: c.dir } : undefined;
    default:
      return undefined;
  }
}

/** Subscribes to menu commands when running in the desktop app; a no-op elsewhere. */
export function onMenuCommand(bridge: unknown, handler: (command: MenuCommand) => void): () => void {
  const b = bridge as MenuBridge | undefined;
  if (typeof b?.onMenuCommand !== 'function') return () => {};
  return b.onMenuCommand((raw) => {
    const command = asMenuCommand(raw);
    if (command) handler(command);
  });
}
