/**
 * No request may stop the mock SSE server. It checks every answer against the contract before
 * sending it, and once treated any failure of that check as contract drift and stopped (and
 * `npm run mock` with it, Prism included): `GET /api/v2/stream?__code=503&__example=<2,100 × A>`
 * echoed the example key into a 404 detail longer than the Problem schema allows, and a path
 * segment that is not percent-encoding (`%ZZ`) went into `instance` as an invalid URI reference.
 * Echoed values are cut to the schema's limits now, and an answer that still fails the check is
 * a 500 for that request alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockSseServer, startMockSseServer } from '../../scripts/mock/sse-server.ts';
import { checkProblem, checkResponse } from '../../src/contract/index.ts';
import { openStream } from '../support/sse-client.ts';

const CONFIG_ID = '7d9f1c2e-4b1a-4f7e-9c3d-2a6b8e0f1a23';
const HEADERS = { accept: 'text/event-stream, application/problem+json', 'x-user-id': 'mock-user' };

let sse: MockSseServer;
const stopped: Error[] = [];

beforeAll(async () => {
  sse = await startMockSseServer({
    port: 0,
    intervalMs: 100,
    onError: (error) => stopped.push(error),
    log: () => undefined,
  });
});
afterAll(async () => {
  await sse.close();
});

async function ask(path: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${sse.url}${path}`, { headers: HEADERS, signal: AbortSignal.timeout(5000) });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) };
}

describe('hostile requests to the mock SSE server', () => {
  /** Each one of them, answered with a problem valid where it is documented (else a valid Problem). */
  const CASES: readonly { what: string; path: string; status: number; prefer?: string; documented: boolean }[] = [
    {
      what: 'a 2,100-character example key',
      path: `/api/v2/stream?__code=503&__example=${'A'.repeat(2100)}`,
      status: 404,
      documented: false,
    },
    {
      what: 'a 5,000-character example key in Prefer',
      path: '/api/v2/stream',
      prefer: `code=503, example=${'B'.repeat(5000)}`,
      status: 404,
      documented: false,
    },
    {
      what: 'a path segment that is not percent-encoding',
      path: '/api/v2/configurations/%ZZ/stream',
      status: 400,
      documented: true,
    },
    {
      what: 'a 3,000-character unknown parameter',
      path: `/api/v2/stream?${'C'.repeat(3000)}=1`,
      status: 400,
      documented: true,
    },
    {
      what: 'a 3,000-character scenario',
      path: `/api/v2/stream?__scenario=${'D'.repeat(3000)}`,
      status: 422,
      documented: false,
    },
    { what: 'a 3,000-character path', path: `/api/v2/${'E'.repeat(3000)}`, status: 404, documented: false },
  ];

  it.each(CASES)('$what gets a valid problem, and the mock keeps streaming', async (hostile) => {
    const response = await fetch(`${sse.url}${hostile.path}`, {
      headers: { ...HEADERS, ...(hostile.prefer === undefined ? {} : { prefer: hostile.prefer }) },
      signal: AbortSignal.timeout(5000),
    });
    const body: unknown = JSON.parse(await response.text());
    expect(response.status, JSON.stringify(body).slice(0, 300)).toBe(hostile.status);
    const operationId = hostile.path.includes('/configurations/') ? 'streamConfiguration' : 'streamGlobal';
    const checked = hostile.documented
      ? checkResponse(operationId, hostile.status, 'application/problem+json', body)
      : checkProblem(body);
    expect(checked.ok ? [] : checked.issues).toEqual([]);
    expect(stopped.map((error) => error.message)).toEqual([]);

    const stream = await openStream(`${sse.url}/api/v2/stream`);
    try {
      expect(stream.status).toBe(200);
      await stream.waitFor((events) => events.some((event) => event.event === 'new_item'), 5000);
    } finally {
      stream.close();
    }
  });

  it('a configuration stream still opens after all of them', async () => {
    const answer = await ask(`/api/v2/configurations/${CONFIG_ID}/stream?__code=404`);
    expect(answer.status).toBe(404);
    expect(stopped).toEqual([]);
  });
});
