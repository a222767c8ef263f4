/** DynamoDB clients for the three places the store runs: embedded dynalite, an endpoint, AWS. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

interface DynamoClients {
  readonly client: DynamoDBClient;
  readonly documents: DynamoDBDocumentClient;
}

/**
 * @param endpoint a local endpoint (dynalite, DynamoDB Local); omitted for AWS, where region and
 *                 credentials come from the Lambda environment.
 */
function createDynamoClients(endpoint?: string): DynamoClients {
  const client = new DynamoDBClient(
    endpoint === undefined
      ? {}
      : {
          endpoint,
          region: 'local',
          // Explicit dummy credentials: a local endpoint needs none, and without them the SDK walks
          // the credential chain (files, IMDS) before the first request.
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
          maxAttempts: 3,
        },
  );
  const documents = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  return { client, documents };
}

export type { DynamoClients };
export { createDynamoClients };
