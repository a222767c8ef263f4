import { connect } from 'node:net';
import { expect, it } from 'vitest';
import { createApiClient } from '../../support/api-client.ts';
import { startTestServer, TEST_INGEST_KEY } from '../../support/test-server.ts';

it('disconnects a client that stops reading once its queue is full, so server memory stays bounded', async () => {
  const server = await startTestServer(
    { POLL_INTERVAL_MS: '100', FEED_SETTLE_MS: '500' },
    { maxQueuedBytes: 64 * 1024 },
  );
  const api = createApiClient(() => server.url);
  const { port } = new URL(server.url);
  try {
    // A real socket that sends its request and then never reads again.
    const socket = connect({ host: '127.0.0.1', port: Number(port) });
    await new Promise<void>((resolve) => {
      socket.once('connect', () => {
        resolve();
      });
    });
    socket.write('GET /api/v2/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n');
    socket.pause();
    await expect.poll(() => server.hub.size, { timeout: 5000 }).toBe(1);

    // Keep the stream busy until the kernel buffers and then the 64 KiB queue are full.
    let sequence = 0;
    const deadline = Date.now() + 60_000;
    while (server.hub.size > 0 && Date.now() < deadline) {
      const items = Array.from({ length: 25 }, () => ({
        item_id: `slow-${++sequence}`,
        ticker: ['AAPL', 'MSFT', 'NVDA', 'TSLA'][sequence % 4],
        sentiment: 'positive',
        score: 0.3,
        timestamp: '2026-11-21T09:00:00Z',
        source: 'x'.repeat(64),
      }));
      await api.request('/api/v2/items', {
        method: 'POST',
        headers: { 'x-api-key': TEST_INGEST_KEY },
        json: { items },
      });
    }
    const metrics = (await api.request('/metrics')).text;
    socket.destroy();

    expect(server.hub.size).toBe(0);
    expect(metrics).toMatch(/tickerpulse_stream_slow_consumer_disconnects_total 1/);
    expect(metrics).toMatch(/tickerpulse_stream_connections_closed_total\{stream="global",reason="slow_consumer"\} 1/);
  } finally {
    await server.close();
  }
}, 120_000);
