import type { ServerResponse } from 'node:http';

/**
 * The reason a request's work is aborted when its client disconnects. It is not a failure of the
 * server: nothing is answered (there is nobody to answer) and nothing is logged as an error.
 */
class ClientGoneError extends Error {
  constructor() {
    super('The client closed the connection.');
    this.name = 'ClientGoneError';
  }
}

interface ClientWatch {
  /** Aborted with a ClientGoneError when the connection closes before the response finished. */
  readonly signal: AbortSignal;
  /** Stops watching (a stream that opened is watched by its subscriber from then on). */
  readonly release: () => void;
}

/**
 * Watches a request's connection from the moment it is called: the REST app hands the signal to
 * handlers (store reads stop with it), the stream routes to authorization.
 */
function watchClientGone(res: ServerResponse): ClientWatch {
  const controller = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) controller.abort(new ClientGoneError());
  };
  if (res.closed || res.destroyed || res.socket?.destroyed === true) onClose();
  else res.once('close', onClose);
  return {
    signal: controller.signal,
    release: () => {
      res.off('close', onClose);
    },
  };
}

export type { ClientWatch };
export { ClientGoneError, watchClientGone };
