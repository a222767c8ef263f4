/**
 * Shared stream connections, without React: one subscribe() per distinct stream, however many
 * users ask for it, and a view of it (connection state, latest payload per event name, newest
 * items, last error) that every user reads. Users join and leave; the connection opens with the
 * first and closes when the last has left, after a linger of one macrotask, so that a user who
 * leaves and comes straight back (React StrictMode's mount, unmount, mount; a keyed remount in
 * one commit) finds the same connection instead of opening a second one.
 *
 * Two users share a connection when they ask for the same stream key (streamKey): the same URL,
 * the same headers (names in any case and order), and both with or both without a token. Every
 * user's handlers receive every event; one that throws is reported as the view's error and the
 * others still run. A connection that ended by itself (refused, `stream_closed`, gave up) stays
 * ended for its users, who read why in the view; the next user to join opens it again.
 */
import type { EventPayloads } from '../../generated/event-payloads.ts';
import type {
  EventHandlers,
  ReceivedEvent,
  StreamEventName,
  StreamState,
  SubscribeOptions,
  subscribe,
  Subscription,
} from '../client/index.ts';

/** How many `new_item` payloads a view keeps, newest first. */
const STREAM_ITEMS_KEPT = 100;

/** The connection's state as the client reports it, or `idle` when no stream is asked for. */
type ViewState = StreamState | { readonly state: 'idle' };

/** The latest payload of each event name received so far, typed per name from the contract. */
type LatestEvents = { readonly [Name in StreamEventName]?: EventPayloads[Name] };

/** What a user of a stream reads: replaced, never mutated, on every change. */
interface StreamView {
  readonly state: ViewState;
  readonly latest: LatestEvents;
  /** The newest `new_item` payloads, newest first, at most STREAM_ITEMS_KEPT. */
  readonly items: readonly EventPayloads['new_item'][];
  /**
   * The last failure since the stream was last open: a StreamRefusedError, a StreamLimitError,
   * the network error fetch threw, what a handler threw. Cleared when the stream opens.
   */
  readonly error: unknown;
}

/** Which stream to open: what its key is made of. */
interface StreamTarget {
  readonly url: string;
  /** Sent on every connect, e.g. `{ 'x-user-id': … }`. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Opened with `?token=`, asked of the users (StreamCallbacks.token) before every connect. */
  readonly tokenAuth?: boolean | undefined;
}

/** A user's callbacks; read at each use, so the latest ones apply. */
interface StreamCallbacks {
  readonly onEvent?: EventHandlers | undefined;
  /** `stream_open` said `reset`: what is shown may have a gap; reload it. */
  readonly onReset?: (() => void) | undefined;
  /** A stream token from `POST …/stream-token`; asked before every connect of a `tokenAuth` stream. */
  readonly token?: (() => string | Promise<string>) | undefined;
}

interface StreamUser {
  readonly callbacks: () => StreamCallbacks;
  /** The view changed. */
  readonly changed: () => void;
}

interface SharedStreams {
  /** The view of the stream at `key` (streamKey), or undefined while no one holds it. */
  view(key: string): StreamView | undefined;
  /** Joins the stream (opening it if no one holds it); call the returned function to leave. */
  join(target: StreamTarget, user: StreamUser): () => void;
  /** Streams held now (lingering ones included until they close). */
  readonly size: number;
}

interface Shared {
  readonly target: StreamTarget;
  view: StreamView;
  readonly users: Set<StreamUser>;
  subscription: Subscription | undefined;
  /** The subscription ended by itself: the next user to join opens a new one. */
  ended: boolean;
  /** The pending close after the last user left. */
  closing: ReturnType<typeof setTimeout> | undefined;
}

const CONNECTING: StreamView = Object.freeze({
  state: Object.freeze({ state: 'connecting', failures: 0 }),
  latest: Object.freeze({}),
  items: Object.freeze([]),
  error: undefined,
});

/** Every event of the contract: a name missing here, or one the contract lacks, is a compile error. */
const EVENT_NAMES = Object.keys({
  stream_open: true,
  metrics: true,
  new_item: true,
  sentiment_update: true,
  heartbeat: true,
  reconnect: true,
  stream_closed: true,
} satisfies Record<StreamEventName, true>) as readonly StreamEventName[];

/** The identity of a stream: what makes two subscriptions to it different. */
function streamKey(target: StreamTarget): string {
  // HTTP header names are case-insensitive and unordered: `X-User-ID` and `x-user-id` are one stream.
  const headers = Object.entries(target.headers ?? {})
    .map(([name, value]) => [name.toLowerCase(), value] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([target.url, headers, target.tokenAuth === true]);
}

function withToken(url: string, token: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
}

function withEvent(view: StreamView, name: StreamEventName, data: unknown): StreamView {
  const latest = { ...view.latest, [name]: data };
  const items =
    name === 'new_item' ? [data as EventPayloads['new_item'], ...view.items].slice(0, STREAM_ITEMS_KEPT) : view.items;
  return { ...view, latest, items };
}

/** Replaces the view and tells every user. */
function publish(shared: Shared, view: StreamView): void {
  shared.view = view;
  for (const user of [...shared.users]) user.changed();
}

/** Runs `call` for every user; what one throws becomes the view's error, and the others still run. */
function forEachUser(shared: Shared, call: (callbacks: StreamCallbacks) => void): void {
  for (const user of [...shared.users]) {
    try {
      call(user.callbacks());
    } catch (error) {
      shared.view = { ...shared.view, error };
    }
  }
}

/** A token from the users' own getter (the longest-present user's), so the latest one passed applies. */
async function askToken(shared: Shared): Promise<string> {
  for (const user of shared.users) {
    const { token } = user.callbacks();
    if (token !== undefined) return token();
  }
  // Counted by the client as a failed connect, retried with backoff, until a user gives a getter.
  throw new Error('this stream is opened with a token, and none of its users gives one');
}

function received(shared: Shared, name: StreamEventName, data: unknown, event: ReceivedEvent<StreamEventName>): void {
  shared.view = withEvent(shared.view, name, data);
  // A name and its handler's payload type go together, which TypeScript cannot follow through a
  // lookup by a union-typed name; the client has checked neither, as for any handler.
  forEachUser(shared, ({ onEvent }) => {
    (onEvent?.[name] as ((d: unknown, e: unknown) => void) | undefined)?.(data, event);
  });
  publish(shared, shared.view);
}

function subscribeOptions(shared: Shared): SubscribeOptions {
  const onEvent: Record<string, (data: unknown, event: ReceivedEvent<StreamEventName>) => void> = {};
  for (const name of EVENT_NAMES) {
    onEvent[name] = (data, event) => {
      received(shared, name, data, event);
    };
  }
  const { headers } = shared.target;
  return {
    onEvent,
    ...(headers === undefined ? {} : { headers: { ...headers } }),
    onReset: () => {
      forEachUser(shared, ({ onReset }) => {
        onReset?.();
      });
      publish(shared, shared.view);
    },
    onState: (state) => {
      if (state.state === 'closed') shared.ended = true;
      // An open stream has recovered from what failed before it.
      publish(shared, { ...shared.view, state, error: state.state === 'open' ? undefined : shared.view.error });
    },
    onError: (error) => {
      publish(shared, { ...shared.view, error });
    },
  };
}

/** Opens (or opens again) the shared stream's connection, with a fresh view. */
function connect(shared: Shared, open: typeof subscribe): void {
  const { url, tokenAuth } = shared.target;
  shared.ended = false;
  shared.view = CONNECTING;
  shared.subscription = open(
    tokenAuth === true ? async () => withToken(url, await askToken(shared)) : url,
    subscribeOptions(shared),
  );
}

/** A fresh set of shared streams; `open` is the client's subscribe() (tests pass a recording one). */
function createSharedStreams(open: typeof subscribe): SharedStreams {
  const streams = new Map<string, Shared>();

  const hold = (key: string, target: StreamTarget): Shared => {
    const existing = streams.get(key);
    if (existing !== undefined) {
      clearTimeout(existing.closing);
      existing.closing = undefined;
      if (existing.ended) {
        connect(existing, open);
        publish(existing, existing.view);
      }
      return existing;
    }
    const created: Shared = {
      target,
      view: CONNECTING,
      users: new Set(),
      subscription: undefined,
      ended: false,
      closing: undefined,
    };
    streams.set(key, created);
    connect(created, open);
    return created;
  };

  const release = (key: string, shared: Shared): void => {
    if (shared.users.size > 0 || shared.closing !== undefined) return;
    shared.closing = setTimeout(() => {
      shared.closing = undefined;
      if (shared.users.size > 0) return;
      streams.delete(key);
      shared.subscription?.close();
    }, 0);
  };

  const join = (target: StreamTarget, user: StreamUser): (() => void) => {
    const key = streamKey(target);
    const shared = hold(key, target);
    shared.users.add(user);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      shared.users.delete(user);
      release(key, shared);
    };
  };

  return {
    view: (key) => streams.get(key)?.view,
    join,
    get size() {
      return streams.size;
    },
  };
}

export type { LatestEvents, SharedStreams, StreamCallbacks, StreamTarget, StreamUser, StreamView, ViewState };
export { CONNECTING, createSharedStreams, STREAM_ITEMS_KEPT, streamKey };
