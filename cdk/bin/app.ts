/**
 * The CDK app (`cdk.json` runs it with tsx): one {@link TickerpulseStack}, checked by cdk-nag's
 * AwsSolutions pack on every synth, so a finding without a written acknowledgement fails
 * `npm run cdk:synth` in CI, not only the unit tests.
 *
 * The few deployment choices come from CDK context (`cdk deploy -c dashboardOrigin=https://…`);
 * there is no account or region, so synth never calls AWS.
 */
import { App, Validations } from 'aws-cdk-lib';
import cdkNag from 'cdk-nag';
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

new TickerpulseStack(app, context('stackName') ?? 'Tickerpulse', {
  description: 'tickerpulse: REST + SSE over DynamoDB on Lambda Function URLs',
  dashboardOrigin: context('dashboardOrigin'),
  jwksUrl: context('jwksUrl'),
  jwtIssuer: context('jwtIssuer'),
  jwtAudience: context('jwtAudience'),
  streamTokenSecretParameterName: context('streamTokenSecretParameter'),
  streamReservedConcurrency: numberContext('streamReservedConcurrency'),
  alarmTopicArn: context('alarmTopicArn'),
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

/** A context value as a number (CLI `-c` values are strings), or undefined when unset. */
function numberContext(key: string): number | undefined {
  const text = context(key);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value)) throw new Error(`context ${key} must be an integer (got ${JSON.stringify(text)})`);
  return value;
}
