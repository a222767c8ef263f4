/**
 * The folded metrics rows of a time span, summed per scope (`ALL` or a ticker), read straight
 * from the table: tests compare them with what the posted batches imply, to the unit. Rows hold
 * what fold rounds have absorbed; fold first (`store.fold({ force: true })`) to compare them with
 * everything stored.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { readMetricsRows } from '../../src/store/aggregate-rows.ts';
import type { StoreContext } from '../../src/store/context.ts';
import { HOUR_MS, hourStart } from '../../src/store/keys.ts';

interface CounterSums {
  total: number;
  positive: number;
  neutral: number;
  negative: number;
  scoreSum: number;
}

const zero = (): CounterSums => ({ total: 0, positive: 0, neutral: 0, negative: 0, scoreSum: 0 });

function addInto(sums: Map<string, CounterSums>, scope: string, counts: readonly number[]): void {
  const sum = sums.get(scope) ?? zero();
  sum.total += counts[0] ?? 0;
  sum.positive += counts[1] ?? 0;
  sum.neutral += counts[2] ?? 0;
  sum.negative += counts[3] ?? 0;
  sum.scoreSum += counts[4] ?? 0;
  sums.set(scope, sum);
}

/** Sums per scope (`ALL` or the ticker) of every metrics row whose hour lies in [fromMs, toMs]. */
async function readCounterSums(
  documents: DynamoDBDocumentClient,
  tableName: string,
  fromMs: number,
  toMs: number,
): Promise<Map<string, CounterSums>> {
  const ctx: StoreContext = {
    documents,
    tableName,
    retentionMs: 7 * 24 * HOUR_MS,
    settleMs: 0,
    foldIntervalMs: 15_000,
    now: Date.now,
  };
  const sums = new Map<string, CounterSums>();
  // A day at a time: one read covers at most two day partitions.
  for (let day = hourStart(fromMs); day <= toMs; day += 24 * HOUR_MS) {
    const last = Math.min(hourStart(toMs), day + 23 * HOUR_MS);
    for (const row of await readMetricsRows(ctx, day, last)) {
      addInto(sums, 'ALL', row.all);
      for (const [ticker, counts] of row.tickers) addInto(sums, ticker, counts);
    }
  }
  return sums;
}

/** What a set of distinct items adds to one counter. */
function expectedSums(items: readonly { sentiment: string; score: number }[]): CounterSums {
  const sum = zero();
  for (const item of items) {
    sum.total += 1;
    if (item.sentiment === 'positive') sum.positive += 1;
    if (item.sentiment === 'neutral') sum.neutral += 1;
    if (item.sentiment === 'negative') sum.negative += 1;
    sum.scoreSum += item.score;
  }
  return sum;
}

export type { CounterSums };
export { expectedSums, readCounterSums };
