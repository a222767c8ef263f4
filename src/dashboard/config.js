/* global window */
// Where the dashboard finds the API. Empty strings mean "same origin" (npm start serves both).
// Production points these at the two Lambda function URLs; the mock (npm run mock) at
// http://127.0.0.1:4010 (REST) and http://127.0.0.1:4011 (SSE).
// Optional tuning (defaults in app.js): backoffBaseMs, backoffCapMs, maxRetries, pollIntervalMs,
// backgroundRetryMs, maxItems, requestTimeoutMs.
window.TICKERPULSE_CONFIG = { restBaseUrl: '', streamBaseUrl: '' };
