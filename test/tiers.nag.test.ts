import { Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ClusterPerTenantTier, PooledEcsTier, SharedTaskExecution, SiloServiceTier, TierCapacity, TierRoutingService } from '../src';
import { bridgeApplication, pooledApplication, vpcStack } from './util/fixtures';
import { acknowledgeTierFindings } from '../examples/nag-acknowledgements';

/**
 * cdk-nag AwsSolutions for each tier, with the acknowledgements the example app uses (examples/nag-acknowledgements.ts):
 * every finding left is acknowledged per resource with its reason, and nothing else is suppressed.
 */
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
  acknowledgeTierFindings(tier);
  expect(findings(stack)).toEqual([]);
});

test('SiloServiceTier on Fargate and on EC2 with trunking: no unacknowledged findings', () => {
  const { stack, vpc } = vpcStack();
  const fargate = new SiloServiceTier(stack, 'Advanced', { vpc, application: bridgeApplication(), tenants: ['acme'] });
  const ec2 = new SiloServiceTier(stack, 'AdvancedEc2', {
    vpc, application: bridgeApplication(), tierName: 'advanced-ec2', capacity: TierCapacity.ec2({ awsvpcTrunking: true }), tenants: ['globex'],
  });
  acknowledgeTierFindings(fargate);
  acknowledgeTierFindings(ec2);
  expect(findings(stack)).toEqual([]);
});

test('ClusterPerTenantTier on EC2: no unacknowledged findings', () => {
  const { stack, vpc } = vpcStack();
  const tier = new ClusterPerTenantTier(stack, 'Premium', { vpc, application: bridgeApplication(), capacity: TierCapacity.ec2(), tenants: ['acme'] });
  acknowledgeTierFindings(tier);
  expect(findings(stack)).toEqual([]);
});

test('without acknowledgements, the findings are exactly the ones examples/nag-acknowledgements.ts acknowledges', () => {
  const { stack, vpc } = vpcStack();
  new SiloServiceTier(stack, 'Advanced', { vpc, application: bridgeApplication(), capacity: TierCapacity.ec2(), tenants: ['acme'] });
  const rules = [...new Set(findings(stack).map((f) => f.split(': ')[1]))].sort();
  expect(rules).toEqual(['AwsSolutions-AS3', 'AwsSolutions-ECS2', 'AwsSolutions-IAM5']);
});

test('the scale and cost options (shared namespace and task execution, ARM64, Fargate Spot, minTasks): no unacknowledged findings', () => {
  const { stack, vpc } = vpcStack();
  const namespace = new servicediscovery.HttpNamespace(stack, 'Namespace', { name: 'advanced.test' });
  const taskExecution = new SharedTaskExecution(stack, 'Execution');
  const options = { namespace, taskExecution, cpuArchitecture: ecs.CpuArchitecture.ARM64, fargateSpot: { spotWeight: 2 }, minTasks: 2 };
  const silo = new SiloServiceTier(stack, 'Advanced', { vpc, application: bridgeApplication(), ...options, tenants: ['acme', 'globex'] });
  const premium = new ClusterPerTenantTier(stack, 'Premium', { vpc, application: bridgeApplication(), ...options, tenants: ['initech'] });
  acknowledgeTierFindings(silo);
  acknowledgeTierFindings(premium);
  acknowledgeTierFindings(taskExecution);
  expect(findings(stack)).toEqual([]);
});

test('SiloServiceTier behind a TierRoutingService: no unacknowledged findings', () => {
  const { stack, vpc } = vpcStack();
  const application = bridgeApplication();
  const routingService = new TierRoutingService(stack, 'AdvancedRouting', { vpc, application, tierName: 'advanced' });
  const tier = new SiloServiceTier(stack, 'Advanced', { vpc, application, routingService, tenants: ['acme', 'globex'] });
  acknowledgeTierFindings(tier);
  acknowledgeTierFindings(routingService);
  expect(findings(stack)).toEqual([]);
});
