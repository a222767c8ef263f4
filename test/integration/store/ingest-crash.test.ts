/**
 * Processes killed with SIGKILL at every store call, then retried at once:
 * - an ingest, retried through the real REST API: a 200 only when every item is stored, a
 *   retryable 409 with a Retry-After after which a retry is answered otherwise; after retries
 *   every item listed once and counted once by what readers see (`GET /api/v2/metrics`,
 *   `GET /api/v2/metrics/history`) and, once folded, by the rows;
 * - a fold round: readers stay exact at every point; a fold retried at once finishes the round
 *   once the dead claimer's takeover time has passed (or finds it busy until then), and the rows
 *   then count every item once.
 *
 * The store is a standalone dynalite, so the data outlives the writer. The writer reaches it
 * through a proxy that drops request k and kills the writer when request k arrives: the store
 * then holds exactly what requests 1 … k − 1 wrote.
 */
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ItemInput, Metrics } from '../../../src/contract/index.ts';
import type { LocalServer } from '../../../src/runtime/local-server.ts';
import { FOLD_TAKEOVER_MS } from '../../../src/store/fold.ts';
import {
  createDynamoClients,
  createStore,
  type DynamoClients,
  type EmbeddedDynalite,
  ensureTable,
  startEmbeddedDynalite,
  type Store,
} from '../../../src/store/index.ts';
import { type ApiClient, type ApiResponse, createApiClient } from '../../support/api-client.ts';
import { type CounterSums, expectedSums, readCounterSums } from '../../support/counters.ts';
import { startStoreProxy } from '../../support/store-proxy.ts';
import { startTestServer, TEST_INGEST_KEY } from '../../support/test-server.ts';

const CHILD = resolve(import.meta.dirname, '../../support/ingest-child.ts');
const TABLE = 'ingest-crash';
/** A writer's window with the default settle window: its items may be taken over 7.5 s after their stamp. */
const TAKEOVER_AFTER_S = 7.5;
/** Distinct items per batch; the batch also repeats its first item once. */
const UNIQUE = 6;
const TICKERS_PER_BATCH = 3;
/** Every item is published in this 5-minute slot (the one before the test started): one history slot. */
const SLOT_MS = 5 * 60_000;
const PUBLISHED_SLOT = Math.floor(Date.now() / SLOT_MS) * SLOT_MS - SLOT_MS;
/** Store calls of a whole ingest, in order: the marker puts, then the feed. */
const PATH = [...Array<string>(UNIQUE).fill('PutItem'), 'BatchWriteItem'];
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
  dynalite = await startEmbeddedDynalite({ access: 'any-local-process' });
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

/**
 * Runs the child on `table` (an ingest of INGEST_BATCH, or a fold); with `killAt`, SIGKILLs it
 * when store call `killAt` arrives (dropped).
 */
async function runChild(table: string, env: Record<string, string>, killAt?: number): Promise<ChildRun> {
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
      INGEST_TABLE: table,
      ...env,
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
  // What the child sent before it died lands before anyone retries.
  await proxy.idle();
  await proxy.close();
  return { code, signal, output, operations };
}

const runWriter = (batch: readonly ItemInput[], killAt?: number) =>
  runChild(TABLE, { INGEST_BATCH: JSON.stringify(batch) }, killAt);

/** Bounded concurrency for the child processes (2 cores). */
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

/** A retryable answer names when to come back: no later than the dead writer's window ends. */
function retryAfterOf(answer: ApiResponse): number {
  expect([409, 503]).toContain(answer.status);
  const header = answer.headers.get('retry-after');
  expect(header).toMatch(/^[1-9]\d*$/);
  const seconds = Number(header);
  expect(seconds).toBeLessThanOrEqual(Math.ceil(TAKEOVER_AFTER_S));
  return seconds;
}

/** Retries `batch` as a pipeline does (after Retry-After) until a 200; returns every answer. */
async function retryUntilOk(batch: readonly ItemInput[], first: ApiResponse): Promise<ApiResponse[]> {
  const answers = [first];
  for (let attempt = 0; answers.at(-1)?.status !== 200; attempt++) {
    // Answered once the writer's window is over: one retry after Retry-After is enough.
    expect(attempt, 'still not a 200 after the advised wait').toBeLessThan(2);
    await sleep(retryAfterOf(answers.at(-1) as ApiResponse) * 1000);
    answers.push(await post(batch));
  }
  return answers;
}

/** What readers see of a ticker, through the server: its 24-hour counts and its history. */
async function seenOf(ticker: string) {
  const metrics = (await api.request('/api/v2/metrics')).body as Metrics;
  const history = (await api.request(`/api/v2/metrics/history?bucket=5m&ticker=${ticker}`)).body as {
    buckets: { start: string; total: number }[];
  };
  const slot = history.buckets.find((bucket) => bucket.start === new Date(PUBLISHED_SLOT).toISOString());
  return { total: metrics.by_tag[ticker] ?? 0, history: slot?.total ?? 0 };
}

/** Every item of `batch` listed once under its ticker, and counted once where readers look. */
async function expectStoredAndCountedOnce(batch: readonly ItemInput[]): Promise<void> {
  const unique = uniqueOf(batch);
  for (const ticker of new Set(unique.map((item) => item.ticker))) {
    const ofTicker = unique.filter((item) => item.ticker === ticker);
    expect(await seenOf(ticker), `counts of ${ticker}`).toEqual({ total: ofTicker.length, history: ofTicker.length });
    const page = (await api.request(`/api/v2/items?ticker=${ticker}&limit=100`)).body as {
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

  it('never answers 200 before every item is stored, and ends exact', async () => {
    const slot = limiter(CHILD_CONCURRENCY);
    const points = Array.from({ length: PATH.length }, (_, i) => i + 1);

    await Promise.all(
      points.map(async (killAt) => {
        const batch = batchOf(String(killAt));
        batches.push(batch);
        const writer = await slot(() => runWriter(batch, killAt));
        expect(writer.signal, `writer killed at call ${killAt}: ${writer.output}`).toBe('SIGKILL');

        // Retry at once: nothing written yet → 200; a marker without its feed entry → 409.
        const first = await post(batch);
        expect(first.status, `retry right after a kill at call ${killAt} (${PATH[killAt - 1]})`).toBe(
          killAt === 1 ? 200 : 409,
        );
        if (first.status === 409) {
          expect((first.body as { type: string }).type).toBe('/problems/ingest-in-progress');
        }
        const answers = await retryUntilOk(batch, first);

        // No item is reported `created` twice, and the last answer confirms every one.
        const created = answers
          .filter((answer) => answer.status === 200)
          .flatMap((answer) => (answer.body as IngestBody).results)
          .filter((result) => result.status === 'created')
          .map((result) => result.item_id);
        expect(new Set(created).size, `items created twice after a kill at call ${killAt}`).toBe(created.length);
        const last = (answers.at(-1)?.body as IngestBody).results;
        expect(last.every((result) => ['created', 'duplicate'].includes(result.status))).toBe(true);
        expect(last.at(-1)?.status).toBe('duplicate');
        await expectStoredAndCountedOnce(batch);
      }),
    );

    // Across all batches: the feed as a cursor reader sees it, and the rows once folded.
    const everything = batches.flatMap(uniqueOf);
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
    const folder = storeOn(TABLE, 60_000);
    expect((await folder.fold({ force: true })).outcome).toBe('folded');
    const sums = await readCounterSums(clients.documents, TABLE, startedAt - 60_000, Date.now());
    expect(sums.get('ALL')).toEqual(expectedSums(everything));
  }, 120_000);
});

/** A store on `table` whose clock runs `skewMs` ahead: what was just written counts as settled. */
function storeOn(table: string, skewMs: number): Store {
  return createStore({
    ...clients,
    tableName: table,
    retentionDays: 7,
    settleMs: 5000,
    now: () => Date.now() + skewMs,
  });
}

/** A table of its own with two batches in it, stored: what each fold trial folds. */
async function foldTable(name: string): Promise<{ table: string; items: ItemInput[] }> {
  const table = `fold-crash-${name}`;
  await ensureTable(clients.client, table);
  const items = [...uniqueOf(batchOf(`F${name}a`)), ...uniqueOf(batchOf(`F${name}b`))];
  const writer = storeOn(table, 0);
  await writer.ingest(items.slice(0, UNIQUE));
  await writer.ingest(items.slice(UNIQUE));
  return { table, items };
}

/** The rows' counts of the table's items, all tickers and per ticker, against the items. */
async function expectRowsExact(table: string, items: readonly ItemInput[]): Promise<void> {
  const sums = await readCounterSums(clients.documents, table, startedAt - 60_000, Date.now() + 120_000);
  const expected = new Map<string, CounterSums>([['ALL', expectedSums(items)]]);
  for (const ticker of new Set(items.map((item) => item.ticker))) {
    expected.set(ticker, expectedSums(items.filter((item) => item.ticker === ticker)));
  }
  expect(Object.fromEntries(sums)).toEqual(Object.fromEntries(expected));
}

describe('a fold killed with SIGKILL at every store call, then retried at once', () => {
  /** The folding child runs a minute ahead, so the items just written count as settled. */
  const FOLD_ENV = { FOLD_SKEW_MS: '60000' };

  it('keeps readers exact, and the retry finishes the round once its takeover time has passed', async () => {
    const whole = await foldTable('whole');
    const complete = await runChild(whole.table, FOLD_ENV);
    expect(complete.code, complete.output).toBe(0);
    await expectRowsExact(whole.table, whole.items);
    const points = Array.from({ length: complete.operations.length }, (_, i) => i + 1);
    const slot = limiter(CHILD_CONCURRENCY);

    await Promise.all(
      points.map(async (killAt) => {
        const { table, items } = await foldTable(String(killAt));
        const reader = storeOn(table, 60_000);
        const expected = (await reader.aggregates()).metrics;
        const folder = await slot(() => runChild(table, FOLD_ENV, killAt));
        expect(folder.signal, `fold killed at call ${killAt}: ${folder.output}`).toBe('SIGKILL');

        // Readers never see the half-applied round.
        expect({ ...(await reader.aggregates()).metrics, as_of: expected.as_of }).toEqual(expected);
        // Retried at once: a claimed round is the dead claimer's until its takeover time...
        const atOnce = await reader.fold({ force: true });
        const claimed = (await reader.foldState()).round !== undefined;
        expect(atOnce.outcome, `fold retried at once after a kill at call ${killAt}`).toBe(claimed ? 'busy' : 'folded');
        // ...and whoever folds after it finishes that round, once.
        const later = storeOn(table, 60_000 + FOLD_TAKEOVER_MS + 1);
        await later.fold({ force: true });
        expect((await later.foldState()).round).toBeUndefined();
        await expectRowsExact(table, items);
        expect({ ...(await later.aggregates()).metrics, as_of: expected.as_of }).toMatchObject({
          total: expected.total,
          positive: expected.positive,
          neutral: expected.neutral,
          negative: expected.negative,
          by_tag: expected.by_tag,
        });
      }),
    );
  }, 180_000);
});
