/**
 * The stream engine's one composition (src/runtime/stream-engine.ts), driven as each host drives
 * it, on a real dynalite: a long-running server (start, connect, closeAll, stop) and the Lambda
 * (one stream until the deadline). Every frame is parsed as a browser would and checked against
 * the contract.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.ts';
import { parseEvent, type StreamEvent } from '../../../src/contract/index.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { createPrometheusMetrics } from '../../../src/observability/stream-metrics.ts';
import { startLocalServer } from '../../../src/runtime/local-server.ts';
import { decodeCursor } from '../../../src/feed/cursor.ts';
import { runStreamUntilDeadline, startStreamEngine } from '../../../src/runtime/stream-engine.ts';
import type { SseSink } from '../../../src/stream/sink.ts';
import { capturingLogger } from '../../support/capturing-logger.ts';
import { parseSseText } from '../../support/sse-text.ts';
import { itemInput, startTestStore, type TestStore } from '../../support/test-store.ts';

const config = loadConfig({
  POLL_INTERVAL_MS: '100',
  HEARTBEAT_INTERVAL_MS: '1000',
  RETRY_MS: '2000',
  STREAM_DEADLINE_MARGIN_MS: '1000',
  INGEST_API_KEY: 'engine-test-ingest-key-0123456789',
});
const logger = createLogger('silent');

/** A sink that keeps what it is given, as a response that never pushes back would. */
function collectingSink() {
  let text = '';
  let ended = false;
  const closeListeners: (() => void)[] = [];
  const sink: SseSink = {
    write: (chunk) => {
      text += chunk;
      return true;
    },
    end: () => {
      ended = true;
      for (const listener of closeListeners) listener();
    },
    destroy: () => {
      ended = true;
      for (const listener of closeListeners) listener();
    },
    onDrain: () => undefined,
    onClose: (listener) => closeListeners.push(listener),
  };
  return {
    sink,
    ended: () => ended,
    /** The frames so far, each checked against the global stream's contract. */
    read: () => {
      const parsed = parseSseText(text);
      const events = parsed.frames.map((frame) => {
        const result = parseEvent(frame, 'globalStream');
        if (!result.ok) throw new Error(`contract violation: ${JSON.stringify(result.issues)}`);
        return result.value;
      });
      return { events, retries: parsed.retries };
    },
  };
}

const reconnectOf = (events: readonly StreamEvent[]) => {
  const last = events.at(-1);
  if (last?.event !== 'reconnect') throw new Error(`expected a final reconnect, got ${last?.event}`);
  return last;
};

let t: TestStore;
beforeAll(async () => {
  t = await startTestStore({ settleMs: 1000 });
  t.setTime(Date.now());
  await t.store.ingest([itemInput(), itemInput()]);
  t.advance(5000);
});
afterAll(async () => {
  await t.close();
});

/** The feed position an id names (its serial, if any, left out). */
const positionOf = (id: string | undefined) => decodeCursor(id ?? '');

describe('a long-running host (local or production server)', () => {
  it('opens a stream and ends it with a shutdown reconnect hint carrying the stream’s cursor', async () => {
    const engine = await startStreamEngine({ store: t.store, config, metrics: createPrometheusMetrics(), logger });
    try {
      const client = collectingSink();
      const subscriber = await engine.hub.connect({
        sink: client.sink,
        clientId: 'engine-test',
        lastEventId: undefined,
      });
      expect(engine.hub.size).toBe(1);
      expect(client.read().events[0]).toMatchObject({ event: 'stream_open', data: { outcome: 'fresh' } });
      engine.hub.closeAll('shutdown');
      await expect(subscriber.closed).resolves.toBe('shutdown');
      const { events } = client.read();
      const reconnect = reconnectOf(events);
      expect(reconnect.data.reason).toBe('shutdown');
      // The hint resumes exactly where the stream was: the position of the last event before it.
      expect(positionOf(reconnect.id)).toEqual(positionOf(events.at(-2)?.id));
      expect(reconnect.id).not.toBe(events.at(-2)?.id);
      expect(client.ended()).toBe(true);
      expect(engine.hub.size).toBe(0);
    } finally {
      engine.stop();
    }
  });
});

describe('a host with a deadline (the SSE Lambda)', () => {
  const run = async (lastEventId: string | undefined, remainingMs: number) => {
    const client = collectingSink();
    await runStreamUntilDeadline({
      store: t.store,
      config,
      metrics: createPrometheusMetrics(),
      logger,
      request: { clientId: 'engine-test', lastEventId },
      openSink: () => client.sink,
      remainingMs,
    });
    return client;
  };

  it('too close to the deadline: only a reconnect, at once, from the client’s own cursor', async () => {
    const head = t.store.encodeCursor(await t.store.headCursor());
    const first = (await run(undefined, config.streamDeadlineMarginMs)).read();
    expect(first.events.map((e) => e.event)).toEqual(['reconnect']);
    expect(first.retries).toEqual([2000, 2000]);
    expect(reconnectOf(first.events)).toMatchObject({ data: { reason: 'deadline', retry_ms: 2000 } });
    expect(positionOf(reconnectOf(first.events).id)).toEqual(positionOf(head));

    // A valid cursor older than the head is kept: the items after it are still to be delivered.
    const older = t.store.encodeCursor({ watermark: t.now() - 60_000, entries: [] });
    const resumed = (await run(older, 0)).read();
    expect(positionOf(reconnectOf(resumed.events).id)).toEqual(positionOf(older));

    // Client junk is not echoed: the client starts again from the head.
    const junk = (await run('not-a-cursor', 0)).read();
    expect(positionOf(reconnectOf(junk.events).id)).toEqual(positionOf(head));
  });

  it('streams until the margin before the deadline, then ends with a deadline reconnect', async () => {
    const client = await run(undefined, config.streamDeadlineMarginMs + 300);
    const { events } = client.read();
    expect(events[0]).toMatchObject({ event: 'stream_open' });
    expect(reconnectOf(events).data.reason).toBe('deadline');
    expect(client.ended()).toBe(true);
  });
});

describe('a failed start of the local server', () => {
  it('leaves no poller polling the store it closed', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    const captured = capturingLogger();
    try {
      const taken = loadConfig({ PORT: String(port), HOST: '127.0.0.1', POLL_INTERVAL_MS: '100', LOG_LEVEL: 'silent' });
      await expect(startLocalServer(taken, { logger: captured })).rejects.toThrow(/EADDRINUSE/);
      // A poller left running would fail against the closed store on each of these ticks and say so.
      for (let tick = 0; tick < 10; tick += 1) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(captured.lines.filter((line) => line.level === 'WARN')).toEqual([]);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
