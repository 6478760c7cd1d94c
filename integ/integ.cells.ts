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
  CellPlacement,
  HttpMethod,
  PooledEcsTier,
  SaasApplication,
  SbtContract,
  TableSharing,
  TenantLifecycle,
  TenantRouter,
  TierRouting,
  TokenIssuer,
} from '../src';
import { IntegLintAcknowledgements } from './lint';

/**
 * Deployed proof of cells (docs/cells.md), in one account: two application planes (cells), each a basic tier with its
 * own router, user pool and lifecycle, the first on the control plane's bus and the second on a bus of its own; and a
 * CellPlacement that holds one tenant per cell.
 * - the first onboarding request is placed in the first cell, which onboards the tenant;
 * - the second goes through the forwarding rule to the second cell's bus, and that cell onboards it;
 * - the third finds no room, and the control plane is answered with a provisioning failure that says so;
 * - the cells' successes reach the control plane's bus (the second cell's through its reply rule).
 */
const app = new App();
Aspects.of(app).add(new IntegLintAcknowledgements());
const contract = SbtContract.V0_9;
const common = { removalPolicy: RemovalPolicy.DESTROY, logRetention: logs.RetentionDays.ONE_DAY };

const control = new Stack(app, 'CellsControlPlane');
const controlBus = new events.EventBus(control, 'Bus');
// The VPC the cells share here (a real cell has its account's own).
const vpc = new ec2.Vpc(control, 'Vpc', { maxAzs: 2, natGateways: 1 });
// What the control plane would receive: successes and failures apart.
const inbox = (id: string, type: string, tenantId: string) => {
  const queue = new sqs.Queue(control, id, { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.hours(2) });
  new events.Rule(control, `Catch${id}`, {
    eventBus: controlBus,
    eventPattern: { source: [contract.applicationPlaneSource], detailType: [type], detail: { tenantId: [tenantId] } },
    targets: [new targets.SqsQueue(queue)],
  });
  return queue;
};
// The second cell's success for blue, which only its reply rule brings to the control plane's bus.
const successes = inbox('BlueSuccess', contract.provisionSuccess, 'blue');
const failures = inbox('GreenFailure', contract.provisionFailure, 'green');

const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/node:20-alpine');
const ECHO = ['node', '-e', "require('http').createServer((q,s)=>s.end(q.url==='/health'?'ok':'pooled')).listen(3010)"];

/** One cell: a basic tier, its router and pool, and its lifecycle on `bus` (or a bus of its own). */
function cell(id: string, cellId: string, ownBus: boolean) {
  const stack = new Stack(app, id);
  const application = new SaasApplication({
    tables: [{ name: 'products', sharing: TableSharing.POOLED }],
    services: [{ name: 'products', image, command: ECHO, pathPrefix: '/products', containerPort: 3010, tables: [{ table: 'products' }], httpMethods: [HttpMethod.GET] }],
  });
  const basic = new PooledEcsTier(stack, 'Basic', { ...common, vpc, application, tenants: [] });
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
    ...common,
    vpc,
    application,
    issuers: [TokenIssuer.cognito({ userPool: pool, clientIds: [client.userPoolClientId] })],
    tiers: [{ tierName: 'basic', routing: TierRouting.SHARED }],
    cloudWatchRole: false,
  });
  router.addSharedTier('basic', basic.routingTargets);
  const bus = ownBus ? new events.EventBus(stack, 'CellBus') : controlBus;
  const lifecycle = new TenantLifecycle(stack, 'Lifecycle', {
    ...common,
    eventBus: bus,
    cell: { cellId, controlPlaneBus: controlBus },
    contract,
    router,
    application,
    pooledTables: basic.pooledTables,
    sharedTiers: [{ tierName: 'basic', userPool: pool, appClientId: client.userPoolClientId, apiUrl: router.endpointForTier('basic') }],
  });
  return { stack, bus, lifecycle };
}

const one = cell('CellsCellOne', 'cell-1', false);
const two = cell('CellsCellTwo', 'cell-2', true);

// Its own stack: it refers to the second cell's bus, which refers to the control plane's.
const placementStack = new Stack(app, 'CellsPlacement');
const placement = new CellPlacement(placementStack, 'Cells', {
  ...common,
  eventBus: controlBus,
  contract,
  cells: [{ cellId: 'cell-1', eventBus: one.bus }, { cellId: 'cell-2', eventBus: two.bus }],
  tiers: [{ tierName: 'basic', perTenant: { 'basic/cognito.usersPerUserPool': 1 } }],
  limits: { 'basic/cognito.usersPerUserPool': 1 },
});

const integ = new IntegTest(app, 'CellsTest', {
  allowDestroy: ['AWS::ECS::TaskDefinition'],
  testCases: [control, one.stack, two.stack, placementStack],
  diffAssets: false,
  cdkCommandOptions: { destroy: { args: { force: true } } },
});

const onboard = (tenantId: string) => integ.assertions.awsApiCall('EventBridge', 'putEvents', {
  Entries: [{
    EventBusName: controlBus.eventBusName,
    Source: contract.controlPlaneSource,
    DetailType: contract.onboardingRequest,
    Detail: JSON.stringify({ tenantId, tenantRegistrationId: `reg-${tenantId}`, tier: 'basic', email: `admin@${tenantId}.example`, tenantName: tenantId }),
  }],
});
const registry = (lifecycle: TenantLifecycle, tenantId: string) => integ.assertions.awsApiCall('DynamoDB', 'getItem', {
  TableName: lifecycle.registry.tableName,
  Key: { tenantId: { S: tenantId } },
  ConsistentRead: true,
});
const placed = (tenantId: string) => integ.assertions.awsApiCall('DynamoDB', 'getItem', {
  TableName: placement.placements.tableName,
  Key: { id: { S: `tenant#${tenantId}` } },
  ConsistentRead: true,
});
const wait = { totalTimeout: Duration.minutes(5), interval: Duration.seconds(15) };

onboard('red')
  .next(registry(one.lifecycle, 'red').expect(ExpectedResult.objectLike({ Item: { status: { S: 'ACTIVE' } } })).waitForAssertions(wait))
  .next(placed('red').expect(ExpectedResult.objectLike({ Item: { cell: { S: 'cell-1' }, status: { S: 'PLACED' } } })))
  .next(onboard('blue'))
  .next(registry(two.lifecycle, 'blue').expect(ExpectedResult.objectLike({ Item: { status: { S: 'ACTIVE' } } })).waitForAssertions(wait))
  .next(placed('blue').expect(ExpectedResult.objectLike({ Item: { cell: { S: 'cell-2' } } })))
  .next(integ.assertions.awsApiCall('SQS', 'receiveMessage', { QueueUrl: successes.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 20 })
    .assertAtPath('Messages.0.Body', ExpectedResult.stringLikeRegexp('"tenantId":"blue".*"registrationStatus":"Created"'))
    .waitForAssertions(wait))
  .next(onboard('green'))
  .next(integ.assertions.awsApiCall('SQS', 'receiveMessage', { QueueUrl: failures.queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 20 })
    .assertAtPath('Messages.0.Body', ExpectedResult.stringLikeRegexp('"tenantId":"green".*no cell has room for a tenant of tier'))
    .waitForAssertions(wait));
