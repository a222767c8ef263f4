/**
 * Step 3 of an ingest, exactly-once counting without transactions: each counter (arrival hour ×
 * all, arrival hour × ticker; history slot × all, history slot × ticker) gets one `ADD` for all
 * the owned items it counts, guarded by `attribute_not_exists(p_<id>)` per item, with those
 * pending attributes set in the same update.
 * A second attempt at the same counter fails its condition instead of counting twice. The pending
 * attributes are removed once the markers say `done` (they only matter while pending).
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { StoreContext } from './context.ts';
import { isConditionFailure, type Owned } from './ingest-model.ts';
import { historyCounters } from './history-window.ts';
import { counterKey, DAY_MS, ttlSeconds } from './keys.ts';

interface CounterGroup {
  readonly key: { pk: string; sk: string };
  readonly entries: Owned[];
  readonly ttl: number;
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

/**
 * The counters the owned items go to, each with its items: arrival hour × all and × ticker, and
 * the history slot of the item's `timestamp` × all and × ticker (history-window.ts), all under
 * the same guards.
 */
function counterGroups(ctx: StoreContext, owned: readonly Owned[]): CounterGroup[] {
  const counters = new Map<string, CounterGroup>();
  for (const entry of owned) {
    const { arrival_ms: arrival, item } = entry.marker;
    // Counters outlive their hour by the retention plus a day of slack for the window.
    const hourTtl = ttlSeconds(arrival + ctx.retentionMs + DAY_MS);
    const targets = [
      { key: counterKey(arrival, 'all'), ttl: hourTtl },
      { key: counterKey(arrival, { ticker: item.ticker }), ttl: hourTtl },
      ...historyCounters(item, arrival),
    ];
    for (const { key, ttl } of targets) {
      const id = `${key.pk}/${key.sk}`;
      const group = counters.get(id) ?? { key, entries: [], ttl };
      group.entries.push(entry);
      counters.set(id, group);
    }
  }
  return [...counters.values()];
}

/**
 * Counts every item of every group exactly once: one guarded ADD per counter for the whole group;
 * a counter whose guard fails (a previous owner got there for one of the items) is retried item by
 * item. `check` runs before every update and throws to stop writing.
 */
async function countOnce(ctx: StoreContext, counters: readonly CounterGroup[], check: () => void): Promise<void> {
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
}

/** Removes the pending attributes the groups' items left on their counters. */
async function clearPending(ctx: StoreContext, counters: readonly CounterGroup[]): Promise<void> {
  await Promise.all(counters.map(({ key, entries }) => removePending(ctx, key, entries)));
}

export type { CounterGroup };
export { clearPending, counterGroups, countOnce };
