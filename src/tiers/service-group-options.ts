import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { RunningHours } from './running-hours';
import { SharedTaskExecution } from './shared-task-execution';
import { TierRoutingService } from './tier-routing-service';

/**
 * Part of a Fargate service's tasks on Fargate Spot (docs/cost.md). Spot tasks cost about 70% less and can be
 * stopped with two minutes' notice; ECS replaces them, with on-demand capacity if Spot has none.
 */
export interface FargateSpotOptions {
  /**
   * Tasks of each service that always run on on-demand Fargate, before the weights split the rest. With at least 1,
   * a Spot interruption never takes a service to zero tasks.
   *
   * @default 1
   */
  readonly onDemandBase?: number;

  /**
   * Relative share of the tasks above the base that run on on-demand Fargate.
   *
   * @default 1
   */
  readonly onDemandWeight?: number;

  /**
   * Relative share of the tasks above the base that run on Fargate Spot.
   *
   * @default 1
   */
  readonly spotWeight?: number;
}

/**
 * How groups of services are deployed: options shared by `ServiceGroup` and every tier.
 */
export interface ServiceGroupOptions {
  /**
   * Put the nginx tenant proxy in front of each group of services (one routing target per group). Without it, each
   * service is its own routing target, matched by its path prefix.
   *
   * @default true
   */
  readonly proxy?: boolean;

  /**
   * Image of the tenant proxy (nginx with `sh` and `wget`).
   *
   * @default - `public.ecr.aws/nginx/nginx:1.27-alpine`
   */
  readonly proxyImage?: ecs.ContainerImage;

  /**
   * Removal policy of the tables and log groups that are created.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Retention of the services' log groups.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Subnets the tasks (and EC2 container instances) run in.
   *
   * @default - the VPC's private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * CPU architecture of every task. `ARM64` (AWS Graviton) costs 20% less per vCPU-hour and GB-hour on Fargate;
   * every image of the application, and the proxy image, must be built for it (a multi-architecture image runs on
   * both). On EC2 capacity that the tier creates, the instance type must be of the same architecture.
   *
   * @default ecs.CpuArchitecture.X86_64
   */
  readonly cpuArchitecture?: ecs.CpuArchitecture;

  /**
   * Run part of each service's tasks on Fargate Spot. Fargate capacity only. A tier that creates its clusters turns
   * on their `FARGATE` and `FARGATE_SPOT` capacity providers; an existing cluster must have them.
   *
   * @default - every task on on-demand Fargate
   */
  readonly fargateSpot?: FargateSpotOptions;

  /**
   * Fewest tasks of every service of the group, the tenant proxy's included, in place of each service's own
   * `minTasks` (a service's `maxTasks` rises to it if lower). For tiers that can give up availability for cost,
   * such as non-production tenants: with 1, a replaced or failed task means downtime (the group warns).
   *
   * @default - each service's `minTasks`, and 2 for the proxy
   */
  readonly minTasks?: number;

  /**
   * A Cloud Map namespace that the group's Service Connect services share with other groups, in place of one of its
   * own: AWS allows 50 namespaces per Region by default, and a silo tenant would otherwise take one. In a shared
   * namespace each service is named `<service>-<tenant id>` (`<service>-<tier>` in a pooled group), and the proxy
   * reaches the services by those names. Tenants stay apart on the network: a group's security group admits only
   * its own tasks (docs/capacity.md). A namespace holds 2,000 instances by default (one per running task of a
   * service), so give each namespace as many tenants as their tasks at their largest fit.
   *
   * @default - a namespace per group
   */
  readonly namespace?: servicediscovery.INamespace;

  /**
   * An execution role and a log group that the group's task definitions share with other groups, in place of an
   * execution role and two log groups per service (docs/capacity.md). `logRetention` and `removalPolicy` then apply to
   * the shared log group only as its own props say.
   *
   * @default - each service has its own execution role and log groups
   */
  readonly taskExecution?: SharedTaskExecution;

  /**
   * When the services run (UTC). Outside these hours every service and the tenant proxy scale to zero tasks
   * (scheduled actions on their scalable targets), and a TenantRouter answers the tier's requests with 503 and a
   * message naming the hours (docs/cost.md). Every tenant of a tier must have the same hours.
   *
   * @default - always running
   */
  readonly runningHours?: RunningHours;

  /**
   * The tier's routing service (shared routing mode, silo tiers only): each tenant's services register in its DNS
   * namespace and admit its tasks, and the tenant has no proxy, target group or listener rule of its own. Route the
   * tier `TierRouting.ROUTING_SERVICE`.
   *
   * @default - each tenant has its own proxy and route
   */
  readonly routingService?: TierRoutingService;
}
