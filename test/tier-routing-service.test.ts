import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import {
  ClusterPerTenantTier, PooledEcsTier, RunningHours, SaasApplication, SharedTaskExecution, SiloServiceTier, TenantRouter, TenantTemplate,
  TierRouting, TierRoutingService,
} from '../src';
import { bridgeApplication, IMAGE, pooledApplication, vpcStack } from './util/fixtures';
import { resourcesOf, routerProps } from './util/router-fixtures';
import { synthesizeExample } from '../examples/synthesize';

/** The pieces of a value that CloudFormation joins (a string with tokens), as one string. */
function flat(value: any): string {
  if (typeof value === 'string') {
    return value;
  }
  if (value?.['Fn::Join']) {
    return value['Fn::Join'][1].map((p: any) => (typeof p === 'string' ? p : `{${JSON.stringify(p)}}`)).join(value['Fn::Join'][0]);
  }
  return JSON.stringify(value);
}

function advancedWithRouting(tenants = ['acme', 'globex'], extra: Partial<ConstructorParameters<typeof TierRoutingService>[2]> = {}) {
  const { stack, vpc } = vpcStack();
  const application = bridgeApplication();
  const routingService = new TierRoutingService(stack, 'Routing', { vpc, application, tierName: 'advanced', ...extra });
  const advanced = new SiloServiceTier(stack, 'Advanced', { vpc, application, routingService, tenants });
  return { stack, vpc, application, routingService, advanced, get template() { return Template.fromStack(stack); } };
}

function routingContainer(template: Template): any {
  const defs = Object.entries<any>(template.findResources('AWS::ECS::TaskDefinition'))
    .filter(([id]) => id.startsWith('Routing'));
  expect(defs).toHaveLength(1);
  return defs[0][1].Properties.ContainerDefinitions[0];
}

describe('TierRoutingService', () => {
  test('one nginx service on Fargate in a cluster of its own, 2 to 20 tasks on CPU, a DNS namespace in the VPC', () => {
    const { template, routingService } = advancedWithRouting();
    template.resourceCountIs('AWS::ServiceDiscovery::PrivateDnsNamespace', 1);
    template.hasResourceProperties('AWS::ServiceDiscovery::PrivateDnsNamespace', {
      Name: { 'Fn::Join': ['', ['advanced.', { Ref: 'AWS::StackName' }, '.routing']] },
      Vpc: { Ref: Match.stringLikeRegexp('^Vpc') },
    });
    const routingServices = Object.entries<any>(template.findResources('AWS::ECS::Service')).filter(([id]) => id.startsWith('Routing')).map(([, r]) => r);
    expect(routingServices).toHaveLength(1);
    expect(routingServices[0].Properties).toMatchObject({
      LaunchType: 'FARGATE',
      DesiredCount: 2,
      DeploymentConfiguration: { MinimumHealthyPercent: 100, DeploymentCircuitBreaker: { Enable: true, Rollback: true } },
      NetworkConfiguration: { AwsvpcConfiguration: { AssignPublicIp: 'DISABLED' } },
    });
    expect(routingServices[0].Properties.Cluster.Ref).toMatch(/^RoutingCluster/);
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 2, MaxCapacity: 20, ResourceId: { 'Fn::Join': ['', ['service/', { Ref: Match.stringLikeRegexp('^RoutingCluster') }, '/', Match.anyValue()]] },
    });
    expect(routingService.routingTarget).toMatchObject({ routingKey: 'advanced/*', port: 80, healthCheckPath: '/health', containerName: 'proxy', tenantId: undefined });
  });

  test('its nginx reads the tenant from the verified routing header, and resolves each service per request by the tenant\'s DNS name', () => {
    const { template } = advancedWithRouting();
    const container = routingContainer(template);
    const conf = flat(container.Environment.find((e: any) => e.Name === 'NGINX_CONF').Value);
    expect(conf).toContain('map $http_x_tenant_route $routed_tenant {\n  default "";\n  "~^advanced/(?<tenant>[a-z0-9](?:[a-z0-9-]{0,34}[a-z0-9])?)$" $tenant;\n}');
    expect(conf).toContain('resolver @RESOLVER@ valid=10s ipv6=off;');
    for (const [service, port] of [['products', 3010], ['orders', 3020]] as const) {
      expect(conf).toContain(`proxy_pass http://${service}-$routed_tenant.advanced.{{"Ref":"AWS::StackName"}}.routing:${port};`);
    }
    expect(conf.match(/if \(\$routed_tenant = ""\) \{ return 404; \}/g)).toHaveLength(4);
    // The resolver is the task's own (an awsvpc task's resolv.conf names the VPC's), written in at start-up.
    expect(container.Command[2]).toMatch(/^NGINX_CONF=\$\(printf "%s" "\$NGINX_CONF" \| sed "s\/@RESOLVER@\/\$\(awk '\/\^nameserver\/ \{ print \$2; exit \}' \/etc\/resolv.conf\)\/"\) && printf/);
    expect(container.HealthCheck.Command).toEqual(['CMD-SHELL', 'wget -q -O /dev/null http://localhost:80/health || exit 1']);
  });

  test('it runs in a given cluster, with the tier\'s shared execution, on ARM64 and Spot', () => {
    const { stack, vpc } = vpcStack();
    const cluster = new ecs.Cluster(stack, 'Shared', { vpc });
    const taskExecution = new SharedTaskExecution(stack, 'Execution');
    new TierRoutingService(stack, 'Routing', {
      vpc,
      cluster,
      application: bridgeApplication(),
      tierName: 'advanced',
      taskExecution,
      cpuArchitecture: ecs.CpuArchitecture.ARM64,
      fargateSpot: { onDemandBase: 1, spotWeight: 3 },
      minTasks: 3,
      maxTasks: 6,
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::ECS::Cluster', 1);
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ExecutionRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ExecutionExecutionRole'), 'Arn'] },
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
    });
    template.hasResourceProperties('AWS::ECS::Service', {
      DesiredCount: 3,
      CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE', Base: 1, Weight: 1 }, { CapacityProvider: 'FARGATE_SPOT', Weight: 3 }],
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 3, MaxCapacity: 6 });
  });

  test.each([
    [{ tierName: 'Advanced' }, /tierName must be .*; got 'Advanced'/],
    [{ minTasks: 0 }, /minTasks must be a whole number of at least 1; got 0/],
    [{ minTasks: 4, maxTasks: 3 }, /maxTasks must be a whole number of at least minTasks \(4\); got 3/],
    [{ fargateSpot: { spotWeight: 0 } }, /fargateSpot.spotWeight must be a whole number from 1 to 1000 .*; got 0/],
  ])('bad props fail at synth: %j', (props, error) => {
    const { stack, vpc } = vpcStack();
    expect(() => new TierRoutingService(stack, 'Routing', { vpc, application: bridgeApplication(), tierName: 'advanced', ...props })).toThrow(error);
  });
});

describe('a silo tier behind its routing service', () => {
  test('each tenant\'s services register their tasks as `<service>-<tenant>` (A records, 10 s) in the routing namespace', () => {
    const { template } = advancedWithRouting();
    const names = Object.values<any>(template.findResources('AWS::ServiceDiscovery::Service')).map((s) => s.Properties);
    expect(names.map((n) => n.Name).sort()).toEqual(['orders-acme', 'orders-globex', 'products-acme', 'products-globex']);
    for (const n of names) {
      expect(n.DnsConfig).toEqual({
        DnsRecords: [{ TTL: 10, Type: 'A' }],
        NamespaceId: { 'Fn::GetAtt': [expect.stringMatching(/^RoutingNamespace/), 'Id'] },
        RoutingPolicy: 'MULTIVALUE',
      });
    }
    const tenantServices = Object.entries<any>(template.findResources('AWS::ECS::Service')).filter(([id]) => id.startsWith('Advanced')).map(([, r]) => r);
    expect(tenantServices).toHaveLength(4); // products and orders of 2 tenants: no proxy
    for (const s of tenantServices) {
      expect(s.Properties.ServiceRegistries).toEqual([{ RegistryArn: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } }]);
    }
  });

  test('a tenant has no proxy, target or rule of its own: its route is the tier\'s, keyed `<tier>/<tenant>`', () => {
    const { advanced, routingService } = advancedWithRouting();
    for (const t of advanced.tenants) {
      expect(t.routingKey).toBe(`advanced/${t.tenantId}`);
      expect(t.routingTargets).toEqual([routingService.routingTarget]);
      expect(t.serviceGroup!.proxyService).toBeUndefined();
    }
  });

  test('a tenant\'s security group admits the routing service on the service ports only', () => {
    const { template, stack, advanced, routingService } = advancedWithRouting(['acme']);
    const routingSg = stack.getLogicalId(routingService.securityGroup.node.defaultChild as any);
    const tenantSg = stack.getLogicalId(advanced.tenants[0].serviceGroup!.securityGroup.node.defaultChild as any);
    const fromRouting = Object.values<any>(template.findResources('AWS::EC2::SecurityGroupIngress'))
      .map((r) => r.Properties)
      .filter((p) => p.SourceSecurityGroupId?.['Fn::GetAtt']?.[0] === routingSg);
    expect(fromRouting.map((p) => [p.GroupId['Fn::GetAtt'][0], p.FromPort, p.ToPort]).sort()).toEqual([[tenantSg, 3010, 3010], [tenantSg, 3020, 3020]]);
  });

  test('a cluster-per-tenant tier can use one too', () => {
    const { stack, vpc } = vpcStack();
    const application = bridgeApplication();
    const routingService = new TierRoutingService(stack, 'Routing', { vpc, application, tierName: 'premium' });
    const premium = new ClusterPerTenantTier(stack, 'Premium', { vpc, application, routingService, tenants: ['initech'] });
    expect(premium.tenants[0].routingKey).toBe('premium/initech');
    Template.fromStack(stack).resourceCountIs('AWS::ServiceDiscovery::Service', 2);
  });

  test.each<[string, (s: Stack, r: TierRoutingService, v: any) => void, RegExp]>([
    ['a pooled tier', (s, r, vpc) => new PooledEcsTier(s, 'Basic', { vpc, application: pooledApplication(), routingService: r }),
      /routingService routes the tenants of a silo tier .*; PooledEcsTier 'basic' serves its tenants from shared services/],
    ['proxy: true', (s, r, vpc) => new SiloServiceTier(s, 'Advanced', { vpc, application: bridgeApplication(), routingService: r, proxy: true, tenants: ['acme'] }),
      /proxy: true and routingService conflict in tier 'advanced'/],
    ['another tier', (s, r, vpc) => new SiloServiceTier(s, 'Other', { vpc, application: bridgeApplication(), tierName: 'other', routingService: r, tenants: ['acme'] }),
      /routingService routes tier 'advanced', but this group is in tier 'other'/],
    ['other services', (s, r, vpc) => new SiloServiceTier(s, 'Advanced', { vpc, application: bridgeApplication({ pathPrefix: '/goods' }), routingService: r, tenants: ['acme'] }),
      /routingService routes the services \[products \/products :3010 .*\], but tier 'advanced's application has \[products \/goods/],
    ['running hours', (s, r, vpc) => new SiloServiceTier(s, 'Advanced', {
      vpc, application: bridgeApplication(), routingService: r, runningHours: RunningHours.of({ startHour: 7, stopHour: 19 }), tenants: ['acme'],
    }), /runningHours and routingService conflict in tier 'advanced'/],
  ])('%s is refused at synth', (_name, build, error) => {
    const { stack, vpc } = vpcStack();
    const routingService = new TierRoutingService(stack, 'Routing', { vpc, application: bridgeApplication(), tierName: 'advanced' });
    expect(() => build(stack, routingService, vpc)).toThrow(error);
  });
});

describe('a router with a ROUTING_SERVICE tier', () => {
  function routed(tenants: string[], apiKeyPerTenant = false) {
    const { stack, vpc, application, routingService, advanced } = advancedWithRouting(tenants);
    const router = new TenantRouter(stack, 'Router', routerProps(vpc, {
      application,
      tiers: [{ tierName: 'advanced', routing: TierRouting.ROUTING_SERVICE, apiKeyPerTenant }],
    }));
    return { stack, router, routingService, advanced };
  }

  test('one target group and one listener rule for the whole tier (`advanced/*`), however many tenants', () => {
    const tenants = Array.from({ length: 12 }, (_, i) => `tenant-${i}`);
    const { stack, router, advanced } = routed(tenants);
    router.addTenants(advanced.tenants);
    const rules = resourcesOf(stack, 'AWS::ElasticLoadBalancingV2::ListenerRule');
    expect(rules.map((r) => r.props.Conditions[0].HttpHeaderConfig.Values)).toEqual([['advanced/*']]);
    expect(resourcesOf(stack, 'AWS::ElasticLoadBalancingV2::TargetGroup')).toHaveLength(1);
    expect(router.placements).toEqual([{ routingKey: 'advanced/*', shard: 0, priority: 1, rules: 1 }]);
    expect(new Set(tenants.map((t) => router.endpointFor(t)))).toEqual(new Set([router.endpointForTier('advanced')]));
    expect(router.tierRouting('advanced')).toBe(TierRouting.ROUTING_SERVICE);
  });

  test('the authorizer is told the tier is routed by its routing service', () => {
    const { stack, router, advanced } = routed(['acme']);
    router.addTenants(advanced.tenants);
    const fn = Object.values<any>(Template.fromStack(stack).findResources('AWS::Lambda::Function'))
      .find((f) => f.Properties.Environment?.Variables?.AUTHORIZER_CONFIG);
    expect(JSON.parse(fn.Properties.Environment.Variables.AUTHORIZER_CONFIG).tiers.advanced).toEqual({ routing: 'PER_TENANT', routingService: true, apiKeyPerTenant: true });
  });

  test('the tier can be routed before its tenants are known; they join that route', () => {
    const { stack, router, routingService, advanced } = routed(['acme']);
    router.addSharedTier('advanced', [routingService.routingTarget]);
    router.addTenants(advanced.tenants);
    expect(resourcesOf(stack, 'AWS::ElasticLoadBalancingV2::ListenerRule')).toHaveLength(1);
    expect(router.endpointFor('acme')).toBe(router.endpointForTier('advanced'));
    expect(() => router.addSharedTier('advanced', [routingService.routingTarget])).toThrow(/tier 'advanced' is already routed/);
    expect(() => router.addTenant(advanced.tenants[0])).toThrow(/tenant 'acme' is already routed/);
  });

  test('with apiKeyPerTenant, each tenant has its own key and plan on the tier route\'s shard', () => {
    const { stack, router, advanced } = routed(['acme', 'globex'], true);
    router.addTenants(advanced.tenants);
    expect(resourcesOf(stack, 'AWS::ApiGateway::ApiKey').map((k) => k.props.CustomerId).sort()).toEqual(['acme', 'globex']);
  });

  test('a router tier may give its tenants onboarded at run time a shard each only with a load balancer per tenant and shards opened at run time', () => {
    const { stack, vpc } = vpcStack();
    expect(() => new TenantRouter(stack, 'R1', routerProps(vpc, { tiers: [{ tierName: 'premium', routing: TierRouting.PER_TENANT, dedicatedShardsAtRunTime: true }] })))
      .toThrow("tiers[0].dedicatedShardsAtRunTime needs dedicatedLoadBalancer: tier 'premium' gives its declared tenants no load balancer of their own.");
    expect(() => new TenantRouter(stack, 'R2', routerProps(vpc, {
      tiers: [{ tierName: 'premium', routing: TierRouting.PER_TENANT, dedicatedLoadBalancer: true, dedicatedShardsAtRunTime: true }],
    }))).toThrow('tiers [premium] have dedicatedShardsAtRunTime, which needs openShardsAtRunTime: the lifecycle opens those shards at run time.');
  });

  test('a tenant of the tier must come with the routing service, and takes no shard or priority', () => {
    const { stack, vpc } = vpcStack();
    const application = bridgeApplication();
    const plain = new SiloServiceTier(stack, 'Advanced', { vpc, application, tenants: ['acme'] });
    const router = new TenantRouter(stack, 'Router', routerProps(vpc, { application, tiers: [{ tierName: 'advanced', routing: TierRouting.ROUTING_SERVICE }] }));
    expect(() => router.addTenant(plain.tenants[0])).toThrow(/tenant 'acme' has routing key 'acme', but tier 'advanced' is routed ROUTING_SERVICE, whose routing key is 'advanced\/acme'/);
    const routedTier = routed(['acme']);
    expect(() => routedTier.router.addTenant(routedTier.advanced.tenants[0], { shard: 0, priority: 5 }))
      .toThrow(/tenant 'acme' is in tier 'advanced', routed by its routing service: .* options.shard, options.priority and options.runtimeShard do not apply/);
    expect(() => routedTier.router.tierRouting('gold')).toThrow(/tierRouting: tier 'gold' is not a tier of this router; its tiers: advanced/);
  });
});

describe('a tenant template of a tier behind a routing service', () => {
  function templated(takesRoute: boolean) {
    const app = new App();
    const stack = new Stack(app, 'Plane');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const application = bridgeApplication();
    const routingService = new TierRoutingService(stack, 'Routing', { vpc, application, tierName: 'advanced' });
    const router = new TenantRouter(stack, 'Router', routerProps(vpc, { application, tiers: [{ tierName: 'advanced', routing: TierRouting.ROUTING_SERVICE }] }));
    router.addSharedTier('advanced', [routingService.routingTarget]);
    const template = new TenantTemplate(stack, 'AdvancedTenant', { tierName: 'advanced', takesRoute });
    const tier = new SiloServiceTier(template, 'Advanced', { vpc, application, routingService });
    return { router, template, tenant: tier.addTenant(template.tenantId) };
  }

  test('with takesRoute: false it takes no RouterShard or RulePriority, and joins the tier\'s route', () => {
    const { router, template, tenant } = templated(false);
    router.addTenant(tenant);
    expect(template.takesRoute).toBe(false);
    expect(() => template.routerShard).toThrow("TenantTemplate 'Plane/AdvancedTenant' has takesRoute: false: its tenants have no route of their own, so no router shard or rule priority.");
    expect(router.endpointFor(template.tenantId)).toBe(router.endpointForTier('advanced'));
  });

  test('a template that takes a route is refused: its tenants would hold router slots for nothing', () => {
    const { router, tenant } = templated(true);
    expect(() => router.addTenant(tenant)).toThrow(/routed by its routing service, but its TenantTemplate takes a route of its own \(RouterShard, RulePriority\): give the template takesRoute: false/);
  });
});

describe('the example with advancedRoutingService', () => {
  const synthesized = synthesizeExample({ advancedRoutingService: true });
  const product = () => {
    const file = fs.readdirSync(synthesized.outdir).filter((f) => f.endsWith('.product.template.json'))
      .map((f) => JSON.parse(fs.readFileSync(path.join(synthesized.outdir, f), 'utf8')))
      .find((t) => Object.values<any>(t.Resources).some((r) => r.Type === 'AWS::ServiceDiscovery::Service'));
    return file;
  };

  test('a tenant provisioned at run time registers in the routing namespace and adds no route', () => {
    const t = product();
    expect(t).toBeDefined();
    const types = Object.values<any>(t.Resources).map((r) => r.Type);
    expect(types).not.toContain('AWS::ElasticLoadBalancingV2::ListenerRule');
    expect(types).not.toContain('AWS::ElasticLoadBalancingV2::TargetGroup');
    const registrations = Object.values<any>(t.Resources).filter((r) => r.Type === 'AWS::ServiceDiscovery::Service').map((r) => r.Properties);
    expect(registrations).toHaveLength(3);
    for (const r of registrations) {
      expect(r.Name).toEqual({ 'Fn::Join': ['', [expect.any(String), { Ref: 'TenantId' }]] });
      expect(r.DnsConfig.NamespaceId).toEqual({ 'Fn::ImportValue': expect.stringMatching(/AdvancedRoutingNamespace/) });
    }
    // Its tenants hold no router slot: the template takes neither RouterShard nor RulePriority.
    expect(Object.keys(t.Parameters).filter((p) => p.startsWith('Router') || p.startsWith('Rule') || p.startsWith('Shard'))).toEqual([]);
    expect(JSON.stringify(t.Outputs.ApiUrl.Value)).toMatch(/"Fn::ImportValue":"EcsSaasApplicationPlane:ExportsOutput[A-Za-z0-9]*Shard0[A-Za-z0-9]*Api/);
  });
});

test('service names that make `<service>-<tenant>` ambiguous are refused, behind a routing service and in a shared namespace', () => {
  const { stack, vpc } = vpcStack();
  const application = new SaasApplication({
    tables: [],
    services: [{ name: 'api', image: IMAGE, pathPrefix: '/api' }, { name: 'api-x', image: IMAGE, pathPrefix: '/apix', containerPort: 3001 }],
  });
  expect(() => new TierRoutingService(stack, 'Routing', { vpc, application, tierName: 'advanced' }))
    .toThrow("routingService names each service '<service>-<tenant>', but service names 'api' and 'api-x' make that ambiguous");
  const namespace = new servicediscovery.HttpNamespace(stack, 'Shared', { name: 'shared.test' });
  expect(() => new SiloServiceTier(stack, 'Advanced', { vpc, application, namespace, tenants: ['x-y'] }))
    .toThrow("namespace (shared by many groups) names each service '<service>-<tenant>', but service names 'api' and 'api-x' make that ambiguous");
  expect(() => new TierRoutingService(stack, 'Routing2', { vpc, application: bridgeApplication(), tierName: 'advanced', namespaceName: 'bad name' }))
    .toThrow("namespaceName must be a DNS name (labels of letters, digits and hyphens, separated by dots); got 'bad name'.");
});
