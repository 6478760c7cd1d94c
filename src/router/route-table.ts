import { Annotations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { Placement, planPlacements, RouteRequest } from './placement';
import { RoutePlacement, RouterQuotas } from './router-options';
import { validatePlacements } from './router-validation';
import { RoutingTarget } from './routing-target';
import { TenantRouterShard } from './tenant-router-shard';

/** A route of the router: one routing key (a tenant, or a pooled tier) to its targets on one shard. */
export interface RouteRecord {
  readonly key: string;
  readonly tierName: string;
  readonly targets: RoutingTarget[];
  readonly tenants: string[];
  /** The shard; undefined for a route whose shard is a template parameter. */
  readonly shard: TenantRouterShard | undefined;
  readonly shardRef: ShardRef;
  readonly placement?: Placement;
}

/**
 * The router's routes and where they are. A route keeps its placement once it has one (pinned by the user from a
 * previous deployment, or planned here); new routes are planned around every placement held, pinned routes not added
 * yet included (docs/tenant-router.md).
 */
export class RouteTable {
  /** Routes with a literal routing key, by key. */
  private readonly routes = new Map<string, RouteRecord>();
  /** Routes of tenants whose id is a template parameter. */
  private readonly tokenRoutes: RouteRecord[] = [];
  private readonly pinned: Map<string, RoutePlacement>;

  constructor(private readonly owner: IConstruct, placements: RoutePlacement[], private readonly limits: Required<RouterQuotas>) {
    this.pinned = validatePlacements(placements, limits);
  }

  /** The route of a routing key (literal keys only). */
  public get(key: string): RouteRecord | undefined {
    return this.routes.get(key);
  }

  public add(record: RouteRecord): void {
    this.routes.set(record.key, record);
  }

  public addTokenRoute(record: RouteRecord): void {
    this.tokenRoutes.push(record);
  }

  /** The route a tenant is on, whatever its kind. */
  public routeOfTenant(tenantId: string): RouteRecord | undefined {
    return [...this.routes.values(), ...this.tokenRoutes].find((r) => r.tenants.includes(tenantId));
  }

  /** Target groups of every route, against the Region's quota. */
  public get targetGroups(): number {
    return [...this.routes.values(), ...this.tokenRoutes].reduce((n, r) => n + r.targets.length, 0);
  }

  /** Where every route with a literal routing key is, by shard and priority. */
  public get placements(): RoutePlacement[] {
    return [...this.routes.values()]
      .filter((r) => r.placement)
      .map((r) => ({ routingKey: r.key, shard: r.placement!.shard, priority: r.placement!.priority, rules: r.placement!.rules }))
      .sort((a, b) => a.shard - b.shard || a.priority - b.priority);
  }

  /** Pins a route where the user asked for it, after checking it against every other pin. */
  public pin(placement: RoutePlacement): void {
    validatePlacements([...[...this.pinned.values()].filter((p) => p.routingKey !== placement.routingKey), placement], this.limits);
    this.pinned.set(placement.routingKey, placement);
  }

  /** Pins whose route was never added: their priorities stay free for this deployment. */
  public get unusedPins(): RoutePlacement[] {
    return [...this.pinned.values()].filter((p) => !this.routes.has(p.routingKey));
  }

  /** Places a route, keeping the pinned and existing placements. */
  public place(request: RouteRequest, isDedicatedShard: (index: number) => boolean): Placement {
    const previous: Placement[] = [];
    const requests: RouteRequest[] = [];
    for (const r of this.routes.values()) {
      previous.push(r.placement!);
      requests.push({ key: r.key, rules: r.placement!.rules, targetGroups: r.placement!.targetGroups, dedicated: r.placement!.dedicated });
    }
    // Pinned routes not added yet hold their slots (and their capacity) too.
    for (const p of this.pinned.values()) {
      if (!this.routes.has(p.routingKey) && p.routingKey !== request.key) {
        const dedicated = isDedicatedShard(p.shard);
        previous.push({ key: p.routingKey, shard: p.shard, priority: p.priority, rules: p.rules, targetGroups: p.rules, dedicated });
        requests.push({ key: p.routingKey, rules: p.rules, targetGroups: p.rules, dedicated });
      }
    }
    const pin = this.pinned.get(request.key);
    if (pin) {
      if (pin.rules !== request.rules) {
        Annotations.of(this.owner).addWarningV2(
          'cdk-ecs-saas:routeReshaped',
          `route '${request.key}' is pinned with ${pin.rules} rules but now has ${request.rules}: it gets a new placement, and its old priorities stay free until the next deployment.`,
        );
      } else {
        const dedicated = !!request.dedicated;
        previous.push({ key: pin.routingKey, shard: pin.shard, priority: pin.priority, rules: pin.rules, targetGroups: pin.rules, dedicated });
      }
    }
    requests.push(request);
    const plan = planPlacements(requests, previous, this.limits);
    return plan.placements.find((p) => p.key === request.key)!;
  }
}

/** Where a route attaches: a shard's listener, security group and API, or selections among shards (template routes). */
export interface ShardRef {
  readonly listenerArn: string;
  readonly securityGroupId: string;
  readonly apiId: string;
  readonly stageName: string;
  readonly url: string;
}

/** The attributes of a shard a route attaches to. */
export function refOf(shard: TenantRouterShard): ShardRef {
  return {
    listenerArn: shard.listener.listenerArn,
    securityGroupId: shard.securityGroup.securityGroupId,
    apiId: shard.api.restApiId,
    stageName: shard.api.deploymentStage.stageName,
    url: shard.url,
  };
}
