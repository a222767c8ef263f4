// The dashboard's settings: defaults, overridden by `window.TICKERPULSE_CONFIG` from config.js
// (written by `npm start` from the same settings as the page's Content-Security-Policy).
/* global window */

/** config.js sets this page global; it is read as is, so its type says nothing about its content. */
const page = /** @type {Window & { TICKERPULSE_CONFIG?: unknown }} */ (window);

const settings = Object.freeze({
  restBaseUrl: '',
  streamBaseUrl: '',
  backoffBaseMs: 500,
  // With the background retry, a page is back within about 5 s of the network, however long it was gone.
  backoffCapMs: 5000,
  maxRetries: 5,
  pollIntervalMs: 2000,
  backgroundRetryMs: 5000,
  maxItems: 100,
  requestTimeoutMs: 5000,
  // The sentiment chart refetches its history at most this often while items arrive.
  historyRefreshMs: 2000,
  ...(typeof page.TICKERPULSE_CONFIG === 'object' && page.TICKERPULSE_CONFIG !== null ? page.TICKERPULSE_CONFIG : {}),
});

/** `path` under the REST base URL (empty: this page's origin). @param {string} path */
const restUrl = (path) => `${String(settings.restBaseUrl).replace(/\/$/, '')}${path}`;
/** `path` under the SSE base URL (empty: this page's origin). @param {string} path */
const streamUrl = (path) => `${String(settings.streamBaseUrl).replace(/\/$/, '')}${path}`;

export { restUrl, settings, streamUrl };
