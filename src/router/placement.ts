/**
 * Placement of tenant routes on ALB shards, for the tenant router (not part of the jsii API).
 *
 * Rules (see docs/tenant-router.md):
 * - A route keeps its slot (shard, priority) for as long as it exists: a placement given in `previous` is never
 *   moved, because CloudFormation applies updates before deletes and a renumbered rule would clash with the rule it
 *   replaces in the same deployment.
 * - New routes take the first shard with room and the lowest priority free in it. A priority freed by a route removed
 *   in this same change is not reused until the next change (it is quarantined).
 * - A dedicated route (a premium tenant with its own load balancer) gets a shard of its own.
 * - Quotas are checked with their numbers: target groups per load balancer and rules per listener.
 */
import { DECLARED_PRIORITY_MAX } from '../contract/router';

/** A route to place: one routing key (a tenant, or a pooled tier) and the rules and target groups it needs. */
export interface RouteRequest {
  readonly key: string;
  /** Listener rules the route needs (one per routing target). */
  readonly rules: number;
  /** Target groups the route needs (one per routing target). */
  readonly targetGroups: number;
  /** The route gets a load balancer of its own. */
  readonly dedicated?: boolean;
}

/** Where a route is: its shard and the priority of its first rule (its rules take consecutive priorities). */
export interface Placement {
  readonly key: string;
  readonly shard: number;
  readonly priority: number;
  readonly rules: number;
  readonly targetGroups: number;
  readonly dedicated: boolean;
}

/** AWS quotas the plan respects. */
export interface PlacementQuotas {
  /** Target groups per Application Load Balancer. AWS default: 100. */
  readonly targetGroupsPerLoadBalancer: number;
  /** Rules per ALB listener, not counting the default rule. AWS default: 100. */
  readonly rulesPerListener: number;
}

export const DEFAULT_QUOTAS: PlacementQuotas = { targetGroupsPerLoadBalancer: 100, rulesPerListener: 100 };

/** What a shard holds after planning. */
export interface ShardUsage {
  readonly shard: number;
  readonly dedicated: boolean;
  readonly routes: number;
  readonly rules: number;
  readonly targetGroups: number;
}

export interface PlacementPlan {
  readonly placements: Placement[];
  readonly shards: ShardUsage[];
}

/**
 * Plans `routes` onto shards, keeping every placement in `previous` whose route still exists.
 */
export function planPlacements(
  routes: RouteRequest[],
  previous: Placement[] = [],
  quotas: PlacementQuotas = DEFAULT_QUOTAS,
): PlacementPlan {
  const seen = new Set<string>();
  for (const r of routes) {
    if (seen.has(r.key)) {
      throw new Error(`routing key '${r.key}' has two routes: a tenant (or pooled tier) is routed once.`);
    }
    seen.add(r.key);
    if (r.targetGroups > quotas.targetGroupsPerLoadBalancer || r.rules > quotas.rulesPerListener) {
      throw new Error(
        `route '${r.key}' needs ${r.rules} rules and ${r.targetGroups} target groups; one load balancer allows ${quotas.rulesPerListener} rules and ${quotas.targetGroupsPerLoadBalancer} target groups.`,
      );
    }
  }

  const byKey = new Map(routes.map((r) => [r.key, r]));
  const kept = previous.filter((p) => {
    const route = byKey.get(p.key);
    return route && route.rules === p.rules && route.targetGroups === p.targetGroups && !!route.dedicated === p.dedicated;
  });
  const keptKeys = new Set(kept.map((p) => p.key));

  // Priorities in use or quarantined (held by a route removed or reshaped in this change), per shard.
  const taken = new Map<number, Set<number>>();
  const take = (shard: number, from: number, count: number) => {
    const set = taken.get(shard) ?? new Set<number>();
    taken.set(shard, set);
    for (let i = 0; i < count; i++) {
      set.add(from + i);
    }
  };
  for (const p of previous) {
    take(p.shard, p.priority, p.rules);
  }

  const usage = new Map<number, { dedicated: boolean; routes: number; rules: number; targetGroups: number }>();
  const use = (shard: number, dedicated: boolean, r: { rules: number; targetGroups: number }) => {
    const u = usage.get(shard) ?? { dedicated, routes: 0, rules: 0, targetGroups: 0 };
    usage.set(shard, { dedicated, routes: u.routes + 1, rules: u.rules + r.rules, targetGroups: u.targetGroups + r.targetGroups });
  };
  for (const p of kept) {
    use(p.shard, p.dedicated, p);
  }
  for (const [shard, u] of usage) {
    if (u.rules > quotas.rulesPerListener || u.targetGroups > quotas.targetGroupsPerLoadBalancer) {
      throw new Error(
        `shard ${shard} holds ${u.rules} rules and ${u.targetGroups} target groups; the quotas are ${quotas.rulesPerListener} rules and ${quotas.targetGroupsPerLoadBalancer} target groups.`,
      );
    }
  }

  // Shards whose quarantined priorities are released next change still count as existing shards.
  const shardIds = new Set<number>([...taken.keys()]);
  let nextShard = shardIds.size ? Math.max(...shardIds) + 1 : 0;
  const placements: Placement[] = [...kept];
  for (const r of routes.filter((x) => !keptKeys.has(x.key))) {
    let shard: number | undefined;
    if (r.dedicated) {
      shard = nextShard++;
    } else {
      for (const s of [...shardIds].sort((a, b) => a - b)) {
        const u = usage.get(s);
        if (u?.dedicated) {
          continue;
        }
        if ((u?.rules ?? 0) + r.rules <= quotas.rulesPerListener && (u?.targetGroups ?? 0) + r.targetGroups <= quotas.targetGroupsPerLoadBalancer) {
          shard = s;
          break;
        }
      }
      shard ??= nextShard++;
    }
    shardIds.add(shard);
    const priority = lowestFree(taken.get(shard) ?? new Set(), r.rules);
    take(shard, priority, r.rules);
    use(shard, !!r.dedicated, r);
    placements.push({ key: r.key, shard, priority, rules: r.rules, targetGroups: r.targetGroups, dedicated: !!r.dedicated });
  }

  const shards = [...usage.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([shard, u]) => ({ shard, ...u }));
  return { placements, shards };
}

/** The lowest priority p such that p .. p+count-1 are all free. */
function lowestFree(taken: Set<number>, count: number): number {
  for (let p = 1; p + count - 1 <= DECLARED_PRIORITY_MAX; p++) {
    let free = true;
    for (let i = 0; i < count && free; i++) {
      free = !taken.has(p + i);
    }
    if (free) {
      return p;
    }
  }
  throw new Error(`no ${count} consecutive free listener-rule priorities left (declared routes use priorities up to ${DECLARED_PRIORITY_MAX}).`);
}
