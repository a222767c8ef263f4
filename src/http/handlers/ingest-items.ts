import type { Schemas } from '../../contract/index.ts';
import type { OperationHandler } from '../handler.ts';
import type { HandlerDeps } from './deps.ts';

/** `POST /api/v2/items`: the whole batch is already valid here (nothing stored otherwise). */
const ingestItems =
  (deps: HandlerDeps): OperationHandler<'ingestItems'> =>
  async ({ body }) => {
    const statuses = await deps.store.ingest(body.items);
    const count = (status: string) => statuses.filter((s) => s === status).length;
    const result: Schemas['IngestResult'] = {
      accepted: count('created'),
      duplicates: count('duplicate'),
      conflicts: count('conflict'),
      results: body.items.map((item, i) => ({ item_id: item.item_id, status: statuses[i] ?? 'duplicate' })),
    };
    return { status: 200, body: result };
  };

export { ingestItems };
