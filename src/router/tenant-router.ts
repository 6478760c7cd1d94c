import { Annotations, CfnCondition, Duration, Fn, NestedStack, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigatewayv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { attachRoute } from './route-attachment';
import { refOf, RouteRecord, RouteTable, ShardRef } from './route-table';
import {
  addIssuerRegistry,
  addSuspensions, createRouterAuthorizer, grantKeyLookups,
} from './router-authorizer';
import { createAccessLogBucket, createApiGatewayAccount } from './router-infrastructure';
import { RouteOptions, RoutePlacement, RouterQuotas, RuntimeShardAttributes, TenantRouterProps, TierRouting } from './router-options';
import { RouterShardTemplate } from './router-shard-template';
import { resolveTiers, TierSettings, validateProps, validateQuotas } from './router-validation';
import { RoutingTarget } from './routing-target';
import { ShardOptions } from './shard-options';
import { StoppedTiers } from './stopped-tiers';
import { TenantRouterShard } from './tenant-router-shard';
import { UsagePlans } from './usage-plans';
import { API_KEY_MARKER_TAG, LISTENER_PRIORITY_MAX, routingServiceKey, routingServicePattern } from '../contract/router';
import { subnetsOrDefault } from '../private/defaults';
import { validateTenantId } from '../private/tenant-id';
import { TierTenant } from '../tiers/ecs-tier-options';
import { RunningHours } from '../tiers/running-hours';

/**
 * The request path of a multi-tenant SaaS on ECS: API Gateway with a Lambda authorizer and enforced tier usage plans,
 * a VPC link to internal Application Load Balancers, and header-based routing to each tenant's targets, sharded over
 * as many load balancers as the tenants need.
 *
 * - The authorizer (aws-jwt-verify) accepts tokens of the configured issuers only, reads tenant, tier and role from
 *   the configured claims, denies unknown tiers, applies role rules, and hands API Gateway the routing key and the
 *   usage plan's API key. Every method requires that key, so throttles and quotas apply.
 * - The routing header is written by API Gateway from the authorizer's decision, over anything the client sent; the
 *   load balancers admit only the VPC link's security group, and answer 404 unless a tenant rule matches.
 * - Each route's listener-rule priority is allocated once and never moves (see `placements`), so adding and removing
 *   tenants cannot make two rules collide. Shards respect the target-group and rule quotas; each has its own API,
 *   whose URL is the endpoint of the tenants routed there (`endpointFor`).
 *
 * @example
 * declare const vpc: ec2.IVpc;
 * declare const application: SaasApplication;
 * declare const userPool: cognito.IUserPool;
 * declare const basic: PooledEcsTier;
 * declare const advanced: SiloServiceTier;
 *
 * const router = new TenantRouter(this, 'Router', {
 *   vpc,
 *   application,
 *   issuers: [TokenIssuer.cognito({ userPool, clientIds: ['example-client-id'] })],
 *   tiers: [
 *     { tierName: 'basic', routing: TierRouting.SHARED },
 *     { tierName: 'advanced', routing: TierRouting.PER_TENANT },
 *   ],
 *   roleRules: [{ pathPrefix: '/orders', allowedRoles: ['TenantAdmin'] }],
 * });
 * router.addTenants(basic.tenants);
 * router.addTenants(advanced.tenants);
 */
export class TenantRouter extends Construct {
  /** The Lambda authorizer. */
  public readonly authorizer: lambda.Function;
  /** The VPC link (V2) from API Gateway into the VPC. */
  public readonly vpcLink: apigatewayv2.VpcLink;
  /** Security group of the VPC link: the only source the load balancers admit. */
  public readonly vpcLinkSecurityGroup: ec2.SecurityGroup;
  /** Bucket of the load balancers' access logs. */
  public readonly accessLogBucket: s3.Bucket;
  /**
   * Issuers registered at run time (partition key `issuer`), when `issuerRegistry` is on.
   *
   * @default - none
   */
  public readonly issuerRegistry?: dynamodb.Table;
  /**
   * Suspended tenants (partition key `tenantId`), when `suspensions` is on: TenantLifecycle writes it, the authorizer
   * denies their requests.
   *
   * @default - none
   */
  public readonly suspensions?: dynamodb.Table;
  /**
   * Value of the `cdk-ecs-saas:router` tag that marks this router's per-tenant API keys (the authorizer finds a
   * tenant's key by customer id = tenant id and this tag).
   */
  public readonly apiKeyMarker: string;

  private readonly props: TenantRouterProps;
  private readonly tiers: Map<string, TierSettings>;
  private readonly plans: UsagePlans;
  private readonly shardList: TenantRouterShard[] = [];
  private readonly routes: RouteTable;
  /** The quotas the router plans against, with AWS's defaults filled in. */
  public readonly quotas: RouterQuotas;
  private readonly limits: Required<RouterQuotas>;
  private readonly account?: apigateway.CfnAccount;
  private frozenProvisioningShards?: TenantRouterShard[];
  private runtimeShardPlanIds?: Record<string, string>;
  private readonly tenantKeyStacks: NestedStack[] = [];
  private keysInLastStack = 0;
  private readonly stopped: StoppedTiers;
  /**
   * The template of the shards the tenant lifecycle opens at run time, with `openShardsAtRunTime`.
   *
   * @default - none
   */
  public readonly shardTemplate?: RouterShardTemplate;

  constructor(scope: Construct, id: string, props: TenantRouterProps) {
    super(scope, id);
    this.props = props;
    this.limits = validateQuotas(props.quotas ?? {});
    this.quotas = this.limits;
    validateProps(props);
    this.tiers = resolveTiers(props.tiers);
    this.stopped = new StoppedTiers([...this.tiers.keys()]);
    this.routes = new RouteTable(this, props.placements ?? [], this.limits);

    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const vpcSubnets = subnetsOrDefault(props.vpcSubnets);
    const stack = Stack.of(this);
    this.apiKeyMarker = `${stack.stackName}/${this.node.addr}`;

    this.vpcLinkSecurityGroup = new ec2.SecurityGroup(this, 'VpcLinkSecurityGroup', {
      vpc: props.vpc,
      description: 'Tenant router VPC link: reaches the router load balancers only',
      allowAllOutbound: false,
    });
    this.vpcLink = new apigatewayv2.VpcLink(this, 'VpcLink', { vpc: props.vpc, subnets: vpcSubnets, securityGroups: [this.vpcLinkSecurityGroup] });

    this.accessLogBucket = createAccessLogBucket(this, removalPolicy);
    if (props.cloudWatchRole ?? true) {
      this.account = createApiGatewayAccount(this);
    }

    this.authorizer = createRouterAuthorizer(this, {
      props, tiers: this.tiers, apiKeyMarker: this.apiKeyMarker, logRetention, removalPolicy, runningHours: () => this.stopped.config,
    });
    this.plans = new UsagePlans(this.apiKeyMarker);
    const { tierKeyIds, keyArns } = this.plans.addTierPlans(this, this.tiers.values());
    grantKeyLookups(this.authorizer, tierKeyIds, keyArns, [...this.tiers.values()].some((t) => t.perTenant || t.tenantKeys));
    if (props.issuerRegistry) {
      this.issuerRegistry = addIssuerRegistry(this, this.authorizer, removalPolicy);
    }
    if (props.suspensions) {
      this.suspensions = addSuspensions(this, this.authorizer, removalPolicy);
    }

    for (let i = 0; i < (props.minShards ?? 1); i++) {
      this.shardAt(i, false);
    }
    const dedicatedAtRunTime = [...this.tiers.values()].filter((t) => t.dedicatedAtRunTime).map((t) => t.tierName);
    if (dedicatedAtRunTime.length > 0 && !props.openShardsAtRunTime) {
      throw new Error(`tiers [${dedicatedAtRunTime.join(', ')}] have dedicatedShardsAtRunTime, which needs openShardsAtRunTime: the lifecycle opens those shards at run time.`);
    }
    if (props.openShardsAtRunTime) {
      this.shardTemplate = RouterShardTemplate._create(this, 'ShardTemplate', this.shardOptions(-1, false));
      this.runtimeShardPlanIds = this.plans.addRuntimeShardPlans(this.shardTemplate, this.shardTemplate.api.restApiId, this.props.stageName ?? 'prod', this.shardTemplate.api.deploymentStage);
      this.shardTemplate._outputUsagePlans(this.runtimeShardPlanIds);
    }
    this.node.addValidation({ validate: () => this.validateRouter() });
  }

  /** The shards, in order. */
  public get shards(): TenantRouterShard[] {
    return [...this.shardList];
  }

  /**
   * The shards open to tenants provisioned from templates: every shard that is not dedicated to one tenant. A route
   * whose shard is a template parameter selects by position in this list, which is fixed by the first such route.
   */
  public get provisioningShards(): TenantRouterShard[] {
    return [...(this.frozenProvisioningShards ?? this.shardList.filter((s) => !s.dedicated))];
  }

  /**
   * How a tier is routed.
   *
   * @param tierName the tier's name
   */
  public tierRouting(tierName: string): TierRouting {
    const tier = this.tiers.get(tierName);
    if (!tier) {
      throw new Error(`tierRouting: tier '${tierName}' is not a tier of this router; its tiers: ${[...this.tiers.keys()].join(', ')}.`);
    }
    return tier.routing;
  }

  /**
   * Whether the tier's tenants onboarded at run time get a shard of their own (`dedicatedShardsAtRunTime`).
   *
   * @internal
   */
  public _dedicatedShardsAtRunTime(tierName: string): boolean {
    return this.tiers.get(tierName)?.dedicatedAtRunTime ?? false;
  }

  /**
   * The tiers whose tenants have keys of their own in the tier's plan, with the plan of each, for the tenant
   * lifecycle; undefined when there is none.
   *
   * @internal
   */
  public _tenantKeys(): { marker: string; tierPlans: Record<string, string> } | undefined {
    const tiers = [...this.tiers.values()].filter((t) => t.tenantKeys).map((t) => t.tierName);
    return tiers.length === 0 ? undefined : { marker: this.apiKeyMarker, tierPlans: this.plans.tenantKeyPlanIds(tiers) };
  }

  /**
   * Lets the tenant lifecycle's worker create the keys of the tenants it onboards, marked for this router, in their
   * tier's plans (and in the plans of shards opened at run time), find them, and delete only keys marked for this
   * router.
   *
   * @internal
   */
  public _grantTenantKeys(grantee: iam.IGrantable): void {
    const keys = this._tenantKeys();
    if (!keys) {
      return;
    }
    const stack = Stack.of(this);
    const arn = (resource: string, resourceName?: string) => stack.formatArn({ service: 'apigateway', account: '', resource, resourceName });
    const marked = (key: string) => ({ StringEquals: { [`${key}/${API_KEY_MARKER_TAG}`]: this.apiKeyMarker } });
    const statements = [
      new iam.PolicyStatement({ actions: ['apigateway:GET'], resources: [arn('/apikeys')] }),
      new iam.PolicyStatement({ actions: ['apigateway:POST'], resources: [arn('/apikeys')], conditions: marked('aws:RequestTag') }),
      new iam.PolicyStatement({ actions: ['apigateway:DELETE'], resources: [arn('/apikeys', '*')], conditions: marked('aws:ResourceTag') }),
      // The plans marked for this router: its tier plans, and those of the shards it opens at run time (a plan's key
      // inherits its tags for tag-based access).
      new iam.PolicyStatement({ actions: ['apigateway:POST'], resources: [arn('/usageplans', '*/keys')], conditions: marked('aws:ResourceTag') }),
    ];
    statements.forEach((st) => grantee.grantPrincipal.addToPrincipalPolicy(st));
  }

  /** Whether each tenant of the tier has its own API key and usage plan. */
  public hasApiKeyPerTenant(tierName: string): boolean {
    return this.tiers.get(tierName)?.perTenant ?? false;
  }

  /**
   * Where every route with a literal routing key is: pin these (`placements`) before removing any route, so that
   * no rule ever moves.
   */
  public get placements(): RoutePlacement[] {
    return this.routes.placements;
  }

  /** The usage plan of a tier (not of a tier with a plan per tenant). */
  public usagePlan(tierName: string): apigateway.UsagePlan {
    return this.plans.tierPlan(tierName);
  }

  /**
   * The API endpoint of a tenant: the URL of its shard's API stage, which onboarding hands to the tenant's users.
   *
   * @param tenantId the tenant's id
   */
  public endpointFor(tenantId: string): string {
    const route = this.routes.routeOfTenant(tenantId);
    if (!route) {
      throw new Error(`tenantId '${tenantId}' has no route in this router: add it with addTenant first.`);
    }
    return route.shardRef.url;
  }

  /**
   * The API endpoint of a tier whose tenants share one route (SHARED or ROUTING_SERVICE): the URL of that route's shard.
   *
   * @param tierName the tier's name
   */
  public endpointForTier(tierName: string): string {
    const tier = this.tiers.get(tierName);
    const route = tier && tier.routing !== TierRouting.PER_TENANT ? this.routes.get(tierRouteKey(tier)) : undefined;
    if (!route || route.tierName !== tierName) {
      throw new Error(`tier '${tierName}' has no shared route in this router: add one of its tenants first (tiers routed SHARED or ROUTING_SERVICE only).`);
    }
    return route.shardRef.url;
  }

  /**
   * Routes a tier whose tenants share one route (SHARED routing, or ROUTING_SERVICE) before any of its tenants is
   * known, as when all of them are onboarded at run time. Its tenants added later join this route.
   *
   * @param tierName the tier's name
   * @param routingTargets the tier's routing targets (`PooledEcsTier.routingTargets`, or `[TierRoutingService.routingTarget]`)
   */
  public addSharedTier(tierName: string, routingTargets: RoutingTarget[]): void {
    const tier = this.tiers.get(tierName);
    if (!tier || tier.routing === TierRouting.PER_TENANT) {
      const sharedTiers = [...this.tiers.values()].filter((t) => t.routing !== TierRouting.PER_TENANT).map((t) => t.tierName);
      throw new Error(`tier '${tierName}' is not a SHARED or ROUTING_SERVICE tier of this router; those tiers: ${sharedTiers.join(', ') || 'none'}.`);
    }
    const key = tierRouteKey(tier);
    if (this.routes.get(key)) {
      throw new Error(`tier '${tierName}' is already routed.`);
    }
    checkTierTargets(tier, `tier '${tierName}'`, routingTargets);
    this.addRoute({ tenantId: undefined, tierName, routingKey: key, routingTargets });
  }

  /** Routes each of these tenants (see `addTenant`). */
  public addTenants(tenants: TierTenant[]): void {
    tenants.forEach((t) => this.addTenant(t));
  }

  /**
   * Routes a tenant of a tier: its routing key reaches its routing targets. Tenants of a pooled tier share one route.
   * Target groups and listener rules are created in the stack of the tenant's services.
   *
   * @param tenant the tenant, as returned by a tier's `addTenant`
   * @param options shard and priority, required for a tenant whose id is a CloudFormation token
   */
  public addTenant(tenant: TierTenant, options: RouteOptions = {}): void {
    const tier = this.tiers.get(tenant.tierName);
    if (!tier) {
      throw new Error(`tenant '${tenant.tenantId}' is in tier '${tenant.tierName}', which this router does not serve; its tiers: ${[...this.tiers.keys()].join(', ')}.`);
    }
    validateTenantId('tenantId', tenant.tenantId);
    const expectedKey = tier.routing === TierRouting.SHARED ? tier.tierName
      : tier.routing === TierRouting.ROUTING_SERVICE ? routingServiceKey(tier.tierName, tenant.tenantId)
        : tenant.tenantId;
    if (tenant.routingKey !== expectedKey) {
      throw new Error(
        `tenant '${tenant.tenantId}' has routing key '${tenant.routingKey}', but tier '${tier.tierName}' is routed ${tier.routing}, whose routing key is '${expectedKey}'.`,
      );
    }
    if (tenant.routingTargets.length === 0) {
      throw new Error(`tenant '${tenant.tenantId}' has no routing targets: nothing to route to.`);
    }
    if (tier.routing === TierRouting.ROUTING_SERVICE) {
      this.addToTierRoute(tenant, tier, options);
      return;
    }
    if (Token.isUnresolved(tenant.tenantId) || Token.isUnresolved(tenant.routingKey)) {
      this.addTokenRoute(tenant, tier, options);
      return;
    }
    const existing = this.routes.get(tenant.routingKey);
    if (existing) {
      const same = existing.targets.length === tenant.routingTargets.length && existing.targets.every((t, i) => t === tenant.routingTargets[i]);
      if (!same || tier.routing === TierRouting.PER_TENANT) {
        throw new Error(`routing key '${tenant.routingKey}' already has a route (tenant ${existing.tenants.join(', ')}): a tenant is routed once.`);
      }
      this.stopped.record(tier.tierName, `tenant '${tenant.tenantId}'`, tenant.routingTargets);
      if (existing.tenants.includes(tenant.tenantId)) {
        throw new Error(`tenant '${tenant.tenantId}' is already routed.`);
      }
      existing.tenants.push(tenant.tenantId);
      if (tier.perTenant) {
        this.plans.addTenantKey(this.shardList[existing.placement!.shard], tenant.tenantId, tier, existing.shardRef, existing.shard!);
      }
      this.addTenantKeyInTierPlan(tenant.tenantId, tier);
      return;
    }
    this.addRoute(tenant, options);
  }

  /**
   * A tenant of a tier routed by its routing service joins the tier's one route (made with the first tenant, or by
   * `addSharedTier`): no target group or rule of its own. A tenant whose id is a token (a tenant template) joins a
   * route that exists already, and needs no shard or priority.
   */
  private addToTierRoute(tenant: TierTenant, tier: TierSettings, options: RouteOptions): void {
    const who = `tenant '${tenant.tenantId}'`;
    checkTierTargets(tier, who, tenant.routingTargets);
    if (options.shard !== undefined || options.priority !== undefined || options.runtimeShard) {
      throw new Error(`${who} is in tier '${tier.tierName}', routed by its routing service: the tier has one route, so options.shard, options.priority and options.runtimeShard do not apply. Leave them out.`);
    }
    const key = tierRouteKey(tier);
    const existing = this.routes.get(key);
    if (Token.isUnresolved(tenant.tenantId)) {
      // A tenant template (duck-typed: the lifecycle's TenantTemplate) must not take a route the tier does not give.
      if ((Stack.of(tenant.serviceGroup ?? this) as { takesRoute?: boolean }).takesRoute === true) {
        throw new Error(`${who} is in tier '${tier.tierName}', routed by its routing service, but its TenantTemplate takes a route of its own (RouterShard, RulePriority): `
          + 'give the template takesRoute: false, so that its tenants hold no router slot.');
      }
      if (!existing) {
        throw new Error(`${who} is a token in tier '${tier.tierName}', routed by its routing service: route the tier first (a tenant of it, or addSharedTier(tierName, [routingService.routingTarget])), so that the template joins a route that exists.`);
      }
      // Found by endpointFor; it adds no target group (the tier's route has it).
      this.routes.addTokenRoute({ ...existing, targets: [], tenants: [tenant.tenantId] });
    } else if (!existing) {
      this.addRoute({ tenantId: tenant.tenantId, tierName: tier.tierName, routingKey: key, routingTargets: tenant.routingTargets });
      return;
    } else if (existing.tenants.includes(tenant.tenantId)) {
      throw new Error(`${who} is already routed.`);
    } else {
      existing.tenants.push(tenant.tenantId);
    }
    if (tier.perTenant) {
      // In the tenant's own stack (its template's, for a token), on the tier route's shard.
      const route = this.routes.get(key)!;
      const scope = Token.isUnresolved(tenant.tenantId)
        ? new Construct(Stack.of(tenant.serviceGroup ?? this), `TenantApiKey${this.node.addr.slice(0, 8)}`)
        : route.shard!;
      this.plans.addTenantKey(scope, tenant.tenantId, tier, route.shardRef, route.shard);
    }
    this.addTenantKeyInTierPlan(tenant.tenantId, tier);
  }

  /**
   * A declared tenant of a tier with keys per tenant gets its key in the tier's plan here, in a nested stack of the
   * router's that holds the keys of up to `TENANT_KEYS_PER_STACK` tenants: no stack grows with the number of tenants
   * (a pooled tier's tenants all share the tier's stack). The tenant lifecycle creates the keys of tenants it onboards
   * (a tenant id that is a token).
   */
  private addTenantKeyInTierPlan(tenantId: string, tier: TierSettings): void {
    if (!tier.tenantKeys || Token.isUnresolved(tenantId)) {
      return;
    }
    if (this.tenantKeyStacks.length === 0 || this.keysInLastStack >= TENANT_KEYS_PER_STACK) {
      this.tenantKeyStacks.push(new NestedStack(this, `TenantKeys${this.tenantKeyStacks.length}`, {
        description: `API keys of declared tenants, in their tiers' usage plans (up to ${TENANT_KEYS_PER_STACK} tenants)`,
      }));
      this.keysInLastStack = 0;
    }
    this.keysInLastStack += 1;
    this.plans.addTenantKeyInTierPlan(this.tenantKeyStacks[this.tenantKeyStacks.length - 1], tenantId, tier.tierName);
  }

  private addRoute(
    tenant: { tenantId?: string; tierName: string; routingKey: string; routingTargets: RoutingTarget[] },
    options: RouteOptions = {},
  ): void {
    const tier = this.tiers.get(tenant.tierName)!;
    const who = tenant.tenantId ? `tenant '${tenant.tenantId}'` : `tier '${tenant.tierName}'`;
    const rules = tenant.routingTargets.length;
    if (rules > this.limits.rulesPerListener || rules > this.limits.targetGroupsPerLoadBalancer) {
      throw new Error(
        `${who} has ${rules} routing targets; one load balancer allows ${this.limits.rulesPerListener} rules and ${this.limits.targetGroupsPerLoadBalancer} target groups.`,
      );
    }
    if (options.shard !== undefined || options.priority !== undefined) {
      const { shard, priority } = options;
      if (shard === undefined || priority === undefined || Token.isUnresolved(shard) || Token.isUnresolved(priority)) {
        throw new Error(`options for ${who} must give both shard and priority as numbers (tokens only for a tenant id that is a token); got shard ${options.shard}, priority ${options.priority}.`);
      }
      const pin: RoutePlacement = { routingKey: tenant.routingKey, shard, priority, rules };
      this.routes.pin(pin);
    }
    const request = { key: tenant.routingKey, rules, targetGroups: rules, dedicated: tier.dedicated };
    const placement = this.routes.place(request, (i) => this.isDedicatedShard(i));
    const shard = this.shardAt(placement.shard, placement.dedicated);
    const record: RouteRecord = {
      key: tenant.routingKey,
      tierName: tier.tierName,
      targets: tenant.routingTargets,
      tenants: tenant.tenantId ? [tenant.tenantId] : [],
      shard,
      shardRef: refOf(shard),
      placement,
    };
    this.routes.add(record);
    tenant.routingTargets.forEach((target, i) => {
      attachRoute(this.props.vpc, target, shard.listener.listenerArn, shard.securityGroup.securityGroupId, placement.priority + i);
    });
    const hours = this.stopped.record(tier.tierName, who, tenant.routingTargets);
    if (hours) {
      this.ensureStoppedRules(tier.tierName, hours, [shard]);
    }
    if (tier.perTenant && tenant.tenantId) {
      this.plans.addTenantKey(shard, tenant.tenantId, tier, record.shardRef, shard);
    }
    if (tenant.tenantId) {
      this.addTenantKeyInTierPlan(tenant.tenantId, tier);
    }
  }

  private addTokenRoute(tenant: TierTenant, tier: TierSettings, options: RouteOptions): void {
    if (tier.routing === TierRouting.SHARED) {
      // A pooled tier's tenants share the tier's route (keyed by the tier name, see addSharedTier): a tenant whose id
      // is a token has no route of its own to add, so it is refused here.
      throw new Error(
        `tenant '${tenant.tenantId}' is a token in the shared tier '${tier.tierName}': a pooled tier's tenants need no route of their own; register them with the control plane only.`,
      );
    }
    if (options.shard === undefined || options.priority === undefined) {
      throw new Error(
        `tenant id '${tenant.tenantId}' is a CloudFormation token: give options.shard and options.priority (template parameters, allocated by the provisioning workflow); got shard ${options.shard}, priority ${options.priority}.`,
      );
    }
    if (tenant.routingTargets.length !== 1) {
      throw new Error(
        `tenant id '${tenant.tenantId}' is a token and has ${tenant.routingTargets.length} routing targets; a route whose priority is a token holds one rule: use the tenant proxy (proxy: true).`,
      );
    }
    const open = this.provisioningShards.length;
    if (!Token.isUnresolved(options.shard) && (options.shard < 0 || options.shard >= open || !Number.isInteger(options.shard))) {
      throw new Error(`options.shard must be the position of a shard open to provisioned tenants, 0 to ${open - 1}; got ${options.shard}. Create shards ahead with minShards.`);
    }
    const priority = options.priority;
    if (!Token.isUnresolved(priority) && !(Number.isInteger(priority) && priority >= 1 && priority <= LISTENER_PRIORITY_MAX)) {
      throw new Error(`options.priority must be a whole number from 1 to ${LISTENER_PRIORITY_MAX}; got ${options.priority}.`);
    }
    if (this.shardTemplate && !options.runtimeShard) {
      throw new Error(`tenant id '${tenant.tenantId}' is a token and the router opens shards at run time: give options.runtimeShard (TenantTemplate.runtimeShard), so that the template can attach to a shard opened after it was synthesized.`);
    }
    if (!this.shardTemplate && options.runtimeShard) {
      throw new Error(`options.runtimeShard is given for tenant '${tenant.tenantId}', but the router does not open shards at run time (openShardsAtRunTime).`);
    }
    const shardRef = options.runtimeShard
      ? withRuntimeShard(Stack.of(tenant.routingTargets[0].service), this.shardRefAt(options.shard), options.runtimeShard)
      : this.shardRefAt(options.shard);
    const hours = this.stopped.record(tier.tierName, `tenant '${tenant.tenantId}'`, tenant.routingTargets);
    if (hours) {
      // The template's shard is chosen at provisioning: every shard it may choose answers for the stopped tier.
      const shards = Token.isUnresolved(options.shard) ? this.frozenProvisioningShards! : [this.provisioningShards[options.shard]];
      this.ensureStoppedRules(tier.tierName, hours, shards);
    }
    const record: RouteRecord = {
      key: tenant.routingKey,
      tierName: tier.tierName,
      targets: tenant.routingTargets,
      tenants: [tenant.tenantId],
      shard: undefined,
      shardRef,
    };
    this.routes.addTokenRoute(record);
    attachRoute(this.props.vpc, tenant.routingTargets[0], shardRef.listenerArn, shardRef.securityGroupId, options.priority);
    if (tier.perTenant) {
      const scope = new Construct(Stack.of(tenant.routingTargets[0].service), `TenantApiKey${this.node.addr.slice(0, 8)}`);
      this.plans.addTenantKey(scope, tenant.tenantId, tier, shardRef, undefined);
    }
  }

  /** The shard's attributes, or a selection among all shards when the index is a token. */
  private shardRefAt(index: number): ShardRef {
    if (!Token.isUnresolved(index)) {
      return refOf(this.provisioningShards[index]);
    }
    // The list is fixed by the first template route: a later shard would not be in templates synthesized before it.
    this.frozenProvisioningShards ??= this.shardList.filter((s) => !s.dedicated);
    const open = this.frozenProvisioningShards;
    const select = (f: (s: TenantRouterShard) => string) => Fn.select(index, open.map(f));
    return {
      listenerArn: select((s) => s.listener.listenerArn),
      securityGroupId: select((s) => s.securityGroup.securityGroupId),
      apiId: select((s) => s.api.restApiId),
      stageName: this.props.stageName ?? 'prod',
      url: select((s) => s.url),
    };
  }

  private isDedicatedShard(index: number): boolean {
    return this.shardList[index]?.dedicated ?? false;
  }

  /** The shard with this index, created (with any missing before it) when needed. */
  private shardAt(index: number, dedicated: boolean): TenantRouterShard {
    while (this.shardList.length <= index) {
      const i = this.shardList.length;
      if (i + 1 > this.limits.loadBalancers) {
        throw new Error(
          `the router needs ${i + 1} load balancers; the quota is ${this.limits.loadBalancers} Application Load Balancers per Region. Raise it in Service Quotas and set quotas.loadBalancers.`,
        );
      }
      if (i + 1 > this.limits.restApis) {
        throw new Error(`the router needs ${i + 1} REST APIs (one per shard); the quota is ${this.limits.restApis} regional APIs. Raise it and set quotas.restApis.`);
      }
      const shard = TenantRouterShard._create(this, `Shard${i}`, this.shardOptions(i, i === index && dedicated));
      shard.node.addDependency(this.accessLogBucket.policy!);
      this.vpcLinkSecurityGroup.connections.allowTo(shard.securityGroup, ec2.Port.tcp(80), `Router shard ${i}`);
      if (this.account) {
        shard.node.addDependency(this.account);
      }
      this.plans.addShard(shard);
      this.shardList.push(shard);
    }
    return this.shardList[index];
  }

  /** The rules answering a stopped tier on these shards, and on the shard template (shards opened at run time). */
  private ensureStoppedRules(tierName: string, hours: RunningHours, shards: TenantRouterShard[]): void {
    shards.forEach((s) => this.stopped.ensureRule(s, s.index, tierName, hours));
    if (this.shardTemplate) {
      this.stopped.ensureRule(this.shardTemplate, -1, tierName, hours);
    }
  }

  /**
   * Listener-rule priorities the router holds on a shard besides its routes' (the rules answering stopped tiers):
   * the tenant lifecycle never hands them out.
   *
   * @internal
   */
  public _extraPriorities(shardIndex: number): number[] {
    return this.stopped.prioritiesOn(shardIndex);
  }

  /**
   * Listener-rule priorities that every shard opened at run time holds (the rules answering stopped tiers).
   *
   * @internal
   */
  public get _runtimeShardPriorities(): number[] {
    return this.stopped.prioritiesOn(-1);
  }

  /** What a shard is built with (`index` -1: the shard template, whose number is a parameter). */
  private shardOptions(index: number, dedicated: boolean): ShardOptions {
    return {
      index,
      vpc: this.props.vpc,
      vpcSubnets: subnetsOrDefault(this.props.vpcSubnets),
      application: this.props.application,
      vpcLinkSecurityGroup: this.vpcLinkSecurityGroup,
      vpcLink: this.vpcLink,
      authorizer: this.authorizer,
      authorizerCacheTtl: this.props.authorizerCacheTtl ?? Duration.minutes(5),
      stageName: this.props.stageName ?? 'prod',
      accessLogBucket: this.accessLogBucket,
      logRetention: this.props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: this.props.removalPolicy ?? RemovalPolicy.RETAIN,
      dedicated,
      webAclArn: this.props.webAclArn,
    };
  }

  private validateRouter(): string[] {
    const errors: string[] = [...this.stopped.validate(this.props.authorizerCacheTtl ?? Duration.minutes(5))];
    for (const shard of this.shardList) {
      const routed = this.placements.filter((p) => p.shard === shard.index).reduce((n, p) => n + p.rules, 0);
      const rules = routed + this.stopped.prioritiesOn(shard.index).length;
      if (rules > this.limits.rulesPerListener) {
        errors.push(`shard ${shard.index} has ${rules} listener rules (its routes and the rules answering stopped tiers); the quota is ${this.limits.rulesPerListener} per listener. `
          + 'Raise it and set quotas.rulesPerListener, or pin fewer routes on the shard.');
      }
    }
    const targetGroups = this.routes.targetGroups;
    if (targetGroups > this.limits.targetGroups) {
      errors.push(`the router has ${targetGroups} target groups; the quota is ${this.limits.targetGroups} per Region. Raise it and set quotas.targetGroups.`);
    }
    const plans = this.plans.count;
    if (plans > this.limits.usagePlans) {
      errors.push(`the router has ${plans} usage plans (${this.plans.tenantPlanCount} per tenant); the quota is ${this.limits.usagePlans} per Region.`);
    }
    const keys = this.plans.keyCount;
    if (keys > this.limits.apiKeys) {
      errors.push(`the router has ${keys} API keys (one per tier plan and per tenant with a key of its own); the quota is ${this.limits.apiKeys} per Region. `
        + 'Raise it and set quotas.apiKeys, or give some tiers apiKeys: TenantApiKeys.TIER.');
    }
    for (const p of this.routes.unusedPins) {
      Annotations.of(this).addWarningV2(
        'cdk-ecs-saas:placementWithoutRoute',
        `placement of '${p.routingKey}' (shard ${p.shard}, priority ${p.priority}) has no route: its priorities stay free for this deployment; drop it from placements after deploying.`,
      );
    }
    return errors;
  }
}

/** Declared tenants whose API keys (a key and its plan association each) one nested stack holds: 400 resources of 500. */
const TENANT_KEYS_PER_STACK = 200;

/** The key of a tier's one route: the tier name (SHARED), or the pattern of every tenant's key (ROUTING_SERVICE). */
function tierRouteKey(tier: TierSettings): string {
  return tier.routing === TierRouting.ROUTING_SERVICE ? routingServicePattern(tier.tierName) : tier.tierName;
}

/** A ROUTING_SERVICE tier's tenants are routed to its routing service's one target (whose key is the tier's pattern). */
function checkTierTargets(tier: TierSettings, who: string, targets: RoutingTarget[]): void {
  if (tier.routing !== TierRouting.ROUTING_SERVICE) {
    return;
  }
  const pattern = routingServicePattern(tier.tierName);
  if (targets.length !== 1 || targets[0].routingKey !== pattern) {
    throw new Error(`${who} is in tier '${tier.tierName}', routed ROUTING_SERVICE: its one routing target must be the tier's routing service (routing key '${pattern}'); `
      + `got [${targets.map((t) => t.routingKey).join(', ')}]. Give the tier its TierRoutingService (routingService).`);
  }
}

/**
 * A template route's shard: the one opened at run time that the template's parameters name, or, when they are empty,
 * the deploy-time shard it selects.
 */
function withRuntimeShard(stack: Stack, deployTime: ShardRef, runtime: RuntimeShardAttributes): ShardRef {
  const id = 'RuntimeShardGiven';
  const condition = (stack.node.tryFindChild(id) as CfnCondition | undefined)
    ?? new CfnCondition(stack, id, { expression: Fn.conditionNot(Fn.conditionEquals(runtime.listenerArn, '')) });
  const pick = (opened: string, created: string) => Token.asString(Fn.conditionIf(condition.logicalId, opened, created));
  return {
    listenerArn: pick(runtime.listenerArn, deployTime.listenerArn),
    securityGroupId: pick(runtime.securityGroupId, deployTime.securityGroupId),
    apiId: pick(runtime.apiId, deployTime.apiId),
    stageName: deployTime.stageName,
    url: pick(`https://${runtime.apiId}.execute-api.${stack.region}.${stack.urlSuffix}/${deployTime.stageName}/`, deployTime.url),
  };
}
