import { Duration, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as servicecatalog from 'aws-cdk-lib/aws-servicecatalog';
import { Construct } from 'constructs';
import type { SharedTierLifecycle, TenantLifecycleProps } from './tenant-lifecycle';
import { TenantProduct } from './tenant-products';
import { TableSharing } from '../application/saas-application';
import { ENV_LIFECYCLE_CONFIG } from '../contract/environment';
import { LifecycleConfig } from '../contract/lifecycle';
import { LAMBDA_ENVIRONMENT_LIMIT } from '../contract/router';
import { PER_TENANT, SHARED } from '../contract/sharing';
import { BundledFunction, bundledFunction } from '../private/bundled-function';
import { TenantRouter } from '../router/tenant-router';

/**
 * Shards a router opens at run time, at most: each has a usage plan per tier holding the tier's key, and a key
 * belongs to at most 10 usage plans by default (the deploy-time plan and 9).
 */
export const RUNTIME_SHARDS_MAX = 9;

export interface LifecycleWorkerOptions {
  readonly props: TenantLifecycleProps;
  readonly shared: SharedTierLifecycle[];
  readonly products: Map<string, TenantProduct>;
  /** The router's shard template as a product, when the router opens shards at run time. */
  readonly shardProduct?: servicecatalog.CloudFormationProduct;
  readonly registry: dynamodb.ITable;
  readonly slots: dynamodb.ITable;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The lifecycle's worker (code in lambda/): its configuration (`LIFECYCLE_CONFIG`), and the permissions of exactly
 * the calls its steps make on the lifecycle's tables, the pooled tables, the shared pools, the bus and the router's
 * issuer registry.
 */
export function createLifecycleWorker(scope: Construct, o: LifecycleWorkerOptions): BundledFunction {
  const stack = Stack.of(scope);
  const pooled = o.props.application.tables.filter((t) => t.sharing === TableSharing.POOLED).map((def) => {
    const t = o.props.pooledTables[def.name];
    if (!t) {
      throw new Error(`pooledTables has no table '${def.name}'; the application's pooled tables: ${o.props.application.pooledTables.map((p) => p.name).join(', ')}.`);
    }
    return { table: t, def };
  });
  const config: LifecycleConfig = {
    contract: {
      source: o.props.contract.applicationPlaneSource,
      provisionSuccess: o.props.contract.provisionSuccess,
      provisionFailure: o.props.contract.provisionFailure,
      deprovisionSuccess: o.props.contract.deprovisionSuccess,
      deprovisionFailure: o.props.contract.deprovisionFailure,
      // Only where the router keeps suspensions: other applications' configuration stays as it was.
      ...(o.props.router.suspensions ? {
        activateRequest: o.props.contract.activateRequest,
        deactivateRequest: o.props.contract.deactivateRequest,
        activateSuccess: o.props.contract.activateSuccess,
        activateFailure: o.props.contract.activateFailure,
        deactivateSuccess: o.props.contract.deactivateSuccess,
        deactivateFailure: o.props.contract.deactivateFailure,
      } : {}),
    },
    eventBusName: o.props.eventBus.eventBusName,
    registryTable: o.registry.tableName,
    slotTable: o.slots.tableName,
    issuerTable: o.props.router.issuerRegistry?.tableName,
    suspensionTable: o.props.router.suspensions?.tableName,
    namePrefix: stack.stackName,
    tiers: Object.fromEntries([
      ...o.shared.map((t) => [t.tierName, { kind: SHARED, userPoolId: t.userPool.userPoolId, appClientId: t.appClientId, apiGatewayUrl: t.apiUrl }]),
      ...[...o.products.entries()].map(([name, p]) => [name, {
        kind: PER_TENANT,
        productId: p.product.productId,
        provisioningArtifactName: p.versionName,
        // Read when rendered: the router adds the template's runtime shard parameters when its route is added.
        runtimeShardParameters: Lazy.any({ produce: () => p.template.takesRuntimeShard || undefined }) as unknown as boolean,
        takesNoRoute: p.template.takesRoute ? undefined : true,
        // Tenants of the tier onboarded at run time get a shard of their own (an opt-in of the router's tier).
        dedicatedShard: Lazy.any({ produce: () => o.props.router._dedicatedShardsAtRunTime(name) || undefined }) as unknown as boolean,
      }]),
    ]),
    pooledTables: pooled.map(({ table: t, def }) => ({ tableName: t.tableName, partitionKey: def.partitionKey!.name, sortKey: def.sortKey?.name })),
    // Read when the template is rendered, so routes and shards added after this construct count too.
    shards: Lazy.number({ produce: () => o.props.router.provisioningShards.length }),
    rulesPerListener: o.props.router.quotas.rulesPerListener!,
    reserved: Lazy.any({ produce: () => reservedPriorities(o.props.router) }) as unknown as Record<string, number[]>,
    tenantKeys: o.props.router._tenantKeys(),
    runtimeShards: o.shardProduct && {
      productId: o.shardProduct.productId,
      provisioningArtifactName: 'v1',
      max: RUNTIME_SHARDS_MAX,
      reserved: Lazy.any({ produce: () => o.props.router._runtimeShardPriorities }) as unknown as number[],
    },
  };
  const worker = bundledFunction(scope, 'Worker', {
    bundle: 'tenant-lifecycle',
    label: 'lifecycle worker',
    bundleTask: 'bundle:lifecycle',
    description: 'Tenant lifecycle: onboarding and offboarding steps',
    memorySize: 512,
    timeout: Duration.minutes(5),
    logRetention: o.logRetention,
    removalPolicy: o.removalPolicy,
    findings: {
      invokedSynchronouslyBy: 'the lifecycle state machines (Lambda invoke tasks, with Retry and Catch)',
      noReservedConcurrency: 'it runs only as steps of lifecycle executions, which the state machines pace (updates go in waves); '
        + 'a cap would turn bursts of onboarding into throttling retries',
    },
    environment: { [ENV_LIFECYCLE_CONFIG]: stack.toJsonString(config) },
  });
  const workerRole = worker.role;
  scope.node.addValidation({
    validate: () => {
      const size = JSON.stringify(stack.resolve(config)).replace(/\{"(Ref|Fn::[A-Za-z]+)":[^{}]*\}/g, 'x'.repeat(64)).length;
      return size > LAMBDA_ENVIRONMENT_LIMIT - 256
        ? [`the lifecycle's configuration is about ${size} bytes; Lambda allows ${LAMBDA_ENVIRONMENT_LIMIT} bytes of environment. Use fewer tiers or tables.`]
        : [];
    },
  });

  // Least privilege of the worker: exactly the calls its steps make (test/deployed/tenant-lifecycle.deployed.test.ts
  // compares the policy with the calls in the bundle, both ways).
  workerRole.addToPolicy(new iam.PolicyStatement({
    actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Scan'],
    resources: [o.registry.tableArn],
  }));
  workerRole.addToPolicy(new iam.PolicyStatement({
    // Get and update only for the records of shards opened at run time.
    actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Query', ...(o.shardProduct ? ['dynamodb:GetItem', 'dynamodb:UpdateItem'] : [])],
    resources: [o.slots.tableArn],
  }));
  for (const { table: t } of pooled) {
    workerRole.addToPolicy(new iam.PolicyStatement({ actions: ['dynamodb:Query', 'dynamodb:BatchWriteItem'], resources: [t.tableArn] }));
  }
  for (const t of o.shared) {
    workerRole.addToPolicy(new iam.PolicyStatement({
      actions: [
        'cognito-idp:AdminAddUserToGroup', 'cognito-idp:AdminCreateUser', 'cognito-idp:AdminDeleteUser', 'cognito-idp:AdminGetUser',
        'cognito-idp:CreateGroup', 'cognito-idp:DeleteGroup', 'cognito-idp:ListUsersInGroup',
      ],
      resources: [t.userPool.userPoolArn],
    }));
  }
  o.props.eventBus.grantPutEventsTo(workerRole);
  if (o.props.router.suspensions) {
    // Suspends and reactivates tenants; offboarding clears a suspension.
    workerRole.addToPolicy(new iam.PolicyStatement({ actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem'], resources: [o.props.router.suspensions.tableArn] }));
  }
  // Creates and deletes the keys of the tenants it onboards, for tiers with a key per tenant.
  o.props.router._grantTenantKeys(workerRole);
  if (o.props.router.issuerRegistry) {
    workerRole.addToPolicy(new iam.PolicyStatement({
      actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
      resources: [o.props.router.issuerRegistry.tableArn],
    }));
  }
  return worker;
}

/** The worker provisions and terminates the tier products (only the products it provisioned), and the shard product. */
export function grantProvisioning(workerRole: iam.IRole, portfolio: servicecatalog.Portfolio, products: servicecatalog.IProduct[]): void {
  const stack = Stack.of(portfolio);
  portfolio.giveAccessToRole(workerRole);
  workerRole.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['servicecatalog:ProvisionProduct'],
    resources: products.map((p) => stack.formatArn({ service: 'catalog', resource: 'product', resourceName: p.productId })),
  }));
  workerRole.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['servicecatalog:TerminateProvisionedProduct', 'servicecatalog:DescribeRecord'],
    resources: ['*'],
    // Only provisioned products this role provisioned.
    conditions: { StringEquals: { 'servicecatalog:roleLevel': 'self' } },
  }));
}

/** The worker updates the provisioned products to a new version (only the products it provisioned). */
export function grantUpdates(workerRole: iam.IRole): void {
  workerRole.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['servicecatalog:UpdateProvisionedProduct'],
    resources: ['*'],
    conditions: { StringEquals: { 'servicecatalog:roleLevel': 'self' } },
  }));
}

/**
 * Priorities the router's declared routes hold, per position among the shards open to provisioned tenants (they count
 * against each listener's rules quota; provisioned priorities start above theirs).
 */
function reservedPriorities(router: TenantRouter): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  const open = router.provisioningShards.map((s) => s.index);
  for (const p of router.placements) {
    const position = open.indexOf(p.shard);
    if (position < 0) {
      continue;
    }
    for (let i = 0; i < p.rules; i++) {
      (out[String(position)] ??= []).push(p.priority + i);
    }
  }
  // The rules that answer stopped tiers hold priorities of their own.
  open.forEach((shard, position) => {
    const extra = router._extraPriorities(shard);
    if (extra.length > 0) {
      (out[String(position)] ??= []).push(...extra);
    }
  });
  return out;
}
