import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { RunningHours } from '../tiers/running-hours';

/**
 * Properties of a RoutingTarget.
 */
export interface RoutingTargetProps {
  /** Name of the tier the target belongs to. */
  readonly tierName: string;

  /**
   * Value of the routing header that selects this target: the tenant id for a silo tenant, the tier name for a
   * pooled tier.
   */
  readonly routingKey: string;

  /**
   * The tenant the target serves.
   *
   * @default - every tenant of a pooled tier
   */
  readonly tenantId?: string;

  /**
   * Path prefix the target answers under.
   *
   * @default - every path (the tenant proxy routes by path itself)
   */
  readonly pathPrefix?: string;

  /** The ECS service behind the target. */
  readonly service: ecs.BaseService;

  /** The container that receives the traffic. */
  readonly containerName: string;

  /** The container port that receives the traffic. */
  readonly port: number;

  /** Path the load balancer's health check requests (unauthenticated). */
  readonly healthCheckPath: string;

  /** HTTP methods the target answers; a router may refuse the others. */
  readonly httpMethods: string[];

  /**
   * When the service behind the target runs; outside these hours the router answers for it.
   *
   * @default - always
   */
  readonly runningHours?: RunningHours;
}

/**
 * One entry point of a tier that the router sends requests to: the tenant proxy, or one service when the proxy is
 * off. The router creates a target group for it, registers `loadBalancerTarget()` and matches requests whose
 * routing header equals `routingKey` (and whose path starts with `pathPrefix`, when set). Registering the target
 * opens the target's security group to the load balancer on `port`, and to nothing else.
 */
export class RoutingTarget implements ec2.IConnectable {
  /** Name of the tier the target belongs to. */
  public readonly tierName: string;
  /** Value of the routing header that selects this target. */
  public readonly routingKey: string;
  /**
   * The tenant the target serves.
   *
   * @default - every tenant of a pooled tier
   */
  public readonly tenantId?: string;
  /**
   * Path prefix the target answers under.
   *
   * @default - every path
   */
  public readonly pathPrefix?: string;
  /** The ECS service behind the target. */
  public readonly service: ecs.BaseService;
  /** The container that receives the traffic. */
  public readonly containerName: string;
  /** The container port that receives the traffic. */
  public readonly port: number;
  /** Path the load balancer's health check requests. */
  public readonly healthCheckPath: string;
  /** HTTP methods the target answers; a router may refuse the others. */
  public readonly httpMethods: string[];
  /**
   * When the service behind the target runs.
   *
   * @default - always
   */
  public readonly runningHours?: RunningHours;

  constructor(props: RoutingTargetProps) {
    this.runningHours = props.runningHours;
    this.tierName = props.tierName;
    this.routingKey = props.routingKey;
    this.tenantId = props.tenantId;
    this.pathPrefix = props.pathPrefix;
    this.service = props.service;
    this.containerName = props.containerName;
    this.port = props.port;
    this.healthCheckPath = props.healthCheckPath;
    this.httpMethods = props.httpMethods;
  }

  /** The security group connections of the service behind the target. */
  public get connections(): ec2.Connections {
    return this.service.connections;
  }

  /** The ECS service as an ALB target (IP targets, on `port` of `containerName`). */
  public loadBalancerTarget(): elbv2.IApplicationLoadBalancerTarget {
    return this.service.loadBalancerTarget({ containerName: this.containerName, containerPort: this.port });
  }
}
