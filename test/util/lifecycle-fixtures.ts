import { App, AppProps, Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import { pooledApplication } from './fixtures';
import { routerProps } from './router-fixtures';
import { PooledEcsTier, SbtContract, SiloServiceTier, TenantLifecycle, TenantLifecycleProps, TenantRouter, TenantRouterProps, TenantTemplate } from '../../src';

/**
 * An application plane as the lifecycle expects it: a basic (shared) tier with one declared tenant, and an advanced
 * tier whose tenants are provisioned from a template. Environment-agnostic, as TenantTemplate needs.
 */
export function lifecycleStack(
  overrides: Partial<TenantLifecycleProps> | ((bus: events.IEventBus, stack: Stack) => Partial<TenantLifecycleProps>) = {},
  appProps: AppProps = {}, openShardsAtRunTime = false, within?: { scope: Construct; stackId: string; basicTenants?: string[] },
  routerOptions: Partial<TenantRouterProps> = {},
) {
  const app = within ? (within.scope.node.root as App) : new App(appProps);
  const stack = new Stack(within?.scope ?? app, within?.stackId ?? 'Plane');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1, flowLogs: { all: {} } });
  const application = pooledApplication();
  const basic = new PooledEcsTier(stack, 'Basic', { vpc, application, tenants: within?.basicTenants ?? ['basic-1'] });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENHANCED });
  const pool = new cognito.UserPool(stack, 'Users', {
    passwordPolicy: { minLength: 12, requireLowercase: true, requireUppercase: true, requireDigits: true, requireSymbols: true },
    mfa: cognito.Mfa.REQUIRED,
    mfaSecondFactor: { otp: true, sms: false },
    featurePlan: cognito.FeaturePlan.PLUS,
    standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
  });
  const client = pool.addClient('App');
  const router = new TenantRouter(stack, 'Router', routerProps(vpc, { application, minShards: 2, issuerRegistry: true, openShardsAtRunTime, ...routerOptions }));
  router.addTenants(basic.tenants);

  const template = new TenantTemplate(stack, 'AdvancedTenant', { tierName: 'advanced' });
  const advanced = new SiloServiceTier(template, 'Advanced', { vpc, cluster, application, pooledTables: basic.pooledTables });
  router.addTenant(advanced.addTenant(template.tenantId), {
    shard: template.routerShard,
    priority: template.rulePriority,
    runtimeShard: openShardsAtRunTime ? template.runtimeShard : undefined,
  });
  // Each advanced tenant has a user pool of its own, as in the reference.
  const identity = template.addTenantIdentity();
  template.configureTenant({
    userPoolId: identity.userPool.userPoolId,
    appClientId: identity.appClient.userPoolClientId,
    apiUrl: router.endpointFor(template.tenantId),
  });

  const bus = new events.EventBus(stack, 'Bus');
  const props: TenantLifecycleProps = {
    eventBus: bus,
    contract: SbtContract.V0_5,
    router,
    application,
    pooledTables: basic.pooledTables,
    sharedTiers: [{ tierName: 'basic', userPool: pool, appClientId: client.userPoolClientId, apiUrl: router.endpointForTier('basic') }],
    stackTiers: [{ template }],
    ...(typeof overrides === 'function' ? overrides(bus, stack) : overrides),
  };
  const lifecycle = new TenantLifecycle(stack, 'Lifecycle', props);
  return { app, stack, vpc, basic, router, template, pool, bus, lifecycle };
}
