/**
 * The capacity model (docs/capacity.md): what one tenant of a tier, one router shard and the fixed infrastructure
 * count against each AWS quota, read from synthesized templates, and the number of tenants at which a quota is
 * first reached.
 *
 * Two kinds of quota:
 * - account and Region quotas (`scope` 'account' or 'region'): the sum over every template counts;
 * - quotas on one resource (`scope` 'resource'): a tier's shared resource (the silo tier's cluster, a router shard's
 *   load balancer, a tenant stack) must hold what the tenants put on it. These are given per tier as `limits`.
 */
import { QUOTAS, Quota } from './quotas';

/** Amounts counted against quotas, by quota id. */
export type Usage = Record<string, number>;

/** vCPUs of the instance sizes the model meets (`m6i.large`: 2). */
const SIZE_VCPUS: Record<string, number> = { medium: 1, large: 2, xlarge: 4 };

/** The quotas that count running compute, which AWS raises with an account's use; reported apart from the others. */
export const COMPUTE_QUOTAS = ['fargate.onDemandVcpu', 'fargate.spotVcpu', 'ec2.onDemandStandardVcpu'];

/** What one template counts against account and Region quotas, with every service at its desired count. */
export function templateUsage(template: any): Usage {
  const usage: Usage = {};
  const add = (id: string, n = 1) => {
    usage[id] = (usage[id] ?? 0) + n;
  };
  const resources = Object.values<any>(template.Resources ?? {});
  const byId = template.Resources ?? {};
  add('cloudformation.stacks');
  for (const r of resources) {
    const p = r.Properties ?? {};
    switch (r.Type) {
      case 'AWS::IAM::Role': add('iam.roles'); break;
      case 'AWS::IAM::ManagedPolicy': add('iam.managedPolicies'); break;
      case 'AWS::Logs::LogGroup': add('logs.logGroups'); break;
      case 'AWS::ServiceDiscovery::HttpNamespace':
      case 'AWS::ServiceDiscovery::PrivateDnsNamespace':
      case 'AWS::ServiceDiscovery::PublicDnsNamespace': add('cloudmap.namespaces'); break;
      case 'AWS::EC2::SecurityGroup': add('vpc.securityGroups'); break;
      case 'AWS::ECS::Cluster': add('ecs.clusters'); break;
      case 'AWS::ElasticLoadBalancingV2::LoadBalancer': add(p.Type === 'network' ? 'elb.nlbs' : 'elb.albs'); break;
      case 'AWS::ElasticLoadBalancingV2::TargetGroup': add('elb.targetGroups'); break;
      case 'AWS::ApiGateway::RestApi': add('apigw.regionalRestApis'); break;
      case 'AWS::ApiGateway::UsagePlan': add('apigw.usagePlans'); break;
      case 'AWS::ApiGateway::ApiKey': add('apigw.apiKeys'); break;
      case 'AWS::ApiGateway::VpcLink':
      case 'AWS::ApiGatewayV2::VpcLink': add('apigw.vpcLinks'); break;
      case 'AWS::DynamoDB::Table':
      case 'AWS::DynamoDB::GlobalTable': add('dynamodb.tables'); break;
      case 'AWS::ApplicationAutoScaling::ScalableTarget':
        add(p.ServiceNamespace === 'dynamodb' ? 'autoscaling.scalableTargetsDynamoDb' : 'autoscaling.scalableTargets');
        break;
      case 'AWS::Cognito::UserPool': add('cognito.userPools'); break;
      case 'AWS::CloudFormation::Stack': break; // counted when its own template is counted
      case 'AWS::ECS::Service': serviceUsage(p, byId, add); break;
      case 'AWS::AutoScaling::AutoScalingGroup': {
        const size = instanceSize(p, byId);
        add('ec2.onDemandStandardVcpu', Number(p.MinSize ?? 0) * size);
        add('vpc.networkInterfaces', Number(p.MinSize ?? 0));
        break;
      }
      default:
    }
  }
  return usage;
}

/** A service's tasks: their ENIs (awsvpc), and on Fargate their vCPUs, split between on-demand and Spot. */
function serviceUsage(p: any, byId: any, add: (id: string, n?: number) => void): void {
  const tasks = Number(p.DesiredCount ?? 1);
  const td = byId[p.TaskDefinition?.Ref]?.Properties ?? {};
  if (td.NetworkMode === 'awsvpc') {
    add('vpc.networkInterfaces', tasks);
  }
  const strategy: any[] | undefined = p.CapacityProviderStrategy;
  const fargate = p.LaunchType === 'FARGATE' || strategy?.every((s) => s.CapacityProvider === 'FARGATE' || s.CapacityProvider === 'FARGATE_SPOT');
  if (!fargate) {
    return;
  }
  const vcpu = Number(td.Cpu) / 1024;
  let onDemand = tasks;
  if (strategy) {
    const od = strategy.find((s) => s.CapacityProvider === 'FARGATE');
    const spot = strategy.find((s) => s.CapacityProvider === 'FARGATE_SPOT');
    const base = Math.min(tasks, Number(od?.Base ?? 0));
    const odWeight = Number(od?.Weight ?? 0);
    const spotWeight = Number(spot?.Weight ?? 0);
    onDemand = base + (tasks - base) * (odWeight / ((odWeight + spotWeight) || 1));
  }
  add('fargate.onDemandVcpu', onDemand * vcpu);
  add('fargate.spotVcpu', (tasks - onDemand) * vcpu);
}

/** vCPUs of an Auto Scaling group's instance type, from its launch template. */
function instanceSize(asg: any, byId: any): number {
  const lt = byId[asg.LaunchTemplate?.LaunchTemplateId?.Ref]?.Properties?.LaunchTemplateData;
  const type: string = lt?.InstanceType ?? 'm6i.large';
  const size = type.split('.')[1] ?? 'large';
  const match = /^(\d+)xlarge$/.exec(size);
  return match ? Number(match[1]) * 4 : SIZE_VCPUS[size] ?? 2;
}

/** The sum of usages. */
export function sum(...usages: Usage[]): Usage {
  const out: Usage = {};
  for (const u of usages) {
    for (const [k, v] of Object.entries(u)) {
      out[k] = (out[k] ?? 0) + v;
    }
  }
  return out;
}

/** A usage multiplied by n. */
export function times(u: Usage, n: number): Usage {
  return Object.fromEntries(Object.entries(u).map(([k, v]) => [k, v * n]));
}

/** A resource-level quota on a resource the tier's new tenants share, e.g. services per cluster. */
export interface SharedLimit {
  /** The quota (scope 'resource'). */
  readonly quotaId: string;
  /** What one tenant puts on the shared resource. */
  readonly perTenant: number;
  /** What is on it before any tenant (declared tenants, shared services). */
  readonly base: number;
  /** How many such resources the tenants spread over (1: a single shared resource). */
  readonly resources: number;
}

/** A resource-level quota that each tenant (or each tenant's own resource) must fit, whatever the number of tenants. */
export interface FixedFit {
  readonly quotaId: string;
  /** The largest amount one tenant puts on one resource. */
  readonly amount: number;
}

/**
 * A limit of the tier's own configuration rather than an AWS quota, such as the awsvpc tasks its EC2 capacity can
 * place (instances × tasks per instance).
 */
export interface DesignLimit {
  readonly name: string;
  readonly capacity: number;
  readonly base: number;
  readonly perTenant: number;
}

/** One tier, as the model sees it. */
export interface TierModel {
  readonly tier: string;
  /** What one more tenant counts against account and Region quotas. */
  readonly perTenant: Usage;
  /** What one more router shard counts (nothing for a pooled tier). */
  readonly perShard: Usage;
  /** Tenants one shard holds (Infinity when tenants need no shard). */
  readonly tenantsPerShard: number;
  /** What exists before the first such tenant: the application plane and control plane as synthesized. */
  readonly fixed: Usage;
  readonly shared: SharedLimit[];
  readonly fits: FixedFit[];
  readonly design?: DesignLimit[];
}

/** Which value of a quota to use: its default, or the highest value it can be raised to. */
export type QuotaLevel = 'default' | 'maximum';

/** The value of a quota at a level; Infinity when it can be raised with no published maximum. */
export function quotaValue(q: Quota, level: QuotaLevel): number {
  if (level === 'default' || !q.adjustable) {
    return q.default;
  }
  return q.maximum ?? Infinity;
}

export interface Ceiling {
  /** The most tenants of the tier that fit (Infinity when no quota with a figure bounds it). */
  readonly tenants: number;
  /** The quota reached first. */
  readonly quota?: Quota;
  /** The tier's own limit reached first, when it comes before any quota. */
  readonly design?: DesignLimit;
}

/**
 * The most tenants of a tier that keep every quota, and the quota that one more tenant would exceed. `exclude` leaves
 * quotas out (for example the compute quotas, reported on their own); `withDesign` counts the tier's own limits too.
 */
export function ceiling(model: TierModel, level: QuotaLevel, exclude: string[] = [], withDesign = false): Ceiling {
  const quotas = QUOTAS.filter((q) => !exclude.includes(q.id));
  let best: Ceiling = { tenants: Infinity };
  const consider = (q: Quota, tenants: number) => {
    if (tenants < best.tenants) {
      best = { tenants, quota: q };
    }
  };
  for (const q of quotas) {
    const limit = quotaValue(q, level);
    if (q.scope === 'account' || q.scope === 'region') {
      const used = (n: number) => (model.fixed[q.id] ?? 0) + n * (model.perTenant[q.id] ?? 0)
        + (Number.isFinite(model.tenantsPerShard) ? Math.ceil(n / model.tenantsPerShard) * (model.perShard[q.id] ?? 0) : 0);
      if ((model.perTenant[q.id] ?? 0) === 0 && (model.perShard[q.id] ?? 0) === 0) {
        if (used(0) > limit) {
          consider(q, 0);
        }
        continue;
      }
      consider(q, largest((n) => used(n) <= limit));
    }
  }
  for (const s of model.shared) {
    const q = quotaById(s.quotaId);
    if (exclude.includes(q.id)) {
      continue;
    }
    const limit = quotaValue(q, level);
    consider(q, Math.max(0, Math.floor((limit * s.resources - s.base) / s.perTenant)));
  }
  for (const f of model.fits) {
    const q = quotaById(f.quotaId);
    if (!exclude.includes(q.id) && f.amount > quotaValue(q, level)) {
      consider(q, 0);
    }
  }
  for (const d of withDesign ? model.design ?? [] : []) {
    const tenants = Math.max(0, Math.floor((d.capacity - d.base) / d.perTenant));
    if (tenants < best.tenants) {
      best = { tenants, design: d };
    }
  }
  return best;
}

/** The largest n ≥ 0 with ok(n) (ok is monotone: true up to some n); Infinity past 10^12. */
function largest(ok: (n: number) => boolean): number {
  if (!ok(0)) {
    return 0;
  }
  let lo = 0;
  let hi = 1;
  while (ok(hi)) {
    lo = hi;
    hi *= 2;
    if (hi > 1e12) {
      return Infinity;
    }
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (ok(mid)) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return lo;
}

export function quotaById(id: string): Quota {
  const q = QUOTAS.find((x) => x.id === id);
  if (!q) {
    throw new Error(`No quota '${id}' in scripts/capacity/quotas.ts.`);
  }
  return q;
}

/** "Cloud Map namespaces per Region (50)". */
export function describe(c: Ceiling, level: QuotaLevel): string {
  if (c.design) {
    return `the tier's ${c.design.name} (${c.design.capacity.toLocaleString('en-US')}; not an AWS quota)`;
  }
  if (!c.quota) {
    return 'none with a published figure';
  }
  const value = quotaValue(c.quota, level);
  return `${c.quota.service}: ${c.quota.name} (${value.toLocaleString('en-US')}${c.quota.adjustable ? '' : ', fixed'})`;
}
