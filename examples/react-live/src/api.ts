/**
 * The app's one REST client (tickerpulse/client), and the calls it makes. Each returns the
 * contract's data or throws an Error whose message says what went wrong, for the view to show.
 */
import { createRestClient, type EventPayloads, isProblem } from 'tickerpulse/client';
import { settings } from './config.ts';

type Item = EventPayloads['new_item'];
type Metrics = EventPayloads['metrics'];

const api = createRestClient({ baseUrl: settings.restUrl, headers: { 'x-user-id': settings.userId } });

/** An answer that is not 2xx, as one line: the problem's title when the server sent one. */
function failure(response: Response, error: unknown): Error {
  const detail = isProblem(error) ? `${error.title}${error.detail === undefined ? '' : `: ${error.detail}`}` : '';
  return new Error(`${response.status} ${detail || response.statusText}`.trim());
}

async function loadOverview(): Promise<{ metrics: Metrics; items: readonly Item[] }> {
  const [metrics, items] = await Promise.all([
    api.GET('/api/v2/metrics'),
    api.GET('/api/v2/items', { params: { query: { limit: 5 } } }),
  ]);
  if (metrics.data === undefined) throw failure(metrics.response, metrics.error);
  if (items.data === undefined) throw failure(items.response, items.error);
  return { metrics: metrics.data, items: items.data.items };
}

async function createConfiguration(name: string, tickers: readonly string[]) {
  const { data, error, response } = await api.POST('/api/v2/configurations', { body: { name, tickers: [...tickers] } });
  if (data === undefined) throw failure(response, error);
  return data;
}

/** A fresh stream token for a configuration's stream: what a browser sends as `?token=`. */
async function mintStreamToken(configId: string): Promise<string> {
  const { data, error, response } = await api.POST('/api/v2/configurations/{config_id}/stream-token', {
    params: { path: { config_id: configId } },
  });
  if (data === undefined) throw failure(response, error);
  return data.token;
}

export type { Item, Metrics };
export { createConfiguration, loadOverview, mintStreamToken };
