import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { AwsSolutionsChecks, NagSuppressions } from 'cdk-nag';
import { ScopedDynamoAccess, TableAccessLevel, TenantScoping } from '../src';

/**
 * cdk-nag AwsSolutions on every scoping mode. The only acknowledged finding is the index wildcard that
 * `includeIndexes` asks for, scoped to the one role and the one resource, with its reason.
 */
function nagStack(scoping: TenantScoping, tenantId?: string) {
  const stack = new Stack(new App(), `Nag-${scoping.replace(/_/g, '-')}`);
  const table = new dynamodb.Table(stack, 'Products', {
    partitionKey: { name: 'tenantId', type: dynamodb.AttributeType.STRING },
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
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
    pooledTables: [{ table, includeIndexes: true }],
    siloTables: tenantId ? [{ table: orders, accessLevel: TableAccessLevel.READ }] : undefined,
  });
  access.addToContainer(container);
  const fenced = access.accessRole ?? taskDefinition.taskRole;
  NagSuppressions.addResourceSuppressions(
    fenced,
    [
      {
        id: 'AwsSolutions-IAM5',
        reason: 'includeIndexes: true grants the table\'s indexes (<table>/index/*) under the same dynamodb:LeadingKeys tenant fence as the table.',
        appliesTo: [{ regex: '/^Resource::<Products[A-Z0-9]+\\.Arn>\\/index\\/\\*$/g' }],
      },
    ],
    true,
  );
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

test('without the acknowledgement the index wildcard is reported', () => {
  const stack = new Stack(new App(), 'Unsuppressed');
  const table = new dynamodb.Table(stack, 'Products', {
    partitionKey: { name: 'tenantId', type: dynamodb.AttributeType.STRING },
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  });
  const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
  new ScopedDynamoAccess(stack, 'Access', { grantee: taskDefinition.taskRole, pooledTables: [{ table, includeIndexes: true }] });
  Aspects.of(stack).add(new AwsSolutionsChecks());
  const errors = Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-IAM5'));
  expect(errors.map((e) => e.id)).toEqual([expect.stringMatching(/^\/Unsuppressed\/Access\/AccessRole\/DefaultPolicy\/Resource$/)]);
});
