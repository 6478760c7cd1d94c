import { Aws, Duration, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';
import { createTierCluster } from './cluster';
import {
  DEFAULT_PROXY_IMAGE, PROXY_HEALTH_PATH, PROXY_PORT, renderRoutingServiceConfig, RESOLVER_PREPARE, ROUTING_DNS_TTL_SECONDS,
} from './nginx';
import { FargateSpotOptions } from './service-group-options';
import { SharedTaskExecution } from './shared-task-execution';
import { TaskFactory } from './task-factory';
import { TierCapacity } from './tier-capacity';
import { SaasApplication, ServiceDefinition } from '../application/saas-application';
import { ROUTING_HEADER, routingServicePattern } from '../contract/router';
import { subnetsOrDefault } from '../private/defaults';
import { checkGroupOptions } from '../private/group-options';
import { checkTenantQualifiedNames } from '../private/naming';
import { TIER_NAME_PATTERN, TIER_NAME_RULE } from '../private/tier-name';
import { RoutingTarget } from '../router/routing-target';

/** A DNS name: labels of letters, digits and hyphens (not at either end), separated by dots. */
const DNS_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * Properties of a TierRoutingService.
 */
export interface TierRoutingServiceProps {
  /** The VPC of the tier's tenants. */
  readonly vpc: ec2.IVpc;

  /**
   * The cluster the routing tasks run in (on Fargate).
   *
   * @default - a cluster of its own
   */
  readonly cluster?: ecs.ICluster;

  /** The application whose services the tier's tenants run. */
  readonly application: SaasApplication;

  /** Name of the tier whose tenants it routes. */
  readonly tierName: string;

  /**
   * Name of the private DNS namespace (a Route 53 private hosted zone in the cluster's VPC) where the tenants'
   * services register their tasks.
   *
   * @default - `<tier>.<stack name>.routing` (a stack name of at most 63 characters)
   */
  readonly namespaceName?: string;

  /**
   * Image of the routing service (nginx with `sh`, `sed`, `awk` and `wget`).
   *
   * @default - `public.ecr.aws/nginx/nginx:1.27-alpine`
   */
  readonly image?: ecs.ContainerImage;

  /**
   * Fewest routing tasks.
   *
   * @default 2
   */
  readonly minTasks?: number;

  /**
   * Most routing tasks (CPU autoscaling at 60%).
   *
   * @default 20
   */
  readonly maxTasks?: number;

  /**
   * CPU architecture of the routing tasks.
   *
   * @default ecs.CpuArchitecture.X86_64
   */
  readonly cpuArchitecture?: ecs.CpuArchitecture;

  /**
   * Run part of the routing tasks on Fargate Spot.
   *
   * @default - every task on on-demand Fargate
   */
  readonly fargateSpot?: FargateSpotOptions;

  /**
   * The tier's shared execution role and log group.
   *
   * @default - an execution role and a log group of its own
   */
  readonly taskExecution?: SharedTaskExecution;

  /**
   * Subnets of the routing tasks.
   *
   * @default - the VPC's private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Retention of its log group.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The shared routing mode of a silo tier: one horizontally scaled nginx service routes every tenant of the tier to
 * that tenant's own services, so that a tenant needs no target group, listener rule or proxy of its own.
 *
 * - The router sends the tier one route: the routing header `<tier>/<tenant>` (written by API Gateway from the
 *   authorizer's verified decision) matched by `<tier>/*` (`TierRouting.ROUTING_SERVICE`). Adding a tenant adds no
 *   load-balancer resource, so tenants do not use up shards.
 * - Each tenant's services register their tasks in this service's private DNS namespace as `<service>-<tenant>`; the
 *   routing tasks resolve that name per request (cached for 10 s), so a tenant onboarded after they started is
 *   reached at once. Service Connect cannot do this: a client task knows only the names that existed when it started.
 * - Isolation: a tenant's security group admits the routing service's group on the service ports, and its own
 *   group; nothing admits one tenant's tasks into another's. The routing service admits the router's load balancers
 *   only (docs/service-group.md, "Shared routing mode").
 *
 * Give it to the tier as `routingService`, and route the tier `TierRouting.ROUTING_SERVICE`.
 *
 * @example
 * declare const vpc: ec2.IVpc;
 * declare const application: SaasApplication;
 *
 * const routingService = new TierRoutingService(this, 'AdvancedRouting', { vpc, application, tierName: 'advanced' });
 * new SiloServiceTier(this, 'Advanced', { vpc, application, routingService, tenants: ['acme', 'globex'] });
 */
export class TierRoutingService extends Construct {
  /** Name of the tier it routes. */
  public readonly tierName: string;

  /** The security group of the routing tasks: the one source a tenant's services admit besides themselves. */
  public readonly securityGroup: ec2.SecurityGroup;

  /** The private DNS namespace the tenants' services register in. */
  public readonly namespace: servicediscovery.PrivateDnsNamespace;

  /** The routing tasks' ECS service. */
  public readonly service: ecs.BaseService;

  /** The one routing target of the tier: every tenant's route (routing key `<tier>/*`). */
  public readonly routingTarget: RoutingTarget;

  private readonly application: SaasApplication;

  constructor(scope: Construct, id: string, props: TierRoutingServiceProps) {
    super(scope, id);
    if (!TIER_NAME_PATTERN.test(props.tierName)) {
      throw new Error(`tierName must be ${TIER_NAME_RULE}; got '${props.tierName}'.`);
    }
    checkGroupOptions(props, undefined);
    const minTasks = props.minTasks ?? 2;
    const maxTasks = props.maxTasks ?? 20;
    if (!Number.isInteger(maxTasks) || maxTasks < minTasks) {
      throw new Error(`maxTasks must be a whole number of at least minTasks (${minTasks}); got ${maxTasks}.`);
    }
    const app = props.application;
    checkTenantQualifiedNames(app.services.map((s) => s.name), 'routingService');
    if (props.namespaceName !== undefined && !Token.isUnresolved(props.namespaceName) && !DNS_NAME.test(props.namespaceName)) {
      throw new Error(`namespaceName must be a DNS name (labels of letters, digits and hyphens, separated by dots); got '${props.namespaceName}'.`);
    }
    this.tierName = props.tierName;
    this.application = app;

    const vpcSubnets = subnetsOrDefault(props.vpcSubnets);
    const cluster = props.cluster ?? createTierCluster(this, props.vpc, TierCapacity.fargate(), vpcSubnets, props.cpuArchitecture).cluster;
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Routing service of tier ${props.tierName}: admits the router load balancers only`,
      allowAllOutbound: true,
    });
    this.namespace = new servicediscovery.PrivateDnsNamespace(this, 'Namespace', {
      vpc: props.vpc,
      name: props.namespaceName ?? `${props.tierName}.${Aws.STACK_NAME}.routing`,
      description: `Tasks of the tenants of tier ${props.tierName}, for its routing service`,
    });

    const tasks = new TaskFactory(this, { ...props, cluster, vpcSubnets, securityGroup: this.securityGroup, streamOwner: props.tierName, minTasks });
    tasks.warnFewerThanTwo('cdk-ecs-saas:fewerThanTwoRoutingTasks', `The routing service of tier ${props.tierName}`, minTasks);
    const taskDefinition = tasks.taskDefinition('Routing', 256, 512);
    tasks.addNginx(
      taskDefinition,
      props.image ?? ecs.ContainerImage.fromRegistry(DEFAULT_PROXY_IMAGE),
      renderRoutingServiceConfig(app.services, app._cors, props.tierName, this.namespace.namespaceName, ROUTING_HEADER),
      tasks.logDriver('routing', 'RoutingLogs'),
      RESOLVER_PREPARE,
    );
    this.service = tasks.service('Routing', taskDefinition, { minTasks, maxTasks, targetCpuUtilizationPercent: 60 });
    this.routingTarget = new RoutingTarget({
      tierName: props.tierName,
      routingKey: routingServicePattern(props.tierName),
      service: this.service,
      containerName: 'proxy',
      port: PROXY_PORT,
      healthCheckPath: PROXY_HEALTH_PATH,
      httpMethods: [...new Set(app.services.flatMap((s) => s.httpMethods!))],
    });
  }

  /**
   * Where a tenant's service registers its tasks: an A record per task, `<service>-<tenant>` in the namespace.
   *
   * @internal
   */
  public _registration(service: ServiceDefinition, tenantId: string): ecs.CloudMapOptions {
    return {
      cloudMapNamespace: this.namespace,
      name: `${service.name}-${tenantId}`,
      dnsRecordType: servicediscovery.DnsRecordType.A,
      dnsTtl: Duration.seconds(ROUTING_DNS_TTL_SECONDS),
    };
  }

  /**
   * Checks a service group that uses this routing service: one tenant of this tier, of this application, without
   * its own proxy.
   *
   * @internal
   */
  public _checkGroup(group: { tierName: string; tenantId?: string; application: SaasApplication; proxy?: boolean; runningHours?: unknown }): void {
    if (group.tenantId === undefined) {
      throw new Error(`routingService routes the tenants of a silo tier to their own services; tier '${group.tierName}' is pooled, whose tenants share one route already: leave routingService out.`);
    }
    if (group.tierName !== this.tierName) {
      throw new Error(`routingService routes tier '${this.tierName}', but this group is in tier '${group.tierName}': give the tier a routing service of its own.`);
    }
    const routes = (a: SaasApplication) => a.services.map((s) => `${s.name} ${s.pathPrefix} :${s.containerPort} ${s.httpMethods!.join(',')}`).join('; ');
    if (routes(group.application) !== routes(this.application)) {
      throw new Error(`routingService routes the services [${routes(this.application)}], but tier '${group.tierName}'s application has [${routes(group.application)}]: `
        + 'build the routing service with an application of the same services, paths, ports and methods.');
    }
    if (group.runningHours) {
      throw new Error(`runningHours and routingService conflict in tier '${group.tierName}': the routing service serves the whole tier and does not stop with a tenant's hours. Leave one out.`);
    }
    if (group.proxy === true) {
      throw new Error(`proxy: true and routingService conflict in tier '${group.tierName}': the routing service takes the proxy's place. Leave proxy out.`);
    }
  }
}
