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
 * Steps 2-4 run once per batch for all the items it owns (see `complete`).
 *
 * A re-post of a `done` item is a duplicate (or a conflict if the content differs) and writes
 * nothing. A re-post of a `pending` item whose owner's lease ran out (the owner died mid-way)
 * claims the lease with a conditional update and finishes steps 2-4; the guards make step 3
 * count each counter exactly once whoever gets there first. The one case that could count twice
 * is an owner still working after its lease (30 s) expired, which a request cannot outlive.
 */
import { createHash, randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
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

type Claim = { readonly status: IngestStatus; readonly owned?: Owned };

/** Step 1 for one item: whether this request owns it (and must complete it) or what it is. */
async function claimItem(ctx: StoreContext, input: ItemInput): Promise<Claim> {
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
  return { status: 'created', owned: { marker, owner } };
}

async function handleExisting(ctx: StoreContext, itemId: string, hash: string): Promise<Claim> {
  const { Item: existing } = await ctx.documents.send(
    new GetCommand({ TableName: ctx.tableName, Key: markerKey(itemId), ConsistentRead: true }),
  );
  const marker = existing as Marker | undefined;
  // Deleted between the two calls (TTL): the caller's retry will create it afresh.
  if (marker === undefined) return { status: 'duplicate' };
  if (marker.hash !== hash) return { status: 'conflict' };
  const now = ctx.now();
  if (marker.state === 'done' || (marker.lease_until ?? 0) > now) return { status: 'duplicate' };
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
    if (isConditionFailure(error)) return { status: 'duplicate' };
    throw error;
  }
  return { status: 'duplicate', owned: { marker: await repositionIfMissing(ctx, marker, owner), owner } };
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

interface Owned {
  readonly marker: Marker;
  readonly owner: string;
}

/** BatchWriteItem in chunks of 25, retrying what DynamoDB leaves unprocessed (throttling). */
async function batchPut(ctx: StoreContext, rows: readonly Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 25) {
    let requests: { PutRequest: { Item: Record<string, unknown> } }[] = rows
      .slice(i, i + 25)
      .map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt === 8) throw new Error('BatchWriteItem left items unprocessed after 8 attempts');
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));
      const { UnprocessedItems } = await ctx.documents.send(
        new BatchWriteCommand({ RequestItems: { [ctx.tableName]: requests } }),
      );
      requests = (UnprocessedItems?.[ctx.tableName] ?? []) as typeof requests;
    }
  }
}

/** Adds `items` to one counter, guarded per item; false when any of them was counted there before. */
async function addToCounter(
  ctx: StoreContext,
  key: { pk: string; sk: string },
  entries: readonly Owned[],
  ttl: number,
): Promise<boolean> {
  const names: Record<string, string> = { '#total': 'total', '#ttl': 'ttl' };
  const values: Record<string, unknown> = { ':total': entries.length, ':score': 0, ':ttl': ttl };
  const sets = ['#ttl = :ttl'];
  const guards: string[] = [];
  const bySentiment = new Map<string, number>();
  entries.forEach(({ marker, owner }, i) => {
    names[`#p${i}`] = `p_${marker.item.item_id}`;
    values[`:o${i}`] = owner;
    sets.push(`#p${i} = :o${i}`);
    guards.push(`attribute_not_exists(#p${i})`);
    values[':score'] = (values[':score'] as number) + marker.item.score;
    bySentiment.set(marker.item.sentiment, (bySentiment.get(marker.item.sentiment) ?? 0) + 1);
  });
  const adds = ['#total :total', 'score_sum :score'];
  for (const [sentiment, count] of bySentiment) {
    names[`#${sentiment}`] = sentiment;
    values[`:${sentiment}`] = count;
    adds.push(`#${sentiment} :${sentiment}`);
  }
  try {
    await ctx.documents.send(
      new UpdateCommand({
        TableName: ctx.tableName,
        Key: key,
        UpdateExpression: `ADD ${adds.join(', ')} SET ${sets.join(', ')}`,
        ConditionExpression: guards.join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

async function removePending(
  ctx: StoreContext,
  key: { pk: string; sk: string },
  entries: readonly Owned[],
): Promise<void> {
  const names = Object.fromEntries(entries.map(({ marker }, i) => [`#p${i}`, `p_${marker.item.item_id}`]));
  await ctx.documents.send(
    new UpdateCommand({
      TableName: ctx.tableName,
      Key: key,
      UpdateExpression: `REMOVE ${Object.keys(names).join(', ')}`,
      ExpressionAttributeNames: names,
    }),
  );
}

/**
 * Steps 2-4 for items this request owns, batched: feed entries and `done` markers as
 * BatchWrites, one guarded ADD per counter for the whole batch. A counter whose guard fails
 * (a previous owner got there for one of the items) is retried item by item, so each item is
 * counted there exactly once.
 */
async function complete(ctx: StoreContext, owned: readonly Owned[]): Promise<void> {
  if (owned.length === 0) return;
  await batchPut(
    ctx,
    owned.map(({ marker }) => ({
      pk: marker.feed_pk,
      sk: marker.feed_sk,
      gsi1pk: tickerIndexKey(marker.item.ticker),
      gsi1sk: marker.feed_sk,
      item: marker.item,
      ttl: ttlSeconds(parseFeedSortKey(marker.feed_sk).arrivalMs + ctx.retentionMs),
    })),
  );
  const counters = new Map<string, { key: { pk: string; sk: string }; entries: Owned[]; ttl: number }>();
  for (const entry of owned) {
    const { arrival_ms: arrival, item } = entry.marker;
    // Counters outlive their hour by the retention plus a day of slack for the window.
    const ttl = ttlSeconds(arrival + ctx.retentionMs + DAY_MS);
    for (const key of [counterKey(arrival, 'all'), counterKey(arrival, { ticker: item.ticker })]) {
      const id = `${key.pk}/${key.sk}`;
      const group = counters.get(id) ?? { key, entries: [], ttl };
      group.entries.push(entry);
      counters.set(id, group);
    }
  }
  await Promise.all(
    [...counters.values()].map(async ({ key, entries, ttl }) => {
      if (await addToCounter(ctx, key, entries, ttl)) return;
      for (const entry of entries) await addToCounter(ctx, key, [entry], ttl);
    }),
  );
  await batchPut(
    ctx,
    owned.map(({ marker }) => {
      const { lease_until: _lease, ...rest } = marker;
      return { ...rest, state: 'done', ttl: ttlSeconds(marker.arrival_ms + ctx.retentionMs) };
    }),
  );
  // Pending attributes only matter until the markers say `done`.
  await Promise.all([...counters.values()].map(({ key, entries }) => removePending(ctx, key, entries)));
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
  const owned: Owned[] = [];
  await Promise.all(
    firsts.map(async (position) => {
      const claim = await claimItem(ctx, items[position] as ItemInput);
      statuses.set(position, claim.status);
      if (claim.owned !== undefined) owned.push(claim.owned);
    }),
  );
  await complete(ctx, owned);
  const results = items.map((item, position): IngestStatus => {
    const first = firstAt.get(item.item_id) ?? position;
    if (first === position) return statuses.get(position) ?? 'duplicate';
    return contentHash(items[first] as ItemInput) === contentHash(item) ? 'duplicate' : 'conflict';
  });
  return results;
}

export type { IngestStatus };
export { contentHash, ingestItems, LEASE_MS };
