import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ScopedDynamoAccess, TenantScoping } from '../src';

/** What each scoping mode creates and hands to the container, side by side. */
test.each([
  [TenantScoping.SESSION_TAGS, undefined, 2, ['SCOPED_DYNAMO_ROLE_ARN', 'SCOPED_DYNAMO_SCOPING', 'SCOPED_DYNAMO_TAG_KEY', 'T_TABLE_NAME']],
  [TenantScoping.SESSION_POLICY, undefined, 2, ['SCOPED_DYNAMO_ROLE_ARN', 'SCOPED_DYNAMO_SCOPING', 'SCOPED_DYNAMO_SESSION_POLICY', 'T_TABLE_NAME']],
  [TenantScoping.FIXED_TENANT, 'acme', 1, ['SCOPED_DYNAMO_SCOPING', 'SCOPED_DYNAMO_TENANT_ID', 'T_TABLE_NAME']],
])('%s', (scoping, tenantId, roles, variables) => {
  const stack = new Stack(new App(), 'Test');
  const table = new dynamodb.Table(stack, 'T', { partitionKey: { name: 'tenantId', type: dynamodb.AttributeType.STRING } });
  const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
  const access = new ScopedDynamoAccess(stack, 'Access', { grantee: role, scoping, tenantId, pooledTables: [{ table }] });
  expect(access.scoping).toBe(scoping);
  Template.fromStack(stack).resourceCountIs('AWS::IAM::Role', roles);
  expect(Object.keys(access.environment).sort()).toEqual(variables);
  expect(access.environment.SCOPED_DYNAMO_SCOPING).toBe(scoping);
});
