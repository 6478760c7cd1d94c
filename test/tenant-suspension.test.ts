import { Match, Template } from 'aws-cdk-lib/assertions';
import { lifecycleStack } from './util/lifecycle-fixtures';

/** Suspension and reactivation (docs/tenant-lifecycle.md): the router's table, its authorizer, the lifecycle's wiring. */
const suspending = () => lifecycleStack({}, {}, false, undefined, { suspensions: true });

test('the router keeps a table of suspended tenants, retained, which only its authorizer reads', () => {
  const { stack, router } = suspending();
  const t = Template.fromStack(stack);
  expect(router.suspensions).toBeDefined();
  const tables = t.findResources('AWS::DynamoDB::Table', { Properties: { KeySchema: [{ AttributeName: 'tenantId', KeyType: 'HASH' }] } });
  const id = Object.keys(tables).find((k) => k.includes('Suspensions'))!;
  expect(tables[id]).toMatchObject({ DeletionPolicy: 'Retain', Properties: { PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } } });
  t.hasResourceProperties('AWS::Lambda::Function', {
    Environment: { Variables: Match.objectLike({ SUSPENSION_TABLE: { Ref: id } }) },
  });
  t.hasResourceProperties('AWS::IAM::Policy', {
    PolicyName: Match.stringLikeRegexp('RouterAuthorizer'),
    PolicyDocument: { Statement: Match.arrayWith([{ Action: 'dynamodb:GetItem', Effect: 'Allow', Resource: { 'Fn::GetAtt': [id, 'Arn'] } }]) },
  });
});

test('the lifecycle takes sbt-aws\'s and our requests into a state machine, and its worker writes the table', () => {
  const { stack, lifecycle, router } = suspending();
  const t = Template.fromStack(stack);
  expect(lifecycle.statusStateMachine).toBeDefined();
  t.hasResourceProperties('AWS::Events::Rule', {
    EventPattern: {
      'source': ['controlPlaneEventSource'],
      'detail-type': ['deactivateRequest', 'activateRequest', 'suspendTenantRequest', 'reactivateTenantRequest'],
    },
    Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^LifecycleStatusChange') } })],
  });
  const id = stack.getLogicalId(router.suspensions!.node.defaultChild as any);
  t.hasResourceProperties('AWS::IAM::Policy', {
    PolicyName: Match.stringLikeRegexp('LifecycleWorkerRole'),
    PolicyDocument: { Statement: Match.arrayWith([{ Action: ['dynamodb:PutItem', 'dynamodb:DeleteItem'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [id, 'Arn'] } }]) },
  });
  const definition = JSON.stringify(Object.values<any>(t.findResources('AWS::StepFunctions::StateMachine'))
    .find((m) => JSON.stringify(m.Properties.DefinitionString).includes('changeStatus'))!.Properties.DefinitionString);
  expect(definition).toContain('failStatusChange');
});

test('without the router\'s suspensions, nothing changes: no table, no rule, no state machine', () => {
  const { stack, lifecycle, router } = lifecycleStack();
  expect(router.suspensions).toBeUndefined();
  expect(lifecycle.statusStateMachine).toBeUndefined();
  expect(JSON.stringify(Template.fromStack(stack).toJSON())).not.toMatch(/deactivateRequest|SUSPENSION_TABLE/);
});
