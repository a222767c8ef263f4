/** What a REST handler receives and returns. Handlers never touch `res`: the app sends. */
import type { Request } from 'express';
import type { BodyOf, OperationId, PathParamsOf, QueryOf } from '../contract/index.ts';
import type { Principal } from './authenticate.ts';

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

interface HandlerResult {
  readonly status: number;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** Sent as is, with this content type, instead of a JSON body. */
  readonly text?: { readonly contentType: string; readonly content: string };
  readonly headers?: Readonly<Record<string, string>>;
}

type OperationHandler<Op extends OperationId = OperationId> = (context: HandlerContext<Op>) => Promise<HandlerResult>;

/** Handlers keyed by operationId, each typed for its operation. */
type Handlers = { readonly [Op in OperationId]?: OperationHandler<Op> };

export type { HandlerContext, HandlerResult, Handlers, OperationHandler };
