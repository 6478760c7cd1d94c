import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { AwsSolutionsChecks, NagSuppressions } from 'cdk-nag';
import { ScopedDynamoAccess, TableAccessLevel, TenantScoping } from '../src';

/**
 * cdk-nag AwsSolutions on every scoping mode, with an index granted. The only acknowledged finding is ECS2 (plain
 * environment variables) on the task definition, which addToContainer causes by design.
 */
function nagStack(scoping: TenantScoping, tenantId?: string) {
  const stack = new Stack(new App(), `Nag-${scoping.replace(/_/g, '-')}`);
  const table = new dynamodb.Table(stack, 'Products', {
    partitionKey: { name: 'tenantId', type: dynamodb.AttributeType.STRING },
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  });
  table.addGlobalSecondaryIndex({
    indexName: 'byCategory',
    partitionKey: { name: 'tenantId', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'category', type: dynamodb.AttributeType.STRING },
  });
  const orders = new dynamodb.Table(stack, 'Orders', {
    partitionKey: { name: 'orderId', type: dynamodb.AttributeType.STRING },
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  });
  const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
  const container = taskDefinition.addContainer('app', {
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable'),
    logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'app' }),
  });
  const access = new ScopedDynamoAccess(stack, 'Access', {
    grantee: taskDefinition.taskRole,
    scoping,
    tenantId,
    pooledTables: [{ table, indexNames: ['byCategory'] }],
    siloTables: tenantId ? [{ table: orders, accessLevel: TableAccessLevel.READ }] : undefined,
  });
  access.addToContainer(container);
  NagSuppressions.addResourceSuppressions(taskDefinition, [
    {
      id: 'AwsSolutions-ECS2',
      reason: 'The variables ScopedDynamoAccess.addToContainer sets are configuration, not secrets: the scoping mode, the tenant-access role ARN, the session tag key, the tenant id and table names.',
    },
  ]);
  Aspects.of(stack).add(new AwsSolutionsChecks({ verbose: true }));
  return stack;
}

test.each([
  [TenantScoping.SESSION_TAGS, undefined],
  [TenantScoping.SESSION_POLICY, undefined],
  [TenantScoping.FIXED_TENANT, 'acme'],
])('no unacknowledged AwsSolutions findings with %s', (scoping, tenantId) => {
  const stack = nagStack(scoping, tenantId);
  const annotations = Annotations.fromStack(stack);
  const errors = annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*'));
  const warnings = annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'));
  expect(errors.map((e) => `${e.id}: ${e.entry.data}`)).toEqual([]);
  expect(warnings.map((e) => `${e.id}: ${e.entry.data}`)).toEqual([]);
});

test('without the acknowledgement the plain environment variables are reported', () => {
  const stack = new Stack(new App(), 'Unsuppressed');
  const table = new dynamodb.Table(stack, 'Products', {
    partitionKey: { name: 'tenantId', type: dynamodb.AttributeType.STRING },
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  });
  const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
  const container = taskDefinition.addContainer('app', {
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable'),
    logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'app' }),
  });
  new ScopedDynamoAccess(stack, 'Access', { grantee: taskDefinition.taskRole, pooledTables: [{ table }] }).addToContainer(container);
  Aspects.of(stack).add(new AwsSolutionsChecks());
  const errors = Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-'));
  expect(errors.map((e) => `${e.id} ${String(e.entry.data).split(':')[0]}`)).toEqual(['/Unsuppressed/Task/Resource AwsSolutions-ECS2']);
});
