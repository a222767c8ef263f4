/**
 * The dashboard across a server restart on the same port (data kept in DATA_DIR): it says
 * Reconnecting, comes back to Connected by itself, and no item is missing — neither those
 * ingested just before the outage nor those ingested right after the restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalServer } from '../../src/runtime/local-server.ts';
import { freePort } from '../support/free-port.ts';
import { startTestServer } from '../support/test-server.ts';
import {
  listedIds,
  ingest,
  item,
  itemSelector,
  launchBrowser,
  recordStatuses,
  screenshot,
  tuneDashboard,
  waitForStatus,
} from './browser.ts';

let browser: Browser | undefined;
let server: LocalServer | undefined;
const dataDir = mkdtempSync(join(tmpdir(), 'tickerpulse-e2e-'));

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await Promise.all([browser?.close(), server?.close()]);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the dashboard across a server restart', () => {
  it('shows Reconnecting, then Connected within 30 s, with no item missing', async () => {
    const env = {
      PORT: String(await freePort()),
      DATA_DIR: dataDir,
      POLL_INTERVAL_MS: '300',
      RETRY_MS: '500',
      HEARTBEAT_INTERVAL_MS: '1000',
      FEED_SETTLE_MS: '1000',
    };
    server = await startTestServer(env);
    const url = server.url;
    if (browser === undefined) throw new Error('no browser');
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    // Production backoff base and cap; a shorter background retry so the test stays quick.
    await tuneDashboard(page, { backoffBaseMs: 500, backoffCapMs: 10_000, maxRetries: 5, backgroundRetryMs: 3000 });
    await page.goto(url);
    await waitForStatus(page, 'Connected', 5000);
    const statuses = await recordStatuses(page);

    const before = [item('AAPL'), item('MSFT')];
    await ingest(url, before);
    for (const posted of before) await page.locator(itemSelector(posted.item_id)).waitFor({ timeout: 2000 });

    await server.close();
    server = undefined;
    await waitForStatus(page, 'Reconnecting', 5000);
    // While the port is closed, the page retries with backoff (and says which attempt it is on).
    await expect
      .poll(() => page.locator('[data-testid="connection-detail"]').textContent(), { timeout: 5000 })
      .toMatch(/attempt \d+ of 5/);
    await screenshot(page, 'reconnecting');

    server = await startTestServer(env);
    // Ingested before the page can have reconnected: it must get them by resuming from its cursor.
    const during = Array.from({ length: 5 }, (_, i) => item(i % 2 === 0 ? 'NVDA' : 'TSLA'));
    await ingest(url, during);
    await waitForStatus(page, 'Connected', 30_000);
    const after = [item('AMZN')];
    await ingest(url, after);

    for (const posted of [...before, ...during, ...after])
      await page.locator(itemSelector(posted.item_id)).waitFor({ timeout: 3000 });
    const shown = await listedIds(page);
    expect(new Set(shown).size).toBe(shown.length);
    // Newest first: the last ingested item is on top.
    expect(shown[0]).toBe(after[0]?.item_id);
    const seen = await statuses();
    expect(seen).toContain('Reconnecting');
    expect(seen.at(-1)).toBe('Connected');
    await context.close();
  });
});
