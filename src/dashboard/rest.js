// The REST client: the calls the dashboard makes, each answer parsed (never trusted) by contract.js.

import { authHeaders } from './auth.js';
import { parseJson } from './contract.js';
import { restUrl, settings } from './settings.js';

/** @typedef {import('./contract.js').JsonObject} JsonObject */
/** @template T @typedef {import('./contract.js').Unchecked<T>} Unchecked */
/** @typedef {import('./contract.js').ItemPage} ItemPage */
/** @typedef {import('./contract.js').Metrics} Metrics */
/** @typedef {import('./contract.js').MetricsHistory} MetricsHistory */
/** @typedef {import('./contract.js').ConfigurationList} ConfigurationList */
/** @typedef {import('./contract.js').ConfigurationInput} ConfigurationInput */
/** @typedef {import('./contract.js').StreamToken} StreamToken */
/** @typedef {import('./contract.js').Problem} Problem */

/**
 * An answer other than 2xx, with its status and the problem's detail (or title) as message. A 429
 * is Lambda's throttle (AWS deployment): its body is Lambda's, not a problem, so it is named here.
 */
class RestError extends Error {
  /** @param {number} status @param {Unchecked<Problem> | undefined} problem */
  constructor(status, problem) {
    const text =
      typeof problem?.detail === 'string'
        ? problem.detail
        : typeof problem?.title === 'string'
          ? problem.title
          : status === 429
            ? 'Too many requests (throttled)'
            : '';
    super(`${status} ${text}`.trim());
    this.status = status;
  }
}

/**
 * GETs (or, with `init`, sends) `path` and returns its JSON object body; throws RestError on non-2xx.
 * @param {string} path
 * @param {RequestInit & { headers?: Record<string, string> }} [init]
 * @returns {Promise<JsonObject | undefined>}
 */
async function getJson(path, init = {}) {
  const response = await fetch(restUrl(path), {
    // A hung request must not hold up the page (the first snapshot gates opening the stream).
    signal: AbortSignal.timeout(settings.requestTimeoutMs),
    ...init,
    headers: { accept: 'application/json', ...init.headers },
  });
  const body = parseJson(await response.text());
  if (!response.ok) throw new RestError(response.status, body);
  return body;
}

/** @param {string} configId */
const configPath = (configId) => `/api/v2/configurations/${encodeURIComponent(configId)}`;

/**
 * The newest `limit` items (an ItemPage, unchecked).
 * @param {number} limit
 * @returns {Promise<Unchecked<ItemPage> | undefined>}
 */
const latestItems = (limit) => getJson(`/api/v2/items?${new URLSearchParams({ limit: String(limit) })}`);
/**
 * The items after `cursor`, oldest first (an ItemPage, unchecked).
 * @param {string} cursor
 * @param {number} limit
 * @returns {Promise<Unchecked<ItemPage> | undefined>}
 */
const itemsAfter = (cursor, limit) =>
  getJson(`/api/v2/items?${new URLSearchParams({ after: cursor, limit: String(limit) })}`);
/** The global metrics (unchecked). @returns {Promise<Unchecked<Metrics> | undefined>} */
const metrics = () => getJson('/api/v2/metrics');
/**
 * Sentiment over time, oldest first (unchecked: contract.js validHistory checks it).
 * @param {string} ticker  empty: all tickers together
 * @param {import('./contract.js').BucketSize} bucket
 * @returns {Promise<Unchecked<MetricsHistory> | undefined>}
 */
const metricsHistory = (ticker, bucket) =>
  getJson(`/api/v2/metrics/history?${new URLSearchParams(ticker === '' ? { bucket } : { ticker, bucket })}`);
/**
 * A user's configurations (a ConfigurationList, unchecked).
 * @param {string} userId
 * @returns {Promise<Unchecked<ConfigurationList> | undefined>}
 */
const listConfigurations = (userId) => getJson('/api/v2/configurations', { headers: authHeaders(userId) });

/** Creates a configuration. @param {string} userId @param {ConfigurationInput} input */
const createConfiguration = (userId, input) =>
  getJson('/api/v2/configurations', {
    method: 'POST',
    headers: { ...authHeaders(userId), 'content-type': 'application/json' },
    body: JSON.stringify(input),
  });

/**
 * Mints a stream token for a configuration; throws when the answer has none.
 * @param {string} userId
 * @param {string} configId
 * @returns {Promise<StreamToken['token']>}
 */
async function mintStreamToken(userId, configId) {
  /** @type {Unchecked<StreamToken> | undefined} */
  const body = await getJson(`${configPath(configId)}/stream-token`, { method: 'POST', headers: authHeaders(userId) });
  if (!body || typeof body.token !== 'string') throw new Error('no token in the answer');
  return body.token;
}

/**
 * The status a stream URL answers, learned with HEAD (same checks, no stream): an EventSource
 * hides it. 0 when unreachable.
 * @param {string} url
 * @returns {Promise<number>}
 */
async function streamStatus(url) {
  try {
    const response = await fetch(url, { method: 'HEAD', headers: { accept: 'text/event-stream' } });
    return response.status;
  } catch {
    return 0;
  }
}

export {
  createConfiguration,
  itemsAfter,
  latestItems,
  listConfigurations,
  metrics,
  metricsHistory,
  mintStreamToken,
  RestError,
  streamStatus,
};
