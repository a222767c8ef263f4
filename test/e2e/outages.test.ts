/**
 * The dashboard through network interruptions of 1, 5, 12 and 25 s, with its production reconnect
 * settings: each time it is back to Connected within 10 s of the network (seed 016 SC-005), and
 * no item ingested during the outage is missing. The page reaches the server through a loopback
 * TCP proxy; an outage destroys every open connection and refuses new ones until it ends, as a
 * dropped link or a restarting load balancer does. The server itself stays up.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalServer } from '../../src/runtime/local-server.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { startTestServer } from '../support/test-server.ts';
import { ingest, item, itemSelector, launchBrowser, recordStatuses, waitForStatus } from './browser.ts';

/** SC-005: back within this long after the network is. */
const BACK_WITHIN_MS = 10_000;
const OUTAGES_S = [1, 5, 12, 25];

let browser: Browser | undefined;
let server: LocalServer | undefined;
let proxy: TcpProxy | undefined;

beforeAll(async () => {
  browser = await launchBrowser();
  server = await startTestServer({ POLL_INTERVAL_MS: '300', FEED_SETTLE_MS: '1000' });
  proxy = await startTcpProxy(server.url);
});
afterAll(async () => {
  await proxy?.close();
  await Promise.all([browser?.close(), server?.close()]);
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The page's status text now. */
const statusOf = (page: Page) =>
  page.evaluate<string | null>(`document.querySelector('[data-testid="connection-status"]')?.textContent ?? null`);

describe('the dashboard through network interruptions', () => {
  it(`is back within ${String(BACK_WITHIN_MS / 1000)} s of the network after outages of ${OUTAGES_S.join(', ')} s, missing nothing`, async () => {
    if (browser === undefined || server === undefined || proxy === undefined) throw new Error('not started');
    const page = await browser.newPage();
    await page.goto(proxy.url);
    await waitForStatus(page, 'Connected', 5000);
    const statuses = await recordStatuses(page);
    const backAfterMs: number[] = [];
    for (const seconds of OUTAGES_S) {
      proxy.refuse(true);
      proxy.cut();
      await expect.poll(() => statusOf(page), { timeout: 5000, interval: 50 }).not.toBe('Connected');
      // Items keep coming while the page is cut off; it must catch up on them.
      const during = [item('AAPL'), item('MSFT')];
      await ingest(server.url, during);
      await sleep(seconds * 1000);
      proxy.refuse(false);
      const restored = performance.now();
      await waitForStatus(page, 'Connected', BACK_WITHIN_MS);
      backAfterMs.push(Math.round(performance.now() - restored));
      for (const missed of during) await page.waitForSelector(itemSelector(missed.item_id), { timeout: 5000 });
    }
    // Printed for the record (docs/dashboard.md); the bound is the waitForStatus above.
    console.log(`outages ${OUTAGES_S.join(', ')} s: back after ${backAfterMs.join(', ')} ms`);
    expect(backAfterMs.every((ms) => ms <= BACK_WITHIN_MS)).toBe(true);
    expect(await statuses()).toContain('Reconnecting');
  }, 150_000);
});
