import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { TenantLifecycle, TenantMetering, TenantRouter } from '../src';

export interface SaasOperationsProps {
  readonly router: TenantRouter;
  readonly lifecycle: TenantLifecycle;
  /** Its alarm (a day's usage not sent) goes to the topic too. */
  readonly metering?: TenantMetering;
  /** CloudWatch namespace of the microservices' EMF metrics (POWERTOOLS_METRICS_NAMESPACE). */
  readonly metricsNamespace: string;
  /** Who receives the alarms by email. */
  readonly alarmEmail?: string;
  /** Removal policy of the topic's key. */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * What an operator watches (docs/example-app.md): a dashboard with every tenant's requests and latency (from the
 * microservices' EMF metrics, found by SEARCH so that tenants onboarded later appear without a deployment), each
 * router shard's API and load balancer, and the tenant lifecycle; and alarms on server errors per shard and on
 * failed onboarding, offboarding and updates, sent to an encrypted topic.
 */
export class SaasOperations extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;
  public readonly alarmTopic: sns.Topic;
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: SaasOperationsProps) {
    super(scope, id);
    const key = new kms.Key(this, 'AlarmKey', {
      enableKeyRotation: true,
      description: 'Encrypts the SaaS alarm topic',
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.alarmTopic = new sns.Topic(this, 'Alarms', { masterKey: key, enforceSSL: true });
    // The topic's own policy replaces SNS's default one, so CloudWatch alarms of this account are let in explicitly,
    // to the topic and to its key.
    const cloudwatchOfThisAccount = { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } };
    this.alarmTopic.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'CloudWatchAlarms',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [this.alarmTopic.topicArn],
      conditions: cloudwatchOfThisAccount,
    }));
    key.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'CloudWatchAlarms',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: cloudwatchOfThisAccount,
    }));
    if (props.alarmEmail) {
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }
    const alarm = (alarmId: string, metric: cloudwatch.IMetric, threshold: number, description: string) => {
      const a = new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      a.addAlarmAction(new actions.SnsAction(this.alarmTopic));
      this.alarms.push(a);
      return a;
    };

    const fiveMinutes = { period: Duration.minutes(5) };
    const shardWidgets: cloudwatch.IWidget[] = [];
    for (const shard of props.router.shards) {
      const api = shard.api;
      const alb = shard.loadBalancer.metrics;
      alarm(`Shard${shard.index}ApiServerErrors`, api.metricServerError(fiveMinutes), 5, `Router shard ${shard.index}: API Gateway 5XX responses`);
      alarm(`Shard${shard.index}TargetServerErrors`, alb.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, fiveMinutes), 10, `Router shard ${shard.index}: tenant services answered 5XX`);
      shardWidgets.push(new cloudwatch.GraphWidget({
        title: `Router shard ${shard.index}${shard.dedicated ? ' (dedicated)' : ''}: API`,
        left: [api.metricCount(fiveMinutes), api.metricClientError(fiveMinutes), api.metricServerError(fiveMinutes)],
        right: [api.metricLatency({ ...fiveMinutes, statistic: 'p90' })],
        width: 12,
      }));
    }

    const lifecycle = props.lifecycle;
    const machines = [
      ['Onboarding', lifecycle.onboardingStateMachine],
      ['Offboarding', lifecycle.offboardingStateMachine],
      ...(lifecycle.updateStateMachine ? [['Update', lifecycle.updateStateMachine] as const] : []),
    ] as const;
    for (const [name, machine] of machines) {
      alarm(`${name}Failed`, machine.metricFailed(fiveMinutes), 1, `Tenant lifecycle: a ${name.toLowerCase()} execution failed`);
    }
    if (props.metering) {
      props.metering.deadLetterAlarm.addAlarmAction(new actions.SnsAction(this.alarmTopic));
      this.alarms.push(props.metering.deadLetterAlarm);
    }
    // No alarm on the worker's errors: Step Functions retries them, and a failure that stays is an execution failure.

    const search = (metric: string, statistic: string, label: string) => new cloudwatch.MathExpression({
      expression: `SEARCH('{${props.metricsNamespace},service,tenantId} MetricName="${metric}"', '${statistic}', 300)`,
      label,
      period: Duration.minutes(5),
    });
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cloudwatch.GraphWidget({ title: 'Requests per tenant and service', left: [search('Requests', 'Sum', 'requests')], width: 12 }),
          new cloudwatch.GraphWidget({ title: 'Latency p90 per tenant and service (ms)', left: [search('Latency', 'p90', 'p90')], width: 12 }),
        ],
        shardWidgets,
        [
          new cloudwatch.GraphWidget({
            title: 'Tenant lifecycle executions',
            left: machines.flatMap(([name, m]) => [m.metricStarted({ ...fiveMinutes, label: `${name} started` }), m.metricFailed({ ...fiveMinutes, label: `${name} failed` })]),
            width: 12,
          }),
          new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 12 }),
        ],
      ],
    });
  }
}
