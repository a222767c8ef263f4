/**
 * answerClientError (src/http/client-error.ts) for each way Node reports bytes it refused as
 * HTTP, on a socket double that records what is written: a refusal is one well-formed HTTP/1.1
 * answer carrying a problem the contract accepts, written once, and the connection is cut a
 * bounded time later; a reset connection, one that can no longer be written, or one whose
 * response is already under way gets no answer at all, only cut.
 */
import { Duplex } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkProblem } from '../../../src/contract/index.ts';
import { answerClientError } from '../../../src/http/client-error.ts';
import { API_SECURITY_HEADERS } from '../../../src/http/security-headers.ts';

interface SocketDouble {
  readonly socket: Duplex;
  /** Everything written to the socket, as text. */
  readonly written: () => string;
}

function socketDouble(): SocketDouble {
  const chunks: Buffer[] = [];
  const socket = new Duplex({
    read() {
      // The client's bytes are not what is tested.
    },
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(Buffer.from(chunk));
      callback();
    },
  });
  return { socket, written: () => Buffer.concat(chunks).toString('utf8') };
}

/** Node's own errors carry a `code`; `code: undefined` is an error without one. */
const clientError = (code: string | undefined): NodeJS.ErrnoException =>
  Object.assign(new Error('refused'), code === undefined ? {} : { code });

/** The status line, the headers (lower-cased names) and the body of one HTTP/1.1 answer. */
function parseAnswer(text: string) {
  const [head = '', body = ''] = text.split('\r\n\r\n');
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers = Object.fromEntries(
    headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 2)]),
  );
  return { statusLine, headers, body };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('a request Node refused', () => {
  it.each([
    ['headers over 16 KiB', 'HPE_HEADER_OVERFLOW', 'HTTP/1.1 431 Request Header Fields Too Large', 431],
    ['a request that came too slowly', 'ERR_HTTP_REQUEST_TIMEOUT', 'HTTP/1.1 408 Request Timeout', 408],
    ['bytes that are not HTTP', 'HPE_INVALID_METHOD', 'HTTP/1.1 400 Bad Request', 400],
    ['an error without any code', undefined, 'HTTP/1.1 400 Bad Request', 400],
  ])('gets one problem answer for %s, and is cut 2 s later', async (_name, code, statusLine, status) => {
    const { socket, written } = socketDouble();

    answerClientError(clientError(code), socket);
    await vi.advanceTimersByTimeAsync(0);

    const answer = parseAnswer(written());
    expect(answer.statusLine).toBe(statusLine);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(answer.headers.connection).toBe('close');
    expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
    for (const [name, value] of Object.entries(API_SECURITY_HEADERS))
      expect(answer.headers[name.toLowerCase()]).toBe(value);
    expect(checkProblem(JSON.parse(answer.body))).toMatchObject({ ok: true, value: { status } });
    // end(), not destroy(): the client may still be sending and must get the answer first.
    expect(socket.destroyed).toBe(false);

    await vi.advanceTimersByTimeAsync(2000);
    expect(socket.destroyed).toBe(true);
  });

  it('is answered once, however many further chunks Node reports', async () => {
    const { socket, written } = socketDouble();

    answerClientError(clientError('HPE_INVALID_METHOD'), socket);
    answerClientError(clientError('HPE_HEADER_OVERFLOW'), socket);
    await vi.advanceTimersByTimeAsync(0);

    expect(written().match(/HTTP\/1\.1 /g)).toHaveLength(1);
    expect(written()).toMatch(/^HTTP\/1\.1 400 /);
  });
});

describe('a connection that cannot take an answer', () => {
  it('is cut without a byte when the client reset it', async () => {
    const { socket, written } = socketDouble();

    answerClientError(clientError('ECONNRESET'), socket);
    await vi.advanceTimersByTimeAsync(0);

    expect(socket.destroyed).toBe(true);
    expect(written()).toBe('');
  });

  it('is cut without a byte when it can no longer be written', async () => {
    const { socket, written } = socketDouble();
    socket.end();
    await vi.advanceTimersByTimeAsync(0);

    answerClientError(clientError('HPE_INVALID_METHOD'), socket);
    await vi.advanceTimersByTimeAsync(0);

    expect(socket.destroyed).toBe(true);
    expect(written()).toBe('');
  });

  it('is cut without a second status line when a response on it is already under way', async () => {
    const { socket, written } = socketDouble();
    Object.assign(socket, { _httpMessage: { headersSent: true } });

    answerClientError(clientError('HPE_INVALID_METHOD'), socket);
    await vi.advanceTimersByTimeAsync(0);

    expect(socket.destroyed).toBe(true);
    expect(written()).toBe('');
  });
});
