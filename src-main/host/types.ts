/** What the front doors (Electron IPC, the headless server, the CLI) see of the host. */
import type { EventName, EventPayload, Handlers } from '../../src-shared/contract';

export type HostKind = 'electron' | 'browser' | 'cli';

export type HostEventListener = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

export interface StudioHost {
  /**
   * Implementations of the contract's operations. Bindings pass every incoming request through
   * `dispatch(host.handlers, message)` from src-shared/contract; dialogs.* are supplied by the Electron
   * binding (native dialogs) and are absent in the browser, which uses files.list instead.
   */
  readonly handlers: Partial<Handlers>;
  /** Every event for every client; returns the unsubscribe function. */
  subscribe(listener: HostEventListener): () => void;
  /** Stops running jobs (they are marked interrupted), stops the engine process. */
  dispose(): Promise<void>;
}

export interface StudioHostOptions {
  readonly kind: HostKind;
  /** Where recent projects and settings are kept. */
  readonly stateDir: string;
  /**
   * Directories the client may read and write under (browser mode). Every path a request names must lie
   * inside one of them, after resolving symlinks. Undefined: unrestricted (desktop app and CLI).
   */
  readonly allowedRoots?: readonly string[];
  /** A project to open at start. */
  readonly projectDir?: string;
}
