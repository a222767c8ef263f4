import type { OperationHandler } from '../handler.ts';
import type { HandlerDeps } from './deps.ts';

/** `GET /metrics`: the stream engine's and poller's figures in Prometheus text format. */
const getServiceMetrics =
  (deps: HandlerDeps): OperationHandler<'getServiceMetrics'> =>
  async () => ({
    status: 200,
    text: { contentType: 'text/plain; version=0.0.4; charset=utf-8', content: await deps.serviceMetrics() },
    headers: { 'Cache-Control': 'no-store' },
  });

export { getServiceMetrics };
