import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { PooledEcsTier, RunningHours, SiloServiceTier, TenantRouter, TenantTemplate } from '../src';
import { bridgeApplication, pooledApplication, vpcStack } from './util/fixtures';
import { resourcesOf, routerProps } from './util/router-fixtures';
import { AuthorizerConfig } from '../src/contract/router';
import { isServing, START_WARMUP_MINUTES, STOP_DRAIN_MINUTES } from '../src/contract/running-hours';
import { createAuthorizer, verifierFor } from '../src/router/lambda/authorizer';

/** Running hours (docs/cost.md): services scaled to zero outside them, and the router answering for the tier. */
const OFFICE = RunningHours.of({ startHour: 7, stopHour: 19 });

describe('RunningHours', () => {
  test('defaults to weekdays, and describes itself', () => {
    expect(OFFICE).toMatchObject({ startHour: 7, stopHour: 19, weekdaysOnly: true });
    expect(OFFICE.description).toBe('Monday to Friday, 07:00 to 19:00 UTC');
    expect(RunningHours.of({ startHour: 0, stopHour: 23, weekdaysOnly: false }).description).toBe('every day, 00:00 to 23:00 UTC');
  });

  test.each([
    [{ startHour: -1, stopHour: 5 }, 'runningHours.startHour must be a whole hour from 0 to 23 (UTC); got -1.'],
    [{ startHour: 7.5, stopHour: 19 }, 'runningHours.startHour must be a whole hour from 0 to 23 (UTC); got 7.5.'],
    [{ startHour: 9, stopHour: 9 }, 'runningHours.stopHour must be a whole hour after startHour (9), at most 23 (UTC); got 9.'],
    [{ startHour: 9, stopHour: 24 }, 'runningHours.stopHour must be a whole hour after startHour (9), at most 23 (UTC); got 24.'],
  ])('refuses %j, naming the prop and the value', (props, message) => {
    expect(() => RunningHours.of(props)).toThrow(message);
  });
});

describe('isServing (what the authorizer decides with)', () => {
  const at = (iso: string) => isServing({ startHour: 7, stopHour: 19, weekdaysOnly: true }, new Date(iso));
  test('from the warm-up after the start hour to the stop hour, on weekdays', () => {
    // 2026-11-30 is a Monday.
    expect(at('2026-11-30T07:00:00Z')).toBe(false);
    expect(at(`2026-11-30T07:0${START_WARMUP_MINUTES - 1}:59Z`)).toBe(false);
    expect(at(`2026-11-30T07:0${START_WARMUP_MINUTES}:00Z`)).toBe(true);
    expect(at('2026-11-30T18:59:59Z')).toBe(true);
    expect(at('2026-11-30T19:00:00Z')).toBe(false);
    expect(at('2026-12-04T12:00:00Z')).toBe(true); // Friday
    expect(at('2026-12-05T12:00:00Z')).toBe(false); // Saturday
    expect(at('2026-12-06T12:00:00Z')).toBe(false); // Sunday
    expect(isServing({ startHour: 7, stopHour: 19, weekdaysOnly: false }, new Date('2026-12-06T12:00:00Z'))).toBe(true);
  });
});

function stackWithHours(hours: RunningHours | undefined) {
  const { stack, vpc } = vpcStack();
  const basic = new PooledEcsTier(stack, 'Basic', { vpc, application: pooledApplication(), tenants: ['b1'], runningHours: hours });
  const advanced = new SiloServiceTier(stack, 'Advanced', {
    vpc, application: bridgeApplication(), pooledTables: { products: basic.pooledTables.products }, tenants: ['acme', 'globex'], runningHours: hours,
  });
  const router = new TenantRouter(stack, 'Router', routerProps(vpc));
  router.addSharedTier('basic', basic.routingTargets);
  router.addTenants(advanced.tenants);
  return { stack, router, basic, advanced, vpc };
}

describe('the tiers', () => {
  test('every service and proxy scales to zero after the stop hour and back at the start hour, on weekdays', () => {
    const { stack } = stackWithHours(OFFICE);
    const targets = Object.values<any>(Template.fromStack(stack).findResources('AWS::ApplicationAutoScaling::ScalableTarget'));
    expect(targets).toHaveLength(9); // basic: 2 services + proxy; acme and globex: 2 + proxy each
    for (const t of targets) {
      const { MinCapacity: min, MaxCapacity: max } = t.Properties;
      expect(t.Properties.ScheduledActions).toEqual([
        { ScheduledActionName: expect.stringMatching(/Start/), Schedule: 'cron(0 7 ? * MON-FRI *)', ScalableTargetAction: { MinCapacity: min, MaxCapacity: max } },
        { ScheduledActionName: expect.stringMatching(/Stop/), Schedule: `cron(${STOP_DRAIN_MINUTES} 19 ? * MON-FRI *)`, ScalableTargetAction: { MinCapacity: 0, MaxCapacity: 0 } },
      ]);
    }
  });

  test('every day when not weekdays only; no schedule without running hours', () => {
    const { stack } = stackWithHours(RunningHours.of({ startHour: 6, stopHour: 22, weekdaysOnly: false }));
    const t = Object.values<any>(Template.fromStack(stack).findResources('AWS::ApplicationAutoScaling::ScalableTarget'))[0];
    expect(t.Properties.ScheduledActions.map((a: any) => a.Schedule)).toEqual(['cron(0 6 * * ? *)', `cron(${STOP_DRAIN_MINUTES} 22 * * ? *)`]);
    const { stack: always } = stackWithHours(undefined);
    for (const x of Object.values<any>(Template.fromStack(always).findResources('AWS::ApplicationAutoScaling::ScalableTarget'))) {
      expect(x.Properties.ScheduledActions).toBeUndefined();
    }
  });
});

describe('the router', () => {
  test('each shard answers a stopped tier\'s routing key with 503 and the hours, at the top priorities', () => {
    const { stack } = stackWithHours(OFFICE);
    const rules = resourcesOf(stack, 'AWS::ElasticLoadBalancingV2::ListenerRule')
      .filter((r) => JSON.stringify(r.props.Conditions).includes('stopped:'));
    expect(rules.map((r) => [r.props.Conditions[0].HttpHeaderConfig.Values[0], r.props.Priority]).sort()).toEqual([['stopped:advanced', 49999], ['stopped:basic', 50000]]);
    for (const r of rules) {
      expect(r.props.Actions).toEqual([{
        Type: 'fixed-response',
        FixedResponseConfig: {
          StatusCode: '503',
          ContentType: 'application/json',
          MessageBody: '{"message":"This tenant\'s services are stopped outside their running hours (Monday to Friday, 07:00 to 19:00 UTC)."}',
        },
      }]);
    }
  });

  test('the authorizer is told each tier\'s hours; a tier without them is not', () => {
    const { stack, router } = stackWithHours(OFFICE);
    const fn = Template.fromStack(stack).findResources('AWS::Lambda::Function');
    const id = stack.getLogicalId(router.authorizer.node.defaultChild as any);
    const config = JSON.parse(stack.resolve(fn[id].Properties.Environment.Variables.AUTHORIZER_CONFIG));
    expect(config.tiers.basic.runningHours).toEqual({ startHour: 7, stopHour: 19, weekdaysOnly: true });
    expect(config.tiers.advanced.runningHours).toEqual({ startHour: 7, stopHour: 19, weekdaysOnly: true });
    const { stack: always, router: r2 } = stackWithHours(undefined);
    const fn2 = Template.fromStack(always).findResources('AWS::Lambda::Function')[always.getLogicalId(r2.authorizer.node.defaultChild as any)];
    expect(JSON.parse(always.resolve(fn2.Properties.Environment.Variables.AUTHORIZER_CONFIG)).tiers.advanced.runningHours).toBeUndefined();
  });

  test('a tenant stack template\'s route makes every shard it may choose answer for its tier', () => {
    // A router whose advanced tier has hours only through its template tenants.
    const s2 = new Stack(new App(), 'Second');
    const v2 = new ec2.Vpc(s2, 'Vpc', { maxAzs: 2 });
    const r2 = new TenantRouter(s2, 'Router', routerProps(v2, { minShards: 2 }));
    const t2 = new TenantTemplate(s2, 'AdvancedTenant', { tierName: 'advanced' });
    const tier = new SiloServiceTier(t2, 'Advanced', { vpc: v2, application: bridgeApplication(), runningHours: OFFICE });
    r2.addTenant(tier.addTenant(t2.tenantId), { shard: t2.routerShard, priority: t2.rulePriority });
    t2.configureTenant({ userPoolId: 'pool', appClientId: 'client', apiUrl: r2.endpointFor(t2.tenantId) });
    const stopped = resourcesOf(s2, 'AWS::ElasticLoadBalancingV2::ListenerRule').filter((r) => JSON.stringify(r.props.Conditions).includes('stopped:advanced'));
    expect(stopped.map((r) => r.stack).sort()).toEqual(['Shard0', 'Shard1']);
    expect(r2._extraPriorities(0)).toEqual([49999]);
  });

  test('tenants of one tier with different hours, and a cache longer than the drain, fail at synth', () => {
    const { stack, vpc } = vpcStack();
    const a = new SiloServiceTier(stack, 'A', { vpc, application: bridgeApplication(), tierName: 'advanced', tenants: ['acme'], runningHours: OFFICE });
    const b = new SiloServiceTier(stack, 'B', { vpc, application: bridgeApplication(), tierName: 'advanced2', tenants: ['globex'] });
    const router = new TenantRouter(stack, 'Router', routerProps(vpc));
    router.addTenants(a.tenants);
    const other = { ...b.tenants[0], tierName: 'advanced' };
    expect(() => router.addTenant(other)).toThrow(
      "tenant 'globex' runs always, but other tenants of tier 'advanced' run Monday to Friday, 07:00 to 19:00 UTC: every tenant of a tier has the tier's running hours (the router answers for the whole tier).");

    const { stack: s3, vpc: v3 } = vpcStack('Third');
    const t3 = new SiloServiceTier(s3, 'Advanced', { vpc: v3, application: bridgeApplication(), tenants: ['acme'], runningHours: OFFICE });
    const r3 = new TenantRouter(s3, 'Router', routerProps(v3, { authorizerCacheTtl: Duration.minutes(15) }));
    r3.addTenants(t3.tenants);
    expect(() => Template.fromStack(s3)).toThrow(/authorizerCacheTtl must be at most 10 minutes so that no cached decision outlives them; got 900 seconds/);
  });
});

describe('the authorizer', () => {
  test('routes a tier\'s requests to stopped:<tier> outside its hours, and to the tenant inside them', async () => {
    const issuer = 'https://login.example.com';
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const config: AuthorizerConfig = {
      issuers: [{ issuer, audiences: ['app'] }],
      claims: { tenantId: 'tenantId', tier: 'tier', role: 'role' },
      tiers: { advanced: { routing: 'PER_TENANT', runningHours: { startHour: 7, stopHour: 19, weekdaysOnly: true } }, premium: { routing: 'PER_TENANT' } },
      roleRules: [],
    };
    const verifier = verifierFor(config);
    verifier.cacheJwks({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k', alg: 'RS256', use: 'sig' }] } as any, issuer);
    let now = new Date('2026-11-30T12:00:00Z');
    const authorize = createAuthorizer(config, async () => 'key', verifier, () => undefined, undefined, () => now);
    const token = (tier: string) => new SignJWT({ tenantId: 'acme', tier, role: 'User' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k' }).setIssuer(issuer).setAudience('app').setIssuedAt().setExpirationTime('1h').sign(privateKey);
    const key = async (tier: string) => (await authorize({ methodArn: 'arn:aws:execute-api:us-east-1:1:api/prod/GET/products', headers: { Authorization: `Bearer ${await token(tier)}` } })).context?.routingKey;
    expect(await key('advanced')).toBe('acme');
    now = new Date('2026-11-30T20:00:00Z');
    expect(await key('advanced')).toBe('stopped:advanced');
    expect(await key('premium')).toBe('acme');
  });
});

