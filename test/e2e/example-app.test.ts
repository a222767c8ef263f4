/**
 * The example app (examples/react-live) as a developer runs it: built by its own esbuild build,
 * served by its own dev server on one loopback origin (`http://localhost:<port>`), calling the
 * real server (startLocalServer, configured as `npm start` is, CORS default included) on another
 * (`http://127.0.0.1:<port>`), in Chromium:
 * - REST through CORS: the overview lists what was ingested, a configuration is created; every API
 *   answer carries the page's origin in `Access-Control-Allow-Origin` and matches the contract;
 * - both streams open (the public one once for two components under StrictMode, the
 *   configuration's with a stream token) and show an ingested item, the configuration's only
 *   for its tickers;
 * - a server whose CORS_ALLOWED_ORIGINS does not list the page's origin: REST and the stream
 *   fail in the page, and Chromium says CORS blocked them;
 * - the same server through the dev server's proxy (`--proxy`): same-origin calls, no CORS needed,
 *   and the stream passes through the proxy as it arrives.
 */
import type { Browser, Page, Response } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../examples/react-live/build.ts';
import { type DevServer, startDevServer } from '../../examples/react-live/dev-server.ts';
import { checkResponse, matchOperation } from '../../src/contract/index.ts';
import type { LocalServer } from '../../src/runtime/local-server.ts';
import { startTestServer } from '../support/test-server.ts';
import { ingest, item, launchBrowser, listedIds, textOf, waitForText } from './browser.ts';

const FAST_FEED = { POLL_INTERVAL_MS: '200', HEARTBEAT_INTERVAL_MS: '1000', FEED_SETTLE_MS: '1000' };
/** An origin no page here has: the refusing server allows only it. */
const OTHER_ORIGIN = 'http://127.0.0.1:1';
const USER = 'example-user';

let server: LocalServer;
let refusing: LocalServer;
let browser: Browser;
const devServers: DevServer[] = [];
const pages: Page[] = [];

beforeAll(async () => {
  [server, refusing, browser] = await Promise.all([
    // No CORS_ALLOWED_ORIGINS: npm start's default, any port of localhost, 127.0.0.1 and [::1].
    startTestServer(FAST_FEED),
    startTestServer({ ...FAST_FEED, CORS_ALLOWED_ORIGINS: OTHER_ORIGIN }),
    launchBrowser(),
  ]);
}, 60_000);
afterEach(async () => {
  await Promise.all(pages.splice(0).map((page) => page.close()));
});
afterAll(async () => {
  await browser.close();
  await Promise.all(devServers.map((dev) => dev.close()));
  await Promise.all([server.close(), refusing.close()]);
});

/** The example built for `api` (empty: the page's own origin, behind `proxyTo`) and served on 127.0.0.1. */
async function serveExample(api: string, proxyTo?: string): Promise<DevServer> {
  const app = await buildApp({ restUrl: api, streamUrl: api, userId: USER });
  const proxy = proxyTo === undefined ? undefined : { restTarget: proxyTo, streamTarget: proxyTo };
  const dev = await startDevServer({ app, host: '127.0.0.1', port: 0, proxy });
  devServers.push(dev);
  return dev;
}

interface Watched {
  readonly page: Page;
  /** `path?query` of every stream request the page sent. */
  readonly streams: string[];
  /** Every answer of the API to the page (streams excepted): what to check against the contract. */
  readonly answers: Response[];
  readonly console: string[];
}

async function openPage(url: string, api: string): Promise<Watched> {
  const page = await browser.newPage();
  pages.push(page);
  const watched: Watched = { page, streams: [], answers: [], console: [] };
  page.on('console', (message) => watched.console.push(message.text()));
  page.on('request', (request) => {
    const { pathname, search } = new URL(request.url());
    if (request.method() === 'GET' && pathname.endsWith('/stream')) watched.streams.push(pathname + search);
  });
  page.on('response', (response) => {
    const { pathname } = new URL(response.url());
    if (response.url().startsWith(`${api}/api/`) && !pathname.endsWith('/stream')) watched.answers.push(response);
  });
  await page.goto(url);
  return watched;
}

/** Each answer as `METHOD path status`, after checking its body against the contract. */
async function checkedAnswers(answers: readonly Response[]): Promise<string[]> {
  const seen: string[] = [];
  for (const answer of answers) {
    const method = answer.request().method();
    const { pathname } = new URL(answer.url());
    const operation = matchOperation(method, pathname);
    expect(operation, `${method} ${pathname}`).toBeDefined();
    if (operation === undefined) continue;
    const body: unknown = answer.status() === 204 ? undefined : await answer.json();
    const checked = checkResponse(
      operation.operationId,
      answer.status(),
      answer.headers()['content-type'] ?? null,
      body,
    );
    expect(checked, `${method} ${pathname}`).toMatchObject({ ok: true });
    seen.push(`${method} ${pathname} ${answer.status()}`);
  }
  return seen;
}

const text = (page: Page, testId: string) => page.evaluate<string | null>(textOf(testId));

describe('the example app against npm start’s server, from another loopback origin', () => {
  it('reads REST, creates a configuration and follows both streams through CORS', async () => {
    const earlier = [item('AAPL'), item('MSFT')];
    await ingest(server.url, earlier);
    const dev = await serveExample(server.url);
    const origin = dev.url.replace('127.0.0.1', 'localhost');
    const { page, streams, answers, console: logged } = await openPage(`${origin}/`, server.url);

    const listedSorted = async (list: string) => (await listedIds(page, list)).toSorted();
    await expect
      .poll(() => listedSorted('rest-items'), { timeout: 10_000 })
      .toEqual(earlier.map((one) => one.item_id).toSorted());
    expect(Number(await text(page, 'rest-total'))).toBeGreaterThanOrEqual(2);
    await waitForText(page, 'global-status', 'open', 10_000);
    // Two components, each mounted twice by StrictMode: one connection.
    expect(streams).toEqual(['/api/v2/stream']);
    expect(server.hub.size).toBe(1);

    await page.fill('[data-testid="config-tickers-input"]', 'NVDA');
    await page.click('[data-testid="config-create"]');
    await waitForText(page, 'config-status', 'open', 10_000);
    const configId = await text(page, 'config-id');
    expect(streams).toHaveLength(2);
    expect(streams[1]).toMatch(new RegExp(`^/api/v2/configurations/${configId ?? '?'}/stream\\?token=[\\w.-]+$`));
    expect(server.hub.size).toBe(2);

    // One at a time, so that the order they are shown in is known.
    const nvda = item('NVDA');
    await ingest(server.url, [nvda]);
    await expect.poll(() => listedIds(page, 'config-items'), { timeout: 10_000 }).toEqual([nvda.item_id]);
    await expect.poll(() => listedIds(page, 'global-items'), { timeout: 10_000 }).toEqual([nvda.item_id]);
    await expect.poll(() => text(page, 'config-total')).toBe('1');
    const aapl = item('AAPL');
    await ingest(server.url, [aapl]);
    await expect.poll(() => listedIds(page, 'global-items'), { timeout: 10_000 }).toEqual([aapl.item_id, nvda.item_id]);
    await waitForText(page, 'latest-item', 'AAPL positive');
    // The configuration's stream carries its tickers only.
    expect(await listedIds(page, 'config-items')).toEqual([nvda.item_id]);

    // Every API answer went through CORS to this origin, and is what the contract says.
    expect(answers.map((answer) => answer.headers()['access-control-allow-origin'])).toEqual(answers.map(() => origin));
    const calls = await checkedAnswers(answers);
    expect(calls).toContain('GET /api/v2/metrics 200');
    expect(calls).toContain('GET /api/v2/items 200');
    expect(calls).toContain('POST /api/v2/configurations 201');
    expect(calls).toContain(`POST /api/v2/configurations/${configId ?? '?'}/stream-token 200`);
    expect(logged.filter((line) => /error|blocked/i.test(line))).toEqual([]);

    await page.close();
    await expect.poll(() => server.hub.size, { timeout: 5000 }).toBe(0);
  });
});

describe('an origin the server does not allow', () => {
  it('gets CORS failures in the page for REST and the stream', async () => {
    const dev = await serveExample(refusing.url);
    const { page, console: logged } = await openPage(`${dev.url}/`, refusing.url);

    await expect.poll(() => text(page, 'rest-error'), { timeout: 10_000 }).toMatch(/^Failed to fetch/);
    await expect.poll(() => text(page, 'global-status-error'), { timeout: 10_000 }).toMatch(/^Failed to fetch/);
    expect(await text(page, 'global-status')).toMatch(/^(connecting|waiting)$/);
    // The browser's own word that CORS, not the network, stopped the calls.
    const blocked = logged.filter((line) => line.includes(`from origin '${dev.url}' has been blocked by CORS policy`));
    expect(blocked.some((line) => line.includes(`${refusing.url}/api/v2/metrics`))).toBe(true);
    expect(blocked.some((line) => line.includes(`${refusing.url}/api/v2/stream`))).toBe(true);
  });

  it('works through the dev server’s proxy instead: same-origin calls, the stream passed through', async () => {
    const dev = await serveExample('', refusing.url);
    const { page, streams, answers } = await openPage(`${dev.url}/`, dev.url);

    await expect.poll(() => text(page, 'rest-total'), { timeout: 10_000 }).toMatch(/^\d+$/);
    await waitForText(page, 'global-status', 'open', 10_000);
    expect(streams).toEqual(['/api/v2/stream']);
    const sent = item('TSLA');
    await ingest(refusing.url, [sent]);
    await expect.poll(() => listedIds(page, 'global-items'), { timeout: 10_000 }).toEqual([sent.item_id]);
    // Same origin: the server was never asked for CORS, and said nothing of it.
    expect(answers.map((answer) => answer.headers()['access-control-allow-origin'])).toEqual(
      answers.map(() => undefined),
    );
    // StrictMode loads the overview twice in development.
    expect(new Set(await checkedAnswers(answers))).toEqual(
      new Set(['GET /api/v2/metrics 200', 'GET /api/v2/items 200']),
    );
    await page.close();
    await expect.poll(() => refusing.hub.size, { timeout: 5000 }).toBe(0);
  });
});
