/**
 * The Lambda deployment counts every item once: items ingested through the REST function are
 * counted at once by its `GET /api/v2/metrics` and history and by a stream the SSE function
 * opens (its opening snapshot), and the REST function folds them into the rows by itself (on the
 * reads and ingests it serves, once a round is due), after which every answer agrees again. The
 * SSE function only reads: its role may not write (cdk/lib/permissions.ts).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ItemInput, Metrics, MetricsHistory, StreamEvent } from '../../../src/contract/index.ts';
import { parseEvent } from '../../../src/contract/index.ts';
import { handler as restHandler } from '../../../src/lambda/rest-handler.ts';
import { handler as streamHandler } from '../../../src/lambda/stream-handler.ts';
import {
  createDynamoClients,
  createStore,
  type DynamoClients,
  type EmbeddedDynalite,
  ensureTable,
  startEmbeddedDynalite,
} from '../../../src/store/index.ts';
import { expectedSums, readCounterSums } from '../../support/counters.ts';
import { collectingResponse, contextWithDeadline, functionUrlEvent, stubLambdaEnv } from '../../support/lambda-wire.ts';
import { batchMaker, tickersOf } from '../../support/sentiment-batches.ts';
import { parseSseText } from '../../support/sse-text.ts';
import { TEST_INGEST_KEY } from '../../support/test-server.ts';

const TABLE = 'lambda-aggregates';
const TICKERS = tickersOf('LA', 25);

let dynalite: EmbeddedDynalite;
let clients: DynamoClients;
beforeAll(async () => {
  dynalite = await startEmbeddedDynalite({ access: 'any-local-process' });
  clients = createDynamoClients(dynalite.endpoint);
  await ensureTable(clients.client, TABLE);
  stubLambdaEnv(dynalite.endpoint, {
    TABLE_NAME: TABLE,
    INGEST_API_KEY: TEST_INGEST_KEY,
    FEED_SETTLE_MS: '1000',
    FOLD_INTERVAL_MS: '1000',
    POLL_INTERVAL_MS: '200',
    STREAM_DEADLINE_MARGIN_MS: '1000',
  });
});
afterAll(async () => {
  vi.unstubAllEnvs();
  clients.client.destroy();
  await dynalite.close();
});

const batchOf = batchMaker('lambda-agg', TICKERS);

/** One REST invocation; the parsed JSON body. */
async function rest(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const [rawPath = path, query] = path.split('?');
  const answer = await restHandler(
    functionUrlEvent(method, rawPath, {
      ...(query === undefined ? {} : { query }),
      headers: { 'content-type': 'application/json', 'x-api-key': TEST_INGEST_KEY },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
    contextWithDeadline(10_000),
  );
  if (typeof answer === 'string') return { status: 200, body: JSON.parse(answer) };
  return { status: answer.statusCode ?? 200, body: JSON.parse(answer.body ?? 'null') };
}

/** The metrics a stream of the SSE function opens with. */
async function streamSnapshot(): Promise<Metrics> {
  const response = collectingResponse();
  await streamHandler(functionUrlEvent('GET', '/api/v2/stream'), response.stream, contextWithDeadline(1500));
  await response.finished;
  const events = parseSseText(response.decode().body).frames.flatMap((frame) => {
    const parsed = parseEvent(frame, 'globalStream');
    return parsed.ok ? [parsed.value] : [];
  });
  const metrics = events.find(
    (event): event is Extract<StreamEvent, { event: 'metrics' }> => event.event === 'metrics',
  );
  if (metrics === undefined) throw new Error('the stream opened without metrics');
  return metrics.data;
}

/** REST metrics, history and the stream's snapshot all count exactly `items`. */
async function expectAllAgree(items: readonly ItemInput[]): Promise<void> {
  const metrics = (await rest('GET', '/api/v2/metrics')).body as Metrics;
  expect(metrics.total).toBe(items.length);
  for (const ticker of TICKERS)
    expect(metrics.by_tag[ticker], ticker).toBe(items.filter((i) => i.ticker === ticker).length);
  const history = (await rest('GET', '/api/v2/metrics/history?bucket=5m')).body as MetricsHistory;
  expect(history.buckets.reduce((sum, bucket) => sum + bucket.total, 0)).toBe(items.length);
  const snapshot = await streamSnapshot();
  expect({ ...snapshot, as_of: metrics.as_of, rate_last_hour: metrics.rate_last_hour }).toEqual(metrics);
}

describe('the Lambda deployment', () => {
  it('counts every ingested item once in REST and streams, folds by itself, and agrees after folding', async () => {
    const stored: ItemInput[] = [];
    for (let i = 0; i < 4; i++) {
      const batch = batchOf(25);
      const answer = await rest('POST', '/api/v2/items', { items: batch });
      expect(answer.status).toBe(200);
      stored.push(...batch);
    }
    await expectAllAgree(stored);

    // The REST function folds on the requests it serves once a round is due.
    const reader = createStore({ ...clients, tableName: TABLE, retentionDays: 7, settleMs: 1000 });
    const last = Date.now();
    await expect
      .poll(
        async () => {
          await rest('GET', '/api/v2/metrics');
          return (await reader.foldState()).w ?? 0;
        },
        { timeout: 30_000, interval: 1000 },
      )
      .toBeGreaterThan(last);

    const sums = await readCounterSums(clients.documents, TABLE, last - 3_600_000, last + 60_000);
    expect(sums.get('ALL')).toEqual(expectedSums(stored));
    await expectAllAgree(stored);
  }, 60_000);
});
