/**
 * Idempotent ingest without transactions (dynalite has none): conditional writes only.
 *
 * Per item, in this order:
 * 1. **Marker** `ITEM#<id>`: put only if absent. It fixes the arrival stamp and feed position,
 *    holds a content hash (to tell a re-post from a conflicting one), a state (`pending` →
 *    `done`) and a lease. The request that creates it owns the item.
 * 2. **Feed entry** at the marker's position: an idempotent put (same key, same content).
 * 3. **Counters** (hour × all, hour × ticker): `ADD` guarded by `attribute_not_exists(p_<id>)`,
 *    a pending attribute set in the same update. A second attempt at the same counter fails
 *    its condition instead of counting twice.
 * 4. Marker `done`, then the pending attributes are removed (they only matter while pending).
 *
 * A re-post of a `done` item is a duplicate (or a conflict if the content differs) and writes
 * nothing. A re-post of a `pending` item whose owner's lease ran out (the owner died mid-way)
 * claims the lease with a conditional update and finishes steps 2-4; the guards make step 3
 * count each counter exactly once whoever gets there first. The one case that could count twice
 * is an owner still working after its lease (30 s) expired, which a request cannot outlive.
 */
import { createHash, randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Item, ItemInput } from '../contract/index.ts';
import type { StoreContext } from './context.ts';
import { counterKey, DAY_MS, feedKey, markerKey, parseFeedSortKey, tickerIndexKey, ttlSeconds } from './keys.ts';

/** How long an owner may take to finish an item before a retry may take over. */
const LEASE_MS = 30_000;

type IngestStatus = 'created' | 'duplicate' | 'conflict';

interface Marker {
  readonly pk: string;
  readonly sk: string;
  readonly hash: string;
  readonly state: 'pending' | 'done';
  readonly arrival_ms: number;
  readonly feed_pk: string;
  readonly feed_sk: string;
  readonly lease_until?: number;
  readonly owner?: string;
  readonly item: Item;
}

/** Content fingerprint with sorted keys, so field order in the JSON body does not matter. */
function contentHash(input: ItemInput): string {
  const sorted = Object.fromEntries(Object.entries(input).sort(([a], [b]) => a.localeCompare(b)));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('base64url');
}

const isConditionFailure = (error: unknown): boolean => error instanceof ConditionalCheckFailedException;

async function ingestItem(ctx: StoreContext, input: ItemInput): Promise<IngestStatus> {
  const now = ctx.now();
  const hash = contentHash(input);
  const item: Item = { ...input, ingested_at: new Date(now).toISOString() };
  const position = feedKey(now, input.item_id);
  const owner = randomUUID();
  const marker: Marker = {
    ...markerKey(input.item_id),
    hash,
    state: 'pending',
    arrival_ms: now,
    feed_pk: position.pk,
    feed_sk: position.sk,
    lease_until: now + LEASE_MS,
    owner,
    item,
  };
  try {
    await ctx.documents.send(
      new PutCommand({
        TableName: ctx.tableName,
        Item: { ...marker, ttl: ttlSeconds(now + ctx.retentionMs) },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    return handleExisting(ctx, input.item_id, hash);
  }
  await complete(ctx, marker, owner);
  return 'created';
}

async function handleExisting(ctx: StoreContext, itemId: string, hash: string): Promise<IngestStatus> {
  const { Item: existing } = await ctx.documents.send(
    new GetCommand({ TableName: ctx.tableName, Key: markerKey(itemId), ConsistentRead: true }),
  );
  const marker = existing as Marker | undefined;
  // Deleted between the two calls (TTL): the caller's retry will create it afresh.
  if (marker === undefined) return 'duplicate';
  if (marker.hash !== hash) return 'conflict';
  const now = ctx.now();
  if (marker.state === 'done' || (marker.lease_until ?? 0) > now) return 'duplicate';
  // The owner died mid-way: take the lease over and finish its work.
  const owner = randomUUID();
  try {
    await ctx.documents.send(
      new UpdateCommand({
        TableName: ctx.tableName,
        Key: markerKey(itemId),
        UpdateExpression: 'SET lease_until = :until, #owner = :owner',
        ConditionExpression: '#state = :pending AND lease_until = :seen',
        ExpressionAttributeNames: { '#owner': 'owner', '#state': 'state' },
        ExpressionAttributeValues: {
          ':until': now + LEASE_MS,
          ':owner': owner,
          ':pending': 'pending',
          ':seen': marker.lease_until ?? 0,
        },
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) return 'duplicate';
    throw error;
  }
  await complete(ctx, await repositionIfMissing(ctx, marker, owner), owner);
  return 'duplicate';
}

/**
 * A new owner re-stamps the feed position when the first owner never wrote the feed entry: its
 * old stamp is long past every reader's watermark, and an entry written there would be skipped.
 */
async function repositionIfMissing(ctx: StoreContext, marker: Marker, owner: string): Promise<Marker> {
  const { Item: entry } = await ctx.documents.send(
    new GetCommand({ TableName: ctx.tableName, Key: { pk: marker.feed_pk, sk: marker.feed_sk }, ConsistentRead: true }),
  );
  if (entry !== undefined) return marker;
  const position = feedKey(ctx.now(), marker.item.item_id);
  await ctx.documents.send(
    new UpdateCommand({
      TableName: ctx.tableName,
      Key: markerKey(marker.item.item_id),
      UpdateExpression: 'SET feed_pk = :pk, feed_sk = :sk',
      ConditionExpression: '#owner = :owner',
      ExpressionAttributeNames: { '#owner': 'owner' },
      ExpressionAttributeValues: { ':pk': position.pk, ':sk': position.sk, ':owner': owner },
    }),
  );
  return { ...marker, feed_pk: position.pk, feed_sk: position.sk };
}

async function complete(ctx: StoreContext, marker: Marker, owner: string): Promise<void> {
  const { item } = marker;
  const expiresAt = ttlSeconds(parseFeedSortKey(marker.feed_sk).arrivalMs + ctx.retentionMs);
  await ctx.documents.send(
    new PutCommand({
      TableName: ctx.tableName,
      Item: {
        pk: marker.feed_pk,
        sk: marker.feed_sk,
        gsi1pk: tickerIndexKey(item.ticker),
        gsi1sk: marker.feed_sk,
        item,
        ttl: expiresAt,
      },
    }),
  );
  const counters = [counterKey(marker.arrival_ms, 'all'), counterKey(marker.arrival_ms, { ticker: item.ticker })];
  const pending = `p_${item.item_id}`;
  await Promise.all(
    counters.map(async (key) => {
      try {
        await ctx.documents.send(
          new UpdateCommand({
            TableName: ctx.tableName,
            Key: key,
            UpdateExpression: 'ADD #total :one, #sentiment :one, score_sum :score SET #pending = :owner, #ttl = :ttl',
            ConditionExpression: 'attribute_not_exists(#pending)',
            ExpressionAttributeNames: {
              '#total': 'total',
              '#sentiment': item.sentiment,
              '#pending': pending,
              '#ttl': 'ttl',
            },
            ExpressionAttributeValues: {
              ':one': 1,
              ':score': item.score,
              ':owner': owner,
              // Counters outlive their hour by the retention plus a day of slack for the window.
              ':ttl': ttlSeconds(marker.arrival_ms + ctx.retentionMs + DAY_MS),
            },
          }),
        );
      } catch (error) {
        // A previous owner already counted it here.
        if (!isConditionFailure(error)) throw error;
      }
    }),
  );
  await ctx.documents.send(
    new UpdateCommand({
      TableName: ctx.tableName,
      Key: markerKey(item.item_id),
      UpdateExpression: 'SET #state = :done REMOVE lease_until',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':done': 'done' },
    }),
  );
  await Promise.all(
    counters.map((key) =>
      ctx.documents.send(
        new UpdateCommand({
          TableName: ctx.tableName,
          Key: key,
          UpdateExpression: 'REMOVE #pending',
          ExpressionAttributeNames: { '#pending': pending },
        }),
      ),
    ),
  );
}

/** Ingests a validated batch; one status per item, in order. Items of one batch run concurrently. */
async function ingestItems(ctx: StoreContext, items: readonly ItemInput[]): Promise<IngestStatus[]> {
  // The same id twice in one batch: the first occurrence decides, later ones are re-posts.
  const firstAt = new Map<string, number>();
  items.forEach((item, position) => {
    if (!firstAt.has(item.item_id)) firstAt.set(item.item_id, position);
  });
  const firsts = [...firstAt.values()];
  const statuses = new Map<number, IngestStatus>();
  await Promise.all(
    firsts.map(async (position) => {
      statuses.set(position, await ingestItem(ctx, items[position] as ItemInput));
    }),
  );
  const results = items.map((item, position): IngestStatus => {
    const first = firstAt.get(item.item_id) ?? position;
    if (first === position) return statuses.get(position) ?? 'duplicate';
    return contentHash(items[first] as ItemInput) === contentHash(item) ? 'duplicate' : 'conflict';
  });
  return results;
}

export type { IngestStatus };
export { contentHash, ingestItems, LEASE_MS };
