import * as fs from 'fs';
import * as path from 'path';
import { App, Aspects, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Construct } from 'constructs';
import {
  ClusterPerTenantTier,
  PooledEcsTier,
  RoutePlacement,
  SaasApplication,
  SiloServiceTier,
  TableAccessLevel,
  TableSharing,
  TenantRouter,
  TenantUserPool,
  TierCapacity,
  TierRouting,
  TokenIssuer,
} from '../src';
import { acknowledgeRouterFindings, acknowledgeTierFindings } from './nag-acknowledgements';

/**
 * The example app: the reference architecture's three tiers on one application model, in the guide's bridge model
 * (a pooled product table shared by every tier, per-tenant order tables in the silo tiers), behind the tenant router
 * (premium tenants on a load balancer and API of their own). Later issues add the control plane and the real
 * microservices.
 *
 * Route placements are pinned in router-placements.json, so that adding or removing a tenant never moves another
 * tenant's listener rule (docs/tenant-router.md).
 */
const PLACEMENTS_FILE = path.join(__dirname, 'router-placements.json');
const placements: RoutePlacement[] = JSON.parse(fs.readFileSync(PLACEMENTS_FILE, 'utf8'));
const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/node:20-alpine');

const bridge = new SaasApplication({
  tables: [
    { name: 'products', sharing: TableSharing.POOLED },
    { name: 'orders', sharing: TableSharing.PER_TENANT },
  ],
  services: [
    { name: 'products', image, pathPrefix: '/products', containerPort: 3010, tables: [{ table: 'products' }] },
    { name: 'orders', image, pathPrefix: '/orders', containerPort: 3020, tables: [{ table: 'orders' }, { table: 'products', accessLevel: TableAccessLevel.READ }] },
  ],
});
const pooled = new SaasApplication({
  tables: [
    { name: 'products', sharing: TableSharing.POOLED },
    { name: 'orders', sharing: TableSharing.POOLED },
  ],
  services: bridge.services.map((s) => ({ ...s })),
});

class ApplicationPlane extends Stack {
  public readonly router: TenantRouter;
  public readonly tiers: Array<PooledEcsTier | SiloServiceTier | ClusterPerTenantTier>;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const vpc = new ec2.Vpc(this, 'Vpc', { maxAzs: 2, flowLogs: { all: {} } });
    const common = { vpc, removalPolicy: RemovalPolicy.DESTROY, logRetention: logs.RetentionDays.ONE_MONTH };

    const basic = new PooledEcsTier(this, 'Basic', { ...common, application: pooled, tenants: ['basic-1', 'basic-2'] });
    const products = { products: basic.pooledTables.products };
    const advanced = new SiloServiceTier(this, 'Advanced', {
      ...common,
      application: bridge,
      pooledTables: products,
      capacity: TierCapacity.ec2({ maxInstances: 4 }),
      tenants: ['acme', 'globex'],
    });
    const premium = new ClusterPerTenantTier(this, 'Premium', { ...common, application: bridge, pooledTables: products, tenants: ['initech'] });
    this.tiers = [basic, advanced, premium];

    // The tenants' user pool, with the reference's custom attributes (the control plane comes with a later issue).
    const users = new TenantUserPool(this, 'Users', { removalPolicy: RemovalPolicy.DESTROY });
    const client = users.appClient;

    this.router = new TenantRouter(this, 'Router', {
      vpc,
      application: bridge,
      issuers: [TokenIssuer.cognito({ userPool: users, clientIds: [client.userPoolClientId] })],
      tiers: [
        { tierName: 'basic', routing: TierRouting.SHARED },
        { tierName: 'advanced', routing: TierRouting.PER_TENANT },
        { tierName: 'premium', routing: TierRouting.PER_TENANT, dedicatedLoadBalancer: true },
      ],
      placements,
      removalPolicy: RemovalPolicy.DESTROY,
      logRetention: logs.RetentionDays.ONE_MONTH,
    });
    this.router.addTenants([...basic.tenants, ...advanced.tenants, ...premium.tenants]);

    acknowledgeTierFindings(this);
    acknowledgeRouterFindings(this.router);
  }
}

const app = new App();
const plane = new ApplicationPlane(app, 'EcsSaasApplicationPlane');
Aspects.of(app).add(new AwsSolutionsChecks());
app.synth();

// What the summary prints besides the assembly: tenants per tier, shards, and routes missing from the pinned file.
const unpinned = plane.router.placements.filter((p) => !placements.some((q) => q.routingKey === p.routingKey));
fs.writeFileSync(path.join(app.outdir, 'saas-summary.json'), JSON.stringify({
  tiers: plane.tiers.map((t) => ({ tier: t.tierName, tenants: t.tenants.map((x) => x.tenantId) })),
  shards: plane.router.shards.map((s) => ({
    shard: s.index,
    dedicated: s.dedicated,
    routes: plane.router.placements.filter((p) => p.shard === s.index).map((p) => `${p.routingKey}@${p.priority}`),
  })),
  unpinned,
}, null, 2));
