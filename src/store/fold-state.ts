/**
 * The fold's progress, one row (`FOLD`/`STATE`): `w`, the watermark every aggregate row has
 * absorbed the feed up to (every item stamped at or before it is counted there), and the round
 * in progress, if any: the stamps (from, to] it folds, claimed by one process. Rounds are
 * claimed and completed with conditional updates, so they follow one another: a round starts
 * only from the `w` the previous one left, and completes only the round it claimed.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { StoreContext } from './context.ts';
import { asRecord, numberField, rowName, StoreDataError } from './decode.ts';
import { isConditionFailure } from './ingest-model.ts';
import { FOLD_STATE_KEY } from './keys.ts';

interface FoldRound {
  /** Items stamped after this… */
  readonly from: number;
  /** …up to and including this one are folded by the round (epoch ms). */
  readonly to: number;
  /** When it was claimed (the claimer's clock): after a while, another process may finish it. */
  readonly claimedAt: number;
}

interface FoldState {
  /** Every item stamped at or before this is counted in the aggregate rows; undefined: never folded. */
  readonly w: number | undefined;
  readonly round: FoldRound | undefined;
}

function decodeRound(value: unknown, row: string): FoldRound | undefined {
  if (value === undefined) return undefined;
  const raw = asRecord(value, row, 'round');
  return {
    from: numberField(raw, 'from', row),
    to: numberField(raw, 'to', row),
    claimedAt: numberField(raw, 'claimed_at', row),
  };
}

function decodeFoldState(value: unknown): FoldState {
  if (value === undefined) return { w: undefined, round: undefined };
  const raw = asRecord(value, 'fold state', 'row');
  const row = rowName(raw);
  const round = decodeRound(raw.round, row);
  const w = raw.w === undefined ? undefined : numberField(raw, 'w', row);
  if (round !== undefined && w !== undefined && round.from < w) throw new StoreDataError(row, 'round starts below w');
  return { w, round };
}

async function readFoldState(ctx: StoreContext): Promise<FoldState> {
  const { Item } = await ctx.documents.send(
    new GetCommand({ TableName: ctx.tableName, Key: FOLD_STATE_KEY, ConsistentRead: true }),
  );
  return decodeFoldState(Item);
}

/**
 * Applies `update` to the state if it is still `seen` with no round in progress; false when
 * someone else changed it first. Claims and empty advances both start from there.
 */
async function updateIfUnchanged(
  ctx: StoreContext,
  seen: FoldState,
  update: string,
  values: Readonly<Record<string, unknown>>,
): Promise<boolean> {
  try {
    await ctx.documents.send(
      new UpdateCommand({
        TableName: ctx.tableName,
        Key: FOLD_STATE_KEY,
        UpdateExpression: update,
        ConditionExpression: `${seen.w === undefined ? 'attribute_not_exists(w)' : 'w = :w'} AND attribute_not_exists(#round)`,
        ExpressionAttributeNames: { '#round': 'round' },
        ExpressionAttributeValues: { ...values, ...(seen.w === undefined ? {} : { ':w': seen.w }) },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Claims `round` if the state is still `seen` with no round in progress; false when someone else did. */
const claimRound = (ctx: StoreContext, seen: FoldState, round: FoldRound): Promise<boolean> =>
  updateIfUnchanged(ctx, seen, 'SET #round = :round', {
    ':round': { from: round.from, to: round.to, claimed_at: round.claimedAt },
  });

/**
 * Moves `w` to `to` over a stretch of feed with nothing in it: no rows to write, so no round to
 * claim, only the same condition a claim has. False when someone else moved first.
 */
const advanceEmpty = (ctx: StoreContext, seen: FoldState, to: number): Promise<boolean> =>
  updateIfUnchanged(ctx, seen, 'SET w = :to', { ':to': to });

/** Moves `w` to the end of `round`, if that round is still the one in progress (else someone did). */
async function completeRound(ctx: StoreContext, round: FoldRound): Promise<void> {
  try {
    await ctx.documents.send(
      new UpdateCommand({
        TableName: ctx.tableName,
        Key: FOLD_STATE_KEY,
        UpdateExpression: 'SET w = :to REMOVE #round',
        ConditionExpression: '#round.#to = :to AND #round.#from = :from',
        ExpressionAttributeNames: { '#round': 'round', '#to': 'to', '#from': 'from' },
        ExpressionAttributeValues: { ':to': round.to, ':from': round.from },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

export type { FoldRound, FoldState };
export { advanceEmpty, claimRound, completeRound, readFoldState };
