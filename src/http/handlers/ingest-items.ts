import type { Schemas } from '../../contract/index.ts';
import { IngestNotConfirmedError } from '../../store/index.ts';
import { HttpError } from '../errors.ts';
import type { OperationHandler } from '../handler.ts';
import { PROBLEM_TYPES } from '../problem-types.ts';
import type { HandlerDeps } from './deps.ts';

/** Item ids named in a problem's detail; the rest are counted (the detail stays short). */
const NAMED_IDS = 3;

/** `409 /problems/ingest-in-progress`: an earlier request still holds some items of the batch. */
class IngestInProgressError extends HttpError {
  readonly status = PROBLEM_TYPES.ingestInProgress.status;
  readonly type = PROBLEM_TYPES.ingestInProgress.type;
  readonly title = PROBLEM_TYPES.ingestInProgress.title;
  override readonly headers: Readonly<Record<string, string>>;
  constructor(detail: string, retryAfterSeconds: number) {
    super(detail);
    this.headers = { 'Retry-After': String(retryAfterSeconds) };
  }
}

/** Whole seconds, at least 1: the time after which a retry is sure to be answered, rounded up. */
const retryAfterSeconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

function describeIds(ids: readonly string[], batchSize: number): string {
  const named = ids.slice(0, NAMED_IDS).join(', ');
  const more = ids.length > NAMED_IDS ? ` and ${ids.length - NAMED_IDS} more` : '';
  return `${ids.length} of ${batchSize} items (${named}${more})`;
}

/** The store could not confirm the batch: a retryable problem, never a 2xx. */
function notConfirmed(error: IngestNotConfirmedError, batchSize: number): HttpError {
  const seconds = retryAfterSeconds(error.retryAfterMs);
  const items = describeIds(error.itemIds, batchSize);
  return new IngestInProgressError(
    `${items} are still being written by an earlier request; retry the same batch in ${seconds} s.`,
    seconds,
  );
}

/**
 * `POST /api/v2/items`: the whole batch is already valid here (nothing stored otherwise). A 200
 * only when the store confirms every item stored (each is then counted exactly once, see
 * docs/data-model.md). The ingest runs to its end even when the client leaves: stopping half-way
 * would only make a retry wait out this request's write window.
 */
const ingestItems =
  (deps: HandlerDeps): OperationHandler<'ingestItems'> =>
  async ({ body }) => {
    let statuses;
    try {
      statuses = await deps.store.ingest(body.items);
    } catch (error) {
      if (error instanceof IngestNotConfirmedError) throw notConfirmed(error, body.items.length);
      throw error;
    }
    const count = (status: string) => statuses.filter((s) => s === status).length;
    const result: Schemas['IngestResult'] = {
      accepted: count('created'),
      duplicates: count('duplicate'),
      conflicts: count('conflict'),
      results: body.items.map((item, i) => {
        const status = statuses[i];
        if (status === undefined) throw new Error('the store returned fewer statuses than items');
        return { item_id: item.item_id, status };
      }),
    };
    return { status: 200, body: result };
  };

export { ingestItems };
