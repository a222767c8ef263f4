/**
 * What the steps of an ingest share: the statuses it answers, the marker it keeps per item, the
 * items a request owns, and the error of a batch it cannot confirm yet. The steps and their order
 * are described in ingest.ts.
 */
import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { Item, ItemInput } from '../contract/index.ts';

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

/** The idempotency marker `ITEM#<id>`: the arrival stamp, the content hash, the item, state and lease. */
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

/** Content fingerprint with sorted keys, so field order in the JSON body does not matter. */
function contentHash(input: ItemInput): string {
  const sorted = Object.fromEntries(Object.entries(input).sort(([a], [b]) => a.localeCompare(b)));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('base64url');
}

const isConditionFailure = (error: unknown): boolean => error instanceof ConditionalCheckFailedException;

export type { IngestStatus, Marker, Owned, OwnedMarker };
export { contentHash, IngestNotConfirmedError, isConditionFailure };
