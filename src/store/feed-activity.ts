/**
 * What a process knows of its own appends to the feed. Every store of the process reports its
 * ingests here; listeners hear of each one that wrote to the feed (the stream engine's poller
 * wakes on it, so an ingest through this process reaches its streams without waiting for a poll;
 * one that changed nothing wakes nobody).
 *
 * When the process is the table's only writer (the embedded store: nothing else can reach it),
 * this is also all there is to know: a read may then be skipped while no ingest ran or wrote
 * since the last one, which is what keeps an idle server from polling at all.
 */

/** Where the feed stood when a read started. */
interface ActivityMark {
  readonly version: number;
  /** No ingest was running: nothing could have been written that the read might have missed. */
  readonly quiet: boolean;
}

interface FeedActivity {
  /** True when this process is the table's only writer. */
  readonly exclusive: boolean;
  /** An ingest starts; call `end` when it is over, whatever its outcome. */
  begin(): void;
  /** @param wrote it sent feed entries (or may have: an error after sending counts as wrote). */
  end(wrote: boolean): void;
  mark(): ActivityMark;
  /** Whether a read started now would find what a read started at `since` found: only when exclusive. */
  unchangedSince(since: ActivityMark): boolean;
  onAppend(listener: () => void): void;
}

function createFeedActivity(options: { readonly exclusive: boolean }): FeedActivity {
  let version = 0;
  let running = 0;
  const listeners: (() => void)[] = [];
  return {
    exclusive: options.exclusive,
    begin: () => {
      running += 1;
    },
    end: (wrote) => {
      running -= 1;
      if (!wrote) return;
      version += 1;
      for (const listener of listeners) listener();
    },
    mark: () => ({ version, quiet: running === 0 }),
    unchangedSince: (since) => options.exclusive && since.quiet && running === 0 && since.version === version,
    onAppend: (listener) => {
      listeners.push(listener);
    },
  };
}

export type { ActivityMark, FeedActivity };
export { createFeedActivity };
