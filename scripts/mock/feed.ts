/**
 * The mock's event source: a fake live feed seeded from the AsyncAPI examples. It keeps running
 * totals (tallies.ts) so that consecutive events agree with each other, the way a dashboard
 * expects, and it varies items deterministically from a seed. Each stream sees the feed through
 * its scope: the global stream every ticker, a configuration's stream its own tickers.
 *
 * Every event is checked against the contract before it leaves ({@link assertOnContract}): a mock
 * that drifts from the contract would teach the dashboard the wrong thing, so drift is an error.
 */
import {
  type ChannelKey,
  checkEventPayload,
  type EventPayloads,
  parseEvent,
  type StreamEventName,
} from '../../src/contract/index.ts';
import type { Examples } from './examples.ts';
import { clampScore, createTallies, round, type Scope } from './tallies.ts';

/** One event as sent: name, cursor id and the JSON text of its payload. */
interface MockEvent {
  readonly event: StreamEventName;
  readonly id: string;
  readonly data: string;
  /** Sent as `retry:` in the same frame (only on `reconnect`). */
  readonly retry?: number;
}

type ResumeOutcome = EventPayloads['stream_open']['outcome'];
type Sentiment = EventPayloads['new_item']['sentiment'];
type ReconnectReason = EventPayloads['reconnect']['reason'];

/** What a heartbeat reports: a store read a moment ago, or one failing since `lastPollAt` (ms). */
type StoreHealth = { readonly status: 'ok' } | { readonly status: 'degraded'; readonly lastPollAt: number };

/** One new item as every stream could see it; {@link MockFeed.eventsFor} picks a stream's share. */
interface MockTick {
  readonly ticker: string;
  readonly item: MockEvent;
  /** Its ticker's aggregate, after every SENTIMENT_UPDATE_EVERY-th item. */
  readonly update: MockEvent | undefined;
  /** The global metrics, after every METRICS_EVERY-th item. */
  readonly metrics: MockEvent | undefined;
}

/** The mock produced (or was seeded with) something the contract refuses. */
class ContractDriftError extends Error {
  override readonly name = 'ContractDriftError';
}

interface MockFeedOptions {
  readonly examples: Examples;
  /** Announced in `stream_open`; the server sends `heartbeat` this often. */
  readonly heartbeatIntervalMs: number;
  /** Clock (ms since the epoch); tests may pin it. */
  readonly now?: () => number;
  /** Seed of the item variations. */
  readonly seed?: number;
  /** Tickers to rotate over besides the metrics example's (those of the known configurations). */
  readonly extraTickers?: Iterable<string>;
}

interface MockFeed {
  /** The reconnection delay sent as `retry:` (from the `stream_open` example). */
  readonly retryMs: number;
  /** How far behind the store is when a degraded stream opens (the degraded heartbeat example's lag). */
  readonly degradedLagMs: number;
  /**
   * What a new connection gets after `retry:`: `stream_open`, then, when `snapshot`, the metrics of
   * `scope` and one `sentiment_update` per ticker of it with items (the heartbeat follows: the caller's).
   */
  opening(outcome: ResumeOutcome, scope: Scope, snapshot: boolean): MockEvent[];
  /** The next item. */
  next(): MockTick;
  /**
   * A stream's share of `tick`: the global stream gets all of it; a configuration's stream gets
   * nothing of another ticker, else the item, the update and its own metrics.
   */
  eventsFor(tick: MockTick, scope: Scope): MockEvent[];
  heartbeat(connections: number, health: StoreHealth): MockEvent;
  /** The server ends the stream on purpose: come back after a jittered `retryMs`, as the real server says it. */
  reconnect(reason: ReconnectReason): MockEvent;
  /** A configuration's stream ends for good: the configuration was deleted. */
  streamClosed(): MockEvent;
  /** The goodbye of a server that is stopping: reconnect after `retryMs`, nothing is lost. */
  shutdown(): MockEvent;
}

/** After every 2nd item its ticker's aggregate is sent, after every 3rd the metrics. */
const SENTIMENT_UPDATE_EVERY = 2;
const METRICS_EVERY = 3;
const SOURCES_AFTER_EXAMPLE = ['bloomberg', 'reddit', 'x'];

/** mulberry32: a tiny seeded PRNG, so a given seed always streams the same items. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The lag a degraded heartbeat reports at first when the spec's example gives none. */
const DEGRADED_LAG_MS = 120_000;

/** The first example of `name`, checked against its payload schema. */
function exampleOf<Name extends StreamEventName>(
  examples: Examples,
  name: Name,
): { payload: EventPayloads[Name]; retry: number | undefined } {
  const example = examples.get(name)?.[0];
  if (example === undefined) throw new ContractDriftError(`specs/asyncapi.yaml has no example for ${name}`);
  const checked = checkEventPayload(name, structuredClone(example.payload));
  if (!checked.ok) {
    const issues = checked.issues.map((issue) => `${issue.pointer} ${issue.message}`).join('; ');
    throw new ContractDriftError(`the ${name} example of specs/asyncapi.yaml breaks its schema: ${issues}`);
  }
  return { payload: checked.value, retry: example.retry };
}

/** Throws {@link ContractDriftError} unless `event` is a valid frame of `channel`. */
function assertOnContract(event: MockEvent, channel: ChannelKey): void {
  const parsed = parseEvent({ event: event.event, id: event.id, retry: event.retry, data: event.data }, channel);
  if (!parsed.ok) {
    const issues = parsed.issues.map((issue) => `${issue.location} ${issue.pointer || '(root)'}: ${issue.message}`);
    throw new ContractDriftError(
      `mock ${event.event} (id ${event.id}) breaks the ${channel} contract: ${issues.join('; ')}`,
    );
  }
}

const event = <Name extends StreamEventName>(name: Name, id: string, payload: EventPayloads[Name]): MockEvent => ({
  event: name,
  id,
  data: JSON.stringify(payload),
});
const iso = (ms: number): string => new Date(ms).toISOString();

/** Cursors `1.<base36 ms>`: strictly increasing even when several are made within one millisecond. */
function cursorClock(now: () => number): () => string {
  let lastMs = 0;
  return () => {
    lastMs = Math.max(now(), lastMs + 1);
    return `1.${lastMs.toString(36)}`;
  };
}

/** A sentiment and a score that agrees with it: mostly positive, then neutral, then negative. */
function pickSentiment(random: () => number): { sentiment: Sentiment; score: number } {
  const roll = random();
  const magnitude = 0.15 + random() * 0.85;
  if (roll < 0.45) return { sentiment: 'positive', score: round(clampScore(magnitude), 2) };
  if (roll < 0.75) return { sentiment: 'neutral', score: round(clampScore((random() - 0.5) * 0.3), 2) };
  return { sentiment: 'negative', score: round(clampScore(-magnitude), 2) };
}

/** The lag of the first `degraded` heartbeat example, checked against its schema. */
function degradedLag(examples: Examples): number {
  for (const example of examples.get('heartbeat') ?? []) {
    const checked = checkEventPayload('heartbeat', example.payload);
    if (checked.ok && checked.value.status === 'degraded') return checked.value.lag_ms;
  }
  return DEGRADED_LAG_MS;
}

function createMockFeed(options: MockFeedOptions): MockFeed {
  const now = options.now ?? Date.now;
  const random = seededRandom(options.seed ?? 1);
  const { examples } = options;
  const itemExample = exampleOf(examples, 'new_item').payload;
  const openExample = exampleOf(examples, 'stream_open');
  const tallies = createTallies(
    exampleOf(examples, 'metrics').payload,
    exampleOf(examples, 'sentiment_update').payload,
    options.extraTickers ?? [],
  );
  // Not used for values, but a broken example should stop the mock here, not on a timer later.
  exampleOf(examples, 'heartbeat');
  exampleOf(examples, 'reconnect');
  exampleOf(examples, 'stream_closed');
  const retryMs = openExample.retry ?? openExample.payload.retry_ms;
  const { tickers } = tallies;
  if (tickers.length === 0) throw new ContractDriftError('the metrics example has no by_tag tickers to rotate over');
  const sources = [...new Set([itemExample.source ?? 'reuters', ...SOURCES_AFTER_EXAMPLE])];

  const freshCursor = cursorClock(now);
  let cursor = freshCursor();
  let items = 0;

  const reconnect = (reason: ReconnectReason, retry: number): MockEvent => ({
    ...event('reconnect', cursor, { reason, retry_ms: retry }),
    retry,
  });

  return {
    retryMs,
    degradedLagMs: degradedLag(examples),
    opening(outcome, scope, snapshot) {
      const open = event('stream_open', cursor, {
        outcome,
        retry_ms: retryMs,
        heartbeat_interval_ms: options.heartbeatIntervalMs,
        server_time: iso(now()),
      });
      if (!snapshot) return [open];
      return [
        open,
        event('metrics', cursor, tallies.metrics(scope)),
        ...tallies.aggregates(scope).map((aggregate) => event('sentiment_update', cursor, aggregate)),
      ];
    },
    next() {
      items += 1;
      const at = now();
      const ticker = tickers[(items - 1) % tickers.length] ?? itemExample.ticker;
      const { sentiment, score } = pickSentiment(random);
      const item: EventPayloads['new_item'] = {
        ...itemExample,
        item_id: `mock-${items}`,
        ticker,
        sentiment,
        score,
        // Published a moment before it arrived, as a real pipeline's items are.
        timestamp: iso(at - 300 - Math.floor(random() * 4000)),
        source: sources[(items - 1) % sources.length] ?? itemExample.source,
        ingested_at: iso(at),
      };
      cursor = freshCursor();
      const aggregate = tallies.add(ticker, sentiment, score, iso(at));
      return {
        ticker,
        item: event('new_item', cursor, item),
        update: items % SENTIMENT_UPDATE_EVERY === 0 ? event('sentiment_update', cursor, aggregate) : undefined,
        metrics: items % METRICS_EVERY === 0 ? event('metrics', cursor, tallies.metrics(undefined)) : undefined,
      };
    },
    eventsFor(tick, scope) {
      const update = tick.update === undefined ? [] : [tick.update];
      if (scope === undefined) return [tick.item, ...update, ...(tick.metrics === undefined ? [] : [tick.metrics])];
      if (!scope.has(tick.ticker)) return [];
      // Every item of its tickers changes a configuration's metrics; the real server sends them on change.
      return [tick.item, ...update, event('metrics', tick.item.id, tallies.metrics(scope))];
    },
    heartbeat(connections, health) {
      const at = now();
      const lastPollAt = health.status === 'ok' ? at - 100 - Math.floor(random() * 900) : health.lastPollAt;
      return event('heartbeat', cursor, {
        timestamp: iso(at),
        connections,
        status: health.status,
        last_poll_at: iso(lastPollAt),
        lag_ms: Math.max(0, at - lastPollAt),
      });
    },
    // ±50 % jitter, as the real server's, so that a fleet of clients does not come back in one wave.
    reconnect: (reason) => reconnect(reason, Math.round(retryMs * (0.5 + random()))),
    streamClosed: () => event('stream_closed', cursor, { reason: 'configuration_deleted' }),
    shutdown: () => reconnect('shutdown', retryMs),
  };
}

export type { MockEvent, MockFeed, MockFeedOptions, MockTick, ResumeOutcome, StoreHealth };
export { assertOnContract, ContractDriftError, createMockFeed };
