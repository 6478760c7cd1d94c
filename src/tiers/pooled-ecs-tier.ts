import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import { createTierCluster } from './cluster';
import { EcsTierOptions, TierTenant } from './ecs-tier-options';
import { ServiceGroup } from './service-group';
import { TenantTier } from './tenant-tier';
import { TierCapacity } from './tier-capacity';
import { addDeclaredTenants, placeTenant, pooledTables } from './tier-support';
import { subnetsOrDefault } from '../private/defaults';
import { checkGroupOptions } from '../private/group-options';
import { RoutingTarget } from '../router/routing-target';

/**
 * Properties of a PooledEcsTier.
 */
export interface PooledEcsTierProps extends EcsTierOptions {
  /**
   * The cluster to run in.
   *
   * @default - a new Fargate cluster with Container Insights
   */
  readonly cluster?: ecs.ICluster;
}

/**
 * The basic tier: one set of ECS services on Fargate, shared by all its tenants, with pooled tables fenced per
 * tenant by ScopedDynamoAccess (each request assumes a tenant-scoped session). One routing target serves the whole
 * tier; its routing key is the tier name.
 *
 * @example
 * declare const vpc: ec2.IVpc;
 * declare const application: SaasApplication;
 *
 * const basic = new PooledEcsTier(this, 'Basic', { vpc, application, tenants: ['tenant-a', 'tenant-b'] });
 * basic.addTenant('tenant-c');
 */
export class PooledEcsTier extends TenantTier {
  /** The tier's cluster. */
  public readonly cluster: ecs.ICluster;
  /** The services every tenant of the tier shares. */
  public readonly serviceGroup: ServiceGroup;
  /** The pooled tables, by the application's table name. */
  public readonly pooledTables: { [name: string]: dynamodb.ITable };

  constructor(scope: Construct, id: string, props: PooledEcsTierProps) {
    super(scope, id, props.tierName ?? 'basic');
    const perTenant = props.application.perTenantTables;
    if (perTenant.length > 0) {
      throw new Error(
        `application has PER_TENANT tables [${perTenant.map((t) => t.name).join(', ')}]; PooledEcsTier '${this.tierName}' serves every tenant from shared services, so it can use only POOLED tables. Use SiloServiceTier or ClusterPerTenantTier.`,
      );
    }
    checkGroupOptions(props, undefined);
    if (props.routingService) {
      throw new Error(`routingService routes the tenants of a silo tier to their own services; PooledEcsTier '${this.tierName}' serves its tenants from shared services on one route already: leave routingService out.`);
    }
    const subnets = subnetsOrDefault(props.vpcSubnets);
    this.cluster = props.cluster ?? createTierCluster(this, props.vpc, TierCapacity.fargate(), subnets).cluster;
    this.pooledTables = pooledTables(this, props.application, props.pooledTables, props.removalPolicy);
    this.serviceGroup = new ServiceGroup(this, 'Services', {
      application: props.application,
      tierName: this.tierName,
      cluster: this.cluster,
      proxy: props.proxy,
      proxyImage: props.proxyImage,
      pooledTables: this.pooledTables,
      removalPolicy: props.removalPolicy,
      logRetention: props.logRetention,
      vpcSubnets: subnets,
      cpuArchitecture: props.cpuArchitecture,
      fargateSpot: props.fargateSpot,
      minTasks: props.minTasks,
      namespace: props.namespace,
      taskExecution: props.taskExecution,
      runningHours: props.runningHours,
    });
    this.connections.addSecurityGroup(this.serviceGroup.securityGroup);
    addDeclaredTenants(props.tenants, (t) => this.addTenant(t));
  }

  /** Where the router sends the tier's requests: the same targets for every tenant, whether any is placed yet or not. */
  public get routingTargets(): RoutingTarget[] {
    return this.serviceGroup.routingTargets;
  }

  /**
   * Places a tenant in the tier. No infrastructure is created: the tenant shares the tier's services, and its
   * requests carry the tier name as routing key. The id may be a CloudFormation token.
   *
   * @param tenantId the tenant's id
   */
  public addTenant(tenantId: string): TierTenant {
    placeTenant(this, this.tierName, tenantId);
    const tenant: TierTenant = {
      tenantId,
      tierName: this.tierName,
      routingKey: this.tierName,
      routingTargets: this.routingTargets,
    };
    return this.recordTenant(tenant);
  }
}
