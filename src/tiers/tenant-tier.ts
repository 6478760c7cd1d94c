import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct, IConstruct } from 'constructs';
import { TierTenant } from './ecs-tier-options';
import { registerTierName } from './tier-support';
import { RoutingTarget } from '../router/routing-target';

/**
 * A tier of tenants, whichever way it isolates them: what the router, the lifecycle and an application need from it.
 * `PooledEcsTier`, `SiloServiceTier` and `ClusterPerTenantTier` implement it.
 */
export interface ITenantTier extends IConstruct, ec2.IConnectable {
  /** The tier's name: the tier claim of its users' tokens, and the routing key of a pooled tier. */
  readonly tierName: string;

  /** The tenants placed in the tier, in the order they were added. */
  readonly tenants: TierTenant[];

  /** Where the router sends the tier's requests: the tier's shared targets, or every tenant's own. */
  readonly routingTargets: RoutingTarget[];

  /** The application's pooled tables, by table name, shared by the tier's tenants. */
  readonly pooledTables: { [name: string]: dynamodb.ITable };

  /**
   * Places a tenant in the tier.
   *
   * @param tenantId the tenant's id (docs/tenant-ids.md), or a CloudFormation token in a tenant template
   */
  addTenant(tenantId: string): TierTenant;
}

/**
 * What every tier shares: its validated name (unique in its stack), the tenants it placed, and one `connections`
 * over the security groups of all its services, so that a tier opens to a database or a cache the same way whether
 * its tenants share services or each has their own.
 */
export abstract class TenantTier extends Construct implements ITenantTier {
  public readonly tierName: string;

  /**
   * The security groups of the tier's services: the pooled services' group, or each tenant's group as tenants are
   * added (rules given here apply to tenants added later too).
   */
  public readonly connections: ec2.Connections;

  public abstract readonly pooledTables: { [name: string]: dynamodb.ITable };

  private readonly placed: TierTenant[] = [];

  protected constructor(scope: Construct, id: string, tierName: string) {
    super(scope, id);
    registerTierName(this, tierName);
    this.tierName = tierName;
    this.connections = new ec2.Connections();
  }

  public get tenants(): TierTenant[] {
    return [...this.placed];
  }

  public get routingTargets(): RoutingTarget[] {
    return this.placed.flatMap((t) => t.routingTargets);
  }

  public abstract addTenant(tenantId: string): TierTenant;

  /**
   * One of the application's pooled tables, by its name in the application. Throws if there is none of that name,
   * where a map lookup (`pooledTables.get(name)` in Java, `pooled_tables[name]` in Python) would give null or raise
   * a bare KeyError.
   *
   * @example
   * declare const vpc: ec2.IVpc;
   * declare const application: SaasApplication;
   * declare const siloApplication: SaasApplication;
   * const basic = new PooledEcsTier(this, 'Basic', { vpc, application });
   * new SiloServiceTier(this, 'Advanced', {
   *   vpc,
   *   application: siloApplication,
   *   pooledTables: { products: basic.pooledTable('products') },
   * });
   */
  public pooledTable(name: string): dynamodb.ITable {
    // Own keys only: `toString` must not find Object.prototype's.
    const table = Object.prototype.hasOwnProperty.call(this.pooledTables, name) ? this.pooledTables[name] : undefined;
    if (!table) {
      const names = Object.keys(this.pooledTables);
      throw new Error(`pooledTable: tier '${this.tierName}' has no pooled table '${name}'; its pooled tables: ${names.length ? names.join(', ') : 'none'}.`);
    }
    return table;
  }

  /** Records a tenant the tier placed; its own service group's security group joins the tier's `connections`. */
  protected recordTenant(tenant: TierTenant): TierTenant {
    this.placed.push(tenant);
    if (tenant.serviceGroup) {
      this.connections.addSecurityGroup(tenant.serviceGroup.securityGroup);
    }
    return tenant;
  }
}
