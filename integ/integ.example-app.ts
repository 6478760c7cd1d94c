import { spawnSync } from 'child_process';
import * as path from 'path';
import { ExpectedResult, IApiCall, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Aspects, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { IntegLintAcknowledgements } from './lint';
import { EcsSaasExample } from '../examples/saas-app';
import { contentSecurityPolicy, SECURITY_HEADERS, WEB_CONFIG_FILE } from '../examples/web/shared/contract';
import { webConnectSources } from '../examples/web-hosting';

/**
 * Deployed proof of the example app end to end (docs/example-app.md), through the control plane as an operator uses
 * it:
 * 1. two basic tenants and one advanced tenant are registered through the control plane's API (a machine token);
 * 2. each registration turns `Created` once the tenant lifecycle has provisioned the tenant (a user and group in the
 *    shared pool for basic; a stack of its own, from the tenant template, for advanced);
 * 3. the first basic tenant's administrator signs in (MFA set up with a TOTP authenticator) and creates a product
 *    through the router; the product is there for that tenant;
 * 4. the second tenant, signed in the same way, cannot read, change or delete that product by its id, and its own
 *    list is empty; the first tenant still has it, unchanged;
 * 5. the advanced tenant has exactly one stack (an available Service Catalog product); offboarding it through the
 *    control plane removes it;
 * 6. the web apps are served by CloudFront with their security headers: a deep link gets the app (the SPA fallback),
 *    a missing asset does not, and each app's `config.json` names the control plane and the tiers written at deploy
 *    time.
 *
 * The declared tenants are left out (the example's own are for `synth:example`): this test is about tenants that
 * arrive through the control plane. Without Docker (as when the snapshot is verified offline), bundling is skipped
 * for the control plane's Python functions only; deploying this test needs Docker, as the example does.
 */
const docker = spawnSync('docker', ['info'], { stdio: 'ignore' }).status === 0;
const app = new App({
  postCliContext: docker ? undefined : { 'aws:cdk:bundling-stacks': ['EcsSaasApplicationPlane', 'EcsSaasApplicationPlane/**', 'EcsSaasExampleTestClient', 'EcsSaasExampleTestClient/**'] },
});
Aspects.of(app).add(new IntegLintAcknowledgements());
const example = new EcsSaasExample(app, {
  systemAdminEmail: 'integ-admin@example.com',
  tenants: { basic: [], advanced: [], premium: [] },
  serverSideSignIn: true,
  removalPolicy: RemovalPolicy.DESTROY,
});
const cp = example.controlPlane;
const plane = example.applicationPlane;

// The test's client of the control plane and of the tenant pool, in a stack of its own.
const support = new Stack(app, 'EcsSaasExampleTestClient');
const client = new nodejs.NodejsFunction(support, 'Client', {
  entry: path.join(__dirname, 'handlers', 'example-e2e-client.ts'),
  runtime: lambda.Runtime.NODEJS_22_X,
  timeout: Duration.seconds(60),
  environment: {
    CONTROL_PLANE_URL: cp.apiUrl,
    ADMIN_POOL_ID: cp.auth.userPool.userPoolId,
    MACHINE_CLIENT_ID: cp.auth.machineClientId,
    TOKEN_ENDPOINT: cp.auth.tokenEndpoint,
  },
  logGroup: new logs.LogGroup(support, 'ClientLogs', { retention: logs.RetentionDays.ONE_DAY, removalPolicy: RemovalPolicy.DESTROY }),
});
client.addToRolePolicy(new iam.PolicyStatement({ actions: ['cognito-idp:DescribeUserPoolClient'], resources: [cp.auth.userPool.userPoolArn] }));
client.addToRolePolicy(new iam.PolicyStatement({
  actions: ['cognito-idp:AdminSetUserPassword', 'cognito-idp:AdminSetUserMFAPreference', 'cognito-idp:AdminInitiateAuth', 'cognito-idp:AdminRespondToAuthChallenge'],
  resources: [plane.userPool.userPoolArn],
}));

const integ = new IntegTest(app, 'EcsSaasExampleTest', {
  // A task definition is replaced by a new revision whenever a container changes (the proxy's nginx configuration, say);
  // its service rolls to it. integ-runner counts that as destructive.
  // An API deployment is a snapshot of the REST API, replaced whenever the API changes (its CORS origins, say).
  allowDestroy: ['AWS::ECS::TaskDefinition', 'AWS::ApiGateway::Deployment'],
  testCases: [example.webHosting, cp, plane, example.webContent, support],
  diffAssets: false,
  cdkCommandOptions: { destroy: { args: { force: true } } },
});

const invoke = (payload: Record<string, string>) =>
  integ.assertions.invokeFunction({ functionName: client.functionName, payload: JSON.stringify(payload) });

function onboard(name: string, tier: string, wait: Duration) {
  const email = `${name}@example.com`;
  // A call whose attributes are read returns those only (it cannot also be asserted on): the registration id exists
  // only if the control plane answered 201, and the registration's status is what the next call asserts.
  const register = invoke({ action: 'register', tenantName: name, email, tier });
  const registrationId = register.getAttString('Payload.registrationId');
  const created = invoke({ action: 'registration', registrationId })
    .assertAtPath('Payload.registrationStatus', ExpectedResult.exact('Created'))
    .waitForAssertions({ totalTimeout: wait, interval: Duration.seconds(30) });
  register.next(created);
  return { email, registrationId, tenantId: register.getAttString('Payload.tenantId'), created };
}

function signIn(tenant: { email: string; created: IApiCall }) {
  const call = invoke({ action: 'signIn', userPoolId: plane.userPool.userPoolId, clientId: plane.signInClient!.userPoolClientId, username: tenant.email });
  tenant.created.next(call);
  return { token: call.getAttString('Payload.idToken'), ready: call };
}

// 1–2. Registration through the control plane, answered by the tenant lifecycle.
const blue = onboard('e2e-blue', 'basic', Duration.minutes(10));
const green = onboard('e2e-green', 'basic', Duration.minutes(10));
const acme = onboard('e2e-acme', 'advanced', Duration.minutes(45));

// 3–4. The tenant API, as each tenant.
const api = plane.router.endpointForTier('basic');
const asTenant = (token: string, method: string, p: string, body?: unknown) => integ.assertions.httpApiCall(`${api}${p}`, {
  method,
  headers: { 'Authorization': `Bearer ${token}`, 'Content-Type': 'application/json' },
  body: body === undefined ? undefined : JSON.stringify(body),
});
const blueUser = signIn(blue);
const greenUser = signIn(green);

// The product's id is read from the answer (so that call is not asserted on): the GET that follows proves it exists.
const create = asTenant(blueUser.token, 'POST', 'products', { name: 'Blue widget', price: 12.5 });
const productId = create.getAttString('body.id');
blueUser.ready.next(greenUser.ready).next(create)
  .next(asTenant(blueUser.token, 'GET', `products/${productId}`).expect(ExpectedResult.objectLike({ status: 200, body: { id: productId, name: 'Blue widget' } })))
  .next(asTenant(greenUser.token, 'GET', `products/${productId}`).expect(ExpectedResult.objectLike({ status: 404 })))
  .next(asTenant(greenUser.token, 'PUT', `products/${productId}`, { name: 'Taken over', price: 0 }).expect(ExpectedResult.objectLike({ status: 404 })))
  .next(asTenant(greenUser.token, 'DELETE', `products/${productId}`).expect(ExpectedResult.objectLike({ status: 404 })))
  .next(asTenant(greenUser.token, 'GET', 'products').expect(ExpectedResult.objectLike({ status: 200, body: { items: [] } })))
  .next(asTenant(blueUser.token, 'GET', `products/${productId}`).expect(ExpectedResult.objectLike({ status: 200, body: { name: 'Blue widget', price: 12.5 } })))
  // A body that names another tenant is refused, not obeyed.
  .next(asTenant(greenUser.token, 'POST', 'products', { name: 'Spoof', price: 1, tenantId: 'e2e-blue' }).expect(ExpectedResult.objectLike({ status: 400 })));

// 4b. Each onboarded tenant has an API key of its own (throttled and metered on its own), and the metering function
// reads the router's plans, their usage and keys with its role: a past day with no traffic sends nothing.
blueUser.ready.next(integ.assertions.awsApiCall('APIGateway', 'getApiKeys', { customerId: 'e2e-blue' })
  .expect(ExpectedResult.objectLike({ items: [{ customerId: 'e2e-blue', enabled: true }] })));
integ.assertions.invokeFunction({ functionName: plane.metering.meteringFunction.functionName, payload: JSON.stringify({ period: '2026-01-01' }) })
  .expect(ExpectedResult.objectLike({ Payload: { period: '2026-01-01', sent: 0, alreadySent: 0 } }));

// 5. The advanced tenant's stack exists; offboarding it through the control plane removes it.
const acmeStacks = () => integ.assertions.awsApiCall('ServiceCatalog', 'searchProvisionedProducts', {
  AccessLevelFilter: { Key: 'Account', Value: 'self' },
  Filters: { SearchQuery: [`name:${plane.stackName}-${acme.tenantId}`] },
});
acme.created
  .next(acmeStacks().expect(ExpectedResult.objectLike({ TotalResultsCount: 1, ProvisionedProducts: [{ Status: 'AVAILABLE' }] })))
  .next(invoke({ action: 'deregister', registrationId: acme.registrationId }).assertAtPath('Payload.status', ExpectedResult.exact(200)))
  .next(acmeStacks().expect(ExpectedResult.objectLike({ TotalResultsCount: 0 }))
    .waitForAssertions({ totalTimeout: Duration.minutes(30), interval: Duration.minutes(1) }));

// 6. The web apps as deployed (docs/web-apps.md).
const hosting = example.webHosting;
const securityHeaders = {
  'content-security-policy': [contentSecurityPolicy(webConnectSources(hosting.region))],
  'strict-transport-security': [SECURITY_HEADERS['Strict-Transport-Security']],
  'x-frame-options': [SECURITY_HEADERS['X-Frame-Options']],
  'x-content-type-options': [SECURITY_HEADERS['X-Content-Type-Options']],
  'referrer-policy': [SECURITY_HEADERS['Referrer-Policy']],
};
integ.assertions.httpApiCall(`${hosting.tenantAppOrigin}/orders/any-order`)
  .expect(ExpectedResult.objectLike({ status: 200, headers: securityHeaders }));
integ.assertions.httpApiCall(`${hosting.adminConsoleOrigin}/tenants/any-tenant`)
  .expect(ExpectedResult.objectLike({ status: 200, headers: securityHeaders }));
// A missing file is not answered with the app: the fallback is for routes only.
integ.assertions.httpApiCall(`${hosting.adminConsoleOrigin}/assets/missing-file.js`).expect(ExpectedResult.objectLike({ status: 403 }));
integ.assertions.httpApiCall(`${hosting.adminConsoleOrigin}/${WEB_CONFIG_FILE}`).expect(ExpectedResult.objectLike({
  status: 200,
  body: { controlPlaneApiUrl: cp.apiUrl, userPoolId: cp.auth.userPool.userPoolId, tiers: plane.onboardingTiers },
}));
integ.assertions.httpApiCall(`${hosting.tenantAppOrigin}/${WEB_CONFIG_FILE}`).expect(ExpectedResult.objectLike({
  status: 200,
  body: { controlPlaneApiUrl: cp.apiUrl },
}));
