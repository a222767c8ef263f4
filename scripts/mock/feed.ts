/**
 * The mock's event source: a fake live feed seeded from the AsyncAPI examples. It keeps running
 * totals (metrics, per-ticker aggregates) so that consecutive events agree with each other, the
 * way a dashboard expects, and it varies items deterministically from a seed.
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
}

interface MockFeed {
  /** The reconnection delay sent as `retry:` (from the `stream_open` example). */
  readonly retryMs: number;
  /** What a new connection gets after `retry:`: `stream_open`, `metrics`, one `sentiment_update` per ticker. */
  opening(outcome: ResumeOutcome): MockEvent[];
  /** The next item: a `new_item`, sometimes followed by its ticker's `sentiment_update` and by `metrics`. */
  next(): MockEvent[];
  heartbeat(connections: number): MockEvent;
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

const round = (value: number, digits: number): number => Number(value.toFixed(digits));
const clampScore = (value: number): number => Math.min(1, Math.max(-1, value));

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

function createMockFeed(options: MockFeedOptions): MockFeed {
  const now = options.now ?? Date.now;
  const random = seededRandom(options.seed ?? 1);
  const { examples } = options;
  const itemExample = exampleOf(examples, 'new_item').payload;
  const metrics = exampleOf(examples, 'metrics').payload;
  const openExample = exampleOf(examples, 'stream_open');
  const aggregateExample = exampleOf(examples, 'sentiment_update').payload;
  // Not used for values, but a broken example should stop the mock here, not on a timer later.
  exampleOf(examples, 'heartbeat');
  exampleOf(examples, 'reconnect');
  const retryMs = openExample.retry ?? openExample.payload.retry_ms;

  const tickers = Object.keys(metrics.by_tag);
  if (tickers.length === 0) throw new ContractDriftError('the metrics example has no by_tag tickers to rotate over');
  const sources = [...new Set([itemExample.source ?? 'reuters', ...SOURCES_AFTER_EXAMPLE])];

  // Per-ticker aggregates consistent with the metrics example: the sentiment_update example for
  // its own ticker, the overall sentiment split scaled to each other ticker's count.
  const aggregates = new Map<string, EventPayloads['sentiment_update']>();
  for (const ticker of tickers) {
    const total = metrics.by_tag[ticker] ?? 0;
    if (ticker === aggregateExample.ticker) {
      aggregates.set(ticker, { ...aggregateExample });
      continue;
    }
    const share = metrics.total > 0 ? total / metrics.total : 0;
    const positive = Math.round(metrics.positive * share);
    const negative = Math.min(total - positive, Math.round(metrics.negative * share));
    aggregates.set(ticker, {
      ticker,
      total,
      positive,
      neutral: total - positive - negative,
      negative,
      average_score: total > 0 ? round(((positive - negative) / total) * 0.6, 3) : null,
      as_of: metrics.as_of,
    });
  }

  // Cursors `1.<base36 ms>`: strictly increasing even when several are made within one millisecond.
  let lastMs = 0;
  const freshCursor = (): string => {
    lastMs = Math.max(now(), lastMs + 1);
    return `1.${lastMs.toString(36)}`;
  };
  let cursor = freshCursor();
  let items = 0;

  const event = <Name extends StreamEventName>(name: Name, id: string, payload: EventPayloads[Name]): MockEvent => ({
    event: name,
    id,
    data: JSON.stringify(payload),
  });
  const iso = (ms: number): string => new Date(ms).toISOString();

  const pickSentiment = (): { sentiment: Sentiment; score: number } => {
    const roll = random();
    const magnitude = 0.15 + random() * 0.85;
    if (roll < 0.45) return { sentiment: 'positive', score: round(clampScore(magnitude), 2) };
    if (roll < 0.75) return { sentiment: 'neutral', score: round(clampScore((random() - 0.5) * 0.3), 2) };
    return { sentiment: 'negative', score: round(clampScore(-magnitude), 2) };
  };

  return {
    retryMs,
    opening(outcome) {
      const at = now();
      return [
        event('stream_open', cursor, {
          outcome,
          retry_ms: retryMs,
          heartbeat_interval_ms: options.heartbeatIntervalMs,
          server_time: iso(at),
        }),
        event('metrics', cursor, { ...metrics, by_tag: { ...metrics.by_tag } }),
        ...[...aggregates.values()].map((aggregate) => event('sentiment_update', cursor, { ...aggregate })),
      ];
    },
    next() {
      items += 1;
      const at = now();
      const ticker = tickers[(items - 1) % tickers.length] ?? itemExample.ticker;
      const { sentiment, score } = pickSentiment();
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
      const out = [event('new_item', cursor, item)];

      metrics.total += 1;
      metrics[sentiment] += 1;
      metrics.by_tag[ticker] = (metrics.by_tag[ticker] ?? 0) + 1;
      metrics.rate_last_hour += 1;
      metrics.rate_last_24h += 1;
      metrics.as_of = iso(at);
      const aggregate = aggregates.get(ticker);
      if (aggregate !== undefined) {
        const previous = aggregate.average_score ?? score;
        aggregate.total += 1;
        aggregate[sentiment] += 1;
        aggregate.average_score = round(clampScore((previous * (aggregate.total - 1) + score) / aggregate.total), 3);
        aggregate.as_of = iso(at);
        if (items % SENTIMENT_UPDATE_EVERY === 0) out.push(event('sentiment_update', cursor, { ...aggregate }));
      }
      if (items % METRICS_EVERY === 0)
        out.push(event('metrics', cursor, { ...metrics, by_tag: { ...metrics.by_tag } }));
      return out;
    },
    heartbeat(connections) {
      const at = now();
      const lag = 100 + Math.floor(random() * 900);
      return event('heartbeat', cursor, {
        timestamp: iso(at),
        connections,
        status: 'ok',
        last_poll_at: iso(at - lag),
        lag_ms: lag,
      });
    },
    shutdown() {
      return { ...event('reconnect', cursor, { reason: 'shutdown', retry_ms: retryMs }), retry: retryMs };
    },
  };
}

export type { MockEvent, MockFeed, MockFeedOptions, ResumeOutcome };
export { assertOnContract, ContractDriftError, createMockFeed };
