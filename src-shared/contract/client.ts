/** The client side of the contract: what the renderer (and scripts) program against, whatever the transport. */
import type { EventName, EventPayload, OperationName, Params, Result } from './schemas';

export type StudioClient = {
  readonly [Op in OperationName]: (params: Params<Op>) => Promise<Result<Op>>;
} & {
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends EventName>(event: E, handler: (payload: EventPayload<E>) => void): () => void;
};

export type EventHandlers = { [E in EventName]?: Set<(payload: EventPayload<E>) => void> };
