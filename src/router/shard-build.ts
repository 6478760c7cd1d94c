/**
 * What every router shard is made of, whether a nested stack of the router (TenantRouterShard) or a shard template
 * provisioned at run time (RouterShardTemplate). Not part of the jsii API.
 */
import { Stack } from 'aws-cdk-lib';
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

/** What a shard is built with: TenantRouter's options, a label for its number (a parameter in a template), its API's name. */
export interface ShardBuildProps extends ShardOptions {
  /** The shard's number as text (a token in a shard template): the prefix of its access logs. */
  readonly indexLabel: string;
  /** What descriptions call the shard: its number, or a literal where the number is a parameter. */
  readonly descriptionLabel: string;
  /** The name of the shard's REST API (API Gateway keys metrics by it: unique per shard). */
  readonly apiName: string;
}

/** A shard's parts. */
export interface ShardParts {
  readonly securityGroup: ec2.SecurityGroup;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly listener: elbv2.ApplicationListener;
  readonly api: apigateway.RestApi;
}

/**
 * Builds a shard's resources in `scope` (a nested stack of the router, or a shard template provisioned at run time):
 * the same load balancer, listener, API, authorizer and methods either way.
 */
export function buildShard(scope: Construct, props: ShardBuildProps): ShardParts {
  const stack = Stack.of(scope);

  const securityGroup = new ec2.SecurityGroup(scope, 'LoadBalancerSecurityGroup', {
    vpc: props.vpc,
    description: `Tenant router shard ${props.descriptionLabel}: admits the VPC link of the router only`,
    allowAllOutbound: false,
  });
  securityGroup.connections.allowFrom(props.vpcLinkSecurityGroup, ec2.Port.tcp(80), 'API Gateway VPC link');

  const loadBalancer = new elbv2.ApplicationLoadBalancer(scope, 'LoadBalancer', {
    vpc: props.vpc,
    vpcSubnets: props.vpcSubnets,
    internetFacing: false,
    securityGroup,
    dropInvalidHeaderFields: true,
  });
    // Access logs: the router's bucket policy admits the load balancers' log delivery under shard-*/ (one statement
    // for every shard, so the policy does not grow with the shards).
  loadBalancer.setAttribute('access_logs.s3.enabled', 'true');
  loadBalancer.setAttribute('access_logs.s3.bucket', props.accessLogBucket.bucketName);
  loadBalancer.setAttribute('access_logs.s3.prefix', `shard-${props.indexLabel}`);
  const listener = loadBalancer.addListener('Listener', {
    port: 80,
    protocol: elbv2.ApplicationProtocol.HTTP,
    open: false,
    defaultAction: elbv2.ListenerAction.fixedResponse(404, { contentType: 'application/json', messageBody: '{"message":"Not Found"}' }),
  });

  const accessLogs = new logs.LogGroup(scope, 'ApiAccessLogs', { retention: props.logRetention, removalPolicy: props.removalPolicy });
  acknowledgeLogGroup(accessLogs);
  const api = new apigateway.RestApi(scope, 'Api', {
    // API Gateway's metrics are keyed by the API's name: every shard (and every installation) needs its own, or
    // their metrics and alarms would mix (see shardApiName, and the shard template's).
    restApiName: props.apiName,
    description: `Tenant router shard ${props.descriptionLabel}`,
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

  acknowledgeShardFindings(listener, api.deploymentStage);

  if (props.webAclArn) {
    new wafv2.CfnWebACLAssociation(scope, 'WebAcl', { resourceArn: api.deploymentStage.stageArn, webAclArn: props.webAclArn });
  }

  const authorizer = new apigateway.CfnAuthorizer(scope, 'Authorizer', {
    restApiId: api.restApiId,
    name: 'tenant-authorizer',
    type: 'REQUEST',
    identitySource: 'method.request.header.Authorization',
    authorizerUri: `arn:${stack.partition}:apigateway:${stack.region}:lambda:path/2015-03-31/functions/${props.authorizer.functionArn}/invocations`,
    authorizerResultTtlInSeconds: props.authorizerCacheTtl.toSeconds(),
  });
  const methodAuthorizer: apigateway.IAuthorizer = {
    authorizerId: authorizer.ref,
    authorizationType: apigateway.AuthorizationType.CUSTOM,
  };
  const validator = api.addRequestValidator('Validator', { validateRequestParameters: true });

  const cors = props.application._cors;
  for (const service of props.application.services) {
    const base = api.root.resourceForPath(service.pathPrefix);
    const proxy = base.addResource('{proxy+}');
    for (const [resource, isProxy] of [[base, false], [proxy, true]] as const) {
      if (cors) {
        addPreflight(resource, cors, corsMethodsFor(cors, service.httpMethods ?? []));
      }
      for (const method of (service.httpMethods ?? []).filter((m) => !cors || m !== HttpMethod.OPTIONS)) {
        const uri = `http://${loadBalancer.loadBalancerDnsName}${service.pathPrefix}${isProxy ? '/{proxy}' : ''}`;
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
        cfn.addPropertyOverride('Integration.IntegrationTarget', loadBalancer.loadBalancerArn);
      }
    }
  }
  if (cors) {
    addCorsGatewayResponses(api, cors);
  }

  return { securityGroup, loadBalancer, listener, api };
}

/**
 * API Gateway's own error answers (401 without a token, 403 denied or without a key, 429 throttled, 5xx) carry the
 * CORS headers, so that a page can read them. A gateway response cannot choose among origins: with one allowed
 * origin it names it; with several it repeats the request's Origin (docs/cors.md says why that is safe).
 */
function addCorsGatewayResponses(api: apigateway.RestApi, cors: ResolvedCors): void {
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
    api.addGatewayResponse(id, { type, responseHeaders: headers });
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

