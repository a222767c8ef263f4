/* global window */
// Where the dashboard finds the API. Empty strings mean "same origin".
// This file is for hosting the dashboard as static files elsewhere: production points these at
// the two Lambda function URLs, and the host's Content-Security-Policy must then allow both
// origins in connect-src (docs/security.md). `npm start` does not serve this file: it writes
// config.js from DASHBOARD_REST_BASE_URL and DASHBOARD_STREAM_BASE_URL (unset: same origin), the
// same settings its Content-Security-Policy is built from. `npm run mock` serves the dashboard
// itself, on the SSE mock's port, with a config.js pointing at both mocks.
// Optional tuning (defaults in settings.js): backoffBaseMs, backoffCapMs, maxRetries, pollIntervalMs,
// backgroundRetryMs, maxItems, requestTimeoutMs, historyRefreshMs.
window.TICKERPULSE_CONFIG = { restBaseUrl: '', streamBaseUrl: '' };
