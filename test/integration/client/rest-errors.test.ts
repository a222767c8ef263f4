/**
 * What the REST client returns and what it throws, against a loopback server that answers each
 * way a deployment can: the contract's problem+json, Lambda's 429 throttle body, a proxy's HTML
 * page, an empty error body, a 200 that is not JSON, a body cut short, no answer at all, and a
 * port nobody listens on. And the error types, checked by the compiler: `error` is the union the
 * contract documents (problem+json, or Lambda's throttle at 429), per operation and per status.
 */
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  createRestClient,
  type ErrorBody,
  type ErrorStatus,
  isLambdaThrottle,
  isProblem,
  type LambdaThrottle,
  type Problem,
  type RestClient,
  type RestError,
} from 'tickerpulse/client';
import { type HostileServer, startHostileServer } from './hostile-server.ts';

const PROBLEM = { type: '/problems/unavailable', title: 'Service unavailable', status: 503, detail: 'Try again.' };
const THROTTLE = { Reason: 'ConcurrentInvocationLimitExceeded', Type: 'User', message: 'Rate Exceeded.' };
const HTML = '<html><body><h1>502 Bad Gateway</h1></body></html>';

/** What the server answers, by the `ticker` query parameter of GET /api/v2/items. */
const ANSWERS: Record<string, (response: ServerResponse) => void> = {
  problem: (response) => {
    response.writeHead(503, { 'content-type': 'application/problem+json', 'retry-after': '1' });
    response.end(JSON.stringify(PROBLEM));
  },
  throttle: (response) => {
    response.writeHead(429, { 'content-type': 'application/json' });
    response.end(JSON.stringify(THROTTLE));
  },
  html: (response) => {
    response.writeHead(502, { 'content-type': 'text/html' });
    response.end(HTML);
  },
  empty: (response) => {
    response.writeHead(500, { 'content-length': '0' });
    response.end();
  },
  garbled: (response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{"items": [');
  },
  cut: (response) => {
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
    response.write('{"items": [');
    setTimeout(() => response.destroy(), 50);
  },
  // hang: no answer at all, until the client gives up
};

let server: HostileServer;
let client: RestClient;

beforeAll(async () => {
  server = await startHostileServer((request, response) => {
    const ticker = new URL(request.url ?? '/', 'http://x').searchParams.get('ticker') ?? '';
    ANSWERS[ticker]?.(response);
  });
  client = createRestClient({ baseUrl: server.url });
});
afterAll(async () => {
  await server.close();
});

const listItems = (ticker: string, signal?: AbortSignal) =>
  client.GET('/api/v2/items', { params: { query: { ticker } }, ...(signal === undefined ? {} : { signal }) });

describe('createRestClient(): an HTTP answer is returned, never thrown', () => {
  it("returns the contract's problem+json as `error`, which isProblem() recognises", async () => {
    const { data, error, response } = await listItems('problem');
    expect(response.status).toBe(503);
    expect(data).toBeUndefined();
    expect(error).toEqual(PROBLEM);
    expect(isProblem(error)).toBe(true);
    expect(isLambdaThrottle(error)).toBe(false);
    if (isProblem(error)) expect(error.title).toBe('Service unavailable');
  });

  it("returns Lambda's 429 body as `error`, which isLambdaThrottle() recognises", async () => {
    const { error, response } = await listItems('throttle');
    expect(response.status).toBe(429);
    expect(error).toEqual(THROTTLE);
    expect(isLambdaThrottle(error)).toBe(true);
    expect(isProblem(error)).toBe(false);
  });

  it('returns an answer off the contract as it came: the text of an HTML page, undefined for an empty body', async () => {
    const html = await listItems('html');
    expect(html.response.status).toBe(502);
    expect(html.error).toBe(HTML);
    expect(isProblem(html.error)).toBe(false);
    expect(isLambdaThrottle(html.error)).toBe(false);

    const empty = await listItems('empty');
    expect(empty.response.status).toBe(500);
    expect(empty.error).toBeUndefined();
    expect(isProblem(empty.error)).toBe(false);
  });
});

describe('createRestClient(): what throws', () => {
  it('throws a TypeError when nothing answers (connection refused)', async () => {
    const closed = await startHostileServer(() => undefined);
    await closed.close();
    const nobody = createRestClient({ baseUrl: closed.url });
    await expect(nobody.GET('/api/v2/metrics')).rejects.toBeInstanceOf(TypeError);
  });

  it('throws the abort reason when the caller aborts or times out', async () => {
    await expect(listItems('hang', AbortSignal.timeout(200))).rejects.toMatchObject({ name: 'TimeoutError' });
    const controller = new AbortController();
    const pending = listItems('hang', controller.signal);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('throws a SyntaxError for a 2xx body that is not JSON, and a TypeError for a body cut short', async () => {
    await expect(listItems('garbled')).rejects.toBeInstanceOf(SyntaxError);
    await expect(listItems('cut')).rejects.toBeInstanceOf(TypeError);
  });
});

describe('isProblem() and isLambdaThrottle()', () => {
  it.each([
    { value: PROBLEM, problem: true, throttle: false },
    { value: { type: 'about:blank', title: 'Not found', status: 404 }, problem: true, throttle: false },
    { value: { type: 'x', title: 'x', status: 200 }, problem: false, throttle: true },
    { value: { type: 'x', title: 'x', status: '503' }, problem: false, throttle: true },
    { value: { title: 'x', status: 503 }, problem: false, throttle: true },
    { value: THROTTLE, problem: false, throttle: true },
    { value: {}, problem: false, throttle: true },
    { value: { Reason: 42 }, problem: false, throttle: false },
    { value: [PROBLEM], problem: false, throttle: false },
    { value: null, problem: false, throttle: false },
    { value: 'Bad Gateway', problem: false, throttle: false },
    { value: undefined, problem: false, throttle: false },
  ])('$value: problem $problem, throttle $throttle', ({ value, problem, throttle }) => {
    expect(isProblem(value)).toBe(problem);
    expect(isLambdaThrottle(value)).toBe(throttle);
  });
});

it('types `error` as the union the contract documents, per operation and per status', () => {
  const typesOnly = async (api: RestClient): Promise<void> => {
    const { error } = await api.GET('/api/v2/metrics');
    expectTypeOf(error).toEqualTypeOf<RestError | undefined>();
    expectTypeOf(error).toEqualTypeOf<
      ErrorBody<'/api/v2/metrics', 'get', ErrorStatus<'/api/v2/metrics', 'get'>> | undefined
    >();
    expectTypeOf<RestError>().toEqualTypeOf<Problem | LambdaThrottle>();
    if (isProblem(error)) expectTypeOf(error).toEqualTypeOf<Problem>();
    if (isLambdaThrottle(error)) expectTypeOf(error).toEqualTypeOf<LambdaThrottle>();

    expectTypeOf<ErrorStatus<'/api/v2/items', 'post'>>().toEqualTypeOf<400 | 401 | 409 | 413 | 415 | 429 | 500 | 503>();
    expectTypeOf<ErrorStatus<'/api/v2/metrics', 'get'>>().toEqualTypeOf<400 | 429 | 500 | 503>();
    expectTypeOf<ErrorBody<'/api/v2/items', 'post', 429>>().toEqualTypeOf<LambdaThrottle>();
    expectTypeOf<ErrorBody<'/api/v2/items', 'post', 413>>().toEqualTypeOf<Problem>();
    expectTypeOf<ErrorBody<'/api/v2/configurations/{config_id}', 'get', 404>>().toEqualTypeOf<Problem>();
    // GET /api/v2/metrics documents no 404, so ErrorBody<…, 404> does not compile.
    expectTypeOf<404>().not.toExtend<ErrorStatus<'/api/v2/metrics', 'get'>>();
    // @ts-expect-error -- /api/v2/metrics has no POST
    expectTypeOf<ErrorStatus<'/api/v2/metrics', 'post'>>().toBeNever();
  };
  expect(typeof typesOnly).toBe('function');
});
