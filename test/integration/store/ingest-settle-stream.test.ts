/**
 * The settle-window rule end to end: a live SSE stream, a stream resumed from an id the live one
 * sent, and REST `after=` all get an item whose feed write was throttled until after the stream's
 * watermark had passed the item's first stamp; each exactly once.
 *
 * The real server reaches dynalite through a proxy that catches the item's feed BatchWrite. While
 * it is held, the server's clock jumps past the settle window (no real waiting) and the test waits
 * until the stream's own ids show its watermark past the stamp. Then the proxy answers the way a
 * throttled DynamoDB does: every put unprocessed, nothing written; the server retries.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ItemInput } from '../../../src/contract/index.ts';
import type { LocalServer } from '../../../src/runtime/local-server.ts';
import { decodeCursor, type EmbeddedDynalite, startEmbeddedDynalite } from '../../../src/store/index.ts';
import { parseFeedSortKey } from '../../../src/store/keys.ts';
import { createApiClient } from '../../support/api-client.ts';
import { itemIds, type OpenStream, openStream } from '../../support/sse-client.ts';
import { holdFirst, startStoreProxy, type StoreProxy } from '../../support/store-proxy.ts';
import { startTestServer, TEST_INGEST_KEY } from '../../support/test-server.ts';

const TABLE = 'ingest-settle-stream';
const SETTLE_MS = 1000;
const run = Math.random().toString(36).slice(2, 8);

let dynalite: EmbeddedDynalite;
let proxy: StoreProxy;
let server: LocalServer;
/** Added to the server's clock: store time moves on without the test waiting. */
let skewMs = 0;
const api = createApiClient(() => server.url);
const streams: OpenStream[] = [];

beforeAll(async () => {
  dynalite = await startEmbeddedDynalite({ access: 'any-local-process' });
  proxy = await startStoreProxy(dynalite.endpoint);
  server = await startTestServer(
    {
      DYNAMODB_ENDPOINT: proxy.endpoint,
      TABLE_NAME: TABLE,
      POLL_INTERVAL_MS: '100',
      HEARTBEAT_INTERVAL_MS: '1000',
      FEED_SETTLE_MS: String(SETTLE_MS),
    },
    { now: () => Date.now() + skewMs },
  );
});
afterAll(async () => {
  for (const stream of streams) stream.close();
  await server.close();
  await proxy.close();
  await dynalite.close();
});

async function stream(headers: Record<string, string> = {}): Promise<OpenStream> {
  const opened = await openStream(`${server.url}/api/v2/stream`, { headers, channel: 'globalStream' });
  streams.push(opened);
  expect(opened.status).toBe(200);
  return opened;
}

const item = (name: string): ItemInput => ({
  item_id: `settle-stream-${run}-${name}`,
  ticker: 'MSFT',
  sentiment: 'neutral',
  score: 0,
  timestamp: '2026-11-21T09:00:00.000Z',
});

const post = (items: readonly ItemInput[]) =>
  api.request('/api/v2/items', { method: 'POST', headers: { 'x-api-key': TEST_INGEST_KEY }, json: { items } });

const count = (ids: readonly string[], id: string) => ids.filter((each) => each === id).length;

it('delivers an item whose feed write was throttled past the settle window, once, live and on resume', async () => {
  const live = await stream();
  await live.waitFor((events) => events.some((e) => e.event === 'metrics'));
  const late = item('late');
  const { hook, held } = holdFirst(
    ({ operation, input }) =>
      operation === 'BatchWriteItem' &&
      JSON.stringify(input).includes('FEED#') &&
      JSON.stringify(input).includes(late.item_id),
  );
  proxy.hook = hook;

  const posting = post([late]);
  const feedWrite = await held;
  const rows = (feedWrite.call.input.RequestItems as Record<string, { PutRequest: { Item: { sk: { S: string } } } }[]>)[
    TABLE
  ];
  const stamp = parseFeedSortKey(String(rows?.[0]?.PutRequest.Item.sk.S)).arrivalMs;
  skewMs += SETTLE_MS + 500;
  // The live stream's position (its event ids) has moved past the item's stamp.
  await live.waitFor((events) =>
    events.some((e) => e.event === 'heartbeat' && (decodeCursor(e.id)?.watermark ?? 0) >= stamp),
  );
  const passedId = live.lastEventId() as string;
  feedWrite.settle({ answer: { UnprocessedItems: feedWrite.call.input.RequestItems } });
  const answer = await posting;
  const sentinel = item('sentinel');
  expect((await post([sentinel])).status).toBe(200);
  await live.waitFor((events) => itemIds(events).includes(sentinel.item_id));
  const resumed = await stream({ 'last-event-id': passedId });
  await resumed.waitFor((events) => itemIds(events).includes(sentinel.item_id));
  const rest = await api.request(`/api/v2/items?after=${encodeURIComponent(passedId)}&limit=100`);

  expect(answer.status).toBe(200);
  expect(count(itemIds(live.events), late.item_id)).toBe(1);
  expect(count(itemIds(resumed.events), late.item_id)).toBe(1);
  expect(count(itemIds(resumed.events), sentinel.item_id)).toBe(1);
  expect(rest.status).toBe(200);
  const listed = (rest.body as { items: ItemInput[] }).items.map((each) => each.item_id);
  expect(count(listed, late.item_id)).toBe(1);
  expect(live.violations).toEqual([]);
  expect(resumed.violations).toEqual([]);
});
