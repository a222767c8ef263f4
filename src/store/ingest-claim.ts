/**
 * Step 1 of an ingest, per item: put the marker `ITEM#<id>` only if absent, and so become the
 * item's writer; or find what the item already is. A marker whose feed entry is missing once its
 * writer's whole window has passed belongs to a writer that died between the two puts: the claim
 * takes it over (a new stamp and writer, the stored content) and this request writes the entry.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ItemInput } from '../contract/index.ts';
import type { StoreContext } from './context.ts';
import {
  contentHash,
  decodeMarker,
  type IngestStatus,
  isConditionFailure,
  type Marker,
  type Owned,
  takeoverAt,
} from './ingest-model.ts';
import { moveStamp, newWriter } from './ingest-stamps.ts';
import { FEED_SHARDS, feedPartition, feedSortKey, markerKey, ttlSeconds } from './keys.ts';

/** Attempts at claiming one item when the marker changes under us (taken over, expired by TTL). */
const CLAIM_ATTEMPTS = 3;

type Claim =
  /** Final: the item is stored (by this request when `owned`, once its feed entry is written). */
  | { readonly kind: 'final'; readonly status: IngestStatus; readonly storedHash: string; readonly owned?: Owned }
  /** Another writer's feed entry may still land until `until` (epoch ms); after it, ask again. */
  | { readonly kind: 'busy'; readonly until: number };

/**
 * Feed shards in turn, so this process's writes spread evenly whatever the batch sizes: no shard
 * gets more than one write in FEED_SHARDS from it (docs/data-model.md, "Capacity").
 */
let nextShard = 0;
function takeShard(): number {
  const shard = nextShard;
  nextShard = (nextShard + 1) % FEED_SHARDS;
  return shard;
}

/** Step 1 for one item: this request writes it, or what it already is. */
async function claimItem(ctx: StoreContext, input: ItemInput): Promise<Claim> {
  const hash = contentHash(input);
  for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
    const now = ctx.now();
    const marker: Marker = {
      ...markerKey(input.item_id),
      hash,
      shard: takeShard(),
      feed_sk: feedSortKey(now, input.item_id),
      writer: newWriter(),
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
    const existing = await readMarker(ctx, input.item_id);
    // Expired (TTL) between the two calls: claim it afresh.
    if (existing === undefined) continue;
    // Our own put landed and the SDK retried it (the response was lost): the item is ours.
    if (existing.writer === marker.writer)
      return { kind: 'final', status: 'created', storedHash: hash, owned: { marker, placed: false } };
    const claim = await inspectExisting(ctx, existing, hash);
    if (claim !== undefined) return claim;
  }
  return stillChanging(ctx);
}

/** The marker kept changing under us: another request is writing the item now. */
const stillChanging = (ctx: StoreContext): Claim => ({ kind: 'busy', until: ctx.now() + 1000 });

/**
 * Asks again about an item that was busy: reads first (a failed conditional put would cost a
 * write unit), and claims only when the marker is gone.
 */
async function recheckItem(ctx: StoreContext, input: ItemInput): Promise<Claim> {
  const hash = contentHash(input);
  for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
    const existing = await readMarker(ctx, input.item_id);
    if (existing === undefined) return claimItem(ctx, input);
    const claim = await inspectExisting(ctx, existing, hash);
    if (claim !== undefined) return claim;
  }
  return stillChanging(ctx);
}

async function readMarker(ctx: StoreContext, itemId: string): Promise<Marker | undefined> {
  const { Item } = await ctx.documents.send(
    new GetCommand({ TableName: ctx.tableName, Key: markerKey(itemId), ConsistentRead: true }),
  );
  return Item === undefined ? undefined : decodeMarker(Item);
}

async function feedEntryExists(ctx: StoreContext, marker: Marker): Promise<boolean> {
  const { Item } = await ctx.documents.send(
    new GetCommand({
      TableName: ctx.tableName,
      Key: { pk: feedPartition(marker.shard), sk: marker.feed_sk },
      ConsistentRead: true,
      ProjectionExpression: 'pk',
    }),
  );
  return Item !== undefined;
}

/**
 * What an existing marker means for a re-post with content `hash`: final once its feed entry is
 * there; busy while its writer may still put it; taken over after that (undefined when another
 * request took it over first). A takeover keeps the stored content (the first write wins, and it
 * must be whole), also for a conflicting re-post.
 */
async function inspectExisting(ctx: StoreContext, marker: Marker, hash: string): Promise<Claim | undefined> {
  const status: IngestStatus = marker.hash === hash ? 'duplicate' : 'conflict';
  if (await feedEntryExists(ctx, marker)) return { kind: 'final', status, storedHash: marker.hash };
  const until = takeoverAt(ctx, marker);
  if (ctx.now() < until) return { kind: 'busy', until };
  const taken = await moveStamp(ctx, marker, newWriter());
  if (taken === undefined) return undefined;
  // This request stores the item: `created` for the same content.
  return {
    kind: 'final',
    status: status === 'duplicate' ? 'created' : 'conflict',
    storedHash: marker.hash,
    owned: { marker: taken, placed: false },
  };
}

export type { Claim };
export { claimItem, recheckItem };
