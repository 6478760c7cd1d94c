import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { ServiceGroup } from './service-group';
import { ServiceGroupOptions } from './service-group-options';
import { SaasApplication } from '../application/saas-application';
import { RoutingTarget } from '../router/routing-target';

/**
 * Options every tier takes.
 */
export interface EcsTierOptions extends ServiceGroupOptions {
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
   * Existing pooled tables, by the application's table name (for example tables shared with another tier).
   *
   * @default - the tier creates the application's pooled tables it needs
   */
  readonly pooledTables?: { [name: string]: dynamodb.ITable };
}

/**
 * A tenant as a tier placed it.
 */
export interface TierTenant {
  /** The tenant's id. */
  readonly tenantId: string;

  /** The tier's name. */
  readonly tierName: string;

  /** The routing header value that selects the tenant: its id in a silo tier, `<tier>/<tenant>` behind a routing service, the tier name in a pool. */
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
