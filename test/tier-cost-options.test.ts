import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { ClusterPerTenantTier, PooledEcsTier, ServiceGroupOptions, SiloServiceTier, TierCapacity } from '../src';
import { bridgeApplication, pooledApplication, vpcStack } from './util/fixtures';

/** The cost options (docs/cost.md) are ServiceGroupOptions: each must have the same effect in every tier. */
function build(tier: string, options: ServiceGroupOptions, capacity?: TierCapacity) {
  const { stack, vpc } = vpcStack();
  if (tier === 'PooledEcsTier') {
    new PooledEcsTier(stack, 'Tier', { vpc, application: pooledApplication(), tenants: ['acme'], ...options });
  } else if (tier === 'SiloServiceTier') {
    new SiloServiceTier(stack, 'Tier', { vpc, application: bridgeApplication(), tenants: ['acme'], capacity, ...options });
  } else {
    new ClusterPerTenantTier(stack, 'Tier', { vpc, application: bridgeApplication(), tenants: ['acme'], capacity, ...options });
  }
  return stack;
}
const TIERS = ['PooledEcsTier', 'SiloServiceTier', 'ClusterPerTenantTier'];
const resources = (t: Template, type: string) => Object.values<any>(t.toJSON().Resources).filter((r) => r.Type === type);

describe.each(TIERS)('%s', (tier) => {
  test('by default: x86 task definitions without a runtime platform, no Spot, 2 tasks per service and proxy', () => {
    const t = Template.fromStack(build(tier, {}));
    for (const td of resources(t, 'AWS::ECS::TaskDefinition')) {
      expect(td.Properties.RuntimePlatform).toBeUndefined();
    }
    const services = resources(t, 'AWS::ECS::Service');
    expect(services).toHaveLength(3);
    for (const s of services) {
      expect(s.Properties.LaunchType).toBe('FARGATE');
      expect(s.Properties.CapacityProviderStrategy).toBeUndefined();
      expect(s.Properties.DesiredCount).toBe(2);
    }
    expect(resources(t, 'AWS::ECS::ClusterCapacityProviderAssociations')).toHaveLength(0);
  });

  test('cpuArchitecture ARM64 puts every Fargate task definition, the proxy\'s included, on ARM64 Linux', () => {
    const t = Template.fromStack(build(tier, { cpuArchitecture: ecs.CpuArchitecture.ARM64 }));
    const tds = resources(t, 'AWS::ECS::TaskDefinition');
    expect(tds).toHaveLength(3);
    for (const td of tds) {
      expect(td.Properties.RuntimePlatform).toEqual({ CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' });
    }
  });

  test('fargateSpot gives every service the FARGATE base and the FARGATE_SPOT weight, after the cluster\'s association', () => {
    const stack = build(tier, { fargateSpot: { onDemandBase: 1, onDemandWeight: 1, spotWeight: 3 } });
    const t = Template.fromStack(stack);
    const services = Object.values<any>(t.findResources('AWS::ECS::Service'));
    expect(services).toHaveLength(3);
    for (const s of services) {
      expect(s.Properties.LaunchType).toBeUndefined();
      expect(s.Properties.CapacityProviderStrategy).toEqual([
        { CapacityProvider: 'FARGATE', Base: 1, Weight: 1 },
        { CapacityProvider: 'FARGATE_SPOT', Weight: 3 },
      ]);
    }
    const associations = t.findResources('AWS::ECS::ClusterCapacityProviderAssociations');
    expect(Object.values<any>(associations).map((a) => a.Properties.CapacityProviders)).toEqual([['FARGATE', 'FARGATE_SPOT']]);
    // Created in that order: every service waits for the association.
    for (const s of services) {
      expect(s.DependsOn).toEqual(expect.arrayContaining(Object.keys(associations)));
    }
  });

  test('fargateSpot defaults: one on-demand task, then half and half', () => {
    const t = Template.fromStack(build(tier, { fargateSpot: {} }));
    for (const s of resources(t, 'AWS::ECS::Service')) {
      expect(s.Properties.CapacityProviderStrategy).toEqual([
        { CapacityProvider: 'FARGATE', Base: 1, Weight: 1 },
        { CapacityProvider: 'FARGATE_SPOT', Weight: 1 },
      ]);
    }
  });

  test('minTasks sets every service\'s and the proxy\'s desired count and scaling floor, and warns below 2', () => {
    const stack = build(tier, { minTasks: 1 });
    const t = Template.fromStack(stack);
    for (const s of resources(t, 'AWS::ECS::Service')) {
      expect(s.Properties.DesiredCount).toBe(1);
    }
    for (const target of resources(t, 'AWS::ApplicationAutoScaling::ScalableTarget')) {
      expect(target.Properties.MinCapacity).toBe(1);
    }
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('runs 1 task'));
    expect(warnings).toHaveLength(3);
  });

  test('minTasks above a service\'s maxTasks raises its maxTasks to it', () => {
    const t = Template.fromStack(build(tier, { minTasks: 12 }));
    for (const target of resources(t, 'AWS::ApplicationAutoScaling::ScalableTarget')) {
      expect(target.Properties.MinCapacity).toBe(12);
      expect(target.Properties.MaxCapacity).toBe(12);
    }
  });

  test.each([
    [{ minTasks: 0 }, 'minTasks must be a whole number of at least 1; got 0.'],
    [{ minTasks: 1.5 }, 'minTasks must be a whole number of at least 1; got 1.5.'],
    [{ cpuArchitecture: ecs.CpuArchitecture.of('RISCV') }, "cpuArchitecture must be ecs.CpuArchitecture.X86_64 or ecs.CpuArchitecture.ARM64 (what Fargate and the ECS-optimized AMIs run); got 'RISCV'."],
    [{ fargateSpot: { spotWeight: 0 } }, 'fargateSpot.spotWeight must be a whole number from 1 to 1000 (without Spot, leave fargateSpot out); got 0.'],
    [{ fargateSpot: { onDemandBase: -1 } }, 'fargateSpot.onDemandBase must be a whole number from 0 to 100000; got -1.'],
    [{ fargateSpot: { onDemandWeight: 1001 } }, 'fargateSpot.onDemandWeight must be a whole number from 0 to 1000; got 1001.'],
  ])('refuses %j at synth time, naming the prop and the value', (options, message) => {
    expect(() => build(tier, options as ServiceGroupOptions)).toThrow(message);
  });
});

describe.each(['SiloServiceTier', 'ClusterPerTenantTier'])('%s on EC2 capacity', (tier) => {
  test('fargateSpot is refused', () => {
    expect(() => build(tier, { fargateSpot: {} }, TierCapacity.ec2())).toThrow(
      'fargateSpot applies to Fargate tasks, but this tier runs its tasks on EC2 capacity (capacity: TierCapacity.ec2()): use Fargate capacity, or no fargateSpot.');
  });

  test('ARM64 with a Graviton instance type runs the ARM64 ECS-optimized AMI', () => {
    const stack = build(tier, { cpuArchitecture: ecs.CpuArchitecture.ARM64 }, TierCapacity.ec2({ instanceType: new ec2.InstanceType('m7g.large') }));
    const t = Template.fromStack(stack).toJSON();
    const parameters = Object.values<any>(t.Parameters ?? {}).map((p) => p.Default);
    expect(parameters).toContain('/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id');
    expect(parameters).not.toContain('/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id');
  });

  test('an architecture unlike the instance type\'s is refused, both ways', () => {
    expect(() => build(tier, {}, TierCapacity.ec2({ instanceType: new ec2.InstanceType('m7g.large') }))).toThrow(
      "capacity's instance type m7g.large is ARM64, but cpuArchitecture is X86_64 (the default): give cpuArchitecture: ecs.CpuArchitecture.ARM64, or an instance type of the tasks' architecture.");
    expect(() => build(tier, { cpuArchitecture: ecs.CpuArchitecture.ARM64 }, TierCapacity.ec2())).toThrow(
      "capacity's instance type m6i.large is x86_64, but cpuArchitecture is ARM64: give cpuArchitecture: ecs.CpuArchitecture.X86_64, or an instance type of the tasks' architecture.");
  });
});

test('SiloServiceTier on an existing cluster\'s EC2 capacity provider refuses fargateSpot, naming the provider', () => {
  const { stack, vpc } = vpcStack();
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
  expect(() => new SiloServiceTier(stack, 'Tier', { vpc, application: bridgeApplication(), cluster, capacityProviderName: 'instances', fargateSpot: {} })).toThrow(
    'fargateSpot applies to Fargate tasks, but this tier runs its tasks on EC2 capacity (capacity provider instances): use Fargate capacity, or no fargateSpot.');
});
