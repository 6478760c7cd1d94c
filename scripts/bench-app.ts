import { App, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import {
  ClusterPerTenantTier,
  PooledEcsTier,
  SaasApplication,
  SiloServiceTier,
  TableSharing,
  TenantRouter,
  TierCapacity,
  TierRouting,
  TokenIssuer,
} from '../src';

/**
 * The benchmark's application: the reference's three services (products, orders, users) in the bridge model.
 */
export function referenceApplication(): SaasApplication {
  const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/node:20-alpine');
  return new SaasApplication({
    tables: [
      { name: 'products', sharing: TableSharing.POOLED },
      { name: 'orders', sharing: TableSharing.PER_TENANT },
    ],
    services: [
      { name: 'products', image, pathPrefix: '/products', containerPort: 3010, tables: [{ table: 'products' }] },
      { name: 'orders', image, pathPrefix: '/orders', containerPort: 3020, tables: [{ table: 'orders' }] },
      { name: 'users', image, pathPrefix: '/users', containerPort: 3030 },
    ],
  });
}

/** The shares of a realistic tenant mix: half basic, 40% advanced, 10% premium. */
export function mix(tenants: number): { basic: number; advanced: number; premium: number } {
  const premium = Math.round(tenants * 0.1);
  const advanced = Math.round(tenants * 0.4);
  return { basic: tenants - premium - advanced, advanced, premium };
}

/**
 * An application plane with `tenants` tenants in the mix: a shared stack (VPC, clusters, router, basic tier), the
 * advanced tenants ten per stack on the shared cluster, and each premium tenant in a stack of its own.
 */
export function buildPlane(tenants: number): { app: App; router: TenantRouter } {
  const app = new App();
  const shared = new Stack(app, 'Shared');
  const vpc = new ec2.Vpc(shared, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const application = referenceApplication();
  const cluster = new ecs.Cluster(shared, 'AdvancedCluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENHANCED });
  const products = new dynamodb.Table(shared, 'Products', {
    partitionKey: { name: 'tenantId', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'id', type: dynamodb.AttributeType.STRING },
  });
  const pooledApplication = new SaasApplication({
    tables: [{ name: 'products', sharing: TableSharing.POOLED }, { name: 'orders', sharing: TableSharing.POOLED }],
    services: application.services.map((s) => ({ ...s })),
  });
  const n = mix(tenants);
  const basic = new PooledEcsTier(shared, 'Basic', { vpc, application: pooledApplication, tenants: Array.from({ length: n.basic }, (_, i) => `basic-${i}`) });
  const router = new TenantRouter(shared, 'Router', {
    vpc,
    application,
    issuers: [TokenIssuer.oidc({ issuerUrl: 'https://login.example.com', audiences: ['app'] })],
    tiers: [
      { tierName: 'basic', routing: TierRouting.SHARED },
      { tierName: 'advanced', routing: TierRouting.PER_TENANT },
      { tierName: 'premium', routing: TierRouting.PER_TENANT },
    ],
    quotas: { loadBalancers: 200, targetGroups: 20_000 },
  });
  router.addTenants(basic.tenants);
  for (let s = 0; s * 10 < n.advanced; s++) {
    const stack = new Stack(app, `Advanced${s}`);
    const tier = new SiloServiceTier(stack, 'Advanced', { vpc, cluster, application, pooledTables: { products } });
    for (let i = s * 10; i < Math.min(n.advanced, (s + 1) * 10); i++) {
      router.addTenant(tier.addTenant(`adv-${i}`));
    }
  }
  for (let i = 0; i < n.premium; i++) {
    const stack = new Stack(app, `Premium${i}`);
    const tier = new ClusterPerTenantTier(stack, 'Premium', { vpc, application, pooledTables: { products }, capacity: TierCapacity.fargate() });
    router.addTenant(tier.addTenant(`prem-${i}`));
  }
  return { app, router };
}
