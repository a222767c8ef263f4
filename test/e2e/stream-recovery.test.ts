/**
 * The dashboard's one reconnecting-stream helper (src/dashboard/stream.js), seen from a stream
 * server that misbehaves on purpose: it opens a stream and then says nothing at all (a dead
 * connection TCP has not noticed), or it asks the page to reconnect. Both the global view and the
 * configuration view must recover, resuming from the last event id. REST is the real local
 * server; the streams come from a small SSE server on another loopback port, which the local
 * server's Content-Security-Policy allows (DASHBOARD_STREAM_BASE_URL) and config.js points at.
 * Every frame it sends is checked against the AsyncAPI contract first.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ChannelKey, parseEvent, type StreamEventName } from '../../src/contract/index.ts';
import type { LocalServer } from '../../src/runtime/local-server.ts';
import { startTestServer } from '../support/test-server.ts';
import { launchBrowser, recordStatuses, waitForStatus, waitForText } from './browser.ts';

/** What the stream server does after `stream_open` on a configuration stream's first connection. */
type Behaviour = 'silent' | 'reconnect';

interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly lastEventId: string | null;
  /** The id of the stream_open this connection got (none for HEAD). */
  readonly sentId?: string;
  /** When it came (performance.now()). */
  readonly at: number;
}

/** One SSE frame, refused here if the contract would refuse it. */
function frame(channel: ChannelKey, event: StreamEventName, id: string, data: unknown): string {
  const text = JSON.stringify(data);
  const parsed = parseEvent({ event, id, data: text }, channel);
  if (!parsed.ok) throw new Error(`test frame breaks the contract: ${JSON.stringify(parsed.issues)}`);
  return `event: ${event}\nid: ${id}\ndata: ${text}\n\n`;
}

/** A stream server whose streams open and then go quiet (or, once, ask to reconnect). */
function createStreamServer(heartbeatMs: () => number, behaviour: () => Behaviour) {
  const seen: SeenRequest[] = [];
  const open = new Set<ServerResponse>();
  let connections = 0;
  let reconnectSent = false;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const request = {
      method: req.method ?? '',
      path: url.pathname,
      lastEventId: url.searchParams.get('last_event_id'),
      at: performance.now(),
    };
    const channel: ChannelKey = url.pathname === '/api/v2/stream' ? 'globalStream' : 'configurationStream';
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'access-control-allow-origin': '*',
    });
    // HEAD is the configuration view's diagnosis: the stream would be accepted.
    if (req.method !== 'GET') {
      seen.push(request);
      res.end();
      return;
    }
    connections += 1;
    const id = `s${connections}`;
    seen.push({ ...request, sentId: id });
    const opened = {
      outcome: 'resumed',
      retry_ms: 500,
      heartbeat_interval_ms: heartbeatMs(),
      server_time: new Date().toISOString(),
    };
    res.write(frame(channel, 'stream_open', id, opened));
    if (channel === 'configurationStream' && behaviour() === 'reconnect' && !reconnectSent) {
      reconnectSent = true;
      res.write(frame(channel, 'reconnect', `${id}r`, { reason: 'deadline', retry_ms: 100 }));
    }
    // Then nothing, until the page goes away.
    open.add(res);
    res.on('close', () => open.delete(res));
  };

  const server: Server = createServer(handle);
  return {
    seen,
    async listen(): Promise<string> {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    async close(): Promise<void> {
      for (const res of open) res.destroy();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    },
  };
}

let heartbeat = 1000;
let behaviour: Behaviour = 'silent';
const streams = createStreamServer(
  () => heartbeat,
  () => behaviour,
);
let streamOrigin: string;
let server: LocalServer;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  streamOrigin = await streams.listen();
  [server, browser] = await Promise.all([
    startTestServer({ POLL_INTERVAL_MS: '300', DASHBOARD_STREAM_BASE_URL: streamOrigin }),
    launchBrowser(),
  ]);
});
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close()));
});
afterAll(async () => {
  await Promise.all([browser.close(), server.close()]);
  await streams.close();
});

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  // The local server's own config.js, with quick retries (browser.ts's tuneDashboard would point the streams home).
  const config = { restBaseUrl: '', streamBaseUrl: streamOrigin, backoffBaseMs: 50, backoffCapMs: 200 };
  await page.route('**/config.js', (route) =>
    route.fulfill({
      status: 200,
      contentType: 'text/javascript',
      body: `window.TICKERPULSE_CONFIG = ${JSON.stringify(config)};`,
    }),
  );
  return page;
}

const CONFIG_STREAM = /^\/api\/v2\/configurations\/[^/]+\/stream$/;

/** Creates a configuration over REST, opens its stream in the page, and returns that first connection. */
async function openConfigurationStream(page: Page, name: string): Promise<SeenRequest> {
  const before = streams.seen.length;
  const user = `e2e-recovery-${process.pid}-${Date.now()}`;
  const created = await fetch(`${server.url}/api/v2/configurations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-user-id': user },
    body: JSON.stringify({ name, tickers: ['AAPL'] }),
  });
  expect(created.status).toBe(201);
  await page.getByLabel('User id (development)').fill(user);
  await page.getByRole('button', { name: 'Load configurations' }).click();
  await page.getByRole('button', { name: `Open the stream of ${name}` }).click();
  await waitForText(page, 'config-status', 'Connected', 5000);
  const first = streams.seen.slice(before).find((r) => r.method === 'GET' && CONFIG_STREAM.test(r.path));
  if (first?.sentId === undefined) throw new Error('the configuration stream never connected');
  return first;
}

const resumedAfter = (path: RegExp, id: string) => () =>
  streams.seen.some((r) => r.method === 'GET' && path.test(r.path) && r.lastEventId === id);

describe("the dashboard's reconnecting streams", () => {
  it('treat two heartbeat intervals plus 3 s of silence as a dead stream, in both views, and resume', async () => {
    // 5 s: long enough that the bound (13 s) is shorter than three intervals, the old rule.
    heartbeat = 5000;
    behaviour = 'silent';
    const page = await newPage();
    const before = streams.seen.length;
    await page.goto(server.url);
    await waitForStatus(page, 'Connected', 5000);
    const statuses = await recordStatuses(page);
    const global = streams.seen.slice(before).find((r) => r.method === 'GET' && r.path === '/api/v2/stream');
    const config = await openConfigurationStream(page, 'Silent');

    // Silence makes each view come back, resuming after the last id it saw, once the silence
    // has lasted two intervals plus 3 s (timers fire late under load, never early).
    const silenceMs = 2 * heartbeat + 3000;
    for (const [path, first] of [
      [/^\/api\/v2\/stream$/, global],
      [CONFIG_STREAM, config],
    ] as const) {
      await expect.poll(resumedAfter(path, first?.sentId ?? 'none'), { timeout: silenceMs + 5000 }).toBe(true);
      const resumed = streams.seen.find(
        (r) => r.method === 'GET' && path.test(r.path) && r.lastEventId === first?.sentId,
      );
      const silentFor = (resumed?.at ?? 0) - (first?.at ?? 0);
      expect(silentFor).toBeGreaterThanOrEqual(silenceMs - 100);
      expect(silentFor).toBeLessThan(3 * heartbeat);
    }
    expect(await statuses()).toContain('Reconnecting');
  }, 60_000);

  it("honours a configuration stream's reconnect hint: resumes without diagnosing a failure", async () => {
    heartbeat = 30_000;
    behaviour = 'reconnect';
    const page = await newPage();
    await page.goto(server.url);
    await waitForStatus(page, 'Connected', 5000);
    const before = streams.seen.length;
    const first = await openConfigurationStream(page, 'Hinted');

    // The reconnect frame's id is the first connection's id plus "r".
    await expect.poll(resumedAfter(CONFIG_STREAM, `${first.sentId ?? 'none'}r`), { timeout: 10_000 }).toBe(true);
    await waitForText(page, 'config-status', 'Connected', 5000);
    expect(streams.seen.slice(before).filter((r) => r.method === 'HEAD')).toEqual([]);
  });
});
