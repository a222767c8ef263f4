// What the dashboard accepts from the network, checked field by field: anything with missing or
// garbage fields is skipped. Pure functions, no DOM, so Node can import this file too
// (test/unit/dashboard-contract.test.ts holds the patterns to specs/schemas/*.yaml).
//
// The types are the generated ones (generated/ is not served, so the patterns below are copies of
// the spec's, kept equal by that test). tsconfig.json does not check JavaScript (no allowJs or
// checkJs), so these typedefs document; they are not enforced.
/** @typedef {import('../../generated/models/index.ts').Item} Item */
/** @typedef {import('../../generated/models/index.ts').Metrics} Metrics */
/** @typedef {import('../../generated/models/index.ts').TickerAggregate} TickerAggregate */
/** @typedef {import('../../generated/models/index.ts').StreamOpenPayload} StreamOpenPayload */
/** @typedef {import('../../generated/models/index.ts').ReconnectPayload} ReconnectPayload */
/** @typedef {import('../../generated/openapi/schema.d.ts').components['schemas']['ItemPage']} ItemPage */
/** @typedef {import('../../generated/openapi/schema.d.ts').components['schemas']['Configuration']} Configuration */
/** @typedef {import('../../generated/openapi/schema.d.ts').components['schemas']['StreamToken']} StreamToken */

/**
 * An item as shown: `source` cut to the contract's 64 characters, no `ingested_at`.
 * @typedef {Pick<Item, 'item_id' | 'ticker' | 'sentiment' | 'score' | 'timestamp'> & { source: string | undefined }} ShownItem
 */
/**
 * Metrics as shown: `by_tag` as [ticker, count] pairs with bad entries dropped, `as_of` optional.
 * @typedef {Omit<Metrics, 'by_tag' | 'as_of'> & { by_tag: [string, number][], as_of: string | undefined }} ShownMetrics
 */

// specs/schemas/cursor.yaml (1024: its maxLength), item-id.yaml, ticker.yaml.
const CURSOR = /^[A-Za-z0-9._~-]{1,1024}$/;
const ITEM_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const TICKER = /^[A-Z][A-Z0-9]{0,5}([.-][A-Z0-9]{1,3})?$/;
const SENTIMENTS = new Set(['positive', 'neutral', 'negative']);
const METRIC_COUNTS = ['total', 'positive', 'neutral', 'negative', 'rate_last_hour', 'rate_last_24h'];

const isCount = (v) => Number.isSafeInteger(v) && v >= 0;
const isText = (v, max) => typeof v === 'string' && v.length > 0 && v.length <= max;
const isTime = (v) => isText(v, 64) && !Number.isNaN(Date.parse(v));
const isScore = (v) => typeof v === 'number' && Number.isFinite(v);
const isTicker = (v) => isText(v, 10) && TICKER.test(v);
const isCursor = (v) => typeof v === 'string' && CURSOR.test(v);

/** A JSON object, or undefined for anything else (arrays, scalars, broken or huge text). */
function parseJson(text) {
  if (typeof text !== 'string' || text.length > 4_000_000) return undefined;
  try {
    const value = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** @returns {ShownItem | undefined} */
function validItem(v) {
  if (typeof v !== 'object' || v === null) return undefined;
  if (!isText(v.item_id, 128) || !ITEM_ID.test(v.item_id) || !isTicker(v.ticker)) return undefined;
  if (!SENTIMENTS.has(v.sentiment) || !isScore(v.score) || !isTime(v.timestamp)) return undefined;
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

/** @returns {ShownMetrics | undefined} */
function validMetrics(v) {
  if (typeof v !== 'object' || v === null) return undefined;
  if (!METRIC_COUNTS.every((key) => isCount(v[key]))) return undefined;
  if (typeof v.by_tag !== 'object' || v.by_tag === null || Array.isArray(v.by_tag)) return undefined;
  const byTag = Object.entries(v.by_tag).filter(([ticker, count]) => TICKER.test(ticker) && isCount(count));
  return { ...v, by_tag: byTag, as_of: isTime(v.as_of) ? v.as_of : undefined };
}

/** @returns {Pick<TickerAggregate, 'ticker' | 'total' | 'average_score'> | undefined} */
function validAggregate(v) {
  if (typeof v !== 'object' || v === null || !isTicker(v.ticker)) return undefined;
  if (!isCount(v.total) || !isScore(v.average_score)) return undefined;
  return { ticker: v.ticker, total: v.total, average_score: v.average_score };
}

/**
 * An ItemPage's valid items, how many the answer held (a full page means "ask again"), and its cursor.
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

/** A configuration's id, name and valid tickers, or undefined. @returns {Configuration | undefined} */
function validConfiguration(c) {
  if (!isText(c?.config_id, 64) || !isText(c?.name, 100) || !Array.isArray(c?.tickers)) return undefined;
  return { ...c, tickers: c.tickers.filter((t) => typeof t === 'string' && TICKER.test(t)) };
}

export {
  CURSOR,
  ITEM_ID,
  TICKER,
  isCursor,
  parseJson,
  takePage,
  validAggregate,
  validConfiguration,
  validItem,
  validMetrics,
};
