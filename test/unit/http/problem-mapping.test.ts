/**
 * Every failure the REST app and the stream routes can meet becomes the problem the contract
 * documents (src/http/problem.ts): body-parser's own failures, produced here by the real parser
 * in an express app on a loopback socket, each with its status; store faults recognised by
 * name, by network code or by the SDK's `$fault`, whether or not they are Error instances;
 * anything else a 500 that names nothing. `instance` stays a valid URI reference within the
 * schema's 2048 characters whatever bytes the path held.
 */
import { once } from 'node:events';
import { type AddressInfo, connect } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkProblem } from '../../../src/contract/index.ts';
import { MAX_BODY_BYTES } from '../../../src/http/app.ts';
import { NotFoundError } from '../../../src/http/errors.ts';
import { toProblem } from '../../../src/http/problem.ts';
import { listenOnLoopback, type LoopbackServer } from '../../support/loopback-server.ts';

// The options of the app's own JSON parser (src/http/app.ts), minus its duplicate-name check.
const jsonBody = express.json({ limit: MAX_BODY_BYTES, strict: true, type: 'application/json', inflate: false });

let loopback: LoopbackServer;
let nextError: PromiseWithResolvers<unknown>;

beforeAll(async () => {
  // The parser as the app mounts it: what reaches the error middleware is what toProblem is given.
  const app = express();
  app.use(jsonBody);
  app.use((_req: Request, res: Response) => {
    nextError.resolve(undefined);
    res.end();
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    nextError.resolve(error);
    res.end();
  });
  loopback = await listenOnLoopback(app);
});
afterAll(() => loopback.close());

/**
 * The error body-parser hands to `next` for the raw request `head` + `body`; with `leave`, the
 * client goes away after sending them, before the body is complete.
 */
async function parserErrorFor(head: string, body: string, leave = false): Promise<unknown> {
  nextError = Promise.withResolvers();
  const socket = connect((loopback.server.address() as AddressInfo).port, '127.0.0.1');
  await once(socket, 'connect');
  socket.on('error', () => undefined);
  socket.write(`${head}\r\nHost: 127.0.0.1\r\n\r\n${body}`);
  if (leave) socket.destroy();
  try {
    return await nextError.promise;
  } finally {
    socket.destroy();
  }
}

const post = (headers: string[]) => ['POST /api/v2/items HTTP/1.1', ...headers].join('\r\n');

describe("body-parser's own failures", () => {
  it.each([
    [
      'a body over 1 MiB',
      post(['Content-Type: application/json', `Content-Length: ${MAX_BODY_BYTES + 1}`]),
      'x'.repeat(MAX_BODY_BYTES + 1),
      false,
      'entity.too.large',
      { status: 413, type: '/problems/payload-too-large' },
    ],
    [
      'malformed JSON',
      post(['Content-Type: application/json', 'Content-Length: 5']),
      '{"a":',
      false,
      'entity.parse.failed',
      { status: 400, type: '/problems/malformed-json' },
    ],
    [
      'a charset other than UTF-8',
      post(['Content-Type: application/json; charset=latin1', 'Content-Length: 2']),
      '{}',
      false,
      'charset.unsupported',
      { status: 415, type: '/problems/unsupported-media-type' },
    ],
    [
      'a compressed body (never inflated)',
      post(['Content-Type: application/json', 'Content-Encoding: gzip', 'Content-Length: 2']),
      '{}',
      false,
      'encoding.unsupported',
      { status: 415, type: '/problems/unsupported-media-type' },
    ],
    [
      'a client that leaves half-way through its body',
      post(['Content-Type: application/json', 'Content-Length: 1000']),
      '{"items": [',
      true,
      'request.aborted',
      { status: 400, type: '/problems/invalid-request' },
    ],
  ])('map to the documented problem: %s', async (_name, head, body, leave, kind, want) => {
    const error = await parserErrorFor(head, body, leave);
    expect(error).toMatchObject({ type: kind });

    const problem = toProblem(error, '/api/v2/items');

    expect(problem).toMatchObject({ status: want.status, unexpected: false });
    expect(checkProblem(problem.body)).toMatchObject({ ok: true, value: { ...want, instance: '/api/v2/items' } });
  });

  it.each([
    ['a kind it does not know', { type: 'stream.encoding.set', status: 500, message: 'stream encoding set' }],
    ['a body already read', { type: 'stream.not.readable', status: 500, message: 'stream is not readable' }],
  ])('are a 500 that names nothing when of %s', (_name, shape) => {
    const problem = toProblem(Object.assign(new Error(shape.message), shape), '/api/v2/items');
    expect(problem).toMatchObject({ status: 500, unexpected: true });
    expect(problem.body).toEqual({
      type: '/problems/internal',
      title: 'Internal server error',
      status: 500,
      instance: '/api/v2/items',
    });
  });
});

describe('a store fault', () => {
  it.each([
    ['a reset connection', { code: 'ECONNRESET' }],
    ['a connect timeout', { code: 'ETIMEDOUT' }],
    ['a broken pipe', { code: 'EPIPE' }],
    ['an unknown host', { code: 'ENOTFOUND' }],
    ['a DNS lookup to retry', { code: 'EAI_AGAIN' }],
    ['the SDK marking it the server’s, on a plain object', { $fault: 'server' }],
    ['dynalite saying it is unavailable', Object.assign(new Error('down'), { name: 'ServiceUnavailable' })],
    ['the request rate exceeded', Object.assign(new Error('slow down'), { name: 'RequestLimitExceeded' })],
    ['a stream without the feed head', Object.assign(new Error('not yet'), { name: 'StreamNotReadyError' })],
  ])('is a 503 with Retry-After: %s', (_name, error) => {
    const problem = toProblem(error, '/api/v2/metrics');
    expect(problem).toMatchObject({ status: 503, unexpected: false, headers: { 'Retry-After': '2' } });
    expect(checkProblem(problem.body)).toMatchObject({ ok: true, value: { type: '/problems/unavailable' } });
  });

  it.each([
    ['a retryable name on something that is not an Error', { name: 'ThrottlingException' }],
    ['a numeric code', { code: 503 }],
    ['a fault the SDK puts on the client', Object.assign(new Error('bad key'), { $fault: 'client' })],
  ])('is a 500 when it is %s', (_name, error) => {
    expect(toProblem(error, '/api/v2/metrics')).toMatchObject({ status: 500, unexpected: true });
  });
});

describe('anything thrown that is not an object', () => {
  it.each([
    ['a string', 'Table secret-name is gone'],
    ['a number', 42],
    ['null', null],
    ['undefined', undefined],
  ])('is a 500 with nothing of it in the body: %s', (_name, thrown) => {
    const problem = toProblem(thrown, '/api/v2/items');
    expect(problem).toMatchObject({ status: 500, headers: {}, unexpected: true });
    expect(JSON.stringify(problem.body)).not.toContain('secret');
    expect(checkProblem(problem.body).ok).toBe(true);
  });
});

describe('an HTTP error', () => {
  it('without a detail has no detail member at all', () => {
    const problem = toProblem(new NotFoundError(), '/api/v2/configurations/x');
    expect(problem.body).toEqual({
      type: '/problems/not-found',
      title: 'Not found',
      status: 404,
      instance: '/api/v2/configurations/x',
    });
  });

  it('with a detail over 2000 characters has it cut to 2000', () => {
    const problem = toProblem(new NotFoundError(`No configuration ${'d'.repeat(5000)}.`), '/api/v2/items');
    expect(problem.body.detail).toHaveLength(2000);
    expect(checkProblem(problem.body).ok).toBe(true);
  });
});

describe('the instance of a problem', () => {
  it.each([
    ['a stray % (not an escape)', '/api/v2/configurations/%ZZ/%', '/api/v2/configurations/%25ZZ/%25'],
    ['a % at the very end', '/api/v2/%', '/api/v2/%25'],
    ['valid escapes, kept as they are', '/api/v2/a%20b%2F', '/api/v2/a%20b%2F'],
    ['braces, a space and a quote', '/api/v2/{x} "y"', '/api/v2/%7Bx%7D%20%22y%22'],
    ['a non-ASCII character', '/api/v2/é', '/api/v2/%C3%A9'],
  ])('is a valid URI reference for a path with %s', (_name, path, instance) => {
    const problem = toProblem(new NotFoundError('No route.'), path);
    expect(problem.body.instance).toBe(instance);
    expect(checkProblem(problem.body).ok).toBe(true);
  });

  it.each([
    ['plain characters', `/api/v2/${'a'.repeat(5000)}`],
    ['characters that each become an escape of 6', `/api/v2/${'é'.repeat(2000)}`],
    ['escapes offset by one', `/api/v2/x${'é'.repeat(2000)}`],
    ['escapes offset by two', `/api/v2/xy${'é'.repeat(2000)}`],
  ])('of a long path of %s is cut to 2048 characters, never inside an escape', (_name, path) => {
    const { instance } = toProblem(new NotFoundError('No route.'), path).body;
    expect(instance?.length).toBeLessThanOrEqual(2048);
    expect(instance?.length).toBeGreaterThan(2040);
    expect(instance).not.toMatch(/%[0-9A-F]?$/);
    expect(checkProblem(toProblem(new NotFoundError('No route.'), path).body).ok).toBe(true);
  });
});
