import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ScopedDynamoAccess, TableAccessLevel } from '../src';

/** Each access level maps to the explicit actions its documentation lists, on pooled and on silo tables. */
const EXPECTED: Record<TableAccessLevel, { pooled: string[]; silo: string[] }> = {
  [TableAccessLevel.READ]: {
    pooled: ['BatchGetItem', 'ConditionCheckItem', 'GetItem', 'Query'],
    silo: ['BatchGetItem', 'ConditionCheckItem', 'GetItem', 'Query', 'Scan'],
  },
  [TableAccessLevel.WRITE]: {
    pooled: ['BatchWriteItem', 'ConditionCheckItem', 'DeleteItem', 'PutItem', 'UpdateItem'],
    silo: ['BatchWriteItem', 'ConditionCheckItem', 'DeleteItem', 'PutItem', 'UpdateItem'],
  },
  [TableAccessLevel.READ_WRITE]: {
    pooled: ['BatchGetItem', 'BatchWriteItem', 'ConditionCheckItem', 'DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'],
    silo: ['BatchGetItem', 'BatchWriteItem', 'ConditionCheckItem', 'DeleteItem', 'GetItem', 'PutItem', 'Query', 'Scan', 'UpdateItem'],
  },
};

test.each(Object.values(TableAccessLevel))('%s', (level) => {
  const stack = new Stack(new App(), 'Test');
  const pooled = new dynamodb.Table(stack, 'Pooled', { partitionKey: { name: 'tenantId', type: dynamodb.AttributeType.STRING } });
  const silo = new dynamodb.Table(stack, 'Silo', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } });
  const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
  new ScopedDynamoAccess(stack, 'Access', {
    grantee: role,
    tenantId: 'acme',
    pooledTables: [{ table: pooled, accessLevel: level }],
    siloTables: [{ table: silo, accessLevel: level }],
  });
  const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).flatMap(
    (p: any) => p.Properties.PolicyDocument.Statement,
  );
  const actionsOn = (logicalPrefix: string) =>
    statements.find((s: any) => JSON.stringify(s.Resource).includes(logicalPrefix))!.Action.map((a: string) => a.replace('dynamodb:', ''));
  expect(actionsOn('Pooled')).toEqual(EXPECTED[level].pooled);
  expect(actionsOn('Silo')).toEqual(EXPECTED[level].silo);
});
