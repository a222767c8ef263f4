/**
 * The raw hourly counters of a time span, summed per scope (`ALL` or a ticker), read straight
 * from the table: tests compare them with what the posted batches imply, to the unit.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { counterPartition, HOUR_MS, hourStart, parseCounterKey } from '../../src/store/keys.ts';

interface CounterSums {
  total: number;
  positive: number;
  neutral: number;
  negative: number;
  scoreSum: number;
}

const zero = (): CounterSums => ({ total: 0, positive: 0, neutral: 0, negative: 0, scoreSum: 0 });

/** Sums per scope (`ALL` or the ticker) of every counter whose hour lies in [fromMs, toMs]. */
async function readCounterSums(
  documents: DynamoDBDocumentClient,
  tableName: string,
  fromMs: number,
  toMs: number,
): Promise<Map<string, CounterSums>> {
  const partitions = new Set<string>();
  for (let hour = hourStart(fromMs); hour <= toMs; hour += HOUR_MS) partitions.add(counterPartition(hour));
  const sums = new Map<string, CounterSums>();
  for (const pk of partitions) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await documents.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ConsistentRead: true,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const row of page.Items ?? []) {
        const { hourMs, ticker } = parseCounterKey(String(row.pk), String(row.sk));
        if (hourMs < hourStart(fromMs) || hourMs > toMs) continue;
        const scope = ticker ?? 'ALL';
        const sum = sums.get(scope) ?? zero();
        const num = (key: string): number => (typeof row[key] === 'number' ? row[key] : 0);
        sum.total += num('total');
        sum.positive += num('positive');
        sum.neutral += num('neutral');
        sum.negative += num('negative');
        sum.scoreSum += num('score_sum');
        sums.set(scope, sum);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
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
