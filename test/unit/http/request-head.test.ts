/**
 * The lean path's head recognizer: what it takes, and that everything else is left to node:http
 * (undefined). The property test against Node's own parser is in
 * test/integration/http/request-head-vs-node.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { MAX_HEAD_BYTES, recognizeRequestHead } from '../../../src/http/request-head.ts';

const head = (text: string) => recognizeRequestHead(Buffer.from(text, 'latin1'));
const PLAIN = 'GET /api/v2/stream HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nAccept: text/event-stream\r\n\r\n';

describe('recognizeRequestHead', () => {
  it('reads a plain GET: the target as sent, each header by its lower-cased name, values trimmed', () => {
    const recognized = head(
      'GET /api/v2/stream?last_event_id=1.abc HTTP/1.1\r\nHost: h\r\nLast-Event-ID: \t 1.xyz \t\r\nX-Empty:\r\n\r\n',
    );
    expect(recognized).toEqual({
      method: 'GET',
      target: '/api/v2/stream?last_event_id=1.abc',
      headers: { host: 'h', 'last-event-id': '1.xyz', 'x-empty': '' },
    });
    expect(Object.getPrototypeOf(recognized?.headers)).toBeNull();
  });

  it.each([
    ['an incomplete head', PLAIN.slice(0, -2)],
    ['bytes after the head (a body or a pipelined request)', `${PLAIN}GET / HTTP/1.1\r\n\r\n`],
    ['HEAD', PLAIN.replace('GET', 'HEAD')],
    ['POST', PLAIN.replace('GET', 'POST')],
    ['a lower-case method', PLAIN.replace('GET', 'get')],
    ['HTTP/1.0', PLAIN.replace('HTTP/1.1', 'HTTP/1.0')],
    ['HTTP/2 in a request line', PLAIN.replace('HTTP/1.1', 'HTTP/2.0')],
    ['an absolute-form target', PLAIN.replace('/api/v2/stream', 'http://h/api/v2/stream')],
    ['an asterisk target', PLAIN.replace('/api/v2/stream', '*')],
    ['two spaces in the request line', PLAIN.replace('GET ', 'GET  ')],
    ['a target with a space', PLAIN.replace('/api/v2/stream', '/api/v2/ stream')],
    ['no Host', 'GET /api/v2/stream HTTP/1.1\r\nAccept: text/event-stream\r\n\r\n'],
    ['two Host headers', `GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n`],
    ['a repeated header in another case', `${PLAIN.slice(0, -2)}accept: */*\r\n\r\n`],
    ['Content-Length', `${PLAIN.slice(0, -2)}Content-Length: 0\r\n\r\n`],
    ['Transfer-Encoding', `${PLAIN.slice(0, -2)}Transfer-Encoding: chunked\r\n\r\n`],
    ['Expect', `${PLAIN.slice(0, -2)}Expect: 100-continue\r\n\r\n`],
    ['Upgrade', `${PLAIN.slice(0, -2)}Upgrade: websocket\r\n\r\n`],
    ['a folded header line', `${PLAIN.slice(0, -2)}X-A: a\r\n b\r\n\r\n`],
    ['a space before the colon', `${PLAIN.slice(0, -2)}X-A : a\r\n\r\n`],
    ['an empty name', `${PLAIN.slice(0, -2)}: a\r\n\r\n`],
    ['a line without a colon', `${PLAIN.slice(0, -2)}X-A\r\n\r\n`],
    ['a bare LF in a value', `${PLAIN.slice(0, -2)}X-A: a\nX-B: b\r\n\r\n`],
    ['a bare CR in a value', `${PLAIN.slice(0, -2)}X-A: a\rb\r\n\r\n`],
    ['a NUL in a value', `${PLAIN.slice(0, -2)}X-A: a\u0000b\r\n\r\n`],
    ['DEL in a value', `${PLAIN.slice(0, -2)}X-A: a\u007fb\r\n\r\n`],
    ['obs-text in a value', `${PLAIN.slice(0, -2)}X-A: caf\u00e9\r\n\r\n`],
    ['a non-token name', `${PLAIN.slice(0, -2)}X(A): a\r\n\r\n`],
    ['LF line ends', PLAIN.replaceAll('\r\n', '\n')],
    ['a __proto__ header (Node drops it)', `${PLAIN.slice(0, -2)}__proto__: x\r\n\r\n`],
  ])('leaves %s to node:http', (_case, text) => {
    expect(head(text)).toBeUndefined();
  });

  it('leaves a head over 16 KiB, or with more than 64 header lines, to node:http', () => {
    const long = `GET /api/v2/stream?x=${'a'.repeat(MAX_HEAD_BYTES)} HTTP/1.1\r\nHost: h\r\n\r\n`;
    expect(head(long)).toBeUndefined();
    const lines = Array.from({ length: 64 }, (_, i) => `X-${i}: v\r\n`).join('');
    expect(head(`GET / HTTP/1.1\r\nHost: h\r\n${lines}\r\n`)).toBeUndefined();
    expect(head(`GET / HTTP/1.1\r\nHost: h\r\n${lines.slice(lines.indexOf('\n') + 1)}\r\n`)).toBeDefined();
  });

  it('reads a head at the size limit, with long runs of blanks in values, in one linear pass', () => {
    const prefix = 'GET / HTTP/1.1\r\nHost: h\r\nX-A: a';
    const suffix = 'b\r\n\r\n';
    const blanks = ' \t'.repeat((MAX_HEAD_BYTES - prefix.length - suffix.length) / 2);
    const text = `${prefix}${blanks}${suffix}`;
    expect(Buffer.byteLength(text, 'latin1')).toBeLessThanOrEqual(MAX_HEAD_BYTES);
    expect(head(text)?.headers['x-a']).toBe(`a${blanks}b`);
  });
});
