import type { OperationHandler } from '../handler.ts';
import type { HandlerDeps } from './deps.ts';

/** `GET /api/v2/metrics`: the trailing-24-hour snapshot from the hourly counters. */
const getMetrics =
  (deps: HandlerDeps): OperationHandler<'getMetrics'> =>
  async () => {
    const { metrics } = await deps.store.aggregates();
    return { status: 200, body: metrics, headers: { 'Cache-Control': 'no-store' } };
  };

export { getMetrics };
