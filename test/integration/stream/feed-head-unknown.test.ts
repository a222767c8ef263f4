/**
 * A server whose store blipped as it started: its poller could not read the feed head, so a
 * stream has no position to open with. It must refuse streams with a 503 and Retry-After (never
 * open one with an empty id, which breaks the contract and clears a browser's Last-Event-ID), and
 * open them normally once a poll has read the head. The blip is real: the server's Query calls
 * go through a loopback proxy that drops them while the test says the store is down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkProblem } from '../../../src/contract/index.ts';
import { decodeCursor } from '../../../src/feed/cursor.ts';
import type { LocalServer } from '../../../src/runtime/local-server.ts';
import { type EmbeddedDynalite, startEmbeddedDynalite } from '../../../src/store/index.ts';
import { type OpenStream, openStream } from '../../support/sse-client.ts';
import { startStoreProxy, type StoreProxy } from '../../support/store-proxy.ts';
import { startTestServer } from '../../support/test-server.ts';

let dynalite: EmbeddedDynalite;
let proxy: StoreProxy;
let server: LocalServer;
let storeDown = true;
const streams: OpenStream[] = [];

beforeAll(async () => {
  dynalite = await startEmbeddedDynalite({ access: 'any-local-process' });
  proxy = await startStoreProxy(dynalite.endpoint);
  proxy.hook = (call) => (storeDown && call.operation === 'Query' ? 'drop' : 'forward');
  server = await startTestServer({
    DYNAMODB_ENDPOINT: proxy.endpoint,
    TABLE_NAME: 'feed-head-unknown',
    SIMULATE: '0',
    POLL_INTERVAL_MS: '200',
    RETRY_MS: '3000',
  });
});
afterAll(async () => {
  for (const stream of streams) stream.close();
  await server.close();
  await proxy.close();
  await dynalite.close();
});

const connect = async (headers: Record<string, string> = {}) => {
  const stream = await openStream(`${server.url}/api/v2/stream`, { headers, channel: 'globalStream' });
  streams.push(stream);
  return stream;
};

describe('a stream asked for before the feed head could be read', () => {
  it('is refused with 503, Retry-After and a problem of the contract, fresh or resumed', async () => {
    for (const headers of [{}, { 'last-event-id': '1.mhx3k9q0' }] as Record<string, string>[]) {
      const refused = await connect(headers);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('3');
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      const problem: unknown = JSON.parse(refused.refusal);
      expect(checkProblem(problem)).toMatchObject({ ok: true, value: { status: 503 } });
      expect(refused.events).toEqual([]);
    }
  });

  it('opens normally once a poll has read it, with ids that are cursors', async () => {
    storeDown = false;
    let opened: OpenStream | undefined;
    await expect
      .poll(
        async () => {
          const stream = await connect();
          if (stream.status === 200) opened = stream;
          return stream.status;
        },
        { timeout: 15_000, interval: 250 },
      )
      .toBe(200);
    await opened?.waitFor((events) => events.some((e) => e.event === 'heartbeat'));
    expect(opened?.violations).toEqual([]);
    for (const event of opened?.events ?? []) expect(decodeCursor(event.id)).not.toBeNull();
  });
});
