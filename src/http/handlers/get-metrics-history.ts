import type { OperationHandler } from '../handler.ts';
import type { HandlerDeps } from './deps.ts';

/**
 * `GET /api/v2/metrics/history`: sentiment over time by item timestamp, from the history counters
 * (at most two store queries, through the same short cache as the metrics). The query is
 * validated against the contract before this runs.
 */
const getMetricsHistory =
  (deps: HandlerDeps): OperationHandler<'getMetricsHistory'> =>
  async ({ query }) => {
    // The validator fills the contract's default; the generated type still says optional.
    const body = await deps.store.history(query.bucket ?? '1h', query.ticker);
    return { status: 200, body, headers: { 'Cache-Control': 'no-store' } };
  };

export { getMetricsHistory };
