/**
 * The one StudioClient of this window, set once at start-up (transport.ts decides which binding) and
 * read by the stores. Tests set a fake.
 */
import type { StudioClient } from '../../src-shared/contract';

let current: StudioClient | undefined;

export function provideStudioClient(client: StudioClient | undefined): void {
  current = client;
}

export function useStudioClient(): StudioClient {
  if (!current) throw new Error('No connection to the engine host yet: connect() must resolve before the stores are used.');
  return current;
}
