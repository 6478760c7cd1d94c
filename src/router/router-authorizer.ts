import { Duration, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { TenantRouterProps, TierRouting } from './router-options';
import { TierSettings } from './router-validation';
import {
  ENV_AUTHORIZER_CONFIG,
  ENV_ISSUER_REGISTRY_TABLE, ENV_SUSPENSION_TABLE,
  ENV_TENANT_KEY_MARKER,
  ENV_TIER_API_KEYS,
} from '../contract/environment';
import { TENANT_CLAIMS } from '../contract/identity';
import { AuthorizerConfig, LAMBDA_ENVIRONMENT_LIMIT } from '../contract/router';
import { RunningHoursConfig } from '../contract/running-hours';
import { PER_TENANT, SHARED } from '../contract/sharing';
import { bundledFunction } from '../private/bundled-function';
import { createTable } from '../private/defaults';

export interface RouterAuthorizerOptions {
  readonly props: TenantRouterProps;
  readonly tiers: Map<string, TierSettings>;
  readonly apiKeyMarker: string;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** The running hours of the tiers that have some, known once the tiers' routes are added. */
  readonly runningHours: () => Record<string, RunningHoursConfig>;
}

/**
 * The router's Lambda authorizer (code in lambda/), configured with the router's issuers, claims, tiers and role
 * rules, invocable by any of the router's shard APIs.
 */
export function createRouterAuthorizer(scope: Construct, o: RouterAuthorizerOptions): lambda.Function {
  const stack = Stack.of(scope);
  const config = authorizerConfig(o.props, o.tiers);
  const fn = bundledFunction(scope, 'Authorizer', {
    bundle: 'router-authorizer',
    label: 'router\'s authorizer',
    bundleTask: 'bundle:router',
    description: 'Tenant router authorizer: verifies tokens of the configured issuers and picks the tenant route',
    memorySize: 512,
    timeout: Duration.seconds(10),
    logRetention: o.logRetention,
    removalPolicy: o.removalPolicy,
    findings: {
      invokedSynchronouslyBy: 'API Gateway (a request authorizer)',
      noReservedConcurrency: 'every request of every tenant passes through it: a reserved-concurrency cap would throttle them all at once; '
        + 'the tier usage plans throttle each tenant before it',
    },
    environment: {
      // Rendered at synthesis: routes (and the running hours their tiers carry) are added after the router is created.
      [ENV_AUTHORIZER_CONFIG]: Lazy.string({ produce: () => stack.toJsonString(withRunningHours(config, o.runningHours())) }),
      [ENV_TENANT_KEY_MARKER]: o.apiKeyMarker,
      POWERTOOLS_SERVICE_NAME: 'tenant-router-authorizer',
    },
  }).fn;
  // Any API of this account's router shards may call the authorizer (one permission for every shard: a
  // permission per API would outgrow the function's 20 KB resource policy).
  fn.addPermission('InvokeFromRouterApis', {
    principal: new iam.ServicePrincipal('apigateway.amazonaws.com'),
    sourceArn: stack.formatArn({ service: 'execute-api', resource: '*', resourceName: 'authorizers/*' }),
  });
  return fn;
}

/**
 * The authorizer reads the tier keys' values by id (`TIER_API_KEYS`), and finds per-tenant keys by listing: it may
 * read exactly those.
 */
export function grantKeyLookups(fn: lambda.Function, tierKeyIds: Record<string, string>, keyArns: string[], perTenantKeys: boolean): void {
  const stack = Stack.of(fn);
  fn.addEnvironment(ENV_TIER_API_KEYS, stack.toJsonString(tierKeyIds));
  const lookups: string[] = [...keyArns];
  if (perTenantKeys) {
    lookups.push(stack.formatArn({ service: 'apigateway', account: '', resource: '/apikeys' }));
  }
  if (lookups.length > 0) {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['apigateway:GET'], resources: lookups }));
  }
}

/** The registry of issuers added at run time (tenants' own user pools), which the authorizer reads. */
export function addIssuerRegistry(scope: Construct, fn: lambda.Function, removalPolicy: RemovalPolicy): dynamodb.Table {
  const registry = createTable(scope, 'IssuerRegistry', { partitionKey: { name: 'issuer', type: dynamodb.AttributeType.STRING }, removalPolicy });
  fn.addEnvironment(ENV_ISSUER_REGISTRY_TABLE, registry.tableName);
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:GetItem'], resources: [registry.tableArn] }));
  return registry;
}

/** The table of suspended tenants: the authorizer reads a tenant's item on each answer it does not have cached. */
export function addSuspensions(scope: Construct, fn: lambda.Function, removalPolicy: RemovalPolicy): dynamodb.Table {
  const table = createTable(scope, 'Suspensions', { partitionKey: { name: 'tenantId', type: dynamodb.AttributeType.STRING }, removalPolicy });
  fn.addEnvironment(ENV_SUSPENSION_TABLE, table.tableName);
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:GetItem'], resources: [table.tableArn] }));
  return table;
}

/** The configuration with each tier's running hours. */
function withRunningHours(config: AuthorizerConfig, hours: Record<string, RunningHoursConfig>): AuthorizerConfig {
  const tiers = Object.fromEntries(Object.entries(config.tiers).map(([name, t]) => [name, hours[name] ? { ...t, runningHours: hours[name] } : t]));
  return { ...config, tiers };
}

/** The authorizer's configuration (`AUTHORIZER_CONFIG`). Throws when it would not fit Lambda's environment. */
export function authorizerConfig(props: TenantRouterProps, tierSettings: Map<string, TierSettings>): AuthorizerConfig {
  const claims = { ...TENANT_CLAIMS, ...definedOnly(props.claims ?? {}) };
  const tiers: AuthorizerConfig['tiers'] = {};
  for (const t of tierSettings.values()) {
    tiers[t.tierName] = {
      routing: t.routing === TierRouting.SHARED ? SHARED : PER_TENANT,
      routingService: t.routing === TierRouting.ROUTING_SERVICE || undefined,
      apiKeyPerTenant: t.perTenant || t.tenantKeys || undefined,
    };
  }
  const config: AuthorizerConfig = {
    issuers: props.issuers.map((i) => ({
      issuer: i.issuerUrl,
      audiences: i.audiences,
      tokenUse: i.tokenUse,
      jwksUri: i.jwksUri,
      tenantId: i.tenantId,
    })),
    claims,
    tiers,
    roleRules: (props.roleRules ?? []).map((r) => ({ pathPrefix: r.pathPrefix, allowedRoles: r.allowedRoles })),
  };
  const size = estimateEnvironmentBytes(config);
  if (size > LAMBDA_ENVIRONMENT_LIMIT - 512) {
    throw new Error(
      `the authorizer's configuration needs about ${size} bytes of environment; Lambda allows ${LAMBDA_ENVIRONMENT_LIMIT} bytes in all. Trust fewer issuers or shorten role rules.`,
    );
  }
  return config;
}

/** Bytes of the authorizer's environment: tokens count as 64 characters (an id or ARN), the other variables as 512. */
function estimateEnvironmentBytes(config: AuthorizerConfig): number {
  return JSON.stringify(config).replace(/\$\{Token\[[^\]]+\]\}/g, 'x'.repeat(64)).length + 512;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
