/** DynamoDB clients for the places the store runs: embedded dynalite, a local endpoint, AWS. */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

interface DynamoClients {
  readonly client: DynamoDBClient;
  readonly documents: DynamoDBDocumentClient;
}

/** Static credentials for a local endpoint. */
interface LocalCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/**
 * What a local endpoint is signed with unless it hands out its own (the embedded store does):
 * dummy values, since dynalite and DynamoDB Local check no signature. Explicit, so that the SDK
 * does not walk the credential chain (files, IMDS) before the first request.
 */
const LOCAL_CREDENTIALS: LocalCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

function clientsOf(config: DynamoDBClientConfig): DynamoClients {
  const client = new DynamoDBClient(config);
  const documents = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  return { client, documents };
}

/**
 * For `npm start`, the tests and the Lambdas.
 *
 * @param endpoint a local endpoint (dynalite, DynamoDB Local), reached with region `local`;
 *                 omitted for AWS, where region and credentials come from the Lambda environment.
 * @param credentials what the local endpoint is signed with: the embedded store's own, or dummy ones.
 */
function createDynamoClients(endpoint?: string, credentials: LocalCredentials = LOCAL_CREDENTIALS): DynamoClients {
  return clientsOf(
    endpoint === undefined ? {} : { endpoint, region: 'local', credentials: { ...credentials }, maxAttempts: 3 },
  );
}

interface AwsClientOptions {
  /** Where requests go instead of the region's DynamoDB; they are signed all the same. */
  readonly endpoint?: string | undefined;
  /** A region to use when the SDK's own chain has none (AWS_DEFAULT_REGION, which it does not read). */
  readonly region?: string | undefined;
}

/**
 * For `npm run serve`: nothing injected, so the AWS SDK's standard chain decides, as for any AWS
 * program: the region from AWS_REGION, the shared config (AWS_PROFILE) or the instance; the
 * credentials from the environment, the shared files, SSO, or the container or instance role.
 * `endpoint` only redirects requests (DynamoDB Local, a VPC endpoint, a proxy).
 */
function createAwsDynamoClients(options: AwsClientOptions = {}): DynamoClients {
  return clientsOf({
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.region === undefined ? {} : { region: options.region }),
  });
}

export type { AwsClientOptions, DynamoClients, LocalCredentials };
export { createAwsDynamoClients, createDynamoClients, LOCAL_CREDENTIALS };
