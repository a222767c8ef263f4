/**
 * The embedded store in its own thread: it answers over loopback like any DynamoDB endpoint,
 * closes even while a client keeps its kept-alive connection busy, keeps its data across a
 * restart on the same files, reports a start that cannot listen or cannot use its data directory,
 * and answers only its owner unless told to share (the attacker's view of `npm start` is
 * embedded-store-access.test.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, GetItemCommand, ListTablesCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { createDynamoClients } from '../../../src/store/dynamo-client.ts';
import { type EmbeddedDynaliteOptions, startEmbeddedDynalite } from '../../../src/store/index.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function started(options: EmbeddedDynaliteOptions = {}) {
  const store = await startEmbeddedDynalite(options);
  cleanups.push(() => store.close());
  const clients = createDynamoClients(store.endpoint, store.credentials);
  cleanups.push(() => {
    clients.client.destroy();
  });
  return { store, client: clients.client };
}

describe('the embedded store', () => {
  it('closes while a client keeps its kept-alive connection busy, and refuses connections after', async () => {
    const { store, client } = await started();
    await client.send(
      new CreateTableCommand({
        TableName: 'busy',
        AttributeDefinitions: [{ AttributeName: 'k', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'k', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    let stop = false;
    const outcomes = { ok: 0, failed: 0 };
    // Large writes, one after another on each of three sockets: at any moment most are mid-request
    // (not idle), which is what Node's close() alone leaves open.
    const payload = 'x'.repeat(300_000);
    const loops = Array.from({ length: 3 }, async (_, loop) => {
      while (!stop) {
        try {
          await client.send(
            new PutItemCommand({ TableName: 'busy', Item: { k: { S: `k${loop}` }, v: { S: payload } } }),
          );
          outcomes.ok += 1;
        } catch {
          outcomes.failed += 1;
        }
      }
    });
    await expect.poll(() => outcomes.ok).toBeGreaterThan(6);
    await store.close();
    const okAtClose = outcomes.ok;
    await expect.poll(() => outcomes.failed).toBeGreaterThan(0);
    stop = true;
    await Promise.all(loops);
    // Requests already in flight may finish; none starts once the store is closed.
    expect(outcomes.ok - okAtClose).toBeLessThanOrEqual(3);
    await expect(client.send(new ListTablesCommand({}))).rejects.toThrow();
  });

  it('keeps its data in its files across a restart on the same port', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tickerpulse-embedded-'));
    cleanups.push(() => {
      rmSync(dataDir, { recursive: true, force: true });
    });
    const first = await started({ dataDir });
    await first.client.send(
      new CreateTableCommand({
        TableName: 'kept',
        AttributeDefinitions: [{ AttributeName: 'k', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'k', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await first.client.send(new PutItemCommand({ TableName: 'kept', Item: { k: { S: 'a' }, v: { N: '1' } } }));
    await first.store.close();

    const port = Number(new URL(first.store.endpoint).port);
    const second = await started({ dataDir, port });
    expect(second.store.endpoint).toBe(first.store.endpoint);
    const read = await second.client.send(new GetItemCommand({ TableName: 'kept', Key: { k: { S: 'a' } } }));
    expect(read.Item).toEqual({ k: { S: 'a' }, v: { N: '1' } });
  });

  it('rejects a start on a port already taken, naming the reason', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) =>
          taken.close(() => {
            resolve();
          }),
        ),
    );
    const address = taken.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    await expect(startEmbeddedDynalite({ port })).rejects.toThrow(/did not start: .*EADDRINUSE/);
  });

  it('rejects a start on a data directory it cannot use, naming it, and a start after it succeeds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickerpulse-embedded-'));
    cleanups.push(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    writeFileSync(join(dir, 'a-file'), 'not a directory');
    const dataDir = join(dir, 'a-file', 'data');

    await expect(startEmbeddedDynalite({ dataDir })).rejects.toThrow(`ENOTDIR: not a directory, mkdir '${dataDir}'`);

    const { client } = await started({ dataDir: join(dir, 'data') });
    await expect(client.send(new ListTablesCommand({}))).resolves.toMatchObject({ TableNames: [] });
  });

  it('answers only clients signed with its own credentials, which are fresh at every start', async () => {
    const { store, client } = await started();
    await expect(client.send(new ListTablesCommand({}))).resolves.toMatchObject({ TableNames: [] });
    const stranger = createDynamoClients(store.endpoint);
    cleanups.push(() => {
      stranger.client.destroy();
    });
    await expect(stranger.client.send(new ListTablesCommand({}))).rejects.toMatchObject({
      name: 'UnrecognizedClientException',
      $metadata: { httpStatusCode: 403 },
    });
    const other = await started();
    expect(other.store.credentials.accessKeyId).not.toBe(store.credentials.accessKeyId);
  });

  it('shared with any local process when asked, still with no CORS headers for browsers', async () => {
    const { store } = await started({ access: 'any-local-process' });
    const stranger = createDynamoClients(store.endpoint);
    cleanups.push(() => {
      stranger.client.destroy();
    });
    await expect(stranger.client.send(new ListTablesCommand({}))).resolves.toMatchObject({ TableNames: [] });
    const preflight = await fetch(store.endpoint, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(403);
    expect([...preflight.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
  });

  it('closes once however often close is called', async () => {
    const { store } = await started();
    await Promise.all([store.close(), store.close()]);
    await store.close();
  });
});
