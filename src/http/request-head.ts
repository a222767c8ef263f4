/**
 * A strict recognizer of the one request head the lean stream path takes (stream-sockets.ts): a
 * complete `GET` over HTTP/1.1, alone in the bytes read so far, with nothing unusual in it. It is
 * not an HTTP parser and does not try to be one: whatever it does not recognize exactly is left to
 * node:http, which parses it and answers it (a 400, a 431, a REST call, a stream with a body…).
 * So a mistake here can only send a request the long way round, never accept what Node would
 * refuse: it accepts a subset of what Node's parser accepts.
 *
 * Why hand-written: Node's own parser is only reachable through node:http, and keeping node:http's
 * request and response objects for the life of a stream is what costs a connection about 13 KiB
 * (docs/performance.md, "A stream path below node:http").
 *
 * Every step is linear in the input, which is at most MAX_HEAD_BYTES: no backtracking pattern
 * runs on a header value.
 */

/** Node's default limit on a request head; a longer one goes to Node, which answers 431. */
const MAX_HEAD_BYTES = 16 * 1024;
/** More header lines than any browser sends; more go to Node. */
const MAX_HEADER_LINES = 64;

/** A recognized head: the target as sent, and each header by its lower-cased name (each name once). */
interface RequestHead {
  readonly method: 'GET';
  readonly target: string;
  readonly headers: Readonly<Record<string, string>>;
}

const END_OF_HEAD = Buffer.from('\r\n\r\n', 'latin1');
/** `GET`, an origin-form target of visible ASCII, HTTP/1.1. */
const REQUEST_LINE = /^GET (\/[!-~]*) HTTP\/1\.1$/;
/** RFC 9110 token characters. */
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Visible ASCII, space and tab: no obs-text, no control characters. */
const FIELD_VALUE = /^[\t\x20-\x7e]*$/;
/** Headers that mean a body, a protocol switch or an interim response: Node handles those. */
const NOT_LEAN = new Set(['content-length', 'transfer-encoding', 'expect', 'upgrade']);

/**
 * The head in `bytes`, if `bytes` is exactly one complete, plain request head (nothing after it:
 * a body or a pipelined request goes to Node); undefined for anything else.
 */
function recognizeRequestHead(bytes: Buffer): RequestHead | undefined {
  if (bytes.length > MAX_HEAD_BYTES) return undefined;
  const end = bytes.indexOf(END_OF_HEAD);
  if (end === -1 || end + END_OF_HEAD.length !== bytes.length) return undefined;
  const lines = bytes.toString('latin1', 0, end).split('\r\n');
  if (lines.length - 1 > MAX_HEADER_LINES) return undefined;
  const requestLine = REQUEST_LINE.exec(lines[0] ?? '');
  const target = requestLine?.[1];
  if (target === undefined) return undefined;
  const headers = readHeaders(lines);
  if (headers?.host === undefined) return undefined;
  return { method: 'GET', target, headers };
}

/** The header lines after the request line, or undefined at the first line that is not plain. */
function readHeaders(lines: readonly string[]): Record<string, string> | undefined {
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const colon = line.indexOf(':');
    if (colon < 1) return undefined;
    const name = line.slice(0, colon);
    const raw = line.slice(colon + 1);
    // A bare CR or LF inside a line, obs-fold, obs-text or a control character: Node decides.
    if (!FIELD_NAME.test(name) || !FIELD_VALUE.test(raw)) return undefined;
    const key = name.toLowerCase();
    // `__proto__`: Node drops such a header; read it as Node does by leaving it to Node.
    if (key in headers || NOT_LEAN.has(key) || key === '__proto__') return undefined;
    // Only spaces and tabs can be left to trim: FIELD_VALUE allowed nothing else it removes.
    headers[key] = raw.trim();
  }
  return headers;
}

export type { RequestHead };
export { MAX_HEAD_BYTES, recognizeRequestHead };
