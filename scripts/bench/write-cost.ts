/**
 * What an ingested item costs the store, as DynamoDB bills it: the server (`startLocalServer`,
 * embedded store, no demo data, no simulator) runs in this process with a write meter on its
 * store clients (src/store/write-meter.ts), items are posted through the REST API spread over 25
 * tickers, and the count stops once the server's own fold has absorbed every item. So it counts
 * everything the ingest and the fold write: markers, feed entries, index entries, aggregate rows,
 * the fold's state. Loopback only; bounded by FOLD_WAIT_MS.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startLocalServer } from '../../src/runtime/local-server.ts';
import { createWriteMeter } from '../../src/store/write-meter.ts';
import type { Store } from '../../src/store/index.ts';

/** The product's targets (docs/data-model.md, "Capacity"). */
const TARGET_UNITS = { batched: 3.2, single: 4 } as const;
const TARGET_HOTTEST_SHARE = 0.1;

/** How long the count waits for the fold to absorb the last item: its interval plus slack. */
const FOLD_WAIT_MS = 60_000;

const TICKERS = Array.from({ length: 25 }, (_, i) => `T${String.fromCharCode(65 + i)}X`);
const SENTIMENTS = ['positive', 'neutral', 'negative'] as const;
const INGEST_KEY = 'bench-write-cost-key-000000000000';

interface WriteCost {
  readonly name: string;
  readonly items: number;
  readonly requestsPerItem: number;
  readonly unitsPerItem: number;
  readonly hottestKey: string;
  readonly hottestShare: number;
  readonly target: number;
}

let sequence = 0;
function itemsOf(count: number) {
  const now = new Date().toISOString();
  return Array.from({ length: count }, () => {
    sequence += 1;
    return {
      // 128 characters, the longest id the contract allows: the most a row can cost.
      item_id: `cost-${process.pid}-${sequence}-`.padEnd(128, 'x'),
      ticker: TICKERS[sequence % TICKERS.length] as string,
      sentiment: SENTIMENTS[sequence % 3] as (typeof SENTIMENTS)[number],
      score: ((sequence % 200) - 100) / 100,
      timestamp: now,
    };
  });
}

/** Posts `batches` batches of `size` items, `concurrency` at a time; fails on anything but 200. */
async function post(url: string, batches: number, size: number, concurrency: number): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (next < batches) {
      next += 1;
      const response = await fetch(`${url}/api/v2/items`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': INGEST_KEY },
        body: JSON.stringify({ items: itemsOf(size) }),
      });
      if (response.status !== 200) throw new Error(`ingest answered ${response.status}: ${await response.text()}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return batches * size;
}

/** Waits until the server's own fold has absorbed everything stamped up to `stampMs`. */
async function foldedPast(store: Store, stampMs: number): Promise<void> {
  const deadline = performance.now() + FOLD_WAIT_MS;
  while (performance.now() < deadline) {
    const state = await store.foldState();
    if (state.w !== undefined && state.w >= stampMs && state.round === undefined) return;
    await sleep(500);
  }
  throw new Error(`the fold did not pass ${new Date(stampMs).toISOString()} within ${FOLD_WAIT_MS} ms`);
}

/** One scenario on a fresh server and store. */
async function measure(name: string, batches: number, size: number, target: number): Promise<WriteCost> {
  const meter = createWriteMeter();
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    SIMULATE: '0',
    LOG_LEVEL: 'warn',
    INGEST_API_KEY: INGEST_KEY,
  });
  const server = await startLocalServer(config, { logger: createLogger('warn'), writeMeter: meter });
  try {
    // Table creation and start-up are not the ingest's.
    meter.reset();
    const items = await post(server.url, batches, size, 4);
    const newest = await server.store.readNewest({ limit: 1 });
    const last = newest.items[0];
    if (last === undefined) throw new Error('nothing was stored');
    await foldedPast(server.store, Date.parse(last.ingested_at));
    const hottest = meter.hottest();
    return {
      name,
      items,
      requestsPerItem: meter.requests / items,
      unitsPerItem: meter.units / items,
      hottestKey: hottest?.key ?? '—',
      hottestShare: (hottest?.writes ?? 0) / items,
      target,
    };
  } finally {
    await server.close();
  }
}

/** Batched (40 × 25) and single-item (100 × 1) ingest, each on its own store. */
async function measureWriteCost(): Promise<WriteCost[]> {
  return [
    await measure('25-item batches (40 × 25)', 40, 25, TARGET_UNITS.batched),
    await measure('single items (100 × 1)', 100, 1, TARGET_UNITS.single),
  ];
}

function writeCostTable(costs: readonly WriteCost[]): string[] {
  return [
    'Store writes per ingested item (25 tickers, 128-character ids; the ingest and the fold together):',
    '',
    '| ingest | items | write requests / item | write units / item (target) | hottest partition key | its share (target ≤ 0.1) |',
    '|---|---|---|---|---|---|',
    ...costs.map(
      (cost) =>
        `| ${cost.name} | ${cost.items} | ${cost.requestsPerItem.toFixed(2)} | ${cost.unitsPerItem.toFixed(2)} (≤ ${cost.target}) | ${cost.hottestKey} | ${cost.hottestShare.toFixed(3)} |`,
    ),
  ];
}

const meetsTargets = (costs: readonly WriteCost[]): boolean =>
  costs.every((cost) => cost.unitsPerItem <= cost.target && cost.hottestShare <= TARGET_HOTTEST_SHARE);

export type { WriteCost };
export { measureWriteCost, meetsTargets, writeCostTable };
