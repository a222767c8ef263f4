/**
 * The tickerpulse client for frontends and scripts, exported as `tickerpulse/client`: a typed
 * REST client (rest.ts) and a typed, resuming SSE subscription (stream.ts), both typed from the
 * contracts through generated/. Runs in browsers (through a bundler: it imports npm packages by
 * name) and in Node 24. docs/client.md shows how to use it.
 */
export type { RestClient, RestClientOptions, RestPaths, StreamPath } from './rest.ts';
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
export type { EventPayloads } from '../../generated/events.ts';
export { createRestClient } from './rest.ts';
export { subscribe } from './stream.ts';
