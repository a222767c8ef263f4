import type { Health } from '../../contract/index.ts';
import type { OperationHandler } from '../handler.ts';
import type { HandlerDeps } from './deps.ts';

/** `GET /health`: always 200 while serving; `degraded` when the store does not answer. */
const getHealth =
  (deps: HandlerDeps): OperationHandler<'getHealth'> =>
  async () => {
    const latency = await deps.store.ping();
    const body: Health = {
      status: latency === null ? 'degraded' : 'ok',
      version: deps.version,
      time: new Date(deps.now()).toISOString(),
      store: { reachable: latency !== null, latency_ms: latency },
    };
    return { status: 200, body, headers: { 'Cache-Control': 'no-store' } };
  };

export { getHealth };
