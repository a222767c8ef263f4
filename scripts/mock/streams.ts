/**
 * The open streams of the mock SSE server, and what each one is sent. Every stream sees the feed
 * through its view: the global stream every ticker, a configuration's stream only that
 * configuration's tickers (streams of one view share their frames, built once per item). A stream
 * opens in the contract's order (`retry:`, `stream_open`, the snapshot, a `heartbeat` at once) and
 * may be asked to play an edge the real server sends (prefer.ts):
 *
 * - `reconnect`: one item interval after it opens, a `reconnect` (reason `deadline`, what a
 *   Lambda deployment sends before every function deadline) with its `retry:`, then the end;
 * - `stream_closed`: one item interval after it opens, `stream_closed` (the configuration was
 *   deleted), then the end;
 * - `degraded`: the store is down: no snapshot, heartbeats with `status: degraded` and a lag that
 *   keeps growing, and no items, for as long as the stream stays open.
 *
 * Every frame is checked against its channel's contract before it is written.
 */
import type { ServerResponse } from 'node:http';
import type { ChannelKey } from '../../src/contract/index.ts';
import { frameEvent, frameRetry } from '../../src/stream/frame.ts';
import { assertOnContract, type MockEvent, type MockFeed, type ResumeOutcome, type StoreHealth } from './feed.ts';
import type { Scenario } from './prefer.ts';
import type { Scope } from './tallies.ts';

/** What a stream is, as the gate decided it. */
interface StreamRequest {
  readonly channel: ChannelKey;
  /** `global`, or the configuration's id: the streams of one view get the same frames. */
  readonly view: string;
  readonly scope: Scope;
  readonly outcome: ResumeOutcome;
  readonly scenario: Scenario | undefined;
}

interface Connection extends StreamRequest {
  readonly response: ServerResponse;
  readonly health: StoreHealth;
  edge: NodeJS.Timeout | undefined;
}

interface MockStreams {
  readonly size: number;
  /** The first bytes of a stream: `retry:`, its opening and a heartbeat. Throws on contract drift. */
  opening(request: StreamRequest): { readonly text: string; readonly health: StoreHealth };
  /** Registers a stream whose headers and opening are written; it gets every later frame. */
  attach(response: ServerResponse, request: StreamRequest, health: StoreHealth): void;
  /** A new item to every stream whose view shows it. Throws on contract drift. */
  tick(): void;
  /** A heartbeat to every stream. Throws on contract drift. */
  heartbeat(): void;
  /** Ends every stream with `goodbye` (none: cut). */
  closeAll(goodbye: MockEvent | undefined): void;
}

interface StreamsOptions {
  readonly feed: MockFeed;
  /** How long after it opens a stream plays its `reconnect` or `stream_closed`. */
  readonly edgeAfterMs: number;
  /** Unread output past this closes the connection. */
  readonly maxBufferedBytes: number;
  /** Contract drift found on a timer of one stream (its edge): the server stops. */
  readonly fail: (error: unknown) => void;
  readonly now?: () => number;
}

const HEALTHY: StoreHealth = { status: 'ok' };

/** The frames of `events`, each checked against `channel`'s contract first. */
function framesOf(events: readonly MockEvent[], channel: ChannelKey): string {
  let out = '';
  for (const event of events) {
    assertOnContract(event, channel);
    out += frameEvent(event);
  }
  return out;
}

function createStreams(options: StreamsOptions): MockStreams {
  const { feed } = options;
  const now = options.now ?? Date.now;
  const connections = new Map<ServerResponse, Connection>();

  const write = (connection: Connection, text: string): void => {
    const { response } = connection;
    // A client that stopped reading (a paused tab, a stuck proxy) must not grow memory without bound.
    if (!response.write(text) && response.writableLength > options.maxBufferedBytes) response.destroy();
  };
  const detach = (connection: Connection): void => {
    clearTimeout(connection.edge);
    connections.delete(connection.response);
  };
  /** The end the real server gives such a stream: its last event, then the end of the response. */
  const playEdge = (connection: Connection): void => {
    try {
      const last = connection.scenario === 'stream_closed' ? feed.streamClosed() : feed.reconnect('deadline');
      const text = framesOf([last], connection.channel);
      detach(connection);
      connection.response.end(text);
    } catch (error) {
      options.fail(error);
    }
  };

  return {
    get size() {
      return connections.size;
    },
    opening(request) {
      const health: StoreHealth =
        request.scenario === 'degraded' ? { status: 'degraded', lastPollAt: now() - feed.degradedLagMs } : HEALTHY;
      // The store is down: the snapshot is left out, and the heartbeat says so.
      const events = feed.opening(request.outcome, request.scope, health.status === 'ok');
      events.push(feed.heartbeat(connections.size + 1, health));
      return { text: frameRetry(feed.retryMs) + framesOf(events, request.channel), health };
    },
    attach(response, request, health) {
      const connection: Connection = { ...request, response, health, edge: undefined };
      connections.set(response, connection);
      response.once('close', () => {
        detach(connection);
      });
      if (request.scenario === 'reconnect' || request.scenario === 'stream_closed') {
        connection.edge = setTimeout(() => {
          playEdge(connection);
        }, options.edgeAfterMs);
      }
    },
    tick() {
      const tick = feed.next();
      const byView = new Map<string, string>();
      for (const connection of connections.values()) {
        // Its store is down: nothing new can be read, so nothing arrives but heartbeats.
        if (connection.health.status !== 'ok') continue;
        let text = byView.get(connection.view);
        if (text === undefined) {
          text = framesOf(feed.eventsFor(tick, connection.scope), connection.channel);
          byView.set(connection.view, text);
        }
        if (text !== '') write(connection, text);
      }
    },
    heartbeat() {
      let healthy: MockEvent | undefined;
      const byChannel = new Map<ChannelKey, string>();
      for (const connection of connections.values()) {
        if (connection.health.status !== 'ok') {
          write(connection, framesOf([feed.heartbeat(connections.size, connection.health)], connection.channel));
          continue;
        }
        let text = byChannel.get(connection.channel);
        if (text === undefined) {
          healthy ??= feed.heartbeat(connections.size, HEALTHY);
          text = framesOf([healthy], connection.channel);
          byChannel.set(connection.channel, text);
        }
        write(connection, text);
      }
    },
    closeAll(goodbye) {
      const byChannel = new Map<ChannelKey, string>();
      for (const connection of [...connections.values()]) {
        detach(connection);
        if (goodbye === undefined) {
          connection.response.destroy();
          continue;
        }
        let text = byChannel.get(connection.channel);
        if (text === undefined) {
          text = framesOf([goodbye], connection.channel);
          byChannel.set(connection.channel, text);
        }
        connection.response.end(text);
      }
    },
  };
}

export type { MockStreams, StreamRequest };
export { createStreams };
