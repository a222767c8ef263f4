/**
 * What the client tests need around a subscription: everything it reported, in order, and an
 * ingest through the typed REST client itself.
 */
import { expect } from 'vitest';
import {
  createRestClient,
  type EventPayloads,
  type ResumeOutcome,
  type StreamState,
  type SubscribeOptions,
  type Subscription,
  subscribe,
} from 'tickerpulse/client';
import { TEST_INGEST_KEY } from '../../support/test-server.ts';

interface Recording {
  readonly subscription: Subscription;
  /** `item_id` of every new_item, in arrival order (a repeat would show twice). */
  readonly items: string[];
  /** The `id` of every event received, in order. */
  readonly ids: string[];
  readonly opens: ResumeOutcome[];
  readonly reconnects: EventPayloads['reconnect'][];
  /** When each heartbeat arrived (performance.now()). */
  readonly heartbeats: number[];
  readonly states: StreamState[];
  readonly errors: unknown[];
  /** When each state was reported (performance.now()), index for index with `states`. */
  readonly stateTimes: number[];
  resets: number;
}

/** Fast backoff for tests (its base is the client's delay floor); the policy itself is the production one. */
const TEST_BACKOFF = { baseMs: 250, capMs: 1000 } as const;

function record(url: Parameters<typeof subscribe>[0], extra: Partial<SubscribeOptions> = {}): Recording {
  const recording: Omit<Recording, 'subscription'> = {
    items: [],
    ids: [],
    opens: [],
    reconnects: [],
    heartbeats: [],
    states: [],
    errors: [],
    stateTimes: [],
    resets: 0,
  };
  const subscription = subscribe(url, {
    onEvent: {
      stream_open: (open, event) => {
        recording.opens.push(open.outcome);
        recording.ids.push(event.id);
      },
      new_item: (item, event) => {
        recording.items.push(item.item_id);
        recording.ids.push(event.id);
      },
      reconnect: (hint) => recording.reconnects.push(hint),
      heartbeat: () => recording.heartbeats.push(performance.now()),
    },
    onState: (state) => {
      recording.states.push(state);
      recording.stateTimes.push(performance.now());
    },
    onReset: () => {
      recording.resets += 1;
    },
    onError: (error) => recording.errors.push(error),
    backoff: TEST_BACKOFF,
    ...extra,
  });
  return Object.assign(recording, { subscription });
}

let sequence = 0;

/** Ingests `count` items for `ticker` through the typed client; returns their ids in order. */
async function ingest(baseUrl: string, count: number, ticker = 'AAPL'): Promise<string[]> {
  const rest = createRestClient({ baseUrl, headers: { 'x-api-key': TEST_INGEST_KEY } });
  const items = Array.from({ length: count }, () => {
    sequence += 1;
    return {
      item_id: `client-${process.pid}-${sequence}`,
      ticker,
      sentiment: 'positive' as const,
      score: 0.25,
      timestamp: new Date().toISOString(),
    };
  });
  const { response } = await rest.POST('/api/v2/items', { body: { items } });
  expect(response.status).toBe(200);
  return items.map((item) => item.item_id);
}

/** Waits until `recording.items` holds every id of `expected`. */
async function waitForItems(recording: Recording, expected: readonly string[], timeout = 10_000): Promise<void> {
  await expect
    .poll(() => expected.filter((id) => !recording.items.includes(id)), { timeout, interval: 50 })
    .toEqual([]);
}

const waits = (recording: Recording) =>
  recording.states.filter((state): state is Extract<StreamState, { state: 'waiting' }> => state.state === 'waiting');

export type { Recording };
export { ingest, record, TEST_BACKOFF, waitForItems, waits };
