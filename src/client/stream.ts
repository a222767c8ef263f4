/**
 * A typed, resuming subscription to a tickerpulse SSE stream (specs/asyncapi.yaml): handlers are
 * keyed by event name and typed from generated/events.ts, so a handler for an event the contract
 * does not have, or one that reads a field its payload lacks, does not compile.
 *
 * What it does for the caller, per the contract:
 * - resumes after every disconnect from the last event `id` (sent as `Last-Event-ID`): nothing is
 *   lost or repeated, on any instance, after any restart;
 * - honours `reconnect` (the server ends the stream on purpose): waits its `retry_ms`, which the
 *   server has already jittered, and resumes from that event's id; this is not a failure;
 * - after a failure (refusal with 5xx/429, network error, end without `reconnect`, or silence for
 *   three heartbeat intervals) waits a backoff with full jitter, honouring `Retry-After`;
 * - tells the caller when `stream_open` says `reset` (its cursor was unknown or expired: reload);
 * - stops for good on `stream_closed`, on a refusal that retrying cannot fix (400, 401, 403, 404,
 *   406, …), after `maxRetries` failures in a row, or on close().
 *
 * Payloads are not validated here: the client trusts the contract, which the server's tests enforce.
 */
import type { EventSourceMessage } from 'eventsource-parser';
import type { EventPayloads } from '../../generated/events.ts';
import { type BackoffPolicy, backoffDelay } from './backoff.ts';
import { type ConnectionEnd, runConnection } from './sse-connection.ts';

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

type CloseReason = 'closed' | 'stream_closed' | 'refused' | 'gave_up';

/** Why a subscription ended; `status` is the HTTP status of a refusal. */
interface StreamClosure {
  readonly reason: CloseReason;
  readonly status?: number;
}

/** What made the client wait before its next connect. */
type WaitCause = 'reconnect' | Exclude<ConnectionEnd['kind'], 'stopped'>;

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
  /** A handler threw, a payload was not JSON, or a connection failed (the client carries on). */
  readonly onError?: (error: unknown) => void;
  /** Backoff after failures: `baseMs` defaults to the server's `retry:` (else 1000), `capMs` to 30000. */
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

/** What one subscription carries from connection to connection. */
interface Session {
  lastEventId: string | undefined;
  failures: number;
  serverRetryMs: number | undefined;
  heartbeatMs: number;
  /** The retry_ms of a `reconnect` just received. */
  hintMs: number | undefined;
  streamClosed: boolean;
}

/** Until stream_open says otherwise (the contract's default HEARTBEAT_INTERVAL_MS). */
const DEFAULT_HEARTBEAT_MS = 30_000;
/** A stream is dead after this many heartbeat intervals without a byte (the contract suggests 2-3). */
const SILENT_HEARTBEATS = 3;
const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, capMs: 30_000 };

/** Refusals that another try cannot change; 408, 429 and 5xx are retried. */
const isFinalRefusal = (status: number): boolean => status >= 400 && status < 500 && status !== 408 && status !== 429;

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
  if (name === 'stream_open') {
    const open = data as EventPayloads['stream_open'];
    session.failures = 0;
    if (typeof open.heartbeat_interval_ms === 'number') session.heartbeatMs = open.heartbeat_interval_ms;
    safely(options, () => options.onState?.({ state: 'open', outcome: open.outcome }));
    if (open.outcome === 'reset') safely(options, () => options.onReset?.());
  } else if (name === 'reconnect') {
    const hint = data as EventPayloads['reconnect'];
    session.hintMs = typeof hint.retry_ms === 'number' ? hint.retry_ms : (session.serverRetryMs ?? 0);
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

type Decision = StreamClosure | { readonly delayMs: number; readonly cause: WaitCause; readonly failures: number };

/** After a connection: stop for good, or wait how long before the next one. */
function decide(end: ConnectionEnd, session: Session, options: SubscribeOptions, closing: AbortSignal): Decision {
  if (closing.aborted) return { reason: 'closed' };
  if (session.streamClosed) return { reason: 'stream_closed' };
  if (session.hintMs !== undefined) {
    const delayMs = session.hintMs;
    session.hintMs = undefined;
    return { delayMs, cause: 'reconnect', failures: session.failures };
  }
  if (end.kind === 'refused' && isFinalRefusal(end.status)) return { reason: 'refused', status: end.status };
  session.failures += 1;
  if (session.failures > (options.maxRetries ?? Infinity))
    return end.kind === 'refused' ? { reason: 'gave_up', status: end.status } : { reason: 'gave_up' };
  const policy: BackoffPolicy = {
    baseMs: options.backoff?.baseMs ?? session.serverRetryMs ?? DEFAULT_BACKOFF.baseMs,
    capMs: options.backoff?.capMs ?? DEFAULT_BACKOFF.capMs,
  };
  const serverAsked = end.kind === 'refused' ? (end.retryAfterMs ?? 0) : 0;
  const cause: WaitCause = end.kind === 'stopped' ? 'ended' : end.kind;
  return { delayMs: Math.max(backoffDelay(policy, session.failures), serverAsked), cause, failures: session.failures };
}

function describeEnd(end: ConnectionEnd): unknown {
  if (end.kind === 'failed') return end.error;
  if (end.kind === 'refused') return new Error(`the stream answered ${end.status}: ${end.body.slice(0, 300)}`);
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
          silenceMs: () => session.heartbeatMs * SILENT_HEARTBEATS,
          onMessage: (message) => onMessage(message, session, options),
          onRetry: (ms) => {
            session.serverRetryMs = ms;
          },
        },
        closing,
      );
    } catch (error) {
      end = { kind: 'failed', error };
    }
    const decision = decide(end, session, options, closing);
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
