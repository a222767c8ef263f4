/**
 * Reading the folded aggregate rows (metrics and history) when the store splits its answers into
 * pages, as DynamoDB does past 1 MB: the store under test reads through a proxy that answers each
 * aggregate Query with one row and a `LastEvaluatedKey`, and its metrics and history still count
 * every folded item, exactly as another process reading the same table in one page. A store that
 * keeps saying more follows (a bug, or an attacker between us and it) does not keep a read going:
 * it is refused with an error naming the partition after MAX_ROW_PAGES pages.
 */
import { QueryCommand, type QueryCommandInput } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ItemInput } from '../../../src/contract/index.ts';
import { type ProxiedStore, startProxiedStore } from '../../support/proxied-store.ts';
import type { Action, StoreCall } from '../../support/store-proxy.ts';

const SETTLE_MS = 5000;
const HOUR = 3_600_000;
let t: ProxiedStore;
beforeEach(async () => {
  t = await startProxiedStore({ settleMs: SETTLE_MS });
});
afterEach(async () => {
  await t.close();
});

/** The partition a Query reads. */
const partitionOf = (call: StoreCall): string =>
  String((call.input.ExpressionAttributeValues as Record<string, { S?: string }> | undefined)?.[':pk']?.S);

const isAggregateQuery = (call: StoreCall): boolean =>
  call.operation === 'Query' && /^(AGG|HIST)#/.test(partitionOf(call));

let sequence = 0;
function itemsAt(count: number, ticker: string): ItemInput[] {
  return Array.from({ length: count }, (_, i) => ({
    item_id: `page-${String(++sequence)}`,
    ticker,
    sentiment: (['positive', 'neutral', 'negative'] as const)[i % 3] ?? 'neutral',
    score: 0.25,
    timestamp: new Date(t.now() - 60_000).toISOString(),
  }));
}

/** Items in three hours and two tickers, all folded into rows by another process. */
async function foldedRows(): Promise<number> {
  let total = 0;
  for (const [count, ticker] of [
    [4, 'AAPL'],
    [3, 'MSFT'],
    [5, 'AAPL'],
  ] as const) {
    await t.other.ingest(itemsAt(count, ticker));
    total += count;
    t.advance(HOUR);
  }
  await t.other.fold({ force: true });
  expect((await t.other.foldState()).w).toBeGreaterThan(t.now() - HOUR);
  return total;
}

describe('aggregate rows the store answers one per page', () => {
  it('are all counted, in metrics and history, as a reader with whole pages counts them', async () => {
    const total = await foldedRows();
    let pages = 0;
    t.proxy.hook = async (call): Promise<Action> => {
      if (!isAggregateQuery(call)) return 'forward';
      pages += 1;
      const { $metadata: _, ...page } = await t.direct.client.send(
        new QueryCommand({ ...(call.input as unknown as QueryCommandInput), Limit: 1 }),
      );
      return { answer: page };
    };

    const aggregates = await t.store.aggregates();
    const history = await t.store.history('1h');
    const ofAapl = await t.store.history('5m', 'AAPL');

    expect(aggregates.metrics.total).toBe(total);
    expect(aggregates).toEqual(await t.other.aggregates());
    expect(history).toEqual(await t.other.history('1h'));
    expect(ofAapl).toEqual(await t.other.history('5m', 'AAPL'));
    expect(history.buckets.reduce((sum, bucket) => sum + bucket.total, 0)).toBe(total);
    // Three metrics rows and the history rows, one page each, and an empty last page per partition.
    expect(pages).toBeGreaterThan(6);
  });
});

describe('a store that keeps answering that more rows follow', () => {
  it('is read at most four pages per partition, and the read fails naming the partition', async () => {
    await foldedRows();
    const seen = new Map<string, number>();
    t.proxy.hook = (call) => {
      if (!isAggregateQuery(call)) return 'forward';
      const pk = partitionOf(call);
      seen.set(pk, (seen.get(pk) ?? 0) + 1);
      return { answer: { Count: 0, ScannedCount: 0, LastEvaluatedKey: { pk: { S: pk }, sk: { S: '23' } } } };
    };

    await expect(t.store.aggregates()).rejects.toThrow(/^aggregate read of AGG#2026-11-2\d exceeded 4 pages$/);

    // The metrics window spans two days: each partition's read stops at its own fourth page.
    await expect.poll(() => Object.fromEntries(seen)).toEqual({ 'AGG#2026-11-20': 4, 'AGG#2026-11-21': 4 });
    await t.proxy.idle();
    expect(Object.fromEntries(seen)).toEqual({ 'AGG#2026-11-20': 4, 'AGG#2026-11-21': 4 });
  });
});
