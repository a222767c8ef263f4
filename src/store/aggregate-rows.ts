/**
 * The aggregate rows the fold writes and the views read, each carrying `wm`: the end of the last
 * fold round applied to it (fold.ts). Two kinds:
 *
 * - **Metrics rows**, one per arrival hour (`AGG#<day>`/`<hh>`): all tickers' counts and each
 *   ticker's, in one row, so a fold round writes one row per hour it touches whatever the number
 *   of tickers. A row names at most MAX_ROW_TICKERS tickers; items of further tickers count in
 *   the totals and in `other`, so a row stays far below DynamoDB's 400 KB item limit.
 * - **History rows**, one per scope (all tickers, or one ticker) and hour of `timestamp`
 *   (`HIST#<scope>#<day>`/`<hh>`), with that hour's 5-minute slots.
 */
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { StoreContext } from './context.ts';
import { addCounts, copyCounts, type Counts, decodeCounts, zeroCounts } from './counts.ts';
import { asRecord, numberField, type Raw, rowName, StoreDataError } from './decode.ts';
import { HISTORY_TTL_AFTER_MS } from './history-window.ts';
import { isConditionFailure } from './ingest-model.ts';
import {
  DAY_MS,
  historyPartition,
  historyRowKey,
  type HistoryScope,
  HOUR_MS,
  metricsPartition,
  metricsRowKey,
  parseHistoryRowKey,
  parseMetricsRowKey,
  ttlSeconds,
} from './keys.ts';

/**
 * Tickers one metrics row names. Anyone holding the ingest key can create any number of tickers;
 * this keeps a row (about 25 bytes per ticker) and the write of it bounded.
 */
const MAX_ROW_TICKERS = 2000;

interface MetricsCounts {
  readonly all: Counts;
  readonly tickers: ReadonlyMap<string, Counts>;
  /** Items of tickers the row had no room to name. */
  readonly other: Counts;
}

interface MetricsRow extends MetricsCounts {
  readonly hourMs: number;
  readonly wm: number;
}

/** History slots of one hour: slot start (epoch ms) → counts. */
type SlotCounts = ReadonlyMap<number, Counts>;

interface HistoryRow {
  readonly hourMs: number;
  readonly wm: number;
  readonly slots: SlotCounts;
}

function decodeTickerMap(value: unknown, row: string): Map<string, Counts> {
  const raw = asRecord(value, row, 'tickers');
  return new Map(Object.entries(raw).map(([ticker, counts]) => [ticker, decodeCounts(counts, row, ticker)]));
}

function decodeMetricsRow(raw: Raw): MetricsRow {
  const row = rowName(raw);
  return {
    hourMs: parseMetricsRowKey(String(raw.pk), String(raw.sk)),
    wm: numberField(raw, 'wm', row),
    all: decodeCounts(raw.all, row, 'all'),
    tickers: decodeTickerMap(raw.tickers, row),
    other: decodeCounts(raw.other, row, 'other'),
  };
}

function decodeHistoryRow(raw: Raw): HistoryRow {
  const row = rowName(raw);
  const hourMs = parseHistoryRowKey(String(raw.pk), String(raw.sk));
  const slots = new Map<number, Counts>();
  for (const [minute, counts] of Object.entries(asRecord(raw.slots, row, 'slots'))) {
    const offset = Number(minute) * 60_000;
    if (!/^\d\d$/.test(minute) || offset >= HOUR_MS) throw new StoreDataError(row, `slot ${minute} is not a minute`);
    slots.set(hourMs + offset, decodeCounts(counts, row, `slot ${minute}`));
  }
  return { hourMs, wm: numberField(raw, 'wm', row), slots };
}

/** `all` and each ticker's counts plus `delta`; new tickers beyond the cap count in `other`. */
function mergeMetrics(state: MetricsCounts, delta: MetricsCounts): MetricsCounts {
  const all = copyCounts(state.all);
  addCounts(all, delta.all);
  const other = copyCounts(state.other);
  addCounts(other, delta.other);
  const tickers = new Map([...state.tickers].map(([ticker, counts]) => [ticker, copyCounts(counts)]));
  // Sorted, so every process folding the same round names the same tickers.
  for (const [ticker, counts] of [...delta.tickers].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const into = tickers.get(ticker) ?? (tickers.size < MAX_ROW_TICKERS ? zeroCounts() : undefined);
    if (into === undefined) {
      addCounts(other, counts);
      continue;
    }
    addCounts(into, counts);
    tickers.set(ticker, into);
  }
  return { all, tickers, other };
}

function mergeSlots(state: SlotCounts, delta: SlotCounts): SlotCounts {
  const slots = new Map([...state].map(([slot, counts]) => [slot, copyCounts(counts)]));
  for (const [slot, counts] of delta) {
    const into = slots.get(slot) ?? zeroCounts();
    addCounts(into, counts);
    slots.set(slot, into);
  }
  return slots;
}

const minuteOf = (slotMs: number): string => new Date(slotMs).toISOString().slice(14, 16);

/** How a fold writes one kind of row: its key, its state's decoding, merging and encoding. */
interface RowKind<State> {
  readonly key: { readonly pk: string; readonly sk: string };
  /** The stored state, or undefined for a row not written yet; with the `wm` it was written at. */
  decode(raw: Raw): { state: State; wm: number };
  empty(): State;
  merge(state: State, delta: State): State;
  /** The row's attributes besides its keys and `wm`. */
  encode(state: State): Record<string, unknown>;
}

function metricsKind(hourMs: number, retentionMs: number): RowKind<MetricsCounts> {
  // Metrics rows outlive their hour by the retention plus a day of slack for the window.
  const ttl = ttlSeconds(hourMs + retentionMs + DAY_MS);
  return {
    key: metricsRowKey(hourMs),
    decode: (raw) => {
      const { wm, ...state } = decodeMetricsRow(raw);
      return { state, wm };
    },
    empty: () => ({ all: zeroCounts(), tickers: new Map(), other: zeroCounts() }),
    merge: mergeMetrics,
    encode: (state) => ({ all: state.all, tickers: Object.fromEntries(state.tickers), other: state.other, ttl }),
  };
}

function historyKind(hourMs: number, scope: HistoryScope): RowKind<SlotCounts> {
  const ttl = ttlSeconds(hourMs + HOUR_MS + HISTORY_TTL_AFTER_MS);
  return {
    key: historyRowKey(hourMs, scope),
    decode: (raw) => {
      const { wm, slots } = decodeHistoryRow(raw);
      return { state: slots, wm };
    },
    empty: () => new Map(),
    merge: mergeSlots,
    encode: (slots) => ({
      slots: Object.fromEntries([...slots].map(([slot, counts]) => [minuteOf(slot), counts])),
      ttl,
    }),
  };
}

/** Attempts at one row when another process writes it at the same moment. */
const ROW_ATTEMPTS = 4;

/**
 * Applies `delta` to a row as the fold round ending at `to`, exactly once: a row already at
 * `wm = to` has it; otherwise the new state is put on condition that the row is still what was
 * read (absent, or at the `wm` read), and read again when another process was faster.
 */
async function applyDelta<State>(ctx: StoreContext, kind: RowKind<State>, delta: State, to: number): Promise<void> {
  for (let attempt = 0; attempt < ROW_ATTEMPTS; attempt++) {
    const { Item } = await ctx.documents.send(
      new GetCommand({ TableName: ctx.tableName, Key: kind.key, ConsistentRead: true }),
    );
    const stored = Item === undefined ? undefined : kind.decode(Item);
    if (stored !== undefined && stored.wm >= to) return;
    const state = kind.merge(stored?.state ?? kind.empty(), delta);
    try {
      await ctx.documents.send(
        new PutCommand({
          TableName: ctx.tableName,
          Item: { ...kind.key, wm: to, ...kind.encode(state) },
          ConditionExpression: stored === undefined ? 'attribute_not_exists(pk)' : 'wm = :seen',
          ...(stored === undefined ? {} : { ExpressionAttributeValues: { ':seen': stored.wm } }),
        }),
      );
      return;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
  throw new Error(`fold: row ${kind.key.pk}/${kind.key.sk} kept changing during round ending ${to}`);
}

/** Every row of one partition, or of a sort-key range of it, strongly consistent. */
async function queryRows(
  ctx: StoreContext,
  pk: string,
  range: { from: string; to: string } | undefined,
  maxPages: number,
): Promise<Raw[]> {
  const rows: Raw[] = [];
  let startKey: Record<string, unknown> | undefined;
  for (let page = 0; ; page++) {
    if (page === maxPages) throw new Error(`aggregate read of ${pk} exceeded ${maxPages} pages`);
    const answer = await ctx.documents.send(
      new QueryCommand({
        TableName: ctx.tableName,
        KeyConditionExpression: range === undefined ? 'pk = :pk' : 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': pk,
          ...(range === undefined ? {} : { ':from': range.from, ':to': range.to }),
        },
        ConsistentRead: true,
        ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
      }),
    );
    rows.push(...(answer.Items ?? []));
    startKey = answer.LastEvaluatedKey;
    if (startKey === undefined) return rows;
  }
}

/**
 * Pages one aggregate read may take: a day's metrics rows are 24 rows of at most about 50 KB
 * (MAX_ROW_TICKERS), a history window at most 25 small rows per scope.
 */
const MAX_ROW_PAGES = 4;

/** The metrics rows of the hours from `firstHour` to `lastHour` (epoch ms), at most two Queries. */
async function readMetricsRows(ctx: StoreContext, firstHour: number, lastHour: number): Promise<MetricsRow[]> {
  const partitions = [...new Set([metricsPartition(firstHour), metricsPartition(lastHour)])];
  const rows = await Promise.all(partitions.map((pk) => queryRows(ctx, pk, undefined, MAX_ROW_PAGES)));
  return rows
    .flat()
    .map(decodeMetricsRow)
    .filter((row) => row.hourMs >= firstHour && row.hourMs <= lastHour);
}

/** The history rows of one scope for the hours from `firstHour` to `lastHour`: a Query per day touched. */
async function readHistoryRows(
  ctx: StoreContext,
  scope: HistoryScope,
  firstHour: number,
  lastHour: number,
): Promise<HistoryRow[]> {
  const ranges: { pk: string; from: string; to: string }[] = [];
  for (let day = Math.floor(firstHour / DAY_MS) * DAY_MS; day <= lastHour; day += DAY_MS) {
    const first = historyRowKey(Math.max(firstHour, day), scope);
    const last = historyRowKey(Math.min(lastHour, day + DAY_MS - HOUR_MS), scope);
    ranges.push({ pk: historyPartition(day, scope), from: first.sk, to: last.sk });
  }
  const rows = await Promise.all(ranges.map(({ pk, from, to }) => queryRows(ctx, pk, { from, to }, MAX_ROW_PAGES)));
  return rows.flat().map(decodeHistoryRow);
}

export type { HistoryRow, MetricsCounts, MetricsRow, RowKind, SlotCounts };
export { applyDelta, historyKind, MAX_ROW_TICKERS, metricsKind, readHistoryRows, readMetricsRows };
