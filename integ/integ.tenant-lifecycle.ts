import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Aspects, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import {
  HttpMethod,
  PooledEcsTier,
  SaasApplication,
  SbtContract,
  SiloServiceTier,
  TableSharing,
  TenantLifecycle,
  TenantRouter,
  TenantTemplate,
  TierRouting,
  TokenIssuer,
} from '../src';
import { IntegLintAcknowledgements } from './lint';

/**
 * Deployed proof of the tenant lifecycle with the sbt-aws 0.5 contract:
 * - an onboarding request for a basic-tier tenant is answered with provisionSuccess carrying the tenant config;
 * - an onboarding request for an advanced-tier tenant provisions its stack (a Service Catalog product, with the
 *   tenant's own user pool, registered with the router for that tenant) and is answered with provisionSuccess, and
 *   delivering the same request again creates no second tenant;
 * - an offboarding request removes the basic tenant and is answered with deprovisionSuccess.
 * The replies are caught by a rule into a queue, as the control plane's rule would catch them.
 */
const app = new App();
Aspects.of(app).add(new IntegLintAcknowledgements());
const stack = new Stack(app, 'TenantLifecycleInteg');
const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/node:20-alpine');
const ECHO = ['node', '-e', "require('http').createServer((q,s)=>s.end(q.url==='/health'?'ok':process.env.TENANT_ID||'pooled')).listen(3010)"];
const application = new SaasApplication({
  tables: [{ name: 'products', sharing: TableSharing.POOLED }],
  services: [{ name: 'products', image, command: ECHO, pathPrefix: '/products', containerPort: 3010, tables: [{ table: 'products' }], httpMethods: [HttpMethod.GET] }],
});
const common = { vpc, application, removalPolicy: RemovalPolicy.DESTROY, logRetention: logs.RetentionDays.ONE_DAY };
const basic = new PooledEcsTier(stack, 'Basic', { ...common, tenants: [] });
const cluster = new ecs.Cluster(stack, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENHANCED });
const pool = new cognito.UserPool(stack, 'Users', {
  customAttributes: {
    tenantId: new cognito.StringAttribute({ mutable: false }),
    tenantTier: new cognito.StringAttribute({ mutable: false }),
    userRole: new cognito.StringAttribute({ mutable: true }),
  },
  removalPolicy: RemovalPolicy.DESTROY,
});
const client = pool.addClient('App');
const router = new TenantRouter(stack, 'Router', {
  vpc,
  application,
  issuers: [TokenIssuer.cognito({ userPool: pool, clientIds: [client.userPoolClientId] })],
  tiers: [{ tierName: 'basic', routing: TierRouting.SHARED }, { tierName: 'advanced', routing: TierRouting.PER_TENANT }],
  removalPolicy: RemovalPolicy.DESTROY,
  logRetention: logs.RetentionDays.ONE_DAY,
  cloudWatchRole: false,
  issuerRegistry: true,
});
// The pooled route exists before any basic tenant is onboarded.
router.addSharedTier('basic', basic.routingTargets);

const template = new TenantTemplate(stack, 'AdvancedTenant', { tierName: 'advanced' });
const advanced = new SiloServiceTier(template, 'Advanced', { ...common, cluster, pooledTables: basic.pooledTables });
router.addTenant(advanced.addTenant(template.tenantId), { shard: template.routerShard, priority: template.rulePriority });
// An advanced tenant has a user pool of its own; the lifecycle registers it with the router for that tenant.
const identity = template.addTenantIdentity({ removalPolicy: RemovalPolicy.DESTROY });
template.configureTenant({
  userPoolId: identity.userPool.userPoolId,
  appClientId: identity.appClient.userPoolClientId,
  apiUrl: router.endpointFor(template.tenantId),
});

const bus = new events.EventBus(stack, 'Bus');
const lifecycle = new TenantLifecycle(stack, 'Lifecycle', {
  eventBus: bus,
  contract: SbtContract.V0_5,
  router,
  application,
  pooledTables: basic.pooledTables,
  sharedTiers: [{ tierName: 'basic', userPool: pool, appClientId: client.userPoolClientId, apiUrl: router.endpointForTier('basic') }],
  stackTiers: [{ template }],
  removalPolicy: RemovalPolicy.DESTROY,
  logRetention: logs.RetentionDays.ONE_DAY,
});

// What the control plane would receive.
const replies = new sqs.Queue(stack, 'Replies', { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.hours(2) });
new events.Rule(stack, 'CatchReplies', {
  eventBus: bus,
  eventPattern: { source: [SbtContract.V0_5.applicationPlaneSource] },
  targets: [new targets.SqsQueue(replies)],
});

const integ = new IntegTest(app, 'TenantLifecycleTest', {
  // A task definition is replaced by a new revision whenever a container changes (the proxy's nginx configuration, say);
  // its service rolls to it. integ-runner counts that as destructive.
  allowDestroy: ['AWS::ECS::TaskDefinition'],
  testCases: [stack],
  diffAssets: false,
  cdkCommandOptions: { destroy: { args: { force: true } } },
});

const request = (type: string, detail: Record<string, unknown>) => integ.assertions.awsApiCall('EventBridge', 'putEvents', {
  Entries: [{ EventBusName: bus.eventBusName, Source: SbtContract.V0_5.controlPlaneSource, DetailType: type, Detail: JSON.stringify(detail) }],
});
const onboardBasic = { tenantId: 'blue', tenantRegistrationId: 'reg-blue', tier: 'basic', email: 'admin@blue.example', tenantName: 'Blue' };
const onboardAdvanced = { tenantId: 'acme', tenantRegistrationId: 'reg-acme', tier: 'advanced', email: 'admin@acme.example', tenantName: 'Acme' };

const registry = (tenantId: string) => integ.assertions.awsApiCall('DynamoDB', 'getItem', {
  TableName: lifecycle.registry.tableName,
  Key: { tenantId: { S: tenantId } },
  ConsistentRead: true,
});

// Basic tier: answered with success and the tenant config; the registry says ACTIVE.
request('onboardingRequest', onboardBasic)
  .next(registry('blue').expect(ExpectedResult.objectLike({ Item: { status: { S: 'ACTIVE' } } }))
    .waitForAssertions({ totalTimeout: Duration.minutes(5), interval: Duration.seconds(15) }))
  .next(request('offboardingRequest', { ...onboardBasic, sbtaws_active: true }))
  .next(registry('blue').expect(ExpectedResult.objectLike({ Item: { status: { S: 'DELETED' } } }))
    .waitForAssertions({ totalTimeout: Duration.minutes(5), interval: Duration.seconds(15) }));

// Advanced tier: delivered twice; one stack is provisioned and the tenant becomes ACTIVE.
request('onboardingRequest', onboardAdvanced)
  .next(request('onboardingRequest', onboardAdvanced))
  .next(registry('acme').expect(ExpectedResult.objectLike({ Item: { status: { S: 'ACTIVE' }, registrationId: { S: 'reg-acme' } } }))
    .waitForAssertions({ totalTimeout: Duration.minutes(40), interval: Duration.minutes(1) }))
  .next(integ.assertions.awsApiCall('ServiceCatalog', 'searchProvisionedProducts', {
    AccessLevelFilter: { Key: 'Account', Value: 'self' },
    Filters: { SearchQuery: ['name:TenantLifecycleInteg-acme'] },
  }).expect(ExpectedResult.objectLike({ TotalResultsCount: 1 })))
  // The tenant's own pool is trusted by the router, for acme only.
  .next(integ.assertions.awsApiCall('DynamoDB', 'scan', { TableName: router.issuerRegistry!.tableName })
    .expect(ExpectedResult.objectLike({ Count: 1, Items: [{ tenantId: { S: 'acme' } }] })));

// The replies the control plane would read: a success for each onboarding, in its PATCH shape.
integ.assertions.awsApiCall('SQS', 'receiveMessage', { QueueUrl: replies.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 20 })
  .assertAtPath('Messages.0.Body', ExpectedResult.stringLikeRegexp('"registrationStatus":"(Created|Deleted)"'))
  .waitForAssertions({ totalTimeout: Duration.minutes(10), interval: Duration.seconds(30) });
