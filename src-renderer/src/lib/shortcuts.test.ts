import { describe, expect, it } from 'vitest';
import { comboLabel, isMacPlatform, isTypingTarget, matchShortcut, SHORTCUTS, type KeyLike, type ShortcutAction } from './shortcuts';

const key = (k: string, extra: Partial<KeyLike> = {}): KeyLike => ({ key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...extra });
const pc = { mac: false, typing: false };
const mac = { mac: true, typing: false };

describe('shortcut matcher', () => {
  it('maps the main combinations on Linux/Windows (Ctrl) and macOS (Cmd)', () => {
    const cases: [KeyLike, KeyLike, ShortcutAction][] = [
      [key('n', { ctrlKey: true }), key('n', { metaKey: true }), 'project.new'],
      [key('o', { ctrlKey: true }), key('o', { metaKey: true }), 'project.open'],
      [key('S', { ctrlKey: true, shiftKey: true }), key('s', { metaKey: true, shiftKey: true }), 'project.saveAs'],
      [key('Enter', { ctrlKey: true }), key('Enter', { metaKey: true }), 'run.start'],
      [key('.', { ctrlKey: true }), key('.', { metaKey: true }), 'run.cancel'],
      [key('L', { ctrlKey: true, shiftKey: true }), key('l', { metaKey: true, shiftKey: true }), 'theme.toggle'],
    ];
    for (const [onPc, onMac, action] of cases) {
      expect(matchShortcut(onPc, pc), action).toBe(action);
      expect(matchShortcut(onMac, mac), action).toBe(action);
      // The other platform's modifier does not count.
      expect(matchShortcut(onPc, mac), `${action} with Ctrl on macOS`).toBeUndefined();
      expect(matchShortcut(onMac, pc), `${action} with Meta on PC`).toBeUndefined();
    }
  });

  it('needs the exact modifiers: Ctrl+S is not Save as, Ctrl+Alt+N is not New', () => {
    expect(matchShortcut(key('s', { ctrlKey: true }), pc)).toBeUndefined();
    expect(matchShortcut(key('n', { ctrlKey: true, altKey: true }), pc)).toBeUndefined();
    expect(matchShortcut(key('n'), pc)).toBeUndefined();
  });

  it('switches views with 1–5 and Alt+1–5, also by key code where Alt changes the character', () => {
    const views: ShortcutAction[] = ['view.data', 'view.pursuit', 'view.learn', 'view.theory', 'view.compare'];
    views.forEach((v, i) => {
      expect(matchShortcut(key(String(i + 1)), pc)).toBe(v);
      expect(matchShortcut(key(String(i + 1), { altKey: true }), pc)).toBe(v);
    });
    expect(matchShortcut(key('¡', { code: 'Digit1', altKey: true }), mac)).toBe('view.data');
    expect(matchShortcut(key('6'), pc)).toBeUndefined();
  });

  it('opens help with F1 and with ? (whatever shift the layout needs)', () => {
    expect(matchShortcut(key('F1'), pc)).toBe('help');
    expect(matchShortcut(key('?', { shiftKey: true }), pc)).toBe('help');
    expect(matchShortcut(key('?'), pc)).toBe('help');
  });

  it('while typing, lets plain keys type but keeps modifier combinations, F1 and Escape', () => {
    const typing = { mac: false, typing: true };
    expect(matchShortcut(key('2'), typing)).toBeUndefined();
    expect(matchShortcut(key('?', { shiftKey: true }), typing)).toBeUndefined();
    expect(matchShortcut(key('2', { altKey: true }), typing)).toBe('view.pursuit');
    expect(matchShortcut(key('Enter', { ctrlKey: true }), typing)).toBe('run.start');
    expect(matchShortcut(key('Enter'), typing)).toBeUndefined();
    expect(matchShortcut(key('F1'), typing)).toBe('help');
    expect(matchShortcut(key('Escape'), typing)).toBe('dialog.close');
  });

  it('in the desktop app leaves the menu its accelerators', () => {
    const electron = { mac: false, typing: false, electron: true };
    expect(matchShortcut(key('n', { ctrlKey: true }), electron)).toBeUndefined();
    expect(matchShortcut(key('s', { ctrlKey: true, shiftKey: true }), electron)).toBeUndefined();
    expect(matchShortcut(key('Enter', { ctrlKey: true }), electron)).toBe('run.start');
    expect(matchShortcut(key('F1'), electron)).toBe('help');
  });

  it('ignores auto-repeat (holding Ctrl+Enter starts one run) and IME composition', () => {
    expect(matchShortcut(key('Enter', { ctrlKey: true, repeat: true }), pc)).toBeUndefined();
    expect(matchShortcut(key('Escape', { repeat: true }), pc)).toBe('dialog.close');
    expect(matchShortcut(key('n', { ctrlKey: true, isComposing: true }), pc)).toBeUndefined();
  });

  it('has no two shortcuts on the same combination', () => {
    const seen = new Map<string, string>();
    for (const s of SHORTCUTS)
      for (const c of s.combos) {
        const id = comboLabel(c, false);
        expect(seen.get(id), `${id} is bound twice`).toBeUndefined();
        seen.set(id, s.action);
      }
  });
});

describe('shortcut labels and targets', () => {
  it('writes combinations the platform way', () => {
    expect(comboLabel({ key: 's', mod: true, shift: true }, false)).toBe('Ctrl+Shift+S');
    expect(comboLabel({ key: 's', mod: true, shift: true }, true)).toBe('⌘⇧S');
    expect(comboLabel({ key: 'Enter', mod: true }, false)).toBe('Ctrl+Enter');
    expect(comboLabel({ key: '?', shift: true }, false)).toBe('?');
    expect(comboLabel({ key: '2', alt: true }, false)).toBe('Alt+2');
  });

  it('knows which elements take text', () => {
    expect(isTypingTarget({ tagName: 'INPUT', type: 'text' })).toBe(true);
    expect(isTypingTarget({ tagName: 'INPUT', type: 'number' })).toBe(true);
    expect(isTypingTarget({ tagName: 'INPUT' })).toBe(true);
    expect(isTypingTarget({ tagName: 'INPUT', type: 'checkbox' })).toBe(false);
    expect(isTypingTarget({ tagName: 'TEXTAREA' })).toBe(true);
    expect(isTypingTarget({ tagName: 'SELECT' })).toBe(true);
    expect(isTypingTarget({ tagName: 'DIV', isContentEditable: true })).toBe(true);
    expect(isTypingTarget({ tagName: 'BUTTON' })).toBe(false);
    expect(isTypingTarget(null)).toBe(false);
    expect(isMacPlatform('MacIntel')).toBe(true);
    expect(isMacPlatform('Linux x86_64')).toBe(false);
  });
});
