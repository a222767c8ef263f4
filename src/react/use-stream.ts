/**
 * useStream(): a tickerpulse SSE stream in a React component, over the client's subscribe()
 * (resume, backoff, the server's hints: docs/client.md). Components that ask for the same stream
 * share one connection, held in the page's shared streams (shared-streams.ts): it opens with the
 * first of them and closes when the last unmounts; StrictMode's extra mount and unmount reuse it.
 */
import { useCallback, useEffect, useRef, useSyncExternalStore } from 'react';
import { subscribe } from '../client/index.ts';
import { CONNECTING, createSharedStreams, type StreamCallbacks, type StreamView, streamKey } from './shared-streams.ts';

/** What useStream() takes besides the URL. */
interface UseStreamOptions extends StreamCallbacks {
  /**
   * Sent on every connect, e.g. `{ 'x-user-id': … }`. Part of the stream's identity: components
   * with other headers get a connection of their own.
   */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /**
   * Asked before every connect (the first and each reconnect), and sent as `?token=`: a stream
   * token from `POST /api/v2/configurations/{config_id}/stream-token`. A rejection counts as a
   * failed connect, retried with backoff. Only its presence is part of the stream's identity (a
   * configuration's URL already names its owner); the latest getter passed is the one asked.
   */
  readonly token?: (() => string | Promise<string>) | undefined;
}

const IDLE: StreamView = Object.freeze({ ...CONNECTING, state: Object.freeze({ state: 'idle' as const }) });

/** The page's streams: one per distinct stream, whatever the number of components reading it. */
const pageStreams = createSharedStreams(subscribe);

/**
 * The stream at `url` (absolute, or relative to the page; spell it the same way everywhere to
 * share it), or none while `url` is null or undefined (state `idle`). Returns its view: the
 * connection's `state`, the `latest` payload per event name, the newest `items` and the last
 * `error`. `onEvent` handlers receive every event, in every component; the latest handlers
 * passed apply, so inline functions are fine.
 */
function useStream(url: string | null | undefined, options: UseStreamOptions = {}): StreamView {
  const latest = useRef(options);
  useEffect(() => {
    latest.current = options;
  });
  const { headers } = options;
  const tokenAuth = options.token !== undefined;
  const key = url == null ? undefined : streamKey({ url, headers, tokenAuth });
  // One subscription per stream identity (the key), not per render: new option objects and inline
  // callbacks must not reconnect, so the callbacks are read through `latest` at each use.
  const join = useCallback(
    (changed: () => void) =>
      url == null
        ? () => undefined
        : pageStreams.join({ url, headers, tokenAuth }, { callbacks: () => latest.current, changed }),
    [key], // url, headers and tokenAuth, compared by value
  );
  const snapshot = (): StreamView => (key === undefined ? IDLE : (pageStreams.view(key) ?? CONNECTING));
  return useSyncExternalStore(join, snapshot, snapshot);
}

export type { UseStreamOptions };
export { useStream };
