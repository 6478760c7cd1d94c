import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { SaasApplication, ServiceDefinition, TableSharing } from '../../src';

export const IMAGE = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/node:20-alpine');

/** A stack with a VPC (two AZs, flow logs) in a fixed account and region. */
export function vpcStack(id = 'Test') {
  const app = new App();
  const stack = new Stack(app, id, { env: { account: '111111111111', region: 'us-east-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1, flowLogs: { all: {} } });
  return { app, stack, vpc };
}

/** The reference's application: products (pooled table) and orders (per-tenant table, bridge model). */
export function bridgeApplication(overrides: Partial<ServiceDefinition> = {}): SaasApplication {
  return new SaasApplication({
    tables: [
      { name: 'products', sharing: TableSharing.POOLED },
      { name: 'orders', sharing: TableSharing.PER_TENANT },
    ],
    services: [
      { name: 'products', image: IMAGE, pathPrefix: '/products', containerPort: 3010, tables: [{ table: 'products' }], ...overrides },
      { name: 'orders', image: IMAGE, pathPrefix: '/orders', containerPort: 3020, tables: [{ table: 'orders' }, { table: 'products' }] },
    ],
  });
}

/** The same application with only pooled tables (the basic tier's). */
export function pooledApplication(): SaasApplication {
  return new SaasApplication({
    tables: [
      { name: 'products', sharing: TableSharing.POOLED },
      { name: 'orders', sharing: TableSharing.POOLED },
    ],
    services: [
      { name: 'products', image: IMAGE, pathPrefix: '/products', containerPort: 3010, tables: [{ table: 'products' }] },
      { name: 'orders', image: IMAGE, pathPrefix: '/orders', containerPort: 3020, tables: [{ table: 'orders' }, { table: 'products' }] },
    ],
  });
}
