/**
 * The DynamoDB clients of each place the store runs (src/store/dynamo-client.ts). A local
 * endpoint's client signs with the dummy or the embedded store's own credentials and gives a
 * failing call three attempts in all; its document client drops undefined attributes instead of
 * failing the write. The AWS clients (`npm run serve`, the Lambdas) take region and credentials
 * from the SDK's standard chain, read here from the environment, an explicit region winning, and
 * an endpoint only redirects their requests: they are still signed with the chain's credentials,
 * which an owner-only embedded store tells apart.
 */
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAwsDynamoClients, createDynamoClients, type DynamoClients } from '../../../src/store/dynamo-client.ts';
import { type EmbeddedDynaliteOptions, ensureTable, startEmbeddedDynalite } from '../../../src/store/index.ts';
import { dynamoError } from '../../support/proxied-store.ts';
import { startStoreProxy } from '../../support/store-proxy.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  vi.unstubAllEnvs();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function kept(clients: DynamoClients): DynamoClients {
  cleanups.push(() => {
    clients.client.destroy();
  });
  return clients;
}

async function embedded(options: EmbeddedDynaliteOptions = { access: 'any-local-process' }) {
  const store = await startEmbeddedDynalite(options);
  cleanups.push(() => store.close());
  return store;
}

/** Credentials and region as a host's environment gives them, and nothing else of the chain. */
function awsEnvironment(accessKeyId: string, region = 'eu-west-1') {
  vi.stubEnv('AWS_ACCESS_KEY_ID', accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'not-checked-by-dynalite');
  vi.stubEnv('AWS_SESSION_TOKEN', '');
  vi.stubEnv('AWS_PROFILE', '');
  vi.stubEnv('AWS_REGION', region);
}

describe('createDynamoClients for a local endpoint', () => {
  it('reaches the endpoint in region local, and gives a call that keeps failing three attempts', async () => {
    const store = await embedded();
    const proxy = await startStoreProxy(store.endpoint, () =>
      dynamoError('InternalServerError', 'stand-in store fault', 500),
    );
    cleanups.push(() => proxy.close());
    const { client } = kept(createDynamoClients(proxy.endpoint));

    await expect(client.send(new ListTablesCommand({}))).rejects.toMatchObject({
      name: 'InternalServerError',
      $metadata: { attempts: 3 },
    });
    expect(proxy.seen('ListTables')).toBe(3);
    expect(await client.config.region()).toBe('local');
  });

  it('writes an item with undefined attributes through the document client, without them', async () => {
    const store = await embedded();
    const { client, documents } = kept(createDynamoClients(store.endpoint));
    await ensureTable(client, 'tickerpulse-clients');

    await documents.send(
      new PutCommand({ TableName: 'tickerpulse-clients', Item: { pk: 'A', sk: 'B', kept: 1, dropped: undefined } }),
    );

    const { Item } = await documents.send(
      new GetCommand({ TableName: 'tickerpulse-clients', Key: { pk: 'A', sk: 'B' } }),
    );
    expect(Item).toEqual({ pk: 'A', sk: 'B', kept: 1 });
  });

  it('takes its region from the environment when there is no endpoint (the Lambdas in AWS)', async () => {
    awsEnvironment('AKIDLAMBDA', 'us-east-2');
    const { client } = kept(createDynamoClients());

    expect(await client.config.region()).toBe('us-east-2');
    expect((await client.config.credentials()).accessKeyId).toBe('AKIDLAMBDA');
  });
});

describe('createAwsDynamoClients', () => {
  it('signs requests to a redirected endpoint with the credentials of the environment', async () => {
    const store = await embedded({ access: 'owner' });
    awsEnvironment(store.credentials.accessKeyId);
    const { client } = kept(createAwsDynamoClients({ endpoint: store.endpoint }));

    await expect(client.send(new ListTablesCommand({}))).resolves.toMatchObject({ TableNames: [] });
    expect(await client.config.region()).toBe('eu-west-1');
  });

  it('is refused by an owner-only store when the environment holds other credentials', async () => {
    const store = await embedded({ access: 'owner' });
    awsEnvironment('AKIDSOMEONEELSE');
    const { client } = kept(createAwsDynamoClients({ endpoint: store.endpoint }));

    await expect(client.send(new ListTablesCommand({}))).rejects.toMatchObject({
      name: 'UnrecognizedClientException',
      $metadata: { httpStatusCode: 403 },
    });
  });

  it('uses a region given explicitly over the environment’s', async () => {
    awsEnvironment('AKIDREGION', 'eu-west-1');

    const { client } = kept(createAwsDynamoClients({ region: 'ap-south-1' }));

    expect(await client.config.region()).toBe('ap-south-1');
  });

  it('takes everything from the standard chain when given nothing', async () => {
    awsEnvironment('AKIDCHAIN', 'eu-north-1');

    const { client } = kept(createAwsDynamoClients());

    expect(await client.config.region()).toBe('eu-north-1');
    expect((await client.config.credentials()).accessKeyId).toBe('AKIDCHAIN');
  });
});
