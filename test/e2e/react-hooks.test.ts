/**
 * `tickerpulse/react` in Chromium against the real server: a page bundled by esbuild from the
 * hooks' source, on a loopback origin of its own (so every call goes through CORS, as from a
 * frontend's dev server), whose components read streams with useStream(). Counted both in the
 * browser (the stream requests it sent) and on the server (open streams, streams ever opened):
 * - two components asking for the same stream share one connection, and unmounting the last one
 *   ends it on the server;
 * - React.StrictMode's mount, unmount, mount opens no second connection, nor does a component
 *   replaced by another in one commit (a new key) while its stream is open;
 * - a component renders `connecting`, then `open`, and its view's `latest.metrics` and `items`
 *   follow an ingested item (each payload checked against the contract), while its own
 *   `onEvent` handler receives it too;
 * - a configuration's stream opens with the owner's header or a stream token, and shows the
 *   refusal (404, closed) for another user.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkEventPayload, checkResponse } from '../../src/contract/index.ts';
import type { LocalServer } from '../../src/runtime/local-server.ts';
import type { LoopbackServer } from '../support/loopback-server.ts';
import {
  bundleProbePage,
  type ProbeProps,
  type ProbeReport,
  probes,
  serveProbePage,
} from '../support/react-probe-page.ts';
import { startTestServer } from '../support/test-server.ts';
import { ingest, item, launchBrowser } from './browser.ts';

let server: LocalServer;
let origin: LoopbackServer;
let browser: Browser;

beforeAll(async () => {
  const bundle = await bundleProbePage();
  [server, origin, browser] = await Promise.all([
    startTestServer({ POLL_INTERVAL_MS: '200', HEARTBEAT_INTERVAL_MS: '1000', FEED_SETTLE_MS: '1000' }),
    serveProbePage(bundle),
    launchBrowser(),
  ]);
}, 60_000);
afterAll(async () => {
  await browser.close();
  await origin.close();
  await server.close();
});

/** A fresh page on the probe origin, and the stream requests (GET, by path) it sends from now on. */
async function probePage(): Promise<{ page: Page; streamRequests: string[] }> {
  const page = await browser.newPage();
  const streamRequests: string[] = [];
  page.on('request', (request) => {
    const { pathname } = new URL(request.url());
    if (request.method() === 'GET' && pathname.endsWith('/stream')) streamRequests.push(pathname);
  });
  await page.goto(`${origin.url}/`);
  return { page, streamRequests };
}

/** Streams the server has opened since it started (its Prometheus counter). */
async function streamsOpened(): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('tickerpulse_stream_connections_opened_total'))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

async function reportOf(page: Page, name: string): Promise<ProbeReport> {
  const report = await probes.report(page, name);
  if (report === undefined) throw new Error(`probe ${name} has not rendered`);
  return report;
}

const stateOf = async (page: Page, name: string) => (await reportOf(page, name)).view.state.state;

/** Mounts a probe and waits until it renders `open`. */
async function mountOpen(page: Page, props: ProbeProps, strict = false): Promise<void> {
  await probes.mount(page, props, strict);
  await expect.poll(() => stateOf(page, props.name), { timeout: 10_000 }).toBe('open');
}

const globalStream = () => `${server.url}/api/v2/stream`;

describe('connection sharing', () => {
  it('gives two components one connection, and ends it when the last unmounts', async () => {
    const { page, streamRequests } = await probePage();
    const before = await streamsOpened();
    await mountOpen(page, { name: 'first', url: globalStream() });
    await mountOpen(page, { name: 'second', url: globalStream() });
    expect(streamRequests).toEqual(['/api/v2/stream']);
    expect(server.hub.size).toBe(1);
    expect(await streamsOpened()).toBe(before + 1);

    await probes.unmount(page, 'first');
    // Well past the linger: the other component still holds it.
    await new Promise((done) => setTimeout(done, 300));
    expect(server.hub.size).toBe(1);
    expect(await stateOf(page, 'second')).toBe('open');

    await probes.unmount(page, 'second');
    await expect.poll(() => server.hub.size, { timeout: 5000 }).toBe(0);
    expect(streamRequests).toHaveLength(1);
    await page.close();
  });

  it('opens no second connection under React.StrictMode, and ends it on unmount', async () => {
    const { page, streamRequests } = await probePage();
    const before = await streamsOpened();
    await mountOpen(page, { name: 'strict', url: globalStream() }, true);
    // Time for a second connection to show, were there one.
    await new Promise((done) => setTimeout(done, 500));
    // StrictMode did mount, unmount and mount it.
    expect((await reportOf(page, 'strict')).mounts).toBe(2);
    expect(streamRequests).toEqual(['/api/v2/stream']);
    expect(server.hub.size).toBe(1);
    expect(await streamsOpened()).toBe(before + 1);

    await probes.unmount(page, 'strict');
    await expect.poll(() => server.hub.size, { timeout: 5000 }).toBe(0);
    await page.close();
  });
  it('keeps the open connection when a component is replaced by another in one commit', async () => {
    const { page, streamRequests } = await probePage();
    const before = await streamsOpened();
    await mountOpen(page, { name: 'keyed', url: globalStream() });
    await probes.remount(page, 'keyed');
    await expect.poll(async () => (await reportOf(page, 'keyed')).mounts).toBe(2);
    await new Promise((done) => setTimeout(done, 500));
    expect(await stateOf(page, 'keyed')).toBe('open');
    expect(streamRequests).toEqual(['/api/v2/stream']);
    expect(server.hub.size).toBe(1);
    expect(await streamsOpened()).toBe(before + 1);

    await probes.unmount(page, 'keyed');
    await expect.poll(() => server.hub.size, { timeout: 5000 }).toBe(0);
    await page.close();
  });
});

describe('what a component reads', () => {
  it('renders connecting then open, and follows an ingested item in latest.metrics and items', async () => {
    const { page } = await probePage();
    await mountOpen(page, { name: 'live', url: globalStream() });
    const opened = await reportOf(page, 'live');
    expect(opened.states).toEqual(['connecting', 'open']);
    expect(checkEventPayload('stream_open', opened.view.latest.stream_open)).toMatchObject({ ok: true });
    const metricsBefore = opened.view.latest.metrics;
    expect(checkEventPayload('metrics', metricsBefore)).toMatchObject({ ok: true });
    const totalBefore = (metricsBefore as { total: number }).total;

    const sent = item('NVDA');
    await ingest(server.url, [sent]);
    await expect
      .poll(async () => (await reportOf(page, 'live')).view.items.map((one) => one.item_id), { timeout: 10_000 })
      .toContain(sent.item_id);
    await expect
      .poll(async () => ((await reportOf(page, 'live')).view.latest.metrics as { total: number }).total, {
        timeout: 10_000,
      })
      .toBe(totalBefore + 1);

    const after = await reportOf(page, 'live');
    for (const received of after.view.items)
      expect(checkEventPayload('new_item', received)).toMatchObject({ ok: true });
    expect(checkEventPayload('metrics', after.view.latest.metrics)).toMatchObject({ ok: true });
    expect(checkEventPayload('heartbeat', after.view.latest.heartbeat)).toMatchObject({ ok: true });
    expect(after.view.items[0]).toMatchObject({ item_id: sent.item_id, ticker: 'NVDA' });
    expect(after.handled).toContain(sent.item_id);
    expect(after.view.error).toBeUndefined();
    expect(after.states).toEqual(['connecting', 'open']);
    await probes.unmount(page, 'live');
    await expect.poll(() => server.hub.size, { timeout: 5000 }).toBe(0);
    await page.close();
  });

  it('opens a configuration stream for its owner and by token, and shows the refusal for another user', async () => {
    const owner = { 'x-user-id': 'react-owner' };
    const created = await fetch(`${server.url}/api/v2/configurations`, {
      method: 'POST',
      headers: { ...owner, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'React hooks', tickers: ['NVDA'] }),
    });
    const configuration: unknown = await created.json();
    expect(
      checkResponse('createConfiguration', created.status, created.headers.get('content-type'), configuration),
    ).toMatchObject({ ok: true });
    const { config_id: configId } = configuration as { config_id: string };
    const minted = await fetch(`${server.url}/api/v2/configurations/${configId}/stream-token`, {
      method: 'POST',
      headers: owner,
    });
    const token: unknown = await minted.json();
    expect(checkResponse('createStreamToken', minted.status, minted.headers.get('content-type'), token)).toMatchObject({
      ok: true,
    });
    const url = `${server.url}/api/v2/configurations/${configId}/stream`;

    const { page, streamRequests } = await probePage();
    await mountOpen(page, { name: 'owner', url, headers: owner });
    await mountOpen(page, { name: 'token', url, token: (token as { token: string }).token });
    await probes.mount(page, { name: 'intruder', url, headers: { 'x-user-id': 'react-intruder' } });
    await expect.poll(() => stateOf(page, 'intruder'), { timeout: 10_000 }).toBe('closed');
    const refused = await reportOf(page, 'intruder');
    expect(refused.view.state).toEqual({ state: 'closed', reason: 'refused', status: 404 });
    expect(refused.view.error).toEqual({ name: 'StreamRefusedError', status: 404 });
    // Three identities (owner's header, a token, another user's header), so three connections.
    expect(streamRequests).toHaveLength(3);
    expect(server.hub.size).toBe(2);

    for (const name of ['owner', 'token', 'intruder']) await probes.unmount(page, name);
    await expect.poll(() => server.hub.size, { timeout: 5000 }).toBe(0);
    await page.close();
  });
});
