/**
 * The dashboard against Lambda's throttle (the AWS deployment's 429): a loopback proxy in front of
 * the real local server answers the streams (and, when asked, some REST calls) with HTTP 429 and
 * Lambda's own JSON body, no problem and no Retry-After, as a Function URL does before our
 * handler runs. The page must treat it like 503: back off (`Reconnecting`), poll REST
 * (`Polling`) and still show items, retry through throttled REST calls, say a throttled
 * configuration stream is busy, and return to `Connected` once the throttle lifts.
 */
import {
  createServer,
  type IncomingMessage,
  request as httpRequest,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalServer } from '../../src/runtime/local-server.ts';
import { startTestServer } from '../support/test-server.ts';
import { ingest, item, itemSelector, launchBrowser, recordStatuses, tuneDashboard, waitForStatus } from './browser.ts';

/** What a Lambda Function URL answers when the function's reserved concurrency is in use. */
const LAMBDA_THROTTLE = { Reason: 'ConcurrentInvocationLimitExceeded', Type: 'User', message: 'Rate Exceeded.' };
const STREAM_PATH = /^\/api\/v2\/(?:stream|configurations\/[^/]+\/stream)$/;

interface ThrottlingProxy {
  readonly url: string;
  /** While true, both stream paths answer 429. */
  throttleStreams: boolean;
  /** How many of the next `GET /api/v2/items` answer 429. */
  restThrottlesLeft: number;
  readonly throttled: { stream: number; rest: number };
  close(): Promise<void>;
}

function answerThrottled(response: ServerResponse, method: string): void {
  response.writeHead(429, { 'Content-Type': 'application/json' });
  response.end(method === 'HEAD' ? undefined : JSON.stringify(LAMBDA_THROTTLE));
}

/** Forwards one request to `target` as is, streaming both ways (an SSE answer included). */
function forward(target: URL, request: IncomingMessage, response: ServerResponse): void {
  const upstream = httpRequest(
    { host: target.hostname, port: target.port, method: request.method, path: request.url, headers: request.headers },
    (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    },
  );
  upstream.on('error', () => response.destroy());
  response.on('close', () => upstream.destroy());
  request.pipe(upstream);
}

async function startThrottlingProxy(targetUrl: string): Promise<ThrottlingProxy> {
  const target = new URL(targetUrl);
  const server: Server = createServer((request, response) => {
    const method = request.method ?? 'GET';
    const path = new URL(request.url ?? '/', target).pathname;
    if (proxy.throttleStreams && STREAM_PATH.test(path)) {
      proxy.throttled.stream += 1;
      answerThrottled(response, method);
      return;
    }
    if (proxy.restThrottlesLeft > 0 && method === 'GET' && path === '/api/v2/items') {
      proxy.restThrottlesLeft -= 1;
      proxy.throttled.rest += 1;
      answerThrottled(response, method);
      return;
    }
    forward(target, request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const proxy: ThrottlingProxy = {
    url: `http://127.0.0.1:${port}`,
    throttleStreams: true,
    restThrottlesLeft: 0,
    throttled: { stream: 0, rest: 0 },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    },
  };
  return proxy;
}

let server: LocalServer | undefined;
let proxy: ThrottlingProxy | undefined;
let browser: Browser | undefined;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  [server, browser] = await Promise.all([
    startTestServer({
      POLL_INTERVAL_MS: '300',
      RETRY_MS: '500',
      HEARTBEAT_INTERVAL_MS: '1000',
      FEED_SETTLE_MS: '1000',
    }),
    launchBrowser(),
  ]);
  proxy = await startThrottlingProxy(server.url);
});
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close()));
  await proxy?.close();
  await Promise.all([browser?.close(), server?.close()]);
});

function parts(): { server: LocalServer; proxy: ThrottlingProxy; browser: Browser } {
  if (server === undefined || proxy === undefined || browser === undefined) throw new Error('not started');
  return { server, proxy, browser };
}

async function newPage(): Promise<Page> {
  const context = await parts().browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  await tuneDashboard(page, {
    backoffBaseMs: 50,
    backoffCapMs: 200,
    maxRetries: 3,
    pollIntervalMs: 500,
    backgroundRetryMs: 1000,
  });
  return page;
}

describe('the dashboard behind Lambda’s throttle (429, Lambda’s body, no Retry-After)', () => {
  it('backs off, polls REST with items shown, rides out throttled REST calls, and reconnects', async () => {
    const { server: api, proxy: front } = parts();
    front.throttleStreams = true;
    const page = await newPage();
    await page.goto(front.url);
    const statuses = await recordStatuses(page);
    await waitForStatus(page, 'Polling', 10_000);
    expect(front.throttled.stream).toBeGreaterThanOrEqual(3);
    expect(await statuses()).toContain('Reconnecting');

    const whilePolling = item('AAPL');
    await ingest(api.url, [whilePolling]);
    await page.locator(itemSelector(whilePolling.item_id)).waitFor({ timeout: 5000 });

    // Two polls of REST throttled in a row: the page keeps polling and catches up after them.
    front.restThrottlesLeft = 2;
    const afterRestThrottle = item('MSFT');
    await ingest(api.url, [afterRestThrottle]);
    await page.locator(itemSelector(afterRestThrottle.item_id)).waitFor({ timeout: 8000 });
    expect(front.throttled.rest).toBe(2);
    expect(await page.locator('[data-testid="connection-status"]').textContent()).toBe('Polling');

    front.throttleStreams = false;
    await waitForStatus(page, 'Connected', 10_000);
    const live = item('NVDA');
    await ingest(api.url, [live]);
    await page.locator(itemSelector(live.item_id)).waitFor({ timeout: 3000 });
  });

  it('says a throttled configuration stream is busy (429), retries, then gives up with a message', async () => {
    const { server: api, proxy: front } = parts();
    front.throttleStreams = true;
    const user = `e2e-throttled-${Date.now()}`;
    const created = await fetch(`${api.url}/api/v2/configurations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user-id': user },
      body: JSON.stringify({ name: 'Throttled', tickers: ['AAPL'] }),
    });
    expect(created.status).toBe(201);
    const page = await newPage();
    await page.goto(front.url);
    await page.getByLabel('User id (development)').fill(user);
    await page.getByRole('button', { name: 'Load configurations' }).click();
    await page.getByRole('button', { name: 'Open the stream of Throttled' }).click();

    const streamError = () => page.locator('[data-testid="stream-error"]').textContent();
    await expect.poll(streamError, { timeout: 5000 }).toMatch(/busy \(429\)/);
    await expect.poll(streamError, { timeout: 10_000 }).toMatch(/429.*try again later/);
    expect(await page.locator('[data-testid="config-status"]').textContent()).toBe('Disconnected');
  });
});
