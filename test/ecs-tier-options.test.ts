import { ClusterPerTenantTier, PooledEcsTier, SiloServiceTier, TierTenant } from '../src';
import { bridgeApplication, pooledApplication, vpcStack } from './util/fixtures';

/** EcsTierOptions and TierTenant mean the same in every tier. */
test('declared tenants are placed in order, with the documented TierTenant shape in each tier', () => {
  const { stack, vpc } = vpcStack();
  const basic = new PooledEcsTier(stack, 'Basic', { vpc, application: pooledApplication(), tenants: ['b1', 'b2'] });
  const products = { products: basic.pooledTables.products };
  const advanced = new SiloServiceTier(stack, 'Advanced', { vpc, application: bridgeApplication(), pooledTables: products, tenants: ['a1', 'a2'] });
  const premium = new ClusterPerTenantTier(stack, 'Premium', { vpc, application: bridgeApplication(), pooledTables: products, tenants: ['p1'] });

  const shape = (t: TierTenant) => [t.tenantId, t.tierName, t.routingKey, t.routingTargets.length, !!t.serviceGroup, !!t.cluster];
  expect(basic.tenants.map(shape)).toEqual([
    ['b1', 'basic', 'basic', 1, false, false],
    ['b2', 'basic', 'basic', 1, false, false],
  ]);
  expect(advanced.tenants.map(shape)).toEqual([
    ['a1', 'advanced', 'a1', 1, true, false],
    ['a2', 'advanced', 'a2', 1, true, false],
  ]);
  expect(premium.tenants.map(shape)).toEqual([['p1', 'premium', 'p1', 1, true, true]]);
});

test('pooledTables given to a tier are used as they are, and the shared table is the same object in every tier', () => {
  const { stack, vpc } = vpcStack();
  const basic = new PooledEcsTier(stack, 'Basic', { vpc, application: pooledApplication() });
  const advanced = new SiloServiceTier(stack, 'Advanced', { vpc, application: bridgeApplication(), pooledTables: { products: basic.pooledTables.products } });
  const premium = new ClusterPerTenantTier(stack, 'Premium', { vpc, application: bridgeApplication(), pooledTables: { products: basic.pooledTables.products } });
  expect(advanced.pooledTables.products).toBe(basic.pooledTables.products);
  expect(premium.pooledTables.products).toBe(basic.pooledTables.products);
});
