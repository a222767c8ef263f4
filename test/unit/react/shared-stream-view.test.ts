/**
 * What users of a shared stream read and run (src/react/shared-streams.ts), with a recording
 * stand-in for subscribe(): the view (latest payload per event, newest items, state, error),
 * every user's handlers for every event, a handler that throws (the view still updates, the
 * other users' handlers still run, the error is shown), and the token of a `?token=` stream
 * asked of the users' latest getter before every connect.
 */
import { describe, expect, it } from 'vitest';
import { StreamRefusedError } from '../../../src/client/index.ts';
import {
  createSharedStreams,
  STREAM_ITEMS_KEPT,
  type StreamCallbacks,
  type StreamTarget,
  streamKey,
} from '../../../src/react/shared-streams.ts';
import { fire, item, type Opened, recordingOpen, state } from './recording-open.ts';

const STREAM_URL = 'http://127.0.0.1:3000/api/v2/configurations/c-1/stream';

interface Probe {
  callbacks: StreamCallbacks;
  changes: number;
}

/** A shared stream with users whose callbacks a test can swap; the one subscription it opened. */
function setUp(target: StreamTarget, users: number) {
  const { open, opened } = recordingOpen();
  const streams = createSharedStreams(open);
  const probes: Probe[] = [];
  const leaves = Array.from({ length: users }, () => {
    const probe: Probe = { callbacks: {}, changes: 0 };
    probes.push(probe);
    return streams.join(target, {
      callbacks: () => probe.callbacks,
      changed: () => {
        probe.changes += 1;
      },
    });
  });
  const subscription = (index = 0): Opened => {
    const entry = opened[index];
    if (entry === undefined) throw new Error(`no subscription ${index}`);
    return entry;
  };
  const view = () => streams.view(streamKey(target));
  return { streams, opened, probes, leaves, subscription, view };
}

describe('the view', () => {
  it('keeps the latest payload of each event and the newest items first, capped', () => {
    const { subscription, view } = setUp({ url: STREAM_URL }, 1);
    const items = Array.from({ length: STREAM_ITEMS_KEPT + 5 }, () => item());
    for (const one of items) fire(subscription(), 'new_item', one);
    fire(subscription(), 'heartbeat', {
      timestamp: '2026-11-21T09:14:05.000Z',
      connections: 3,
      status: 'ok',
      last_poll_at: '2026-11-21T09:14:04.000Z',
      lag_ms: 120,
    });
    expect(view()?.items.map((one) => one.item_id)).toEqual(
      items
        .slice(-STREAM_ITEMS_KEPT)
        .reverse()
        .map((one) => one.item_id),
    );
    expect(view()?.latest.new_item).toEqual(items.at(-1));
    expect(view()?.latest.heartbeat?.connections).toBe(3);
  });

  it('shows a failure until the stream opens again', () => {
    const { subscription, view, probes } = setUp({ url: STREAM_URL }, 2);
    const refused = new StreamRefusedError(503, 1000, '{}');
    subscription().options.onError?.(refused);
    state(subscription(), { state: 'waiting', delayMs: 1000, cause: 'refused', failures: 1 });
    expect(view()?.error).toBe(refused);
    expect(view()?.state.state).toBe('waiting');
    state(subscription(), { state: 'connecting', failures: 1 });
    expect(view()?.error).toBe(refused);
    state(subscription(), { state: 'open', outcome: 'resumed' });
    expect(view()?.error).toBeUndefined();
    expect(probes.map((probe) => probe.changes)).toEqual([4, 4]);
  });
});

describe('handlers', () => {
  it('runs every user’s latest handler for every event', () => {
    const { subscription, probes } = setUp({ url: STREAM_URL }, 2);
    const seen: string[] = [];
    const [first, second] = probes;
    if (first === undefined || second === undefined) throw new Error('two users expected');
    first.callbacks = { onEvent: { new_item: (one) => seen.push(`first:old:${one.item_id}`) } };
    second.callbacks = { onEvent: { new_item: (one, event) => seen.push(`second:${one.item_id}@${event.id}`) } };
    const one = item();
    fire(subscription(), 'new_item', one, 'c7');
    first.callbacks = { onEvent: { new_item: (next) => seen.push(`first:new:${next.item_id}`) } };
    const two = item();
    fire(subscription(), 'new_item', two, 'c8');
    expect(seen).toEqual([
      `first:old:${one.item_id}`,
      `second:${one.item_id}@c7`,
      `first:new:${two.item_id}`,
      `second:${two.item_id}@c8`,
    ]);
  });

  it('updates the view, runs the other handlers and shows the error when a handler throws', () => {
    const { subscription, probes, view } = setUp({ url: STREAM_URL }, 2);
    const failure = new Error('a render bug');
    const ran: string[] = [];
    const [first, second] = probes;
    if (first === undefined || second === undefined) throw new Error('two users expected');
    first.callbacks = {
      onEvent: {
        new_item: () => {
          throw failure;
        },
      },
    };
    second.callbacks = { onEvent: { new_item: (one) => ran.push(one.item_id) } };
    const one = item();
    fire(subscription(), 'new_item', one);
    expect(ran).toEqual([one.item_id]);
    expect(view()?.items[0]).toEqual(one);
    expect(view()?.error).toBe(failure);
    expect(probes.map((probe) => probe.changes)).toEqual([1, 1]);
  });

  it('runs every onReset, and shows what one threw', () => {
    const { subscription, probes, view } = setUp({ url: STREAM_URL }, 2);
    const failure = new Error('reload failed');
    let resets = 0;
    const [first, second] = probes;
    if (first === undefined || second === undefined) throw new Error('two users expected');
    first.callbacks = {
      onReset: () => {
        throw failure;
      },
    };
    second.callbacks = {
      onReset: () => {
        resets += 1;
      },
    };
    subscription().options.onReset?.();
    expect(resets).toBe(1);
    expect(view()?.error).toBe(failure);
    expect(probes.map((probe) => probe.changes)).toEqual([1, 1]);
  });
});

describe('a stream opened with a token', () => {
  /** The URL the stand-in would connect to now: it asks the URL source, as the client does before every connect. */
  async function connectUrl(entry: Opened): Promise<string> {
    const source = entry.url;
    return String(typeof source === 'function' ? await source() : source);
  }

  it('asks the latest getter of a present user before every connect', async () => {
    const { subscription, probes, leaves } = setUp({ url: STREAM_URL, tokenAuth: true }, 2);
    const [first, second] = probes;
    if (first === undefined || second === undefined) throw new Error('two users expected');
    first.callbacks = { token: () => 'first one' };
    second.callbacks = { token: () => Promise.resolve('second') };
    expect(await connectUrl(subscription())).toBe(`${STREAM_URL}?token=first%20one`);
    first.callbacks = { token: () => 'first renewed' };
    expect(await connectUrl(subscription())).toBe(`${STREAM_URL}?token=first%20renewed`);
    leaves[0]?.();
    expect(await connectUrl(subscription())).toBe(`${STREAM_URL}?token=second`);
  });

  it('appends the token to a URL that has a query already', async () => {
    const url = `${STREAM_URL}?last_event_id=c1`;
    const { subscription, probes } = setUp({ url, tokenAuth: true }, 1);
    if (probes[0] !== undefined) probes[0].callbacks = { token: () => 'a&b' };
    expect(await connectUrl(subscription())).toBe(`${url}&token=a%26b`);
  });

  it('fails the connect, for the client to retry, while no user gives a getter', async () => {
    const { subscription } = setUp({ url: STREAM_URL, tokenAuth: true }, 1);
    await expect(connectUrl(subscription())).rejects.toThrow(/none of its users gives one/);
  });

  it('passes a getter’s rejection on as the connect’s failure', async () => {
    const { subscription, probes } = setUp({ url: STREAM_URL, tokenAuth: true }, 1);
    const refused = new Error('401 from stream-token');
    if (probes[0] !== undefined) probes[0].callbacks = { token: () => Promise.reject(refused) };
    await expect(connectUrl(subscription())).rejects.toBe(refused);
  });
});
