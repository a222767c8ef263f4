/**
 * The poller through a store outage, on a real dynalite: the outage is a fault injected into the
 * poller's own DynamoDB client (every request fails while it lasts), the log is the real logger's
 * output. The "recovered" line must measure the outage, not the time since the process started.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createPrometheusMetrics } from '../../../src/observability/stream-metrics.ts';
import { createFeedPoller, type FeedPoller } from '../../../src/stream/feed-poller.ts';
import { createDynamoClients, createStore, type DynamoClients } from '../../../src/store/index.ts';
import { engineLogger } from '../../../src/observability/engine-logger.ts';
import { type CapturingLogger, capturingLogger } from '../../support/capturing-logger.ts';
import { startTestStore, type TestStore } from '../../support/test-store.ts';

const HOUR_MS = 3_600_000;
const OUTAGE_MS = 7000;

let t: TestStore;
let clients: DynamoClients;
let poller: FeedPoller;
let logger: CapturingLogger;
let outage = false;
let batches = 0;

beforeEach(async () => {
  t = await startTestStore();
  clients = createDynamoClients(t.dynalite.endpoint);
  clients.client.middlewareStack.add(
    (next) => (args) => (outage ? Promise.reject(new Error('injected: store unreachable')) : next(args)),
    { step: 'initialize', name: 'injectOutage' },
  );
  const store = createStore({
    ...clients,
    tableName: t.tableName,
    retentionDays: 7,
    settleMs: 5000,
    now: () => t.now(),
  });
  logger = capturingLogger();
  // Real timers at a short interval; the store clock only moves when the test moves it.
  poller = createFeedPoller({
    store,
    intervalMs: 10,
    logger: engineLogger(logger),
    metrics: createPrometheusMetrics(),
    now: () => t.now(),
  });
  poller.onBatch(() => {
    batches += 1;
  });
  await poller.start();
});
afterEach(async () => {
  poller.stop();
  outage = false;
  clients.client.destroy();
  await t.close();
});

const messages = () => logger.lines.map((line) => line.message);

it('logs the outage length and the lag at recovery, however long the process has run', async () => {
  // Prepare: an hour of uptime, and a successful poll at that time.
  t.advance(HOUR_MS);
  const before = batches;
  await expect.poll(() => batches, { timeout: 10_000, interval: 10 }).toBeGreaterThan(before);

  // Act: the store goes away for OUTAGE_MS of store time, then comes back.
  outage = true;
  await expect
    .poll(messages, { timeout: 10_000, interval: 10 })
    .toContain('feed poll failed; streams stay open and report the lag');
  t.advance(OUTAGE_MS);
  outage = false;
  await expect.poll(messages, { timeout: 10_000, interval: 10 }).toContain('feed poll recovered');

  // Assess
  const recovered = logger.lines.filter((line) => line.message === 'feed poll recovered');
  expect(recovered).toHaveLength(1);
  expect(recovered[0]).toMatchObject({ level: 'INFO', outage_ms: OUTAGE_MS, lag_ms: OUTAGE_MS });
  expect(recovered[0]?.failed_polls).toBeGreaterThanOrEqual(1);
  // One warning per outage, not one per failed poll.
  expect(logger.lines.filter((line) => line.level === 'WARN')).toHaveLength(1);
  expect(poller.health()).toMatchObject({ status: 'ok', lagMs: 0 });
});

it('measures an outage that began with the very first poll', async () => {
  // Prepare: a second poller whose very first poll fails.
  poller.stop();
  outage = true;
  const store = createStore({
    ...clients,
    tableName: t.tableName,
    retentionDays: 7,
    settleMs: 5000,
    now: () => t.now(),
  });
  const fresh = createFeedPoller({
    store,
    intervalMs: 10,
    logger: engineLogger(logger),
    metrics: createPrometheusMetrics(),
    now: () => t.now(),
  });
  try {
    await fresh.start();
    expect(fresh.health().status).toBe('degraded');

    // Act
    t.advance(OUTAGE_MS);
    outage = false;
    await expect.poll(messages, { timeout: 10_000, interval: 10 }).toContain('feed poll recovered');

    // Assess
    expect(logger.lines.find((line) => line.message === 'feed poll recovered')).toMatchObject({
      outage_ms: OUTAGE_MS,
      lag_ms: OUTAGE_MS,
    });
  } finally {
    fresh.stop();
  }
});
