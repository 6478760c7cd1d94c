import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { RoutingTarget } from './routing-target';
import { SaasApplication } from './saas-application';
import { ServiceGroup } from './service-group';

/**
 * Options every tier takes.
 */
export interface EcsTierOptions {
  /** The VPC the tier runs in. */
  readonly vpc: ec2.IVpc;

  /** The application the tier deploys. */
  readonly application: SaasApplication;

  /**
   * Name of the tier: 1 to 20 lowercase letters, digits and hyphens, starting with a letter. It is the routing key of
   * a pooled tier and part of each tenant's Service Connect namespace (`<tenant>.<tier>.<stack name>`).
   *
   * @default - `basic`, `advanced` or `premium`
   */
  readonly tierName?: string;

  /**
   * Tenants to deploy now (more with `addTenant`).
   *
   * @default - none
   */
  readonly tenants?: string[];

  /**
   * Put the nginx tenant proxy in front of each group of services (one routing target per tenant). Without it,
   * each service is its own routing target, matched by its path prefix.
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
   * Existing pooled tables, by the application's table name (for example tables shared with another tier).
   *
   * @default - the tier creates the application's pooled tables it needs
   */
  readonly pooledTables?: { [name: string]: dynamodb.ITable };

  /**
   * Removal policy of the tables and log groups the tier creates.
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
}

/**
 * A tenant as a tier placed it.
 */
export interface TierTenant {
  /** The tenant's id. */
  readonly tenantId: string;

  /** The tier's name. */
  readonly tierName: string;

  /** The routing header value that selects the tenant's targets: its id in a silo tier, the tier name in a pool. */
  readonly routingKey: string;

  /** Where the router sends the tenant's requests. */
  readonly routingTargets: RoutingTarget[];

  /**
   * The tenant's own services.
   *
   * @default - none in a pooled tier, where tenants share the tier's services
   */
  readonly serviceGroup?: ServiceGroup;

  /**
   * The tenant's own cluster.
   *
   * @default - the tier's shared cluster
   */
  readonly cluster?: ecs.ICluster;
}
