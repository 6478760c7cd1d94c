import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { ClusterPerTenantTier, PooledEcsTier, RoutingTarget, SiloServiceTier, TierCapacity, TierRoutingService } from '../src';
import { bridgeApplication, pooledApplication, vpcStack } from './util/fixtures';
import { isolationViolations, reachers, securityGroupEdges } from './util/sg-graph';

/**
 * Network isolation, proven on the synthesized template: three tenants in each silo tier (and a pooled tier), a
 * stand-in router (an internal ALB with a header rule per routing target), and the security-group graph built from
 * every ingress rule in the template.
 */
function buildApp(proxy: boolean, sharedNamespace = false) {
  const { stack, vpc } = vpcStack();
  // With sharedNamespace, every tenant of the silo tiers (and the pool) registers in one Cloud Map namespace.
  const namespace = sharedNamespace ? new servicediscovery.HttpNamespace(stack, 'SharedNamespace', { name: 'shared.test' }) : undefined;
  const basic = new PooledEcsTier(stack, 'Basic', { vpc, application: pooledApplication(), proxy, namespace, tenants: ['basic-1', 'basic-2'] });
  const shared = { products: basic.pooledTables.products };
  const advanced = new SiloServiceTier(stack, 'Advanced', {
    vpc, application: bridgeApplication(), proxy, namespace, pooledTables: shared, capacity: TierCapacity.ec2(), tenants: ['adv-1', 'adv-2', 'adv-3'],
  });
  const premium = new ClusterPerTenantTier(stack, 'Premium', {
    vpc, application: bridgeApplication(), proxy, namespace, pooledTables: shared, tenants: ['prem-1', 'prem-2', 'prem-3'],
  });
  const alb = new elbv2.ApplicationLoadBalancer(stack, 'RouterAlb', { vpc, internetFacing: false });
  const listener = alb.addListener('Http', { port: 80, open: false, defaultAction: elbv2.ListenerAction.fixedResponse(404) });
  const targets: RoutingTarget[] = [...basic.routingTargets, ...advanced.routingTargets, ...premium.routingTargets];
  targets.forEach((target, i) => {
    const group = new elbv2.ApplicationTargetGroup(stack, `Target${i}`, {
      vpc,
      port: target.port,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
      healthCheck: { path: target.healthCheckPath },
      targets: [target.loadBalancerTarget()],
    });
    listener.addAction(`Route${i}`, {
      priority: i + 1,
      conditions: [
        elbv2.ListenerCondition.httpHeader('x-tenant-route', [target.routingKey]),
        ...(target.pathPrefix ? [elbv2.ListenerCondition.pathPatterns([target.pathPrefix, `${target.pathPrefix}/*`])] : []),
      ],
      action: elbv2.ListenerAction.forward([group]),
    });
  });
  const id = (sg: ec2.ISecurityGroup) => stack.getLogicalId((sg as ec2.SecurityGroup).node.defaultChild as ec2.CfnSecurityGroup);
  const entryPorts = (ts: RoutingTarget[]) => [...new Set(ts.map((t) => `tcp:${t.port}-${t.port}`))];
  const tenants = [
    { name: 'basic (pool)', group: id(basic.serviceGroup.securityGroup), entryPorts: entryPorts(basic.routingTargets) },
    ...[...advanced.tenants, ...premium.tenants].map((t) => ({
      name: t.tenantId, group: id(t.serviceGroup!.securityGroup), entryPorts: entryPorts(t.routingTargets),
    })),
  ];
  const byId = new Map<string, ec2.ISecurityGroup>();
  const silo = [...advanced.tenants, ...premium.tenants].map((t) => t.serviceGroup!.securityGroup);
  for (const sg of [basic.serviceGroup.securityGroup, ...silo, alb.connections.securityGroups[0]]) {
    byId.set(id(sg), sg);
  }
  return { stack, vpc, tenants, router: id(alb.connections.securityGroups[0]), byId };
}

describe.each([
  [true, false],
  [false, false],
  [true, true],
  [false, true],
])('with the tenant proxy %s and one namespace shared by every tenant %s', (proxy, sharedNamespace) => {
  const { stack, tenants, router } = buildApp(proxy, sharedNamespace);
  const edges = securityGroupEdges(Template.fromStack(stack).toJSON());

  test(sharedNamespace ? 'every service registers in the one shared namespace, under its tenant\'s name' : 'every group has a namespace of its own', () => {
    const template = Template.fromStack(stack).toJSON();
    const namespaces = Object.keys(template.Resources).filter((k) => template.Resources[k].Type === 'AWS::ServiceDiscovery::HttpNamespace');
    const used = Object.values<any>(template.Resources).filter((r) => r.Type === 'AWS::ECS::Service')
      .map((r) => r.Properties.ServiceConnectConfiguration.Namespace['Fn::GetAtt'][0]);
    expect(namespaces).toHaveLength(sharedNamespace ? 1 : 7);
    expect(new Set(used).size).toBe(sharedNamespace ? 1 : 7);
    if (sharedNamespace) {
      const names = Object.values<any>(template.Resources).filter((r) => r.Type === 'AWS::ECS::Service')
        .flatMap((r) => r.Properties.ServiceConnectConfiguration.Services ?? []).map((x: any) => x.DiscoveryName);
      expect(names).toEqual(expect.arrayContaining(['products-adv-1', 'orders-adv-1', 'products-prem-3', 'products-basic']));
      expect(new Set(names).size).toBe(names.length);
    }
  });

  test('no tenant can reach another, and only the router reaches a tenant, on its entry ports only', () => {
    expect(tenants).toHaveLength(7);
    expect(isolationViolations(edges, tenants, [router])).toEqual([]);
  });

  test('every tenant is reachable from the router (the check is not vacuous)', () => {
    for (const t of tenants) {
      expect(reachers(edges, t.group).has(router)).toBe(true);
    }
  });

  test('every ECS service uses exactly one security group: the one of the tenant (or pool) it serves', () => {
    const template = Template.fromStack(stack).toJSON();
    const groups = new Set(tenants.map((t) => t.group));
    const services = Object.entries<any>(template.Resources).filter(([, r]) => r.Type === 'AWS::ECS::Service');
    expect(services.length).toBeGreaterThan(0);
    for (const [id, service] of services) {
      const used = service.Properties.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups.map((g: any) => g['Fn::GetAtt'][0]);
      expect(used).toHaveLength(1);
      expect(groups.has(used[0])).toBe(true);
      // The service lives under the same tenant scope as its group.
      expect(id.slice(0, 8)).toBe(used[0].slice(0, 8));
    }
  });

  test('no tenant can reach the router\'s load balancer (so it cannot forge a routing header to another tenant)', () => {
    const intoRouter = reachers(edges, router);
    expect(tenants.filter((t) => intoRouter.has(t.group))).toEqual([]);
  });

  test('no ingress from an address range into any tenant', () => {
    for (const t of tenants) {
      expect([...reachers(edges, t.group)].filter((n) => n.startsWith('cidr:'))).toEqual([]);
    }
  });
});

describe('the check can fail', () => {
  test('it reports a rule that lets one tenant reach another, and a path through a third group', () => {
    const { stack, vpc, tenants, router, byId } = buildApp(true);
    const [, a, b] = tenants;
    const groups = (name: string) => byId.get(name)!;
    const bastion = new ec2.SecurityGroup(stack, 'Bastion', { vpc });
    groups(b.group).addIngressRule(groups(a.group), ec2.Port.tcp(3010), 'mistake');
    groups(tenants[3].group).addIngressRule(bastion, ec2.Port.tcp(80), 'mistake');
    groups(tenants[4].group).addIngressRule(ec2.Peer.ipv4('10.0.0.0/8'), ec2.Port.tcp(80), 'mistake');
    groups(tenants[5].group).addIngressRule(groups(router), ec2.Port.tcp(22), 'mistake');
    const violations = isolationViolations(securityGroupEdges(Template.fromStack(stack).toJSON()), tenants, [router]);
    expect(violations).toEqual(
      expect.arrayContaining([
        `tenant ${a.name} can reach tenant ${b.name}`,
        expect.stringMatching(new RegExp(`^Bastion.* can reach tenant ${tenants[3].name}$`)),
        `cidr:10.0.0.0/8 can reach tenant ${tenants[4].name}`,
        `the router reaches tenant ${tenants[5].name} on tcp:22-22, which is not an entry point`,
      ]),
    );
  });
});

/**
 * The shared routing mode: the advanced and premium tiers each behind a routing service (no proxy or route per
 * tenant), and the stand-in router's load balancer forwarding to the routing services and to the pool.
 */
describe('with a routing service per silo tier (shared routing mode)', () => {
  const { stack, vpc } = vpcStack();
  const basic = new PooledEcsTier(stack, 'Basic', { vpc, application: pooledApplication(), tenants: ['basic-1'] });
  const shared = { products: basic.pooledTables.products };
  const application = bridgeApplication();
  const advancedRouting = new TierRoutingService(stack, 'AdvancedRouting', { vpc, application, tierName: 'advanced' });
  const premiumRouting = new TierRoutingService(stack, 'PremiumRouting', { vpc, application, tierName: 'premium' });
  const advanced = new SiloServiceTier(stack, 'Advanced', {
    vpc, application, pooledTables: shared, routingService: advancedRouting, tenants: ['adv-1', 'adv-2', 'adv-3'],
  });
  const premium = new ClusterPerTenantTier(stack, 'Premium', {
    vpc, application, pooledTables: shared, routingService: premiumRouting, tenants: ['prem-1', 'prem-2', 'prem-3'],
  });
  const alb = new elbv2.ApplicationLoadBalancer(stack, 'RouterAlb', { vpc, internetFacing: false });
  const listener = alb.addListener('Http', { port: 80, open: false, defaultAction: elbv2.ListenerAction.fixedResponse(404) });
  [...basic.routingTargets, advancedRouting.routingTarget, premiumRouting.routingTarget].forEach((target, i) => {
    listener.addAction(`Route${i}`, {
      priority: i + 1,
      conditions: [elbv2.ListenerCondition.httpHeader('x-tenant-route', [target.routingKey])],
      action: elbv2.ListenerAction.forward([new elbv2.ApplicationTargetGroup(stack, `Target${i}`, {
        vpc, port: target.port, protocol: elbv2.ApplicationProtocol.HTTP, targetType: elbv2.TargetType.IP, targets: [target.loadBalancerTarget()],
      })]),
    });
  });
  const id = (sg: ec2.ISecurityGroup) => stack.getLogicalId((sg as ec2.SecurityGroup).node.defaultChild as ec2.CfnSecurityGroup);
  const edges = securityGroupEdges(Template.fromStack(stack).toJSON());
  const router = id(alb.connections.securityGroups[0]);
  const routing = { advanced: id(advancedRouting.securityGroup), premium: id(premiumRouting.securityGroup) };
  const servicePorts = ['tcp:3010-3010', 'tcp:3020-3020'];
  const siloTenants = [...advanced.tenants, ...premium.tenants].map((t) => ({
    name: t.tenantId, tier: t.tierName as 'advanced' | 'premium', group: id(t.serviceGroup!.securityGroup), entryPorts: servicePorts,
  }));
  const tenants = [{ name: 'basic (pool)', group: id(basic.serviceGroup.securityGroup), entryPorts: ['tcp:80-80'] }, ...siloTenants];

  test('no tenant can reach another; only the router and the routing services reach a tenant, on its service ports', () => {
    expect(siloTenants).toHaveLength(6);
    expect(isolationViolations(edges, tenants, [router, routing.advanced, routing.premium])).toEqual([]);
  });

  test('a tier\'s routing service is the only group that reaches its tenants, and reaches no other tier\'s', () => {
    for (const t of siloTenants) {
      const sources = new Set(edges.filter((e) => e.to === t.group && e.from !== t.group).map((e) => e.from));
      expect({ tenant: t.name, sources: [...sources] }).toEqual({ tenant: t.name, sources: [routing[t.tier]] });
      expect(reachers(edges, t.group).has(router)).toBe(true); // through the routing service: not vacuous
    }
    const poolSources = new Set(edges.filter((e) => e.to === tenants[0].group && e.from !== tenants[0].group).map((e) => e.from));
    expect([...poolSources]).toEqual([router]);
  });

  test('only the router reaches a routing service, on its port 80; no tenant reaches a routing service or the router', () => {
    for (const group of Object.values(routing)) {
      expect(edges.filter((e) => e.to === group).map((e) => [e.from, e.port])).toEqual([[router, 'tcp:80-80']]);
      expect(reachers(edges, group)).toEqual(new Set([router]));
    }
    const intoRouter = reachers(edges, router);
    expect(tenants.filter((t) => intoRouter.has(t.group))).toEqual([]);
  });
});
