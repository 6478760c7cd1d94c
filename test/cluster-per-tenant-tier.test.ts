import { Match, Template } from 'aws-cdk-lib/assertions';
import { ClusterPerTenantTier, TierCapacity } from '../src';
import { bridgeApplication, vpcStack } from './util/fixtures';

describe('ClusterPerTenantTier', () => {
  const { stack, vpc } = vpcStack();
  const tier = new ClusterPerTenantTier(stack, 'Premium', { vpc, application: bridgeApplication(), tenants: ['acme', 'globex', 'initech'] });
  const template = Template.fromStack(stack);

  test('a dedicated Fargate cluster per tenant, with Container Insights', () => {
    template.resourceCountIs('AWS::ECS::Cluster', 3);
    template.allResourcesProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }] });
    const clusters = tier.tenants.map((t) => t.cluster);
    expect(new Set(clusters).size).toBe(3);
    for (const t of tier.tenants) {
      expect(t.serviceGroup!.services[0].cluster).toBe(t.cluster);
    }
  });

  test('otherwise like the advanced tier: own services, namespace, tables and routing target per tenant', () => {
    template.resourceCountIs('AWS::ECS::Service', 9);
    template.hasResourceProperties('AWS::ServiceDiscovery::HttpNamespace', { Name: { 'Fn::Join': ['', ['globex.premium.', { Ref: 'AWS::StackName' }]] } });
    template.resourceCountIs('AWS::DynamoDB::Table', 4);
    expect(tier.routingTargets.map((t) => t.routingKey)).toEqual(['acme', 'globex', 'initech']);
  });
});

describe('ClusterPerTenantTier on EC2 capacity', () => {
  test('each tenant gets its own Auto Scaling group and capacity provider', () => {
    const { stack, vpc } = vpcStack();
    new ClusterPerTenantTier(stack, 'Premium', { vpc, application: bridgeApplication(), capacity: TierCapacity.ec2(), tenants: ['acme', 'globex'] });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::AutoScaling::AutoScalingGroup', 2);
    template.resourceCountIs('AWS::ECS::CapacityProvider', 2);
    // Each tenant's services use that tenant's own capacity provider.
    for (const [id, service] of Object.entries(template.findResources('AWS::ECS::Service')) as [string, any][]) {
      const tenant = id.startsWith('Premiumacme') ? 'acme' : 'globex';
      const [provider] = service.Properties.CapacityProviderStrategy;
      expect(provider.CapacityProvider.Ref).toMatch(new RegExp(`^Premium${tenant}CapacityProvider`));
    }
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', { LaunchTemplateData: Match.objectLike({ InstanceType: 'm6i.large' }) });
  });
});

describe('ClusterPerTenantTier validation', () => {
  test('fails on an invalid tier name and on a duplicate tenant', () => {
    const { stack, vpc } = vpcStack();
    expect(() => new ClusterPerTenantTier(stack, 'P', { vpc, application: bridgeApplication(), tierName: '' })).toThrow(
      "tierName must be 1 to 20 lowercase letters, digits and hyphens, starting with a letter; got ''.",
    );
    const tier = new ClusterPerTenantTier(stack, 'Q', { vpc, application: bridgeApplication(), tenants: ['acme'] });
    expect(() => tier.addTenant('acme')).toThrow("tenantId 'acme' is already placed in tier 'premium' (Test/Q)");
  });
});
