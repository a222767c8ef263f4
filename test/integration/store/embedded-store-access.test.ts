/**
 * `npm start`'s embedded store answers its own process only. Another local process (or a web
 * page in the developer's browser) can find its loopback port; it must get nothing from it: no
 * unsigned or foreignly signed request is served, and no request, preflight included, gets CORS
 * headers. The attacker's view: every port that started listening with the server is probed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalServer } from '../../../src/runtime/local-server.ts';
import { createApiClient } from '../../support/api-client.ts';
import { listeningLoopbackPorts } from '../../support/listening-ports.ts';
import { startTestServer, TEST_INGEST_KEY } from '../../support/test-server.ts';

let server: LocalServer;
/** Ports that started listening with the server, but the server's own: the store's. */
let storePorts: number[];

beforeAll(async () => {
  const before = listeningLoopbackPorts();
  server = await startTestServer();
  const own = Number(new URL(server.url).port);
  storePorts = [...listeningLoopbackPorts()].filter((port) => !before.has(port) && port !== own);
  const answer = await createApiClient(() => server.url).request('/api/v2/items', {
    method: 'POST',
    headers: { 'x-api-key': TEST_INGEST_KEY },
    json: {
      items: [
        { item_id: 'private-1', ticker: 'SAFE', sentiment: 'neutral', score: 0, timestamp: new Date().toISOString() },
      ],
    },
  });
  expect(answer.status).toBe(200);
});
afterAll(async () => {
  await server.close();
});

/** A DynamoDB request as an outsider can make it: the operation, a body, any Authorization. */
const dynamo = (port: number, operation: string, body: unknown, authorization?: string) =>
  fetch(`http://127.0.0.1:${String(port)}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `DynamoDB_20120810.${operation}`,
      ...(authorization === undefined ? {} : { authorization }),
    },
    body: JSON.stringify(body),
  });

describe("the embedded store's port, found by another local process", () => {
  it('is there to be found (the probe is real)', () => {
    expect(storePorts.length).toBeGreaterThan(0);
  });

  it.each([
    ['no signature', undefined],
    [
      'a signature with the well-known local credentials',
      'AWS4-HMAC-SHA256 Credential=local/20261207/local/dynamodb/aws4_request, SignedHeaders=host, Signature=00',
    ],
  ])('answers a Scan with %s with 403, and no data', async (_name, authorization) => {
    for (const port of storePorts) {
      const answer = await dynamo(port, 'Scan', { TableName: 'tickerpulse' }, authorization);
      const text = await answer.text();
      expect(answer.status, text).toBe(403);
      expect(text).not.toContain('private-1');
    }
  });

  it('refuses writes the same way, and nothing changes', async () => {
    for (const port of storePorts) {
      const put = await dynamo(port, 'PutItem', {
        TableName: 'tickerpulse',
        Item: { pk: { S: 'USER#mallory' }, sk: { S: 'CONFIG#x' } },
      });
      expect(put.status).toBe(403);
    }
  });

  it("sends no CORS headers, to a browser's preflight or to a request", async () => {
    for (const port of storePorts) {
      const preflight = await fetch(`http://127.0.0.1:${String(port)}/`, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://evil.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-amz-target',
        },
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
      const scan = await dynamo(port, 'Scan', { TableName: 'tickerpulse' });
      expect(scan.headers.get('access-control-allow-origin')).toBeNull();
    }
  });
});
