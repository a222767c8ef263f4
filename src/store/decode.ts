/**
 * Decoders at the store's edge: every row read back from DynamoDB passes through one of these
 * before the rest of the code sees it, so a row of the wrong shape (a bug, a hand edit, another
 * version of the code) fails loudly where it was read, as a `StoreDataError` naming the row,
 * instead of travelling on as a cast.
 */
import type { Item } from '../contract/index.ts';

/** A row read from the table does not have the shape this code writes. */
class StoreDataError extends Error {
  /** The row's keys, `pk/sk`, when it has them. */
  readonly row: string;
  constructor(row: string, problem: string) {
    super(`unexpected row ${row} in the table: ${problem}`);
    this.name = 'StoreDataError';
    this.row = row;
  }
}

type Raw = Readonly<Record<string, unknown>>;

/** The row's keys for messages, whatever else it holds. */
const rowName = (raw: Raw): string => `${String(raw.pk)}/${String(raw.sk)}`;

function asRecord(value: unknown, row: string, what: string): Raw {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new StoreDataError(row, `${what} is not a map`);
  return value as Raw;
}

function stringField(raw: Raw, field: string, row = rowName(raw)): string {
  const value = raw[field];
  if (typeof value !== 'string') throw new StoreDataError(row, `${field} is not a string`);
  return value;
}

function numberField(raw: Raw, field: string, row = rowName(raw)): number {
  const value = raw[field];
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new StoreDataError(row, `${field} is not a number`);
  return value;
}

const SENTIMENTS: readonly string[] = ['positive', 'neutral', 'negative'] satisfies Item['sentiment'][];

const isSentiment = (text: string): text is Item['sentiment'] => SENTIMENTS.includes(text);

/** A stored item: the fields the contract's `Item` has (validated at ingest, so only shapes here). */
function decodeItem(value: unknown, row: string): Item {
  const raw = asRecord(value, row, 'item');
  const sentiment = stringField(raw, 'sentiment', row);
  if (!isSentiment(sentiment)) throw new StoreDataError(row, `item.sentiment ${sentiment} is not a sentiment`);
  return {
    item_id: stringField(raw, 'item_id', row),
    ticker: stringField(raw, 'ticker', row),
    sentiment,
    score: numberField(raw, 'score', row),
    timestamp: stringField(raw, 'timestamp', row),
    ...(raw.source === undefined ? {} : { source: stringField(raw, 'source', row) }),
    ingested_at: stringField(raw, 'ingested_at', row),
  };
}

/** A feed entry (or its index entry): its sort key and the item. */
function decodeFeedRow(value: unknown): { readonly sk: string; readonly item: Item } {
  const raw = asRecord(value, 'feed entry', 'row');
  const row = rowName(raw);
  return { sk: stringField(raw, 'sk', row), item: decodeItem(raw.item, row) };
}

export type { Raw };
export { asRecord, decodeFeedRow, decodeItem, numberField, rowName, StoreDataError, stringField };
