import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';

/**
 * How groups of services are deployed: options shared by `ServiceGroup` and every tier.
 */
export interface ServiceGroupOptions {
  /**
   * Put the nginx tenant proxy in front of each group of services (one routing target per group). Without it, each
   * service is its own routing target, matched by its path prefix.
   *
   * @default true
   */
  readonly proxy?: boolean;

  /**
   * Image of the tenant proxy (nginx with `sh` and `wget`).
   *
   * @default - `public.ecr.aws/nginx/nginx:1.27-alpine`
   */
  readonly proxyImage?: ecs.ContainerImage;

  /**
   * Removal policy of the tables and log groups that are created.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Retention of the services' log groups.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Subnets the tasks (and EC2 container instances) run in.
   *
   * @default - the VPC's private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
}
