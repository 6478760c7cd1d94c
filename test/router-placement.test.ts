import { Placement, planPlacements, RouteRequest } from '../src/router/placement';

/** Checks a plan: quotas per shard, and no two rules of one shard (listener) share a priority. */
function check(placements: Placement[], quotas = { rules: 100, targetGroups: 100 }) {
  const perShard = new Map<number, { rules: number; tgs: number; priorities: Set<number> }>();
  for (const p of placements) {
    const s = perShard.get(p.shard) ?? { rules: 0, tgs: 0, priorities: new Set<number>() };
    perShard.set(p.shard, s);
    s.rules += p.rules;
    s.tgs += p.targetGroups;
    for (let i = 0; i < p.rules; i++) {
      expect(s.priorities.has(p.priority + i)).toBe(false);
      s.priorities.add(p.priority + i);
    }
  }
  for (const s of perShard.values()) {
    expect(s.rules).toBeLessThanOrEqual(quotas.rules);
    expect(s.tgs).toBeLessThanOrEqual(quotas.targetGroups);
  }
  return perShard;
}

const tenants = (n: number, from = 0): RouteRequest[] =>
  Array.from({ length: n }, (_, i) => ({ key: `tenant-${from + i}`, rules: 1, targetGroups: 1 }));

test('placement simulation: 10,000 silo tenants fit 100 shards within the quotas, with no shared priority', () => {
  const { placements, shards } = planPlacements(tenants(10_000));
  check(placements);
  expect(shards).toHaveLength(100);
  expect(shards.every((s) => s.rules === 100 && s.targetGroups === 100)).toBe(true);
});

test('tenants added and removed over time: kept tenants never move, freed priorities are quarantined for one change', () => {
  let current = planPlacements(tenants(250)).placements;
  const removed = new Set(['tenant-3', 'tenant-120', 'tenant-249']);
  const next = planPlacements([...tenants(250).filter((t) => !removed.has(t.key)), ...tenants(5, 1000)], current);
  // Every kept tenant has exactly its old slot.
  for (const p of next.placements.filter((x) => current.some((c) => c.key === x.key))) {
    expect(p).toEqual(current.find((c) => c.key === p.key));
  }
  // The new tenants did not take a priority freed in this same change.
  const freed = current.filter((c) => removed.has(c.key)).map((c) => `${c.shard}/${c.priority}`);
  const added = next.placements.filter((p) => p.key.startsWith('tenant-100')).map((p) => `${p.shard}/${p.priority}`);
  expect(added.filter((a) => freed.includes(a))).toEqual([]);
  check(next.placements);
  // In the change after that, freed priorities are reused.
  current = next.placements;
  const later = planPlacements([...current.map((p) => ({ key: p.key, rules: 1, targetGroups: 1 })), ...tenants(3, 2000)], current);
  check(later.placements);
  const laterAdded = later.placements.filter((p) => /^tenant-200\d$/.test(p.key)).map((p) => `${p.shard}/${p.priority}`);
  expect(laterAdded).toHaveLength(3);
  expect(laterAdded.filter((a) => freed.includes(a))).toEqual(['2/50']); // shard 0 and 1 are full by then
});

test('the same input always gives the same plan', () => {
  expect(planPlacements(tenants(300))).toEqual(planPlacements(tenants(300)));
});

test('a dedicated route gets a load balancer of its own, and nothing else is placed there', () => {
  const { placements, shards } = planPlacements([...tenants(150), { key: 'premium-1', rules: 3, targetGroups: 3, dedicated: true }, ...tenants(10, 500)]);
  const premium = placements.find((p) => p.key === 'premium-1')!;
  expect(shards.find((s) => s.shard === premium.shard)).toEqual({ shard: premium.shard, dedicated: true, routes: 1, rules: 3, targetGroups: 3 });
  check(placements);
});

test('a route with several targets (proxy off) takes consecutive priorities', () => {
  const { placements } = planPlacements([{ key: 'acme', rules: 3, targetGroups: 3 }, { key: 'globex', rules: 3, targetGroups: 3 }]);
  expect(placements.map((p) => [p.key, p.shard, p.priority])).toEqual([['acme', 0, 1], ['globex', 0, 4]]);
});

test('custom quotas are respected', () => {
  const { shards, placements } = planPlacements(tenants(95), [], { targetGroupsPerLoadBalancer: 30, rulesPerListener: 50 });
  check(placements, { rules: 50, targetGroups: 30 });
  expect(shards.map((s) => s.targetGroups)).toEqual([30, 30, 30, 5]);
});

describe('validation', () => {
  test('fails when a routing key has two routes', () => {
    expect(() => planPlacements([...tenants(2), { key: 'tenant-1', rules: 1, targetGroups: 1 }])).toThrow(
      "routing key 'tenant-1' has two routes: a tenant (or pooled tier) is routed once.",
    );
  });

  test('fails when one route needs more than a load balancer allows', () => {
    expect(() => planPlacements([{ key: 'big', rules: 101, targetGroups: 101 }])).toThrow(
      "route 'big' needs 101 rules and 101 target groups; one load balancer allows 100 rules and 100 target groups.",
    );
  });

  test('fails when kept placements already exceed lowered quotas', () => {
    const { placements } = planPlacements(tenants(60));
    expect(() => planPlacements(tenants(60), placements, { targetGroupsPerLoadBalancer: 50, rulesPerListener: 100 })).toThrow(
      'shard 0 holds 60 rules and 60 target groups; the quotas are 100 rules and 50 target groups.',
    );
  });
});
