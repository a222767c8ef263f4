/**
 * Demo history for a fresh local store: a day of items, written through the normal ingest path
 * (so feed, counters and idempotency are exactly as for live items) with the store's clock set
 * to each item's past arrival time. Runs once per store: a marker row records that it did.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createStore } from '../store/index.ts';
import { createMarket, type Random } from './market.ts';

const SEED_MARKER = { pk: 'META', sk: 'DEMO_SEED' } as const;
const DAY_MS = 86_400_000;

interface SeedOptions {
  readonly client: DynamoDBClient;
  readonly documents: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly retentionDays: number;
  readonly settleMs: number;
  readonly now: number;
  /** Items over the last 24 hours. */
  readonly items?: number;
  readonly random?: Random;
}

/** Seeds the last day unless this store was seeded before; returns how many items it wrote. */
async function seedDemoData(options: SeedOptions): Promise<number> {
  try {
    await options.documents.send(
      new PutCommand({
        TableName: options.tableName,
        Item: { ...SEED_MARKER, seeded_at: new Date(options.now).toISOString() },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return 0;
    throw error;
  }
  const count = options.items ?? 720;
  const random = options.random ?? Math.random;
  // Busier during (US) market hours: arrival times drawn with a daily rhythm.
  const stamps = Array.from({ length: count }, () => {
    for (;;) {
      const at = options.now - Math.floor(random() * (DAY_MS - 60_000)) - 60_000;
      const hour = new Date(at).getUTCHours();
      const busy = hour >= 13 && hour <= 21 ? 1 : 0.35;
      if (random() < busy) return at;
    }
  }).sort((a, b) => a - b);
  const market = createMarket('seed', random);
  const items = stamps.map((at) => ({ at, item: market.next(at) }));
  // Each item gets a store whose clock is its arrival time; a few run at once.
  const CONCURRENCY = 64;
  for (let i = 0; i < items.length; i += CONCURRENCY) {
    await Promise.all(
      items.slice(i, i + CONCURRENCY).map(({ at, item }) => createStore({ ...options, now: () => at }).ingest([item])),
    );
  }
  return count;
}

export { seedDemoData };
