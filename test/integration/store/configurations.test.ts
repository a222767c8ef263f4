import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configurationNameKey } from '../../../src/store/keys.ts';
import { MAX_CONFIGURATIONS } from '../../../src/store/index.ts';
import { startTestStore, type TestStore } from '../../support/test-store.ts';

let t: TestStore;
beforeAll(async () => {
  t = await startTestStore();
});
afterAll(async () => {
  await t.close();
});

const input = (name: string, tickers = ['AAPL']) => ({ name, tickers });
let user = 0;
const newUser = () => `user-${++user}`;

async function created(userId: string, name: string, tickers?: string[]) {
  const result = await t.store.createConfiguration(userId, input(name, tickers));
  if (!result.ok) throw new Error(`create failed: ${result.reason}`);
  return result.configuration;
}

describe('configurations', () => {
  it('creates, reads, lists, replaces and deletes', async () => {
    const owner = newUser();
    const first = await created(owner, 'Megacap', ['AAPL', 'MSFT']);
    t.advance(1000);
    const second = await created(owner, 'EVs', ['TSLA']);

    t.advance(1000);
    const replaced = await t.store.replaceConfiguration(owner, first.config_id, input('Megacap+', ['AAPL']));
    const deleted = await t.store.deleteConfiguration(owner, second.config_id);

    expect(replaced.ok && replaced.configuration).toMatchObject({
      name: 'Megacap+',
      tickers: ['AAPL'],
      created_at: first.created_at,
    });
    expect(replaced.ok && replaced.configuration.updated_at > first.updated_at).toBe(true);
    expect(deleted).toBe(true);
    expect((await t.store.listConfigurations(owner)).map((c) => c.name)).toEqual(['Megacap+']);
    expect(await t.store.getConfiguration(owner, second.config_id)).toBeNull();
  });

  it("never shows one user another user's configuration", async () => {
    const owner = newUser();
    const other = newUser();
    const mine = await created(owner, 'Mine');

    expect(await t.store.getConfiguration(other, mine.config_id)).toBeNull();
    expect(await t.store.listConfigurations(other)).toEqual([]);
    expect(await t.store.replaceConfiguration(other, mine.config_id, input('Stolen'))).toEqual({
      ok: false,
      reason: 'not-found',
    });
    expect(await t.store.deleteConfiguration(other, mine.config_id)).toBe(false);
    expect(await t.store.getConfiguration(owner, mine.config_id)).toMatchObject({ name: 'Mine' });
  });

  it('keeps names unique per user, ignoring case and surrounding spaces', async () => {
    const owner = newUser();
    await created(owner, 'Tech');
    const other = await created(owner, 'Other');

    expect(await t.store.createConfiguration(owner, input(' tech '))).toEqual({ ok: false, reason: 'name-taken' });
    expect(await t.store.replaceConfiguration(owner, other.config_id, input('TECH'))).toEqual({
      ok: false,
      reason: 'name-taken',
    });
    expect((await t.store.createConfiguration(newUser(), input('Tech'))).ok).toBe(true);
  });

  it('keeps the name claimed when a replace keeps the name, in another case or spacing, and changes the rest', async () => {
    const owner = newUser();
    const kept = await created(owner, 'Watch', ['AAPL']);
    t.advance(1000);

    const replaced = await t.store.replaceConfiguration(owner, kept.config_id, input(' WATCH ', ['MSFT', 'NVDA']));

    expect(replaced).toEqual({
      ok: true,
      configuration: {
        ...kept,
        name: ' WATCH ',
        tickers: ['MSFT', 'NVDA'],
        updated_at: new Date(t.now()).toISOString(),
      },
    });
    expect(await t.store.getConfiguration(owner, kept.config_id)).toEqual(replaced.ok && replaced.configuration);
    expect(await t.store.createConfiguration(owner, input('watch'))).toEqual({ ok: false, reason: 'name-taken' });
  });

  it('frees a name on rename and on delete', async () => {
    const owner = newUser();
    const a = await created(owner, 'Alpha');
    await t.store.replaceConfiguration(owner, a.config_id, input('Beta'));
    expect((await t.store.createConfiguration(owner, input('Alpha'))).ok).toBe(true);
    await t.store.deleteConfiguration(owner, a.config_id);
    expect((await t.store.createConfiguration(owner, input('Beta'))).ok).toBe(true);
  });

  it('takes over a stale name claim left by an interrupted write', async () => {
    const owner = newUser();
    await t.clients.documents.send(
      new PutCommand({
        TableName: t.tableName,
        Item: { ...configurationNameKey(owner, 'ghost'), config_id: 'no-such-config' },
      }),
    );
    expect((await t.store.createConfiguration(owner, input('Ghost'))).ok).toBe(true);
  });

  it(`refuses more than ${MAX_CONFIGURATIONS} configurations per user`, async () => {
    const owner = newUser();
    for (let i = 0; i < MAX_CONFIGURATIONS; i++) await created(owner, `c${i}`);
    expect(await t.store.createConfiguration(owner, input('one too many'))).toEqual({
      ok: false,
      reason: 'limit-reached',
    });
  });
});
