/** Every REST handler, bound to its dependencies. */
import type { Handlers } from '../handler.ts';
import {
  createConfiguration,
  createStreamToken,
  deleteConfiguration,
  getConfiguration,
  listConfigurations,
  replaceConfiguration,
} from './configurations.ts';
import type { HandlerDeps } from './deps.ts';
import { getHealth } from './get-health.ts';
import { getMetrics } from './get-metrics.ts';
import { getMetricsHistory } from './get-metrics-history.ts';
import { getServiceMetrics } from './get-service-metrics.ts';
import { ingestItems } from './ingest-items.ts';
import { listItems } from './list-items.ts';

function createRestHandlers(deps: HandlerDeps): Handlers {
  return {
    getHealth: getHealth(deps),
    getMetrics: getMetrics(deps),
    getMetricsHistory: getMetricsHistory(deps),
    getServiceMetrics: getServiceMetrics(deps),
    listItems: listItems(deps),
    ingestItems: ingestItems(deps),
    listConfigurations: listConfigurations(deps),
    createConfiguration: createConfiguration(deps),
    getConfiguration: getConfiguration(deps),
    replaceConfiguration: replaceConfiguration(deps),
    deleteConfiguration: deleteConfiguration(deps),
    createStreamToken: createStreamToken(deps),
  };
}

export type { HandlerDeps };
export { createRestHandlers };
