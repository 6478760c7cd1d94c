import * as path from 'path';
import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Aspects, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import {
  ClusterPerTenantTier, HttpMethod, PooledEcsTier, RoutingTarget, SaasApplication, SiloServiceTier, TableSharing, TierCapacity, TierRoutingService,
} from '../src';
import { IntegLintAcknowledgements } from './lint';

/**
 * Deployed proof of the three tiers: services reach steady state, each tenant proxy answers its health endpoint,
 * and a request with a tenant's routing key reaches that tenant's service through nginx and Service Connect.
 * A stand-in router (internal ALB, one header rule per routing target) stands where TenantRouter will.
 */
const app = new App();
Aspects.of(app).add(new IntegLintAcknowledgements());
const stack = new Stack(app, 'TiersInteg');
const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });

// A tiny echo service: answers /health, and reports its service, tenant and tier for any other path.
const ECHO = [
  'node', '-e',
  "require('http').createServer((q,s)=>{if(q.url==='/health'){s.end('ok');return}s.setHeader('content-type','application/json');" +
  "s.end(JSON.stringify({service:process.env.SERVICE,tenant:process.env.TENANT_ID||'pooled',tier:process.env.TIER_NAME,path:q.url}))}).listen(Number(process.env.PORT))",
];
const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/node:20-alpine');
const service = (name: string, port: number, tables: string[]) => ({
  name,
  image,
  command: ECHO,
  pathPrefix: `/${name}`,
  containerPort: port,
  environment: { SERVICE: name, PORT: String(port) },
  tables: tables.map((table) => ({ table })),
  // products is read-and-create only: the proxy must refuse other methods with 405.
  httpMethods: name === 'products' ? [HttpMethod.GET, HttpMethod.HEAD, HttpMethod.POST] : undefined,
});
const bridge = new SaasApplication({
  tables: [{ name: 'products', sharing: TableSharing.POOLED }, { name: 'orders', sharing: TableSharing.PER_TENANT }],
  services: [service('products', 3010, ['products']), service('orders', 3020, ['orders'])],
});
const pooledOnly = new SaasApplication({
  tables: [{ name: 'products', sharing: TableSharing.POOLED }],
  services: [service('products', 3010, ['products'])],
});

const common = { vpc, removalPolicy: RemovalPolicy.DESTROY, logRetention: logs.RetentionDays.ONE_DAY };
const basic = new PooledEcsTier(stack, 'Basic', { ...common, application: pooledOnly, tenants: ['basic-1'] });
const shared = { products: basic.pooledTables.products };
const advanced = new SiloServiceTier(stack, 'Advanced', { ...common, application: bridge, pooledTables: shared, tenants: ['acme', 'globex'] });
const premium = new ClusterPerTenantTier(stack, 'Premium', { ...common, application: bridge, pooledTables: shared, tenants: ['initech'] });
// EC2 capacity (capacity provider, managed scaling, IMDS blocked) and no proxy: one routing target per service.
const advancedEc2 = new SiloServiceTier(stack, 'AdvancedEc2', {
  ...common,
  application: bridge,
  pooledTables: shared,
  tierName: 'advanced-ec2',
  proxy: false,
  capacity: TierCapacity.ec2({ instanceType: new ec2.InstanceType('m6i.xlarge'), minInstances: 2, maxInstances: 4 }),
  tenants: ['umbrella'],
});
// The shared routing mode: one routing service for the tier's tenants, which resolves each tenant's services by DNS.
const standardRouting = new TierRoutingService(stack, 'StandardRouting', { ...common, application: bridge, tierName: 'standard' });
const standard = new SiloServiceTier(stack, 'Standard', {
  ...common,
  application: bridge,
  pooledTables: shared,
  tierName: 'standard',
  routingService: standardRouting,
  tenants: ['hooli', 'piedpiper'],
});

const alb = new elbv2.ApplicationLoadBalancer(stack, 'Router', { vpc, internetFacing: false, dropInvalidHeaderFields: true });
const listener = alb.addListener('Http', { port: 80, open: false, defaultAction: elbv2.ListenerAction.fixedResponse(404) });
const targets: RoutingTarget[] = [
  ...basic.routingTargets, ...advanced.routingTargets, ...premium.routingTargets, ...advancedEc2.routingTargets, standardRouting.routingTarget,
];
targets.forEach((target, i) => {
  listener.addTargets(`Route${i}`, {
    priority: i + 1,
    conditions: [
      elbv2.ListenerCondition.httpHeader('x-tenant-route', [target.routingKey]),
      ...(target.pathPrefix ? [elbv2.ListenerCondition.pathPatterns([target.pathPrefix, `${target.pathPrefix}/*`])] : []),
    ],
    port: target.port,
    protocol: elbv2.ApplicationProtocol.HTTP,
    targets: [target.loadBalancerTarget()],
    healthCheck: { path: target.healthCheckPath, interval: Duration.seconds(10) },
    deregistrationDelay: Duration.seconds(5),
  });
});

const probe = new nodejs.NodejsFunction(stack, 'Probe', {
  entry: path.join(__dirname, 'handlers', 'http-probe.ts'),
  runtime: lambda.Runtime.NODEJS_24_X,
  vpc,
  timeout: Duration.seconds(30),
  environment: { ROUTER_DNS: alb.loadBalancerDnsName },
  logGroup: new logs.LogGroup(stack, 'ProbeLogs', { retention: logs.RetentionDays.ONE_DAY, removalPolicy: RemovalPolicy.DESTROY }),
});
listener.connections.allowDefaultPortFrom(probe);

const integ = new IntegTest(app, 'TiersTest', {
  // A task definition is replaced by a new revision whenever a container changes (the proxy's nginx configuration, say);
  // its service rolls to it. integ-runner counts that as destructive.
  allowDestroy: ['AWS::ECS::TaskDefinition'],
  testCases: [stack],
  diffAssets: false,
  cdkCommandOptions: { destroy: { args: { force: true } } },
});

// Steady state: every service's deployment completes (the pool's, each tenant's, the proxies, on Fargate and EC2).
const tenants = [...advanced.tenants, ...premium.tenants, ...advancedEc2.tenants, ...standard.tenants];
const groups = [basic.serviceGroup, ...tenants.map((t) => t.serviceGroup!)];
for (const ecsService of [...groups.flatMap((g) => [...g.services, ...(g.proxyService ? [g.proxyService] : [])]), standardRouting.service]) {
  integ.assertions
    .awsApiCall('ECS', 'describeServices', { cluster: ecsService.cluster.clusterName, services: [ecsService.serviceName] })
    .assertAtPath('services.0.deployments.0.rolloutState', ExpectedResult.exact('COMPLETED'))
    .waitForAssertions({ totalTimeout: Duration.minutes(20), interval: Duration.seconds(30) });
}

const call = (routingKey: string, p: string, method = 'GET') =>
  integ.assertions.invokeFunction({ functionName: probe.functionName, payload: JSON.stringify({ routingKey, path: p, method }) });

call('acme', '/health').assertAtPath('Payload.body', ExpectedResult.exact('ok'));
call('acme', '/products/1').assertAtPath('Payload.body.tenant', ExpectedResult.exact('acme'));
call('globex', '/orders').assertAtPath('Payload.body.tenant', ExpectedResult.exact('globex'));
call('initech', '/orders/7').assertAtPath('Payload.body.service', ExpectedResult.exact('orders'));
call('basic', '/products').assertAtPath('Payload.body.tenant', ExpectedResult.exact('pooled'));
call('acme', '/unknown').assertAtPath('Payload.status', ExpectedResult.exact(404));
call('nobody', '/products').assertAtPath('Payload.status', ExpectedResult.exact(404));
call('acme', '/products/1', 'DELETE').assertAtPath('Payload.status', ExpectedResult.exact(405));
call('umbrella', '/orders/3').assertAtPath('Payload.body.tenant', ExpectedResult.exact('umbrella'));
call('umbrella', '/products').assertAtPath('Payload.body.service', ExpectedResult.exact('products'));
// Behind the routing service: each tenant's own services, by the tenant the routing key names; nothing for a tenant
// without tasks (no DNS record: 502), or for a path no service answers.
call('standard/hooli', '/orders/1').assertAtPath('Payload.body.tenant', ExpectedResult.exact('hooli'));
call('standard/piedpiper', '/products').assertAtPath('Payload.body.tenant', ExpectedResult.exact('piedpiper'));
call('standard/nobody', '/orders').assertAtPath('Payload.status', ExpectedResult.exact(502));
call('standard/hooli', '/unknown').assertAtPath('Payload.status', ExpectedResult.exact(404));
call('standard/hooli', '/products/1', 'DELETE').assertAtPath('Payload.status', ExpectedResult.exact(405));
