/**
 * Messages on a transport that carries the contract as data (the WebSocket, the engine's process channel):
 * requests with ids, responses, and events. Each side validates what it receives.
 */
import { z } from 'zod';
import { describeIssues, StudioError } from './errors';
import { EVENTS, OPERATIONS, StudioErrorShape, type EventName, type EventPayload, type OperationName, type Result } from './schemas';

export const RequestMessage = z.object({ kind: z.literal('request'), id: z.number().int().nonnegative(), op: z.string().max(100), params: z.unknown() }).strict();
export const ResponseMessage = z.union([
  z.object({ kind: z.literal('response'), id: z.number().int().nonnegative(), ok: z.literal(true), result: z.unknown() }).strict(),
  z.object({ kind: z.literal('response'), id: z.number().int().nonnegative(), ok: z.literal(false), error: StudioErrorShape }).strict(),
]);
export const EventMessage = z.object({ kind: z.literal('event'), event: z.string().max(100), payload: z.unknown() }).strict();
export const WireMessage = z.union([RequestMessage, ResponseMessage, EventMessage]);
export type RequestMessage = z.infer<typeof RequestMessage>;
export type ResponseMessage = z.infer<typeof ResponseMessage>;
export type EventMessage = z.infer<typeof EventMessage>;
export type WireMessage = z.infer<typeof WireMessage>;

export function isOperation(op: string): op is OperationName {
  return Object.prototype.hasOwnProperty.call(OPERATIONS, op);
}

export function isEvent(event: string): event is EventName {
  return Object.prototype.hasOwnProperty.call(EVENTS, event);
}

/** Validates the parameters of `op`; throws a StudioError('invalid-request') naming the fields. */
export function parseParams<Op extends OperationName>(op: Op, params: unknown): z.infer<(typeof OPERATIONS)[Op]['params']> {
  const r = OPERATIONS[op].params.safeParse(params ?? {});
  if (!r.success) throw new StudioError('invalid-request', `${op}: ${describeIssues(r.error.issues)}`, op);
  return r.data as z.infer<(typeof OPERATIONS)[Op]['params']>;
}

export function parseResult<Op extends OperationName>(op: Op, result: unknown): Result<Op> {
  const r = OPERATIONS[op].result.safeParse(result);
  if (!r.success) throw new StudioError('internal', `${op} returned a malformed result: ${describeIssues(r.error.issues)}`, op);
  return r.data as Result<Op>;
}

export function parseEvent<E extends EventName>(event: E, payload: unknown): EventPayload<E> {
  const r = EVENTS[event].safeParse(payload);
  if (!r.success) throw new StudioError('internal', `event ${event} is malformed: ${describeIssues(r.error.issues)}`, event);
  return r.data as EventPayload<E>;
}

export type Handlers = { [Op in OperationName]: (params: z.infer<(typeof OPERATIONS)[Op]['params']>) => Promise<Result<Op>> };

/** Turns any thrown value into the error shape that crosses the wire. */
export function toErrorShape(err: unknown): StudioErrorShape {
  if (err instanceof StudioError) return err.toShape();
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'internal', message };
}

/**
 * The server side of one request: validates the operation name and its parameters, runs the handler and
 * validates its result. Never throws; failures become error responses.
 */
export async function dispatch(handlers: Partial<Handlers>, message: unknown): Promise<ResponseMessage | undefined> {
  const req = RequestMessage.safeParse(message);
  if (!req.success) return undefined;
  const { id, op, params } = req.data;
  try {
    if (!isOperation(op)) throw new StudioError('invalid-request', `unknown operation "${op}"`, op);
    const handler = handlers[op] as ((p: unknown) => Promise<unknown>) | undefined;
    if (!handler) throw new StudioError('unavailable', `${op} is not available here`, op);
    const result = parseResult(op, await handler(parseParams(op, params)));
    return { kind: 'response', id, ok: true, result };
  } catch (err) {
    return { kind: 'response', id, ok: false, error: toErrorShape(err) };
  }
}
