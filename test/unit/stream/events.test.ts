/**
 * The typed event builders: each frames its event so that a browser-style parser reads back a
 * contract-valid event, and a payload that drifts from the contract does not compile (the
 * `@ts-expect-error` lines fail `tsc` if the builders ever accept them).
 */
import { Frames } from '../../../src/stream/frames.ts';
import { createParser } from 'eventsource-parser';
import { describe, expect, it } from 'vitest';
import { parseEvent, type StreamEvent } from '../../../src/contract/index.ts';
import { decodeCursor, encodeCursor } from '../../../src/feed/cursor.ts';
import {
  heartbeatEvent,
  metricsEvent,
  newItemEvent,
  reconnectEvent,
  sentimentUpdateEvent,
  streamClosedEvent,
  streamOpenEvent,
} from '../../../src/stream/events.ts';

const AT = '2026-11-21T09:14:03.120Z';
const POSITION = { watermark: Date.parse(AT), entries: [] };
const ID = encodeCursor(POSITION);

function readBack(frame: string): { events: StreamEvent[]; retries: number[] } {
  const events: StreamEvent[] = [];
  const retries: number[] = [];
  const parser = createParser({
    onEvent: (message) => {
      const parsed = parseEvent(
        { event: message.event ?? 'message', id: message.id, data: message.data },
        'configurationStream',
      );
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
      events.push(parsed.value);
    },
    onRetry: (ms) => retries.push(ms),
  });
  parser.feed(frame);
  return { events, retries };
}

describe('typed event builders', () => {
  it('frame every contract event so it reads back valid, with its id', () => {
    const frames = [
      streamOpenEvent(ID, { outcome: 'fresh', retry_ms: 2000, heartbeat_interval_ms: 15_000, server_time: AT }),
      metricsEvent(ID, {
        total: 1,
        positive: 1,
        neutral: 0,
        negative: 0,
        by_tag: {},
        rate_last_hour: 1,
        rate_last_24h: 1,
        as_of: AT,
      }),
      newItemEvent(ID, {
        item_id: 'a-1',
        ticker: 'AAPL',
        sentiment: 'positive',
        score: 0.5,
        timestamp: AT,
        ingested_at: AT,
      }),
      sentimentUpdateEvent(ID, {
        ticker: 'AAPL',
        total: 1,
        positive: 1,
        neutral: 0,
        negative: 0,
        average_score: 0.5,
        as_of: AT,
      }),
      heartbeatEvent(ID, { timestamp: AT, connections: 1, status: 'ok', last_poll_at: null, lag_ms: 0 }),
      reconnectEvent(ID, { reason: 'deadline', retry_ms: 1500 }),
      streamClosedEvent(ID, { reason: 'configuration_deleted' }),
    ];
    const { events, retries } = readBack(Frames.concat(frames).text);
    expect(events.map((e) => e.event)).toEqual([
      'stream_open',
      'metrics',
      'new_item',
      'sentiment_update',
      'heartbeat',
      'reconnect',
      'stream_closed',
    ]);
    // A new_item carries the cursor after its item; every other event its position with a serial.
    for (const event of events) expect(decodeCursor(event.id)).toEqual(POSITION);
    expect(events.find((e) => e.event === 'new_item')?.id).toBe(ID);
    const ids = events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    // A reconnect sets the client's delay to the one it announces.
    expect(retries).toEqual([1500]);
  });

  it('refuse payloads that drift from the contract at compile time', () => {
    const build = () => [
      // @ts-expect-error: not a reconnect reason of the contract
      reconnectEvent(ID, { reason: 'bored', retry_ms: 1 }),
      // @ts-expect-error: a heartbeat without its freshness fields
      heartbeatEvent(ID, { timestamp: AT, connections: 1 }),
      // @ts-expect-error: a field the contract does not have
      streamClosedEvent(ID, { reason: 'configuration_deleted', extra: true }),
    ];
    // At run time the frames are still built; the contract check is what catches them.
    expect(() => readBack(Frames.concat(build()).text)).toThrow();
  });
});
