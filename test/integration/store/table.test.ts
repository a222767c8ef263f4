/**
 * The table's life before the store serves (`npm start` and `npm run serve` run these in their own
 * processes, so they are proved here, in the test process): `ensureTable` creates a missing table
 * once, finds an existing one, lets processes that start together share one creation, waits for a
 * table that is not ACTIVE yet and gives up after `activeWithinMs`; every other store failure
 * reaches the caller. `tableKeyProblem` says why a table made for something else is not ours,
 * `findTable` tells a missing table from a refused or abandoned look, and `enableTimeToLive` asks
 * for expiry on the `ttl` attribute. Calls go through a store proxy in front of a real dynalite,
 * which stands in for what dynalite cannot do (a table still CREATING, TTL) or refuses a call.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createDynamoClients,
  type DynamoClients,
  type EmbeddedDynalite,
  startEmbeddedDynalite,
} from '../../../src/store/index.ts';
import { enableTimeToLive, ensureTable, findTable, tableKeyProblem } from '../../../src/store/table.ts';
import { dynamoError } from '../../support/proxied-store.ts';
import { type Action, holdFirst, startStoreProxy, type StoreProxy } from '../../support/store-proxy.ts';

let dynalite: EmbeddedDynalite;
let proxy: StoreProxy;
/** Through the proxy: the process under test. */
let client: DynamoDBClient;
/** Straight to dynalite: the operator looking at the store, or another process. */
let direct: DynamoClients;
const clients: DynamoClients[] = [];

beforeEach(async () => {
  dynalite = await startEmbeddedDynalite({ access: 'any-local-process' });
  proxy = await startStoreProxy(dynalite.endpoint);
  direct = createDynamoClients(dynalite.endpoint);
  client = proxiedClient();
});
afterEach(async () => {
  for (const made of [...clients.splice(0), direct]) made.client.destroy();
  await proxy.close();
  await dynalite.close();
});

function proxiedClient(): DynamoDBClient {
  const made = createDynamoClients(proxy.endpoint);
  clients.push(made);
  return made.client;
}

const TABLE = 'tickerpulse-table-test';

/** A DescribeTable answer for a table that exists but is still `status`. */
const described = (status: string): Action => ({
  answer: { Table: { TableName: TABLE, TableStatus: status, KeySchema: [] } },
});

async function statusOf(tableName: string): Promise<string | undefined> {
  return (await findTable(direct.client, tableName))?.TableStatus;
}

/** A plain table with the given keys and indexes, made by something else than tickerpulse. */
async function foreignTable(
  tableName: string,
  keys: readonly string[],
  index?: { readonly name: string; readonly keys: readonly string[] },
) {
  const schema = (names: readonly string[]) =>
    names.map((name, position) => ({ AttributeName: name, KeyType: position === 0 ? 'HASH' : 'RANGE' }) as const);
  const attributes = [...new Set([...keys, ...(index?.keys ?? [])])];
  await direct.client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: attributes.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
      KeySchema: schema(keys),
      ...(index === undefined
        ? {}
        : {
            GlobalSecondaryIndexes: [
              { IndexName: index.name, KeySchema: schema(index.keys), Projection: { ProjectionType: 'ALL' } },
            ],
          }),
    }),
  );
  const table = await findTable(direct.client, tableName);
  if (table === undefined) throw new Error(`${tableName} was not created`);
  return table;
}

describe('ensureTable', () => {
  it('creates a missing table with the keys and index the store uses, and says it created it', async () => {
    expect(await ensureTable(client, TABLE)).toBe(true);

    const table = await findTable(direct.client, TABLE);
    expect(table?.TableStatus).toBe('ACTIVE');
    expect(table && tableKeyProblem(table)).toBeUndefined();
    expect(table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
  });

  it('finds an existing table, creates nothing, and says it did not create it', async () => {
    await ensureTable(direct.client, TABLE);

    expect(await ensureTable(client, TABLE)).toBe(false);
    expect(proxy.seen('CreateTable')).toBe(0);
  });

  it('lets processes that start together share one creation: exactly one says it created the table', async () => {
    // Both look before either creates, as two processes starting at once do.
    const bothLooked = Promise.withResolvers<undefined>();
    let looks = 0;
    proxy.hook = async (call): Promise<Action> => {
      if (call.operation === 'DescribeTable' && ++looks <= 2) {
        if (looks === 2) bothLooked.resolve(undefined);
        await bothLooked.promise;
      }
      return 'forward';
    };

    const outcomes = await Promise.all([ensureTable(client, TABLE), ensureTable(proxiedClient(), TABLE)]);

    expect(outcomes.sort()).toEqual([false, true]);
    expect(proxy.seen('CreateTable')).toBe(2);
    expect(await statusOf(TABLE)).toBe('ACTIVE');
  });

  it('waits for an existing table that is still CREATING until it is ACTIVE', async () => {
    await ensureTable(direct.client, TABLE);
    let looks = 0;
    proxy.hook = (call) => (call.operation === 'DescribeTable' && ++looks <= 3 ? described('CREATING') : 'forward');

    expect(await ensureTable(client, TABLE)).toBe(false);
    // The first look, two more while CREATING, and the one that found it ACTIVE.
    expect(proxy.seen('DescribeTable')).toBe(4);
  });

  it('waits for the table it created while the store still reports it CREATING, as AWS does', async () => {
    let creating = 0;
    proxy.hook = (call) => {
      if (call.operation !== 'DescribeTable' || proxy.completed('CreateTable') === 0) return 'forward';
      return ++creating <= 2 ? described('CREATING') : 'forward';
    };

    expect(await ensureTable(client, TABLE)).toBe(true);
    expect(creating).toBe(3);
    expect(await statusOf(TABLE)).toBe('ACTIVE');
  });

  it('gives up on a table that does not become ACTIVE within activeWithinMs, naming it', async () => {
    await ensureTable(direct.client, TABLE);
    proxy.hook = (call) => (call.operation === 'DescribeTable' ? described('UPDATING') : 'forward');

    await expect(ensureTable(client, TABLE, { activeWithinMs: 250 })).rejects.toThrow(
      `table ${TABLE} did not become ACTIVE`,
    );
    // It kept looking until the deadline rather than failing at the first answer.
    expect(proxy.seen('DescribeTable')).toBeGreaterThanOrEqual(3);
  });

  it('passes on a refused creation with the store’s error, and leaves no table', async () => {
    proxy.hook = (call) =>
      call.operation === 'CreateTable'
        ? dynamoError('AccessDeniedException', 'not authorized to perform dynamodb:CreateTable')
        : 'forward';

    await expect(ensureTable(client, TABLE)).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: 'not authorized to perform dynamodb:CreateTable',
    });
    expect(await statusOf(TABLE)).toBeUndefined();
  });

  it('passes on the store’s refusal of a table name it cannot have, creating nothing', async () => {
    await expect(ensureTable(client, 'x!')).rejects.toMatchObject({ name: 'ValidationException' });
    expect(proxy.seen('CreateTable')).toBe(0);
  });
});

describe('findTable', () => {
  it('answers undefined for a missing table, and the description of an existing one', async () => {
    expect(await findTable(client, TABLE)).toBeUndefined();
    await ensureTable(direct.client, TABLE);
    expect(await findTable(client, TABLE)).toMatchObject({ TableName: TABLE, TableStatus: 'ACTIVE' });
  });

  it('passes on a refused look instead of reporting the table missing', async () => {
    proxy.hook = () => dynamoError('AccessDeniedException', 'not allowed to describe');

    await expect(findTable(client, TABLE)).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: 'not allowed to describe',
    });
  });

  it('stops waiting for an answer once its abort signal fires', async () => {
    const { hook, held } = holdFirst((call) => call.operation === 'DescribeTable');
    proxy.hook = hook;
    const abort = new AbortController();

    const look = findTable(client, TABLE, { abortSignal: abort.signal });
    const pending = await held;
    abort.abort();

    await expect(look).rejects.toMatchObject({ name: 'AbortError' });
    // The look hung up on the store: its answer is not waited for.
    await pending.call.abandoned;
    pending.settle('forward');
  });
});

describe('tableKeyProblem', () => {
  it('finds no problem with a table ensureTable made', async () => {
    await ensureTable(direct.client, TABLE);
    const table = await findTable(direct.client, TABLE);

    expect(table && tableKeyProblem(table)).toBeUndefined();
  });

  it('names the key of a table keyed otherwise, and the key expected', async () => {
    const table = await foreignTable('other-app', ['id']);

    expect(tableKeyProblem(table)).toBe('its key is (id HASH), expected (pk HASH, sk RANGE)');
  });

  it('names the missing index of a table with the right keys but no index', async () => {
    const table = await foreignTable('no-index', ['pk', 'sk']);

    expect(tableKeyProblem(table)).toBe('it has no index byTicker on (gsi1pk HASH, gsi1sk RANGE)');
  });

  it('names the index when the table has one called byTicker on other keys', async () => {
    const table = await foreignTable('wrong-index', ['pk', 'sk'], { name: 'byTicker', keys: ['gsi1pk'] });

    expect(tableKeyProblem(table)).toBe('it has no index byTicker on (gsi1pk HASH, gsi1sk RANGE)');
  });

  it('reports a description without a key schema as a table with no key', () => {
    expect(tableKeyProblem({ TableName: TABLE })).toBe('its key is (), expected (pk HASH, sk RANGE)');
    // A key element without its fields, as a store other than DynamoDB might describe it.
    const incomplete = { TableName: TABLE, KeySchema: [{}] } as unknown as TableDescription;
    expect(tableKeyProblem(incomplete)).toBe('its key is ( ), expected (pk HASH, sk RANGE)');
  });
});

describe('enableTimeToLive', () => {
  it('asks the store to expire items by their ttl attribute', async () => {
    await ensureTable(direct.client, TABLE);
    const asked: Record<string, unknown>[] = [];
    proxy.hook = (call) => {
      if (call.operation !== 'UpdateTimeToLive') return 'forward';
      asked.push(call.input);
      return { answer: { TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true } } };
    };

    await enableTimeToLive(client, TABLE);

    expect(asked).toEqual([{ TableName: TABLE, TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true } }]);
  });

  it('passes on the refusal of a store without TTL (dynalite has none)', async () => {
    await ensureTable(direct.client, TABLE);

    await expect(enableTimeToLive(client, TABLE)).rejects.toMatchObject({ name: 'UnknownOperationException' });
    expect((await direct.client.send(new DescribeTableCommand({ TableName: TABLE }))).Table?.TableStatus).toBe(
      'ACTIVE',
    );
  });
});
