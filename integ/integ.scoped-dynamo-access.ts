import * as path from 'path';
import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Aspects, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { ScopedDynamoAccess, TableAccessLevel } from '../src';
import { IntegLintAcknowledgements } from './lint';

/**
 * Deployed proof of ScopedDynamoAccess with session tags: a probe function acting as one tenant (through the
 * runtime helper) writes and reads its own items, and DynamoDB denies it the other tenant's items and a scan.
 */
const app = new App();
Aspects.of(app).add(new IntegLintAcknowledgements());
const stack = new Stack(app, 'ScopedDynamoAccessInteg');

const products = new dynamodb.Table(stack, 'Products', {
  partitionKey: { name: 'tenantId', type: dynamodb.AttributeType.STRING },
  sortKey: { name: 'id', type: dynamodb.AttributeType.STRING },
  billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
  removalPolicy: RemovalPolicy.DESTROY,
});

const probe = new nodejs.NodejsFunction(stack, 'Probe', {
  entry: path.join(__dirname, 'handlers', 'scoped-dynamo-probe.ts'),
  runtime: lambda.Runtime.NODEJS_24_X,
  timeout: Duration.seconds(30),
  logGroup: new logs.LogGroup(stack, 'ProbeLogs', {
    retention: logs.RetentionDays.ONE_WEEK,
    removalPolicy: RemovalPolicy.DESTROY,
  }),
});

const access = new ScopedDynamoAccess(stack, 'ProductAccess', {
  grantee: probe,
  pooledTables: [{ table: products, accessLevel: TableAccessLevel.READ_WRITE }],
});
for (const [name, value] of Object.entries(access.environment)) {
  probe.addEnvironment(name, value);
}

const integ = new IntegTest(app, 'ScopedDynamoAccessTest', {
  testCases: [stack],
  diffAssets: false,
  cdkCommandOptions: { destroy: { args: { force: true } } },
});

const EXPECTED = 'own-write=allowed own-read=allowed other-read=denied other-write=denied other-query=denied scan=denied';

const asA = integ.assertions.invokeFunction({
  functionName: probe.functionName,
  payload: JSON.stringify({ tenantId: 'tenant-a', otherTenantId: 'tenant-b' }),
});
asA.assertAtPath('Payload.summary', ExpectedResult.exact(EXPECTED));

const asB = integ.assertions.invokeFunction({
  functionName: probe.functionName,
  payload: JSON.stringify({ tenantId: 'tenant-b', otherTenantId: 'tenant-a' }),
});
asB.assertAtPath('Payload.summary', ExpectedResult.exact(EXPECTED));

asA.next(asB);
