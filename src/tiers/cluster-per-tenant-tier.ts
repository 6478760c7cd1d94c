import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import { createTierCluster } from './cluster';
import { EcsTierOptions, TierTenant } from './ecs-tier-options';
import { TenantTier } from './tenant-tier';
import { TierCapacity } from './tier-capacity';
import { addDeclaredTenants, deployTenant, GroupSettings, placeTenant, pooledTables } from './tier-support';
import { subnetsOrDefault } from '../private/defaults';
import { checkGroupOptions } from '../private/group-options';

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
export class ClusterPerTenantTier extends TenantTier {
  /** The pooled tables, by the application's table name. */
  public readonly pooledTables: { [name: string]: dynamodb.ITable };

  private readonly settings: GroupSettings;
  private readonly capacity: TierCapacity;
  private readonly vpc: ec2.IVpc;
  private readonly cpuArchitecture?: ecs.CpuArchitecture;

  constructor(scope: Construct, id: string, props: ClusterPerTenantTierProps) {
    super(scope, id, props.tierName ?? 'premium');
    this.vpc = props.vpc;
    this.capacity = props.capacity ?? TierCapacity.fargate();
    checkGroupOptions(props, this.capacity.isEc2 ? 'capacity: TierCapacity.ec2()' : undefined);
    this.cpuArchitecture = props.cpuArchitecture;
    const subnets = subnetsOrDefault(props.vpcSubnets);
    this.pooledTables = pooledTables(this, props.application, props.pooledTables, props.removalPolicy);
    this.settings = { ...props, tierName: this.tierName, pooledTables: this.pooledTables, vpcSubnets: subnets };
    addDeclaredTenants(props.tenants, (t) => this.addTenant(t));
  }

  /**
   * Deploys a cluster and the application for a tenant. The id may be a CloudFormation token (one such tenant per
   * tier, as in a tenant stack provisioned from a template).
   *
   * @param tenantId the tenant's id
   */
  public addTenant(tenantId: string): TierTenant {
    const scope = new Construct(this, placeTenant(this, this.tierName, tenantId));
    const { cluster, capacityProviderName } = createTierCluster(scope, this.vpc, this.capacity, this.settings.vpcSubnets!, this.cpuArchitecture);
    const tenant = deployTenant(scope, this.settings, tenantId, cluster, capacityProviderName, true);
    return this.recordTenant(tenant);
  }
}
