/**
 * A writer process killed with SIGKILL at every store call of an ingest, then the same batch
 * retried through the real REST API: a 200 only when every item is stored and counted exactly
 * once, a retryable 409 with Retry-After otherwise, and after retries every item listed once and
 * every counter exact: the hourly ones and the history ones (by `timestamp`), which
 * `GET /api/v2/metrics/history` answers from.
 *
 * The store is a standalone dynalite, so the data outlives the writer. The writer reaches it
 * through a proxy that drops request k and kills the writer when request k arrives:
 * the store then holds exactly what requests 1 … k − 1 wrote.
 */
import { spawn } from 'node:child_process';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ItemInput } from '../../../src/contract/index.ts';
import type { LocalServer } from '../../../src/runtime/local-server.ts';
import {
  createDynamoClients,
  type DynamoClients,
  type EmbeddedDynalite,
  ensureTable,
  startEmbeddedDynalite,
} from '../../../src/store/index.ts';
import { historyKey, type HistoryScope } from '../../../src/store/keys.ts';
import { type ApiClient, type ApiResponse, createApiClient } from '../../support/api-client.ts';
import { type CounterSums, expectedSums, readCounterSums } from '../../support/counters.ts';
import { startStoreProxy } from '../../support/store-proxy.ts';
import { startTestServer, TEST_INGEST_KEY } from '../../support/test-server.ts';

const CHILD = resolve(import.meta.dirname, '../../support/ingest-child.ts');
const TABLE = 'ingest-crash';
/** The killed writer's lease: short, so retries get past it quickly. */
const CHILD_LEASE_MS = 8000;
/** Distinct items per batch; the batch also repeats its first item once. */
const UNIQUE = 6;
const TICKERS_PER_BATCH = 3;
/** Counters per batch: hour × all, hour × each ticker, and the same for the history slot. */
const COUNTERS = 2 * (1 + TICKERS_PER_BATCH);
/** Every item is published in this 5-minute slot (the one before the test started): one history slot. */
const SLOT_MS = 5 * 60_000;
const PUBLISHED_SLOT = Math.floor(Date.now() / SLOT_MS) * SLOT_MS - SLOT_MS;
/** Store calls of a whole ingest, in order: claims, feed, counters, done, remove pending. */
const PATH = [
  ...Array<string>(UNIQUE).fill('PutItem'),
  'BatchWriteItem',
  ...Array<string>(COUNTERS).fill('UpdateItem'),
  'BatchWriteItem',
  ...Array<string>(COUNTERS).fill('UpdateItem'),
];
/** 1-based number of the `done` BatchWrite: killed at or before it, the items are not all done. */
const DONE_CALL = UNIQUE + 1 + COUNTERS + 1;
const CHILD_CONCURRENCY = 3;

const run = Math.random().toString(36).slice(2, 8);
const SENTIMENTS = ['positive', 'neutral', 'negative'] as const;

/** Batch `name`: UNIQUE items over its own tickers, mixed sentiments, exact binary scores, and a repeat. */
function batchOf(name: string): ItemInput[] {
  const tickers = Array.from({ length: TICKERS_PER_BATCH }, (_, i) => `K${name}${String.fromCharCode(65 + i)}`);
  const items = Array.from({ length: UNIQUE }, (_, i) => ({
    item_id: `crash-${run}-${name}-${i}`,
    ticker: tickers[i % TICKERS_PER_BATCH] as string,
    sentiment: SENTIMENTS[(i + Math.floor(i / 3)) % 3] as (typeof SENTIMENTS)[number],
    score: ((i % 8) - 4) / 8,
    timestamp: new Date(PUBLISHED_SLOT + i * 1000).toISOString(),
  }));
  return [...items, { ...(items[0] as ItemInput) }];
}

const uniqueOf = (batch: readonly ItemInput[]) => [...new Map(batch.map((item) => [item.item_id, item])).values()];

let dynalite: EmbeddedDynalite;
let clients: DynamoClients;
let server: LocalServer;
let api: ApiClient;
let startedAt: number;
let startCursor: string;
const batches: ItemInput[][] = [];

beforeAll(async () => {
  dynalite = await startEmbeddedDynalite();
  clients = createDynamoClients(dynalite.endpoint);
  await ensureTable(clients.client, TABLE);
  server = await startTestServer({ DYNAMODB_ENDPOINT: dynalite.endpoint, TABLE_NAME: TABLE });
  api = createApiClient(() => server.url);
  startedAt = Date.now();
  startCursor = ((await api.request('/api/v2/items?limit=1')).body as { cursor: string }).cursor;
});

afterAll(async () => {
  await server.close();
  clients.client.destroy();
  await dynalite.close();
});

interface ChildRun {
  readonly signal: NodeJS.Signals | null;
  readonly code: number | null;
  readonly output: string;
  readonly operations: readonly string[];
}

/** Runs the writer on `batch`; with `killAt`, SIGKILLs it when store call `killAt` arrives (dropped). */
async function runWriter(batch: readonly ItemInput[], killAt?: number): Promise<ChildRun> {
  let kill = () => {};
  const operations: string[] = [];
  const proxy = await startStoreProxy(dynalite.endpoint, ({ number, operation }) => {
    operations.push(operation);
    if (killAt === undefined || number < killAt) return 'forward';
    if (number === killAt) kill();
    return 'drop';
  });
  const child = spawn(process.execPath, [CHILD], {
    env: {
      ...process.env,
      INGEST_ENDPOINT: proxy.endpoint,
      INGEST_TABLE: TABLE,
      INGEST_LEASE_MS: String(CHILD_LEASE_MS),
      INGEST_BATCH: JSON.stringify(batch),
      // Later writers start in a fraction of the time (the SDK is large to compile).
      NODE_COMPILE_CACHE: join(tmpdir(), 'tickerpulse-test-compile-cache'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  kill = () => {
    child.kill('SIGKILL');
  };
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((done) => {
    child.once('exit', (exitCode, exitSignal) => {
      done([exitCode, exitSignal]);
    });
  });
  // What the writer sent before it died lands before anyone retries (a lease outlives it).
  await proxy.idle();
  await proxy.close();
  return { code, signal, output, operations };
}

/** Bounded concurrency for the writer processes (2 cores). */
function limiter(slots: number) {
  let free = slots;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (free === 0) await new Promise<void>((wake) => waiting.push(wake));
    else free -= 1;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next === undefined) free += 1;
      else next();
    }
  };
}

const post = (batch: readonly ItemInput[]) =>
  api.request('/api/v2/items', { method: 'POST', headers: { 'x-api-key': TEST_INGEST_KEY }, json: { items: batch } });

type IngestBody = { results: { item_id: string; status: string }[] };

/** A retryable answer names when to come back; a pipeline waits that long. */
function retryAfterOf(answer: ApiResponse): number {
  expect([409, 503]).toContain(answer.status);
  const header = answer.headers.get('retry-after');
  expect(header).toMatch(/^[1-9]\d*$/);
  const seconds = Number(header);
  expect(seconds).toBeLessThanOrEqual(Math.ceil(CHILD_LEASE_MS / 1000));
  return seconds;
}

/** Retries `batch` as a pipeline does (after Retry-After) until a 200; returns every answer. */
async function retryUntilOk(batch: readonly ItemInput[], first: ApiResponse): Promise<ApiResponse[]> {
  const answers = [first];
  for (let attempt = 0; answers.at(-1)?.status !== 200; attempt++) {
    expect(attempt, 'still not a 200 after 10 retries').toBeLessThan(10);
    await sleep(retryAfterOf(answers.at(-1) as ApiResponse) * 1000);
    answers.push(await post(batch));
  }
  return answers;
}

/** The history counter of the published slot for `scope`, as the sums `expectedSums` gives. */
async function historySums(scope: HistoryScope): Promise<CounterSums> {
  const { Item: row = {} } = await clients.documents.send(
    new GetCommand({ TableName: TABLE, Key: historyKey(PUBLISHED_SLOT, scope), ConsistentRead: true }),
  );
  const num = (key: string): number => (typeof row[key] === 'number' ? row[key] : 0);
  return {
    total: num('total'),
    positive: num('positive'),
    neutral: num('neutral'),
    negative: num('negative'),
    scoreSum: num('score_sum'),
  };
}

/** Every item of `batch` listed once under its ticker, and its tickers' counters exact. */
async function expectStoredAndCountedOnce(batch: readonly ItemInput[]): Promise<void> {
  const unique = uniqueOf(batch);
  const sums = await readCounterSums(clients.documents, TABLE, startedAt, Date.now());
  for (const ticker of new Set(unique.map((item) => item.ticker))) {
    const ofTicker = unique.filter((item) => item.ticker === ticker);
    expect(sums.get(ticker), `counters of ${ticker}`).toEqual(expectedSums(ofTicker));
    expect(await historySums({ ticker }), `history counter of ${ticker}`).toEqual(expectedSums(ofTicker));
    const page = (await api.request(`/api/v2/items?ticker=${ticker}&limit=100`)).body as IngestBody & {
      items: { item_id: string }[];
    };
    expect(page.items.map((item) => item.item_id).sort()).toEqual(ofTicker.map((item) => item.item_id).sort());
  }
}

describe('ingest killed with SIGKILL at every store call, then retried through the API', () => {
  it('walks the expected store calls when nobody dies', async () => {
    const batch = batchOf('0');
    batches.push(batch);

    const writer = await runWriter(batch);

    expect(writer.code, writer.output).toBe(0);
    expect(writer.operations).toEqual(PATH);
    const again = await post(batch);
    expect(again.status).toBe(200);
    expect((again.body as IngestBody).results.every((r) => r.status === 'duplicate')).toBe(true);
    await expectStoredAndCountedOnce(batch);
  });

  it('never answers 200 before every item is stored and counted once, and ends exact', async () => {
    const slot = limiter(CHILD_CONCURRENCY);
    const points = Array.from({ length: PATH.length }, (_, i) => i + 1);

    await Promise.all(
      points.map(async (killAt) => {
        const batch = batchOf(String(killAt));
        batches.push(batch);
        const writer = await slot(() => runWriter(batch, killAt));
        expect(writer.signal, `writer killed at call ${killAt}: ${writer.output}`).toBe('SIGKILL');

        // Retry at once: nothing applied yet, or everything done → 200; anything between → 409.
        const first = await post(batch);
        const complete = killAt === 1 || killAt > DONE_CALL;
        expect(first.status, `retry right after a kill at call ${killAt} (${PATH[killAt - 1]})`).toBe(
          complete ? 200 : 409,
        );
        if (first.status === 409) {
          expect((first.body as { type: string }).type).toBe('/problems/ingest-in-progress');
        }
        const answers = await retryUntilOk(batch, first);

        // No item is reported `created` twice; none at all when the dead writer had finished.
        const created = answers
          .filter((answer) => answer.status === 200)
          .flatMap((answer) => (answer.body as IngestBody).results)
          .filter((result) => result.status === 'created')
          .map((result) => result.item_id);
        expect(new Set(created).size, `items created twice after a kill at call ${killAt}`).toBe(created.length);
        if (killAt > DONE_CALL) expect(created).toEqual([]);
        if (killAt === 1)
          expect(created.sort()).toEqual(
            uniqueOf(batch)
              .map((item) => item.item_id)
              .sort(),
          );
        expect((answers.at(-1)?.body as IngestBody).results.at(-1)?.status).toBe('duplicate');
        await expectStoredAndCountedOnce(batch);
      }),
    );

    // Across all batches: the all-tickers counters and the feed as a cursor reader sees it.
    const everything = batches.flatMap(uniqueOf);
    const sums = await readCounterSums(clients.documents, TABLE, startedAt, Date.now());
    expect(sums.get('ALL')).toEqual(expectedSums(everything));
    expect(await historySums('all')).toEqual(expectedSums(everything));
    const seen: string[] = [];
    let cursor = startCursor;
    for (let page = 0; ; page++) {
      expect(page, 'the feed did not end').toBeLessThan(50);
      const body = (await api.request(`/api/v2/items?after=${cursor}&limit=100`)).body as {
        items: { item_id: string }[];
        cursor: string;
      };
      if (body.items.length === 0) break;
      seen.push(...body.items.map((item) => item.item_id));
      cursor = body.cursor;
    }
    expect(seen.sort()).toEqual(everything.map((item) => item.item_id).sort());
  }, 120_000);
});
