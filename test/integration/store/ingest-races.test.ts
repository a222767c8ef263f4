/**
 * An ingest racing another request for the same item, at the exact moments between its store
 * calls (its calls go through a store proxy whose hook runs the racer, another store on the same
 * table, before letting the call through). Proves the rules of docs/data-model.md, "The log": of
 * two retries taking over a dead writer's item one writes it and the other answers `duplicate`;
 * a writer slower than the whole window that finds its item taken over answers "not confirmed"
 * (409) instead of writing it again; a marker that disappears while a re-post waits on it is
 * claimed afresh; a marker that keeps changing under every claim (claimed by another request, gone
 * again when read) holds the request no longer than its wait for busy items, and answers "not
 * confirmed"; a store failure in a takeover reaches the caller and changes nothing. In every case
 * the item ends up in the feed exactly once.
 */
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ItemInput } from '../../../src/contract/index.ts';
import { IngestNotConfirmedError } from '../../../src/store/index.ts';
import { contentHash } from '../../../src/store/ingest.ts';
import { feedPartition, feedSortKey, markerKey } from '../../../src/store/keys.ts';
import { feedRows } from '../../support/feed-rows.ts';
import { dynamoError, type ProxiedStore, startProxiedStore } from '../../support/proxied-store.ts';
import type { Action, StoreCall } from '../../support/store-proxy.ts';
import { itemInput } from '../../support/test-store.ts';

let t: ProxiedStore;
beforeEach(async () => {
  t = await startProxiedStore({ settleMs: 5000 });
});
afterEach(async () => {
  await t.close();
});

/** A takeover is allowed 1.5 write windows (FEED_SETTLE_MS, 5 s here) after the marker's stamp. */
const TAKEOVER_AFTER_MS = 7500;

/** The partition key a call reads or writes. */
const pkOf = (call: StoreCall): string | undefined =>
  ((call.input.Item ?? call.input.Key) as Record<string, { S?: string }> | undefined)?.pk?.S;

/** Runs `before` once, right before the first call matching `matches` is let through. */
function onceBefore(matches: (call: StoreCall) => boolean, before: () => unknown) {
  let done = false;
  t.proxy.hook = async (call): Promise<Action> => {
    if (done || !matches(call)) return 'forward';
    done = true;
    await before();
    return 'forward';
  };
}

/** The marker of a writer that is gone (or still busy), stamped at `arrivalMs`, without its feed entry. */
async function writerMarker(item: ItemInput, arrivalMs: number, writer = 'dead-writer'): Promise<void> {
  await t.direct.documents.send(
    new PutCommand({
      TableName: t.tableName,
      Item: {
        ...markerKey(item.item_id),
        hash: contentHash(item),
        shard: 5,
        feed_sk: feedSortKey(arrivalMs, item.item_id),
        writer,
        item: { ...item, ingested_at: new Date(arrivalMs).toISOString() },
      },
    }),
  );
}

async function markerOf(itemId: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await t.direct.documents.send(
    new GetCommand({ TableName: t.tableName, Key: markerKey(itemId), ConsistentRead: true }),
  );
  return Item;
}

/** How many feed entries each item has. */
async function entriesPerItem(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const row of await feedRows(t.direct.documents, t.tableName)) {
    counts[row.item.item_id] = (counts[row.item.item_id] ?? 0) + 1;
  }
  return counts;
}

describe("two retries taking over a dead writer's item at once", () => {
  it('store it once: the one that moved the marker first writes it, the other answers duplicate', async () => {
    const item = itemInput();
    await writerMarker(item, t.now() - TAKEOVER_AFTER_MS - 2500);
    let racer: string[] | undefined;
    // This retry is about to move the marker; the other moves it first and writes the entry.
    onceBefore(
      (call) => call.operation === 'UpdateItem' && pkOf(call) === `ITEM#${item.item_id}`,
      async () => {
        racer = await t.other.ingest([item]);
      },
    );

    const mine = await t.store.ingest([item]);

    expect(racer).toEqual(['created']);
    expect(mine).toEqual(['duplicate']);
    expect(await entriesPerItem()).toEqual({ [item.item_id]: 1 });
  });
});

describe('a writer slower than the whole write window', () => {
  it('answers not confirmed, without writing, when it finds its item taken over as it refreshes the stamp', async () => {
    const item = itemInput();
    const mine = (call: StoreCall, operation: string) =>
      call.operation === operation && pkOf(call) === `ITEM#${item.item_id}`;
    let stalled = false;
    let racer: string[] | undefined;
    t.proxy.hook = async (call): Promise<Action> => {
      // Its marker lands, then the writer stalls past the takeover time before its feed put…
      if (mine(call, 'PutItem') && !stalled) {
        stalled = true;
        t.advance(TAKEOVER_AFTER_MS + 500);
      }
      // …and a retry through another instance takes the item over while it re-stamps.
      if (mine(call, 'UpdateItem') && racer === undefined) racer = await t.other.ingest([item]);
      return 'forward';
    };

    const outcome: unknown = await t.store.ingest([item]).catch((error: unknown) => error);

    expect(outcome).toBeInstanceOf(IngestNotConfirmedError);
    expect(outcome).toMatchObject({ itemIds: [item.item_id], retryAfterMs: 1000 });
    expect(racer).toEqual(['created']);
    expect(await entriesPerItem()).toEqual({ [item.item_id]: 1 });
    // Its retry finds the item stored.
    expect(await t.store.ingest([item])).toEqual(['duplicate']);
  });
});

describe('a re-post waiting on a busy item', () => {
  it('claims the item afresh when its marker disappears meanwhile, and stores the rest of the batch', async () => {
    const fresh = itemInput();
    const busy = itemInput();
    // Another writer's marker, stamped now: its feed entry may still land for 7.5 s.
    await writerMarker(busy, t.now(), 'busy-writer');
    // The marker goes (TTL, or by hand) right after the re-post found its entry missing.
    onceBefore(
      (call) => call.operation === 'GetItem' && pkOf(call) === feedPartition(5),
      () => t.direct.documents.send(new DeleteCommand({ TableName: t.tableName, Key: markerKey(busy.item_id) })),
    );

    expect(await t.store.ingest([fresh, busy])).toEqual(['created', 'created']);

    expect(await entriesPerItem()).toEqual({ [fresh.item_id]: 1, [busy.item_id]: 1 });
    expect((await markerOf(busy.item_id))?.writer).not.toBe('busy-writer');
  });
});

describe('a marker that keeps changing under every claim', () => {
  it('answers not confirmed after the wait for busy items, writing nothing; a retry once it settles stores the item', async () => {
    const item = itemInput();
    const marker = markerKey(item.item_id);
    const onMarker = (call: StoreCall, operation: string) => call.operation === operation && pkOf(call) === marker.pk;
    let changes = 0;
    t.proxy.hook = async (call): Promise<Action> => {
      // Each put of the marker meets one another request has just written…
      if (onMarker(call, 'PutItem')) {
        changes += 1;
        await writerMarker(item, t.now(), `racer-${String(changes)}`);
      }
      // …and each look at it finds it gone again (expired, say).
      if (onMarker(call, 'GetItem')) {
        await t.direct.documents.send(new DeleteCommand({ TableName: t.tableName, Key: marker }));
      }
      return 'forward';
    };

    const outcome: unknown = await t.store.ingest([item]).catch((error: unknown) => error);

    expect(outcome).toBeInstanceOf(IngestNotConfirmedError);
    expect(outcome).toMatchObject({ itemIds: [item.item_id], retryAfterMs: 1000 });
    // Three attempts per claim, the claim asked again a few times within the wait.
    expect(changes).toBeGreaterThanOrEqual(6);
    expect(changes % 3).toBe(0);
    expect(await entriesPerItem()).toEqual({});

    t.proxy.hook = () => 'forward';
    expect(await t.store.ingest([item])).toEqual(['created']);
    expect(await entriesPerItem()).toEqual({ [item.item_id]: 1 });
  });
});

describe('a takeover the store fails', () => {
  it('reaches the caller as the store’s error and changes nothing; a retry after the fault stores the item', async () => {
    const item = itemInput();
    await writerMarker(item, t.now() - TAKEOVER_AFTER_MS - 2500);
    t.proxy.hook = (call) =>
      call.operation === 'UpdateItem' && pkOf(call) === `ITEM#${item.item_id}`
        ? dynamoError('InternalServerError', 'stand-in store fault', 500)
        : 'forward';

    await expect(t.store.ingest([item])).rejects.toMatchObject({ name: 'InternalServerError' });
    expect((await markerOf(item.item_id))?.writer).toBe('dead-writer');
    expect(await entriesPerItem()).toEqual({});

    t.proxy.hook = () => 'forward';
    expect(await t.store.ingest([item])).toEqual(['created']);
    expect(await entriesPerItem()).toEqual({ [item.item_id]: 1 });
  });
});
