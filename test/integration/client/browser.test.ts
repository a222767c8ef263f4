/**
 * The same client in a browser: src/client bundled by esbuild (as a frontend's bundler would),
 * loaded by a page on the real server's origin in headless Chromium. The REST client reads, the
 * subscription receives items and, when the server ends the stream with `reconnect`, resumes with
 * nothing lost or repeated. Proves the client uses nothing Node-only.
 */
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalServer } from '../../../src/runtime/local-server.ts';
import { launchBrowser } from '../../e2e/browser.ts';
import { startTestServer } from '../../support/test-server.ts';
import { ingest } from './recorder.ts';

let server: LocalServer;
let browser: Browser;
let bundle: string;

beforeAll(async () => {
  const built = await build({
    entryPoints: [join(import.meta.dirname, '../../../src/client/index.ts')],
    bundle: true,
    format: 'iife',
    globalName: 'TickerpulseClient',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  bundle = built.outputFiles[0]?.text ?? '';
  [server, browser] = await Promise.all([
    startTestServer({
      POLL_INTERVAL_MS: '200',
      HEARTBEAT_INTERVAL_MS: '1000',
      RETRY_MS: '400',
      FEED_SETTLE_MS: '1000',
    }),
    launchBrowser(),
  ]);
}, 60_000);
afterAll(async () => {
  await browser.close();
  await server.close();
});

/** A page on the server's origin whose only script is the bundle (no dashboard, no CSP of its own). */
async function clientPage(): Promise<Page> {
  const page = await browser.newPage();
  await page.route(`${server.url}/client-test.html`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: `<!doctype html><script>${bundle}</script>` }),
  );
  await page.goto(`${server.url}/client-test.html`);
  return page;
}

/** Browser-side code is a string: the project's tsconfig has no DOM library (see test/e2e/browser.ts). */
const SUBSCRIBE = `(() => {
  const seen = { items: [], opens: [], causes: [], errors: [] };
  window.__seen = seen;
  window.__subscription = TickerpulseClient.subscribe('/api/v2/stream', {
    onEvent: {
      stream_open: (open) => seen.opens.push(open.outcome),
      new_item: (item) => seen.items.push(item.item_id),
    },
    onState: (state) => { if (state.state === 'waiting') seen.causes.push(state.cause); },
    onError: (error) => seen.errors.push(String(error)),
  });
})()`;

interface Seen {
  readonly items: string[];
  readonly opens: string[];
  readonly causes: string[];
  readonly errors: string[];
}

it('reads REST and follows the stream across a reconnect in Chromium, nothing lost or repeated', async () => {
  const page = await clientPage();
  const seen = () => page.evaluate<Seen>('window.__seen');
  const total = await page.evaluate<number>(
    `TickerpulseClient.createRestClient({ baseUrl: location.origin }).GET('/api/v2/metrics').then((r) => r.data.total)`,
  );
  expect(total).toBeGreaterThanOrEqual(0);

  await page.evaluate(SUBSCRIBE);
  await expect.poll(async () => (await seen()).opens).toEqual(['fresh']);
  const before = await ingest(server.url, 2);
  const sorted = async () => (await seen()).items.toSorted();
  await expect.poll(sorted, { timeout: 10_000 }).toEqual(before.toSorted());

  server.hub.closeAll('deadline');
  const during = await ingest(server.url, 3);
  // Each item once (a repeat would make the list longer than the set of ids).
  await expect.poll(sorted, { timeout: 10_000 }).toEqual([...before, ...during].toSorted());
  const final = await seen();
  expect(final.opens).toEqual(['fresh', 'resumed']);
  expect(final.causes).toEqual(['reconnect']);
  expect(final.errors).toEqual([]);
  await page.evaluate('window.__subscription.close()');
  await page.close();
});
