import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { ClusterPerTenantTier, ITenantTier, PooledEcsTier, SiloServiceTier, TenantTier } from '../src';
import { bridgeApplication, pooledApplication, vpcStack } from './util/fixtures';

/** Every tier is an ITenantTier: one way to read its tenants and targets and to open it to a resource. */
function tiers() {
  const { stack, vpc } = vpcStack();
  const basic = new PooledEcsTier(stack, 'Basic', { vpc, application: pooledApplication(), tenants: ['b1', 'b2'] });
  const advanced = new SiloServiceTier(stack, 'Advanced', { vpc, application: bridgeApplication(), tenants: ['acme'] });
  const premium = new ClusterPerTenantTier(stack, 'Premium', { vpc, application: bridgeApplication(), tenants: ['globex'] });
  return { stack, vpc, basic, advanced, premium, all: [basic, advanced, premium] as ITenantTier[] };
}

test('each tier is a TenantTier with its name, tenants and routing targets', () => {
  const { all } = tiers();
  expect(all.every((t) => t instanceof TenantTier)).toBe(true);
  expect(all.map((t) => [t.tierName, t.tenants.map((x) => x.tenantId)])).toEqual([['basic', ['b1', 'b2']], ['advanced', ['acme']], ['premium', ['globex']]]);
  expect(all.map((t) => t.routingTargets.map((r) => r.routingKey))).toEqual([['basic'], ['acme'], ['globex']]);
  expect(all.map((t) => Object.keys(t.pooledTables))).toEqual([['products', 'orders'], ['products'], ['products']]);
});

test('a tier\'s connections are its services\' security groups: the pool\'s, or every tenant\'s', () => {
  const { basic, advanced, premium } = tiers();
  expect(basic.connections.securityGroups).toEqual([basic.serviceGroup.securityGroup]);
  expect(advanced.connections.securityGroups).toEqual(advanced.tenants.map((t) => t.serviceGroup!.securityGroup));
  expect(premium.connections.securityGroups).toEqual(premium.tenants.map((t) => t.serviceGroup!.securityGroup));
});

test('a rule given on a tier\'s connections applies to tenants added later too', () => {
  const { stack, vpc, advanced } = tiers();
  const cache = new ec2.SecurityGroup(stack, 'Cache', { vpc });
  advanced.connections.allowTo(cache, ec2.Port.tcp(6379), 'tier to cache');
  advanced.addTenant('initech');
  const egress = Object.values<any>(Template.fromStack(stack).findResources('AWS::EC2::SecurityGroupIngress'))
    .filter((r) => r.Properties.FromPort === 6379);
  const sources = egress.map((r) => JSON.stringify(r.Properties.SourceSecurityGroupId));
  expect(sources).toHaveLength(2);
  for (const t of advanced.tenants) {
    expect(sources).toContain(JSON.stringify(stack.resolve(t.serviceGroup!.securityGroup.securityGroupId)));
  }
});
