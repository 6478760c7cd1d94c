import { App, Aspects, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Construct } from 'constructs';
import {
  ClusterPerTenantTier,
  PooledEcsTier,
  SaasApplication,
  SiloServiceTier,
  TableAccessLevel,
  TableSharing,
  TierCapacity,
} from '../src';
import { acknowledgeTierFindings } from './nag-acknowledgements';

/**
 * The example app: the reference architecture's three tiers on one application model, in the guide's bridge model
 * (a pooled product table shared by every tier, per-tenant order tables in the silo tiers). Later issues add the
 * router, the control plane and the real microservices.
 */
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
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const vpc = new ec2.Vpc(this, 'Vpc', { maxAzs: 2, flowLogs: { all: {} } });
    const common = { vpc, removalPolicy: RemovalPolicy.DESTROY, logRetention: logs.RetentionDays.ONE_MONTH };

    const basic = new PooledEcsTier(this, 'Basic', { ...common, application: pooled, tenants: ['basic-1', 'basic-2'] });
    const products = { products: basic.pooledTables.products };
    new SiloServiceTier(this, 'Advanced', {
      ...common,
      application: bridge,
      pooledTables: products,
      capacity: TierCapacity.ec2({ maxInstances: 4 }),
      tenants: ['acme', 'globex'],
    });
    new ClusterPerTenantTier(this, 'Premium', { ...common, application: bridge, pooledTables: products, tenants: ['initech'] });

    acknowledgeTierFindings(this);
  }
}

const app = new App();
new ApplicationPlane(app, 'EcsSaasApplicationPlane');
Aspects.of(app).add(new AwsSolutionsChecks());
app.synth();
