/**
 * The keyboard shortcuts of the window: one keydown listener that turns keys into actions (lib/shortcuts.ts
 * decides which), and whether the help panel that lists them is open. What an action does is given by the
 * component that owns it (App.vue), so the store holds no view logic.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { isMacPlatform, isTypingTarget, matchShortcut, type KeyLike, type ShortcutAction } from '../lib/shortcuts';
import { useAppStore } from './app';

export type ShortcutHandlers = Partial<Record<ShortcutAction, () => unknown>>;

type KeyEventLike = KeyLike & { readonly target: unknown; readonly defaultPrevented?: boolean; preventDefault(): void };

function platform(): string | undefined {
  if (typeof navigator === 'undefined') return undefined;
  const nav = navigator as Navigator & { userAgentData?: { platform?: string } };
  return nav.userAgentData?.platform || nav.platform;
}

export const useShortcutStore = defineStore('shortcuts', () => {
  const app = useAppStore();
  const helpOpen = ref(false);
  const mac = ref(isMacPlatform(platform()));
  let handlers: ShortcutHandlers = {};

  /** Handles one key event; true when it was a shortcut with a handler (the event's default is then prevented). */
  function handle(ev: KeyEventLike): boolean {
    if (ev.defaultPrevented) return false;
    const action = matchShortcut(ev, { mac: mac.value, typing: isTypingTarget(ev.target as Parameters<typeof isTypingTarget>[0]), electron: app.isElectron });
    if (!action) return false;
    if (action === 'help') {
      helpOpen.value = true;
      ev.preventDefault();
      return true;
    }
    if (action === 'dialog.close' && helpOpen.value) {
      helpOpen.value = false;
      ev.preventDefault();
      return true;
    }
    const h = handlers[action];
    if (!h) return false;
    // Escape also closes native dialogs itself; let the browser do that too.
    if (action !== 'dialog.close') ev.preventDefault();
    void h();
    return true;
  }

  /** Listens on `target` (the window) with these handlers; returns the function that stops listening. */
  function install(target: Pick<EventTarget, 'addEventListener' | 'removeEventListener'>, actions: ShortcutHandlers): () => void {
    handlers = actions;
    const listener = (ev: Event) => void handle(ev as unknown as KeyEventLike);
    target.addEventListener('keydown', listener);
    return () => {
      target.removeEventListener('keydown', listener);
      handlers = {};
    };
  }

  function showHelp(open = true) {
    helpOpen.value = open;
  }

  return { helpOpen, mac, handle, install, showHelp };
});
