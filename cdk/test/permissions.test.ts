/**
 * Least privilege, action by action: each role may make exactly the calls its code makes. The
 * DynamoDB calls are read from src/store's source (the SDK commands it sends), so a new command
 * there without a grant here, or a grant nothing uses, fails this file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { SERVER_TABLE_ACTIONS, TickerpulseFleetStack } from '../lib/fleet-stack.ts';
import { PROJECT_ROOT } from '../lib/bundling.ts';
import { REST_TABLE_ACTIONS, STREAM_TABLE_ACTIONS } from '../lib/permissions.ts';
import { TickerpulseStack } from '../lib/tickerpulse-stack.ts';
import type { CfnElement, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

type Statement = { Action: string | string[]; Resource: unknown; Effect: string; Condition?: unknown };

const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

function synthLambda() {
  const stack = new TickerpulseStack(new App({ context: SKIP_BUNDLING }), 'Test');
  return { stack, template: Template.fromStack(stack) };
}
function synthFleet() {
  const stack = new TickerpulseFleetStack(new App({ context: SKIP_BUNDLING }), 'Fleet');
  return { stack, template: Template.fromStack(stack) };
}
const lambda = synthLambda();

const idOf = (stack: Stack, construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);

function statementsOf(stack: Stack, template: Template, role: IConstruct): Statement[] {
  const policies = Object.values(
    template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: idOf(stack, role) }] } }),
  );
  return policies.flatMap(
    (policy) =>
      (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement,
  );
}
const actionsOf = (statements: readonly Statement[]): string[] =>
  statements.flatMap((statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]));
const withPrefix = (statements: readonly Statement[], prefix: string) =>
  statements.filter((statement) => actionsOf([statement]).some((action) => action.startsWith(prefix)));

/** Every action of every IAM policy in a template. */
const allActions = (template: Template): string[] =>
  actionsOf(
    Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (policy) =>
        (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement,
    ),
  );

/** The SSM parameter ARN CloudFormation builds for this stack's account and region. */
const parameterArn = (name: string) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':ssm:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:parameter${name}`,
    ],
  ],
});

/** SDK command (`new XCommand(`, `paginateX(`) → the IAM action it needs. */
const ACTION_OF_COMMAND: Readonly<Record<string, string>> = {
  Get: 'dynamodb:GetItem',
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  BatchWrite: 'dynamodb:BatchWriteItem',
  BatchGet: 'dynamodb:BatchGetItem',
  Query: 'dynamodb:Query',
  Scan: 'dynamodb:Scan',
  TransactWrite: 'dynamodb:TransactWriteItems',
  TransactGet: 'dynamodb:TransactGetItems',
  DescribeTable: 'dynamodb:DescribeTable',
  CreateTable: 'dynamodb:CreateTable',
  UpdateTimeToLive: 'dynamodb:UpdateTimeToLive',
};
/** Only `ensureTable` (local runs with CREATE_TABLE) sends these; in AWS the stack owns the table. */
const TABLE_ADMIN = new Set(['dynamodb:CreateTable', 'dynamodb:UpdateTimeToLive']);

/** The IAM actions of every DynamoDB command src/store sends, by reading its source. */
function storeActions(): Set<string> {
  const dir = join(PROJECT_ROOT, 'src/store');
  const commands = readdirSync(dir)
    .filter((file) => file.endsWith('.ts'))
    .flatMap((file) => [
      ...readFileSync(join(dir, file), 'utf8').matchAll(/\bnew ([A-Z]\w*)Command\(|\bpaginate([A-Z]\w*)\(/g),
    ])
    .map((match) => match[1] ?? match[2] ?? '');
  expect(commands.length).toBeGreaterThan(5);
  for (const command of commands)
    expect(ACTION_OF_COMMAND, `map ${command}Command to its action`).toHaveProperty(command);
  return new Set(commands.map((command) => ACTION_OF_COMMAND[command] ?? ''));
}

/** What CDK's grantRead*Data adds that no code here calls. */
const NEVER_CALLED = [
  'dynamodb:Scan',
  'dynamodb:BatchGetItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:GetRecords',
  'dynamodb:GetShardIterator',
  'dynamodb:DescribeStream',
  'dynamodb:ListStreams',
  'dynamodb:*',
];

describe('DynamoDB grants follow the calls in src/store', () => {
  const used = storeActions();
  const dataPlane = [...used].filter((action) => !TABLE_ADMIN.has(action));

  it('REST (and the Fargate server): exactly the commands src/store sends, without table administration', () => {
    expect([...REST_TABLE_ACTIONS].sort()).toEqual(dataPlane.sort());
    expect([...SERVER_TABLE_ACTIONS].sort()).toEqual(dataPlane.sort());
  });

  it('SSE: only GetItem and Query, both among the commands src/store sends', () => {
    expect([...STREAM_TABLE_ACTIONS]).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
    for (const action of STREAM_TABLE_ACTIONS) expect(used).toContain(action);
  });

  it('the template grants exactly these lists: REST on the table and its index, SSE on the table only', () => {
    const { stack, template } = lambda;
    const table = { 'Fn::GetAtt': [idOf(stack, stack.table), 'Arn'] };
    expect(
      withPrefix(statementsOf(stack, template, stack.restFunction.role ?? stack.restFunction), 'dynamodb:'),
    ).toEqual([
      {
        Action: [...REST_TABLE_ACTIONS],
        Effect: 'Allow',
        Resource: [table, { 'Fn::Join': ['', [table, '/index/*']] }],
      },
    ]);
    expect(
      withPrefix(statementsOf(stack, template, stack.streamFunction.role ?? stack.streamFunction), 'dynamodb:'),
    ).toEqual([{ Action: [...STREAM_TABLE_ACTIONS], Effect: 'Allow', Resource: table }]);
  });

  it.each([
    ['Lambda', () => lambda.template],
    ['Fargate', () => synthFleet().template],
  ])('%s stack: no Scan, batch get, condition check or stream read anywhere', (_name, template) => {
    const actions = allActions(template());
    for (const action of NEVER_CALLED) expect(actions).not.toContain(action);
  });
});

describe('SSM grants: the named parameters, the one call made', () => {
  it('Lambda: ssm:GetParameter only, on exactly the parameter ARNs; no kms:Decrypt (aws/ssm key)', () => {
    const { stack, template } = lambda;
    const rest = withPrefix(statementsOf(stack, template, stack.restFunction.role ?? stack.restFunction), 'ssm:');
    const sse = withPrefix(statementsOf(stack, template, stack.streamFunction.role ?? stack.streamFunction), 'ssm:');
    expect(rest).toEqual([
      {
        Action: 'ssm:GetParameter',
        Effect: 'Allow',
        Resource: [parameterArn('/tickerpulse/ingest-api-key'), parameterArn('/tickerpulse/auth-jwt-secret')],
      },
    ]);
    expect(sse).toEqual([
      { Action: 'ssm:GetParameter', Effect: 'Allow', Resource: parameterArn('/tickerpulse/auth-jwt-secret') },
    ]);
    expect(allActions(template).filter((action) => action.startsWith('kms:'))).toEqual([]);
  });

  it('Fargate: the execution role has ssm:GetParameters only, one statement per parameter; the task role none', () => {
    const { stack, template } = synthFleet();
    const execution = withPrefix(
      statementsOf(stack, template, stack.fleet.taskDefinition.obtainExecutionRole()),
      'ssm:',
    );
    expect(execution).toEqual([
      { Action: 'ssm:GetParameters', Effect: 'Allow', Resource: parameterArn('/tickerpulse/ingest-api-key') },
      { Action: 'ssm:GetParameters', Effect: 'Allow', Resource: parameterArn('/tickerpulse/auth-jwt-secret') },
    ]);
    expect(withPrefix(statementsOf(stack, template, stack.fleet.taskDefinition.taskRole), 'ssm:')).toEqual([]);
    expect(allActions(template).filter((action) => action.startsWith('kms:'))).toEqual([]);
  });
});
