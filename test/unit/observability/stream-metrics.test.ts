/**
 * The Prometheus recorder of the engine's metrics port: open and opened streams are tallied in
 * plain numbers and read when scraped, so every scrape must show the same totals as if each call
 * had gone to prom-client at once, however often it is scraped.
 */
import { describe, expect, it } from 'vitest';
import { PROMETHEUS_METRIC_NAMES } from '../../../src/observability/metric-names.ts';
import { createPrometheusMetrics } from '../../../src/observability/stream-metrics.ts';

/** Every sample of `name` in Prometheus text, keyed by its label set. */
async function samples(metrics: ReturnType<typeof createPrometheusMetrics>, name: string) {
  const text = await metrics.registry.metrics();
  const found: Record<string, number> = {};
  for (const match of text.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, 'gm'))) {
    found[match[1] ?? ''] = Number(match[2]);
  }
  return found;
}

describe('connection metrics', () => {
  it('show open and opened streams per kind, the same on every scrape', async () => {
    const metrics = createPrometheusMetrics();
    for (let i = 0; i < 3; i += 1) metrics.connectionOpened('global');
    metrics.connectionOpened('configuration');
    metrics.connectionClosed('global', 'client_closed');

    for (let scrape = 0; scrape < 3; scrape += 1) {
      expect(await samples(metrics, PROMETHEUS_METRIC_NAMES.connections)).toEqual({
        '{stream="global"}': 2,
        '{stream="configuration"}': 1,
      });
      expect(await samples(metrics, PROMETHEUS_METRIC_NAMES.connectionsOpened)).toEqual({
        '{stream="global"}': 3,
        '{stream="configuration"}': 1,
      });
    }
  });

  it('count streams opened between two scrapes on top of the earlier ones', async () => {
    const metrics = createPrometheusMetrics();
    metrics.connectionOpened('global');
    await metrics.registry.metrics();
    metrics.connectionOpened('global');
    metrics.connectionClosed('global', 'shutdown');
    metrics.connectionClosed('global', 'shutdown');

    expect(await samples(metrics, PROMETHEUS_METRIC_NAMES.connectionsOpened)).toMatchObject({ '{stream="global"}': 2 });
    expect(await samples(metrics, PROMETHEUS_METRIC_NAMES.connections)).toMatchObject({ '{stream="global"}': 0 });
    expect(await samples(metrics, PROMETHEUS_METRIC_NAMES.connectionsClosed)).toEqual({
      '{stream="global",reason="shutdown"}': 2,
    });
  });
});
