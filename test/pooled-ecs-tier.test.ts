import { CfnParameter, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { ClusterPerTenantTier, PooledEcsTier, SiloServiceTier } from '../src';
import { bridgeApplication, pooledApplication, vpcStack } from './util/fixtures';

describe('PooledEcsTier', () => {
  const { stack, vpc } = vpcStack();
  const tier = new PooledEcsTier(stack, 'Basic', { vpc, application: pooledApplication(), tenants: ['tenant-a', 'tenant-b'] });
  const before = Object.keys(Template.fromStack(stack).toJSON().Resources).length;
  const added = tier.addTenant('tenant-c');
  const template = Template.fromStack(stack);

  test('one Fargate cluster with Container Insights, one set of services for all tenants', () => {
    template.resourceCountIs('AWS::ECS::Cluster', 1);
    template.hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }] });
    template.resourceCountIs('AWS::ECS::Service', 3); // products, orders, proxy
    template.resourceCountIs('AWS::ServiceDiscovery::HttpNamespace', 1);
    template.hasResourceProperties('AWS::ServiceDiscovery::HttpNamespace', { Name: { 'Fn::Join': ['', ['basic.', { Ref: 'AWS::StackName' }]] } });
  });

  test('pooled tables keyed by tenant id and item id (many items per tenant), retained', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 2);
    template.allResources('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ KeySchema: [{ AttributeName: 'tenantId', KeyType: 'HASH' }, { AttributeName: 'id', KeyType: 'RANGE' }] }),
    });
    expect(Object.keys(tier.pooledTables)).toEqual(['products', 'orders']);
  });

  test('tenants share one routing target keyed by the tier name; adding a tenant adds no resources', () => {
    expect(Object.keys(template.toJSON().Resources).length).toBe(before);
    expect(tier.routingTargets).toHaveLength(1);
    expect(added).toEqual({ tenantId: 'tenant-c', tierName: 'basic', routingKey: 'basic', routingTargets: tier.routingTargets });
    expect(tier.tenants.map((t) => t.tenantId)).toEqual(['tenant-a', 'tenant-b', 'tenant-c']);
  });

  test('services scope data per request with session tags', () => {
    template.resourceCountIs('AWS::IAM::Role', 2 * 3 + 2 + 1); // task + execution role per service, 2 access roles, the fixture VPC's flow-log role
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Action: ['sts:AssumeRole', 'sts:TagSession'] })] },
    });
  });

  test('connections are the tier\'s security group', () => {
    expect(tier.connections.securityGroups).toEqual([tier.serviceGroup.securityGroup]);
  });
});

describe('PooledEcsTier options', () => {
  test('uses given pooled tables and an existing cluster', () => {
    const { stack, vpc } = vpcStack();
    const products = dynamodb.Table.fromTableName(stack, 'P', 'products');
    const cluster = new ecs.Cluster(stack, 'Mine', { vpc });
    const tier = new PooledEcsTier(stack, 'Basic', { vpc, application: pooledApplication(), pooledTables: { products }, cluster, tierName: 'free' });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::DynamoDB::Table', 1); // only orders
    template.resourceCountIs('AWS::ECS::Cluster', 1);
    expect(tier.pooledTables.products).toBe(products);
    expect(tier.cluster).toBe(cluster);
    expect(tier.routingTargets[0].routingKey).toBe('free');
  });

  test('accepts a tenant id that is a CloudFormation parameter', () => {
    const { stack, vpc } = vpcStack();
    const tier = new PooledEcsTier(stack, 'Basic', { vpc, application: pooledApplication() });
    const id = new CfnParameter(stack, 'TenantId').valueAsString;
    expect(tier.addTenant(id).tenantId).toBe(id);
  });
});

describe('PooledEcsTier validation', () => {
  test('fails when the application has per-tenant tables', () => {
    const { stack, vpc } = vpcStack();
    expect(() => new PooledEcsTier(stack, 'Basic', { vpc, application: bridgeApplication() })).toThrow(
      "application has PER_TENANT tables [orders]; PooledEcsTier 'basic' serves every tenant from shared services, so it can use only POOLED tables. Use SiloServiceTier or ClusterPerTenantTier.",
    );
  });

  test('fails on an invalid tier name', () => {
    const { stack, vpc } = vpcStack();
    expect(() => new PooledEcsTier(stack, 'Basic', { vpc, application: pooledApplication(), tierName: 'Basic Tier' })).toThrow(
      "tierName must be 1 to 20 lowercase letters, digits and hyphens, starting with a letter; got 'Basic Tier'.",
    );
  });

  test('fails on an invalid tenant id', () => {
    const { stack, vpc } = vpcStack();
    const tier = new PooledEcsTier(stack, 'Basic', { vpc, application: pooledApplication() });
    expect(() => tier.addTenant('Tenant_A')).toThrow(
      "tenantId must be 1 to 36 characters of lowercase letters, digits and hyphens, starting and ending with a letter or digit; got 'Tenant_A'.",
    );
  });

  test.each([
    ['PooledEcsTier', (stack: Stack, vpc: ec2.IVpc) => new PooledEcsTier(stack, 'Tier', { vpc, application: pooledApplication(), tenants: ['acme', 'Tenant_B'] })],
    ['SiloServiceTier', (stack: Stack, vpc: ec2.IVpc) => new SiloServiceTier(stack, 'Tier', { vpc, application: pooledApplication(), tenants: ['acme', 'Tenant_B'] })],
    ['ClusterPerTenantTier', (stack: Stack, vpc: ec2.IVpc) => new ClusterPerTenantTier(stack, 'Tier', { vpc, application: pooledApplication(), tenants: ['acme', 'Tenant_B'] })],
  ])('%s names the declared tenant that is invalid by its prop, tenants[i]', (_name, create) => {
    const { stack, vpc } = vpcStack();
    expect(() => create(stack, vpc)).toThrow(
      "tenants[1] must be 1 to 36 characters of lowercase letters, digits and hyphens, starting and ending with a letter or digit; got 'Tenant_B'.",
    );
  });

  test('pooledTable gives a pooled table by name, and names the tables it has when there is none of that name', () => {
    const { stack, vpc } = vpcStack();
    const basic = new PooledEcsTier(stack, 'Basic', { vpc, application: pooledApplication() });
    expect(basic.pooledTable('products')).toBe(basic.pooledTables.products);
    expect(() => basic.pooledTable('product')).toThrow("pooledTable: tier 'basic' has no pooled table 'product'; its pooled tables: ");
    expect(() => basic.pooledTable('product')).toThrow(`its pooled tables: ${Object.keys(basic.pooledTables).join(', ')}.`);
    expect(() => basic.pooledTable('toString')).toThrow("has no pooled table 'toString'");
  });

  test('fails on a duplicate tenant, in the same tier or another', () => {
    const { stack, vpc } = vpcStack();
    const basic = new PooledEcsTier(stack, 'Basic', { vpc, application: pooledApplication(), tenants: ['acme'] });
    expect(() => basic.addTenant('acme')).toThrow("tenantId 'acme' is already placed in tier 'basic' (Test/Basic): a tenant lives in one tier, once.");
    const advanced = new SiloServiceTier(stack, 'Advanced', { vpc, application: bridgeApplication(), pooledTables: { products: basic.pooledTables.products } });
    expect(() => advanced.addTenant('acme')).toThrow("tenantId 'acme' is already placed in tier 'basic' (Test/Basic)");
  });

  test('fails when a given pooled table is not a pooled table of the application', () => {
    const { stack, vpc } = vpcStack();
    expect(
      () => new PooledEcsTier(stack, 'Basic', { vpc, application: pooledApplication(), pooledTables: { users: dynamodb.Table.fromTableName(stack, 'U', 'u') } }),
    ).toThrow("pooledTables has 'users', which is not a POOLED table of the application; its pooled tables: products, orders.");
  });
});
