/**
 * The keyboard shortcuts: one table (what the help panel lists) and a pure matcher from a key event to an
 * action. "Mod" is Cmd on macOS and Ctrl elsewhere. While the user types in a field, only combinations with
 * Mod (or Alt), F1 and Escape act, so plain keys such as "1" or "?" still type.
 */

export type ShortcutAction =
  | 'project.new'
  | 'project.open'
  | 'project.saveAs'
  | 'run.start'
  | 'run.cancel'
  | 'dialog.close'
  | 'view.data'
  | 'view.pursuit'
  | 'view.learn'
  | 'view.theory'
  | 'view.compare'
  | 'help'
  | 'theme.toggle';

export interface KeyCombo {
  /** KeyboardEvent.key, lower case for letters. */
  readonly key: string;
  /** KeyboardEvent.code, matched when the key differs by layout (Alt+1 on macOS types "¡"). */
  readonly code?: string;
  readonly mod?: boolean;
  readonly shift?: boolean;
  readonly alt?: boolean;
}

export interface Shortcut {
  readonly action: ShortcutAction;
  readonly combos: readonly KeyCombo[];
  readonly description: string;
  /** The desktop app's menu has the same accelerator: there the menu acts and the page must not act twice. */
  readonly inMenu?: boolean;
}

const digit = (n: number, alt: boolean): KeyCombo => ({ key: String(n), code: `Digit${n}`, ...(alt ? { alt: true } : {}) });
const view = (action: ShortcutAction, n: number, name: string): Shortcut => ({ action, combos: [digit(n, true), digit(n, false)], description: `Show ${name}` });

export const SHORTCUTS: readonly Shortcut[] = [
  { action: 'project.new', combos: [{ key: 'n', mod: true }], description: 'New project', inMenu: true },
  { action: 'project.open', combos: [{ key: 'o', mod: true }], description: 'Open a project', inMenu: true },
  { action: 'project.saveAs', combos: [{ key: 's', mod: true, shift: true }], description: 'Save the project as… (a copy in another folder)', inMenu: true },
  { action: 'run.start', combos: [{ key: 'Enter', mod: true }], description: 'Start the run, session or analysis of the view on show' },
  { action: 'run.cancel', combos: [{ key: '.', mod: true }], description: 'Cancel the job that is running' },
  { action: 'dialog.close', combos: [{ key: 'Escape' }], description: 'Close the dialog or menu that is open' },
  view('view.data', 1, 'Data'),
  view('view.pursuit', 2, 'Pursuit'),
  view('view.learn', 3, 'Learn'),
  view('view.theory', 4, 'Theory'),
  view('view.compare', 5, 'Compare'),
  { action: 'help', combos: [{ key: 'F1' }, { key: '?', shift: true }], description: 'Show this list of shortcuts', inMenu: false },
  { action: 'theme.toggle', combos: [{ key: 'l', mod: true, shift: true }], description: 'Switch between the light and dark theme', inMenu: true },
];

export interface KeyLike {
  readonly key: string;
  readonly code?: string;
  readonly ctrlKey: boolean;
  readonly metaKey: boolean;
  readonly shiftKey: boolean;
  readonly altKey: boolean;
  readonly repeat?: boolean;
  readonly isComposing?: boolean;
}

export interface MatchContext {
  readonly mac: boolean;
  /** Focus is in a text field, a select or an editable element. */
  readonly typing: boolean;
  /** In the desktop app the menu handles its own accelerators. */
  readonly electron?: boolean;
}

/** Keys that stand for themselves: a shifted key's `key` already says the shift ("?", "!"), so shift is not compared. */
function shiftIsInKey(combo: KeyCombo): boolean {
  return combo.key.length === 1 && !/[a-z0-9]/i.test(combo.key);
}

export function comboMatches(combo: KeyCombo, ev: KeyLike, mac: boolean): boolean {
  const mod = mac ? ev.metaKey : ev.ctrlKey;
  // The other platform's modifier must not be down (Ctrl+N on macOS is not Cmd+N).
  const otherMod = mac ? ev.ctrlKey : ev.metaKey;
  if (otherMod || mod !== !!combo.mod || ev.altKey !== !!combo.alt) return false;
  if (!shiftIsInKey(combo) && ev.shiftKey !== !!combo.shift) return false;
  const key = ev.key.length === 1 ? ev.key.toLowerCase() : ev.key;
  return key === combo.key || (combo.code !== undefined && ev.code === combo.code);
}

/** The action a key event asks for, or undefined. */
export function matchShortcut(ev: KeyLike, ctx: MatchContext, table: readonly Shortcut[] = SHORTCUTS): ShortcutAction | undefined {
  if (ev.isComposing) return undefined;
  for (const s of table) {
    if (ctx.electron && s.inMenu) continue;
    for (const c of s.combos) {
      if (!comboMatches(c, ev, ctx.mac)) continue;
      if (ctx.typing && !c.mod && !c.alt && c.key !== 'F1' && c.key !== 'Escape') continue;
      // Holding a key down must not start run after run.
      if (ev.repeat && s.action !== 'dialog.close') return undefined;
      return s.action;
    }
  }
  return undefined;
}

/** How a combination is written on this platform, e.g. "Ctrl+Shift+S" or "⌘⇧S". */
export function comboLabel(c: KeyCombo, mac: boolean): string {
  const key = c.key === 'Enter' ? (mac ? '↩' : 'Enter') : c.key === 'Escape' ? 'Esc' : c.key.length === 1 ? c.key.toUpperCase() : c.key;
  if (mac) return `${c.mod ? '⌘' : ''}${c.alt ? '⌥' : ''}${c.shift && !shiftIsInKey(c) ? '⇧' : ''}${key}`;
  return [c.mod ? 'Ctrl' : '', c.alt ? 'Alt' : '', c.shift && !shiftIsInKey(c) ? 'Shift' : '', key].filter(Boolean).join('+');
}

/** Whether an element takes typed text (so plain keys must reach it). */
export function isTypingTarget(el: { tagName?: string; isContentEditable?: boolean; type?: string } | null | undefined): boolean {
  if (!el || !el.tagName) return false;
  if (el.isContentEditable) return true;
  const tag = el.tagName.toUpperCase();
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag !== 'INPUT') return false;
  // Buttons, checkboxes and the like take no text.
  return !['button', 'submit', 'reset', 'checkbox', 'radio', 'range', 'color', 'file', 'image'].includes((el.type ?? 'text').toLowerCase());
}

export function isMacPlatform(platform: string | undefined): boolean {
  return !!platform && /mac|iphone|ipad/i.test(platform);
}
