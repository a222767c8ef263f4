/** Shared helpers of the browser end-to-end tests: headless Chromium, tuned dashboard config, ingest. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { testBrowser } from '../support/chromium.ts';
import { TEST_INGEST_KEY } from '../support/test-server.ts';

const SCREENSHOT_DIR = join(import.meta.dirname, '../../test-results/screenshots');

/**
 * Chromium's flags, beyond Playwright's own defaults. The OS sandbox is off (chromiumSandbox: false,
 * Playwright's default too): as root Chromium will not start with it, and it confines renderer
 * processes, while the web's own rules (same-origin policy, CORS, CSP) apply with or without it.
 * Nothing here relaxes what the page is tested for: no --disable-web-security, no site-isolation or
 * insecure-content switches, since CSP and CORS are checked in this browser (test/e2e/csp.test.ts).
 * Rationale per flag: docs/testing.md, "Browser tests".
 */
const BROWSER_ARGS: readonly string[] = [
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Headless Chromium, found by test/support/chromium.ts (CHROMIUM_PATH, npm-shipped, or system). */
async function launchBrowser(): Promise<Browser> {
  const browser = await testBrowser();
  return chromium.launch({
    executablePath: browser.executablePath,
    env: { ...process.env, ...browser.env },
    headless: true,
    chromiumSandbox: false,
    args: [...BROWSER_ARGS],
  });
}

interface DashboardTuning {
  readonly backoffBaseMs?: number;
  readonly backoffCapMs?: number;
  readonly maxRetries?: number;
  readonly pollIntervalMs?: number;
  readonly backgroundRetryMs?: number;
  readonly maxItems?: number;
  readonly requestTimeoutMs?: number;
}

/** Serves the page a `config.js` with shorter timings, through the same mechanism production uses. */
async function tuneDashboard(page: Page, tuning: DashboardTuning): Promise<void> {
  const config = { restBaseUrl: '', streamBaseUrl: '', ...tuning };
  await page.route('**/config.js', (route) =>
    route.fulfill({
      status: 200,
      contentType: 'text/javascript',
      body: `window.TICKERPULSE_CONFIG = ${JSON.stringify(config)};`,
    }),
  );
}

/**
 * Records every Content-Security-Policy violation the page reports from its first script on: the
 * `securitypolicyviolation` events (as "directive blocked-uri") and Chromium's console errors
 * about the policy. Call before `goto`; the returned function reads what was seen so far.
 */
async function watchCspViolations(page: Page): Promise<() => Promise<string[]>> {
  const fromConsole: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) fromConsole.push(message.text());
  });
  await page.addInitScript(`(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__cspViolations.push(event.effectiveDirective + ' ' + event.blockedURI);
    });
  })()`);
  return async () => [...(await page.evaluate<string[]>('window.__cspViolations ?? []')), ...fromConsole];
}

const status = (page: Page) => page.locator('[data-testid="connection-status"]');

/**
 * Browser-side code is written as strings: the project's tsconfig has no DOM library (it is a
 * Node project), and these expressions run in the page, not in Node.
 */
const textOf = (testId: string) => `document.querySelector('[data-testid="${testId}"]')?.textContent`;

/**
 * Waits until `[data-testid=testId]` reads exactly `text`. Polled from here rather than with
 * `page.waitForFunction`, which compiles its predicate with eval inside the page: the dashboard's
 * Content-Security-Policy forbids that (page.evaluate goes through DevTools and is not affected).
 */
async function waitForText(page: Page, testId: string, text: string, timeout = 5000): Promise<void> {
  await expect.poll(() => page.evaluate<string | null>(textOf(testId)), { timeout, interval: 50 }).toBe(text);
}

/** Waits until the connection status is `state` (recordStatuses sees every change in between). */
async function waitForStatus(page: Page, state: string, timeout: number): Promise<void> {
  await waitForText(page, 'connection-status', state, timeout);
}

/** Records every status the page shows, from now on, in `window.__statuses`. */
async function recordStatuses(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(`(() => {
    const node = document.querySelector('[data-testid="connection-status"]');
    const log = [node?.textContent ?? ''];
    window.__statuses = log;
    new MutationObserver(() => {
      if (log.at(-1) !== node.textContent) log.push(node.textContent);
    }).observe(node, { childList: true, characterData: true, subtree: true });
  })()`);
  return () => page.evaluate<string[]>('window.__statuses');
}

/** The `data-item-id`s of a list, top to bottom. */
async function listedIds(page: Page, list = 'items'): Promise<string[]> {
  return page.evaluate<string[]>(
    `[...document.querySelectorAll('[data-testid="${list}"] > li')].map((li) => li.getAttribute('data-item-id'))`,
  );
}

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

interface TestItem {
  item_id: string;
  ticker: string;
  sentiment: 'positive' | 'neutral' | 'negative';
  score: number;
  timestamp: string;
  source?: string;
}

let sequence = 0;
function item(ticker = 'AAPL', extra: Partial<TestItem> = {}): TestItem {
  sequence += 1;
  return {
    item_id: `e2e-${process.pid}-${Date.now()}-${sequence}`,
    ticker,
    sentiment: 'positive',
    score: 0.5,
    timestamp: new Date().toISOString(),
    ...extra,
  };
}

async function ingest(baseUrl: string, items: readonly TestItem[]): Promise<void> {
  const response = await fetch(`${baseUrl}/api/v2/items`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': TEST_INGEST_KEY },
    body: JSON.stringify({ items }),
  });
  if (response.status !== 200) throw new Error(`ingest answered ${response.status}: ${await response.text()}`);
}

const itemSelector = (id: string, list = 'items') => `[data-testid="${list}"] [data-item-id="${id}"]`;

export type { DashboardTuning, TestItem };
export {
  ingest,
  item,
  itemSelector,
  launchBrowser,
  recordStatuses,
  screenshot,
  status,
  textOf,
  tuneDashboard,
  waitForStatus,
  waitForText,
  watchCspViolations,
  listedIds,
};
