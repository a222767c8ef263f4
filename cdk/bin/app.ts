/**
 * The CDK app (`cdk.json` runs it with tsx): one {@link TickerpulseStack}, checked by cdk-nag's
 * AwsSolutions pack on every synth, so a finding without a written acknowledgement fails
 * `npm run cdk:synth` in CI, not only the unit tests.
 *
 * The few deployment choices come from CDK context (`cdk deploy -c corsAllowedOrigins=https://…`);
 * there is no account or region, so synth never calls AWS.
 *
 * `-c streaming=fargate` deploys the Fargate fleet ({@link TickerpulseFleetStack}) instead of the
 * two Lambda functions; the default, `lambda`, is {@link TickerpulseStack}. Both use the same stack
 * id and the same table construct, so switching a deployed stack keeps its table.
 */
import { App, Validations } from 'aws-cdk-lib';
import cdkNag from 'cdk-nag';
import { TickerpulseFleetStack } from '../lib/fleet-stack.ts';
import { TickerpulseStack } from '../lib/tickerpulse-stack.ts';

// cdk-nag is CommonJS; Node's ESM loader does not see all of its exports by name.
const { AwsSolutionsChecks } = cdkNag;

const app = new App();

/** A context value as a string, or undefined when unset or empty. */
function context(key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' && typeof value !== 'number') throw new Error(`context ${key} must be a string`);
  return String(value);
}

const stackName = context('stackName') ?? 'Tickerpulse';
const streaming = context('streaming') ?? 'lambda';
const auth = {
  jwksUrl: context('jwksUrl'),
  jwtIssuer: context('jwtIssuer'),
  jwtAudience: context('jwtAudience'),
  streamTokenSecretParameterName: context('streamTokenSecretParameter'),
};

if (streaming === 'lambda') {
  new TickerpulseStack(app, stackName, {
    description: 'tickerpulse: REST + SSE over DynamoDB on Lambda Function URLs',
    corsAllowedOrigins: listContext('corsAllowedOrigins'),
    ...auth,
    streamReservedConcurrency: numberContext('streamReservedConcurrency'),
    restReservedConcurrency: numberContext('restReservedConcurrency'),
    alarmTopicArn: context('alarmTopicArn'),
  });
} else if (streaming === 'fargate') {
  new TickerpulseFleetStack(app, stackName, {
    description: 'tickerpulse: REST + SSE + dashboard over DynamoDB on an ECS Fargate fleet behind an ALB',
    ...auth,
    certificateArn: context('certificateArn'),
    corsAllowedOrigins: listContext('corsAllowedOrigins'),
    minTasks: numberContext('minTasks'),
    maxTasks: numberContext('maxTasks'),
    maxConnectionsPerTask: numberContext('maxConnectionsPerTask'),
    alarmTopicArn: context('alarmTopicArn'),
  });
} else {
  throw new Error(`context streaming must be lambda or fargate (got ${JSON.stringify(streaming)})`);
}

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

/** A comma-separated context value as a list, or undefined when unset or empty. */
function listContext(key: string): string[] | undefined {
  return context(key)
    ?.split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/** A context value as a number (CLI `-c` values are strings), or undefined when unset. */
function numberContext(key: string): number | undefined {
  const text = context(key);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value)) throw new Error(`context ${key} must be an integer (got ${JSON.stringify(text)})`);
  return value;
}
