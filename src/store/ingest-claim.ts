/**
 * Step 1 of an ingest, per item: put the marker `ITEM#<id>` only if absent, and so own the item;
 * or find what the item already is. A `pending` marker whose lease ran out belongs to an owner
 * that died mid-way: the claim takes the lease over with a conditional update, and the request
 * finishes the item from the content stored in the marker.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ItemInput } from '../contract/index.ts';
import type { StoreContext } from './context.ts';
import { contentHash, type IngestStatus, isConditionFailure, type Marker, type Owned } from './ingest-model.ts';
import { repositionIfMissing } from './ingest-stamps.ts';
import { feedKey, markerKey, ttlSeconds } from './keys.ts';

/** Attempts at claiming one item when the marker changes under us (taken over, expired by TTL). */
const CLAIM_ATTEMPTS = 3;

type Claim =
  /** Final: the item is stored and counted (by this request when `owned`, once it completes). */
  | { readonly kind: 'final'; readonly status: IngestStatus; readonly storedHash: string; readonly owned?: Owned }
  /** Another request's lease on the item runs until `leaseUntil`. */
  | { readonly kind: 'busy'; readonly leaseUntil: number };

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

export type { Claim };
export { claimItem };
