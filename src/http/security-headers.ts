/**
 * HTTP security headers on every response: pages, JSON, problems, SSE streams, 404s.
 *
 * Two Content-Security-Policies. Responses that are never a page (everything under `/api/`, and
 * everything the Lambdas send) get one that allows nothing at all. The dashboard's pages get one
 * that allows exactly what the dashboard does: its own scripts and styles, no inline code, a
 * `data:` favicon, and connections to its own origin plus the REST and SSE origins it is
 * configured with. Those origins and the dashboard's `config.js` come from the same two settings
 * (DASHBOARD_REST_BASE_URL, DASHBOARD_STREAM_BASE_URL), so the page cannot be told to connect
 * somewhere its policy forbids. docs/security.md has the list and the reasons.
 */
// Types only: the SSE Lambda takes API_SECURITY_HEADERS from here and bundles no express.
import type { RequestHandler } from 'express';
import type { Config } from '../config.ts';
import { isApiPath } from './api-path.ts';

/** Headers every response carries, page or not. */
const COMMON_HEADERS = Object.freeze({
  // Browsers must not guess a type: JSON or an item's text read as HTML or script is an XSS.
  'X-Content-Type-Options': 'nosniff',
  // No framing (clickjacking); frame-ancestors says the same to browsers that read CSP.
  'X-Frame-Options': 'DENY',
  // Stream URLs carry `?token=`: no Referer may repeat them to another site.
  'Referrer-Policy': 'no-referrer',
  // Only ever acted on over HTTPS (the Lambda URLs, a TLS proxy); browsers ignore it on http.
  'Strict-Transport-Security': 'max-age=31536000',
  'Cross-Origin-Opener-Policy': 'same-origin',
} as const);

/** For responses that are never rendered: nothing may load, run, frame or submit. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** The headers of every API response, as a plain map for servers without express (the SSE Lambda). */
const API_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  ...COMMON_HEADERS,
  'Content-Security-Policy': API_CSP,
});

/** Where the dashboard served by this process sends its requests; undefined is its own origin. */
type DashboardEndpoints = Pick<Config, 'dashboardRestBaseUrl' | 'dashboardStreamBaseUrl'>;

/** The origins (scheme://host:port) of the configured endpoints, without duplicates. */
function connectOrigins(endpoints: DashboardEndpoints): string[] {
  const urls = [endpoints.dashboardRestBaseUrl, endpoints.dashboardStreamBaseUrl].filter(
    (url): url is string => url !== undefined,
  );
  // Configuration has checked these are absolute http(s) URLs; `origin` drops path and trailing slash.
  return [...new Set(urls.map((url) => new URL(url).origin))];
}

/** The dashboard's policy: what src/dashboard does, and nothing else. */
function dashboardCsp(endpoints: DashboardEndpoints): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    // Styles come from styles.css; render.js sets widths through the CSSOM, which CSP does not restrict.
    "style-src 'self'",
    // index.html's `<link rel="icon" href="data:,">` stops the browser asking for /favicon.ico.
    "img-src 'self' data:",
    `connect-src ${["'self'", ...connectOrigins(endpoints)].join(' ')}`,
    // The forms are handled by config-view.js; should one ever submit natively, only to this origin.
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The REST Lambda: every response is an API response. */
function apiSecurityHeaders(): RequestHandler {
  return (_req, res, next) => {
    res.set(API_SECURITY_HEADERS);
    next();
  };
}

/**
 * The local server, which also serves the dashboard: the API policy under `/api/` (in any letter
 * case: api-path.ts), the
 * dashboard's everywhere else, and `/config.js` written from the same endpoints as the policy.
 * Mount it before every route, so that 404s and errors carry the headers too.
 */
function dashboardSecurityHeaders(endpoints: DashboardEndpoints): RequestHandler {
  const pageHeaders = Object.freeze({ ...COMMON_HEADERS, 'Content-Security-Policy': dashboardCsp(endpoints) });
  // JSON is valid JavaScript, and the values are URLs configuration has already checked.
  const script = `window.TICKERPULSE_CONFIG = ${JSON.stringify({
    restBaseUrl: endpoints.dashboardRestBaseUrl ?? '',
    streamBaseUrl: endpoints.dashboardStreamBaseUrl ?? '',
  })};\n`;
  return (req, res, next) => {
    res.set(isApiPath(req.path) ? API_SECURITY_HEADERS : pageHeaders);
    if ((req.method === 'GET' || req.method === 'HEAD') && req.path === '/config.js') {
      res.set('Cache-Control', 'no-cache').type('text/javascript; charset=utf-8').send(script);
      return;
    }
    next();
  };
}

export type { DashboardEndpoints };
export { API_CSP, API_SECURITY_HEADERS, apiSecurityHeaders, dashboardCsp, dashboardSecurityHeaders };
