/**
 * The embedded store's server (dynalite behind its two gates), run in the test process on a
 * loopback port: who it answers, what a browser gets from it, and how it closes with requests in
 * flight (idle connections are closed while they finish). embedded-dynalite.test.ts checks the
 * same server through its thread, as `npm start` runs it; embedded-store-access.test.ts probes
 * `npm start` itself.
 */
import { once } from 'node:events';
import { Agent, type IncomingMessage, request } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { createDynamoClients } from '../../../src/store/dynamo-client.ts';
import { createDynaliteServer, type DynaliteServerOptions } from '../../../src/store/dynalite-server.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function listening(options: DynaliteServerOptions) {
  const dynalite = createDynaliteServer(options);
  await new Promise<void>((resolve) => dynalite.server.listen(0, '127.0.0.1', resolve));
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await dynalite.close();
  };
  cleanups.push(close);
  const endpoint = `http://127.0.0.1:${String((dynalite.server.address() as AddressInfo).port)}`;
  return { endpoint, close, server: dynalite.server };
}

const listTables = async (endpoint: string, credentials?: { accessKeyId: string; secretAccessKey: string }) => {
  const clients = createDynamoClients(endpoint, credentials);
  cleanups.push(() => {
    clients.client.destroy();
  });
  return clients.client.send(new ListTablesCommand({}));
};

/** A ListTables request's headers as the SDK signs them (dynalite checks the form, not the signature). */
const SIGNED = {
  'content-type': 'application/x-amz-json-1.0',
  'x-amz-target': 'DynamoDB_20120810.ListTables',
  authorization:
    'AWS4-HMAC-SHA256 Credential=anyone/20261207/local/dynamodb/aws4_request, SignedHeaders=host, Signature=00',
  'x-amz-date': '20261207T000000Z',
};

const OWNER = { accessKeyId: 'owner-0123456789abcdef', secretAccessKey: 'secret' };

describe('the embedded store server with an owner', () => {
  it("serves the owner's signed requests", async () => {
    const { endpoint } = await listening({ accessKeyId: OWNER.accessKeyId });
    await expect(listTables(endpoint, OWNER)).resolves.toMatchObject({ TableNames: [] });
  });

  it.each([
    ['another key id', { accessKeyId: 'mallory', secretAccessKey: 'secret' }],
    ['a key id that starts like the owner’s', { accessKeyId: 'owner-0123', secretAccessKey: 'secret' }],
    ['the well-known local credentials', undefined],
  ])('refuses a request signed with %s: 403 UnrecognizedClientException', async (_name, credentials) => {
    const { endpoint } = await listening({ accessKeyId: OWNER.accessKeyId });
    await expect(listTables(endpoint, credentials)).rejects.toMatchObject({
      name: 'UnrecognizedClientException',
      $metadata: { httpStatusCode: 403 },
    });
  });

  it('refuses an unsigned request, with no CORS header', async () => {
    const { endpoint } = await listening({ accessKeyId: OWNER.accessKeyId });
    const answer = await fetch(endpoint, {
      method: 'POST',
      headers: { 'x-amz-target': 'DynamoDB_20120810.ListTables', 'content-type': 'application/x-amz-json-1.0' },
      body: '{}',
    });
    expect(answer.status).toBe(403);
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('the embedded store server shared with any local process', () => {
  it('serves any signature, and sets no CORS header on its answers', async () => {
    const { endpoint } = await listening({});
    await expect(listTables(endpoint)).resolves.toMatchObject({ TableNames: [] });
    const answer = await fetch(endpoint, {
      method: 'POST',
      headers: {
        origin: 'https://evil.example',
        'x-amz-target': 'DynamoDB_20120810.ListTables',
        'content-type': 'application/x-amz-json-1.0',
        authorization:
          'AWS4-HMAC-SHA256 Credential=anyone/20261207/local/dynamodb/aws4_request, SignedHeaders=host, Signature=00',
        'x-amz-date': '20261207T000000Z',
      },
      body: '{}',
    });
    expect([...answer.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
  });

  it("refuses a browser's preflight", async () => {
    const { endpoint } = await listening({});
    const preflight = await fetch(endpoint, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(403);
    expect([...preflight.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
  });
});

describe('closing the embedded store server', () => {
  it('lets a request in flight finish, answers new ones 503, then closes', async () => {
    const { endpoint, close } = await listening({});
    const { port } = new URL(endpoint);
    // A request whose body is still coming: dynalite is working on it until it ends.
    const body = JSON.stringify({});
    let inFlightStatus: number | undefined;
    const inFlight = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'content-length': String(body.length),
        'x-amz-target': 'DynamoDB_20120810.ListTables',
        authorization:
          'AWS4-HMAC-SHA256 Credential=anyone/20261207/local/dynamodb/aws4_request, SignedHeaders=host, Signature=00',
        'x-amz-date': '20261207T000000Z',
      },
    });
    const answered = new Promise<void>((resolve, reject) => {
      inFlight.on('response', (res) => {
        inFlightStatus = res.statusCode;
        res.resume().on('end', resolve);
      });
      inFlight.on('error', reject);
    });
    inFlight.write(body.slice(0, 1));
    inFlight.flushHeaders();
    // Answered after the server has read the first request's head (dynalite: 404, no operation).
    expect((await fetch(endpoint, { method: 'POST', body: '{}' })).status).toBe(404);

    const closing = close();
    const late = await fetch(endpoint, { method: 'POST', body: '{}' });
    expect(late.status).toBe(503);
    const refusal = (await late.json()) as { __type?: unknown };
    expect(String(refusal.__type)).toContain('ServiceUnavailableException');

    inFlight.end(body.slice(1));
    await answered;
    expect(inFlightStatus).toBe(200);
    await closing;
    await expect(fetch(endpoint, { method: 'POST', body: '{}' })).rejects.toThrow();
  });

  it('closes idle kept-alive connections while a request is still in flight, not only once it is answered', async () => {
    const { endpoint, close, server } = await listening({});
    // No keep-alive timeout: nothing but the store's close ends an idle connection here.
    server.keepAliveTimeout = 0;
    const { port } = new URL(endpoint);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => {
      agent.destroy();
    });
    // A client that made one request and keeps its connection open, idle, for the next.
    const idle = await new Promise<Socket>((resolve, reject) => {
      const first = request(
        { host: '127.0.0.1', port, method: 'POST', agent, headers: SIGNED },
        (res: IncomingMessage) => {
          const { socket } = res;
          res.resume().on('end', () => {
            resolve(socket);
          });
        },
      );
      first.on('error', reject);
      first.end('{}');
    });
    const idleClosed = once(idle, 'close');
    // Another whose request dynalite is still working on: its body has not all arrived.
    const inFlight = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      headers: { ...SIGNED, 'content-length': '2' },
    });
    const answered = new Promise<number | undefined>((resolve, reject) => {
      inFlight.on('response', (res) => {
        res.resume().on('end', () => {
          resolve(res.statusCode);
        });
      });
      inFlight.on('error', reject);
    });
    const arrived = once(server, 'request');
    inFlight.write('{');
    await arrived;

    const closing = close();
    // The idle connection is closed while the store still drains: it still listens, and the other
    // request is unanswered. (Node's own close, after the drain, would close it only then.)
    await idleClosed;
    expect(server.listening).toBe(true);
    inFlight.end('}');

    expect(await answered).toBe(200);
    await closing;
  });
});
