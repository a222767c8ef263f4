/**
 * A typed, resuming subscription to a tickerpulse SSE stream (specs/asyncapi.yaml): handlers are
 * keyed by event name and typed from generated/events.ts, so a handler for an event the contract
 * does not have, or one that reads a field its payload lacks, does not compile.
 *
 * What it does for the caller, per the contract:
 * - resumes after every disconnect from the last event `id` (sent as `Last-Event-ID`): nothing is
 *   lost or repeated, on any instance, after any restart;
 * - honours `reconnect` (the server ends the stream on purpose): waits its `retry_ms`, which the
 *   server has already jittered, and resumes from that event's id; this is not a failure if the
 *   stream had been open for a heartbeat interval;
 * - after a failure (refusal with 5xx/429, network error, end without `reconnect`, silence for
 *   two heartbeat intervals plus 3 s, an event over the size cap, or a stream that ends before
 *   it has been open for one heartbeat interval) waits a backoff with full jitter, honouring
 *   `Retry-After`, every delay clamped into [250 ms, 10 min] (reconnect-policy.ts, limits.ts);
 * - tells the caller when `stream_open` says `reset` (its cursor was unknown or expired: reload);
 * - stops for good on `stream_closed`, on a refusal that retrying cannot fix (400, 401, 403, 404,
 *   406, …), after `maxRetries` failures in a row, or on close().
 *
 * Payloads are not validated here: the client trusts the contract, which the server's tests enforce.
 */
import type { EventSourceMessage } from 'eventsource-parser';
import type { EventPayloads } from '../../generated/event-payloads.ts';
import { type BackoffPolicy, clampHeartbeat, silenceTimeoutMs } from '../dashboard/shared/reconnect-policy.js';
import { type CloseReason, decide, type Session, type StreamClosure, type WaitCause } from './reconnect-policy.ts';
import { type ConnectionEnd, runConnection } from './sse-connection.ts';
import { StreamLimitError, StreamRefusedError } from './stream-errors.ts';

type StreamEventName = keyof EventPayloads;
type ResumeOutcome = EventPayloads['stream_open']['outcome'];

/** One received event: its name, its `id` (the cursor after it) and its payload. */
interface ReceivedEvent<Name extends StreamEventName> {
  readonly event: Name;
  readonly id: string;
  readonly data: EventPayloads[Name];
}

/** Payload handlers by event name; events without a handler are skipped. */
type EventHandlers = {
  readonly [Name in StreamEventName]?: (data: EventPayloads[Name], event: ReceivedEvent<Name>) => void;
};

type StreamState =
  | { readonly state: 'connecting'; readonly failures: number }
  | { readonly state: 'open'; readonly outcome: ResumeOutcome }
  | { readonly state: 'waiting'; readonly delayMs: number; readonly cause: WaitCause; readonly failures: number }
  | ({ readonly state: 'closed' } & StreamClosure);

type Source<T> = T | (() => T | Promise<T>);

interface SubscribeOptions {
  readonly onEvent: EventHandlers;
  /** Resume after this cursor (a previous subscription's `lastEventId`). */
  readonly lastEventId?: string;
  /** Sent on every connect, e.g. `{ 'x-user-id': … }` or `{ authorization: 'Bearer …' }`; a function is asked each time. */
  readonly headers?: Source<Record<string, string>>;
  /** `stream_open` said `reset`: the cursor was unknown, malformed or expired; reload what you show. */
  readonly onReset?: () => void;
  /** Every change of the connection's state, for a status line. */
  readonly onState?: (state: StreamState) => void;
  /**
   * A handler threw (what it threw), a payload was not JSON (an Error), or a connection failed:
   * a StreamRefusedError, a StreamLimitError, or the network error fetch threw. The client carries on.
   */
  readonly onError?: (error: unknown) => void;
  /**
   * Backoff after failures: `baseMs` defaults to the server's `retry:` (else 1000), `capMs` to
   * 30000; both, and every delay, are held within [250 ms, 10 min].
   */
  readonly backoff?: Partial<BackoffPolicy>;
  /** Failures in a row before giving up (default: never give up). */
  readonly maxRetries?: number;
  /** The fetch to use (default: the global one). */
  readonly fetch?: typeof fetch;
  /** Aborting it closes the subscription, like close(). */
  readonly signal?: AbortSignal;
}

interface Subscription {
  /** The `id` of the last event received: a later subscribe() with it continues from there. */
  readonly lastEventId: string | undefined;
  close(): void;
  /** Resolves (never rejects) when the subscription has ended, and says why. */
  readonly closed: Promise<StreamClosure>;
}

/** Until stream_open says otherwise (the contract's default HEARTBEAT_INTERVAL_MS). */
const DEFAULT_HEARTBEAT_MS = 30_000;

/** Hands `error` to onError; never throws, so no callback of the caller can break the stream. */
function report(options: SubscribeOptions, error: unknown): void {
  try {
    options.onError?.(error);
  } catch {
    // onError itself failed: there is no one left to tell.
  }
}

/** Runs a caller's callback; what it throws goes to onError. */
function safely(options: SubscribeOptions, callback: () => void): void {
  try {
    callback();
  } catch (error) {
    report(options, error);
  }
}

async function resolveSource<T>(source: Source<T>): Promise<T> {
  return typeof source === 'function' ? (source as () => T | Promise<T>)() : source;
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((done) => {
    if (signal.aborted) {
      done(false);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', aborted);
      done(true);
    }, ms);
    const aborted = (): void => {
      clearTimeout(timer);
      done(false);
    };
    signal.addEventListener('abort', aborted, { once: true });
  });
}

/** The client's own reading of the three events that steer the connection; 'stop' ends it. */
function steer(name: string, data: unknown, session: Session, options: SubscribeOptions): 'continue' | 'stop' {
  // `data: null` is JSON too: the fields the client reads are checked, never assumed.
  const fields = typeof data === 'object' && data !== null ? data : {};
  if (name === 'stream_open') {
    const { heartbeat_interval_ms: heartbeatMs, outcome } = fields as Partial<EventPayloads['stream_open']>;
    // Not a reset of the failure count: a stream that ends right after opening is still failing
    // (reconnect-policy.ts). An absurd interval would break the watchdog's timer: clamped.
    if (typeof heartbeatMs === 'number') session.heartbeatMs = clampHeartbeat(heartbeatMs);
    if (outcome !== undefined) safely(options, () => options.onState?.({ state: 'open', outcome }));
    if (outcome === 'reset') safely(options, () => options.onReset?.());
  } else if (name === 'reconnect') {
    const { retry_ms: retryMs } = fields as Partial<EventPayloads['reconnect']>;
    session.hintMs = typeof retryMs === 'number' ? retryMs : (session.serverRetryMs ?? 0);
    return 'stop';
  } else if (name === 'stream_closed') {
    session.streamClosed = true;
    return 'stop';
  }
  return 'continue';
}

function onMessage(message: EventSourceMessage, session: Session, options: SubscribeOptions): 'continue' | 'stop' {
  if (message.id !== undefined) session.lastEventId = message.id;
  const name = message.event ?? 'message';
  let data: unknown;
  try {
    data = JSON.parse(message.data);
  } catch {
    report(options, new Error(`event ${name}: data is not JSON`));
    return 'continue';
  }
  const next = steer(name, data, session, options);
  const handlers = options.onEvent as Readonly<Record<string, ((data: unknown, event: unknown) => void) | undefined>>;
  const handler = Object.hasOwn(handlers, name) ? handlers[name] : undefined;
  safely(options, () => handler?.(data, { event: name, id: session.lastEventId ?? '', data }));
  return next;
}

/** The error onError gets for how a connection ended, if it failed in a way worth telling. */
function describeEnd(end: ConnectionEnd): unknown {
  if (end.kind === 'failed') return end.error;
  if (end.kind === 'refused') return new StreamRefusedError(end.status, end.retryAfterMs, end.body);
  if (end.kind === 'too_large') return new StreamLimitError(end.limit);
  return undefined;
}

async function run(url: Source<string | URL>, options: SubscribeOptions, session: Session, closing: AbortSignal) {
  for (;;) {
    if (closing.aborted) return { reason: 'closed' } satisfies StreamClosure;
    safely(options, () => options.onState?.({ state: 'connecting', failures: session.failures }));
    let end: ConnectionEnd;
    try {
      const [target, headers] = await Promise.all([resolveSource(url), resolveSource(options.headers ?? {})]);
      end = await runConnection(
        {
          url: String(target),
          headers,
          lastEventId: session.lastEventId,
          fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
          silenceMs: () => silenceTimeoutMs(session.heartbeatMs),
          onMessage: (message) => onMessage(message, session, options),
          onRetry: (ms) => {
            session.serverRetryMs = ms;
          },
          onOpen: () => {
            session.openedAt = performance.now();
          },
        },
        closing,
      );
    } catch (error) {
      end = { kind: 'failed', error };
    }
    const decision = decide(end, session, options, closing, performance.now());
    const problem = describeEnd(end);
    if (problem !== undefined) report(options, problem);
    if ('reason' in decision) return decision;
    safely(options, () => options.onState?.({ state: 'waiting', ...decision }));
    if (!(await sleep(decision.delayMs, closing))) return { reason: 'closed' } satisfies StreamClosure;
  }
}

/** Subscribes to the stream at `url` (a function is asked again before every connect, e.g. for a fresh `?token=`). */
function subscribe(url: Source<string | URL>, options: SubscribeOptions): Subscription {
  const closing = new AbortController();
  if (options.signal?.aborted === true) closing.abort();
  options.signal?.addEventListener(
    'abort',
    () => {
      closing.abort();
    },
    { once: true },
  );
  const session: Session = {
    lastEventId: options.lastEventId,
    failures: 0,
    serverRetryMs: undefined,
    heartbeatMs: DEFAULT_HEARTBEAT_MS,
    openedAt: undefined,
    hintMs: undefined,
    streamClosed: false,
  };
  const closed = run(url, options, session, closing.signal).then((closure) => {
    safely(options, () => options.onState?.({ state: 'closed', ...closure }));
    return closure;
  });
  return {
    get lastEventId() {
      return session.lastEventId;
    },
    close: () => {
      closing.abort();
    },
    closed,
  };
}

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
};
export { subscribe };
