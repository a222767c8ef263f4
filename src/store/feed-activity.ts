/**
 * What a process knows of its own appends to the feed. Every store of the process reports its
 * ingests here; listeners hear of each one that wrote to the feed (the stream engine's poller
 * wakes on it, so an ingest through this process reaches its streams without waiting for a poll;
 * one that changed nothing wakes nobody).
 *
 * When the process is the table's only writer (the embedded store: nothing else can reach it),
 * this is also all there is to know, and it keeps the rows themselves: the feed entries each
 * ingest had acknowledged, in a ledger of the last LEDGER_ROWS of them. A reader that read the
 * feed completely at some mark then learns what a read now would add without sending one
 * (`appendedSince`): exactly those rows, provided no ingest is running now (one in flight may
 * have written rows it has not reported) and every ingest since the mark knows what it wrote (a
 * BatchWrite that failed may or may not have been applied). Anything else is answered
 * `undefined`, and the reader reads the store. The same holds for fold rounds (`unfoldedSince`).
 */
import type { FeedRowRaw } from './feed-query.ts';

/** Feed entries the ledger keeps; a reader further behind than this reads the store. */
const LEDGER_ROWS = 4096;

/** Where the feed stood when a read started. */
interface ActivityMark {
  /** Ingests that wrote (or may have), counted. */
  readonly version: number;
  /** Fold rounds that ended, counted. */
  readonly folds: number;
}

/** One ingest's report: what it sent and what the store acknowledged. */
interface IngestReport {
  /** A BatchWrite of feed entries is about to be sent. */
  readonly sending: () => void;
  /** That BatchWrite came back; `rows` are the entries it applied (not those handed back unprocessed). */
  readonly written: (rows: readonly FeedRowRaw[]) => void;
  /** The ingest is over, whatever its outcome. True when it sent feed entries (or may have). */
  readonly end: () => boolean;
}

interface FeedActivity {
  /** True when this process is the table's only writer. */
  readonly exclusive: boolean;
  /** An ingest starts; call its report's `end` when it is over, whatever its outcome. */
  begin(): IngestReport;
  /** A fold round of this process ended (whatever its outcome: it may have moved the watermark). */
  folded(): void;
  mark(): ActivityMark;
  /**
   * The feed entries appended since `since`, in no particular order, when that is certain (see
   * above; only on an exclusive feed); undefined when only a read of the store can tell.
   */
  appendedSince(since: ActivityMark): readonly FeedRowRaw[] | undefined;
  /** Whether a read started now would find what a read started at `since` found. */
  unchangedSince(since: ActivityMark): boolean;
  /** Whether no fold round ended since `since`, when that is certain (only on an exclusive feed). */
  unfoldedSince(since: ActivityMark): boolean;
  onAppend(listener: () => void): void;
}

/** One ingest that wrote, in the ledger: its rows, or null when it cannot know them. */
interface LedgerEntry {
  readonly version: number;
  readonly rows: readonly FeedRowRaw[] | null;
}

/** The rows of the newest ingests that wrote, at most LEDGER_ROWS in all (the newest entry always). */
class Ledger {
  readonly #entries: LedgerEntry[] = [];
  #rows = 0;
  /** Versions at or below this are no longer held. */
  #forgottenThrough = 0;

  add(entry: LedgerEntry): void {
    this.#entries.push(entry);
    this.#rows += entry.rows?.length ?? 0;
    // Entries are bounded too: an ingest whose rows are unknown, or none, adds no row.
    while ((this.#rows > LEDGER_ROWS || this.#entries.length > LEDGER_ROWS) && this.#entries.length > 1) {
      const oldest = this.#entries.shift();
      this.#rows -= oldest?.rows?.length ?? 0;
      this.#forgottenThrough = oldest?.version ?? this.#forgottenThrough;
    }
  }

  /** The rows of every entry after `version`; undefined when one is forgotten or unknown. */
  rowsAfter(version: number): FeedRowRaw[] | undefined {
    if (version < this.#forgottenThrough) return undefined;
    const rows: FeedRowRaw[] = [];
    for (let index = this.#entries.length - 1; index >= 0; index--) {
      const entry = this.#entries[index];
      if (entry === undefined || entry.version <= version) break;
      if (entry.rows === null) return undefined;
      rows.push(...entry.rows);
    }
    return rows;
  }
}

function createFeedActivity(options: { readonly exclusive: boolean }): FeedActivity {
  let version = 0;
  let folds = 0;
  let running = 0;
  const ledger = new Ledger();
  const listeners: (() => void)[] = [];

  const report = (): IngestReport => {
    running += 1;
    let inFlight = 0;
    let sent = false;
    let ended = false;
    const rows: FeedRowRaw[] = [];
    return {
      sending: () => {
        inFlight += 1;
        sent = true;
      },
      written: (applied) => {
        inFlight -= 1;
        rows.push(...applied);
      },
      end: () => {
        if (ended) return sent;
        ended = true;
        running -= 1;
        if (!sent) return false;
        version += 1;
        // A send that never came back may have been applied: nobody knows its rows.
        if (options.exclusive) ledger.add({ version, rows: inFlight === 0 ? rows : null });
        for (const listener of listeners) listener();
        return true;
      },
    };
  };

  const appendedSince = (since: ActivityMark): readonly FeedRowRaw[] | undefined =>
    options.exclusive && running === 0 ? ledger.rowsAfter(since.version) : undefined;

  return {
    exclusive: options.exclusive,
    begin: report,
    folded: () => {
      folds += 1;
    },
    mark: () => ({ version, folds }),
    appendedSince,
    unchangedSince: (since) => since.version === version && appendedSince(since) !== undefined,
    unfoldedSince: (since) => options.exclusive && since.folds === folds,
    onAppend: (listener) => {
      listeners.push(listener);
    },
  };
}

export type { ActivityMark, FeedActivity, IngestReport };
export { createFeedActivity, LEDGER_ROWS };
