/**
 * Limits and alarm routing: the REST function's reserved concurrency (a prop and a context
 * value), the secrets' cache max age, and alarms that notify an SNS topic when one is given and
 * say clearly, at synth and in the outputs, that nothing is notified when none is.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { NO_ALARM_TOPIC_WARNING } from '../lib/alarm-actions.ts';
import { PROJECT_ROOT } from '../lib/bundling.ts';
import { TickerpulseFleetStack } from '../lib/fleet-stack.ts';
import { TickerpulseStack } from '../lib/tickerpulse-stack.ts';
import type { Stack } from 'aws-cdk-lib';
import type { TickerpulseFleetStackProps } from '../lib/fleet-stack.ts';
import type { TickerpulseStackProps } from '../lib/tickerpulse-stack.ts';

const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:tickerpulse-alarms';

function synthLambda(props?: TickerpulseStackProps) {
  const stack = new TickerpulseStack(new App({ context: SKIP_BUNDLING }), 'Test', props);
  return { stack, template: Template.fromStack(stack) };
}
function synthFleet(props?: TickerpulseFleetStackProps) {
  const stack = new TickerpulseFleetStack(new App({ context: SKIP_BUNDLING }), 'Fleet', props);
  return { stack, template: Template.fromStack(stack) };
}

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

describe('REST reserved concurrency', () => {
  it('is 50 by default, and the prop sets it', () => {
    const reservedOf = (props?: TickerpulseStackProps) =>
      Object.values(
        synthLambda(props).template.findResources('AWS::Lambda::Function', {
          Properties: { Description: Match.stringLikeRegexp('REST') },
        }),
      ).map(
        (fn) =>
          (fn as { Properties: { ReservedConcurrentExecutions?: number } }).Properties.ReservedConcurrentExecutions,
      );
    expect(reservedOf()).toEqual([50]);
    expect(reservedOf({ restReservedConcurrency: 7 })).toEqual([7]);
  });

  it.each([0, -1, 2.5])('refuses %s', (restReservedConcurrency) => {
    expect(() => synthLambda({ restReservedConcurrency })).toThrow(
      /restReservedConcurrency must be a positive integer/,
    );
  });
});

describe('the secrets cache max age', () => {
  it('is 5 minutes by default, passed to both functions as POWERTOOLS_PARAMETERS_MAX_AGE', () => {
    const functions = (props?: TickerpulseStackProps) =>
      Object.values(synthLambda(props).template.findResources('AWS::Lambda::Function')).map(
        (fn) =>
          (fn as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties.Environment
            .Variables.POWERTOOLS_PARAMETERS_MAX_AGE,
      );
    expect(functions()).toEqual(['300', '300']);
    expect(functions({ secretsMaxAge: Duration.seconds(60) })).toEqual(['60', '60']);
  });

  it.each([Duration.millis(500), Duration.millis(1500), Duration.hours(2)])('refuses %s', (secretsMaxAge) => {
    expect(() => synthLambda({ secretsMaxAge })).toThrow(/secretsMaxAge must be whole seconds from 1 s to 1 hour/);
  });
});

describe.each([
  ['Lambda', (topic?: string) => synthLambda(topic === undefined ? {} : { alarmTopicArn: topic })],
  ['Fargate', (topic?: string) => synthFleet(topic === undefined ? {} : { alarmTopicArn: topic })],
])('%s stack alarms', (_name, synth: (topic?: string) => { stack: Stack; template: Template }) => {
  it('with a topic: every alarm notifies it on alarm and on recovery, no warning', () => {
    const { stack, template } = synth(TOPIC);
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBeGreaterThan(4);
    for (const alarm of alarms) {
      expect(alarm).toMatchObject({ Properties: { AlarmActions: [TOPIC], OKActions: [TOPIC] } });
    }
    template.hasOutput('AlarmNotifications', { Value: TOPIC });
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('alarm'))).toEqual([]);
  });

  it('without one: no alarm action, a synth-time warning and an output saying so', () => {
    const { stack, template } = synth();
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBeGreaterThan(4);
    for (const alarm of alarms) {
      expect(alarm).not.toHaveProperty('Properties.AlarmActions');
      expect(alarm).not.toHaveProperty('Properties.OKActions');
    }
    template.hasOutput('AlarmNotifications', { Value: 'none', Description: NO_ALARM_TOPIC_WARNING });
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('-c alarmTopicArn='));
  });
});

describe('cdk/bin/app.ts context', () => {
  it('-c restReservedConcurrency and -c alarmTopicArn reach the Lambda stack', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'limits-app-'));
    outdirs.push(outdir);
    const context = { ...SKIP_BUNDLING, restReservedConcurrency: '7', alarmTopicArn: TOPIC };
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'cdk/bin/app.ts'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: outdir },
      encoding: 'utf8',
      // One synth takes about 10 s alone, several times that beside the other cdk test files.
      timeout: 110_000,
    });
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.status).toBe(0);
    const template = Template.fromJSON(
      JSON.parse(readFileSync(join(outdir, 'Tickerpulse.template.json'), 'utf8')) as Record<string, unknown>,
    );
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('REST'),
      ReservedConcurrentExecutions: 7,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: [TOPIC], OKActions: [TOPIC] });
  }, 120_000);
});
