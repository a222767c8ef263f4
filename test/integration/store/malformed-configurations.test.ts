/**
 * Configuration rows and name claims of the wrong shape (a bug, a hand edit, another version of
 * the code) put straight into the table: reading, listing or creating a configuration that meets
 * one fails with a `StoreDataError` naming the row and what is wrong with it, rather than handing
 * a cast value to the handlers (docs/data-model.md, "Decoded, not cast").
 */
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StoreDataError } from '../../../src/store/index.ts';
import { configurationKey, configurationNameKey } from '../../../src/store/keys.ts';
import { startTestStore, type TestStore } from '../../support/test-store.ts';

let t: TestStore;
const written: { pk: string; sk: string }[] = [];
beforeAll(async () => {
  t = await startTestStore();
});
afterAll(async () => {
  await t.close();
});
afterEach(async () => {
  for (const Key of written.splice(0))
    await t.clients.documents.send(new DeleteCommand({ TableName: t.tableName, Key }));
});

async function put(key: { pk: string; sk: string }, fields: Record<string, unknown>): Promise<string> {
  written.push(key);
  await t.clients.documents.send(new PutCommand({ TableName: t.tableName, Item: { ...key, ...fields } }));
  return `${key.pk}/${key.sk}`;
}

async function expectRowError(read: Promise<unknown>, row: string, problem: string): Promise<void> {
  const error: unknown = await read.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(StoreDataError);
  expect(error).toMatchObject({ row, message: `unexpected row ${row} in the table: ${problem}` });
}

const good = {
  config_id: 'cfg-bad',
  name: 'watchlist',
  tickers: ['AAPL'],
  created_at: '2026-11-21T09:00:00.000Z',
  updated_at: '2026-11-21T09:00:00.000Z',
};

describe('a configuration of the wrong shape', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['tickers stored as one string', { tickers: 'AAPL,MSFT' }, 'tickers is not a list of strings'],
    ['a ticker that is a number', { tickers: ['AAPL', 7] }, 'tickers is not a list of strings'],
    ['a name that is missing', { name: undefined }, 'name is not a string'],
    ['a date stored as a number', { updated_at: 1_700_000_000_000 }, 'updated_at is not a string'],
  ])('fails reading it, and listing its owner’s: %s', async (_what, overrides, problem) => {
    const row = await put(configurationKey('mallory', 'cfg-bad'), { ...good, ...overrides });

    await expectRowError(t.store.getConfiguration('mallory', 'cfg-bad'), row, problem);
    await expectRowError(t.store.listConfigurations('mallory'), row, problem);
  });

  it('is read as a configuration once it has the shape again', async () => {
    await put(configurationKey('mallory', 'cfg-bad'), { ...good, tickers: 'AAPL' });
    await put(configurationKey('mallory', 'cfg-bad'), good);

    await expect(t.store.getConfiguration('mallory', 'cfg-bad')).resolves.toEqual(good);
  });
});

describe('a name claim of the wrong shape', () => {
  it('fails a create of that name, naming the claim', async () => {
    const row = await put(configurationNameKey('mallory', 'taken'), { config_id: 42 });

    await expectRowError(
      t.store.createConfiguration('mallory', { name: 'Taken', tickers: ['AAPL'] }),
      row,
      'config_id is not a string',
    );
  });
});
