/**
 * What the stream routes, served from node:http ahead of express, do in express's place
 * (src/http/raw-response.ts), on a real loopback server: a refusal is a problem+json answer with
 * the API's headers; a failure of ours is logged with the path only and answered with nothing of
 * it; a client that left gets nothing; a response whose headers already went out is cut rather
 * than followed by a second status line. URLs are split and queries parsed as the express app
 * parses them.
 */
import { type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkProblem } from '../../../src/contract/index.ts';
import { ClientGoneError } from '../../../src/http/client-gone.ts';
import { NotFoundError } from '../../../src/http/errors.ts';
import { queryOf, sendProblem, splitUrl } from '../../../src/http/raw-response.ts';
import { API_SECURITY_HEADERS } from '../../../src/http/security-headers.ts';
import { type CapturingLogger, capturingLogger } from '../../support/capturing-logger.ts';
import { listenOnLoopback, type LoopbackServer } from '../../support/loopback-server.ts';

let loopback: LoopbackServer;
let logger: CapturingLogger;
/** What the server does with the next request. */
let handle: (req: IncomingMessage, res: ServerResponse) => void;

beforeAll(async () => {
  loopback = await listenOnLoopback((req, res) => {
    handle(req, res);
  });
});
afterAll(() => loopback.close());
beforeEach(() => {
  logger = capturingLogger('DEBUG');
});

interface Received {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  /** Set when the connection was cut before the response was complete. */
  readonly cut: boolean;
}

/** Sends one request; resolves with what arrived, or `undefined` when no response arrived at all. */
function send(method: string, path: string): Promise<Received | undefined> {
  return new Promise((resolve) => {
    const { port } = loopback.server.address() as AddressInfo;
    const req = request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      const done = (cut: boolean) => {
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          cut,
        });
      };
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('end', () => {
        done(false);
      });
      res.once('error', () => {
        done(true);
      });
    });
    req.once('error', () => {
      resolve(undefined);
    });
    req.end();
  });
}

describe('sendProblem', () => {
  it('answers a refusal as problem+json with the API security headers and the path as instance', async () => {
    handle = (req, res) => {
      sendProblem(req, res, new NotFoundError('No such stream.'), { logger });
    };

    const received = await send('GET', '/api/v2/nowhere/stream?token=secret-token');

    expect(received).toMatchObject({ status: 404, cut: false });
    expect(received?.headers['content-type']).toBe('application/problem+json');
    for (const [name, value] of Object.entries(API_SECURITY_HEADERS))
      expect(received?.headers[name.toLowerCase()]).toBe(value);
    const body: unknown = JSON.parse(received?.body ?? '');
    expect(checkProblem(body)).toMatchObject({ ok: true, value: { status: 404, instance: '/api/v2/nowhere/stream' } });
    expect(logger.lines).toEqual([]);
  });

  it('answers HEAD with the headers of the problem and no body', async () => {
    handle = (req, res) => {
      sendProblem(req, res, new NotFoundError('No such stream.'), { logger });
    };

    const received = await send('HEAD', '/api/v2/nowhere/stream');

    expect(received).toMatchObject({ status: 404, body: '', cut: false });
    expect(Number(received?.headers['content-length'])).toBeGreaterThan(0);
  });

  it('answers a failure of ours with a bare 500, and logs it with the path but not the query', async () => {
    handle = (req, res) => {
      sendProblem(req, res, new Error('Table secret-table is gone'), { logger });
    };

    const received = await send('GET', '/api/v2/stream?token=secret-token');

    expect(received?.status).toBe(500);
    expect(received?.body).not.toContain('secret');
    expect(checkProblem(JSON.parse(received?.body ?? ''))).toMatchObject({ ok: true, value: { status: 500 } });
    expect(logger.lines).toMatchObject([
      { level: 'ERROR', message: 'request failed', path: '/api/v2/stream', method: 'GET' },
    ]);
    expect(JSON.stringify(logger.lines)).not.toContain('secret-token');
  });

  it('answers a client that left with nothing, and logs nothing', async () => {
    handle = (req, res) => {
      sendProblem(req, res, new ClientGoneError(), { logger });
    };

    expect(await send('GET', '/api/v2/configurations/x/stream')).toBeUndefined();
    expect(logger.lines).toEqual([]);
  });

  it('cuts a response whose headers already went out instead of sending a second status', async () => {
    handle = (req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': opening\n\n', () => {
        sendProblem(req, res, new NotFoundError('Configuration deleted.'), { logger });
      });
    };

    const received = await send('GET', '/api/v2/stream');

    expect(received).toMatchObject({ status: 200, body: ': opening\n\n', cut: true });
    expect(received?.body).not.toContain('problem');
  });
});

describe('splitUrl', () => {
  it.each([
    ['no URL at all (the root)', undefined, { path: '/', query: '' }],
    ['a path alone', '/api/v2/stream', { path: '/api/v2/stream', query: '' }],
    ['a query that holds another ?', '/api/v2/stream?a=1?b=2', { path: '/api/v2/stream', query: 'a=1?b=2' }],
    ['an empty query', '/api/v2/stream?', { path: '/api/v2/stream', query: '' }],
  ])('splits %s', (_name, url, want) => {
    expect(splitUrl(url)).toEqual(want);
  });
});

describe('queryOf', () => {
  it('keeps every value of a repeated key, in order, so validation can refuse the repetition', () => {
    expect(queryOf('last_event_id=a&last_event_id=b&last_event_id=c').last_event_id).toEqual(['a', 'b', 'c']);
  });

  it('keeps every pair, beyond the 1000 at which Node would stop reading', () => {
    const query = queryOf(`${'&'.repeat(1500)}${Array.from({ length: 1500 }, (_, i) => `k${i}=v`).join('&')}`);
    expect(Object.keys(query)).toHaveLength(1500);
    expect(query.k1499).toBe('v');
  });

  it('parses flat, on an object with no prototype: __proto__ and a[b] are plain keys', () => {
    const query = queryOf('__proto__=x&a[b]=c');
    expect(Object.getPrototypeOf(query)).toBeNull();
    expect(Object.keys(query).sort()).toEqual(['__proto__', 'a[b]']);
  });
});
