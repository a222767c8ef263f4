/**
 * Where the alarms of either stack go. With an SNS topic (`-c alarmTopicArn=…`) every alarm
 * notifies it on ALARM and on OK. Without one they only change state in CloudWatch and on the
 * dashboard, which nobody may be watching: the synth warns, and the `AlarmNotifications` output
 * says so in the deployed stack too.
 */
import { Annotations, CfnOutput, Stack } from 'aws-cdk-lib';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';

/** The id of the synth-time warning, and its text (also the output's description). */
const NO_ALARM_TOPIC_WARNING_ID = 'tickerpulse:noAlarmTopic';
const NO_ALARM_TOPIC_WARNING =
  'No alarm notifications: the alarms change state in CloudWatch only. ' +
  'Deploy with -c alarmTopicArn=arn:aws:sns:<region>:<account>:<topic> to be notified on alarm and on recovery.';

/** Routes `alarms` to `topic`, or warns that nothing is notified; adds the `AlarmNotifications` output. */
function routeAlarms(scope: Construct, alarms: readonly Alarm[], topic: ITopic | undefined): void {
  const stack = Stack.of(scope);
  if (topic === undefined) {
    Annotations.of(stack).addWarningV2(NO_ALARM_TOPIC_WARNING_ID, NO_ALARM_TOPIC_WARNING);
    new CfnOutput(stack, 'AlarmNotifications', { value: 'none', description: NO_ALARM_TOPIC_WARNING });
    return;
  }
  const action = new SnsAction(topic);
  for (const alarm of alarms) {
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  }
  new CfnOutput(stack, 'AlarmNotifications', {
    value: topic.topicArn,
    description: 'SNS topic notified on alarm and on recovery',
  });
}

export { NO_ALARM_TOPIC_WARNING, NO_ALARM_TOPIC_WARNING_ID, routeAlarms };
