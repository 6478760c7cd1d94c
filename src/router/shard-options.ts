import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as apigatewayv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { SaasApplication } from '../application/saas-application';

/**
 * What TenantRouter gives each of its shards. Not part of the jsii API: only the router creates shards.
 */
export interface ShardOptions {
  /** The shard's number, from 0. */
  readonly index: number;
  /** The VPC of the load balancer. */
  readonly vpc: ec2.IVpc;
  /** Subnets of the load balancer. */
  readonly vpcSubnets: ec2.SubnetSelection;
  /** The application whose path prefixes become the API's resources. */
  readonly application: SaasApplication;
  /** Security group of the VPC link: the only source the load balancer admits. */
  readonly vpcLinkSecurityGroup: ec2.ISecurityGroup;
  /** The VPC link (V2) the API's integrations use. */
  readonly vpcLink: apigatewayv2.IVpcLink;
  /** The router's Lambda authorizer. */
  readonly authorizer: lambda.IFunction;
  /** How long API Gateway caches an authorizer decision per token (0 disables caching). */
  readonly authorizerCacheTtl: Duration;
  /** Name of the API stage. */
  readonly stageName: string;
  /** Bucket for the load balancer's access logs. */
  readonly accessLogBucket: s3.IBucket;
  /** Retention of the API's access logs. */
  readonly logRetention: logs.RetentionDays;
  /** Removal policy of the access log group. */
  readonly removalPolicy: RemovalPolicy;
  /** The shard serves one tenant only. */
  readonly dedicated: boolean;
  /**
   * ARN of an AWS WAF web ACL to associate with the API stage.
   *
   * @default - none
   */
  readonly webAclArn?: string;
}
