import { App, Aspects, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks, NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ScopedDynamoAccess, TableAccessLevel } from '../src';

/**
 * The example app. For now it shows tenant-scoped data access in the guide's bridge model:
 * - a pooled product table shared by every tenant, and
 * - a basic-tier (pooled) service that serves many tenants through session tags, and
 * - an advanced-tier (silo) service for tenant `acme`, with its own order table.
 * Later issues grow it into the full reference architecture.
 */
class DataStack extends Stack {
  public readonly products: dynamodb.Table;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.products = new dynamodb.Table(this, 'Products', {
      partitionKey: { name: 'tenantId', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'productId', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.DESTROY, // example only: the library's default is RETAIN
    });
  }
}

interface ServiceStackProps extends StackProps {
  readonly products: dynamodb.ITable;
  /** The tenant a silo service serves; a pooled service serves every tenant. */
  readonly tenantId?: string;
}

class ServiceStack extends Stack {
  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    const taskDefinition = new ecs.FargateTaskDefinition(this, 'ProductService', { cpu: 256, memoryLimitMiB: 512 });
    const container = taskDefinition.addContainer('app', {
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/node:20-alpine'),
      portMappings: [{ containerPort: 3010 }],
      logging: ecs.LogDrivers.awsLogs({
        streamPrefix: 'product',
        logGroup: new logs.LogGroup(this, 'Logs', {
          retention: logs.RetentionDays.ONE_MONTH,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
      }),
    });

    const siloTables = [];
    if (props.tenantId) {
      const orders = new dynamodb.Table(this, 'Orders', {
        partitionKey: { name: 'orderId', type: dynamodb.AttributeType.STRING },
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        removalPolicy: RemovalPolicy.DESTROY,
      });
      siloTables.push({ table: orders, accessLevel: TableAccessLevel.READ_WRITE });
    }

    const access = new ScopedDynamoAccess(this, 'DataAccess', {
      grantee: taskDefinition.taskRole,
      tenantId: props.tenantId,
      pooledTables: [{ table: props.products, accessLevel: TableAccessLevel.READ_WRITE }],
      siloTables,
    });
    access.addToContainer(container);

    NagSuppressions.addResourceSuppressions(taskDefinition, [
      {
        id: 'AwsSolutions-ECS2',
        reason: 'The environment holds configuration, not secrets: scoping mode, tenant-access role ARN, tag key, tenant id and table names.',
      },
    ]);
  }
}

const app = new App();
const data = new DataStack(app, 'EcsSaasData');
new ServiceStack(app, 'EcsSaasBasicTier', { products: data.products });
new ServiceStack(app, 'EcsSaasTenantAcme', { products: data.products, tenantId: 'acme' });
Aspects.of(app).add(new AwsSolutionsChecks());
app.synth();
