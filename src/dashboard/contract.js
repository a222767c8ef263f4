// What the dashboard accepts from the network, checked field by field: anything with missing or
// garbage fields is skipped. Pure functions, no DOM, so Node can import this file too
// (test/unit/dashboard/contract.test.ts holds the patterns to specs/schemas/*.yaml).
//
// The types are the generated ones, imported in JSDoc and checked by `npm run typecheck`
// (tsconfig.dashboard.json): a field the contract renames or retypes is a type error here or where
// the dashboard uses it. generated/ is not served, so the patterns below are copies of the spec's,
// kept equal by that test.
import { publishedAtMs } from './shared/published-at.js';

/** @typedef {import('../../generated/models/index.ts').Item} Item */
/** @typedef {import('../../generated/models/index.ts').Metrics} Metrics */
/** @typedef {import('../../generated/models/index.ts').TickerAggregate} TickerAggregate */
/** @typedef {import('../../generated/models/index.ts').StreamOpenPayload} StreamOpenPayload */
/** @typedef {import('../../generated/models/index.ts').ReconnectPayload} ReconnectPayload */
/** @typedef {import('../../generated/events.ts').EventPayloads} EventPayloads */
/** @typedef {import('../../generated/openapi/schema.d.ts').components['schemas']} RestSchemas */
/** @typedef {RestSchemas['ItemPage']} ItemPage */
/** @typedef {RestSchemas['Configuration']} Configuration */
/** @typedef {RestSchemas['ConfigurationInput']} ConfigurationInput */
/** @typedef {RestSchemas['ConfigurationList']} ConfigurationList */
/** @typedef {RestSchemas['StreamToken']} StreamToken */
/** @typedef {RestSchemas['Problem']} Problem */
/** @typedef {RestSchemas['MetricsHistory']} MetricsHistory */
/** @typedef {RestSchemas['HistoryBucket']} HistoryBucket */

/** An SSE event name of the contract (`metrics`, `new_item`, …). @typedef {keyof EventPayloads} EventName */
/** A JSON object from the network, not checked yet. @typedef {{ readonly [key: string]: unknown }} JsonObject */
/**
 * A contract object before checking: only the contract's field names can be read, and every value
 * is `unknown` until a check narrows it.
 * @template T
 * @typedef {{ readonly [K in keyof T]?: unknown }} Unchecked
 */

/**
 * An item as shown: `source` cut to the contract's 64 characters, no `ingested_at`.
 * @typedef {Pick<Item, 'item_id' | 'ticker' | 'sentiment' | 'score' | 'timestamp'> & { source: string | undefined }} ShownItem
 */
/**
 * Metrics as shown: `by_tag` as [ticker, count] pairs with bad entries dropped, `as_of` optional.
 * @typedef {Omit<Metrics, 'by_tag' | 'as_of'> & { by_tag: [string, number][], as_of: string | undefined }} ShownMetrics
 */
/**
 * A sentiment_update as shown: one with no average (`average_score` null: no items in the window) is skipped.
 * @typedef {Pick<TickerAggregate, 'ticker' | 'total' | 'average_score'> & { average_score: number }} ShownAggregate
 */
/** A configuration as listed. @typedef {Pick<Configuration, 'config_id' | 'name' | 'tickers'>} ShownConfiguration */
/** A bucket size of GET /api/v2/metrics/history. @typedef {RestSchemas['HistoryBucketSize']} BucketSize */
/** One bucket of GET /api/v2/metrics/history as shown, its start also in ms. @typedef {HistoryBucket & { startMs: number }} ShownBucket */
/** Sentiment over time as shown: buckets oldest first. @typedef {{ bucket: BucketSize, buckets: ShownBucket[] }} ShownHistory */

// specs/schemas/cursor.yaml (1024: its maxLength), item-id.yaml, ticker.yaml.
const CURSOR = /^[A-Za-z0-9._~-]{1,1024}$/;
const ITEM_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const TICKER = /^[A-Z][A-Z0-9]{0,5}([.-][A-Z0-9]{1,3})?$/;
/** @type {ReadonlySet<unknown>} */
const SENTIMENTS = new Set(/** @satisfies {Item['sentiment'][]} */ (['positive', 'neutral', 'negative']));
/** @satisfies {(keyof ShownMetrics)[]} */
const METRIC_COUNTS = ['total', 'positive', 'neutral', 'negative', 'rate_last_hour', 'rate_last_24h'];
// specs/schemas/history-bucket-size.yaml.
/** @type {ReadonlySet<unknown>} */
const BUCKET_SIZES = new Set(/** @satisfies {BucketSize[]} */ (['5m', '1h']));
/** Far more buckets than the contract's most (36): the oldest beyond are dropped. */
const MAX_BUCKETS = 1000;

/** @param {unknown} v @returns {v is number} */
const isCount = (v) => Number.isSafeInteger(v) && /** @type {number} */ (v) >= 0;
/** @param {unknown} v @param {number} max @returns {v is string} */
const isText = (v, max) => typeof v === 'string' && v.length > 0 && v.length <= max;
/** An item's time, read as the server reads it (shared/published-at.js). @param {unknown} v @returns {v is string} */
const isTime = (v) => isText(v, 64) && !Number.isNaN(publishedAtMs(v));
/** @param {unknown} v @returns {v is number} */
const isScore = (v) => typeof v === 'number' && Number.isFinite(v);
/** @param {unknown} v @returns {v is string} */
const isTicker = (v) => isText(v, 10) && TICKER.test(v);
/** @param {unknown} v @returns {v is string} */
const isCursor = (v) => typeof v === 'string' && CURSOR.test(v);
/** @param {unknown} v @returns {v is Item['sentiment']} */
const isSentiment = (v) => SENTIMENTS.has(v);

/**
 * A JSON object, or undefined for anything else (arrays, scalars, broken or huge text).
 * @param {unknown} text
 * @returns {JsonObject | undefined}
 */
function parseJson(text) {
  if (typeof text !== 'string' || text.length > 4_000_000) return undefined;
  try {
    const value = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * @param {Unchecked<Item> | null | undefined} v  anything from the network: every field is checked
 * @returns {ShownItem | undefined}
 */
function validItem(v) {
  if (typeof v !== 'object' || v === null) return undefined;
  if (!isText(v.item_id, 128) || !ITEM_ID.test(v.item_id) || !isTicker(v.ticker)) return undefined;
  if (!isSentiment(v.sentiment) || !isScore(v.score) || !isTime(v.timestamp)) return undefined;
  return {
    item_id: v.item_id,
    ticker: v.ticker,
    sentiment: v.sentiment,
    score: v.score,
    timestamp: v.timestamp,
    // Shown as text, cut to the contract's 64 characters.
    source: typeof v.source === 'string' && v.source.length > 0 ? v.source.slice(0, 64) : undefined,
  };
}

/**
 * @param {Unchecked<Metrics> | null | undefined} v  anything from the network: every field shown is checked
 * @returns {ShownMetrics | undefined}
 */
function validMetrics(v) {
  if (typeof v !== 'object' || v === null) return undefined;
  if (!METRIC_COUNTS.every((key) => isCount(v[key]))) return undefined;
  if (typeof v.by_tag !== 'object' || v.by_tag === null || Array.isArray(v.by_tag)) return undefined;
  /** @type {[string, number][]} */
  const byTag = Object.entries(v.by_tag).filter(([ticker, count]) => TICKER.test(ticker) && isCount(count));
  // The counts were checked one by one (METRIC_COUNTS) above.
  return /** @type {ShownMetrics} */ ({ ...v, by_tag: byTag, as_of: isTime(v.as_of) ? v.as_of : undefined });
}

/**
 * @param {Unchecked<TickerAggregate> | null | undefined} v  anything from the network
 * @returns {ShownAggregate | undefined}
 */
function validAggregate(v) {
  if (typeof v !== 'object' || v === null || !isTicker(v.ticker)) return undefined;
  if (!isCount(v.total) || !isScore(v.average_score)) return undefined;
  return { ticker: v.ticker, total: v.total, average_score: v.average_score };
}

/**
 * One history bucket, or undefined when a field is missing or garbage.
 * @param {unknown} value  anything from the network
 * @returns {ShownBucket | undefined}
 */
function validBucket(value) {
  if (typeof value !== 'object' || value === null) return undefined;
  const b = /** @type {Unchecked<HistoryBucket>} */ (value);
  if (!isTime(b.start) || !isCount(b.total) || !isCount(b.positive)) return undefined;
  if (!isCount(b.neutral) || !isCount(b.negative)) return undefined;
  const average = isScore(b.average_score) ? b.average_score : null;
  const { start, total, positive, neutral, negative } = b;
  return { start, startMs: Date.parse(start), total, positive, neutral, negative, average_score: average };
}

/**
 * Sentiment over time (GET /api/v2/metrics/history): its valid buckets, oldest first, without two
 * for the same start; undefined when the answer is not one.
 * @param {Unchecked<MetricsHistory> | null | undefined} v  anything from the network
 * @returns {ShownHistory | undefined}
 */
function validHistory(v) {
  if (typeof v !== 'object' || v === null || !BUCKET_SIZES.has(v.bucket) || !Array.isArray(v.buckets)) return undefined;
  /** @type {Map<number, ShownBucket>} */
  const byStart = new Map();
  for (const raw of v.buckets.slice(-MAX_BUCKETS)) {
    const bucket = validBucket(raw);
    if (bucket !== undefined) byStart.set(bucket.startMs, bucket);
  }
  return {
    bucket: /** @type {BucketSize} */ (v.bucket),
    buckets: [...byStart.values()].sort((a, b) => a.startMs - b.startMs),
  };
}

/**
 * An ItemPage's valid items, how many the answer held (a full page means "ask again"), and its cursor.
 * @param {Unchecked<ItemPage> | null | undefined} body  anything from the network
 * @returns {{ items: ShownItem[], count: number, cursor: string | undefined } | undefined}
 */
function takePage(body) {
  if (!body || !Array.isArray(body.items)) return undefined;
  return {
    items: body.items.map(validItem).filter((i) => i !== undefined),
    count: body.items.length,
    cursor: isCursor(body.cursor) ? body.cursor : undefined,
  };
}

/**
 * A configuration's id, name and valid tickers, or undefined.
 * @param {Unchecked<Configuration> | null | undefined} c  anything from the network
 * @returns {ShownConfiguration | undefined}
 */
function validConfiguration(c) {
  if (!isText(c?.config_id, 64) || !isText(c?.name, 100) || !Array.isArray(c?.tickers)) return undefined;
  // config_id and name were checked above (TypeScript does not narrow through `c?.`).
  return /** @type {ShownConfiguration} */ ({
    ...c,
    tickers: c.tickers.filter((t) => typeof t === 'string' && TICKER.test(t)),
  });
}

export {
  BUCKET_SIZES,
  CURSOR,
  ITEM_ID,
  TICKER,
  isCursor,
  parseJson,
  takePage,
  validAggregate,
  validConfiguration,
  validHistory,
  validItem,
  validMetrics,
};
