import { NestedStack, Names, Stack, Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { ShardOptions } from './shard-options';
import { HttpMethod } from '../application/http-method';
import { ROUTING_HEADER } from '../contract/router';
import { corsMethodsFor, ResolvedCors } from '../private/cors';
import { acknowledgeLogGroup, acknowledgeShardFindings } from '../private/findings';

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

    this.securityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: props.vpc,
      description: `Tenant router shard ${props.index}: admits the VPC link of the router only`,
      allowAllOutbound: false,
    });
    this.securityGroup.connections.allowFrom(props.vpcLinkSecurityGroup, ec2.Port.tcp(80), 'API Gateway VPC link');

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      internetFacing: false,
      securityGroup: this.securityGroup,
      dropInvalidHeaderFields: true,
    });
    // Access logs: the router's bucket policy admits the load balancers' log delivery under shard-*/ (one statement
    // for every shard, so the policy does not grow with the shards).
    this.loadBalancer.setAttribute('access_logs.s3.enabled', 'true');
    this.loadBalancer.setAttribute('access_logs.s3.bucket', props.accessLogBucket.bucketName);
    this.loadBalancer.setAttribute('access_logs.s3.prefix', `shard-${props.index}`);
    this.listener = this.loadBalancer.addListener('Listener', {
      port: 80,
      protocol: elbv2.ApplicationProtocol.HTTP,
      open: false,
      defaultAction: elbv2.ListenerAction.fixedResponse(404, { contentType: 'application/json', messageBody: '{"message":"Not Found"}' }),
    });

    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', { retention: props.logRetention, removalPolicy: props.removalPolicy });
    acknowledgeLogGroup(accessLogs);
    this.api = new apigateway.RestApi(this, 'Api', {
      // API Gateway's metrics are keyed by the API's name: every shard (and every installation) needs its own, or
      // their metrics and alarms would mix. Derived from the top-level stack's name (unique in an account and Region)
      // and the shard's path, so not a fixed physical name.
      restApiName: shardApiName(this),
      description: `Tenant router shard ${props.index}`,
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      apiKeySourceType: apigateway.ApiKeySourceType.AUTHORIZER,
      cloudWatchRole: false,
      deployOptions: {
        stageName: props.stageName,
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        tracingEnabled: true,
      },
    });

    acknowledgeShardFindings(this.listener, this.api.deploymentStage);

    if (props.webAclArn) {
      new wafv2.CfnWebACLAssociation(this, 'WebAcl', { resourceArn: this.api.deploymentStage.stageArn, webAclArn: props.webAclArn });
    }

    const authorizer = new apigateway.CfnAuthorizer(this, 'Authorizer', {
      restApiId: this.api.restApiId,
      name: 'tenant-authorizer',
      type: 'REQUEST',
      identitySource: 'method.request.header.Authorization',
      authorizerUri: `arn:${this.partition}:apigateway:${this.region}:lambda:path/2015-03-31/functions/${props.authorizer.functionArn}/invocations`,
      authorizerResultTtlInSeconds: props.authorizerCacheTtl.toSeconds(),
    });
    const methodAuthorizer: apigateway.IAuthorizer = {
      authorizerId: authorizer.ref,
      authorizationType: apigateway.AuthorizationType.CUSTOM,
    };
    const validator = this.api.addRequestValidator('Validator', { validateRequestParameters: true });

    const cors = props.application._cors;
    for (const service of props.application.services) {
      const base = this.api.root.resourceForPath(service.pathPrefix);
      const proxy = base.addResource('{proxy+}');
      for (const [resource, isProxy] of [[base, false], [proxy, true]] as const) {
        if (cors) {
          addPreflight(resource, cors, corsMethodsFor(cors, service.httpMethods ?? []));
        }
        for (const method of (service.httpMethods ?? []).filter((m) => !cors || m !== HttpMethod.OPTIONS)) {
          const uri = `http://${this.loadBalancer.loadBalancerDnsName}${service.pathPrefix}${isProxy ? '/{proxy}' : ''}`;
          const created = resource.addMethod(
            method,
            new apigateway.Integration({
              type: apigateway.IntegrationType.HTTP_PROXY,
              integrationHttpMethod: method,
              uri,
              options: {
                requestParameters: {
                  // Set from the authorizer's decision: any routing header the client sent is replaced.
                  [`integration.request.header.${ROUTING_HEADER}`]: 'context.authorizer.routingKey',
                  ...(isProxy ? { 'integration.request.path.proxy': 'method.request.path.proxy' } : {}),
                },
              },
            }),
            {
              authorizer: methodAuthorizer,
              apiKeyRequired: true,
              requestValidator: validator,
              requestParameters: isProxy ? { 'method.request.path.proxy': true } : undefined,
            },
          );
          // Private integration straight to the ALB through a VPC link V2 (no NLB): not in the L2 yet.
          const cfn = created.node.defaultChild as apigateway.CfnMethod;
          cfn.addPropertyOverride('Integration.ConnectionType', 'VPC_LINK');
          cfn.addPropertyOverride('Integration.ConnectionId', props.vpcLink.vpcLinkId);
          cfn.addPropertyOverride('Integration.IntegrationTarget', this.loadBalancer.loadBalancerArn);
        }
      }
    }
    if (cors) {
      this.addCorsGatewayResponses(cors);
    }
  }

  /**
   * API Gateway's own error answers (401 without a token, 403 denied or without a key, 429 throttled, 5xx) carry the
   * CORS headers, so that a page can read them. A gateway response cannot choose among origins: with one allowed
   * origin it names it; with several it repeats the request's Origin (docs/cors.md says why that is safe).
   */
  private addCorsGatewayResponses(cors: ResolvedCors): void {
    const headers = {
      'Access-Control-Allow-Origin': cors.allowOrigins.length === 1 ? `'${cors.allowOrigins[0]}'` : 'method.request.header.Origin',
      'Access-Control-Expose-Headers': `'${cors.exposeHeaders.join(',')}'`,
      'Vary': "'Origin'",
    };
    const types: Array<[string, apigateway.ResponseType]> = [
      ['CorsDefault4xx', apigateway.ResponseType.DEFAULT_4XX],
      ['CorsDefault5xx', apigateway.ResponseType.DEFAULT_5XX],
      // Not documented to fall back to DEFAULT_4XX: set on its own.
      ['CorsUnauthorized', apigateway.ResponseType.UNAUTHORIZED],
    ];
    for (const [id, type] of types) {
      this.api.addGatewayResponse(id, { type, responseHeaders: headers });
    }
  }

  /** The URL of the shard's API stage: the endpoint of the tenants routed here. */
  public get url(): string {
    return this.api.url;
  }
}

/**
 * The preflight of a path: OPTIONS answered by a mock, without the authorizer or a key (a preflight carries no
 * credentials, by the Fetch standard), with status 204. The allowed origin is the request's when it is listed, else
 * the first (which the browser refuses). The template reads `Origin` and, failing that, `origin` (HTTP/2 clients send
 * lower-case names, and API Gateway's header map is case-sensitive); `$!origin` is empty whether a missing header
 * leaves the variable unset or null.
 */
function addPreflight(resource: apigateway.IResource, cors: ResolvedCors, methods: HttpMethod[]): void {
  const headers: Record<string, string> = {
    'Access-Control-Allow-Origin': `'${cors.allowOrigins[0]}'`,
    'Access-Control-Allow-Methods': `'${methods.join(',')}'`,
    'Access-Control-Allow-Headers': `'${cors.allowHeaders.join(',')}'`,
    'Access-Control-Max-Age': `'${cors.maxAgeSeconds}'`,
    'Vary': "'Origin'",
  };
  const template = [
    '#set($origin = $input.params().header.get("Origin"))',
    '#if("$!origin" == "")',
    '  #set($origin = $input.params().header.get("origin"))',
    '#end',
    `#if(${cors.allowOrigins.map((o) => `"$!origin" == "${o}"`).join(' || ')})`,
    '  #set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)',
    '#end',
  ].join('\n');
  const parameters = (value: (v: string) => string | boolean) =>
    Object.fromEntries(Object.entries(headers).map(([name, v]) => [`method.response.header.${name}`, value(v)]));
  resource.addMethod('OPTIONS', new apigateway.MockIntegration({
    requestTemplates: { 'application/json': '{ "statusCode": 204 }' },
    integrationResponses: [{ statusCode: '204', responseParameters: parameters((v) => v) as Record<string, string>, responseTemplates: { 'application/json': template } }],
  }), {
    authorizationType: apigateway.AuthorizationType.NONE,
    apiKeyRequired: false,
    methodResponses: [{ statusCode: '204', responseParameters: parameters(() => true) as Record<string, boolean> }],
  });
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
