import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { FactName, RegionInfo } from 'aws-cdk-lib/region-info';
import { Construct } from 'constructs';
import { acknowledgeAccessLogBucket } from '../private/findings';

/** Used by the deploy-time lookup for Regions without an ELB account (where the service principal applies). */
const US_EAST_1_ELB_ACCOUNT = '127311923021';

/**
 * The bucket of the shards' load-balancer access logs: encrypted, private, TLS only, kept a year, writable by the
 * Region's load-balancer log delivery under the shards' prefixes of this account only.
 */
export function createAccessLogBucket(scope: Construct, removalPolicy: RemovalPolicy): s3.Bucket {
  const stack = Stack.of(scope);
  const bucket = new s3.Bucket(scope, 'AccessLogs', {
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removalPolicy,
    lifecycleRules: [{ expiration: Duration.days(365) }],
  });
  acknowledgeAccessLogBucket(bucket);
  bucket.addToResourcePolicy(new iam.PolicyStatement({
    actions: ['s3:PutObject'],
    principals: loadBalancerLogPrincipals(stack),
    resources: [bucket.arnForObjects(`shard-*/AWSLogs/${stack.account}/*`)],
  }));
  return bucket;
}

/**
 * The account-level setting that lets API Gateway write logs (one per account and Region), with its role; both kept
 * when the stack is deleted, since other APIs of the account may rely on them.
 */
export function createApiGatewayAccount(scope: Construct): apigateway.CfnAccount {
  const role = new iam.Role(scope, 'ApiGatewayCloudWatchRole', {
    assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
    managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs')],
  });
  role.applyRemovalPolicy(RemovalPolicy.RETAIN);
  const account = new apigateway.CfnAccount(scope, 'ApiGatewayAccount', { cloudWatchRoleArn: role.roleArn });
  account.applyRemovalPolicy(RemovalPolicy.RETAIN);
  return account;
}

/**
 * Who delivers ALB access logs: the Region's Elastic Load Balancing account in Regions opened before August 2022,
 * the log-delivery service principal in the others. In a Region-agnostic stack both are admitted (the account through
 * a deploy-time lookup), limited to the shards' prefixes of this account.
 */
function loadBalancerLogPrincipals(stack: Stack): iam.IPrincipal[] {
  const service = new iam.ServicePrincipal('logdelivery.elasticloadbalancing.amazonaws.com');
  if (!Token.isUnresolved(stack.region)) {
    const account = RegionInfo.get(stack.region).elbv2Account;
    return [account ? new iam.AccountPrincipal(account) : service];
  }
  return [service, new iam.AccountPrincipal(stack.regionalFact(FactName.ELBV2_ACCOUNT, US_EAST_1_ELB_ACCOUNT))];
}
