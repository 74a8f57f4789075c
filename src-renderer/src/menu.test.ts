import { describe, expect, it } from 'vitest';
import { asMenuCommand, onMenuCommand, type MenuCommand } from './menu';

describe('menu commands', () => {
  it('accepts the known commands and refuses anything else', () => {
    expect(asMenuCommand({ command: 'project.new' })).toEqual({ command: 'project.new' });
    expect(asMenuCommand({ command: 'project.openRecent', dir: '/p' })).toEqual({ command: 'project.openRecent', dir: '/p' });
    expect(asMenuCommand({ command: 'project.openRecent' })).toBeUndefined();
    expect(asMenuCommand({ command: 'project.saveAs' })).toEqual({ command: 'project.saveAs' });
    expect(asMenuCommand({ command: 'help.shortcuts', extra: 1 })).toEqual({ command: 'help.shortcuts' });
    expect(asMenuCommand({ command: 'shell.exec' })).toBeUndefined();
    expect(asMenuCommand(null)).toBeUndefined();
  });

  it('subscribes through the bridge when there is one, and is a no-op in a browser', () => {
    let deliver: ((c: unknown) => void) | undefined;
    const got: MenuCommand[] = [];
    const off = onMenuCommand({ onMenuCommand: (h: (c: unknown) => void) => ((deliver = h), () => (deliver = undefined)) }, (c) => got.push(c));
    deliver?.({ command: 'theme.toggle' });
    deliver?.({ command: 'nope' });
    off();
    expect(got).toEqual([{ command: 'theme.toggle' }]);
    expect(deliver).toBeUndefined();
    expect(() => onMenuCommand(undefined, () => {})()).not.toThrow();
  });
});
