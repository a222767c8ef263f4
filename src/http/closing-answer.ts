/**
 * An answer written straight to a socket, outside node:http's response objects, on a connection
 * that closes after it: the refusals of requests Node itself refused (client-error.ts) and
 * everything the lean stream path sends (stream-sockets.ts). One status line and header format,
 * and one rule for how long such a connection may stay open once its answer is out.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * How long a connection whose answer is complete may stay open for the client to read it and
 * close its side (whatever it goes on sending is dropped); then it is cut. Without this a client
 * that never closes would hold the descriptor for good (node:http cuts an idle connection at its
 * keep-alive timeout).
 */
const LINGER_MS = 2_000;

/** A header value that could end its line would let a value write headers of its own. */
const LINE_BREAK = /[\r\n]/;

/** The status line and headers of an answer that closes its connection, with Date as node:http sends it. */
function closingHead(status: number, headers: Readonly<Record<string, string>>): string {
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    if (LINE_BREAK.test(value)) throw new Error(`header ${name} carries a line break`);
    head += `${name}: ${value}\r\n`;
  }
  return `${head}Date: ${httpDate()}\r\nConnection: close\r\n\r\n`;
}

/**
 * Ends the writing side after `last` (end(), not destroy(): the client may still be sending, and
 * a reset would lose the answer); the connection is cut LINGER_MS later if it is still open.
 */
function endThenCut(socket: Duplex, last?: string): void {
  if (last === undefined) socket.end();
  else socket.end(last);
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

let dateSecond = -1;
let dateText = '';

/** The IMF-fixdate of now, formatted once per second (node:http caches it the same way). */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}

export { closingHead, endThenCut, LINGER_MS };
