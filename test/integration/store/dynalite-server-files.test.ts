/**
 * The embedded store's server with its data in files (`DATA_DIR`), run in the test process: what
 * it stored is there again for a new server on the same files once the first has closed, the
 * table ACTIVE and its items whole; a data directory that does not exist yet is made, and one
 * that cannot be (a path through a file) is refused when the server is made, before it serves;
 * and a close that cannot happen (the server never listened) is reported as a failure, which the
 * store's thread passes on as "did not close cleanly", rather than taken for a clean close.
 */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { createDynamoClients } from '../../../src/store/dynamo-client.ts';
import { createDynaliteServer } from '../../../src/store/dynalite-server.ts';
import { ensureTable, findTable } from '../../../src/store/table.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tickerpulse-files-'));
  cleanups.push(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

async function serverOn(dataDir: string) {
  const dynalite = createDynaliteServer({ dataDir });
  await new Promise<void>((resolve) => dynalite.server.listen(0, '127.0.0.1', resolve));
  const clients = createDynamoClients(`http://127.0.0.1:${String((dynalite.server.address() as AddressInfo).port)}`);
  let closing: Promise<void> | undefined;
  const close = () => {
    clients.client.destroy();
    closing ??= dynalite.close();
    return closing;
  };
  cleanups.push(close);
  return { ...clients, close };
}

describe('the embedded store server on files', () => {
  it('serves what it stored to a new server on the same files, after the first closed', async () => {
    const dataDir = tempDir();
    const first = await serverOn(dataDir);
    await ensureTable(first.client, 'kept');
    await first.documents.send(new PutCommand({ TableName: 'kept', Item: { pk: 'META', sk: 'DEMO_SEED', n: 1 } }));
    await first.close();

    const second = await serverOn(dataDir);

    expect((await findTable(second.client, 'kept'))?.TableStatus).toBe('ACTIVE');
    expect(await ensureTable(second.client, 'kept')).toBe(false);
    const { Item } = await second.documents.send(
      new GetCommand({ TableName: 'kept', Key: { pk: 'META', sk: 'DEMO_SEED' }, ConsistentRead: true }),
    );
    expect(Item).toEqual({ pk: 'META', sk: 'DEMO_SEED', n: 1 });
  });

  it('makes a data directory that does not exist yet, parents included, and keeps its files there', async () => {
    const dataDir = join(tempDir(), 'not', 'yet');
    expect(existsSync(dataDir)).toBe(false);

    const store = await serverOn(dataDir);

    expect(await ensureTable(store.client, 'made')).toBe(true);
    await store.close();
    expect(statSync(dataDir).isDirectory()).toBe(true);
    expect(await ensureTable((await serverOn(dataDir)).client, 'made')).toBe(false);
  });

  it('refuses a data directory it cannot use when it is made, naming it, instead of serving without files', () => {
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, 'not a directory');

    expect(() => createDynaliteServer({ dataDir: join(file, 'data') })).toThrow(
      `ENOTDIR: not a directory, mkdir '${join(file, 'data')}'`,
    );
    expect(() => createDynaliteServer({ dataDir: file })).toThrow(`EEXIST: file already exists, mkdir '${file}'`);
  });

  it('reports a close that fails instead of resolving it: a server that never listened', async () => {
    const dynalite = createDynaliteServer({});

    await expect(dynalite.close()).rejects.toMatchObject({ code: 'ERR_SERVER_NOT_RUNNING' });
  });
});
