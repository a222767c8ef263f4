// The dashboard's settings: defaults, overridden by `window.TICKERPULSE_CONFIG` from config.js
// (written by `npm start` from the same settings as the page's Content-Security-Policy).
/* global window */

const settings = Object.freeze({
  restBaseUrl: '',
  streamBaseUrl: '',
  backoffBaseMs: 500,
  backoffCapMs: 10_000,
  maxRetries: 5,
  pollIntervalMs: 2000,
  backgroundRetryMs: 10_000,
  maxItems: 100,
  requestTimeoutMs: 5000,
  ...(typeof window.TICKERPULSE_CONFIG === 'object' && window.TICKERPULSE_CONFIG !== null
    ? window.TICKERPULSE_CONFIG
    : {}),
});

/** `path` under the REST base URL (empty: this page's origin). */
const restUrl = (path) => `${String(settings.restBaseUrl).replace(/\/$/, '')}${path}`;
/** `path` under the SSE base URL (empty: this page's origin). */
const streamUrl = (path) => `${String(settings.streamBaseUrl).replace(/\/$/, '')}${path}`;

export { restUrl, settings, streamUrl };
