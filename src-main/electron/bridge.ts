/**
 * What the preload puts on `window.sparseland`, and the IPC channels behind it. Shared by the preload and the
 * main process; it imports only zod and the contract, so it can move into src-shared unchanged when the
 * renderer needs the menu-command type (the renderer may not import from src-main).
 */
import { z } from 'zod';
import type { StudioClient } from '../../src-shared/contract';

/** Renderer → main: one contract request per invoke; the reply is the contract's ResponseMessage. */
export const CALL_CHANNEL = 'studio:call';
/** Main → renderer: `{ event, payload }` for every host event (run progress, status, previews, …). */
export const EVENT_CHANNEL = 'studio:event';
/** Main → renderer: an application-menu item the renderer carries out (see MenuCommand). */
export const MENU_CHANNEL = 'studio:menu';

/**
 * Menu items whose work happens in the window: they need the window's state (a form, the project store,
 * the theme). Items the main process can do alone (Quit, Reload, DevTools, About) never reach the renderer.
 */
export const MenuCommand = z.discriminatedUnion('command', [
  /** File › New Project…: ask for a name and a folder, then `projects.create`. */
  z.object({ command: z.literal('project.new') }).strict(),
  /** File › Open Project…: pick a folder (`dialogs.openDirectory`), then `projects.open`. */
  z.object({ command: z.literal('project.open') }).strict(),
  /** File › Recent › <project>: `projects.open({ dir })`. */
  z.object({ command: z.literal('project.openRecent'), dir: z.string().min(1).max(4096) }).strict(),
  /** File › Save Project As…: pick a folder (and a name), then `projects.saveAs`. */
  z.object({ command: z.literal('project.saveAs') }).strict(),
  /** Help › Keyboard Shortcuts: the help panel. */
  z.object({ command: z.literal('help.shortcuts') }).strict(),
  /** View › Toggle Theme. */
  z.object({ command: z.literal('theme.toggle') }).strict(),
]);
export type MenuCommand = z.infer<typeof MenuCommand>;

/** `window.sparseland`: the contract's StudioClient plus the desktop-only menu commands. */
export type SparselandBridge = StudioClient & {
  /** Calls `handler` for each menu command the user picks; returns the unsubscribe function. */
  onMenuCommand(handler: (command: MenuCommand) => void): () => void;
};

/**
 * How a failed call rejects in the window. contextBridge copies only the `message` of an Error thrown across
 * it (custom fields such as `code` are dropped), so the preload rejects with this plain object instead:
 * `message`, `code` and `where` arrive intact and `StudioError.from(e)` rebuilds the error.
 */
export interface BridgeError {
  readonly name: 'StudioError';
  readonly code: string;
  readonly message: string;
  readonly where?: string;
  toString(): string;
}
