/**
 * Reading the sharded feed: one Query per shard, sent together, and the pages merged back into
 * feed order. A shard whose page came back cut short (DynamoDB's `LastEvaluatedKey`) may hold
 * more rows beyond its last one; the merge keeps only what lies before the earliest such cut
 * (the frontier), so what it returns is every row of every shard up to there, in order.
 *
 * Every query goes through a `QueryBudget`, which counts them and carries the caller's
 * AbortSignal: a read sends a bounded number of Queries and stops once nobody waits for it.
 */
import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Item } from '../contract/index.ts';
import type { StoreContext } from './context.ts';
import { decodeFeedRow } from './decode.ts';
import { FEED_SHARDS } from './keys.ts';

interface FeedRowRaw {
  readonly sk: string;
  readonly item: Item;
}

interface ShardPage {
  readonly rows: readonly FeedRowRaw[];
  /** DynamoDB stopped before the end of the key range: rows beyond the last one may exist. */
  readonly cut: boolean;
}

type QueryInput = Omit<QueryCommandInput, 'TableName'>;

/** The reason an aborted read rejects with: the signal's own, as `signal.throwIfAborted()` does. */
function abortReason(signal: AbortSignal): unknown {
  return signal.reason instanceof Error ? signal.reason : new DOMException('The read was aborted.', 'AbortError');
}

/** Counts the Queries of one read and carries its AbortSignal to each of them. */
class QueryBudget {
  readonly #ctx: StoreContext;
  readonly #signal: AbortSignal | undefined;
  #left: number;

  constructor(ctx: StoreContext, signal: AbortSignal | undefined, queries: number) {
    this.#ctx = ctx;
    this.#signal = signal;
    this.#left = queries;
  }

  get left(): number {
    return this.#left;
  }

  /** One Query page of feed rows; throws when the budget is spent (callers check `left` first). */
  async query(input: QueryInput): Promise<{ rows: FeedRowRaw[]; next?: Record<string, unknown> }> {
    this.#throwIfAborted();
    if (this.#left <= 0) throw new Error('query budget exhausted');
    this.#left -= 1;
    try {
      const page = await this.#ctx.documents.send(new QueryCommand({ TableName: this.#ctx.tableName, ...input }), {
        abortSignal: this.#signal,
      });
      const rows = (page.Items ?? []).map((row) => decodeFeedRow(row));
      return { rows, ...(page.LastEvaluatedKey ? { next: page.LastEvaluatedKey } : {}) };
    } catch (error) {
      // The SDK wraps the abort in its own error; callers see the signal's reason either way.
      this.#throwIfAborted();
      throw error;
    }
  }

  #throwIfAborted(): void {
    if (this.#signal?.aborted === true) throw abortReason(this.#signal);
  }
}

const SHARDS = Array.from({ length: FEED_SHARDS }, (_, shard) => shard);

/** What a reader that already holds rows wants of each shard: `wanted` rows that `isNew` accepts. */
interface ReadOn {
  readonly isNew: (row: FeedRowRaw) => boolean;
  readonly wanted: number;
}

/**
 * One page of every shard, sent together; `inputOf` builds each shard's Query. With `readOn`, a
 * shard whose page came back cut before it held `wanted` rows that `isNew` accepts is read on
 * from where it stopped, while the budget lasts: a cursor that lists thousands of items (a
 * process's own, the settle window of a burst) would otherwise have every shard page cut inside
 * rows it already covers, and its reads would come back with nothing.
 */
async function queryShards(
  budget: QueryBudget,
  inputOf: (shard: number) => QueryInput,
  readOn: ReadOn = { isNew: () => true, wanted: 0 },
): Promise<ShardPage[]> {
  const { isNew, wanted } = readOn;
  // Once one shard's Query failed the read has failed: the others send no more pages.
  let failed = false;
  return Promise.all(
    SHARDS.map(async (shard) => {
      try {
        const input = inputOf(shard);
        let page = await budget.query(input);
        const rows = [...page.rows];
        let fresh = page.rows.filter(isNew).length;
        while (page.next !== undefined && fresh < wanted && budget.left > 0 && !failed) {
          page = await budget.query({ ...input, ExclusiveStartKey: page.next });
          rows.push(...page.rows);
          fresh += page.rows.filter(isNew).length;
        }
        return { rows, cut: page.next !== undefined };
      } catch (error) {
        failed = true;
        throw error;
      }
    }),
  );
}

/**
 * The shards' pages in feed order (`ascending`) or newest first, cut at the frontier: the
 * earliest point (in reading order) past which some shard was not read. `frontier` is that
 * shard's last sort key, undefined when every shard was read to its end.
 */
function mergePages(pages: readonly ShardPage[], ascending: boolean): { rows: FeedRowRaw[]; frontier?: string } {
  let frontier: string | undefined;
  for (const page of pages) {
    const last = page.rows.at(-1);
    if (!page.cut || last === undefined) continue;
    if (frontier === undefined || (ascending ? last.sk < frontier : last.sk > frontier)) frontier = last.sk;
  }
  const rows = pages.flatMap((page) => page.rows);
  rows.sort(ascending ? (a, b) => compareKeys(a.sk, b.sk) : (a, b) => compareKeys(b.sk, a.sk));
  if (frontier === undefined) return { rows };
  const edge = frontier;
  return { rows: rows.filter((row) => (ascending ? row.sk <= edge : row.sk >= edge)), frontier };
}

/** Code-unit order, as DynamoDB sorts string keys (ASCII here). */
const compareKeys = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export type { FeedRowRaw, QueryInput, ReadOn, ShardPage };
export { compareKeys, mergePages, QueryBudget, queryShards, SHARDS };
