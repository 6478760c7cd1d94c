import { RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct, IConstruct } from 'constructs';
import { TierTenant } from './ecs-tier-options';
import { ServiceGroup } from './service-group';
import { ServiceGroupOptions } from './service-group-options';
import { SaasApplication, TableSharing } from '../application/saas-application';
import { routingServiceKey } from '../contract/router';
import { createTable } from '../private/defaults';
import { pascal } from '../private/naming';
import { validateTenantId } from '../private/tenant-id';
import { TIER_NAME_PATTERN, TIER_NAME_RULE } from '../private/tier-name';

/** Tier names already used per stack: a tier name is a routing key and part of namespace names. */
const TIER_NAMES = new WeakMap<IConstruct, Map<string, string>>();

/** Validates a tier name and records it for the tier's stack, where it must be unique. */
export function registerTierName(tier: Construct, tierName: string): void {
  if (!TIER_NAME_PATTERN.test(tierName)) {
    throw new Error(`tierName must be ${TIER_NAME_RULE}; got '${tierName}'.`);
  }
  const stack = Stack.of(tier);
  const names = TIER_NAMES.get(stack) ?? new Map<string, string>();
  TIER_NAMES.set(stack, names);
  const previous = names.get(tierName);
  if (previous !== undefined) {
    throw new Error(`tierName '${tierName}' is already used by ${previous} in this stack: give each tier its own tierName.`);
  }
  names.set(tierName, tier.node.path);
}

/** Tenants already placed in the app, across all tiers: a tenant lives in one tier, once. */
const PLACED = new WeakMap<IConstruct, Map<string, string>>();

/**
 * Adds the tenants a tier's props declare, each checked first under its own prop name (`tenants[1]`), so the error
 * points at the prop the user wrote.
 */
export function addDeclaredTenants(tenants: string[] | undefined, addTenant: (tenantId: string) => TierTenant): void {
  (tenants ?? []).forEach((tenantId, i) => {
    validateTenantId(`tenants[${i}]`, tenantId);
    addTenant(tenantId);
  });
}

/**
 * Validates a tenant id and records it for the app. Returns the construct id of the tenant's scope: the tenant id,
 * or `Tenant` for an id that is a CloudFormation token (one such tenant per tier).
 */
export function placeTenant(tier: Construct, tierName: string, tenantId: string): string {
  validateTenantId('tenantId', tenantId);
  // A tenant id that is a token (a template parameter) stands for one tenant per template.
  const key = Token.isUnresolved(tenantId) ? `token:${Stack.of(tier).node.path}` : tenantId;
  const root = tier.node.root;
  const placed = PLACED.get(root) ?? new Map<string, string>();
  PLACED.set(root, placed);
  const previous = placed.get(key);
  if (previous !== undefined) {
    throw new Error(
      Token.isUnresolved(tenantId)
        ? `this stack already has a tenant whose id is a CloudFormation token, in ${previous}: a template holds one such tenant.`
        : `tenantId '${tenantId}' is already placed in ${previous}: a tenant lives in one tier, once.`,
    );
  }
  placed.set(key, `tier '${tierName}' (${tier.node.path})`);
  return Token.isUnresolved(tenantId) ? 'Tenant' : tenantId;
}

/** The application's pooled tables: the ones given, and new ones (RETAIN by default) for the rest. */
export function pooledTables(
  scope: Construct,
  application: SaasApplication,
  given: { [name: string]: dynamodb.ITable } = {},
  removalPolicy: RemovalPolicy = RemovalPolicy.RETAIN,
): { [name: string]: dynamodb.ITable } {
  for (const name of Object.keys(given)) {
    const def = application.tables.find((t) => t.name === name);
    if (!def || def.sharing !== TableSharing.POOLED) {
      throw new Error(
        `pooledTables has '${name}', which is not a POOLED table of the application; its pooled tables: ${application.pooledTables.map((t) => t.name).join(', ') || 'none'}.`,
      );
    }
  }
  const tables: { [name: string]: dynamodb.ITable } = { ...given };
  for (const def of application.pooledTables) {
    if (!tables[def.name]) {
      tables[def.name] = createTable(scope, `${pascal(def.name)}Table`, { partitionKey: def.partitionKey!, sortKey: def.sortKey, timeToLiveAttribute: def.timeToLiveAttribute, removalPolicy });
    }
  }
  return tables;
}

/** Everything a tier passes down to deploy one group of services: the tier's ServiceGroupOptions and its tables. */
export interface GroupSettings extends ServiceGroupOptions {
  readonly application: SaasApplication;
  readonly tierName: string;
  readonly pooledTables: { [name: string]: dynamodb.ITable };
}

/** Deploys the application for one tenant in `scope` (its own scope, keyed by tenant id) and describes it. */
export function deployTenant(
  scope: Construct,
  settings: GroupSettings,
  tenantId: string,
  cluster: ecs.ICluster,
  capacityProviderName: string | undefined,
  ownCluster: boolean,
): TierTenant {
  const serviceGroup = new ServiceGroup(scope, 'Services', {
    ...settings,
    cluster,
    capacityProviderName,
    tenantId,
  });
  return {
    tenantId,
    tierName: settings.tierName,
    routingKey: settings.routingService ? routingServiceKey(settings.tierName, tenantId) : tenantId,
    routingTargets: serviceGroup.routingTargets,
    serviceGroup,
    cluster: ownCluster ? cluster : undefined,
  };
}
