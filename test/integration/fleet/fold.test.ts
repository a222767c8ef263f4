/**
 * Three `npm run serve` processes on one table, each ingesting and each folding on its own timer
 * (FOLD_INTERVAL_MS of 1 s, so rounds come often and race): what every process answers for
 * `GET /api/v2/metrics` never counts an item twice at any moment, and once the fold has absorbed
 * everything, the rows and every process agree with the items stored, per ticker, and the history
 * total with them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ItemInput, Metrics, MetricsHistory } from '../../../src/contract/index.ts';
import {
  createDynamoClients,
  createStore,
  type DynamoClients,
  type EmbeddedDynalite,
  startEmbeddedDynalite,
} from '../../../src/store/index.ts';
import { createApiClient } from '../../support/api-client.ts';
import { batchMaker, tickersOf } from '../../support/sentiment-batches.ts';
import { expectedSums, readCounterSums } from '../../support/counters.ts';
import { FLEET_INGEST_KEY, fleetEnv, type RunningServe, startServe } from './serve-process.ts';

const TABLE = 'fleet-fold';
const TICKERS = tickersOf('FF', 25);

let dynalite: EmbeddedDynalite;
let clients: DynamoClients;
const fleet: RunningServe[] = [];

beforeAll(async () => {
  dynalite = await startEmbeddedDynalite({ access: 'any-local-process' });
  clients = createDynamoClients(dynalite.endpoint);
  const env = (extra: Record<string, string> = {}) =>
    fleetEnv(dynalite.endpoint, TABLE, { FOLD_INTERVAL_MS: '1000', ...extra });
  fleet.push(await startServe(env({ CREATE_TABLE: 'true' })));
  fleet.push(...(await Promise.all([startServe(env()), startServe(env())])));
});

afterAll(async () => {
  for (const server of fleet) server.child.kill('SIGKILL');
  await Promise.all(fleet.map((server) => server.exited));
  clients.client.destroy();
  await dynalite.close();
});

const batchOf = batchMaker('fleet-fold', TICKERS);

const metricsOf = async (server: RunningServe) =>
  (await createApiClient(() => server.url).request('/api/v2/metrics')).body as Metrics;

describe('a fleet folding at the same time', () => {
  it('never counts an item twice, and ends with rows and every process agreeing with the items', async () => {
    const stored: ItemInput[] = [];
    const posting = { on: true };
    const samples: number[] = [];
    // Readers on every process, all along: no answer may count more than has been posted.
    const watch = (async () => {
      while (posting.on) {
        const posted = stored.length + 3 * 25;
        for (const server of fleet) {
          const total = (await metricsOf(server)).total;
          samples.push(total);
          expect(total, 'a process counted more items than were posted').toBeLessThanOrEqual(posted);
        }
        await sleep(50);
      }
    })();
    for (let round = 0; round < 8; round++) {
      await Promise.all(
        fleet.map(async (server) => {
          const batch = batchOf(25);
          const answer = await createApiClient(() => server.url).request('/api/v2/items', {
            method: 'POST',
            headers: { 'x-api-key': FLEET_INGEST_KEY },
            json: { items: batch },
          });
          expect(answer.status).toBe(200);
          stored.push(...batch);
        }),
      );
      await sleep(400);
    }
    posting.on = false;
    await watch;
    expect(samples.length).toBeGreaterThan(10);

    // The fold catches up by itself: its watermark passes the last item.
    const reader = createStore({ ...clients, tableName: TABLE, retentionDays: 7, settleMs: 5000 });
    const last = Date.now();
    await expect
      .poll(async () => (await reader.foldState()).w ?? 0, { timeout: 30_000, interval: 500 })
      .toBeGreaterThan(last);

    const sums = await readCounterSums(clients.documents, TABLE, last - 3_600_000, last + 60_000);
    expect(sums.get('ALL')).toEqual(expectedSums(stored));
    for (const ticker of TICKERS) {
      expect(sums.get(ticker), ticker).toEqual(expectedSums(stored.filter((item) => item.ticker === ticker)));
    }
    for (const server of fleet) {
      const metrics = await metricsOf(server);
      expect(metrics.total).toBe(stored.length);
      expect(Object.values(metrics.by_tag).reduce((a, b) => a + b, 0)).toBe(stored.length);
      const history = (await createApiClient(() => server.url).request('/api/v2/metrics/history?bucket=5m'))
        .body as MetricsHistory;
      expect(history.buckets.reduce((sum, bucket) => sum + bucket.total, 0)).toBe(stored.length);
    }
  }, 120_000);
});
