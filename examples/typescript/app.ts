import { App, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import {
  ClusterPerTenantTier, PooledEcsTier, SaasApplication, SbtContract, SiloServiceTier, TableAccessLevel, TableSharing,
  TenantLifecycle, TenantRouter, TenantTemplate, TenantUserPool, TierRouting, TierUsagePlan, TokenIssuer,
} from 'cdk-ecs-saas';
import { Construct } from 'constructs';

export class QuickStartStack extends Stack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const vpc = new ec2.Vpc(this, 'Vpc', { maxAzs: 2 });
    const pooled = this.application(TableSharing.POOLED);
    const silo = this.application(TableSharing.PER_TENANT);

    // The three tiers.
    const basic = new PooledEcsTier(this, 'Basic', { vpc, application: pooled, tenants: ['basic-1'] });
    const products = { products: basic.pooledTable('products') };
    const advanced = new SiloServiceTier(this, 'Advanced', {
      vpc, application: silo, pooledTables: products, tenants: ['acme'],
    });
    const premium = new ClusterPerTenantTier(this, 'Premium', {
      vpc, application: silo, pooledTables: products, tenants: ['initech'],
    });

    // The router: a usage plan per tier, and a load balancer of its own for each premium tenant.
    const users = new TenantUserPool(this, 'Users');
    const router = new TenantRouter(this, 'Router', {
      vpc,
      application: silo,
      issuers: [TokenIssuer.cognito({ userPool: users, clientIds: [users.appClient.userPoolClientId] })],
      tiers: [
        { tierName: 'basic', routing: TierRouting.SHARED, usagePlan: TierUsagePlan.REFERENCE_BASIC },
        {
          tierName: 'advanced',
          routing: TierRouting.PER_TENANT,
          usagePlan: TierUsagePlan.of({ rateLimit: 100, burstLimit: 200, quotaLimit: 5000 }),
        },
        {
          tierName: 'premium',
          routing: TierRouting.PER_TENANT,
          usagePlan: TierUsagePlan.REFERENCE_PREMIUM,
          dedicatedLoadBalancer: true,
        },
      ],
      issuerRegistry: true,
    });
    router.addSharedTier('basic', basic.routingTargets);
    router.addTenants(advanced.tenants);
    router.addTenants(premium.tenants);

    // Advanced tenants onboarded later get a stack of their own, provisioned from this template.
    const template = new TenantTemplate(this, 'AdvancedTenant', { tierName: 'advanced' });
    const tenantTier = new SiloServiceTier(template, 'Advanced', {
      vpc, application: silo, pooledTables: products, cluster: advanced.cluster,
    });
    const tenant = tenantTier.addTenant(template.tenantId);
    router.addTenant(tenant, { shard: template.routerShard, priority: template.rulePriority });
    const identity = template.addTenantIdentity();
    template.configureTenant({
      userPoolId: identity.userPool.userPoolId,
      appClientId: identity.appClient.userPoolClientId,
      apiUrl: router.endpointFor(template.tenantId),
    });

    // The lifecycle answers a SaaS Builder Toolkit 0.9 control plane on its event bus.
    const controlPlaneBus = new events.EventBus(this, 'ControlPlaneBus');
    new TenantLifecycle(this, 'Lifecycle', {
      eventBus: controlPlaneBus,
      contract: SbtContract.V0_9,
      router,
      application: pooled,
      pooledTables: basic.pooledTables,
      sharedTiers: [{
        tierName: 'basic',
        userPool: users,
        appClientId: users.appClient.userPoolClientId,
        apiUrl: router.endpointForTier('basic'),
      }],
      stackTiers: [{ template }],
    });
  }

  /** Products pooled everywhere; orders pooled in the basic tier, one table per tenant above it (bridge model). */
  private application(orders: TableSharing): SaasApplication {
    const partitionKey: dynamodb.Attribute = { name: 'tenantId', type: dynamodb.AttributeType.STRING };
    const sortKey: dynamodb.Attribute = { name: 'id', type: dynamodb.AttributeType.STRING };
    const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/node:22-alpine');
    return new SaasApplication({
      tables: [
        { name: 'products', sharing: TableSharing.POOLED, partitionKey, sortKey },
        { name: 'orders', sharing: orders, partitionKey, sortKey },
      ],
      services: [
        { name: 'products', image, pathPrefix: '/products', containerPort: 3010, tables: [{ table: 'products' }] },
        {
          name: 'orders',
          image,
          pathPrefix: '/orders',
          containerPort: 3020,
          tables: [{ table: 'orders' }, { table: 'products', accessLevel: TableAccessLevel.READ }],
        },
      ],
    });
  }
}

const app = new App();
new QuickStartStack(app, 'QuickStart');
app.synth();
