/**
 * Page tokens and cursors are client input (tickerpulse issue 9, finding 3): through the real
 * server, a crafted one is refused before the feed is read, a legitimate old one costs at most a
 * constant number of store queries per request, and a request whose client leaves stops its
 * walk. Store queries are counted by a proxy between the server and a real dynalite; every answer
 * is checked against the contract by the API and stream clients.
 */
import { request as httpRequest } from 'node:http';
import { Logger } from '@aws-lambda-powertools/logger';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.ts';
import { type LocalServer, startLocalServer } from '../../../src/runtime/local-server.ts';
import {
  type EmbeddedDynalite,
  encodeCursor,
  MAX_QUERIES_PER_READ,
  startEmbeddedDynalite,
} from '../../../src/store/index.ts';
import { encodePageToken } from '../../../src/store/newest.ts';
import { createApiClient } from '../../support/api-client.ts';
import { openStream } from '../../support/sse-client.ts';
import { holdFirst, type Hook, type StoreCall, startStoreProxy, type StoreProxy } from '../../support/store-proxy.ts';
import { TEST_INGEST_KEY } from '../../support/test-server.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** A listing reads the feed head and one page: two bounded reads. */
const MAX_QUERIES_PER_LISTING = 2 * MAX_QUERIES_PER_READ;
const stamp = (ms: number) => String(ms).padStart(13, '0');
const pageToken = (k: string, s = '*') => encodePageToken({ k, s });
const legacyToken = (k: string) => Buffer.from(JSON.stringify({ k })).toString('base64url');
const cursorAt = (watermark: number, entries: { arrivalMs: number; hash: string }[] = []) =>
  encodeCursor({ watermark, entries });

/** The server's logger, keeping what it reports as failures (nothing else is printed). */
class FailureLog extends Logger {
  readonly failures: unknown[] = [];
  override error(...args: Parameters<Logger['error']>): void {
    this.failures.push(args);
  }
}

/**
 * Queries past this many in one test are answered with a DynamoDB error, so a runaway walk fails
 * fast instead of hanging the test (and later tests still get a working store). Far above any
 * bounded request, far below a walk to the year 2286.
 */
const QUERY_CEILING = 2000;
let queries = 0;
const overCeiling = {
  status: 400,
  answer: { __type: 'com.amazon.coral.validate#ValidationException', message: 'query ceiling' },
};
/** Refuses queries past the ceiling; `next` decides the others. */
const capped =
  (next: Hook): Hook =>
  (call) =>
    call.operation === 'Query' && ++queries > QUERY_CEILING ? overCeiling : next(call);

let dynalite: EmbeddedDynalite;
let proxy: StoreProxy;
const logger = new FailureLog({ logLevel: 'SILENT' });
let server: LocalServer;
const api = createApiClient(() => server.url);

beforeAll(async () => {
  dynalite = await startEmbeddedDynalite({ access: 'any-local-process' });
  proxy = await startStoreProxy(
    dynalite.endpoint,
    capped(() => 'forward'),
  );
  // The poller reads at start and once when the ingest below wakes it, then not again.
  const env = {
    PORT: '0',
    HOST: '127.0.0.1',
    SIMULATE: '0',
    LOG_LEVEL: 'silent',
    INGEST_API_KEY: TEST_INGEST_KEY,
    DYNAMODB_ENDPOINT: proxy.endpoint,
    POLL_INTERVAL_MS: '60000',
  };
  server = await startLocalServer(loadConfig(env), { logger });
  const response = await api.request('/api/v2/items', {
    method: 'POST',
    headers: { 'x-api-key': TEST_INGEST_KEY },
    json: {
      items: [
        { item_id: 'pos-1', ticker: 'AAPL', sentiment: 'positive', score: 0.5, timestamp: '2026-11-21T09:00:00Z' },
      ],
    },
  });
  expect(response.status).toBe(200);
  // The ingest wakes the poller (real-time delivery): let that one poll finish before counting.
  for (let quiet = false, tries = 0; !quiet && tries < 30; tries += 1) {
    const before = proxy.seen('Query');
    await sleep(300);
    quiet = proxy.seen('Query') === before;
  }
});
beforeEach(() => {
  queries = 0;
  proxy.hook = capped(() => 'forward');
});
afterAll(async () => {
  await server.close();
  await proxy.close();
  await dynalite.close();
});

/** `:lo` of a Query: where in a feed shard it starts. */
const lowerBoundOf = (call: StoreCall) =>
  (call.input.ExpressionAttributeValues as Record<string, { S?: string }> | undefined)?.[':lo']?.S;

/** Sends one request; returns its answer and the store queries sent while it ran. */
async function withQueries(path: string) {
  const mark = proxy.seen('Query');
  const response = await api.request(path);
  return { response, queries: proxy.seen('Query') - mark };
}

describe('GET /api/v2/items?page= with a token it did not issue', () => {
  const now = Date.now();
  it.each([
    ['a key in the year 2286', () => pageToken('9999999999999#x')],
    ['a key a day ahead', () => pageToken(`${stamp(now + DAY)}#x`)],
    ['a key in the year 2286, in the format of earlier releases', () => legacyToken('9999999999999#x')],
    ['a key before the retention', () => pageToken(`${stamp(now - 8 * DAY)}#x`)],
    ['a key at the epoch', () => pageToken('0000000000001#x')],
    ["another listing's token (ticker AAPL)", () => pageToken(`${stamp(now)}#x`, 'AAPL')],
    ['a token padded to the length limit', () => 'A'.repeat(256)],
    ['a huge token', () => 'A'.repeat(8000)],
  ])('refuses %s with 400, before reading the feed', async (_name, token) => {
    const { response, queries } = await withQueries(`/api/v2/items?page=${token()}`);

    expect(response.status).toBe(400);
    expect(queries).toBe(0);
  });

  it("refuses a ticker listing's token used for another ticker", async () => {
    const { response, queries } = await withQueries(
      `/api/v2/items?ticker=MSFT&page=${pageToken(`${stamp(now)}#x`, 'AAPL')}`,
    );
    expect(response.status).toBe(400);
    expect(queries).toBe(0);
  });
});

describe('GET /api/v2/items?after= with a cursor it did not issue', () => {
  const now = Date.now();
  it.each([
    ['a watermark in the year 2286', () => cursorAt(9_999_999_999_999)],
    ['a watermark a day ahead', () => cursorAt(now + DAY)],
    ['an entry a day ahead', () => cursorAt(now - 1000, [{ arrivalMs: now + DAY, hash: 'AAAAAAAA' }])],
    ['a watermark before the retention', () => cursorAt(now - 8 * DAY)],
    ['a huge cursor', () => `1.${'a'.repeat(5000)}`],
  ])('refuses %s with 400, before reading the feed', async (_name, cursor) => {
    const { response, queries } = await withQueries(`/api/v2/items?after=${cursor()}`);

    expect(response.status).toBe(400);
    expect(queries).toBe(0);
  });
});

describe('a legitimate position deep in the retention', () => {
  it('pages newest first within a constant number of queries per request, to the end', async () => {
    let path = `/api/v2/items?limit=5&page=${pageToken(`${stamp(Date.now() - 6 * DAY)}#`)}`;
    let requests = 0;
    for (;;) {
      const { response, queries } = await withQueries(path);
      expect(response.status).toBe(200);
      expect(queries).toBeLessThanOrEqual(MAX_QUERIES_PER_LISTING);
      requests += 1;
      const next = (response.body as { next_cursor: string | null }).next_cursor;
      if (next === null || requests > 10) break;
      path = `/api/v2/items?limit=5&page=${next}`;
    }
    // Each request reads one page of every shard down to the retention: the walk ends at once.
    expect(requests).toBeLessThanOrEqual(2);
  });

  it('polls after an old cursor within a constant number of queries per request, reaching the head', async () => {
    let cursor: string = cursorAt(Date.now() - 6 * DAY);
    const seen: string[] = [];
    for (let requests = 0; requests < 10 && !seen.includes('pos-1'); requests++) {
      const { response, queries } = await withQueries(`/api/v2/items?after=${cursor}`);
      expect(response.status).toBe(200);
      expect(queries).toBeLessThanOrEqual(MAX_QUERIES_PER_READ);
      const body = response.body as { items: { item_id: string }[]; cursor: string };
      seen.push(...body.items.map((item) => item.item_id));
      expect(body.cursor).not.toBe(cursor);
      cursor = body.cursor;
    }
    expect(seen).toEqual(['pos-1']);
  });
});

describe('a client that leaves mid-request', () => {
  it('stops the store walk: the queries in flight are abandoned, no other follows, nothing is logged as failed', async () => {
    // The request's queries start at its cursor, six days back; nothing else reads from there.
    const from = stamp(Date.now() - 6 * DAY + 1);
    const isOld = (call: StoreCall) =>
      call.operation === 'Query' && lowerBoundOf(call)?.startsWith(from.slice(0, 8)) === true;
    let old = 0;
    const { hook, held } = holdFirst((call) => isOld(call) && old === 3);
    proxy.hook = capped((call) => {
      if (isOld(call)) old += 1;
      return hook(call);
    });
    const url = new URL(`/api/v2/items?after=${cursorAt(Date.now() - 6 * DAY)}`, server.url);
    const client = httpRequest(url);
    client.on('error', () => undefined);
    client.end();

    const hold = await held;
    client.destroy();
    await hold.call.abandoned;
    hold.settle('forward');
    // Round trips through the same server: had the walk gone on, its queries would land meanwhile.
    for (let i = 0; i < 3; i++) expect((await api.request('/health')).status).toBe(200);

    // One read: one query per shard, sent together; nothing after the client left.
    expect(old).toBeLessThanOrEqual(MAX_QUERIES_PER_READ);
    expect(logger.failures).toEqual([]);
  });
});

describe('GET /api/v2/stream resuming from a legitimate id deep in the retention', () => {
  it('resumes and replays what followed, in bounded reads, without a duplicate', async () => {
    const id = cursorAt(Date.now() - 6 * DAY);
    const stream = await openStream(`${server.url}/api/v2/stream?last_event_id=${id}`, { channel: 'globalStream' });
    await stream.waitFor((events) => events.some((e) => e.event === 'new_item'));
    stream.close();

    expect(stream.events[0]).toMatchObject({ event: 'stream_open', data: { outcome: 'resumed' } });
    expect(stream.events.flatMap((e) => (e.event === 'new_item' ? [e.data.item_id] : []))).toEqual(['pos-1']);
    expect(stream.violations).toEqual([]);
  });
});

describe('GET /api/v2/stream resuming from an id it did not issue', () => {
  it.each([
    ['a watermark in the year 2286', () => cursorAt(9_999_999_999_999)],
    ['an entry a day ahead', () => cursorAt(Date.now() - 1000, [{ arrivalMs: Date.now() + DAY, hash: 'AAAAAAAA' }])],
    ['a watermark far in the past', () => cursorAt(1)],
  ])('starts fresh for %s (outcome reset), as header or query', async (_name, id) => {
    for (const [query, headers] of [
      [`?last_event_id=${id()}`, {}],
      ['', { 'last-event-id': id() }],
    ] as const) {
      const stream = await openStream(`${server.url}/api/v2/stream${query}`, { headers, channel: 'globalStream' });
      await stream.waitFor((events) => events.some((e) => e.event === 'metrics'));
      stream.close();

      expect(stream.status).toBe(200);
      expect(stream.events[0]).toMatchObject({ event: 'stream_open', data: { outcome: 'reset' } });
      expect(stream.violations).toEqual([]);
    }
  });
});
