import { Aspects, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import { AwsSolutionsChecks } from 'cdk-nag';
import { routedStack } from './util/router-fixtures';
import { acknowledgeMeteringFindings, acknowledgeRouterFindings } from '../examples/nag-acknowledgements';
import { SbtContract, TenantApiKeys, TenantMetering, TierRouting } from '../src';

function metered(props: Partial<ConstructorParameters<typeof TenantMetering>[2]> = {}, routerProps = {}) {
  const f = routedStack(routerProps);
  const bus = new events.EventBus(f.stack, 'ControlPlaneBus');
  const metering = new TenantMetering(f.stack, 'Metering', { router: f.router, eventBus: bus, contract: SbtContract.V0_9, ...props });
  return { ...f, bus, metering };
}

function config(stack: Stack): any {
  const fn = Object.values<any>(Template.fromStack(stack).findResources('AWS::Lambda::Function'))
    .find((f) => f.Properties.Environment?.Variables?.METERING_CONFIG);
  const joined = stack.resolve(fn.Properties.Environment.Variables.METERING_CONFIG);
  // Intrinsic values (table and bus names, the marker's stack name) read as a marker.
  const text = typeof joined === 'string' ? joined : joined['Fn::Join'][1].map((p: any) => (typeof p === 'string' ? p : 'TOKEN')).join('');
  return JSON.parse(text);
}

function policyOf(stack: Stack): any[] {
  return Object.entries<any>(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
    .filter(([id]) => id.startsWith('MeteringMeter'))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement)
    // Besides its logs, traces and its own dead-letter queue (written for every bundled function).
    .filter((s: any) => ![s.Action].flat().some((a: string) => /^(xray:|logs:|sqs:SendMessage$)/.test(a)));
}

test('the function is told the contract, the bus, its tables and the router\'s marker, and nothing else', () => {
  const { stack, router } = metered();
  const c = config(stack);
  expect(Object.keys(c).sort()).toEqual(['detailType', 'eventBusName', 'ledgerTable', 'marker', 'requestsMeter', 'source', 'usageTable']);
  expect(c).toMatchObject({ source: 'sbt.application.plane', detailType: 'sbt_aws_ingestUsage', requestsMeter: 'requests' });
  expect(c.marker).toBe(stack.resolve(router.apiKeyMarker));
  expect(c).toMatchObject({ eventBusName: 'TOKEN', ledgerTable: 'TOKEN', usageTable: 'TOKEN' });
});

test('the usage table: tenant id and day#meter keys, an index by day, retained; the ledger retained too', () => {
  const { stack } = metered();
  const t = Template.fromStack(stack);
  t.hasResource('AWS::DynamoDB::Table', {
    DeletionPolicy: 'Retain',
    Properties: Match.objectLike({
      KeySchema: [{ AttributeName: 'tenantId', KeyType: 'HASH' }, { AttributeName: 'usageKey', KeyType: 'RANGE' }],
      GlobalSecondaryIndexes: [Match.objectLike({
        IndexName: 'byPeriod',
        KeySchema: [{ AttributeName: 'period', KeyType: 'HASH' }, { AttributeName: 'tenantId', KeyType: 'RANGE' }],
      })],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    }),
  });
  t.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', Properties: Match.objectLike({ KeySchema: [{ AttributeName: 'usageId', KeyType: 'HASH' }] }) });
  const without = metered({ serviceUsage: false, removalPolicy: RemovalPolicy.DESTROY });
  expect(without.metering.usageTable).toBeUndefined();
  expect(config(without.stack).usageTable).toBeUndefined();
  const tables = Object.keys(Template.fromStack(without.stack).findResources('AWS::DynamoDB::Table')).filter((id) => id.startsWith('Metering'));
  expect(tables).toEqual([expect.stringMatching(/^MeteringLedger/)]);
});

test('its policy is exactly its calls: the router\'s plans, their usage and keys; its tables; usage events on the bus', () => {
  const { stack } = metered();
  const statements = policyOf(stack);
  expect(statements.map((s) => [s.Action].flat().join(','))).toEqual([
    'apigateway:GET', 'dynamodb:BatchGetItem,dynamodb:PutItem', 'dynamodb:Query', 'events:PutEvents',
  ]);
  expect(JSON.stringify(statements[0].Resource)).toMatch(/::\/usageplans"\]\]\}.*::\/usageplans\/\*\/usage"\]\]\}.*::\/apikeys"\]\]\}/);
  expect(JSON.stringify(statements[2].Resource)).toMatch(/\/index\/byPeriod/);
  expect(statements[3].Condition).toEqual({
    'ForAllValues:StringEquals': { 'events:source': ['sbt.application.plane'], 'events:detail-type': ['sbt_aws_ingestUsage'] },
  });
});

test('a daily rule at 01:00 UTC by default invokes it, with retries and a dead-letter queue whose alarm goes off at once', () => {
  const { stack } = metered();
  const t = Template.fromStack(stack);
  t.hasResourceProperties('AWS::Events::Rule', {
    ScheduleExpression: 'cron(0 1 * * ? *)',
    Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 21600 }, DeadLetterConfig: Match.anyValue() })],
  });
  t.hasResourceProperties('AWS::CloudWatch::Alarm', { Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1 });
  const hourly = metered({ schedule: events.Schedule.rate(Duration.hours(6)) });
  Template.fromStack(hourly.stack).hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(6 hours)' });
});

test('bad input fails at synth with the prop and the value', () => {
  expect(() => metered({ requestsMeter: 'api#calls' })).toThrow(/requestsMeter must be 1 to 64 letters, digits, '\.', '_' and '-'; got 'api#calls'/);
  const shared = {
    tiers: [
      { tierName: 'basic', routing: TierRouting.SHARED, apiKeys: TenantApiKeys.TIER },
      { tierName: 'advanced', routing: TierRouting.PER_TENANT, apiKeys: TenantApiKeys.TIER },
    ],
  };
  expect(() => metered({}, shared)).toThrow(/router gives no tier a key per tenant \(apiKeys: TenantApiKeys\.TENANT\)/);
});

test('the SbtContract names the usage event as sbt-aws does: ingestUsage (0.5), sbt_aws_ingestUsage (0.9)', () => {
  expect(SbtContract.V0_5.ingestUsage).toBe('ingestUsage');
  expect(SbtContract.V0_9.ingestUsage).toBe('sbt_aws_ingestUsage');
  expect(SbtContract.V0_9.withSources({ applicationPlaneSource: 'acme.app' }).ingestUsage).toBe('sbt_aws_ingestUsage');
  expect(() => SbtContract.custom({ ...SbtContract.V0_5, ingestUsage: 'provisionSuccess' })).toThrow(/the reply detail types must differ/);
});

test('cdk-nag AwsSolutions: no unacknowledged finding; without acknowledgements, IAM5 on the function\'s policy only', () => {
  const { app, stack, router, metering } = metered();
  acknowledgeRouterFindings(router);
  acknowledgeMeteringFindings(metering);
  Aspects.of(app).add(new AwsSolutionsChecks());
  app.synth();
  const a = Annotations.fromStack(stack);
  const found = [...a.findError('*', Match.stringLikeRegexp('AwsSolutions-')), ...a.findWarning('*', Match.stringLikeRegexp('AwsSolutions-'))]
    .filter((f) => f.id.startsWith('/Test/Metering'));
  expect(found.map((f) => `${f.id}: ${String(f.entry.data).split(':')[0]}`)).toEqual([]);

  const bare = metered();
  acknowledgeRouterFindings(bare.router);
  Aspects.of(bare.app).add(new AwsSolutionsChecks());
  bare.app.synth();
  const b = Annotations.fromStack(bare.stack);
  const raw = [...b.findError('*', Match.stringLikeRegexp('AwsSolutions-')), ...b.findWarning('*', Match.stringLikeRegexp('AwsSolutions-'))]
    .filter((f) => f.id.startsWith('/Test/Metering'));
  expect(new Set(raw.map((f) => `${f.id}: ${String(f.entry.data).match(/^AwsSolutions-[A-Z0-9]+/)![0]}`))).toEqual(
    new Set(['/Test/Metering/MeterRole/DefaultPolicy/Resource: AwsSolutions-IAM5']),
  );
});
