/**
 * The fold: the aggregate rows (aggregate-rows.ts) are a view of the feed, brought up to date in
 * rounds. A round takes the settled stamps after the fold watermark `w` (fold-state.ts) up to
 * `to`, reads every item stamped in that range from the feed, and writes each row those items
 * touch once, at `wm = to`. Then `w` moves to `to`.
 *
 * Exactly once, whoever folds and whatever dies when:
 * - a round is claimed in the state row before any row is written, and its range is fixed
 *   there: any process that finds it unfinished (its claimer died or stalled) finishes the same
 *   range, reading the same items (the range is settled: no late write can land in it);
 * - a row is written on condition that it is still as read (absent, or at the `wm` read), and a
 *   row already at `wm = to` is skipped, so a round's delta reaches each row once however many
 *   processes apply it;
 * - `w` moves only from the round's own range, so rounds follow one another.
 *
 * A round is due once the settled part of the feed reaches the fold interval past `w`; readers
 * never wait for one, since views add the unfolded tail themselves (view.ts). A stretch with no
 * items moves `w` with one write. Items older than FOLD_HORIZON_MS are outside every window and
 * are skipped.
 */
import type { StoreContext } from './context.ts';
import type { Counts } from './counts.ts';
import { readRange } from './feed.ts';
import { applyDelta, historyKind, metricsKind, type SlotCounts } from './aggregate-rows.ts';
import {
  advanceEmpty,
  claimRound,
  completeRound,
  type FoldRound,
  type FoldState,
  readFoldState,
} from './fold-state.ts';
import { DAY_MS, HOUR_MS, hourStart, type HistoryScope } from './keys.ts';
import { type HourCounts, type TallyItem, tallyHour, tallyOf, tallySlot } from './tally.ts';

/** A round is due when this much settled feed lies past the fold watermark (default of FOLD_INTERVAL_MS). */
const FOLD_INTERVAL_MS = 15_000;

/** Items one round folds at most; a longer backlog is folded in several rounds. */
const MAX_FOLD_ITEMS = 5000;

/** A claimed round unfinished this long after its claim is finished by whoever finds it. */
const FOLD_TAKEOVER_MS = 10_000;

/** No window reaches further back than the last 24 hours (and an hour of slack). */
const FOLD_HORIZON_MS = DAY_MS + HOUR_MS;

/** Rows written at once during a round. */
const ROW_CONCURRENCY = 16;

interface FoldOutcome {
  /**
   * `folded`: a round was applied (this process's, or one it found unfinished), or `w` moved
   * over a stretch with nothing in it; `idle`: nothing was due; `busy`: another process holds a
   * round that is not overdue yet, or moved first.
   */
  readonly outcome: 'folded' | 'idle' | 'busy';
  /** The fold watermark as this call last saw it (undefined: never folded). */
  readonly w: number | undefined;
}

interface FoldOptions {
  /** Fold what has settled even if the interval has not passed (tests, a view with a large tail). */
  readonly force?: boolean;
}

/** Whether a round is due at `now` for a fold watermark `w` (undefined: never folded). */
const foldDue = (ctx: StoreContext, w: number | undefined, now: number): boolean =>
  w === undefined || now - ctx.settleMs - w >= ctx.foldIntervalMs;

/** One round, if one is due: this process's, or an unfinished one it finds overdue. */
async function foldRound(ctx: StoreContext, options: FoldOptions = {}): Promise<FoldOutcome> {
  const state = await readFoldState(ctx);
  const now = ctx.now();
  if (state.round !== undefined) {
    if (now - state.round.claimedAt < FOLD_TAKEOVER_MS) return { outcome: 'busy', w: state.w };
    const { rows } = await readRange(ctx, state.round.from, state.round.to, Number.POSITIVE_INFINITY);
    await applyRound(ctx, state.round, rows.map(tallyOf));
    return { outcome: 'folded', w: state.round.to };
  }
  const settled = now - ctx.settleMs;
  const from = Math.max(state.w ?? Number.NEGATIVE_INFINITY, now - FOLD_HORIZON_MS);
  if ((options.force !== true && !foldDue(ctx, state.w, now)) || settled <= from)
    return { outcome: 'idle', w: state.w };
  const { rows, toMs } = await readRange(ctx, from, settled, MAX_FOLD_ITEMS);
  return claimAndApply(ctx, state, { from, to: toMs, claimedAt: now }, rows.map(tallyOf));
}

async function claimAndApply(
  ctx: StoreContext,
  state: FoldState,
  round: FoldRound,
  items: readonly TallyItem[],
): Promise<FoldOutcome> {
  const claimed = items.length === 0 ? await advanceEmpty(ctx, state, round.to) : await claimRound(ctx, state, round);
  if (!claimed) return { outcome: 'busy', w: state.w };
  if (items.length > 0) await applyRound(ctx, round, items);
  return { outcome: 'folded', w: round.to };
}

/** Writes every row the round's items touch, then completes the round. */
async function applyRound(ctx: StoreContext, round: FoldRound, items: readonly TallyItem[]): Promise<void> {
  const writes = roundWrites(ctx, items, round.to);
  for (let i = 0; i < writes.length; i += ROW_CONCURRENCY) {
    await Promise.all(writes.slice(i, i + ROW_CONCURRENCY).map((write) => write()));
  }
  await completeRound(ctx, round);
}

/** Per metrics hour, all tickers' and each ticker's counts of `items`. */
function metricsDeltas(items: readonly TallyItem[]): Map<number, HourCounts> {
  const deltas = new Map<number, HourCounts>();
  for (const item of items) tallyHour(deltas, item);
  return deltas;
}

interface HistoryDelta {
  readonly hourMs: number;
  readonly scope: HistoryScope;
  readonly slots: Map<number, Counts>;
}

/** Per history row (scope and hour of the slot), the slot counts of `items`. */
function historyDeltas(items: readonly TallyItem[]): Map<string, HistoryDelta> {
  const deltas = new Map<string, HistoryDelta>();
  for (const item of items) {
    if (item.slotMs === null) continue;
    const hourMs = hourStart(item.slotMs);
    for (const scope of ['all', { ticker: item.ticker }] as const) {
      const id = `${scope === 'all' ? '*' : scope.ticker}|${hourMs.toString()}`;
      let delta = deltas.get(id);
      if (delta === undefined) {
        delta = { hourMs, scope, slots: new Map() };
        deltas.set(id, delta);
      }
      tallySlot(delta.slots, item.slotMs, item);
    }
  }
  return deltas;
}

/** One write per row the items touch, each applying its delta as the round ending at `to`. */
function roundWrites(ctx: StoreContext, items: readonly TallyItem[], to: number): (() => Promise<void>)[] {
  const writes: (() => Promise<void>)[] = [];
  for (const [hourMs, delta] of metricsDeltas(items)) {
    writes.push(() => applyDelta(ctx, metricsKind(hourMs, ctx.retentionMs), delta, to));
  }
  for (const { hourMs, scope, slots } of historyDeltas(items).values()) {
    writes.push(() => applyDelta<SlotCounts>(ctx, historyKind(hourMs, scope), slots, to));
  }
  return writes;
}

export type { FoldOptions, FoldOutcome };
export { FOLD_HORIZON_MS, FOLD_INTERVAL_MS, FOLD_TAKEOVER_MS, foldDue, foldRound, MAX_FOLD_ITEMS };
