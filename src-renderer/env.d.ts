import type { StudioClient } from '../src-shared/contract';

declare global {
  interface Window {
    /** The desktop app's preload exposes the contract here: one method per operation, plus `on`. */
    readonly sparseland?: StudioClient;
  }
}

export {};
