/**
 * Preloaded into the runtime child (`node --import`): reports, over the IPC channel, the moment
 * each chunk is handed to the socket layer of a streamed response (the runtime interface
 * client's POST …/response). With the moment each byte reached the Runtime API, that gives the
 * delay between a write and its arrival, so a client that held small writes back would show.
 *
 * The client keeps `req.write` of a node:http ClientRequest (bound once, prelude included), so
 * wrapping the prototype's `write` sees every chunk it sends, in order. Times are
 * process.hrtime.bigint(): CLOCK_MONOTONIC, the same clock in every process of the machine.
 */
import { ClientRequest } from 'node:http';

interface ProbedWrite {
  readonly probe: 'write';
  /** hrtime in nanoseconds, as a decimal string (IPC carries JSON). */
  readonly at: string;
  readonly bytes: number;
}

type Write = (this: ClientRequest, chunk: unknown, ...rest: unknown[]) => boolean;

function byteLength(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === 'string')
    return Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  return chunk instanceof Uint8Array ? chunk.byteLength : 0;
}

const write = (ClientRequest.prototype as unknown as { write: Write }).write;
const probed: Write = function (this: ClientRequest, chunk, ...rest) {
  const bytes = byteLength(chunk, rest[0]);
  if (bytes > 0 && this.path.endsWith('/response')) {
    const message: ProbedWrite = { probe: 'write', at: process.hrtime.bigint().toString(), bytes };
    process.send?.(message);
  }
  return write.call(this, chunk, ...rest);
};
(ClientRequest.prototype as unknown as { write: Write }).write = probed;

export type { ProbedWrite };
