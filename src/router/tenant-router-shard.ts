import { NestedStack, Names, Stack, Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { buildShard } from './shard-build';
import { ShardOptions } from './shard-options';

/**
 * One shard of the tenant router, in a nested stack of its own: an internal Application Load Balancer reachable only
 * from the router's VPC link, a listener whose default answers 404, and a REST API whose every method requires the
 * router's authorizer and an API key, and forwards to the load balancer through the VPC link with the routing header
 * set from the authorizer's decision. Tenant routes (target groups and listener rules) are added by TenantRouter in
 * the stacks of the tenants' services.
 */
export class TenantRouterShard extends NestedStack {
  /**
   * A shard of a router (TenantRouter creates them).
   *
   * @internal
   */
  public static _create(scope: Construct, id: string, options: ShardOptions): TenantRouterShard {
    return new TenantRouterShard(scope, id, options);
  }

  /** The shard's number, from 0. */
  public readonly index: number;
  /** The shard's load balancer. */
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** The load balancer's listener that tenant rules attach to. */
  public readonly listener: elbv2.ApplicationListener;
  /** The load balancer's security group. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** The shard's API. */
  public readonly api: apigateway.RestApi;
  /** The shard serves one tenant only. */
  public readonly dedicated: boolean;

  private constructor(scope: Construct, id: string, props: ShardOptions) {
    super(scope, id, { description: `Tenant router shard ${props.index}` });
    this.index = props.index;
    this.dedicated = props.dedicated;
    const parts = buildShard(this, { ...props, indexLabel: String(props.index), descriptionLabel: String(props.index), apiName: shardApiName(this) });
    this.securityGroup = parts.securityGroup;
    this.loadBalancer = parts.loadBalancer;
    this.listener = parts.listener;
    this.api = parts.api;
  }

  /** The URL of the shard's API stage: the endpoint of the tenants routed here. */
  public get url(): string {
    return this.api.url;
  }
}

/** `<top-level stack name>-<path-derived id of the shard>`, at most 128 characters. */
function shardApiName(shard: Construct): string {
  let top = Stack.of(shard);
  while (top.nested && top.nestedStackParent) {
    top = top.nestedStackParent;
  }
  const id = Names.uniqueResourceName(shard, { maxLength: 80 });
  return Token.isUnresolved(top.stackName) ? id : `${top.stackName}-${id}`.slice(0, 128);
}
