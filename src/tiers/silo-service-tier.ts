import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
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
 * Properties of a SiloServiceTier.
 */
export interface SiloServiceTierProps extends EcsTierOptions {
  /**
   * What runs the tasks of the shared cluster. Conflicts with `cluster`.
   *
   * @default TierCapacity.fargate()
   */
  readonly capacity?: TierCapacity;

  /**
   * An existing cluster to share (for example in a tenant stack provisioned from a template). Conflicts with
   * `capacity`.
   *
   * @default - a new cluster with `capacity`
   */
  readonly cluster?: ecs.ICluster;

  /**
   * Capacity provider of the existing `cluster` that the services must use (EC2 capacity). Requires `cluster`,
   * and the provider must already be associated with it.
   *
   * @default - Fargate
   */
  readonly capacityProviderName?: string;
}

/**
 * The advanced tier: one shared cluster; per tenant its own ECS services, security group, Service Connect
 * namespace, per-tenant tables and task roles, behind its own routing target (routing key: the tenant id).
 *
 * @example
 * declare const vpc: ec2.IVpc;
 * declare const application: SaasApplication;
 *
 * const advanced = new SiloServiceTier(this, 'Advanced', {
 *   vpc,
 *   application,
 *   capacity: TierCapacity.ec2({ maxInstances: 6, awsvpcTrunking: true }),
 * });
 * advanced.addTenant('acme');
 */
export class SiloServiceTier extends TenantTier {
  /** The cluster the tenants share. */
  public readonly cluster: ecs.ICluster;
  /**
   * The capacity provider the services use.
   *
   * @default - undefined on Fargate
   */
  public readonly capacityProviderName?: string;
  /** The pooled tables, by the application's table name. */
  public readonly pooledTables: { [name: string]: dynamodb.ITable };

  private readonly settings: GroupSettings;

  constructor(scope: Construct, id: string, props: SiloServiceTierProps) {
    super(scope, id, props.tierName ?? 'advanced');
    if (props.cluster && props.capacity) {
      throw new Error('cluster and capacity conflict: give an existing cluster (and its capacityProviderName) or the capacity of a new one, not both.');
    }
    if (props.capacityProviderName && !props.cluster) {
      throw new Error(`capacityProviderName '${props.capacityProviderName}' requires cluster: it names a capacity provider of an existing cluster.`);
    }
    const capacity = props.capacity ?? TierCapacity.fargate();
    checkGroupOptions(props, props.capacityProviderName ? `capacity provider ${props.capacityProviderName}` : capacity.isEc2 ? 'capacity: TierCapacity.ec2()' : undefined);
    const subnets = subnetsOrDefault(props.vpcSubnets);
    if (props.cluster) {
      this.cluster = props.cluster;
      this.capacityProviderName = props.capacityProviderName;
    } else {
      const created = createTierCluster(this, props.vpc, capacity, subnets, props.cpuArchitecture);
      this.cluster = created.cluster;
      this.capacityProviderName = created.capacityProviderName;
    }
    this.pooledTables = pooledTables(this, props.application, props.pooledTables, props.removalPolicy);
    this.settings = { ...props, tierName: this.tierName, pooledTables: this.pooledTables, vpcSubnets: subnets };
    addDeclaredTenants(props.tenants, (t) => this.addTenant(t));
  }

  /**
   * Deploys the application for a tenant in the shared cluster. The id may be a CloudFormation token (one such
   * tenant per tier, as in a tenant stack provisioned from a template).
   *
   * @param tenantId the tenant's id
   */
  public addTenant(tenantId: string): TierTenant {
    const scopeId = placeTenant(this, this.tierName, tenantId);
    const tenant = deployTenant(new Construct(this, scopeId), this.settings, tenantId, this.cluster, this.capacityProviderName, false);
    return this.recordTenant(tenant);
  }
}
