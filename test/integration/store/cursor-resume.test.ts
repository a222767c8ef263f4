/**
 * Model-based check of the cursor promise against a real dynalite: a reader that reads in pages,
 * disconnects after any item and resumes from that item's cursor (through the wire format and the
 * client-input check) receives every item exactly once, with no gap and no duplicate. The feed
 * gets items in bursts, writes that land late inside the settle window, and quiet stretches long
 * enough that reads stop at their query budget.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createStore,
  ensureTable,
  type FeedCursor,
  startEmbeddedDynalite,
  type Store,
} from '../../../src/store/index.ts';
import { createDynamoClients, type DynamoClients, type EmbeddedDynalite } from '../../../src/store/index.ts';
import { feedPartition, feedSortKey, tickerIndexKey } from '../../../src/store/keys.ts';
import { itemInput } from '../../support/test-store.ts';

const SETTLE_MS = 5000;
const HOUR = 3_600_000;
/** Stay inside the 7-day retention so the reader's cursor never expires mid-run. */
const MAX_SPAN_MS = 5 * 24 * HOUR;

let dynalite: EmbeddedDynalite;
let clients: DynamoClients;
let tables = 0;
beforeAll(async () => {
  dynalite = await startEmbeddedDynalite({ access: 'any-local-process' });
  clients = createDynamoClients(dynalite.endpoint);
});
afterAll(async () => {
  clients.client.destroy();
  await dynalite.close();
});

interface Model {
  elapsed: number;
  written: number;
}

interface Real {
  readonly store: Store;
  readonly tableName: string;
  time: number;
  cursor: FeedCursor;
  readonly written: string[];
  readonly delivered: string[];
}

/** Resumes as a reconnecting client does: the cursor crosses the wire and the input check. */
function reconnect(real: Real, cursor: FeedCursor): void {
  reconnectFrom(real, real.store.encodeCursor(cursor));
}

function reconnectFrom(real: Real, id: string): void {
  const parsed = real.store.parseCursor(id);
  if (!parsed.ok) throw new Error(`a cursor we issued was refused: ${parsed.reason}`);
  real.cursor = parsed.cursor;
}

/** `count` items, one by one a millisecond apart, or as one batch sharing one stamp. */
class Ingest implements fc.AsyncCommand<Model, Real> {
  readonly count: number;
  readonly batch: boolean;
  constructor(count: number, batch: boolean) {
    this.count = count;
    this.batch = batch;
  }
  check = (m: Readonly<Model>) => m.written + this.count <= 36;
  async run(m: Model, r: Real): Promise<void> {
    const items = Array.from({ length: this.count }, () => itemInput());
    if (this.batch) await r.store.ingest(items);
    for (const item of this.batch ? [] : items) {
      await r.store.ingest([item]);
      r.time += 1;
    }
    r.written.push(...items.map((item) => item.item_id));
    m.written += this.count;
  }
  toString = () => `ingest(${this.count}${this.batch ? ', one batch' : ''})`;
}

/** A slow writer: stamped `lagMs` ago, visible only now (still inside the settle window). */
class LateWrite implements fc.AsyncCommand<Model, Real> {
  readonly lagMs: number;
  constructor(lagMs: number) {
    this.lagMs = lagMs;
  }
  check = (m: Readonly<Model>) => m.written < 36;
  async run(m: Model, r: Real): Promise<void> {
    const item = itemInput();
    const stamped = r.time - this.lagMs;
    const position = { pk: feedPartition(stamped % 16), sk: feedSortKey(stamped, item.item_id) };
    await clients.documents.send(
      new PutCommand({
        TableName: r.tableName,
        Item: {
          ...position,
          gsi1pk: tickerIndexKey(item.ticker),
          gsi1sk: position.sk,
          item: { ...item, ingested_at: new Date(stamped).toISOString() },
        },
      }),
    );
    r.written.push(item.item_id);
    m.written += 1;
  }
  toString = () => `lateWrite(${this.lagMs})`;
}

class Advance implements fc.AsyncCommand<Model, Real> {
  readonly ms: number;
  constructor(ms: number) {
    this.ms = ms;
  }
  check = (m: Readonly<Model>) => m.elapsed + this.ms <= MAX_SPAN_MS;
  run(m: Model, r: Real): Promise<void> {
    r.time += this.ms;
    m.elapsed += this.ms;
    return Promise.resolve();
  }
  toString = () => `advance(${this.ms})`;
}

/** One read of `limit` items; the client keeps the first `keep` of them, then reconnects. */
class Read implements fc.AsyncCommand<Model, Real> {
  readonly limit: number;
  readonly keep: number;
  constructor(limit: number, keep: number) {
    this.limit = limit;
    this.keep = keep;
  }
  check = () => true;
  async run(_m: Model, r: Real): Promise<void> {
    const read = await r.store.readAfter(r.cursor, this.limit);
    // Per-item ids exactly as the stream engine makes them (each event's id).
    const ids = r.store.positionIds(r.cursor, read.readAt);
    let itemId = r.store.encodeCursor(r.cursor);
    for (const [index, entry] of read.entries.entries()) {
      if (index === this.keep) {
        reconnectFrom(r, itemId);
        return;
      }
      itemId = ids.after({ arrivalMs: entry.arrivalMs, itemId: entry.item.item_id });
      r.delivered.push(entry.item.item_id);
    }
    reconnect(r, read.cursor);
  }
  toString = () => `read(${this.limit}, keep ${this.keep})`;
}

const commands = fc.commands(
  [
    fc.tuple(fc.integer({ min: 1, max: 4 }), fc.boolean()).map(([n, batch]) => new Ingest(n, batch)),
    fc.integer({ min: 1, max: SETTLE_MS - 1 }).map((lag) => new LateWrite(lag)),
    // Short steps inside the settle window, and quiet stretches of whole hours around one query
    // budget's worth of empty hour buckets (so reads stop at the budget just before new items).
    fc
      .oneof(
        fc.integer({ min: 1, max: 4000 }),
        fc.integer({ min: 20, max: 30 }).map((hours) => hours * HOUR),
      )
      .map((ms) => new Advance(ms)),
    fc
      .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 5 }))
      .map(([limit, keep]) => new Read(limit, keep)),
  ],
  { maxCommands: 14 },
);

it('delivers every item exactly once to a reader that resumes from any cursor it was given', async () => {
  await fc.assert(
    fc.asyncProperty(commands, async (cmds) => {
      tables += 1;
      const tableName = `resume-${tables}`;
      await ensureTable(clients.client, tableName);
      const real: Real = {
        store: createStore({ ...clients, tableName, retentionDays: 7, settleMs: SETTLE_MS, now: () => real.time }),
        tableName,
        time: Date.parse('2026-11-21T09:30:00.000Z'),
        cursor: { watermark: 0, entries: [] },
        written: [],
        delivered: [],
      };
      real.cursor = await real.store.headCursor();
      await fc.asyncModelRun(() => ({ model: { elapsed: 0, written: 0 }, real }), cmds);

      // Everything has landed; once the settle window has passed, a drain reads the rest.
      real.time += SETTLE_MS + 1;
      for (let reads = 0; reads < 50; reads++) {
        const read = await real.store.readAfter(real.cursor, 10);
        real.delivered.push(...read.entries.map((entry) => entry.item.item_id));
        reconnect(real, read.cursor);
        if (!read.full) break;
      }

      expect(new Set(real.delivered).size).toBe(real.delivered.length);
      expect([...real.delivered].sort()).toEqual([...real.written].sort());
    }),
    {
      numRuns: 30,
      // Always tried as well: a page that ends inside a run of items sharing one stamp, read
      // long after they settled; and items just past one query budget of empty hours.
      examples: [
        [[new Ingest(4, true), new Advance(6000), new Read(2, 5), new Read(1, 0), new Read(5, 5)]],
        [[new Read(1, 1), new Advance(24 * HOUR), new Ingest(2, false), new Advance(HOUR), new Read(5, 5)]],
      ],
    },
  );
});
