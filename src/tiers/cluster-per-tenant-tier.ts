import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { createTierCluster } from './cluster';
import { EcsTierOptions, TierTenant } from './ecs-tier-options';
import { TierCapacity } from './tier-capacity';
import { deployTenant, GroupSettings, placeTenant, pooledTables, registerTierName } from './tier-support';
import { RoutingTarget } from '../router/routing-target';

/**
 * Properties of a ClusterPerTenantTier.
 */
export interface ClusterPerTenantTierProps extends EcsTierOptions {
  /**
   * What runs each tenant's cluster.
   *
   * @default TierCapacity.fargate()
   */
  readonly capacity?: TierCapacity;
}

/**
 * The premium tier: a dedicated cluster per tenant (Fargate by default, EC2 capacity as an option), with the
 * tenant's own services, security group, Service Connect namespace, tables and task roles, behind its own routing
 * target (routing key: the tenant id).
 *
 * @example
 * declare const vpc: ec2.IVpc;
 * declare const application: SaasApplication;
 *
 * new ClusterPerTenantTier(this, 'Premium', { vpc, application, tenants: ['globex'] });
 */
export class ClusterPerTenantTier extends Construct {
  /** Name of the tier. */
  public readonly tierName: string;
  /** The pooled tables, by the application's table name. */
  public readonly pooledTables: { [name: string]: dynamodb.ITable };

  private readonly settings: GroupSettings;
  private readonly capacity: TierCapacity;
  private readonly vpc: ec2.IVpc;
  private readonly placed: TierTenant[] = [];

  constructor(scope: Construct, id: string, props: ClusterPerTenantTierProps) {
    super(scope, id);
    this.tierName = props.tierName ?? 'premium';
    registerTierName(this, this.tierName);
    this.vpc = props.vpc;
    this.capacity = props.capacity ?? TierCapacity.fargate();
    const subnets = props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    this.pooledTables = pooledTables(this, props.application, props.pooledTables, props.removalPolicy);
    this.settings = { ...props, tierName: this.tierName, pooledTables: this.pooledTables, vpcSubnets: subnets };
    (props.tenants ?? []).forEach((t) => this.addTenant(t));
  }

  /** The tenants placed in the tier. */
  public get tenants(): TierTenant[] {
    return [...this.placed];
  }

  /** Every tenant's routing targets. */
  public get routingTargets(): RoutingTarget[] {
    return this.placed.flatMap((t) => t.routingTargets);
  }

  /**
   * Deploys a cluster and the application for a tenant. The id may be a CloudFormation token (one such tenant per
   * tier, as in a tenant stack provisioned from a template).
   *
   * @param tenantId the tenant's id
   */
  public addTenant(tenantId: string): TierTenant {
    const scope = new Construct(this, placeTenant(this, this.tierName, tenantId));
    const { cluster, capacityProviderName } = createTierCluster(scope, this.vpc, this.capacity, this.settings.vpcSubnets!);
    const tenant = deployTenant(scope, this.settings, tenantId, cluster, capacityProviderName, true);
    this.placed.push(tenant);
    return tenant;
  }
}
