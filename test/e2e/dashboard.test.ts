/**
 * The operator's dashboard in real headless Chromium against the real local server: connection
 * status, live items and metrics, the polling fallback, configuration streams, hostile input and
 * a phone-width layout. Screenshots of the main states go to test-results/screenshots/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalServer } from '../../src/runtime/local-server.ts';
import { startTestServer } from '../support/test-server.ts';
import {
  ingest,
  listedIds,
  textOf,
  waitForText,
  item,
  itemSelector,
  launchBrowser,
  recordStatuses,
  screenshot,
  status,
  tuneDashboard,
  waitForStatus,
} from './browser.ts';

const POLL_INTERVAL_MS = 300;

let server: LocalServer;
const chromium = () => {
  if (browser === undefined) throw new Error('no browser');
  return browser;
};
let browser: Browser | undefined;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  [server, browser] = await Promise.all([
    startTestServer({
      POLL_INTERVAL_MS: String(POLL_INTERVAL_MS),
      RETRY_MS: '500',
      HEARTBEAT_INTERVAL_MS: '1000',
      FEED_SETTLE_MS: '1000',
    }),
    launchBrowser(),
  ]);
});
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await Promise.all([browser?.close(), server.close()]);
});

async function newPage(viewport = { width: 1280, height: 900 }): Promise<Page> {
  const context = await chromium().newContext({ viewport });
  contexts.push(context);
  return context.newPage();
}

const total = async (page: Page, testId = 'metric-total') =>
  Number(await page.locator(`[data-testid="${testId}"]`).textContent());

describe('the dashboard', () => {
  it('is served at / while the API keeps its routes and problem+json 404s', async () => {
    const index = await fetch(`${server.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await index.text()).toContain('data-testid="connection-status"');
    const app = await fetch(`${server.url}/app.js`);
    expect(app.headers.get('content-type')).toMatch(/javascript/);
    const unknown = await fetch(`${server.url}/api/v2/nope`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const metrics = await fetch(`${server.url}/api/v2/metrics`);
    expect(metrics.status).toBe(200);
  });

  it('says Connecting, then Connected within 5 s of load', async () => {
    const page = await newPage();
    const started = Date.now();
    await page.goto(server.url);
    await waitForStatus(page, 'Connected', 5000);
    expect(Date.now() - started).toBeLessThan(5000);
    await expect.poll(() => status(page).getAttribute('aria-live')).toBe('polite');
    await screenshot(page, 'connected');
  });

  it('shows an ingested item within POLL_INTERVAL_MS + 1 s, and the total moves by exactly one', async () => {
    const page = await newPage();
    await page.goto(server.url);
    await waitForStatus(page, 'Connected', 5000);
    await expect.poll(() => page.evaluate<string | null>(textOf('metric-total'))).toMatch(/^[0-9]+$/);
    const before = await total(page);
    const posted = item('NVDA', { sentiment: 'negative', score: -0.42, source: 'e2e' });
    await ingest(server.url, [posted]);
    const ingestedAt = Date.now();
    const row = page.locator(itemSelector(posted.item_id));
    await row.waitFor({ timeout: POLL_INTERVAL_MS + 1000 });
    await waitForText(
      page,
      'metric-total',
      String(before + 1),
      Math.max(100, POLL_INTERVAL_MS + 1000 - (Date.now() - ingestedAt)),
    );
    const text = await row.textContent();
    expect(text).toContain('NVDA');
    expect(text).toContain('negative');
    expect(text).toContain('-0.42');
    // Newest first.
    expect(await page.locator('[data-testid="items"] > li').first().getAttribute('data-item-id')).toBe(posted.item_id);
    // Exactly one: no double count after later snapshots.
    await page.waitForTimeout(POLL_INTERVAL_MS * 3);
    expect(await total(page)).toBe(before + 1);
    expect(await page.locator(itemSelector(posted.item_id)).count()).toBe(1);
    await expect.poll(() => page.locator('[data-testid="tickers"] [data-ticker="NVDA"]').count()).toBe(1);
  });

  it('polls REST while the stream is unavailable, then returns to the stream', async () => {
    const page = await newPage();
    await tuneDashboard(page, {
      backoffBaseMs: 100,
      backoffCapMs: 400,
      maxRetries: 3,
      pollIntervalMs: 500,
      backgroundRetryMs: 1500,
    });
    let refused = 0;
    await page.route('**/api/v2/stream**', (route) => {
      refused += 1;
      return route.fulfill({
        status: 503,
        contentType: 'application/problem+json',
        headers: { 'retry-after': '1' },
        body: JSON.stringify({ type: '/problems/at-capacity', title: 'At capacity', status: 503 }),
      });
    });
    await page.goto(server.url);
    const statuses = await recordStatuses(page);
    await waitForStatus(page, 'Polling', 10_000);
    expect(refused).toBeGreaterThanOrEqual(3);
    expect(await statuses()).toContain('Reconnecting');

    const before = await total(page);
    const whilePolling = item('MSFT');
    await ingest(server.url, [whilePolling]);
    await page.locator(itemSelector(whilePolling.item_id)).waitFor({ timeout: 3000 });
    await waitForText(page, 'metric-total', String(before + 1), 3000);
    expect(await status(page).textContent()).toBe('Polling');
    await screenshot(page, 'polling');

    // The stream comes back: the background retry finds it.
    await page.unroute('**/api/v2/stream**');
    await waitForStatus(page, 'Connected', 10_000);
    const afterReturn = item('MSFT');
    await ingest(server.url, [afterReturn]);
    await page.locator(itemSelector(afterReturn.item_id)).waitFor({ timeout: POLL_INTERVAL_MS + 1000 });
    expect(await page.locator(itemSelector(whilePolling.item_id)).count()).toBe(1);
    // The metrics poll may land after the item row: wait for it rather than read once.
    await expect.poll(() => total(page), { timeout: 10_000 }).toBe(before + 2);
  });

  it('opens a configuration stream that shows only its tickers, and says why it ends', async () => {
    const page = await newPage();
    const user = `e2e-user-${Date.now()}`;
    await page.goto(server.url);
    await waitForStatus(page, 'Connected', 5000);
    await page.getByLabel('User id (development)').fill(user);
    await page.getByRole('button', { name: 'Load configurations' }).click();
    await expect
      .poll(() => page.locator('[data-testid="config-message"]').textContent())
      .toContain('No configurations');

    // Created through the form; the name is shown as text, never parsed as HTML.
    const name = '<b>Megacap</b> & co';
    await page.getByLabel('Name').fill(name);
    await page.getByLabel('Tickers (comma-separated)').fill('aapl, MSFT');
    await page.getByRole('button', { name: 'Create' }).click();
    const row = page.locator('[data-testid="configurations"] li', { hasText: 'Megacap' });
    await row.waitFor({ timeout: 5000 });
    expect(await row.locator('.config-name').textContent()).toBe(name);
    expect(await page.locator('[data-testid="configurations"] b').count()).toBe(0);
    expect(await row.locator('.config-tickers').textContent()).toBe('AAPL, MSFT');

    // Opened with the keyboard.
    await row.getByRole('button').focus();
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.locator('[data-testid="config-status"]').textContent(), { timeout: 5000 })
      .toBe('Connected');

    const other = item('TSLA');
    const mine = item('AAPL');
    await ingest(server.url, [other, mine]);
    await page.locator(itemSelector(mine.item_id, 'config-items')).waitFor({ timeout: POLL_INTERVAL_MS + 1000 });
    await page.locator(itemSelector(other.item_id, 'items')).waitFor({ timeout: POLL_INTERVAL_MS + 1000 });
    expect(await page.locator(itemSelector(other.item_id, 'config-items')).count()).toBe(0);
    const tickers = await page.locator('[data-testid="config-items"] .ticker').allTextContents();
    expect(tickers.every((t) => t === 'AAPL' || t === 'MSFT')).toBe(true);
    await screenshot(page, 'configuration');

    // Deleting it ends the stream with stream_closed: Disconnected, with a message.
    const configId = await row.getAttribute('data-config-id');
    const deleted = await fetch(`${server.url}/api/v2/configurations/${configId}`, {
      method: 'DELETE',
      headers: { 'x-user-id': user },
    });
    expect(deleted.status).toBe(204);
    await expect
      .poll(() => page.locator('[data-testid="config-status"]').textContent(), { timeout: 5000 })
      .toBe('Disconnected');
    expect(await page.locator('[data-testid="stream-error"]').textContent()).toMatch(/deleted/);
  });

  it('shows a clear message when a configuration stream is refused (401), and closes on request', async () => {
    const page = await newPage();
    const user = `e2e-refused-${Date.now()}`;
    const created = await fetch(`${server.url}/api/v2/configurations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user-id': user },
      body: JSON.stringify({ name: 'Refused', tickers: ['AAPL'] }),
    });
    expect(created.status).toBe(201);
    // Every minted token is replaced by one the server will refuse.
    await page.route('**/stream-token', (route) =>
      route.fulfill({
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify({ token: 'aaaa.bbbb.cccc', expires_at: new Date(Date.now() + 60_000).toISOString() }),
      }),
    );
    await page.goto(server.url);
    await page.getByLabel('User id (development)').fill(user);
    await page.getByRole('button', { name: 'Load configurations' }).click();
    await page.getByRole('button', { name: 'Open the stream of Refused' }).click();
    await expect
      .poll(() => page.locator('[data-testid="stream-error"]').textContent(), { timeout: 10_000 })
      .toMatch(/401/);
    expect(await page.locator('[data-testid="config-status"]').textContent()).toBe('Disconnected');
    await page.unroute('**/stream-token');

    // A working stream, closed by the user.
    await page.getByRole('button', { name: 'Open the stream of Refused' }).click();
    await expect
      .poll(() => page.locator('[data-testid="config-status"]').textContent(), { timeout: 5000 })
      .toBe('Connected');
    expect(await page.locator('[data-testid="stream-error"]').isHidden()).toBe(true);
    await page.getByRole('button', { name: 'Close stream' }).click();
    expect(await page.locator('[data-testid="config-status"]').textContent()).toBe('Disconnected');
  });

  it('says so when a configuration stream is gone (404) or keeps being refused (503)', async () => {
    const page = await newPage();
    await tuneDashboard(page, { backoffBaseMs: 50, backoffCapMs: 200, maxRetries: 2 });
    const user = `e2e-gone-${Date.now()}`;
    for (const name of ['Gone', 'Busy']) {
      const created = await fetch(`${server.url}/api/v2/configurations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-user-id': user },
        body: JSON.stringify({ name, tickers: ['AAPL'] }),
      });
      expect(created.status).toBe(201);
    }
    let answer = 404;
    await page.route('**/api/v2/configurations/*/stream?**', (route) =>
      route.fulfill({
        status: answer,
        contentType: 'application/problem+json',
        headers: answer === 503 ? { 'retry-after': '1' } : {},
        body: JSON.stringify({ type: 'about:blank', title: 'Refused', status: answer }),
      }),
    );
    await page.goto(server.url);
    await page.getByLabel('User id (development)').fill(user);
    await page.getByRole('button', { name: 'Load configurations' }).click();
    await page.getByRole('button', { name: 'Open the stream of Gone' }).click();
    await expect
      .poll(() => page.locator('[data-testid="stream-error"]').textContent(), { timeout: 5000 })
      .toMatch(/404/);
    expect(await page.locator('[data-testid="config-status"]').textContent()).toBe('Disconnected');

    answer = 503;
    await page.getByRole('button', { name: 'Open the stream of Busy' }).click();
    await expect
      .poll(() => page.locator('[data-testid="stream-error"]').textContent(), { timeout: 10_000 })
      .toMatch(/503.*try again later/);
    expect(await page.locator('[data-testid="config-status"]').textContent()).toBe('Disconnected');
  });

  it('renders hostile and broken events as text, skips garbage, survives huge payloads', async () => {
    const page = await newPage();
    await tuneDashboard(page, { backoffBaseMs: 2000, backoffCapMs: 2000 });
    const xss = '<img src=x onerror="window.__xss=1">';
    const good = { ticker: 'AAPL', sentiment: 'positive', score: 0.5, timestamp: '2026-11-21T09:00:00Z' };
    const frame = (event: string, id: string, data: string) => `event: ${event}\nid: ${id}\ndata: ${data}\n\n`;
    const body = [
      ': padding comment\n\n',
      frame(
        'stream_open',
        'c1',
        JSON.stringify({
          outcome: 'fresh',
          retry_ms: 1000,
          heartbeat_interval_ms: 30000,
          server_time: '2026-11-21T09:00:00Z',
        }),
      ),
      frame('metrics', 'c1', JSON.stringify({ total: 'many' })),
      frame('mystery_event', 'c2', JSON.stringify({ item_id: 'mystery-1', ...good })),
      frame('new_item', 'c3', '{not json'),
      frame('new_item', 'c4', JSON.stringify({ item_id: 'missing-fields', ticker: 'AAPL' })),
      frame('new_item', 'c5', JSON.stringify({ item_id: 'bad-sentiment', ...good, sentiment: 'ecstatic' })),
      frame('new_item', 'c6', JSON.stringify({ item_id: '<script>alert(1)</script>', ...good })),
      frame('new_item', 'c7', JSON.stringify({ item_id: 'bad-ticker', ...good, ticker: '<i>X</i>' })),
      frame('new_item', 'c8', JSON.stringify({ item_id: 'huge-1', ...good, source: 'A'.repeat(2_000_000) })),
      frame('new_item', 'c9', JSON.stringify({ item_id: 'xss-1', ...good, source: xss })),
      frame('new_item', 'c10', JSON.stringify([1, 2, 3])),
      frame(
        'metrics',
        'c11',
        JSON.stringify({
          total: 7,
          positive: 4,
          neutral: 2,
          negative: 1,
          by_tag: { AAPL: 7, '<svg onload=alert(1)>': 3 },
          rate_last_hour: 1,
          rate_last_24h: 7,
          as_of: '2026-11-21T09:00:00Z',
        }),
      ),
    ].join('');
    await page.route('**/api/v2/stream**', (route) =>
      route.fulfill({
        status: 200,
        headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
        body,
      }),
    );
    await page.goto(server.url);
    await page.locator(itemSelector('xss-1')).waitFor({ timeout: 5000 });
    await waitForText(page, 'metric-total', '7');

    expect(await page.locator(itemSelector('xss-1')).locator('.source').textContent()).toBe(xss);
    expect(await page.locator('img, script:not([src]), svg [onload], i').count()).toBe(0);
    expect(await page.evaluate('window.__xss')).toBeUndefined();
    for (const skipped of ['mystery-1', 'missing-fields', 'bad-sentiment', 'bad-ticker'])
      expect(await page.locator(`[data-item-id="${skipped}"]`).count()).toBe(0);
    expect(await listedIds(page)).not.toContain('<script>alert(1)</script>');
    const huge = await page.locator(itemSelector('huge-1')).locator('.source').textContent();
    expect(huge?.length).toBeLessThanOrEqual(64);
    expect(await page.locator('[data-testid="tickers"] li').count()).toBe(1);
    await page.unroute('**/api/v2/stream**');

    // Through the real API too: `source` may hold markup (no control characters, ≤ 64).
    await waitForStatus(page, 'Connected', 10_000);
    const real = item('AMZN', { source: '<img src=x onerror=window.__xss2=1>' });
    await ingest(server.url, [real]);
    await page.locator(itemSelector(real.item_id)).waitFor({ timeout: 5000 });
    expect(await page.locator(itemSelector(real.item_id)).locator('.source').textContent()).toBe(real.source);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.evaluate('window.__xss2')).toBeUndefined();
  });

  it('reloads its item list from REST when the stream says its cursor was reset', async () => {
    const page = await newPage();
    const snapshots: string[] = [];
    page.on('request', (request) => {
      if (/\/api\/v2\/items\?limit=/.test(request.url())) snapshots.push(request.url());
    });
    // The page's cursor is replaced by an unknown one: the server answers `stream_open` `reset`.
    let rewritten = false;
    await page.route('**/api/v2/stream**', (route) => {
      if (rewritten) return route.continue();
      rewritten = true;
      return route.continue({ url: `${server.url}/api/v2/stream?last_event_id=not-a-known-cursor` });
    });
    await page.goto(server.url);
    await waitForStatus(page, 'Connected', 5000);
    await expect.poll(() => snapshots.length, { timeout: 3000 }).toBe(2);
    const posted = item('AAPL');
    await ingest(server.url, [posted]);
    await page.locator(itemSelector(posted.item_id)).waitFor({ timeout: POLL_INTERVAL_MS + 1000 });
    const ids = await listedIds(page);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('fits a 375 px phone screen without horizontal scrolling', async () => {
    const page = await newPage({ width: 375, height: 800 });
    await page.goto(server.url);
    await waitForStatus(page, 'Connected', 5000);
    await ingest(server.url, [item('BRK.B', { source: 'x'.repeat(64) })]);
    await page.waitForTimeout(POLL_INTERVAL_MS + 500);
    const widths = await page.evaluate<{ scroll: number; client: number }>(
      '({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })',
    );
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
    // Every input has a label.
    const unlabelled = await page.evaluate<number>(
      "[...document.querySelectorAll('input')].filter((i) => i.labels === null || i.labels.length === 0).length",
    );
    expect(unlabelled).toBe(0);
    await screenshot(page, 'phone-375');
  });
});
