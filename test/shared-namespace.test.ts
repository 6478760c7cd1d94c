import { App, CfnParameter, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { ServiceGroup, SiloServiceTier } from '../src';
import { bridgeApplication, vpcStack } from './util/fixtures';

/** The `namespace` option (docs/capacity.md): many groups in one Cloud Map namespace, each service under its tenant's name. */
function siloTier(tenants: string[], withNamespace = true) {
  const { stack, vpc } = vpcStack();
  const namespace = withNamespace ? new servicediscovery.HttpNamespace(stack, 'Shared', { name: 'advanced.test' }) : undefined;
  const tier = new SiloServiceTier(stack, 'Advanced', { vpc, application: bridgeApplication(), namespace, tenants });
  return { stack, tier, namespace };
}
const ofType = (stack: Stack, type: string) => Object.values<any>(Template.fromStack(stack).findResources(type));

test('tenants of a tier given a namespace create none and register in it, each service as <service>-<tenant>', () => {
  const { stack } = siloTier(['acme', 'globex']);
  expect(ofType(stack, 'AWS::ServiceDiscovery::HttpNamespace')).toHaveLength(1);
  const services = ofType(stack, 'AWS::ECS::Service');
  expect(services).toHaveLength(6);
  for (const s of services) {
    expect(s.Properties.ServiceConnectConfiguration.Namespace).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Shared/), 'Arn'] });
  }
  const registered = services.flatMap((s) => s.Properties.ServiceConnectConfiguration.Services ?? []);
  expect(registered).toEqual(expect.arrayContaining([
    { PortName: 'products', DiscoveryName: 'products-acme', ClientAliases: [{ DnsName: 'products-acme', Port: 3010 }] },
    { PortName: 'orders', DiscoveryName: 'orders-globex', ClientAliases: [{ DnsName: 'orders-globex', Port: 3020 }] },
  ]));
  expect(registered).toHaveLength(4);
});

test('each tenant\'s proxy sends to its own tenant\'s services, by their names in the shared namespace', () => {
  const { tier } = siloTier(['acme', 'globex']);
  const conf = (tenant: string) => {
    const proxy = tier.tenants.find((t) => t.tenantId === tenant)!.serviceGroup!.proxyService!;
    const definitions = Stack.of(proxy).resolve((proxy.taskDefinition.node.defaultChild as ecs.CfnTaskDefinition).containerDefinitions);
    return definitions[0].environment.find((e: any) => e.name === 'NGINX_CONF').value as string;
  };
  expect(conf('acme')).toContain('server products-acme:3010;');
  expect(conf('acme')).toContain('server orders-acme:3020;');
  expect(conf('acme')).not.toContain('globex');
  expect(conf('globex')).toContain('server products-globex:3010;');
});

test('without a namespace nothing changes: a namespace per tenant, services under their own names', () => {
  const { stack, tier } = siloTier(['acme', 'globex'], false);
  expect(ofType(stack, 'AWS::ServiceDiscovery::HttpNamespace')).toHaveLength(2);
  const registered = ofType(stack, 'AWS::ECS::Service').flatMap((s) => s.Properties.ServiceConnectConfiguration.Services ?? []);
  expect(registered).toContainEqual({ PortName: 'products', ClientAliases: [{ DnsName: 'products', Port: 3010 }] });
  expect(tier.tenants[0].serviceGroup!.connectName('products')).toBe('products');
});

test('a tenant id that is a template parameter names the services through the parameter', () => {
  const { stack, vpc } = vpcStack();
  const namespace = new servicediscovery.HttpNamespace(stack, 'Shared', { name: 'advanced.test' });
  const tenantId = new CfnParameter(stack, 'TenantId', { type: 'String' }).valueAsString;
  const tier = new SiloServiceTier(stack, 'Advanced', { vpc, application: bridgeApplication(), namespace });
  tier.addTenant(tenantId);
  const registered = ofType(stack, 'AWS::ECS::Service').flatMap((s) => s.Properties.ServiceConnectConfiguration.Services ?? []);
  expect(registered).toContainEqual({ PortName: 'products', DiscoveryName: { 'Fn::Join': ['', ['products-', { Ref: 'TenantId' }]] }, ClientAliases: [{ DnsName: { 'Fn::Join': ['', ['products-', { Ref: 'TenantId' }]] }, Port: 3010 }] });
});

test('a shared namespace never warns about the namespace quota, however many tenants', () => {
  const warnings = (shared: boolean) => {
    const app = new App();
    const namespaceStack = new Stack(app, 'Namespaces');
    const namespace = shared ? new servicediscovery.HttpNamespace(namespaceStack, 'Shared', { name: 'advanced.test' }) : undefined;
    for (let i = 0; i < 51; i++) {
      const stack = new Stack(app, `Tenant${i}`);
      const cluster = ecs.Cluster.fromClusterAttributes(stack, 'Cluster', { clusterName: 'tier', vpc: new ec2.Vpc(stack, 'Vpc', { natGateways: 1, maxAzs: 1 }) });
      const products = dynamodb.Table.fromTableName(stack, 'Products', 'products');
      new ServiceGroup(stack, 'Group', { cluster, application: bridgeApplication(), tierName: 'advanced', tenantId: `t${i}`, namespace, pooledTables: { products } });
    }
    return app.node.findAll().flatMap((c) => c.node.metadata).filter((m) => m.type === 'aws:cdk:warning' && String(m.data).includes('Cloud Map namespaces'));
  };
  expect(warnings(true)).toHaveLength(0);
  expect(warnings(false)).toHaveLength(1);
});

test('namespace and namespaceName conflict', () => {
  const { stack, vpc } = vpcStack();
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
  const namespace = new servicediscovery.HttpNamespace(stack, 'Shared', { name: 'shared.test' });
  expect(() => new ServiceGroup(stack, 'Group', {
    cluster, application: bridgeApplication(), tierName: 'advanced', tenantId: 'acme', namespace, namespaceName: 'acme.advanced',
  })).toThrow("namespace and namespaceName 'acme.advanced' conflict: namespaceName names the namespace a group creates; a group given a shared namespace creates none.");
});

test('connectName refuses a service the application does not have', () => {
  const { tier } = siloTier(['acme']);
  expect(() => tier.tenants[0].serviceGroup!.connectName('billing')).toThrow("No service 'billing' in the application.");
});
