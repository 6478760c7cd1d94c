import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { acknowledgeTableKey } from './findings';

/** The subnets of the library's load balancers, tasks and VPC link, unless the user names others. */
export function subnetsOrDefault(given: ec2.SubnetSelection | undefined): ec2.SubnetSelection {
  return given ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
}

export interface TableOptions {
  readonly partitionKey: dynamodb.Attribute;
  readonly sortKey?: dynamodb.Attribute;
  readonly removalPolicy?: RemovalPolicy;
  readonly encryption?: dynamodb.TableEncryption;
  readonly timeToLiveAttribute?: string;
}

/**
 * A table of the library, with the library's defaults: on-demand capacity, point-in-time recovery, and RETAIN unless
 * the user chose otherwise.
 */
export function createTable(scope: Construct, id: string, o: TableOptions): dynamodb.Table {
  const table = new dynamodb.Table(scope, id, {
    partitionKey: o.partitionKey,
    sortKey: o.sortKey,
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: o.encryption,
    timeToLiveAttribute: o.timeToLiveAttribute,
    removalPolicy: o.removalPolicy ?? RemovalPolicy.RETAIN,
  });
  if (o.encryption !== dynamodb.TableEncryption.CUSTOMER_MANAGED) {
    acknowledgeTableKey(table);
  }
  return table;
}
