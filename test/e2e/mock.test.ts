/**
 * The frontend developer's setup: the dashboard pointed at `npm run mock` (Prism for REST, the
 * mock SSE server for streams) through config.js, with no real backend or database behind it.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalServer } from '../../src/runtime/local-server.ts';
import { type PrismMock, startPrismMock } from '../../scripts/mock/prism.ts';
import { type MockSseServer, startMockSseServer } from '../../scripts/mock/sse-server.ts';
import { freePort } from '../support/free-port.ts';
import { startTestServer } from '../support/test-server.ts';
import { launchBrowser, listedIds, screenshot, textOf, waitForStatus, watchCspViolations } from './browser.ts';

let browser: Browser;
let prism: PrismMock;
let sse: MockSseServer;
let pages: LocalServer;

beforeAll(async () => {
  [browser, prism, sse] = await Promise.all([
    launchBrowser(),
    freePort().then((port) => startPrismMock({ port })),
    startMockSseServer({ port: 0, intervalMs: 300 }),
  ]);
  // Only serves the page here; every API call goes to the mock, as the config.js it writes from
  // these settings says (and its Content-Security-Policy allows).
  pages = await startTestServer({ DASHBOARD_REST_BASE_URL: prism.url, DASHBOARD_STREAM_BASE_URL: sse.url });
});
afterAll(async () => {
  await browser.close();
  await Promise.all([prism.close(), sse.close(), pages.close()]);
});

it('shows Connected and live data against the mock, with config.js pointed at it', async () => {
  const page = await browser.newPage();
  const violations = await watchCspViolations(page);

  await page.goto(`${pages.url}/`);
  await waitForStatus(page, 'Connected', 5000);
  await expect
    .poll(async () => (await listedIds(page)).filter((id) => id.startsWith('mock-')).length, { timeout: 10_000 })
    .toBeGreaterThanOrEqual(3);
  const total = await page.evaluate(textOf('metric-total'));
  await screenshot(page, 'mock');

  expect(Number(total)).toBeGreaterThan(0);
  expect(await violations()).toEqual([]);
  await page.close();
});
