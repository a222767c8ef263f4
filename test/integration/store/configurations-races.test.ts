/**
 * Configurations when another request races this one, or the store fails part-way: every call of
 * the store under test goes through a proxy that can run a racer (another process on the same
 * table) at the exact moment between two of its calls, or fail one call on every attempt. Proves
 * that a name claim left behind is taken over, a claim taken over by a racer is never stolen back
 * or deleted, a configuration deleted mid-replace is reported as not found and gives its new name
 * back, and any store failure other than a failed condition reaches the caller as the store's
 * error, leaving no name blocked.
 */
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configurationKey, configurationNameKey } from '../../../src/store/keys.ts';
import { dynamoError, type ProxiedStore, startProxiedStore } from '../../support/proxied-store.ts';
import type { Action, StoreCall } from '../../support/store-proxy.ts';

let t: ProxiedStore;
beforeEach(async () => {
  t = await startProxiedStore();
});
afterEach(async () => {
  await t.close();
});

const owner = 'racing-user';
const input = (name: string, tickers = ['AAPL']) => ({ name, tickers });

/** The sort key a call reads or writes (`NAME#…`, `CONFIG#…`). */
const skOf = (call: StoreCall): string | undefined => {
  const key = (call.input.Item ?? call.input.Key) as Record<string, { S?: string }> | undefined;
  return key?.sk?.S;
};

/** Runs `before` once, right before the first call of `operation` on sort key `sk` is forwarded. */
function onceBefore(operation: string, sk: string, before: () => Promise<unknown>) {
  let done = false;
  t.proxy.hook = async (call): Promise<Action> => {
    if (done || call.operation !== operation || skOf(call) !== sk) return 'forward';
    done = true;
    await before();
    return 'forward';
  };
}

/** Fails every call of `operation` on sort key `sk` (all the SDK's attempts) with a store fault. */
function failEvery(operation: string, sk: string | ((sk: string) => boolean)) {
  const matches = typeof sk === 'string' ? (key: string) => key === sk : sk;
  t.proxy.hook = (call) =>
    call.operation === operation && matches(skOf(call) ?? '')
      ? dynamoError('InternalServerError', 'stand-in store fault', 500)
      : 'forward';
}

async function nameClaim(name: string): Promise<string | undefined> {
  const { Item } = await t.direct.documents.send(
    new GetCommand({ TableName: t.tableName, Key: configurationNameKey(owner, name), ConsistentRead: true }),
  );
  return Item === undefined ? undefined : String(Item.config_id);
}

async function staleClaim(name: string, configId: string): Promise<void> {
  await t.direct.documents.send(
    new PutCommand({ TableName: t.tableName, Item: { ...configurationNameKey(owner, name), config_id: configId } }),
  );
}

async function created(name: string) {
  const result = await t.store.createConfiguration(owner, input(name));
  if (!result.ok) throw new Error(`create failed: ${result.reason}`);
  return result.configuration;
}

describe('a name claim raced by another request', () => {
  it('claims a name afresh when the claim that refused it is deleted before it is read', async () => {
    await staleClaim('vanishing', 'crashed-config');
    onceBefore('GetItem', 'NAME#vanishing', () =>
      t.direct.documents.send(
        new DeleteCommand({ TableName: t.tableName, Key: configurationNameKey(owner, 'vanishing') }),
      ),
    );

    const result = await t.store.createConfiguration(owner, input('Vanishing'));

    expect(result).toMatchObject({ ok: true, configuration: { name: 'Vanishing' } });
    expect(await nameClaim('vanishing')).toBe(result.ok ? result.configuration.config_id : 'none');
  });

  it('answers name-taken when a racer takes over the same stale claim first, and leaves the racer its name', async () => {
    await staleClaim('ghost', 'crashed-config');
    let racer: Awaited<ReturnType<typeof t.other.createConfiguration>> | undefined;
    // Right when this request looks up the claim's holder (and finds it gone), another takes it over.
    onceBefore('GetItem', 'CONFIG#crashed-config', async () => {
      racer = await t.other.createConfiguration(owner, input('Ghost', ['TSLA']));
    });

    const result = await t.store.createConfiguration(owner, input('ghost'));

    expect(result).toEqual({ ok: false, reason: 'name-taken' });
    expect(racer).toMatchObject({ ok: true, configuration: { name: 'Ghost', tickers: ['TSLA'] } });
    const listed = await t.other.listConfigurations(owner);
    expect(listed.map((configuration) => configuration.tickers)).toEqual([['TSLA']]);
    expect(await nameClaim('ghost')).toBe(listed[0]?.config_id);
  });

  it('takes over the claim of a configuration renamed by a crashed write, and the old holder keeps its new name', async () => {
    const renamed = await created('Alpha');
    // The rename's write landed; its crash left the old name's claim behind.
    await t.direct.documents.send(
      new PutCommand({
        TableName: t.tableName,
        Item: { ...configurationKey(owner, renamed.config_id), ...renamed, name: 'Omega' },
      }),
    );

    const result = await t.store.createConfiguration(owner, input('ALPHA'));

    expect(result).toMatchObject({ ok: true, configuration: { name: 'ALPHA' } });
    expect(await nameClaim('alpha')).toBe(result.ok ? result.configuration.config_id : 'none');
    expect(await t.store.getConfiguration(owner, renamed.config_id)).toMatchObject({ name: 'Omega' });
  });

  it("does not release a racer's claim on the old name after a rename", async () => {
    const renamed = await created('Before');
    let racer: Awaited<ReturnType<typeof t.other.createConfiguration>> | undefined;
    // The rename has landed; before it gives the old name back, another request claims it.
    onceBefore('DeleteItem', 'NAME#before', async () => {
      racer = await t.other.createConfiguration(owner, input('Before', ['NVDA']));
    });

    const result = await t.store.replaceConfiguration(owner, renamed.config_id, input('After'));

    expect(result).toMatchObject({ ok: true, configuration: { name: 'After' } });
    expect(racer).toMatchObject({ ok: true });
    expect(await nameClaim('before')).toBe(racer?.ok ? racer.configuration.config_id : 'none');
    expect(await nameClaim('after')).toBe(renamed.config_id);
    expect(await t.store.createConfiguration(owner, input('before'))).toEqual({ ok: false, reason: 'name-taken' });
  });
});

describe('a replace whose configuration is deleted between its read and its write', () => {
  it('answers not-found and gives the new name back', async () => {
    const doomed = await created('Doomed');
    onceBefore('PutItem', `CONFIG#${doomed.config_id}`, () => t.other.deleteConfiguration(owner, doomed.config_id));

    const result = await t.store.replaceConfiguration(owner, doomed.config_id, input('Renamed'));

    expect(result).toEqual({ ok: false, reason: 'not-found' });
    expect(await t.other.getConfiguration(owner, doomed.config_id)).toBeNull();
    expect(await nameClaim('renamed')).toBeUndefined();
    expect(await nameClaim('doomed')).toBeUndefined();
  });

  it('answers not-found without resurrecting it when the name stays the same', async () => {
    const doomed = await created('Same');
    onceBefore('PutItem', `CONFIG#${doomed.config_id}`, () => t.other.deleteConfiguration(owner, doomed.config_id));

    const result = await t.store.replaceConfiguration(owner, doomed.config_id, input('same', ['MSFT']));

    expect(result).toEqual({ ok: false, reason: 'not-found' });
    expect(await t.other.listConfigurations(owner)).toEqual([]);
  });
});

describe('store failures other than a failed condition', () => {
  it('reach the caller of a create whose name claim fails, and nothing is written', async () => {
    failEvery('PutItem', 'NAME#unlucky');

    await expect(t.store.createConfiguration(owner, input('Unlucky'))).rejects.toMatchObject({
      name: 'InternalServerError',
      message: 'stand-in store fault',
    });
    expect(await t.other.listConfigurations(owner)).toEqual([]);
    expect(await nameClaim('unlucky')).toBeUndefined();
  });

  it('reach the caller of a create whose takeover of a stale claim fails, and the name stays free', async () => {
    await staleClaim('stale', 'crashed-config');
    // The first put is refused by its condition; the takeover, the second, meets the fault.
    let puts = 0;
    t.proxy.hook = (call) =>
      call.operation === 'PutItem' && skOf(call) === 'NAME#stale' && ++puts > 1
        ? dynamoError('InternalServerError', 'stand-in store fault', 500)
        : 'forward';

    await expect(t.store.createConfiguration(owner, input('Stale'))).rejects.toMatchObject({
      name: 'InternalServerError',
    });
    expect(await t.other.listConfigurations(owner)).toEqual([]);
    expect(await t.other.createConfiguration(owner, input('Stale'))).toMatchObject({ ok: true });
  });

  it('reach the caller of a replace whose write fails, which leaves the configuration as it was and the new name free', async () => {
    const kept = await created('Kept');
    failEvery('PutItem', `CONFIG#${kept.config_id}`);

    await expect(t.store.replaceConfiguration(owner, kept.config_id, input('Wanted'))).rejects.toMatchObject({
      name: 'InternalServerError',
    });
    expect(await t.other.getConfiguration(owner, kept.config_id)).toEqual(kept);
    // The claim on the new name is left to a configuration not called so: stale, free to take.
    expect(await t.other.createConfiguration(owner, input('Wanted'))).toMatchObject({ ok: true });
  });

  it('reach the caller of a delete that fails, which leaves the configuration and its name in place', async () => {
    const kept = await created('Stays');
    failEvery('DeleteItem', `CONFIG#${kept.config_id}`);

    await expect(t.store.deleteConfiguration(owner, kept.config_id)).rejects.toMatchObject({
      name: 'InternalServerError',
    });
    expect(await t.other.getConfiguration(owner, kept.config_id)).toEqual(kept);
    expect(await t.other.createConfiguration(owner, input('Stays'))).toEqual({ ok: false, reason: 'name-taken' });
  });

  it('reach the caller of a delete whose name release fails; the configuration is gone and its name free', async () => {
    const gone = await created('Released');
    failEvery('DeleteItem', 'NAME#released');

    await expect(t.store.deleteConfiguration(owner, gone.config_id)).rejects.toMatchObject({
      name: 'InternalServerError',
    });
    expect(await t.other.getConfiguration(owner, gone.config_id)).toBeNull();
    expect(await t.other.createConfiguration(owner, input('Released'))).toMatchObject({ ok: true });
  });
});
