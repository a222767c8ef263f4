/**
 * The store reads of one batch's fan-out, view after view: a configuration stream's configuration
 * as stored now, and each view's aggregates.
 *
 * The poller has already moved past the batch's items, so a read that fails must not hold them
 * back: the view gets the items without aggregates (or keeps its tickers), and the next batch
 * brings the rest. After the first failure the batch's remaining reads are skipped: the store is
 * down, and each read would wait out the SDK's retries, view after view, while every later view's
 * items waited behind it. One warning per batch says how many views went without.
 */
import type { Configuration } from '../contract/index.ts';
import type { Aggregates, EngineLogger, FeedSource } from './ports.ts';
import { aggregatesOf, type View } from './views.ts';

class BatchReads {
  readonly #store: FeedSource;
  #failure: unknown;
  #failed = false;
  #viewsWithout = 0;

  constructor(store: FeedSource) {
    this.#store = store;
  }

  /** The configuration as stored now; null once it was deleted; undefined when the store did not answer. */
  configuration(owner: NonNullable<View['owner']>): Promise<Configuration | null | undefined> {
    return this.#read(() => this.#store.getConfiguration(owner.userId, owner.configId));
  }

  /** The view's aggregates now; undefined when the store did not answer. */
  async aggregates(view: View): Promise<Aggregates | undefined> {
    const aggregates = await this.#read(() => aggregatesOf(view, this.#store));
    if (aggregates === undefined) this.#viewsWithout += 1;
    return aggregates;
  }

  /** One warning for the batch, if any read failed. */
  report(logger: EngineLogger, batchCursor: string): void {
    if (!this.#failed) return;
    logger.warn('batch sent without aggregates: the store did not answer', {
      error: this.#failure,
      views_without_aggregates: this.#viewsWithout,
      batch_cursor: batchCursor,
    });
  }

  async #read<T>(read: () => Promise<T>): Promise<T | undefined> {
    if (this.#failed) return undefined;
    try {
      return await read();
    } catch (error) {
      this.#failed = true;
      this.#failure = error;
      return undefined;
    }
  }
}

export { BatchReads };
