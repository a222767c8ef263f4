/**
 * The stream routes are served straight from node:http, ahead of express (the connect path is
 * the hot one); express still routes the other spellings its router accepts to the same code.
 * Every way in must behave the same: the same headers, the same opening, the same refusals, one
 * debug line per request, and no query string (stream tokens) in the log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkProblem } from '../../../src/contract/index.ts';
import { loadConfig } from '../../../src/config.ts';
import { type LocalServer, startLocalServer } from '../../../src/runtime/local-server.ts';
import { type CapturingLogger, capturingLogger } from '../../support/capturing-logger.ts';
import { type OpenStream, openStream } from '../../support/sse-client.ts';
import { TEST_INGEST_KEY, TEST_JWT_SECRET } from '../../support/test-server.ts';

// Routing is case-sensitive (src/http/api-path.ts): `/API/V2/Stream` is a 404, tested with the
// security headers.
const SPELLINGS = ['/api/v2/stream', '/api/v2/stream/'];
const CONFIG_ID = '6f1c2a9e-4b7d-4c3e-9a21-0d5e8f7b6c41';

let server: LocalServer;
let logger: CapturingLogger;
const streams: OpenStream[] = [];

beforeAll(async () => {
  logger = capturingLogger();
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    SIMULATE: '0',
    LOG_LEVEL: 'debug',
    POLL_INTERVAL_MS: '200',
    INGEST_API_KEY: TEST_INGEST_KEY,
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
  });
  server = await startLocalServer(config, { logger });
});
afterAll(async () => {
  for (const stream of streams) stream.close();
  await server.close();
});

/** The response headers that do not depend on the time or on the path's length (in `instance`). */
/**
 * How the body is framed and whether the connection is kept differ by path: the contract's exact
 * path is served from the socket (close-delimited, `Connection: close`), the other spellings
 * through node:http (chunked, kept alive). Every other header must be the same.
 */
const FRAMING_HEADERS = new Set(['date', 'content-length', 'connection', 'keep-alive', 'transfer-encoding']);

function stableHeaders(headers: Headers): Record<string, string> {
  return Object.fromEntries([...headers.entries()].filter(([name]) => !FRAMING_HEADERS.has(name)));
}

/** The debug `request` lines logged so far for requests whose path (any case) is `path`. */
function requestLines(path: string) {
  return logger.lines.filter(
    (line) => line.message === 'request' && String(line.path).toLowerCase() === path.toLowerCase(),
  );
}

async function waitForLine(path: string): Promise<void> {
  for (let i = 0; i < 100 && requestLines(path).length === 0; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('every route to the global stream', () => {
  it('opens the same stream, with the same headers, whichever spelling express would also match', async () => {
    const opened = await Promise.all(
      SPELLINGS.map(async (path) => {
        const stream = await openStream(`${server.url}${path}`, { channel: 'globalStream' });
        streams.push(stream);
        await stream.waitFor((events) => events.some((event) => event.event === 'heartbeat'));
        return stream;
      }),
    );
    const [first, ...others] = opened;
    if (first === undefined) throw new Error('no stream');
    expect(first.status).toBe(200);
    expect(first.headers.get('content-security-policy')).toContain("default-src 'none'");
    for (const stream of others) {
      expect(stream.status).toBe(200);
      expect(stableHeaders(stream.headers)).toEqual(stableHeaders(first.headers));
      expect(stream.events.map((event) => event.event)).toEqual(first.events.map((event) => event.event));
    }
    for (const stream of opened) expect(stream.violations).toEqual([]);
  });

  it.each([
    ['an unknown parameter', '?bogus=1', { accept: 'text/event-stream' }, 400],
    ['a repeated parameter', '?last_event_id=a&last_event_id=b', { accept: 'text/event-stream' }, 400],
    ['no text/event-stream in Accept', '', { accept: 'application/json' }, 406],
  ])('refuses %s the same way on every spelling', async (_case, query, headers, status) => {
    const answers = await Promise.all(
      SPELLINGS.map(async (path) => {
        const response = await fetch(`${server.url}${path}${query}`, { headers });
        return { response, body: (await response.json()) as Record<string, unknown> };
      }),
    );
    const [first] = answers;
    if (first === undefined) throw new Error('no answer');
    for (const { response, body } of answers) {
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(checkProblem(body).ok).toBe(true);
      expect(stableHeaders(response.headers)).toEqual(stableHeaders(first.response.headers));
      expect({ ...body, instance: undefined }).toEqual({ ...first.body, instance: undefined });
    }
  });

  it('answers another method with 405 and the allowed ones', async () => {
    const response = await fetch(`${server.url}/api/v2/stream`, { method: 'POST' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
    expect(checkProblem(await response.json()).ok).toBe(true);
  });
});

describe('the request log', () => {
  it('has one debug line per stream request, on either route, with the path and never the query', async () => {
    for (const path of ['/api/v2/stream', '/api/v2/stream/']) {
      logger.lines.length = 0;
      const response = await fetch(`${server.url}${path}?bogus=secret-value`, {
        headers: { accept: 'text/event-stream' },
      });
      expect(response.status).toBe(400);
      await response.arrayBuffer();
      await waitForLine(path);
      const lines = requestLines(path);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ method: 'GET', path, status: 400 });
      expect(JSON.stringify(lines)).not.toContain('secret-value');
    }
  });

  it('keeps a stream token out of the log', async () => {
    const path = `/api/v2/configurations/${CONFIG_ID}/stream`;
    logger.lines.length = 0;
    const response = await fetch(`${server.url}${path}?token=not-a-real-token-secret`, {
      headers: { accept: 'text/event-stream' },
    });
    expect(response.status).toBe(401);
    await response.arrayBuffer();
    await waitForLine(path);
    expect(requestLines(path)).toHaveLength(1);
    expect(JSON.stringify(logger.lines)).not.toContain('not-a-real-token-secret');
  });
});
