/**
 * Idempotent ingest without transactions (dynalite has none): conditional writes only.
 *
 * Per item, in this order:
 * 1. **Marker** `ITEM#<id>`: put only if absent. It holds the arrival stamp (feed position,
 *    counter hour, `ingested_at`), a content hash (to tell a re-post from a conflicting one), the
 *    item itself, a state (`pending` → `done`) and a lease. The request that creates it owns the
 *    item.
 * 2. **Feed entry** at the marker's position: an idempotent put (same key, same content). Once
 *    it is sent, the stamp is final.
 * 3. **Counters** (hour × all, hour × ticker): `ADD` guarded by `attribute_not_exists(p_<id>)`,
 *    a pending attribute set in the same update. A second attempt at the same counter fails
 *    its condition instead of counting twice.
 * 4. Marker `done`, then the pending attributes are removed (they only matter while pending).
 *
 * Steps 2-4 run once per batch for all the items it owns (see `complete`).
 *
 * Readers trust a stamp to become visible within the settle window (`settleMs`, cursor.ts). So a
 * feed entry is only ever sent at a stamp younger than half that window: an item whose stamp aged
 * past it before its feed put leaves (slow claims in the batch, throttling retries, a takeover) is
 * re-stamped first, and counted in the hour of its final stamp (see `refreshStamps`). What remains
 * assumed: the re-stamp and the put, once sent, land within the other half (minus clock skew).
 *
 * The answer is honest: statuses come back only when every item of the batch is stored and
 * counted. A `done` marker is a duplicate (or a conflict if the content differs). A `pending`
 * marker whose lease still runs is someone else's unfinished work that this request cannot
 * confirm: the request finishes the items it owns and then throws `IngestNotConfirmedError`
 * (`in-progress`, with the time the lease ends). A `pending` marker whose lease ran out belongs to
 * an owner that died mid-way: the request claims the lease with a conditional update and finishes
 * steps 2-4 from the item stored in the marker; the guards make step 3 count each counter exactly
 * once whoever gets there first.
 *
 * The lease is the fence between owners. An owner stops writing a third of the lease before it
 * ends (`IngestNotConfirmedError`, `timeout`), so a resumer, which takes over only after the end,
 * never meets a live owner's writes unless one write stays in flight for that third of the lease.
 */
import { createHash, randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Item, ItemInput } from '../contract/index.ts';
import type { StoreContext } from './context.ts';
import { counterKey, DAY_MS, feedKey, markerKey, parseFeedSortKey, tickerIndexKey, ttlSeconds } from './keys.ts';

/** How long an owner may take to finish an item before a retry may take over (default). */
const LEASE_MS = 30_000;

/** Attempts at claiming one item when the marker changes under us (taken over, expired by TTL). */
const CLAIM_ATTEMPTS = 3;

/**
 * A feed put leaves only with a stamp younger than this share of the settle window; the rest of
 * the window is for the re-stamp and the put in flight, and for clock skew between instances.
 */
const FRESH_SHARE_OF_SETTLE = 0.5;

/** Attempts of one BatchWriteItem chunk at items DynamoDB left unprocessed (throttling). */
const BATCH_ATTEMPTS = 8;

type IngestStatus = 'created' | 'duplicate' | 'conflict';

/**
 * The batch cannot be confirmed yet; nothing was counted twice and a retry of the same batch
 * after `retryAfterMs` is safe.
 * - `in-progress`: another request's unfinished work (its lease still runs) on `itemIds`.
 * - `timeout`: this request ran out of its own lease before finishing `itemIds`.
 */
class IngestNotConfirmedError extends Error {
  readonly reason: 'in-progress' | 'timeout';
  readonly itemIds: readonly string[];
  readonly retryAfterMs: number;
  constructor(reason: 'in-progress' | 'timeout', itemIds: readonly string[], retryAfterMs: number) {
    super(`ingest not confirmed (${reason}) for ${itemIds.length} item(s); retry in ${retryAfterMs} ms`);
    this.name = 'IngestNotConfirmedError';
    this.reason = reason;
    this.itemIds = itemIds;
    this.retryAfterMs = Math.max(0, retryAfterMs);
  }
}

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

type OwnedMarker = Marker & { readonly owner: string; readonly lease_until: number };

interface Owned {
  /** The marker as this request will complete it (its owner, lease and stamp); a re-stamp replaces it. */
  marker: OwnedMarker;
  /**
   * A feed entry may exist at the marker's position (a put for it was sent and not handed back
   * unprocessed, or a previous owner's entry is there): the stamp is final, since moving it would
   * list the item twice.
   */
  placed: boolean;
}

type Claim =
  /** Final: the item is stored and counted (by this request when `owned`, once it completes). */
  | { readonly kind: 'final'; readonly status: IngestStatus; readonly storedHash: string; readonly owned?: Owned }
  /** Another request's lease on the item runs until `leaseUntil`. */
  | { readonly kind: 'busy'; readonly leaseUntil: number };

/** Content fingerprint with sorted keys, so field order in the JSON body does not matter. */
function contentHash(input: ItemInput): string {
  const sorted = Object.fromEntries(Object.entries(input).sort(([a], [b]) => a.localeCompare(b)));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('base64url');
}

const isConditionFailure = (error: unknown): boolean => error instanceof ConditionalCheckFailedException;

/** Step 1 for one item: this request owns it (and must complete it), or what it already is. */
async function claimItem(ctx: StoreContext, input: ItemInput): Promise<Claim> {
  const hash = contentHash(input);
  for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
    const now = ctx.now();
    const position = feedKey(now, input.item_id);
    const marker = {
      ...markerKey(input.item_id),
      hash,
      state: 'pending' as const,
      arrival_ms: now,
      feed_pk: position.pk,
      feed_sk: position.sk,
      lease_until: now + ctx.ingestLeaseMs,
      owner: randomUUID(),
      item: { ...input, ingested_at: new Date(now).toISOString() },
    };
    try {
      await ctx.documents.send(
        new PutCommand({
          TableName: ctx.tableName,
          Item: { ...marker, ttl: ttlSeconds(now + ctx.retentionMs) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { kind: 'final', status: 'created', storedHash: hash, owned: { marker, placed: false } };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const { Item: existing } = await ctx.documents.send(
      new GetCommand({ TableName: ctx.tableName, Key: markerKey(input.item_id), ConsistentRead: true }),
    );
    // Expired (TTL) between the two calls: claim it afresh.
    if (existing === undefined) continue;
    // Our own put landed and the SDK retried it (the response was lost): the item is ours.
    if (existing.owner === marker.owner)
      return { kind: 'final', status: 'created', storedHash: hash, owned: { marker, placed: false } };
    const claim = await inspectExisting(ctx, existing as Marker, hash);
    if (claim !== undefined) return claim;
  }
  // The marker kept changing under us (other resumers): someone holds a fresh lease now.
  return { kind: 'busy', leaseUntil: ctx.now() + ctx.ingestLeaseMs };
}

/**
 * What an existing marker means for a re-post with content `hash`: final when done, busy while
 * its owner's lease runs, otherwise taken over (undefined when another resumer was faster).
 */
async function inspectExisting(ctx: StoreContext, marker: Marker, hash: string): Promise<Claim | undefined> {
  const status: IngestStatus = marker.hash === hash ? 'duplicate' : 'conflict';
  if (marker.state === 'done') return { kind: 'final', status, storedHash: marker.hash };
  const now = ctx.now();
  const leaseUntil = marker.lease_until ?? 0;
  if (leaseUntil > now) return { kind: 'busy', leaseUntil };
  // The owner died mid-way: take the lease over and finish its work, with the content it stored
  // (also for a conflicting re-post: the first write wins, and it must be whole).
  const owner = randomUUID();
  const until = now + ctx.ingestLeaseMs;
  try {
    await ctx.documents.send(
      new UpdateCommand({
        TableName: ctx.tableName,
        Key: markerKey(marker.item.item_id),
        UpdateExpression: 'SET lease_until = :until, #owner = :owner',
        // `OR #owner = :owner`: an SDK retry of this very update must not lose the lease it won.
        ConditionExpression: '(#state = :pending AND lease_until = :seen) OR #owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner', '#state': 'state' },
        ExpressionAttributeValues: { ':until': until, ':owner': owner, ':pending': 'pending', ':seen': leaseUntil },
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
  const taken = await repositionIfMissing(ctx, { ...marker, owner, lease_until: until });
  // This request stores and counts the item: `created` for the same content.
  return {
    kind: 'final',
    status: status === 'duplicate' ? 'created' : 'conflict',
    storedHash: marker.hash,
    owned: taken,
  };
}

/**
 * A new owner re-stamps the item when the first owner never wrote the feed entry: its old stamp
 * is long past every reader's watermark, and an entry written there would be skipped. When the
 * entry is there, it has been visible since then, and the item keeps its stamp.
 */
async function repositionIfMissing(ctx: StoreContext, marker: OwnedMarker): Promise<Owned> {
  const { Item: entry } = await ctx.documents.send(
    new GetCommand({ TableName: ctx.tableName, Key: { pk: marker.feed_pk, sk: marker.feed_sk }, ConsistentRead: true }),
  );
  if (entry !== undefined) return { marker, placed: true };
  return { marker: await restamp(ctx, marker), placed: false };
}

/**
 * Moves an owned item to a new arrival stamp, now: feed position, counter hour and `ingested_at`
 * together, so it is listed and counted at one instant. Only for an item whose feed entry nobody
 * wrote; such an item is counted nowhere yet, since counting starts only after the batch's feed
 * puts have all been applied.
 */
async function restamp(ctx: StoreContext, marker: OwnedMarker): Promise<OwnedMarker> {
  const now = ctx.now();
  const position = feedKey(now, marker.item.item_id);
  const item = { ...marker.item, ingested_at: new Date(now).toISOString() };
  try {
    await ctx.documents.send(
      new UpdateCommand({
        TableName: ctx.tableName,
        Key: markerKey(marker.item.item_id),
        UpdateExpression: 'SET arrival_ms = :arrival, feed_pk = :pk, feed_sk = :sk, #item = :item',
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner', '#item': 'item' },
        ExpressionAttributeValues: {
          ':arrival': now,
          ':pk': position.pk,
          ':sk': position.sk,
          ':item': item,
          ':owner': marker.owner,
        },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    // Another request took the item over, so this one's lease is over (clock skew): stop here.
    throw new IngestNotConfirmedError('timeout', [marker.item.item_id], marker.lease_until - now);
  }
  return { ...marker, arrival_ms: now, feed_pk: position.pk, feed_sk: position.sk, item };
}

/**
 * Re-stamps the items about to be sent to the feed whose stamp is older than the fresh share of
 * the settle window and that have no entry anywhere yet. A settle window of 0 promises nothing
 * about late writes, so there is nothing to keep fresh.
 */
async function refreshStamps(ctx: StoreContext, owned: readonly Owned[]): Promise<void> {
  if (ctx.settleMs <= 0) return;
  const oldest = ctx.now() - ctx.settleMs * FRESH_SHARE_OF_SETTLE;
  await Promise.all(
    owned
      .filter((entry) => !entry.placed && entry.marker.arrival_ms < oldest)
      .map(async (entry) => {
        entry.marker = await restamp(ctx, entry.marker);
      }),
  );
}

/**
 * Throws before a write that could land after this request's lease: a third of the lease is
 * kept free, for the write in flight and for clock skew between instances.
 */
function fence(ctx: StoreContext, owned: readonly Owned[]): () => void {
  const leaseEnd = Math.min(...owned.map(({ marker }) => marker.lease_until));
  const deadline = leaseEnd - ctx.ingestLeaseMs / 3;
  return () => {
    const now = ctx.now();
    if (now < deadline) return;
    const ids = owned.map(({ marker }) => marker.item.item_id);
    throw new IngestNotConfirmedError('timeout', ids, leaseEnd - now);
  };
}

type Row = Record<string, unknown>;

/** Backoff before attempt `attempt` (> 0) of a BatchWrite chunk: 50 ms, doubling. */
const backoff = (attempt: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));

/** One BatchWriteItem of puts; the rows DynamoDB left unprocessed (not written). */
async function sendPuts(ctx: StoreContext, rows: readonly Row[]): Promise<Row[]> {
  const { UnprocessedItems } = await ctx.documents.send(
    new BatchWriteCommand({ RequestItems: { [ctx.tableName]: rows.map((Item) => ({ PutRequest: { Item } })) } }),
  );
  const left = (UnprocessedItems?.[ctx.tableName] ?? []) as { PutRequest?: { Item?: Row } }[];
  return left.flatMap((request) => (request.PutRequest?.Item ? [request.PutRequest.Item] : []));
}

const tooManyAttempts = () => new Error(`BatchWriteItem left items unprocessed after ${BATCH_ATTEMPTS} attempts`);

/** BatchWriteItem in chunks of 25, retrying what DynamoDB leaves unprocessed (throttling). */
async function batchPut(ctx: StoreContext, rows: readonly Row[], check: () => void): Promise<void> {
  for (let i = 0; i < rows.length; i += 25) {
    let pending = rows.slice(i, i + 25);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt === BATCH_ATTEMPTS) throw tooManyAttempts();
      if (attempt > 0) await backoff(attempt);
      check();
      pending = await sendPuts(ctx, pending);
    }
  }
}

const feedRow = (ctx: StoreContext, marker: OwnedMarker): Row => ({
  pk: marker.feed_pk,
  sk: marker.feed_sk,
  gsi1pk: tickerIndexKey(marker.item.ticker),
  gsi1sk: marker.feed_sk,
  item: marker.item,
  ttl: ttlSeconds(parseFeedSortKey(marker.feed_sk).arrivalMs + ctx.retentionMs),
});

/**
 * Step 2, the feed entries: like `batchPut`, but right before each send (retries included) the
 * entries it carries get fresh stamps where theirs aged (`refreshStamps`). An entry DynamoDB
 * applied keeps its stamp for good; one it left unprocessed was not written and may move again.
 */
async function writeFeed(ctx: StoreContext, owned: readonly Owned[], check: () => void): Promise<void> {
  for (let i = 0; i < owned.length; i += 25) {
    let pending = owned.slice(i, i + 25);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt === BATCH_ATTEMPTS) throw tooManyAttempts();
      if (attempt > 0) await backoff(attempt);
      check();
      await refreshStamps(ctx, pending);
      check();
      // From the send on, an entry may exist: only what DynamoDB hands back unprocessed was not written.
      for (const entry of pending) entry.placed = true;
      const unprocessed = await sendPuts(
        ctx,
        pending.map(({ marker }) => feedRow(ctx, marker)),
      );
      const left = new Set(unprocessed.map((row) => row.sk));
      pending = pending.filter(({ marker }) => left.has(marker.feed_sk));
      for (const entry of pending) entry.placed = false;
    }
  }
}

/** Adds `entries` to one counter, guarded per item; false when any of them was counted there before. */
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
  entries.forEach(({ marker }, i) => {
    names[`#p${i}`] = `p_${marker.item.item_id}`;
    values[`:o${i}`] = marker.owner;
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

interface CounterGroup {
  readonly key: { pk: string; sk: string };
  readonly entries: Owned[];
  readonly ttl: number;
}

/** The counters the owned items go to (hour × all, hour × ticker), each with its items. */
function counterGroups(ctx: StoreContext, owned: readonly Owned[]): CounterGroup[] {
  const counters = new Map<string, CounterGroup>();
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
  return [...counters.values()];
}

/**
 * Steps 2-4 for items this request owns, batched: feed entries and `done` markers as
 * BatchWrites, one guarded ADD per counter for the whole batch. A counter whose guard fails
 * (a previous owner got there for one of the items) is retried item by item, so each item is
 * counted there exactly once.
 *
 * The `done` markers are plain puts: no one else can hold these items' leases before they end,
 * and the fence stops this request from writing that late.
 */
async function complete(ctx: StoreContext, owned: readonly Owned[]): Promise<void> {
  if (owned.length === 0) return;
  const check = fence(ctx, owned);
  await writeFeed(ctx, owned, check);
  // From here on every stamp is final: counters and `done` markers use it.
  const counters = counterGroups(ctx, owned);
  await Promise.all(
    counters.map(async ({ key, entries, ttl }) => {
      check();
      if (await addToCounter(ctx, key, entries, ttl)) return;
      for (const entry of entries) {
        check();
        await addToCounter(ctx, key, [entry], ttl);
      }
    }),
  );
  await batchPut(
    ctx,
    owned.map(({ marker }) => {
      const { lease_until: _lease, ...rest } = marker;
      return { ...rest, state: 'done', ttl: ttlSeconds(marker.arrival_ms + ctx.retentionMs) };
    }),
    check,
  );
  // Pending attributes only matter until the markers say `done`. A crash before this leaves
  // them behind: harmless (no one counts a `done` item again), and they expire with the counter.
  await Promise.all(counters.map(({ key, entries }) => removePending(ctx, key, entries)));
}

/**
 * Ingests a validated batch; one final status per item, in order, only when every item is stored
 * and counted. Throws `IngestNotConfirmedError` when some item is another request's unfinished
 * work (after finishing everything this request owns) or when this request ran out of its lease.
 * Items of one batch run concurrently.
 */
async function ingestItems(ctx: StoreContext, items: readonly ItemInput[]): Promise<IngestStatus[]> {
  // The same id twice in one batch: the first occurrence claims, later ones are re-posts of it.
  const firstAt = new Map<string, number>();
  items.forEach((item, position) => {
    if (!firstAt.has(item.item_id)) firstAt.set(item.item_id, position);
  });
  const claims = new Map<string, Claim>();
  await Promise.all(
    [...firstAt].map(async ([itemId, position]) => {
      claims.set(itemId, await claimItem(ctx, items[position] as ItemInput));
    }),
  );
  await complete(
    ctx,
    [...claims.values()].flatMap((claim) => (claim.kind === 'final' && claim.owned ? [claim.owned] : [])),
  );
  // In batch order, so the answer names them the way the client sent them.
  const busy = [...firstAt.keys()].flatMap((itemId) => {
    const claim = claims.get(itemId);
    return claim?.kind === 'busy' ? [{ itemId, leaseUntil: claim.leaseUntil }] : [];
  });
  if (busy.length > 0) {
    const until = Math.max(...busy.map(({ leaseUntil }) => leaseUntil));
    throw new IngestNotConfirmedError(
      'in-progress',
      busy.map(({ itemId }) => itemId),
      until - ctx.now(),
    );
  }
  return items.map((item, position): IngestStatus => {
    const claim = claims.get(item.item_id);
    if (claim?.kind !== 'final') throw new Error('unreachable: every item was claimed');
    if (firstAt.get(item.item_id) === position) return claim.status;
    return contentHash(item) === claim.storedHash ? 'duplicate' : 'conflict';
  });
}

export type { IngestStatus };
export { contentHash, IngestNotConfirmedError, ingestItems, LEASE_MS };
