/**
 * Posts realistic items to the running server's own ingest endpoint, about once a second, so a
 * fresh `npm start` has live data. It goes through HTTP on purpose: the simulator is a client
 * like the real pipeline, with the same validation, auth and idempotency.
 */
import type { Logger } from '../observability/logger.ts';
import { createMarket } from './market.ts';

interface Simulator {
  stop(): void;
}

interface SimulatorOptions {
  readonly baseUrl: string;
  readonly ingestApiKey: string;
  readonly logger: Logger;
  /** Mean pause between batches, ms. */
  readonly intervalMs?: number;
}

function startSimulator(options: SimulatorOptions): Simulator {
  const market = createMarket('sim');
  const interval = options.intervalMs ?? 1000;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const tick = async () => {
    const now = Date.now();
    // Usually one item, sometimes a small burst, as news clusters.
    const size = Math.random() < 0.8 ? 1 : 2 + Math.floor(Math.random() * 3);
    const items = Array.from({ length: size }, () => market.next(now));
    try {
      const response = await fetch(`${options.baseUrl}/api/v2/items`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': options.ingestApiKey },
        body: JSON.stringify({ items }),
        signal: AbortSignal.timeout(5000),
      });
      if (!response.ok) options.logger.warn('simulator: ingest refused', { status: response.status });
      await response.body?.cancel();
    } catch (error) {
      if (!stopped) options.logger.warn('simulator: ingest failed', { error });
    }
    if (!stopped) timer = setTimeout(() => void tick(), interval * (0.5 + Math.random()));
  };
  timer = setTimeout(() => void tick(), interval);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

export type { Simulator };
export { startSimulator };
