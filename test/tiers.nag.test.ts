import { Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ClusterPerTenantTier, PooledEcsTier, SiloServiceTier, TierCapacity } from '../src';
import { bridgeApplication, pooledApplication, vpcStack } from './util/fixtures';

/**
 * cdk-nag AwsSolutions for each tier. What remains is acknowledged per resource, with its reason:
 * - ECS2 on each task definition: its environment holds configuration (tier, tenant id, table names, role ARN,
 *   the proxy's nginx configuration), not secrets;
 * - on EC2 capacity: AS3 (scaling notifications are the operator's choice; ECS and Auto Scaling events reach
 *   EventBridge anyway) and IAM5 on the instance role (the ECS agent's policy, written by aws-cdk-lib);
 * - with awsvpc trunking: IAM5 on ecs:PutAccountSetting, which has no resource-level permissions, and L1/IAM4 on
 *   aws-cdk-lib's AwsCustomResource provider function.
 */
function acknowledge(stack: Stack, tier: Construct): void {
  for (const c of tier.node.findAll()) {
    const path = c.node.path;
    const type = (c as any).cfnResourceType;
    if (type === 'AWS::ECS::TaskDefinition') {
      NagSuppressions.addResourceSuppressions(c, [{ id: 'AwsSolutions-ECS2', reason: 'The environment holds configuration (tier, tenant id, table names, role ARN, nginx configuration), not secrets.' }]);
    }
    if (type === 'AWS::AutoScaling::AutoScalingGroup') {
      NagSuppressions.addResourceSuppressions(c, [{ id: 'AwsSolutions-AS3', reason: 'Scaling notifications are the operator\'s choice; Auto Scaling and ECS events reach EventBridge.' }]);
    }
    if (type === 'AWS::IAM::Policy' && /\/InstanceRole\/DefaultPolicy\/Resource$/.test(path)) {
      NagSuppressions.addResourceSuppressions(c, [{ id: 'AwsSolutions-IAM5', reason: 'The ECS agent policy that aws-cdk-lib writes for container instances (ecs:Submit*, logs, ECR auth).' }]);
    }
    if (type === 'AWS::IAM::Policy' && /\/AwsvpcTrunking\/CustomResourcePolicy\/Resource$/.test(path)) {
      NagSuppressions.addResourceSuppressions(c, [{ id: 'AwsSolutions-IAM5', reason: 'ecs:PutAccountSetting and ecs:DeleteAccountSetting have no resource-level permissions.', appliesTo: ['Resource::*'] }]);
    }
  }
  const provider = stack.node.tryFindChild('AWS679f53fac002430cb0da5b7982bd2287');
  if (provider) {
    NagSuppressions.addResourceSuppressions(provider, [
      { id: 'AwsSolutions-IAM4', reason: 'aws-cdk-lib\'s AwsCustomResource provider uses the basic Lambda execution role.', appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'] },
      { id: 'AwsSolutions-L1', reason: 'aws-cdk-lib chooses the runtime of its AwsCustomResource provider.' },
    ], true);
  }
}

function findings(stack: Stack): string[] {
  Aspects.of(stack).add(new AwsSolutionsChecks());
  const a = Annotations.fromStack(stack);
  return [...a.findError('*', Match.stringLikeRegexp('AwsSolutions-')), ...a.findWarning('*', Match.stringLikeRegexp('AwsSolutions-'))].map(
    (f) => `${f.id}: ${String(f.entry.data).match(/^AwsSolutions-[A-Z0-9]+/)![0]}`,
  );
}

test('PooledEcsTier: no unacknowledged findings', () => {
  const { stack, vpc } = vpcStack();
  const tier = new PooledEcsTier(stack, 'Basic', { vpc, application: pooledApplication(), tenants: ['a'] });
  acknowledge(stack, tier);
  expect(findings(stack)).toEqual([]);
});

test('SiloServiceTier on Fargate and on EC2 with trunking: no unacknowledged findings', () => {
  const { stack, vpc } = vpcStack();
  const fargate = new SiloServiceTier(stack, 'Advanced', { vpc, application: bridgeApplication(), tenants: ['acme'] });
  const ec2 = new SiloServiceTier(stack, 'AdvancedEc2', {
    vpc, application: bridgeApplication(), tierName: 'advanced-ec2', capacity: TierCapacity.ec2({ awsvpcTrunking: true }), tenants: ['globex'],
  });
  acknowledge(stack, fargate);
  acknowledge(stack, ec2);
  expect(findings(stack)).toEqual([]);
});

test('ClusterPerTenantTier on EC2: no unacknowledged findings', () => {
  const { stack, vpc } = vpcStack();
  const tier = new ClusterPerTenantTier(stack, 'Premium', { vpc, application: bridgeApplication(), capacity: TierCapacity.ec2(), tenants: ['acme'] });
  acknowledge(stack, tier);
  expect(findings(stack)).toEqual([]);
});

test('without acknowledgements, the findings are exactly the ones listed above', () => {
  const { stack, vpc } = vpcStack();
  new SiloServiceTier(stack, 'Advanced', { vpc, application: bridgeApplication(), capacity: TierCapacity.ec2(), tenants: ['acme'] });
  const rules = [...new Set(findings(stack).map((f) => f.split(': ')[1]))].sort();
  expect(rules).toEqual(['AwsSolutions-AS3', 'AwsSolutions-ECS2', 'AwsSolutions-IAM5']);
});
