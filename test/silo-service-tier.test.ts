import { CfnParameter } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { SiloServiceTier, TierCapacity } from '../src';
import { bridgeApplication, vpcStack } from './util/fixtures';

describe('SiloServiceTier on Fargate', () => {
  const { stack, vpc } = vpcStack();
  const tier = new SiloServiceTier(stack, 'Advanced', { vpc, application: bridgeApplication(), tenants: ['acme', 'globex', 'initech'] });
  const template = Template.fromStack(stack);

  test('one shared cluster; per tenant its own services, security group, namespace and tables', () => {
    template.resourceCountIs('AWS::ECS::Cluster', 1);
    template.resourceCountIs('AWS::ECS::Service', 3 * 3);
    template.resourceCountIs('AWS::EC2::SecurityGroup', 3);
    template.resourceCountIs('AWS::DynamoDB::Table', 1 + 3); // pooled products, one orders table per tenant
    for (const t of ['acme', 'globex', 'initech']) {
      template.hasResourceProperties('AWS::ServiceDiscovery::HttpNamespace', { Name: { 'Fn::Join': ['', [`${t}.advanced.`, { Ref: 'AWS::StackName' }]] } });
    }
    expect(new Set(tier.tenants.map((t) => t.serviceGroup!.securityGroup)).size).toBe(3);
  });

  test('one routing target per tenant, keyed by the tenant id', () => {
    expect(tier.routingTargets.map((t) => t.routingKey)).toEqual(['acme', 'globex', 'initech']);
    expect(tier.tenants[0]).toMatchObject({ tenantId: 'acme', tierName: 'advanced', routingKey: 'acme' });
    expect(tier.tenants[0].cluster).toBeUndefined();
  });

  test('each tenant\'s task roles are fenced to that tenant', () => {
    for (const t of ['acme', 'globex', 'initech']) {
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Condition: Match.objectLike({ 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [t] } }) }),
          ]),
        },
      });
    }
  });
});

describe('SiloServiceTier on EC2 capacity', () => {
  const { stack, vpc } = vpcStack();
  const tier = new SiloServiceTier(stack, 'Advanced', {
    vpc,
    application: bridgeApplication(),
    capacity: TierCapacity.ec2({ instanceType: new ec2.InstanceType('c6i.xlarge'), minInstances: 2, maxInstances: 8, awsvpcTrunking: true }),
    tenants: ['acme'],
  });
  const template = Template.fromStack(stack);

  test('an Auto Scaling group of hardened ECS instances behind a capacity provider with managed scaling', () => {
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { MinSize: '2', MaxSize: '8' });
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        InstanceType: 'c6i.xlarge',
        MetadataOptions: { HttpTokens: 'required' },
        Monitoring: { Enabled: true },
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeSize: 30, VolumeType: 'gp3' } }],
      }),
    });
    template.hasResourceProperties('AWS::ECS::CapacityProvider', {
      AutoScalingGroupProvider: Match.objectLike({
        ManagedScaling: Match.objectLike({ Status: 'ENABLED', TargetCapacity: 100 }),
        ManagedDraining: 'ENABLED',
      }),
    });
    template.resourceCountIs('AWS::Lambda::Function', 1); // the trunking custom resource only: no drain hook
  });

  test('services are placed through the capacity-provider strategy, not a launch type', () => {
    template.allResourcesProperties('AWS::ECS::Service', {
      LaunchType: Match.absent(),
      CapacityProviderStrategy: [{ CapacityProvider: stack.resolve(tier.capacityProviderName), Weight: 1 }],
    });
    template.allResourcesProperties('AWS::ECS::TaskDefinition', { NetworkMode: 'awsvpc', RequiresCompatibilities: ['EC2'] });
  });

  test('tasks cannot reach the instance metadata service (and so not the instance role)', () => {
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({ MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 } }),
    });
    const lt = Object.values(template.findResources('AWS::EC2::LaunchTemplate'))[0] as any;
    expect(JSON.stringify(lt.Properties.LaunchTemplateData.UserData)).toContain('echo ECS_AWSVPC_BLOCK_IMDS=true >> /etc/ecs/ecs.config');
  });

  test('services wait for the capacity provider to be associated with the cluster', () => {
    const association = Object.keys(template.findResources('AWS::ECS::ClusterCapacityProviderAssociations'))[0];
    for (const service of Object.values(template.findResources('AWS::ECS::Service')) as any[]) {
      expect(service.DependsOn).toContain(association);
    }
  });

  test('the instances start only after trunking is on', () => {
    const trunking = Object.keys(template.findResources('Custom::AWS'))[0];
    const asg = Object.values(template.findResources('AWS::AutoScaling::AutoScalingGroup'))[0] as any;
    expect(asg.DependsOn).toContain(trunking);
  });

  test('awsvpc trunking is turned on for the instance role', () => {
    const cr = Object.values(template.findResources('Custom::AWS'))[0] as any;
    expect(JSON.stringify(cr.Properties.Create)).toContain('putAccountSetting');
    expect(JSON.stringify(cr.Properties.Create)).toContain('awsvpcTrunking');
    expect(JSON.stringify(cr.Properties.Create)).toContain('InstanceRole');
  });
});

describe('SiloServiceTier options', () => {
  test('a tenant whose id is a CloudFormation parameter, in an existing cluster (as in a tenant stack)', () => {
    const { stack, vpc } = vpcStack();
    const cluster = ecs.Cluster.fromClusterAttributes(stack, 'Shared', { clusterName: 'shared', vpc, hasEc2Capacity: true });
    const tier = new SiloServiceTier(stack, 'Advanced', { vpc, application: bridgeApplication(), cluster, capacityProviderName: 'shared-ec2' });
    const id = new CfnParameter(stack, 'TenantId', { allowedPattern: '^[a-z0-9](?:[a-z0-9-]{0,34}[a-z0-9])?$' }).valueAsString;
    const tenant = tier.addTenant(id);
    const template = Template.fromStack(stack);
    expect(tenant.routingKey).toBe(id);
    template.hasResourceProperties('AWS::ServiceDiscovery::HttpNamespace', { Name: { 'Fn::Join': ['', [{ Ref: 'TenantId' }, '.advanced.', { Ref: 'AWS::StackName' }]] } });
    template.allResourcesProperties('AWS::ECS::Service', { CapacityProviderStrategy: [{ CapacityProvider: 'shared-ec2', Weight: 1 }] });
    expect(() => tier.addTenant(new CfnParameter(stack, 'Other').valueAsString)).toThrow(
      "this stack already has a tenant whose id is a CloudFormation token, in tier 'advanced' (Test/Advanced): a template holds one such tenant.",
    );
  });
});

describe('SiloServiceTier validation', () => {
  test('fails when an existing cluster and a capacity are both given', () => {
    const { stack, vpc } = vpcStack();
    expect(
      () => new SiloServiceTier(stack, 'A', { vpc, application: bridgeApplication(), cluster: new ecs.Cluster(stack, 'C', { vpc }), capacity: TierCapacity.fargate() }),
    ).toThrow('cluster and capacity conflict: give an existing cluster (and its capacityProviderName) or the capacity of a new one, not both.');
  });

  test('fails when a capacity provider is named without a cluster', () => {
    const { stack, vpc } = vpcStack();
    expect(() => new SiloServiceTier(stack, 'A', { vpc, application: bridgeApplication(), capacityProviderName: 'cp' })).toThrow(
      "capacityProviderName 'cp' requires cluster: it names a capacity provider of an existing cluster.",
    );
  });

  test('fails when two tiers in one stack share a tier name', () => {
    const { stack, vpc } = vpcStack();
    new SiloServiceTier(stack, 'A', { vpc, application: bridgeApplication() });
    expect(() => new SiloServiceTier(stack, 'B', { vpc, application: bridgeApplication() })).toThrow(
      "tierName 'advanced' is already used by Test/A in this stack: give each tier its own tierName.",
    );
  });

  test('fails when two tiers of one stack take a tenant whose id is the same template parameter', () => {
    const { stack, vpc } = vpcStack();
    const id = new CfnParameter(stack, 'TenantId').valueAsString;
    new SiloServiceTier(stack, 'A', { vpc, application: bridgeApplication() }).addTenant(id);
    const b = new SiloServiceTier(stack, 'B', { vpc, application: bridgeApplication(), tierName: 'advanced-b' });
    expect(() => b.addTenant(id)).toThrow('this stack already has a tenant whose id is a CloudFormation token, in tier \'advanced\' (Test/A)');
  });

  test('fails on a duplicate tenant', () => {
    const { stack, vpc } = vpcStack();
    const tier = new SiloServiceTier(stack, 'A', { vpc, application: bridgeApplication(), tenants: ['acme'] });
    expect(() => tier.addTenant('acme')).toThrow("tenantId 'acme' is already placed in tier 'advanced' (Test/A): a tenant lives in one tier, once.");
  });
});
