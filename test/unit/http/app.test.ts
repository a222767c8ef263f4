/**
 * The express app (src/http/app.ts) assembled around store doubles and served on a loopback
 * port, for what the real server cannot be made to do on demand: an app missing a handler
 * refuses to start; a client that leaves while its handler reads the store stops the read and
 * is neither answered nor logged as a failure; a route that fails after its headers went out is
 * cut instead of getting a second status line, and one that fails before is a 500 that names
 * nothing. Also the ingest key as several header values, which Node never produces but express's
 * types allow.
 */
import { once } from 'node:events';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Request } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator, type StreamTokens } from '../../../src/auth/index.ts';
import { checkProblem } from '../../../src/contract/index.ts';
import { createApp } from '../../../src/http/app.ts';
import { authenticateRequest, type RequestAuth } from '../../../src/http/authenticate.ts';
import { UnauthorizedError } from '../../../src/http/errors.ts';
import type { Handlers } from '../../../src/http/handler.ts';
import { createRestHandlers } from '../../../src/http/handlers/index.ts';
import type { Store } from '../../../src/store/index.ts';
import { type CapturingLogger, capturingLogger } from '../../support/capturing-logger.ts';
import { listenOnLoopback, type LoopbackServer } from '../../support/loopback-server.ts';

const INGEST_KEY = 'unit-ingest-key-0123456789';
const auth: RequestAuth = {
  authenticator: createAuthenticator({ trustUserIdHeader: true }),
  ingestApiKey: INGEST_KEY,
};

/** A store whose head read waits until its caller's signal aborts, then rejects with its reason, as the real store does. */
function storeThatWaits(): { store: Store; reading: Promise<AbortSignal> } {
  const reading = Promise.withResolvers<AbortSignal>();
  const store = {
    headCursor: ({ signal }: { signal: AbortSignal }) => {
      reading.resolve(signal);
      return new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => {
          reject(signal.reason as Error);
        });
      });
    },
  } as unknown as Store;
  return { store, reading: reading.promise };
}

const handlersOn = (store: Store): Handlers =>
  createRestHandlers({
    store,
    streamTokens: {} as StreamTokens,
    version: 'test',
    now: Date.now,
    serviceMetrics: () => Promise.resolve(''),
  });

describe('createApp', () => {
  it('refuses to start without a handler for every REST operation, naming the one missing', () => {
    const { getMetricsHistory: _left, ...incomplete } = handlersOn({} as Store);

    expect(() =>
      createApp({ handlers: incomplete as unknown as Handlers, auth, logger: capturingLogger('WARN') }),
    ).toThrow('no handler for the operation getMetricsHistory');
  });
});

describe('the app on a loopback port', () => {
  let loopback: LoopbackServer;
  let logger: CapturingLogger;
  let reading: Promise<AbortSignal>;

  beforeAll(async () => {
    logger = capturingLogger('DEBUG');
    const waiting = storeThatWaits();
    reading = waiting.reading;
    const app = createApp({
      handlers: handlersOn(waiting.store),
      auth,
      logger,
      extend: (express) => {
        express.get('/fails-after-headers', (_req, res, next) => {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('first half', () => {
            next(new Error('disk secret-volume failed'));
          });
        });
        express.get('/fails-before-headers', (_req, _res, next) => {
          next(new Error('disk secret-volume failed'));
        });
      },
    });
    loopback = await listenOnLoopback(app);
  });
  afterAll(() => loopback.close());

  const port = () => (loopback.server.address() as AddressInfo).port;

  it('stops the store read of a client that leaves, and neither answers nor logs it as a failure', async () => {
    const req = request({ host: '127.0.0.1', port: port(), path: '/api/v2/items', agent: false });
    const outcome = new Promise<string>((resolve) => {
      req.once('response', () => {
        resolve('answered');
      });
      req.once('error', () => {
        resolve('no answer');
      });
    });
    req.end();

    const signal = await reading;
    expect(signal.aborted).toBe(false);
    req.destroy();
    await once(signal, 'abort');

    expect(await outcome).toBe('no answer');
    // The error handler runs in the tick after the abort; give it that tick.
    await new Promise((resolve) => setImmediate(resolve));
    expect(logger.lines.filter((line) => line.level === 'ERROR')).toEqual([]);
  });

  it('cuts a response that fails after its headers went out, and logs the failure', async () => {
    const received = await new Promise<{ status: number; body: string; cut: boolean }>((resolve) => {
      request({ host: '127.0.0.1', port: port(), path: '/fails-after-headers', agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.once('end', () => {
          resolve({ status: res.statusCode ?? 0, body, cut: false });
        });
        res.once('error', () => {
          resolve({ status: res.statusCode ?? 0, body, cut: true });
        });
      }).end();
    });

    expect(received).toEqual({ status: 200, body: 'first half', cut: true });
    expect(logger.lines).toContainEqual(
      expect.objectContaining({ level: 'ERROR', message: 'request failed', path: '/fails-after-headers' }),
    );
  });

  it('answers a failure before the headers with a 500 problem that names nothing of it', async () => {
    const response = await fetch(`http://127.0.0.1:${port()}/fails-before-headers`);
    const text = await response.text();

    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(text).not.toContain('secret');
    expect(checkProblem(JSON.parse(text))).toMatchObject({
      ok: true,
      value: { type: '/problems/internal', instance: '/fails-before-headers' },
    });
  });
});

describe('the ingest key', () => {
  const asRequest = (headers: Record<string, unknown>) => ({ headers }) as unknown as Request;

  it('is refused when it arrives as several values, even if each is right', async () => {
    const failure = authenticateRequest(auth, 'ingestItems', asRequest({ 'x-api-key': [INGEST_KEY, INGEST_KEY] }));
    await expect(failure).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(failure).rejects.toThrow('Send the ingest key in X-API-Key.');
  });

  it('is accepted once, as one value', async () => {
    expect(await authenticateRequest(auth, 'ingestItems', asRequest({ 'x-api-key': INGEST_KEY }))).toEqual({
      kind: 'pipeline',
    });
  });
});
