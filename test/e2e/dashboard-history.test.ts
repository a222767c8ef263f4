/**
 * Sentiment over time and the item list's time order, in real headless Chromium against the real
 * local server: the chart drawn from GET /api/v2/metrics/history with the test's items and said in
 * text as well, redrawn within a couple of seconds of new items (all tickers, then one chosen
 * ticker, in both bucket sizes), the list newest first by item `timestamp` with a late item in its
 * place and its bound kept, and a 375 px phone screen without horizontal scrolling.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalServer } from '../../src/runtime/local-server.ts';
import { startTestServer } from '../support/test-server.ts';
import {
  ingest,
  item,
  itemSelector,
  launchBrowser,
  screenshot,
  type TestItem,
  tuneDashboard,
  waitForStatus,
  watchCspViolations,
} from './browser.ts';

const POLL_INTERVAL_MS = 300;
/** "Within a couple of seconds": the page's refetch interval (historyRefreshMs, 2 s) and a poll of the feed. */
const REDRAWN_WITHIN_MS = 4000;
const HOUR_MS = 3_600_000;

let server: LocalServer;
let browser: Browser | undefined;
const contexts: BrowserContext[] = [];

/** Items of the last few hours, so that the chart has more than one bucket to draw. */
const earlier: TestItem[] = Array.from({ length: 12 }, (_, i) =>
  item(i % 2 === 0 ? 'AAPL' : 'MSFT', {
    sentiment: (['positive', 'neutral', 'negative'] as const)[i % 3],
    score: [0.6, 0, -0.4][i % 3],
    timestamp: new Date(Date.now() - (i + 1) * 0.4 * HOUR_MS).toISOString(),
  }),
);

beforeAll(async () => {
  [server, browser] = await Promise.all([
    startTestServer({
      POLL_INTERVAL_MS: String(POLL_INTERVAL_MS),
      HEARTBEAT_INTERVAL_MS: '1000',
      FEED_SETTLE_MS: '1000',
    }),
    launchBrowser(),
  ]);
  await ingest(server.url, earlier);
});
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await Promise.all([browser?.close(), server.close()]);
});

async function newPage(viewport = { width: 1280, height: 900 }): Promise<Page> {
  if (browser === undefined) throw new Error('no browser');
  const context = await browser.newContext({ viewport });
  contexts.push(context);
  return context.newPage();
}

interface ChartState {
  readonly state: string | undefined;
  readonly total: number;
  readonly canvases: number;
  readonly summary: string;
  readonly rows: number;
}

/** What the chart and its text alternative show (run in the page: the project has no DOM types). */
const chartState = (page: Page) =>
  page.evaluate<ChartState>(`(() => {
    const chart = document.querySelector('[data-testid="sentiment-chart"]');
    return {
      state: chart?.dataset.state,
      total: Number(chart?.dataset.total ?? Number.NaN),
      canvases: chart?.querySelectorAll('canvas').length ?? 0,
      summary: document.querySelector('[data-testid="sentiment-summary"]')?.textContent ?? '',
      rows: document.querySelectorAll('[data-testid="sentiment-table"] tbody tr').length,
    };
  })()`);

/** The items GET /api/v2/metrics/history counts, as the server answers it. */
async function historyTotal(bucket: '5m' | '1h', ticker?: string): Promise<number> {
  const query = new URLSearchParams(ticker === undefined ? { bucket } : { bucket, ticker });
  const response = await fetch(`${server.url}/api/v2/metrics/history?${query.toString()}`);
  expect(response.status).toBe(200);
  const body = (await response.json()) as { buckets: { total: number }[] };
  return body.buckets.reduce((sum, b) => sum + b.total, 0);
}

/** Opens the dashboard and waits until it is Connected and the chart is drawn. */
async function openDashboard(page: Page): Promise<void> {
  await page.goto(server.url);
  await waitForStatus(page, 'Connected', 5000);
  await expect.poll(async () => (await chartState(page)).state, { timeout: 5000 }).toBe('drawn');
}

/** The list's entries top to bottom: item id and item time. */
const listed = (page: Page) =>
  page.evaluate<{ id: string | null; at: number }[]>(
    `[...document.querySelectorAll('[data-testid="items"] > li')].map((li) => ({
      id: li.getAttribute('data-item-id'),
      at: Date.parse(li.getAttribute('data-timestamp') ?? ''),
    }))`,
  );

describe('the sentiment chart', () => {
  it('draws the items of the last hours and says the same in a summary and a table', async () => {
    const page = await newPage();
    const violations = await watchCspViolations(page);
    await openDashboard(page);
    const expected = await historyTotal('1h');
    expect(expected).toBe(earlier.length);
    await expect.poll(async () => (await chartState(page)).total).toBe(expected);
    const shown = await chartState(page);
    expect(shown.canvases).toBeGreaterThanOrEqual(1);
    expect(shown.rows).toBe(24);
    expect(shown.summary).toMatch(new RegExp(`^All tickers, 24 hourly buckets from .+: ${expected} items, `));
    // uPlot and its stylesheet come from this server (vendor/uplot/), under the page's policy.
    expect(await page.locator('[data-testid="sentiment-chart"] .uplot .u-legend').count()).toBe(1);
    expect(await violations()).toEqual([]);
    await screenshot(page, 'sentiment-chart');
  });

  it('is redrawn within a couple of seconds of new items, for all tickers and for a chosen one', async () => {
    const page = await newPage();
    await openDashboard(page);
    const before = (await chartState(page)).total;
    await ingest(server.url, [item('NVDA'), item('NVDA', { sentiment: 'negative', score: -0.3 }), item('TSLA')]);
    await expect.poll(async () => (await chartState(page)).total, { timeout: REDRAWN_WITHIN_MS }).toBe(before + 3);
    expect((await chartState(page)).summary).toContain(`${before + 3} items`);

    // NVDA, chosen from the tickers the metrics name: only its items count.
    const option = page.locator('[data-testid="history-ticker"] option[value="NVDA"]');
    await expect.poll(() => option.count(), { timeout: 5000 }).toBe(1);
    await page.locator('[data-testid="history-ticker"]').selectOption('NVDA');
    await expect.poll(async () => (await chartState(page)).summary).toMatch(/^NVDA, 24 hourly buckets/);
    expect((await chartState(page)).total).toBe(2);
    await ingest(server.url, [item('NVDA'), item('MSFT')]);
    await expect.poll(async () => (await chartState(page)).total, { timeout: REDRAWN_WITHIN_MS }).toBe(3);
    expect(await historyTotal('1h', 'NVDA')).toBe(3);

    // 5-minute buckets over 3 hours: only the items of the last minutes.
    await page.locator('[data-testid="history-bucket-5m"]').check();
    await expect.poll(async () => (await chartState(page)).summary).toMatch(/^NVDA, 36 5-minute buckets/);
    expect(await chartState(page)).toMatchObject({ total: 3, rows: 36 });
    await ingest(server.url, [item('NVDA', { sentiment: 'neutral', score: 0 })]);
    await expect.poll(async () => (await chartState(page)).total, { timeout: REDRAWN_WITHIN_MS }).toBe(4);
  });
});

describe('the item list', () => {
  it('is newest first by item time: a late item slots in among the newer ones, and the list stays bounded', async () => {
    const page = await newPage();
    await tuneDashboard(page, { maxItems: 8 });
    await openDashboard(page);
    // Newer than every item of the tests before, so that all three are shown in a list of 8.
    const base = Date.now();
    const at = (offsetMs: number) => new Date(base + offsetMs).toISOString();
    const older = item('AMZN', { timestamp: at(0) });
    const newer = item('AMZN', { timestamp: at(2000) });
    await ingest(server.url, [newer, older]);
    for (const posted of [older, newer]) await page.locator(itemSelector(posted.item_id)).waitFor({ timeout: 3000 });

    // Arrives last, published between the two.
    const late = item('AMZN', { timestamp: at(1000) });
    await ingest(server.url, [late]);
    await page.locator(itemSelector(late.item_id)).waitFor({ timeout: 3000 });
    const entries = await listed(page);
    const ids = entries.map((entry) => entry.id);
    expect(ids.indexOf(newer.item_id)).toBeLessThan(ids.indexOf(late.item_id));
    expect(ids.indexOf(late.item_id)).toBeLessThan(ids.indexOf(older.item_id));
    expect(ids[0]).not.toBe(late.item_id);
    const times = entries.map((entry) => entry.at);
    expect(times.every((at) => Number.isFinite(at))).toBe(true);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(entries).toHaveLength(8);

    // Older than everything shown in a full list: not shown, and the list keeps its size and order.
    const ancient = item('AMZN', { timestamp: at(-20 * HOUR_MS) });
    const marker = item('AMZN', { timestamp: at(3000) });
    await ingest(server.url, [ancient]);
    await ingest(server.url, [marker]);
    await page.locator(itemSelector(marker.item_id)).waitFor({ timeout: 3000 });
    const after = await listed(page);
    expect(after).toHaveLength(8);
    expect(after[0]?.id).toBe(marker.item_id);
    expect(after.map((entry) => entry.id)).not.toContain(ancient.item_id);
    expect(after.map((entry) => entry.at)).toEqual(after.map((entry) => entry.at).sort((a, b) => b - a));
  });
});

describe('on a 375 px phone screen', () => {
  it('draws the chart within the screen and nothing scrolls sideways, before and after a redraw', async () => {
    const page = await newPage({ width: 375, height: 800 });
    await openDashboard(page);
    const before = (await chartState(page)).total;
    const fits = () =>
      page.evaluate<{ scroll: number; client: number; chartRight: number }>(`({
        scroll: document.documentElement.scrollWidth,
        client: document.documentElement.clientWidth,
        chartRight: document.querySelector('[data-testid="sentiment-chart"] canvas').getBoundingClientRect().right,
      })`);
    const first = await fits();
    expect(first.scroll).toBeLessThanOrEqual(first.client);
    expect(first.chartRight).toBeLessThanOrEqual(first.client);
    await ingest(server.url, [item('BRK.B', { source: 'x'.repeat(64) })]);
    await expect.poll(async () => (await chartState(page)).total, { timeout: REDRAWN_WITHIN_MS }).toBe(before + 1);
    const second = await fits();
    expect(second.scroll).toBeLessThanOrEqual(second.client);
    expect(second.chartRight).toBeLessThanOrEqual(second.client);
    await screenshot(page, 'sentiment-chart-375');
  });
});
