import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Aspects, Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { HttpMethod, PooledEcsTier, SaasApplication, SiloServiceTier, TableSharing, TenantRouter, TierRouting, TokenIssuer } from '../src';
import { IntegLintAcknowledgements } from './lint';

/**
 * Deployed proof of the request path: API Gateway → Lambda authorizer → VPC link → shard ALB → tenant proxy.
 * - no token → 401; a token with a forged signature → 403; a valid token of a user pool the router does not trust → 403;
 * - a valid token → 200 from the tenant it names, whatever routing header the client sends;
 * - the role rule: a TenantUser is refused /orders, a TenantAdmin is served;
 * - CORS: a preflight is answered without a token or key (204, the request's allowed origin, the service's methods);
 *   API Gateway's own 401 and the tenant proxy's 200 carry the origin too.
 */
const app = new App();
Aspects.of(app).add(new IntegLintAcknowledgements());
const stack = new Stack(app, 'TenantRouterInteg');
const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });

// Echo service: answers /health, and its service, tenant, tier and path otherwise.
const ECHO = [
  'node', '-e',
  "require('http').createServer((q,s)=>{if(q.url==='/health'){s.end('ok');return}s.setHeader('content-type','application/json');" +
  "s.end(JSON.stringify({service:process.env.SERVICE,tenant:process.env.TENANT_ID||'pooled',tier:process.env.TIER_NAME,path:q.url}))}).listen(Number(process.env.PORT))",
];
const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/node:20-alpine');
const service = (name: string, port: number) => ({
  name,
  image,
  command: ECHO,
  pathPrefix: `/${name}`,
  containerPort: port,
  environment: { SERVICE: name, PORT: String(port) },
  tables: [{ table: 'products' }],
  httpMethods: [HttpMethod.GET, HttpMethod.POST],
});
// Two origins: the preflight must pick the request's, and API Gateway's errors repeat it (docs/cors.md).
const APP_ORIGIN = 'https://app.example.com';
const DEV_ORIGIN = 'http://localhost:5173';
const application = new SaasApplication({
  cors: { allowOrigins: [APP_ORIGIN, DEV_ORIGIN] },
  tables: [{ name: 'products', sharing: TableSharing.POOLED }],
  services: [service('products', 3010), service('orders', 3020)],
});

const common = { vpc, application, removalPolicy: RemovalPolicy.DESTROY, logRetention: logs.RetentionDays.ONE_DAY };
const basic = new PooledEcsTier(stack, 'Basic', { ...common, tenants: ['basic-1'] });
const advanced = new SiloServiceTier(stack, 'Advanced', { ...common, pooledTables: basic.pooledTables, tenants: ['acme', 'globex'] });

// The trusted user pool, with the reference's custom attributes, and an untrusted one with the same attributes.
function userPool(id: string) {
  const pool = new cognito.UserPool(stack, id, {
    customAttributes: {
      tenantId: new cognito.StringAttribute({ mutable: false }),
      tenantTier: new cognito.StringAttribute({ mutable: false }),
      userRole: new cognito.StringAttribute({ mutable: false }),
    },
    removalPolicy: RemovalPolicy.DESTROY,
    passwordPolicy: { minLength: 12 },
  });
  const client = pool.addClient('Client', { authFlows: { adminUserPassword: true } });
  return { pool, client };
}
const trusted = userPool('Users');
const untrusted = userPool('Untrusted');

const router = new TenantRouter(stack, 'Router', {
  vpc,
  application,
  issuers: [TokenIssuer.cognito({ userPool: trusted.pool, clientIds: [trusted.client.userPoolClientId] })],
  tiers: [
    { tierName: 'basic', routing: TierRouting.SHARED },
    { tierName: 'advanced', routing: TierRouting.PER_TENANT },
  ],
  roleRules: [{ pathPrefix: '/orders', allowedRoles: ['TenantAdmin'] }],
  authorizerCacheTtl: Duration.seconds(0),
  removalPolicy: RemovalPolicy.DESTROY,
  logRetention: logs.RetentionDays.ONE_DAY,
  cloudWatchRole: false,
});
router.addTenants([...basic.tenants, ...advanced.tenants]);

const integ = new IntegTest(app, 'TenantRouterTest', {
  // A task definition is replaced by a new revision whenever a container changes (the proxy's nginx configuration, say);
  // its service rolls to it. integ-runner counts that as destructive.
  // The stage's deployment is replaced whenever the API changes (CDK names it by a hash of the API): that is how API
  // Gateway deploys, not a loss.
  allowDestroy: ['AWS::ECS::TaskDefinition', 'AWS::ApiGateway::Deployment'],
  testCases: [stack],
  diffAssets: false,
  cdkCommandOptions: { destroy: { args: { force: true } } },
});

// Test users; the password is for a throw-away pool that the test deletes.
const PASSWORD = 'Integ-Test-Pass-2026!';
function idToken(pool: { pool: cognito.UserPool; client: cognito.UserPoolClient }, username: string, tenantId: string, tier: string, role: string) {
  const create = integ.assertions.awsApiCall('CognitoIdentityServiceProvider', 'adminCreateUser', {
    UserPoolId: pool.pool.userPoolId,
    Username: username,
    MessageAction: 'SUPPRESS',
    UserAttributes: [
      { Name: 'custom:tenantId', Value: tenantId },
      { Name: 'custom:tenantTier', Value: tier },
      { Name: 'custom:userRole', Value: role },
    ],
  });
  const password = integ.assertions.awsApiCall('CognitoIdentityServiceProvider', 'adminSetUserPassword', {
    UserPoolId: pool.pool.userPoolId,
    Username: username,
    Password: PASSWORD,
    Permanent: true,
  });
  const auth = integ.assertions.awsApiCall('CognitoIdentityServiceProvider', 'adminInitiateAuth', {
    UserPoolId: pool.pool.userPoolId,
    ClientId: pool.client.userPoolClientId,
    AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
    AuthParameters: { USERNAME: username, PASSWORD },
  }, ['AuthenticationResult.IdToken']);
  create.next(password).next(auth);
  return { token: auth.getAttString('AuthenticationResult.IdToken'), ready: auth };
}

const acmeUser = idToken(trusted, 'acme-user', 'acme', 'advanced', 'TenantUser');
const globexAdmin = idToken(trusted, 'globex-admin', 'globex', 'advanced', 'TenantAdmin');
const basicAdmin = idToken(trusted, 'basic-admin', 'basic-1', 'basic', 'TenantAdmin');
const outsider = idToken(untrusted, 'outsider', 'acme', 'advanced', 'TenantAdmin');

const url = router.endpointFor('acme');
const get = (p: string, headers: Record<string, string> = {}) => integ.assertions.httpApiCall(`${url}${p}`, { headers });
const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });
// The valid token's header and payload with a signature that is not the pool's.
const forged = Fn.join('.', [
  Fn.select(0, Fn.split('.', acmeUser.token)),
  Fn.select(1, Fn.split('.', acmeUser.token)),
  'c2lnbmF0dXJlLW5vdC1ieS10aGUtdXNlci1wb29s',
]);

get('products').expect(ExpectedResult.objectLike({ status: 401 }));
acmeUser.ready.next(get('products/1', bearer(forged)).expect(ExpectedResult.objectLike({ status: 403 })));
outsider.ready.next(get('products/1', bearer(outsider.token)).expect(ExpectedResult.objectLike({ status: 403 })));

acmeUser.ready.next(
  get('products/1', { ...bearer(acmeUser.token), 'x-tenant-route': 'globex' })
    .expect(ExpectedResult.objectLike({ status: 200, body: { service: 'products', tenant: 'acme', path: '/products/1' } }))
    .waitForAssertions({ totalTimeout: Duration.minutes(15), interval: Duration.seconds(30) }),
);
acmeUser.ready.next(get('orders', bearer(acmeUser.token)).expect(ExpectedResult.objectLike({ status: 403 })));
globexAdmin.ready.next(
  get('orders/9', bearer(globexAdmin.token))
    .expect(ExpectedResult.objectLike({ status: 200, body: { service: 'orders', tenant: 'globex' } }))
    .waitForAssertions({ totalTimeout: Duration.minutes(15), interval: Duration.seconds(30) }),
);
basicAdmin.ready.next(
  get('products', bearer(basicAdmin.token))
    .expect(ExpectedResult.objectLike({ status: 200, body: { tenant: 'pooled', tier: 'basic' } }))
    .waitForAssertions({ totalTimeout: Duration.minutes(15), interval: Duration.seconds(30) }),
);

// CORS (docs/cors.md).
integ.assertions.httpApiCall(`${url}products`, {
  method: 'OPTIONS',
  headers: { 'Origin': DEV_ORIGIN, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' },
}).expect(ExpectedResult.objectLike({
  status: 204,
  headers: {
    'access-control-allow-origin': [DEV_ORIGIN],
    'access-control-allow-methods': ['GET,POST'],
    'access-control-allow-headers': ['Authorization,Content-Type,Idempotency-Key'],
  },
}));
integ.assertions.httpApiCall(`${url}products/1`, { method: 'OPTIONS', headers: { 'Origin': 'https://evil.example.com', 'Access-Control-Request-Method': 'GET' } })
  .expect(ExpectedResult.objectLike({ status: 204, headers: { 'access-control-allow-origin': [APP_ORIGIN] } }));
get('products', { Origin: APP_ORIGIN }).expect(ExpectedResult.objectLike({ status: 401, headers: { 'access-control-allow-origin': [APP_ORIGIN] } }));
acmeUser.ready.next(
  get('products/2', { ...bearer(acmeUser.token), Origin: DEV_ORIGIN })
    .expect(ExpectedResult.objectLike({ status: 200, headers: { 'access-control-allow-origin': [DEV_ORIGIN] } }))
    .waitForAssertions({ totalTimeout: Duration.minutes(15), interval: Duration.seconds(30) }),
);
