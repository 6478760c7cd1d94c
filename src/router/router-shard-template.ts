import { Aws, CfnOutput, CfnParameter, Fn, Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as servicecatalog from 'aws-cdk-lib/aws-servicecatalog';
import { Construct } from 'constructs';
import { buildShard } from './shard-build';
import { ShardOptions } from './shard-options';
import { SHARD_TEMPLATE_OUTPUTS, SHARD_TEMPLATE_PARAMETERS, SHARD_USAGE_PLAN_SEPARATORS } from '../contract/lifecycle';

/**
 * A router shard as a template that the tenant lifecycle provisions at run time, when every shard is full (the
 * router's `openShardsAtRunTime`). It holds what a deploy-time shard holds (load balancer, listener, API with the
 * router's authorizer and methods, the VPC link's rules to its load balancer) and, for each tier plan, a usage plan of
 * its stage that takes the tier's API key. Its outputs are what a tenant placed on it needs: the listener,
 * the load balancer's security group, the API and its URL.
 */
export class RouterShardTemplate extends servicecatalog.ProductStack {
  /**
   * A shard template of a router (TenantRouter creates it).
   *
   * @internal
   */
  public static _create(scope: Construct, id: string, options: ShardOptions): RouterShardTemplate {
    return new RouterShardTemplate(scope, id, options);
  }

  /** The shard's number (template parameter `ShardIndex`), given by the lifecycle. */
  public readonly shardIndex: number;
  /** The shard's listener. */
  public readonly listener: elbv2.ApplicationListener;
  /** The shard's load balancer security group. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** The shard's API. */
  public readonly api: apigateway.RestApi;

  private constructor(scope: Construct, id: string, options: ShardOptions) {
    super(scope, id, { description: 'Tenant router shard, opened at run time' });
    this.shardIndex = new CfnParameter(this, SHARD_TEMPLATE_PARAMETERS.shardIndex, {
      type: 'Number',
      minValue: 0,
      description: 'The shard\'s number, given by the tenant lifecycle',
    }).valueAsNumber;
    const parts = buildShard(this, {
      ...options,
      indexLabel: Token.asString(this.shardIndex),
      descriptionLabel: '(opened at run time)',
      // The stack name Service Catalog gives the provisioned product: unique in the account and Region.
      apiName: `${Aws.STACK_NAME}-api`,
    });
    this.listener = parts.listener;
    this.securityGroup = parts.securityGroup;
    this.api = parts.api;
    // (The VPC link's egress to this load balancer comes with its ingress rule, in this template: see buildShard.)
    new CfnOutput(this, SHARD_TEMPLATE_OUTPUTS.listenerArn, { value: this.listener.listenerArn, description: 'Listener of the shard' });
    new CfnOutput(this, SHARD_TEMPLATE_OUTPUTS.securityGroupId, { value: this.securityGroup.securityGroupId, description: 'Security group of the shard\'s load balancer' });
    new CfnOutput(this, SHARD_TEMPLATE_OUTPUTS.apiId, { value: this.api.restApiId, description: 'API of the shard' });
    new CfnOutput(this, SHARD_TEMPLATE_OUTPUTS.apiUrl, { value: this.api.url, description: 'URL of the shard\'s API stage' });
  }

  /**
   * The shard's usage plan of each tier, as an output: the lifecycle adds the keys of the tenants it places on the
   * shard to their tier's plan.
   *
   * @internal
   */
  public _outputUsagePlans(planIds: Record<string, string>): void {
    const entries = Object.entries(planIds).map(([tier, id]) => Fn.join(SHARD_USAGE_PLAN_SEPARATORS.pair, [tier, id]));
    if (entries.length > 0) {
      new CfnOutput(this, SHARD_TEMPLATE_OUTPUTS.usagePlans, {
        value: Fn.join(SHARD_USAGE_PLAN_SEPARATORS.entry, entries),
        description: 'The shard\'s usage plan of each tier: <tier>=<plan id>, joined by commas',
      });
    }
  }
}
