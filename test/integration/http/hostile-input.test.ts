/**
 * Hostile input against the real server and store: every answer is a documented problem (or a
 * documented success), never a 5xx; the caller is authenticated before its body is read; bodies
 * the contract does not accept are 415; query and path values are taken only in their one plain
 * spelling; no input costs more than linear time, and the server keeps answering.
 *
 * Requests go out through node:http with the path exactly as written here (fetch would normalise
 * it), each on its own connection, and every answer is checked against the contract.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:http';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkProblem,
  checkResponse,
  matchOperation,
  type OperationId,
  operations,
  responseContract,
} from '../../../src/contract/index.ts';
import type { LocalServer } from '../../../src/runtime/local-server.ts';
import { startTestServer, TEST_INGEST_KEY } from '../../support/test-server.ts';

let server: LocalServer;
let configId = '';
const OWNER = 'hostile-owner';
const asOwner = { 'x-user-id': OWNER };
const withKey = { 'x-api-key': TEST_INGEST_KEY };
const JSON_TYPE = { 'content-type': 'application/json' };

interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  readonly body: unknown;
}

interface RawRequest {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  /** Send the body with Transfer-Encoding: chunked (no Content-Length). */
  readonly chunked?: boolean;
}

/** One request on its own connection; a stream is closed as soon as its headers arrive. */
function send(path: string, init: RawRequest = {}): Promise<RawResponse> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: init.method ?? 'GET', path, headers: init.headers, agent: false },
      (res) => {
        const contentType = res.headers['content-type'] ?? '';
        if (contentType.startsWith('text/event-stream')) {
          res.destroy();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: '', body: '' });
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const body: unknown = /json/.test(contentType) && text !== '' ? JSON.parse(text) : text;
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
        });
      },
    );
    req.on('error', reject);
    if (init.body !== undefined && init.chunked === true) {
      req.write(init.body);
      req.end();
    } else req.end(init.body);
  });
}

/** Never a 5xx; an error is problem+json; a documented operation's answer matches the contract. */
function expectContractAnswer(method: string, path: string, response: RawResponse): void {
  const where = `${method} ${path.slice(0, 120)} → ${response.status}`;
  expect(response.status, where).toBeLessThan(500);
  const contentType = response.headers['content-type'] ?? null;
  if (response.status >= 400) expect(contentType, where).toMatch(/^application\/problem\+json/);
  if (method === 'HEAD') {
    expect(response.text, where).toBe('');
    return;
  }
  const match = matchOperation(method, path.split('?')[0] ?? '');
  // 405 and Node's own 431 are outside any operation: a problem is all the contract asks.
  if (match === undefined || response.status === 405 || response.status === 431) {
    expect(checkProblem(response.body), where).toMatchObject({ ok: true });
    return;
  }
  const checked = checkResponse(
    match.operationId,
    response.status,
    response.status === 204 ? null : contentType,
    response.body,
  );
  expect(checked, where).toMatchObject({ ok: true });
}

async function call(path: string, init: RawRequest = {}): Promise<RawResponse> {
  const response = await send(path, init);
  expectContractAnswer(init.method ?? 'GET', path, response);
  return response;
}

const problemOf = (response: RawResponse) =>
  response.body as { type: string; title: string; status: number; errors?: { pointer: string; message: string }[] };

function item(overrides: Record<string, unknown> = {}) {
  return {
    item_id: `hostile-${Math.random().toString(36).slice(2)}`,
    ticker: 'HOST',
    sentiment: 'neutral',
    score: 0,
    timestamp: '2026-11-21T09:14:03.120Z',
    ...overrides,
  };
}

beforeAll(async () => {
  server = await startTestServer();
  const created = await call('/api/v2/configurations', {
    method: 'POST',
    headers: { ...asOwner, ...JSON_TYPE },
    body: JSON.stringify({ name: 'Hostile', tickers: ['AAPL'] }),
  });
  configId = (created.body as { config_id: string }).config_id;
});

afterAll(async () => {
  await server.close();
});

describe('a huge configuration name (finding 2)', () => {
  const huge = JSON.stringify({ name: `${'a'.repeat(200_000)}\u0001`, tickers: ['AAPL'] });

  it('is refused with 401 without credentials, before the body is looked at', async () => {
    const response = await call('/api/v2/configurations', { method: 'POST', headers: JSON_TYPE, body: huge });
    expect(response.status).toBe(401);
  });

  it('is refused with 400 by its length alone, while /health answers alongside', async () => {
    const [refused, health] = await Promise.all([
      call('/api/v2/configurations', { method: 'POST', headers: { ...asOwner, ...JSON_TYPE }, body: huge }),
      call('/health'),
    ]);
    expect(refused.status).toBe(400);
    expect(problemOf(refused).errors).toEqual([
      { location: 'body', pointer: '/name', message: 'must NOT have more than 100 characters' },
    ]);
    expect(health.status).toBe(200);
  });

  it('is refused the same way on replace', async () => {
    const response = await call(`/api/v2/configurations/${configId}`, {
      method: 'PUT',
      headers: { ...asOwner, ...JSON_TYPE },
      body: huge,
    });
    expect(response.status).toBe(400);
  });
});

describe('the caller is authenticated before its body is read (finding 8)', () => {
  const bodies: [string, RawRequest][] = [
    ['an invalid body', { headers: JSON_TYPE, body: JSON.stringify({ items: [{ score: 7 }], extra: 1 }) }],
    ['malformed JSON', { headers: JSON_TYPE, body: '{"items": [' }],
    ['a text/plain body', { headers: { 'content-type': 'text/plain' }, body: 'items' }],
    ['a gzip body', { headers: { ...JSON_TYPE, 'content-encoding': 'gzip' }, body: gzipSync('{"items":[]}') }],
    ['a body over 1 MiB', { headers: JSON_TYPE, body: `{"pad":"${'x'.repeat(1024 * 1024)}"}` }],
    ['a chunked body over 1 MiB', { headers: JSON_TYPE, body: `{"pad":"${'x'.repeat(1024 * 1024)}"}`, chunked: true }],
  ];
  const targets: [string, string, Record<string, string>][] = [
    ['POST', '/api/v2/items', {}],
    ['POST', '/api/v2/items', { 'x-api-key': 'not-the-key' }],
    ['POST', '/api/v2/configurations', {}],
    ['POST', '/api/v2/configurations', { authorization: 'Bearer not.a.jwt' }],
    ['PUT', '/api/v2/configurations/{id}', {}],
  ];
  const cases = targets.flatMap(([method, path, credentials]) =>
    bodies.map(
      ([name, init]) =>
        [`${method} ${path} ${JSON.stringify(credentials)} with ${name}`, method, path, credentials, init] as const,
    ),
  );

  it.each(cases)('%s → 401', async (_name, method, path, credentials, init) => {
    const response = await call(path.replace('{id}', configId), {
      ...init,
      method,
      headers: { ...init.headers, ...credentials },
    });
    expect(response.status).toBe(401);
    expect(problemOf(response).type).toBe('/problems/unauthorized');
  });
});

describe('bodies the contract does not accept are 415 (finding 9)', () => {
  const valid = () => JSON.stringify({ items: [item()] });
  const cases: [string, () => RawRequest][] = [
    [
      'charset=iso-8859-1',
      () => ({ headers: { 'content-type': 'application/json; charset=iso-8859-1' }, body: valid() }),
    ],
    [
      'a UTF-16 body declared as such',
      () => ({
        headers: { 'content-type': 'application/json; charset=utf-16' },
        body: Buffer.from(`\ufeff${valid()}`, 'utf16le'),
      }),
    ],
    [
      'Content-Encoding: gzip',
      () => ({ headers: { ...JSON_TYPE, 'content-encoding': 'gzip' }, body: gzipSync(valid()) }),
    ],
    ['Content-Encoding: br', () => ({ headers: { ...JSON_TYPE, 'content-encoding': 'br' }, body: valid() })],
    ['an unknown Content-Encoding', () => ({ headers: { ...JSON_TYPE, 'content-encoding': 'rot13' }, body: valid() })],
    ['no Content-Type', () => ({ body: valid() })],
    ['application/json-seq', () => ({ headers: { 'content-type': 'application/json-seq' }, body: valid() })],
  ];

  it.each(cases)('%s → 415, nothing stored', async (_name, make) => {
    const init = make();
    const response = await call('/api/v2/items', { ...init, method: 'POST', headers: { ...init.headers, ...withKey } });
    expect(response.status).toBe(415);
    expect(problemOf(response).type).toBe('/problems/unsupported-media-type');
  });

  it.each([
    'application/json; charset=utf-8',
    'application/json; charset=UTF-8',
    'application/json;charset="utf-8"',
    'Application/JSON',
  ])('accepts %s', async (contentType) => {
    const response = await call('/api/v2/items', {
      method: 'POST',
      headers: { 'content-type': contentType, 'content-encoding': 'identity', ...withKey },
      body: valid(),
    });
    expect(response.status).toBe(200);
  });

  it('documents 415 (and 413) for every operation with a body', () => {
    const withBody = (Object.keys(operations) as OperationId[]).filter((id) => operations[id].body !== null);
    expect(withBody.length).toBeGreaterThanOrEqual(3);
    for (const id of withBody) {
      expect(responseContract(id, 415), id).toBeDefined();
      expect(responseContract(id, 413), id).toBeDefined();
    }
  });
});

describe('hostile query and path values (finding 10)', () => {
  /** Values as they travel (percent-encoded where a raw byte would not be valid HTTP). */
  const hostile: [string, string][] = [
    ['hex', '0x10'],
    ['binary', '0b11'],
    ['an exponent', '1e2'],
    ['an exponent beyond doubles', '1e309'],
    ['Infinity', 'Infinity'],
    ['NaN', 'NaN'],
    ['a leading space', '%2010'],
    ['a trailing space', '10%20'],
    ['a plus sign', '%2B10'],
    ['a plus (a space in a query)', '+10'],
    ['minus zero', '-0'],
    ['a negative number', '-5'],
    ['a leading zero', '010'],
    ['a fraction', '1.5'],
    ['400 digits', '9'.repeat(400)],
    ['an empty value', ''],
    ['NUL', '1%00'],
    ['CR LF and an SSE field', '1%0D%0Aevent:%20x'],
    ['invalid percent-encoding', '%ZZ'],
    ['a lone percent sign', '%'],
    ['a non-UTF-8 byte', '%ff'],
    ['Arabic-Indic digits', '%D9%A1%D9%A0'],
    ['a long value (8 KB)', 'A'.repeat(8 * 1024)],
  ];

  /** The statuses every hostile value may get, or 'any' (still never a 5xx, errors as problems). */
  type Expectation = readonly number[] | 'any';
  /** [operation, path, credentials, parameter, what every hostile value must get]. */
  const parameters: [OperationId, string, Record<string, string>, string, Expectation][] = [
    ['listItems', '/api/v2/items', {}, 'limit', [400]],
    ['listItems', '/api/v2/items', {}, 'ticker', [400]],
    // Cursors and page tokens: a syntactically possible value is still one this server never issued.
    ['listItems', '/api/v2/items', {}, 'after', 'any'],
    ['listItems', '/api/v2/items', {}, 'page', 'any'],
    // Any Last-Event-ID is accepted (an unknown one starts from the current state).
    ['streamGlobal', '/api/v2/stream', {}, 'last_event_id', 'any'],
    ['streamConfiguration', '/api/v2/configurations/{id}/stream', asOwner, 'last_event_id', 'any'],
    // Not a token this server signed (401), or longer than any token can be (400).
    ['streamConfiguration', '/api/v2/configurations/{id}/stream', {}, 'token', [400, 401]],
  ];
  const cases = parameters.flatMap(([operationId, path, credentials, name, expected]) =>
    hostile.map(
      ([label, value]) => [`${operationId} ${name}=${label}`, path, credentials, name, value, expected] as const,
    ),
  );

  it.each(cases)('%s', async (_name, path, credentials, name, value, expected) => {
    const response = await call(`${path.replace('{id}', configId)}?${name}=${value}`, { headers: credentials });
    if (expected !== 'any') expect(expected).toContain(response.status);
  });

  /** Every operation with each of the parameter shapes no operation accepts. */
  const everyOperation = (Object.keys(operations) as OperationId[]).map((id) => {
    const { method, path } = operations[id];
    const security: readonly string[] = operations[id].security;
    const credentials = security.includes('ingestApiKey') ? withKey : security.length > 0 ? asOwner : {};
    const body =
      operations[id].body === null
        ? undefined
        : id === 'ingestItems'
          ? { items: [item()] }
          : { name: 'Q', tickers: ['AAPL'] };
    return [id, method.toUpperCase(), path, credentials, body] as const;
  });
  const shapes: [string, (query: string) => string][] = [
    ['an unknown parameter', () => 'nonsense=1'],
    ['__proto__', () => '__proto__=1'],
    ['constructor', () => 'constructor=1'],
    ['a bracketed name', () => 'limit[0]=1'],
    ['a repeated parameter', (known) => `${known}=1&${known}=2`],
  ];
  const firstParameter: Partial<Record<OperationId, string>> = {
    listItems: 'limit',
    streamGlobal: 'last_event_id',
    streamConfiguration: 'last_event_id',
  };
  const shapeCases = everyOperation.flatMap(([id, method, path, credentials, body]) =>
    shapes
      .filter(([label]) => label !== 'a repeated parameter' || firstParameter[id] !== undefined)
      .map(([label, make]) => [`${method} ${path}: ${label}`, id, method, path, credentials, body, make] as const),
  );

  it.each(shapeCases)('%s → 400', async (_name, id, method, path, credentials, body, make) => {
    const query = make(firstParameter[id] ?? 'x');
    const response = await call(`${path.replace('{config_id}', configId)}?${query}`, {
      method,
      headers: { ...credentials, ...(body === undefined ? {} : JSON_TYPE) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    expect(response.status).toBe(400);
  });

  const withPath = everyOperation.filter(([, , path]) => path.includes('{config_id}'));
  const badIds = [
    ['invalid percent-encoding', '%ZZ'],
    ['a lone percent sign', '%'],
    ['a non-UTF-8 byte', '%ff'],
    ['NUL', '%00'],
    ['an encoded slash', '..%2F..%2Fhealth'],
    ['a UUID with a newline', `7d9f1c2e-4b1a-4f7e-9c3d-2a6b8e0f1a23%0A`],
    ['a urn:uuid', 'urn:uuid:7d9f1c2e-4b1a-4f7e-9c3d-2a6b8e0f1a23'],
    ['2 KB', 'a'.repeat(2048)],
  ] as const;
  const pathCases = withPath.flatMap(([id, method, path, credentials, body]) =>
    badIds.map(
      ([label, value]) => [`${method} ${path}: ${label}`, id, method, path, credentials, body, value] as const,
    ),
  );

  it.each(pathCases)('%s → 400', async (_name, _id, method, path, credentials, body, value) => {
    const response = await call(path.replace('{config_id}', value), {
      method,
      headers: { ...credentials, ...(body === undefined ? {} : JSON_TYPE) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    expect(response.status).toBe(400);
  });

  it('does not drop a parameter that comes after 1,000 others', async () => {
    const response = await call(`/api/v2/items?${'&'.repeat(1000)}limit=0x10`);
    expect(response.status).toBe(400);
    expect(problemOf(response).errors?.map((e) => e.pointer)).toEqual(['/limit']);
  });

  it('answers a 100 KB query value with a 431 problem, and a 100 KB path likewise', async () => {
    const query = await call(`/api/v2/items?ticker=${'A'.repeat(100 * 1024)}`);
    const path = await call(`/api/v2/configurations/${'a'.repeat(100 * 1024)}`, { headers: asOwner });
    expect([query.status, path.status]).toEqual([431, 431]);
    expect(problemOf(query).title).toBe('Request Header Fields Too Large');
  });

  it('answers a request line that is not HTTP with a 400 problem', async () => {
    const { port } = new URL(server.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1');
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        text += chunk;
      });
      socket.on('error', reject);
      socket.on('close', () => {
        resolve(text);
      });
      socket.write('GET /api/v2/items?limit=1 0\u0000 HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    const [head = '', body = ''] = answer.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    expect(head).toMatch(/\r\nContent-Type: application\/problem\+json\r\n/i);
    expect(checkProblem(JSON.parse(body))).toMatchObject({ ok: true, value: { status: 400 } });
  });

  it('still answers after all of the above', async () => {
    expect((await call('/health')).status).toBe(200);
  });
});

describe('sibling hostile bodies', () => {
  const post = (body: string | Buffer, headers: Record<string, string> = {}, chunked = false) =>
    call('/api/v2/items', { method: 'POST', headers: { ...JSON_TYPE, ...withKey, ...headers }, body, chunked });

  it('refuses a duplicate member name, which JSON.parse would silently resolve, and stores nothing', async () => {
    const good = item();
    const response = await post(`{"items":[{"item_id":"x"}],"items":${JSON.stringify([good])}}`);
    expect(response.status).toBe(400);
    expect(problemOf(response).type).toBe('/problems/malformed-json');
    const again = await post(JSON.stringify({ items: [good] }));
    expect(again.body).toMatchObject({ accepted: 1, duplicates: 0 });
  });

  it('refuses a duplicate name spelt with an escape', async () => {
    const response = await post(`{"items":[],"\\u0069tems":${JSON.stringify([item()])}}`);
    expect(response.status).toBe(400);
  });

  it('refuses __proto__ members as unknown fields, and pollutes no prototype', async () => {
    const top = await post(`{"items":${JSON.stringify([item()])},"__proto__":{"polluted":true}}`);
    const nested = await post(`{"items":[${JSON.stringify(item()).replace('{', '{"__proto__":{"polluted":true},')}]}`);
    const constructor = await post(
      `{"items":${JSON.stringify([item()])},"constructor":{"prototype":{"polluted":true}}}`,
    );
    expect([top.status, nested.status, constructor.status]).toEqual([400, 400, 400]);
    expect(problemOf(top).errors?.map((e) => e.pointer)).toContain('/__proto__');
    expect(problemOf(nested).errors?.map((e) => e.pointer)).toContain('/items/0/__proto__');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses JSON nested 100,000 deep without trouble', async () => {
    const depth = 100_000;
    const arrays = await post(`{"items":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    const objects = await post(`{"items":[{"item_id":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}]}`);
    expect([arrays.status, objects.status]).toEqual([400, 400]);
  });

  it('refuses malformed JSON with a malformed-json problem', async () => {
    for (const body of ['{"items": [', 'null', '"items"', '{"items":[]} trailing', '\u0000']) {
      const response = await post(body);
      expect(response.status, body).toBe(400);
    }
  });

  it('refuses a body just over 1 MiB with 413, with or without Content-Length', async () => {
    const frame = '{"items":[],"pad":""}';
    const over = `{"items":[],"pad":"${'x'.repeat(1024 * 1024 + 1 - frame.length)}"}`;
    expect(Buffer.byteLength(over)).toBe(1024 * 1024 + 1);
    const declared = await post(over);
    const chunked = await post(over, {}, true);
    expect([declared.status, chunked.status]).toEqual([413, 413]);
    expect(problemOf(declared).type).toBe('/problems/payload-too-large');
  });

  it('refuses 100,000 items and 100,000 tickers by their number alone', async () => {
    const items = await post(JSON.stringify({ items: Array.from({ length: 100_000 }, () => ({})) }));
    const tickers = await call('/api/v2/configurations', {
      method: 'POST',
      headers: { ...asOwner, ...JSON_TYPE },
      body: JSON.stringify({ name: 'Many', tickers: Array.from({ length: 100_000 }, (_, i) => `T${i}`.slice(0, 6)) }),
    });
    expect(problemOf(items).errors).toEqual([
      { location: 'body', pointer: '/items', message: 'must NOT have more than 25 items' },
    ]);
    expect(problemOf(tickers).errors).toEqual([
      { location: 'body', pointer: '/tickers', message: 'must NOT have more than 20 items' },
    ]);
  });
});

describe('HEAD and OPTIONS on every path', () => {
  const paths = [...new Set(Object.values(operations).map((operation) => operation.path))];

  it.each(paths)('OPTIONS %s → 405 problem with Allow', async (path) => {
    const response = await call(path.replace('{config_id}', configId), { method: 'OPTIONS', headers: asOwner });
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBeDefined();
  });

  it.each(paths)('HEAD %s answers like GET, without a body', async (path) => {
    const concrete = path.replace('{config_id}', configId);
    const head = await call(concrete, { method: 'HEAD', headers: asOwner });
    const hasGet = Object.values(operations).some((operation) => operation.path === path && operation.method === 'get');
    if (!hasGet) {
      expect(head.status).toBe(405);
      return;
    }
    const get = await call(concrete, { headers: asOwner });
    expect(head.status).toBe(get.status);
  });
});

describe('timestamps in forms readers would disagree about', () => {
  it.each(['2026-12-07T10:55:11+00', '2026-12-07T10:55:11+0000', '2026-12-07T10:55:11'])(
    'refuses %s with a 400 naming the field, and stores nothing',
    async (timestamp) => {
      const posted = item({ timestamp });
      const response = await call('/api/v2/items', {
        method: 'POST',
        headers: { ...JSON_TYPE, 'x-api-key': TEST_INGEST_KEY },
        body: JSON.stringify({ items: [posted] }),
      });
      expect(response.status).toBe(400);
      expect(problemOf(response).errors?.map((error) => error.pointer)).toContain('/items/0/timestamp');
      const listed = await call('/api/v2/items?ticker=HOST&limit=100');
      expect((listed.body as { items: { item_id: string }[] }).items.map((i) => i.item_id)).not.toContain(
        posted.item_id,
      );
    },
  );

  it('counts an offset with minutes, and a leap second as the next second, in their history buckets', async () => {
    const now = Date.now();
    const today = Math.floor(now / 86_400_000) * 86_400_000;
    // Leap seconds fall at 23:59:60 UTC only; last night's reads as today's first instant.
    const leap = `${new Date(today - 1000).toISOString().slice(0, 10)}T23:59:60Z`;
    const offsetAt = Math.floor(now / 3_600_000) * 3_600_000;
    const offset = new Date(offsetAt).toISOString().replace('.000Z', '+00:00');
    const response = await call('/api/v2/items', {
      method: 'POST',
      headers: { ...JSON_TYPE, 'x-api-key': TEST_INGEST_KEY },
      body: JSON.stringify({
        items: [item({ ticker: 'LEAP', timestamp: leap }), item({ ticker: 'OFFS', timestamp: offset })],
      }),
    });
    expect(response.status).toBe(200);
    for (const [ticker, bucket] of [
      ['LEAP', today],
      ['OFFS', offsetAt],
    ] as const) {
      const history = (await call(`/api/v2/metrics/history?bucket=1h&ticker=${ticker}`)).body as {
        buckets: { start: string; total: number }[];
      };
      expect(history.buckets.find((b) => b.start === new Date(bucket).toISOString())?.total, ticker).toBe(1);
    }
  });
});
