/**
 * Where a stream's bytes go. The engine knows nothing of express or Lambda: the local server
 * adapts a Node `ServerResponse`, the Lambda handler its response stream.
 */
interface SseSink {
  /** Writes a chunk; false means the transport's buffer is full: wait for `onDrain`. */
  write(chunk: string): boolean;
  /** Ends the response (after any last frame). */
  end(): void;
  /** Drops the connection at once (a client that stopped reading). */
  destroy(): void;
  onDrain(listener: () => void): void;
  /** The client went away (or the response ended). */
  onClose(listener: () => void): void;
}

export type { SseSink };
