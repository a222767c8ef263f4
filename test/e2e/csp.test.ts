/**
 * The dashboard under its Content-Security-Policy, in real headless Chromium against the real
 * local server: every feature runs without a single violation, the policy does block what it
 * must (inline script, eval, inline style, connections elsewhere), and the origins configured
 * for REST and SSE are exactly the extra ones it may connect to.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalServer } from '../../src/runtime/local-server.ts';
import { freePort } from '../support/free-port.ts';
import { startTestServer } from '../support/test-server.ts';
import { ingest, item, itemSelector, launchBrowser, waitForStatus, watchCspViolations } from './browser.ts';

const POLL_INTERVAL_MS = 300;

let browser: Browser;
let server: LocalServer;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  [server, browser] = await Promise.all([
    startTestServer({
      POLL_INTERVAL_MS: String(POLL_INTERVAL_MS),
      HEARTBEAT_INTERVAL_MS: '1000',
      FEED_SETTLE_MS: '1000',
    }),
    launchBrowser(),
  ]);
});
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close()));
});
afterAll(async () => {
  await Promise.all([browser.close(), server.close()]);
});

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  return context.newPage();
}

describe('the dashboard under its Content-Security-Policy', () => {
  it('loads, streams, and opens and closes a configuration stream without one violation', async () => {
    // Prepare
    const page = await newPage();
    const violations = await watchCspViolations(page);
    const user = `csp-user-${Date.now()}`;

    // Act: the global stream, a live item, then the configuration view end to end.
    await page.goto(server.url);
    await waitForStatus(page, 'Connected', 5000);
    const live = item('AAPL');
    await ingest(server.url, [live]);
    await page.locator(itemSelector(live.item_id)).waitFor({ timeout: POLL_INTERVAL_MS + 2000 });
    await page.getByLabel('User id (development)').fill(user);
    await page.getByRole('button', { name: 'Load configurations' }).click();
    await page.getByLabel('Name').fill('CSP check');
    await page.getByLabel('Tickers (comma-separated)').fill('AAPL');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('button', { name: 'Open the stream of CSP check' }).click();
    await expect
      .poll(() => page.locator('[data-testid="config-status"]').textContent(), { timeout: 5000 })
      .toBe('Connected');
    const mine = item('AAPL');
    await ingest(server.url, [mine]);
    await page.locator(itemSelector(mine.item_id, 'config-items')).waitFor({ timeout: POLL_INTERVAL_MS + 2000 });
    await page.getByRole('button', { name: 'Close stream' }).click();

    // Assess
    expect(await violations()).toEqual([]);
  });

  // eval is not tried here: code run through DevTools (page.evaluate) may eval whatever the policy
  // says. That the page itself cannot is shown by Playwright's own waitForFunction, which fails
  // under this policy (see waitForText in browser.ts).
  it('blocks inline script, inline handlers, inline style and other origins, and reports each', async () => {
    // Prepare
    const page = await newPage();
    const violations = await watchCspViolations(page);
    await page.goto(server.url);
    await waitForStatus(page, 'Connected', 5000);
    const elsewhere = `http://127.0.0.1:${await freePort()}`;

    // Act: what injected markup or a compromised dependency would try.
    const outcome = await page.evaluate<Record<string, unknown>>(`(async () => {
      const script = document.createElement('script');
      script.textContent = 'window.__inlineRan = true';
      document.body.append(script);
      const button = document.createElement('button');
      button.setAttribute('onclick', 'window.__handlerRan = true');
      document.body.append(button);
      button.click();
      const style = document.createElement('style');
      style.textContent = 'body { display: none }';
      document.head.append(style);
      let fetched;
      try { await fetch(${JSON.stringify(elsewhere)}); fetched = true; } catch { fetched = false; }
      return {
        inlineRan: window.__inlineRan === true,
        handlerRan: window.__handlerRan === true,
        hidden: getComputedStyle(document.body).display === 'none',
        fetched,
      };
    })()`);

    // Assess
    expect(outcome).toEqual({ inlineRan: false, handlerRan: false, hidden: false, fetched: false });
    const directives = (await violations()).map((line) => line.split(' ')[0]);
    expect(directives).toEqual(
      expect.arrayContaining(['script-src-elem', 'script-src-attr', 'style-src-elem', 'connect-src']),
    );
  });
});

describe('the dashboard with REST and SSE on other origins', () => {
  let pointed: LocalServer;
  let rest: string;
  let sse: string;
  beforeAll(async () => {
    rest = `http://127.0.0.1:${await freePort()}`;
    sse = `http://127.0.0.1:${await freePort()}`;
    pointed = await startTestServer({ DASHBOARD_REST_BASE_URL: `${rest}/base/`, DASHBOARD_STREAM_BASE_URL: sse });
  });
  afterAll(async () => {
    await pointed.close();
  });

  it('may connect to exactly the configured origins: the page tries them, and nothing else is allowed', async () => {
    // Prepare: nothing listens on either origin; only whether the policy lets the page try matters.
    const page = await newPage();
    const violations = await watchCspViolations(page);
    const requested: string[] = [];
    page.on('request', (request) => requested.push(new URL(request.url()).origin));

    // Act
    await page.goto(pointed.url);
    await expect.poll(() => requested.includes(rest) && requested.includes(sse), { timeout: 10_000 }).toBe(true);
    const sameOriginAllowed = await page.evaluate<boolean>(`fetch('/api/v2/metrics').then((r) => r.ok, () => false)`);
    const before = await violations();
    const unlisted = `http://127.0.0.1:${await freePort()}`;
    await page.evaluate(`fetch(${JSON.stringify(`${unlisted}/`)}).catch(() => undefined)`);

    // Assess
    expect(before).toEqual([]);
    expect(sameOriginAllowed).toBe(true);
    await expect
      .poll(async () => (await violations()).some((line) => line.startsWith(`connect-src ${unlisted}`)))
      .toBe(true);
  });
});
