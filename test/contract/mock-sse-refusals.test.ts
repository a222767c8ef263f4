/**
 * `npm run mock`'s SSE half refuses like the contract says a stream is refused: every status the
 * two stream operations of specs/openapi.yaml document can be asked for with `Prefer: code=`, and
 * comes back exactly as Prism answers the same request (status, body, documented headers), the
 * body being that response's first example; bad parameters, a bad `Accept` and missing
 * credentials are refused without being asked, as the real server refuses them.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrismMock, startPrismMock } from '../../scripts/mock/prism.ts';
import { type MockSseServer, startMockSseServer } from '../../scripts/mock/sse-server.ts';
import { checkResponse, type OperationId } from '../../src/contract/index.ts';
import { freePort } from '../support/free-port.ts';

type Node = Record<string, unknown>;
const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null && !Array.isArray(value);
const spec = parse(readFileSync(resolve(import.meta.dirname, '../../specs/openapi.yaml'), 'utf8')) as Node;

function deref(node: unknown): Node {
  let current = node;
  while (isNode(current) && typeof current.$ref === 'string') {
    current = current.$ref
      .slice(2)
      .split('/')
      .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
      .reduce<unknown>((parent, key) => (isNode(parent) ? parent[key] : undefined), spec);
  }
  if (!isNode(current)) throw new Error(`not an object: ${JSON.stringify(node)}`);
  return current;
}

const CONFIG_ID = String(deref({ $ref: '#/components/parameters/ConfigId' }).example);

interface RefusalCase {
  readonly name: string;
  readonly operationId: OperationId;
  readonly path: string;
  readonly status: number;
  /** A problem, except where the contract documents another body (Lambda's 429). */
  readonly contentType: string;
  /** The response's first example: what Prism answers by default. */
  readonly example: unknown;
  /** Header names the response documents with an example. */
  readonly headers: readonly string[];
}

/** Every documented status but 200 of every operation whose 200 is an event stream. */
function refusalCases(): RefusalCase[] {
  const cases: RefusalCase[] = [];
  for (const [template, item] of Object.entries(spec.paths as Node)) {
    const operation = (item as Node).get;
    if (!isNode(operation)) continue;
    const responses = operation.responses as Node;
    if (
      !isNode(deref(responses['200']).content) ||
      !('text/event-stream' in (deref(responses['200']).content as Node))
    ) {
      continue;
    }
    for (const [status, reference] of Object.entries(responses)) {
      if (status === '200') continue;
      const response = deref(reference);
      const content = response.content as Node;
      const contentType =
        'application/problem+json' in content ? 'application/problem+json' : (Object.keys(content)[0] ?? '');
      const media = deref(content[contentType]);
      cases.push({
        name: `${String(operation.operationId)} ${status}`,
        operationId: operation.operationId as OperationId,
        path: template.replace('{config_id}', CONFIG_ID),
        status: Number(status),
        contentType,
        example: deref(Object.values(media.examples as Node)[0]).value,
        headers: Object.entries((response.headers as Node | undefined) ?? {})
          .filter(([, header]) => deref(header).example !== undefined)
          .map(([name]) => name.toLowerCase()),
      });
    }
  }
  return cases;
}

const CASES = refusalCases();
/** Credentials the configuration stream accepts (any value, as Prism checks presence only). */
const USER = { 'x-user-id': 'mock-user' } as const;
/** What a client that reads refusals too sends; Prism answers a problem only to an Accept that allows it. */
const STREAM_ACCEPT = { accept: 'text/event-stream, application/problem+json' } as const;

let prism: PrismMock;
let sse: MockSseServer;
beforeAll(async () => {
  [prism, sse] = await Promise.all([
    freePort().then((port) => startPrismMock({ port })),
    startMockSseServer({ port: 0, intervalMs: 1000 }),
  ]);
}, 60_000);
afterAll(async () => {
  await Promise.all([prism.close(), sse.close()]);
});

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

/** One request; a stream's body is not read (it never ends), only its status and headers. */
async function ask(base: string, path: string, headers: Record<string, string>, method = 'GET'): Promise<Answer> {
  const controller = new AbortController();
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    signal: AbortSignal.any([controller.signal, AbortSignal.timeout(10_000)]),
  });
  if (response.headers.get('content-type')?.startsWith('text/event-stream')) {
    controller.abort();
    return { status: response.status, headers: response.headers, body: undefined };
  }
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) };
}

describe('the SSE mock answers Prefer: code= for every documented refusal of both streams', () => {
  it('finds the refusals in specs/openapi.yaml', () => {
    expect(CASES.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'streamGlobal 406',
        'streamGlobal 503',
        'streamConfiguration 401',
        'streamConfiguration 404',
      ]),
    );
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s, as Prism answers it', async (_name, refusal) => {
    // Prism answers a body only to an Accept that allows its media type (Lambda's 429 is JSON).
    const accept =
      refusal.contentType === 'application/problem+json'
        ? STREAM_ACCEPT.accept
        : `${STREAM_ACCEPT.accept}, ${refusal.contentType}`;
    const headers = { ...USER, accept, prefer: `code=${refusal.status}` };
    const [fromSse, fromPrism, head] = await Promise.all([
      ask(sse.url, refusal.path, headers),
      ask(prism.url, refusal.path, headers),
      ask(sse.url, refusal.path, headers, 'HEAD'),
    ]);

    expect(fromSse.status).toBe(refusal.status);
    expect(fromSse.headers.get('content-type')).toBe(refusal.contentType);
    expect(fromSse.body).toEqual(refusal.example);
    expect(fromSse.body).toEqual(fromPrism.body);
    const checked = checkResponse(refusal.operationId, refusal.status, refusal.contentType, fromSse.body);
    expect(checked.ok ? [] : checked.issues).toEqual([]);
    for (const name of refusal.headers) {
      expect(fromSse.headers.get(name), name).not.toBeNull();
      expect(fromSse.headers.get(name), name).toBe(fromPrism.headers.get(name));
    }
    // The dashboard asks a refused stream's status with HEAD (an EventSource hides it).
    expect(head.status).toBe(refusal.status);
  });

  it('picks another example with example=, and takes __code from the query for an EventSource', async () => {
    const capacity = { ...STREAM_ACCEPT, prefer: 'code=503, example=capacity' };
    const [fromSse, fromPrism] = await Promise.all([
      ask(sse.url, '/api/v2/stream', capacity),
      ask(prism.url, '/api/v2/stream', capacity),
    ]);
    expect(fromSse.status).toBe(503);
    expect(fromSse.body).toMatchObject({ type: '/problems/at-capacity', status: 503 });
    expect(fromSse.body).toEqual(fromPrism.body);

    const viaQuery = await ask(sse.url, `/api/v2/configurations/${CONFIG_ID}/stream?token=t&__code=404`, STREAM_ACCEPT);
    expect(viaQuery.status).toBe(404);
    expect(viaQuery.body).toMatchObject({ type: '/problems/not-found', status: 404 });
  });

  it('answers a status the operation does not document as Prism does, and Prefer: code=200 with the stream', async () => {
    const undocumented = { ...STREAM_ACCEPT, prefer: 'code=401' };
    const [fromSse, fromPrism] = await Promise.all([
      ask(sse.url, '/api/v2/stream', undocumented),
      ask(prism.url, '/api/v2/stream', undocumented),
    ]);
    expect(fromSse.status).toBe(fromPrism.status);
    expect(fromSse.body).toEqual(fromPrism.body);

    const open = await ask(sse.url, '/api/v2/stream', { ...STREAM_ACCEPT, prefer: 'code=200' });
    expect(open.status).toBe(200);
  });
});

describe('the SSE mock refuses what the real server refuses', () => {
  const configStream = `/api/v2/configurations/${CONFIG_ID}/stream`;

  it.each([
    ['/api/v2/stream', {}],
    [configStream, USER],
  ])('406 for an Accept without text/event-stream on %s', async (path, credentials) => {
    const answer = await ask(sse.url, path, { ...credentials, accept: 'application/json' });
    expect(answer.status).toBe(406);
    expect(answer.body).toMatchObject({ type: '/problems/not-acceptable', status: 406 });
  });

  it.each([
    ['an unknown query parameter', '/api/v2/stream?tickr=AAPL', { location: 'query', pointer: '/tickr' }],
    ['a repeated query parameter', '/api/v2/stream?last_event_id=1.a&last_event_id=1.b', { pointer: '/last_event_id' }],
    [
      'a configuration id that is not a UUID',
      '/api/v2/configurations/abc/stream',
      { location: 'path', pointer: '/config_id' },
    ],
  ])('400 for %s, listing it', async (_what, path, issue) => {
    const answer = await ask(sse.url, path, { ...USER, ...STREAM_ACCEPT });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ type: '/problems/invalid-request', status: 400 });
    expect((answer.body as { errors: unknown[] }).errors).toEqual([expect.objectContaining(issue)]);
    const checked = checkResponse('streamGlobal', 400, 'application/problem+json', answer.body);
    expect(checked.ok ? [] : checked.issues).toEqual([]);
  });

  it('401 with WWW-Authenticate for a configuration stream without credentials; any of the three ways opens it', async () => {
    const refused = await ask(sse.url, configStream, STREAM_ACCEPT);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer');
    expect(refused.body).toMatchObject({ type: '/problems/unauthorized', status: 401 });

    const opened = await Promise.all([
      ask(sse.url, configStream, { ...STREAM_ACCEPT, ...USER }),
      ask(sse.url, configStream, { ...STREAM_ACCEPT, authorization: 'Bearer a.b.c' }),
      ask(sse.url, `${configStream}?token=a.b.c`, STREAM_ACCEPT),
    ]);
    expect(opened.map((answer) => answer.status)).toEqual([200, 200, 200]);
  });

  it('never refuses a Last-Event-ID: the contract accepts any value', async () => {
    const answer = await ask(sse.url, '/api/v2/stream', { ...STREAM_ACCEPT, 'last-event-id': 'not a cursor %%' });
    expect(answer.status).toBe(200);
  });
});
