/**
 * The tickerpulse client for frontends and scripts, exported as `tickerpulse/client`: a typed
 * REST client (rest.ts) with the contract's error types and guards (rest-errors.ts), and a typed,
 * resuming SSE subscription (stream.ts) held to fixed bounds (limits.ts), both typed from the
 * contracts through generated/. Runs in browsers (through a bundler: it imports npm packages by
 * name) and in Node 24. docs/client.md shows how to use it.
 */
export type { RestClient, RestClientOptions, RestPaths, StreamPath } from './rest.ts';
export type { ErrorBody, ErrorStatus, LambdaThrottle, Problem, RestError, RestMethod } from './rest-errors.ts';
export type {
  CloseReason,
  EventHandlers,
  ReceivedEvent,
  ResumeOutcome,
  StreamClosure,
  StreamEventName,
  StreamState,
  SubscribeOptions,
  Subscription,
  WaitCause,
} from './stream.ts';
export type { EventPayloads } from '../../generated/event-payloads.ts';
export { CLIENT_LIMITS } from './limits.ts';
export { createRestClient } from './rest.ts';
export { isLambdaThrottle, isProblem } from './rest-errors.ts';
export { subscribe } from './stream.ts';
export { StreamLimitError, StreamRefusedError } from './stream-errors.ts';
