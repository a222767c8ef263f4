/**
 * What a REST handler receives and returns, typed from the contract. Handlers never touch `res`:
 * the app sends. A handler returns only its operation's success answers (status and body as the
 * contract types them); every other status leaves as a thrown HttpError.
 */
import type { Request } from 'express';
import {
  type BodyOf,
  type OperationId,
  operations,
  type PathParamsOf,
  type QueryOf,
  type ResponseOf,
  type StatusOf,
} from '../contract/index.ts';
import type { Principal } from './authenticate.ts';

type Responses<Op extends OperationId> = (typeof operations)[Op]['responses'];

/** The SSE operations (their 200 is an event stream): served by stream routes, never by a handler. */
type StreamOperationId = {
  [Op in OperationId]: Responses<Op> extends { readonly 200: { readonly contentType: 'text/event-stream' } }
    ? Op
    : never;
}[OperationId];
/** Every other operation: each must have a handler. */
type RestOperationId = Exclude<OperationId, StreamOperationId>;

/** The runtime twin of StreamOperationId: the operations whose 200 is an event stream. */
function isStreamOperation(operationId: OperationId): operationId is StreamOperationId {
  const responses: Partial<Record<number, { readonly contentType: string | null }>> = operations[operationId].responses;
  return responses[200]?.contentType === 'text/event-stream';
}

interface HandlerContext<Op extends OperationId = OperationId> {
  readonly query: QueryOf<Op>;
  readonly pathParams: PathParamsOf<Op>;
  readonly body: BodyOf<Op>;
  readonly principal: Principal;
  readonly request: Request;
  /**
   * Aborted when the client goes away before the answer is sent: store work a handler starts
   * must stop then (a crafted or abandoned request may not keep the store busy).
   */
  readonly signal: AbortSignal;
}

type Headers = Readonly<Record<string, string>>;

/** What the app can send: the shape every typed result below is an instance of. */
interface HandlerResult {
  readonly status: number;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** Sent as is, with this content type, instead of a JSON body. */
  readonly text?: { readonly contentType: string; readonly content: string };
  readonly headers?: Headers;
}

type SuccessStatusOf<Op extends OperationId> = Extract<StatusOf<Op>, 200 | 201 | 202 | 204>;

/**
 * One documented answer: a JSON body of the contract's type, text of the contract's media type
 * (parameters such as a charset allowed), or no body where the contract has none.
 */
type ResultFor<Op extends OperationId, S extends StatusOf<Op>> = Responses<Op>[S] extends {
  readonly contentType: 'application/json';
}
  ? { readonly status: S; readonly body: ResponseOf<Op, S>; readonly text?: never; readonly headers?: Headers }
  : Responses<Op>[S] extends { readonly contentType: infer C extends string }
    ? {
        readonly status: S;
        readonly text: { readonly contentType: C | `${C};${string}`; readonly content: string };
        readonly body?: never;
        readonly headers?: Headers;
      }
    : { readonly status: S; readonly body?: never; readonly text?: never; readonly headers?: Headers };

/** The success answers of `Op`, one variant per documented 2xx status. */
type ResultOf<Op extends OperationId> = { [S in SuccessStatusOf<Op>]: ResultFor<Op, S> }[SuccessStatusOf<Op>];

type OperationHandler<Op extends OperationId = RestOperationId> = (
  context: HandlerContext<Op>,
) => Promise<ResultOf<Op>>;

/** One handler per REST operation, each typed for its operation; a missing one is a type error. */
type Handlers = { readonly [Op in RestOperationId]: OperationHandler<Op> };

export type { HandlerContext, HandlerResult, Handlers, OperationHandler, RestOperationId, ResultOf, StreamOperationId };
export { isStreamOperation };
