/**
 * Fold rounds racing other writers and readers, at the exact moments between store calls (the
 * store under test reads and writes through a proxy that runs the racer at that moment):
 *
 * - a round whose aggregate row keeps changing under it (another writer changes the row each time
 *   the round has read it and is about to write it back) does not retry for ever: after its fixed
 *   number of attempts it fails, naming the row and the round, and stays claimed; readers stay
 *   exact meanwhile (the rows it did write count their items, the tail the rest), and the round
 *   is finished once its takeover time has passed, each item counted once in the rows;
 * - a history read whose rows were read before a fold moved the watermark, and answered after a
 *   refresh took the new watermark in, reads them again: rows and tail always stand on one
 *   watermark, so no item is lost or counted twice.
 */
import { QueryCommand, type QueryCommandInput } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FOLD_TAKEOVER_MS } from '../../../src/store/fold.ts';
import { hourStart, metricsRowKey } from '../../../src/store/keys.ts';
import { type ProxiedStore, startProxiedStore } from '../../support/proxied-store.ts';
import type { Action, StoreCall } from '../../support/store-proxy.ts';
import { itemInput } from '../../support/test-store.ts';
import type { MetricsHistory } from '../../../src/contract/index.ts';

const SETTLE_MS = 5000;
let t: ProxiedStore;
beforeEach(async () => {
  t = await startProxiedStore({ settleMs: SETTLE_MS });
});
afterEach(async () => {
  await t.close();
});

/** The keys of the row a PutItem writes. */
const keyOf = (call: StoreCall): { pk: string; sk: string } => {
  const item = call.input.Item as Record<string, { S?: string }> | undefined;
  return { pk: String(item?.pk?.S), sk: String(item?.sk?.S) };
};

const totalOf = (history: MetricsHistory): number => history.buckets.reduce((sum, bucket) => sum + bucket.total, 0);

async function rowOf(key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> {
  const { Item } = await t.direct.documents.send(
    new GetCommand({ TableName: t.tableName, Key: key, ConsistentRead: true }),
  );
  return Item;
}

describe('a fold round whose metrics row keeps changing under it', () => {
  it('fails naming the row after its attempts, keeps readers exact, and is finished once by a later round', async () => {
    await t.other.ingest([itemInput(), itemInput({ sentiment: 'negative', score: -0.5 }), itemInput()]);
    t.advance(SETTLE_MS + 1);
    const metricsRow = metricsRowKey(hourStart(t.now()));
    // Right before each write of the row, another writer puts it back with another `wm`: counts
    // untouched, and below every round, so what it leaves is still true.
    let changes = 0;
    t.proxy.hook = async (call): Promise<Action> => {
      if (call.operation !== 'PutItem' || keyOf(call).pk !== metricsRow.pk) return 'forward';
      const row = await rowOf(metricsRow);
      await t.direct.documents.send(
        new PutCommand({
          TableName: t.tableName,
          Item: {
            all: [0, 0, 0, 0, 0],
            tickers: {},
            other: [0, 0, 0, 0, 0],
            ...row,
            ...metricsRow,
            wm: ++changes,
          },
        }),
      );
      return 'forward';
    };

    const failed = await t.store.fold({ force: true }).catch((error: unknown) => error);

    expect(failed).toBeInstanceOf(Error);
    expect(failed).toMatchObject({
      message: `fold: row ${metricsRow.pk}/${metricsRow.sk} kept changing during round ending ${String(t.now() - SETTLE_MS)}`,
    });
    expect(changes).toBe(4);
    const { round } = await t.other.foldState();
    expect(round).toBeDefined();
    expect((await t.other.aggregates()).metrics.total).toBe(3);
    // The history rows were written at the round's end: they count the items, the tail does not.
    expect(totalOf(await t.other.history('1h'))).toBe(3);

    t.proxy.hook = () => 'forward';
    t.advance(FOLD_TAKEOVER_MS);
    expect(await t.store.fold()).toEqual({ outcome: 'folded', w: round?.to });

    expect((await rowOf(metricsRow))?.all).toEqual([3, 2, 0, 1, 0.5]);
    expect(await t.other.foldState()).toEqual({ w: round?.to, round: undefined });
    expect((await t.other.aggregates()).metrics.total).toBe(3);
    expect(totalOf(await t.other.history('1h'))).toBe(3);
  });
});

describe('a history read racing a fold', () => {
  it('reads its rows again when a refresh moved the watermark while they were on their way', async () => {
    await t.other.ingest([itemInput(), itemInput(), itemInput({ ticker: 'MSFT' })]);
    t.advance(SETTLE_MS + 1);
    const asked = Promise.withResolvers<undefined>();
    const moved = Promise.withResolvers<undefined>();
    let held = false;
    t.proxy.hook = async (call): Promise<Action> => {
      const { ExpressionAttributeValues: values } = call.input as {
        ExpressionAttributeValues?: Record<string, { S?: string }>;
      };
      if (held || call.operation !== 'Query' || values?.[':pk']?.S?.startsWith('HIST#') !== true) return 'forward';
      held = true;
      // The rows as they are now, before the fold, answered only after the watermark has moved.
      const { $metadata: _, ...before } = await t.direct.client.send(
        new QueryCommand(call.input as unknown as QueryCommandInput),
      );
      asked.resolve(undefined);
      await moved.promise;
      return { answer: before };
    };

    const reading = t.store.history('1h');
    await asked.promise;
    // Another process folds the items; a refresh of this one (a metrics read) takes the new
    // watermark in, and forgets the items the rows now count.
    expect(await t.other.fold({ force: true })).toMatchObject({ outcome: 'folded' });
    expect((await t.store.aggregates()).metrics.total).toBe(3);
    moved.resolve(undefined);

    expect(totalOf(await reading)).toBe(3);
    expect(await reading).toEqual(await t.other.history('1h'));
  });
});
