/**
 * What each function's role may do, action by action: exactly the calls its code makes, rather
 * than CDK's `grantRead*` bundles, which add `Scan`, `BatchGetItem`, `ConditionCheckItem` and the
 * DynamoDB Streams reads (`GetRecords`, `GetShardIterator`, `DescribeStream`, `ListStreams`) that
 * nothing here calls. `cdk/test/permissions.test.ts` derives the calls from `src/store` and holds
 * these lists to them.
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-ecs';
import { Grant, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/**
 * The REST function: ingest (src/store/ingest-*.ts, batch-write.ts: Get, Put, Update,
 * BatchWrite), configurations (configurations.ts: Get, Query, Put, Delete), the feed, history and
 * metrics (feed.ts, history.ts, aggregates.ts: Query, the ticker listing on the index), and
 * /health's probe (store.ts: DescribeTable). No CreateTable or UpdateTimeToLive: the stack owns
 * the table, and the Lambda profile never runs ensureTable.
 */
const REST_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:Query',
  'dynamodb:DescribeTable',
] as const;

/**
 * The SSE function: the feed and the aggregates it polls (feed.ts readAfter/headCursor,
 * aggregates.ts: Query on the table's own keys) and the configuration a stream is opened for
 * (stream-access.ts → configurations.ts getConfiguration: GetItem). It never reads the ticker
 * index (only the REST listing does) and never writes.
 */
const STREAM_TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query'] as const;

/** The one SSM call src/runtime/parameters.ts makes (Powertools `SSMProvider.get`, one name at a time). */
const PARAMETER_ACTIONS = ['ssm:GetParameter'] as const;

/** The one SSM call ECS makes to resolve a task's `secrets` at task start (by its execution role). */
const ECS_PARAMETER_ACTIONS = ['ssm:GetParameters'] as const;

/** `actions` on the table; with `index`, also on its indexes (`<table ARN>/index/*`). */
function grantTable(
  grantee: IGrantable,
  table: TableV2,
  actions: readonly string[],
  { index }: { readonly index: boolean },
): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: [...actions],
      resources: index ? [table.tableArn, `${table.tableArn}/index/*`] : [table.tableArn],
    }),
  );
}

/** The ARN of an SSM parameter of this stack's account and region. */
function parameterArn(stack: Stack, name: string): string {
  return stack.formatArn({
    service: 'ssm',
    resource: 'parameter',
    // Hierarchical names start with "/", which the ARN already has after "parameter".
    resourceName: name.replace(/^\//, ''),
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
}

/**
 * `ssm:GetParameter` on exactly these parameters. SecureStrings under the AWS-managed `aws/ssm`
 * key need no `kms:Decrypt` grant: that key's policy lets SSM decrypt for any principal of the
 * account that may read the parameter (`kms:ViaService` SSM). A customer-managed key would need
 * a `kms:Decrypt` grant on that key here.
 */
function grantParameters(role: Role, names: readonly string[]): void {
  if (names.length === 0) return;
  const stack = Stack.of(role);
  role.addToPrincipalPolicy(
    new PolicyStatement({ actions: [...PARAMETER_ACTIONS], resources: names.map((name) => parameterArn(stack, name)) }),
  );
}

/**
 * An ECS container secret from an SSM SecureString, read with exactly {@link ECS_PARAMETER_ACTIONS}
 * on that parameter. `Secret.fromSsmParameter` would also grant `DescribeParameters`,
 * `GetParameter` and `GetParameterHistory`, which ECS never calls. The `aws/ssm` key needs no
 * `kms:Decrypt` grant, as for the functions (see {@link grantParameters}).
 */
class SsmParameterSecret extends Secret {
  readonly arn: string;
  readonly hasField = false;

  constructor(stack: Stack, name: string) {
    super();
    this.arn = parameterArn(stack, name);
  }

  grantRead(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: [...ECS_PARAMETER_ACTIONS], resourceArns: [this.arn] });
  }
}

/**
 * An execution role that may write only to the function's own log group, instead of the
 * AWSLambdaBasicExecutionRole managed policy (create log groups and write to any of them).
 */
function executionRole(scope: Construct, id: string, logGroup: LogGroup): Role {
  const role = new Role(scope, id, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  logGroup.grantWrite(role);
  return role;
}

export {
  ECS_PARAMETER_ACTIONS,
  executionRole,
  grantParameters,
  grantTable,
  PARAMETER_ACTIONS,
  parameterArn,
  REST_TABLE_ACTIONS,
  SsmParameterSecret,
  STREAM_TABLE_ACTIONS,
};
