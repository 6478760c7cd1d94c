import { App, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import {
  ClusterPerTenantTier,
  PooledEcsTier,
  SiloServiceTier,
  TenantApiKeys,
  TenantRouter,
  TierRouting,
  TierUsagePlan,
  TokenIssuer,
} from '../src';
import { bridgeApplication, pooledApplication, vpcStack } from './util/fixtures';
import { ISSUER, resourcesOf, routedStack, routerProps, rulePriorities } from './util/router-fixtures';

function authorizerEnv(stack: Stack): Record<string, any> {
  const fn = Object.values<any>(Template.fromStack(stack).findResources('AWS::Lambda::Function')).find((f) =>
    f.Properties.Environment?.Variables?.AUTHORIZER_CONFIG,
  );
  return fn.Properties.Environment.Variables;
}

function authorizerConfig(stack: Stack): any {
  return JSON.parse(JSON.stringify(Stack.of(stack).resolve(authorizerEnv(stack).AUTHORIZER_CONFIG)).replace(/^"|"$/g, '').replace(/\\"/g, '"'));
}

describe('request path', () => {
  test('the load balancer is internal, admits only the VPC link on port 80 and answers 404 by default', () => {
    const { router } = routedStack();
    const shard = Template.fromStack(router.shards[0]);
    shard.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internal',
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
        { Key: 'access_logs.s3.enabled', Value: 'true' },
        { Key: 'access_logs.s3.prefix', Value: 'shard-0' },
      ]),
    });
    const groups = shard.findResources('AWS::EC2::SecurityGroup');
    expect(Object.keys(groups)).toHaveLength(1);
    const group = Object.values<any>(groups)[0].Properties;
    expect(group.SecurityGroupIngress ?? []).toEqual([]);
    const ingress = Object.values<any>(shard.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties);
    expect(ingress).toHaveLength(1);
    expect(ingress[0]).toMatchObject({ IpProtocol: 'tcp', FromPort: 80, ToPort: 80 });
    expect(JSON.stringify(ingress[0].SourceSecurityGroupId)).toMatch(/VpcLinkSecurityGroup/);
    expect(JSON.stringify(shard.toJSON())).not.toContain('0.0.0.0/0');
    shard.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404', ContentType: 'application/json', MessageBody: '{"message":"Not Found"}' } }],
    });
  });

  test('the API has the application\'s path prefixes, each with its proxy resource, and exactly the services\' methods', () => {
    const { router } = routedStack();
    const shard = Template.fromStack(router.shards[0]);
    const paths = Object.values<any>(shard.findResources('AWS::ApiGateway::Resource')).map((r) => r.Properties.PathPart).sort();
    expect(paths).toEqual(['orders', 'products', '{proxy+}', '{proxy+}']);
    const methods = Object.values<any>(shard.findResources('AWS::ApiGateway::Method'));
    // bridgeApplication: both services answer the default seven methods, on two resources each.
    expect(methods).toHaveLength(2 * 2 * 7);
  });

  test('every method requires the authorizer and an API key, and forwards through the VPC link to the shard\'s ALB with the routing header from the authorizer', () => {
    const { router } = routedStack();
    const shard = Template.fromStack(router.shards[0]);
    const methods = Object.values<any>(shard.findResources('AWS::ApiGateway::Method')).map((m) => m.Properties);
    for (const m of methods) {
      expect(m.AuthorizationType).toBe('CUSTOM');
      expect(m.AuthorizerId).toEqual({ Ref: 'Authorizer' });
      expect(m.ApiKeyRequired).toBe(true);
      expect(m.Integration.Type).toBe('HTTP_PROXY');
      expect(m.Integration.ConnectionType).toBe('VPC_LINK');
      expect(JSON.stringify(m.Integration.ConnectionId)).toMatch(/RouterVpcLink/);
      expect(m.Integration.IntegrationTarget).toEqual({ Ref: expect.stringMatching(/^LoadBalancer/) });
      expect(m.Integration.IntegrationHttpMethod).toBe(m.HttpMethod);
      expect(m.Integration.RequestParameters['integration.request.header.x-tenant-route']).toBe('context.authorizer.routingKey');
    }
    const proxied = methods.filter((m) => m.RequestParameters?.['method.request.path.proxy']);
    expect(proxied).toHaveLength(14);
    for (const m of proxied) {
      expect(m.Integration.RequestParameters['integration.request.path.proxy']).toBe('method.request.path.proxy');
      expect(JSON.stringify(m.Integration.Uri)).toMatch(/\/(products|orders)\/\{proxy\}"/);
    }
  });

  test('the API takes API keys from the authorizer, logs access without request data, and the authorizer caches for 5 minutes', () => {
    const { router } = routedStack();
    const shard = Template.fromStack(router.shards[0]);
    shard.hasResourceProperties('AWS::ApiGateway::RestApi', { ApiKeySourceType: 'AUTHORIZER', EndpointConfiguration: { Types: ['REGIONAL'] } });
    shard.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      MethodSettings: [Match.objectLike({ DataTraceEnabled: false, LoggingLevel: 'ERROR', MetricsEnabled: true })],
      TracingEnabled: true,
    });
    shard.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 300,
    });
    shard.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
    shard.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain' });
  });

  test('authorizerCacheTtl and stageName are applied; a TTL of 0 turns caching off', () => {
    const { router } = routedStack({ authorizerCacheTtl: Duration.seconds(0), stageName: 'v1' });
    const shard = Template.fromStack(router.shards[0]);
    shard.hasResourceProperties('AWS::ApiGateway::Authorizer', { AuthorizerResultTtlInSeconds: 0 });
    shard.hasResourceProperties('AWS::ApiGateway::Stage', { StageName: 'v1' });
  });

  test('a web ACL, when given, is associated with every shard\'s stage', () => {
    const { router } = routedStack({ webAclArn: 'arn:aws:wafv2:us-east-1:111111111111:regional/webacl/api/abc', minShards: 2 });
    for (const shard of router.shards) {
      Template.fromStack(shard).hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
        WebACLArn: 'arn:aws:wafv2:us-east-1:111111111111:regional/webacl/api/abc',
      });
    }
  });

  test('the VPC link V2 sits in private subnets with a security group that reaches only the shards\' load balancers', () => {
    const { stack, router } = routedStack({ minShards: 2 });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::ApiGatewayV2::VpcLink', 1);
    const sg = t.toJSON().Resources[stack.getLogicalId(router.vpcLinkSecurityGroup.node.defaultChild as ec2.CfnSecurityGroup)].Properties;
    expect(sg.SecurityGroupIngress ?? []).toEqual([]);
    expect(sg.SecurityGroupEgress ?? []).toEqual([]);
    const egress = Object.values<any>(t.findResources('AWS::EC2::SecurityGroupEgress')).filter((e) =>
      JSON.stringify(e.Properties.GroupId).includes('VpcLinkSecurityGroup'),
    );
    expect(egress).toHaveLength(2);
    for (const e of egress) {
      expect(e.Properties).toMatchObject({ IpProtocol: 'tcp', FromPort: 80, ToPort: 80 });
    }
  });

  test('the account-level logging role is created once and retained, and can be left out', () => {
    const { stack } = routedStack();
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::ApiGateway::Account', 1);
    t.hasResource('AWS::ApiGateway::Account', { DeletionPolicy: 'Retain' });
    const without = routedStack({ cloudWatchRole: false });
    Template.fromStack(without.stack).resourceCountIs('AWS::ApiGateway::Account', 0);
  });

  test('the access-log bucket is encrypted, TLS-only, private, retained, and admits log delivery only under the shard prefixes', () => {
    const { stack } = routedStack();
    const t = Template.fromStack(stack);
    t.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      }),
    });
    const policy = Object.values<any>(t.findResources('AWS::S3::BucketPolicy'))[0].Properties.PolicyDocument.Statement;
    const put = policy.find((s: any) => s.Action === 's3:PutObject');
    // us-east-1 has an Elastic Load Balancing account.
    expect(put.Principal).toEqual({ AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::127311923021:root']] } });
    expect(JSON.stringify(put.Resource)).toContain('/shard-*/AWSLogs/111111111111/*');
    expect(policy.some((s: any) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false')).toBe(true);
  });

  test('in a Region-agnostic stack, log delivery is admitted through the service principal and the Region\'s ELB account', () => {
    const app = new App();
    const stack = new Stack(app, 'Agnostic');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    new TenantRouter(stack, 'Router', routerProps(vpc));
    const t = Template.fromStack(stack);
    const put = Object.values<any>(t.findResources('AWS::S3::BucketPolicy'))[0].Properties.PolicyDocument.Statement.find((s: any) => s.Action === 's3:PutObject');
    expect(put.Principal.Service).toBe('logdelivery.elasticloadbalancing.amazonaws.com');
    expect(JSON.stringify(put.Principal.AWS)).toContain('Fn::FindInMap');
  });
});

describe('authorizer', () => {
  test('the function runs the bundled handler on the latest Node.js, with its own role and log group, and is invocable by this account\'s APIs only', () => {
    const { stack } = routedStack();
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogGroup: Match.anyValue() },
    });
    const roles = Object.values<any>(t.findResources('AWS::IAM::Role')).filter((r) =>
      JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('lambda.amazonaws.com'),
    );
    for (const r of roles) {
      expect(r.Properties.ManagedPolicyArns ?? []).toEqual([]);
    }
    t.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'apigateway.amazonaws.com',
      SourceArn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':execute-api:us-east-1:111111111111:*/authorizers/*']] },
    });
  });

  test('its configuration holds the issuers, the reference\'s claims, the tiers with their routing, and the role rules', () => {
    const { stack } = routedStack({ roleRules: [{ pathPrefix: '/orders', allowedRoles: ['TenantAdmin'] }] });
    const config = authorizerConfig(stack);
    expect(config.issuers).toEqual([{ issuer: ISSUER, audiences: ['app-client'] }]);
    expect(config.claims).toEqual({ tenantId: 'custom:tenantId', tier: 'custom:tenantTier', role: 'custom:userRole' });
    // Each tenant has a key of its own by default, which the authorizer looks up.
    expect(config.tiers).toEqual({ basic: { routing: 'SHARED', apiKeyPerTenant: true }, advanced: { routing: 'PER_TENANT', apiKeyPerTenant: true } });
    expect(config.roleRules).toEqual([{ pathPrefix: '/orders', allowedRoles: ['TenantAdmin'] }]);
  });

  test('claims can be renamed one by one', () => {
    const { stack } = routedStack({ claims: { role: 'groups' } });
    expect(authorizerConfig(stack).claims).toEqual({ tenantId: 'custom:tenantId', tier: 'custom:tenantTier', role: 'groups' });
  });

  test('a Cognito issuer is the pool\'s issuer URL, with ID tokens by default and the tenant binding when given', () => {
    const { stack, vpc } = vpcStack();
    const pool = { userPoolId: 'us-east-1_abc', env: { region: 'us-east-1', account: '111111111111' } } as any;
    new TenantRouter(stack, 'Router', routerProps(vpc, {
      issuers: [TokenIssuer.cognito({ userPool: pool, clientIds: ['c1', 'c2'], tenantId: 'acme' })],
    }));
    expect(authorizerConfig(stack).issuers).toEqual([
      { issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc', audiences: ['c1', 'c2'], tokenUse: 'id', tenantId: 'acme' },
    ]);
  });

  test('it may read the tier keys by id and nothing else; listing keys only when a tier has keys per tenant', () => {
    const { stack } = routedStack({
      tiers: [{ tierName: 'basic', routing: TierRouting.SHARED, apiKeys: TenantApiKeys.TIER }, { tierName: 'advanced', routing: TierRouting.PER_TENANT, apiKeys: TenantApiKeys.TIER }],
    });
    const statements = Object.values<any>(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((s: any) => JSON.stringify(s.Action).includes('apigateway'));
    expect(statements).toHaveLength(1);
    expect(statements[0].Action).toBe('apigateway:GET');
    expect(statements[0].Resource).toHaveLength(2);
    expect(JSON.stringify(statements[0].Resource)).toMatch(/\/apikeys\/",\{"Ref":"RouterBasicApiKey/);
    expect(JSON.stringify(statements[0].Resource)).not.toMatch(/\/apikeys"\]/);

    const perTenant = routedStack({
      tiers: [{ tierName: 'basic', routing: TierRouting.SHARED }, { tierName: 'advanced', routing: TierRouting.PER_TENANT, apiKeyPerTenant: true }],
    });
    const listed = Object.values<any>(Template.fromStack(perTenant.stack).findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .find((s: any) => s.Action === 'apigateway:GET');
    expect(JSON.stringify(listed.Resource)).toMatch(/:apigateway:us-east-1::\/apikeys"/);
  });
});

test('with an issuer registry, the authorizer may read it (GetItem only) and is told its name', () => {
  const { stack } = routedStack({ issuerRegistry: true });
  const t = Template.fromStack(stack);
  t.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', Properties: Match.objectLike({ KeySchema: [{ AttributeName: 'issuer', KeyType: 'HASH' }] }) });
  expect(authorizerEnv(stack).ISSUER_REGISTRY_TABLE).toEqual({ Ref: expect.stringMatching(/^RouterIssuerRegistry/) });
  const reads = Object.entries<any>(t.findResources('AWS::IAM::Policy'))
    .filter(([id]) => id.startsWith('RouterAuthorizerRole'))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement)
    .filter((s: any) => JSON.stringify(s.Action).includes('dynamodb'));
  expect(reads).toEqual([expect.objectContaining({ Action: 'dynamodb:GetItem', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^RouterIssuerRegistry/), 'Arn'] } })]);
  expect(authorizerEnv(routedStack().stack).ISSUER_REGISTRY_TABLE).toBeUndefined();
});

describe('usage plans', () => {
  test('each tier has a key and a plan with the reference\'s limits, on every shard\'s stage', () => {
    const { stack, router } = routedStack({ minShards: 2 });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::ApiGateway::ApiKey', 2);
    t.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 2);
    const plans = Object.values<any>(t.findResources('AWS::ApiGateway::UsagePlan')).map((p) => p.Properties);
    expect(plans.map((p) => [p.Description, p.Throttle, p.Quota])).toEqual([
      ['Tier basic', { RateLimit: 50, BurstLimit: 50 }, { Limit: 1000, Period: 'DAY' }],
      ['Tier advanced', { RateLimit: 75, BurstLimit: 100 }, { Limit: 2000, Period: 'DAY' }],
    ]);
    for (const p of plans) {
      expect(p.ApiStages).toHaveLength(router.shards.length);
    }
    expect(router.usagePlan('basic')).toBeDefined();
    expect(() => router.usagePlan('gold')).toThrow(/No usage plan for tier 'gold'.*basic, advanced/);
  });

  test('a tier\'s plan can be set', () => {
    const { stack } = routedStack({
      tiers: [
        { tierName: 'basic', routing: TierRouting.SHARED, usagePlan: TierUsagePlan.of({ rateLimit: 5, burstLimit: 10 }) },
        { tierName: 'advanced', routing: TierRouting.PER_TENANT, usagePlan: TierUsagePlan.REFERENCE_PREMIUM },
      ],
    });
    const plans = Object.values<any>(Template.fromStack(stack).findResources('AWS::ApiGateway::UsagePlan')).map((p) => p.Properties);
    expect(plans[0].Throttle).toEqual({ RateLimit: 5, BurstLimit: 10 });
    expect(plans[0].Quota).toBeUndefined();
    expect(plans[1].Throttle).toEqual({ RateLimit: 300, BurstLimit: 300 });
  });

  test('with a key per tenant, each tenant gets a marked key and a plan on its shard\'s stage, and the tier none', () => {
    const { stack, router, basic, advanced } = routedStack({
      tiers: [{ tierName: 'basic', routing: TierRouting.SHARED, apiKeys: TenantApiKeys.TIER }, { tierName: 'advanced', routing: TierRouting.PER_TENANT, apiKeyPerTenant: true }],
    });
    router.addTenants([...basic.tenants, ...advanced.tenants]);
    const keys = resourcesOf(stack, 'AWS::ApiGateway::ApiKey');
    const tenantKeys = keys.filter((k) => k.props.CustomerId);
    expect(tenantKeys.map((k) => k.props.CustomerId).sort()).toEqual(['acme', 'globex']);
    for (const k of tenantKeys) {
      expect(k.props.Tags).toEqual([{ Key: 'cdk-ecs-saas:router', Value: stack.resolve(router.apiKeyMarker) }]);
    }
    const plans = resourcesOf(stack, 'AWS::ApiGateway::UsagePlan');
    expect(plans.map((p) => p.props.Description).sort()).toEqual(['Tenant acme', 'Tenant globex', 'Tier basic']);
    const acme = plans.find((p) => p.props.Description === 'Tenant acme')!;
    expect(acme.props.Throttle).toEqual({ RateLimit: 75, BurstLimit: 100 });
    expect(acme.props.ApiStages).toEqual([{ ApiId: { Ref: expect.stringMatching(/^Api/) }, Stage: { Ref: expect.stringMatching(/DeploymentStage/) } }]);
    expect(() => router.usagePlan('advanced')).toThrow(/No usage plan for tier 'advanced'/);
  });

  test('by default each declared tenant gets a marked key of its own in its tier\'s plan, and no plan of its own', () => {
    const { stack, router, basic, advanced } = routedStack();
    router.addTenants([...basic.tenants, ...advanced.tenants]);
    const keys = resourcesOf(stack, 'AWS::ApiGateway::ApiKey');
    const tenantKeys = keys.filter((k) => k.props.CustomerId);
    expect(tenantKeys.map((k) => k.props.CustomerId).sort()).toEqual(['acme', 'b1', 'b2', 'globex']);
    for (const k of tenantKeys) {
      expect(k.props).toMatchObject({ Enabled: true, Tags: [{ Key: 'cdk-ecs-saas:router', Value: stack.resolve(router.apiKeyMarker) }] });
    }
    // Two tier keys besides.
    expect(keys).toHaveLength(6);
    const plans = resourcesOf(stack, 'AWS::ApiGateway::UsagePlan');
    expect(plans.map((p) => p.props.Description).sort()).toEqual(['Tier advanced', 'Tier basic']);
    // The keys are in a nested stack of the router's, which gets each plan's id as a parameter.
    expect(new Set(tenantKeys.map((k) => k.stack))).toEqual(new Set([expect.stringMatching(/^TenantKeys0/)]));
    const nested = Object.values<any>(Template.fromStack(stack).findResources('AWS::CloudFormation::Stack'))
      .find((r) => Object.keys(r.Properties.Parameters ?? {}).some((name) => /UsagePlan/.test(name)))!;
    const planOf = (tenantId: string) => {
      const key = tenantKeys.find((k) => k.props.CustomerId === tenantId)!;
      const link = resourcesOf(stack, 'AWS::ApiGateway::UsagePlanKey').find((l) => l.props.KeyId.Ref === key.id)!;
      const planId = nested.Properties.Parameters[link.props.UsagePlanId.Ref].Ref;
      return plans.find((p) => p.id === planId)!.props.Description;
    };
    expect(['b1', 'b2', 'acme', 'globex'].map(planOf)).toEqual(['Tier basic', 'Tier basic', 'Tier advanced', 'Tier advanced']);
  });

  test('declared tenants\' keys go into nested stacks of 200 tenants each: no stack grows with the tenants of a pooled tier', () => {
    const { stack, vpc } = vpcStack();
    const basic = new PooledEcsTier(stack, 'Basic', { vpc, application: pooledApplication(), tenants: Array.from({ length: 450 }, (_, i) => `t${i}`) });
    const router = new TenantRouter(stack, 'Router', routerProps(vpc));
    router.addTenants(basic.tenants);
    const keys = resourcesOf(stack, 'AWS::ApiGateway::ApiKey').filter((k) => k.props.CustomerId);
    const perStack = new Map<string, number>();
    keys.forEach((k) => perStack.set(k.stack, (perStack.get(k.stack) ?? 0) + 1));
    expect([...perStack.values()]).toEqual([200, 200, 50]);
    expect([...perStack.keys()].every((id) => /^TenantKeys[0-2]$/.test(id))).toBe(true);
    // The router's own stack keeps only the tier keys.
    Template.fromStack(stack).resourceCountIs('AWS::ApiGateway::ApiKey', 2);
  });

  test('the tier\'s keys: apiKeys, or the deprecated apiKeyPerTenant when they agree; bad values fail with the prop', () => {
    const tiers = (advanced: object) => [{ tierName: 'basic', routing: TierRouting.SHARED }, { tierName: 'advanced', routing: TierRouting.PER_TENANT, ...advanced }];
    const agree = routedStack({ tiers: tiers({ apiKeys: TenantApiKeys.TENANT_PLAN, apiKeyPerTenant: true }) });
    expect(agree.router.hasApiKeyPerTenant('advanced')).toBe(true);
    expect(agree.router.hasApiKeyPerTenant('basic')).toBe(false);
    expect(() => routedStack({ tiers: tiers({ apiKeys: TenantApiKeys.TENANT, apiKeyPerTenant: true }) })).toThrow(
      /tiers\[1\] \(tier 'advanced'\) has apiKeyPerTenant true and apiKeys TENANT, which disagree: give apiKeys only/,
    );
    expect(() => routedStack({ tiers: tiers({ apiKeys: 'EVERYONE' }) })).toThrow(/tiers\[1\]\.apiKeys must be one of TENANT, TIER, TENANT_PLAN; got 'EVERYONE'/);
  });
});

describe('routes', () => {
  test('a pooled tier is one route; each silo tenant its own; priorities are consecutive and unique', () => {
    const { stack, router, basic, advanced } = routedStack();
    router.addTenants([...basic.tenants, ...advanced.tenants]);
    expect(router.placements).toEqual([
      { routingKey: 'basic', shard: 0, priority: 1, rules: 1 },
      { routingKey: 'acme', shard: 0, priority: 2, rules: 1 },
      { routingKey: 'globex', shard: 0, priority: 3, rules: 1 },
    ]);
    expect(rulePriorities(stack)).toEqual({ basic: [1], acme: [2], globex: [3] });
  });

  test('each rule forwards to an IP target group on the proxy port with the proxy\'s health check, and registers the service', () => {
    const { stack, router, basic, advanced } = routedStack();
    router.addTenants([...basic.tenants, ...advanced.tenants]);
    const t = Template.fromStack(stack);
    const groups = Object.values<any>(t.findResources('AWS::ElasticLoadBalancingV2::TargetGroup')).map((g) => g.Properties);
    expect(groups).toHaveLength(3);
    for (const g of groups) {
      expect(g).toMatchObject({ TargetType: 'ip', Port: 80, Protocol: 'HTTP', HealthCheckPath: '/health', Matcher: { HttpCode: '200' } });
    }
    const services = Object.values<any>(t.findResources('AWS::ECS::Service')).filter((s) => s.Properties.LoadBalancers);
    expect(services).toHaveLength(3);
    for (const s of services) {
      expect(s.Properties.LoadBalancers).toEqual([expect.objectContaining({ ContainerPort: 80 })]);
    }
  });

  test('each routed tenant admits the shard\'s load balancer on its entry port, and the load balancer may reach it there only', () => {
    const { stack, router, advanced } = routedStack();
    router.addTenants(advanced.tenants);
    const t = Template.fromStack(stack);
    const ingress = Object.values<any>(t.findResources('AWS::EC2::SecurityGroupIngress')).filter((r) =>
      JSON.stringify(r.Properties.SourceSecurityGroupId).includes('LoadBalancerSecurityGroup'),
    );
    expect(ingress).toHaveLength(2);
    for (const r of ingress) {
      expect(r.Properties).toMatchObject({ IpProtocol: 'tcp', FromPort: 80, ToPort: 80 });
    }
    const egress = Object.values<any>(t.findResources('AWS::EC2::SecurityGroupEgress')).filter((r) =>
      JSON.stringify(r.Properties.GroupId).includes('LoadBalancerSecurityGroup'),
    );
    expect(egress).toHaveLength(2);
  });

  test('without the proxy, each service is a rule matching routing key and path prefix', () => {
    const { stack, vpc } = vpcStack();
    const advanced = new SiloServiceTier(stack, 'Advanced', { vpc, application: bridgeApplication(), proxy: false, tenants: ['acme'] });
    const router = new TenantRouter(stack, 'Router', routerProps(vpc));
    router.addTenants(advanced.tenants);
    expect(router.placements).toEqual([{ routingKey: 'acme', shard: 0, priority: 1, rules: 2 }]);
    const rules = Object.values<any>(Template.fromStack(stack).findResources('AWS::ElasticLoadBalancingV2::ListenerRule')).map((r) => r.Properties);
    expect(rules.map((r) => [r.Priority, r.Conditions])).toEqual([
      [1, [
        { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'x-tenant-route', Values: ['acme'] } },
        { Field: 'path-pattern', PathPatternConfig: { Values: ['/products', '/products/*'] } },
      ]],
      [2, [
        { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'x-tenant-route', Values: ['acme'] } },
        { Field: 'path-pattern', PathPatternConfig: { Values: ['/orders', '/orders/*'] } },
      ]],
    ]);
  });

  test('pinned placements are kept; new routes take free priorities around them; a removed route leaves its priority free', () => {
    const { stack, router, advanced } = routedStack({
      placements: [
        { routingKey: 'globex', shard: 0, priority: 1, rules: 1 },
        { routingKey: 'gone', shard: 0, priority: 2, rules: 1 },
      ],
    });
    router.addTenants(advanced.tenants);
    expect(rulePriorities(stack)).toEqual({ acme: [3], globex: [1] });
    Annotations.fromStack(stack).hasWarning('/Test/Router', Match.stringLikeRegexp("placement of 'gone' \\(shard 0, priority 2\\) has no route"));
  });

  test('removing one tenant and adding another in one change moves nothing and reuses no priority', () => {
    const before = routedStack({}, ['acme', 'globex', 'initech']);
    before.router.addTenants(before.advanced.tenants);
    const pinned = before.router.placements;
    const after = routedStack({ placements: pinned }, ['acme', 'initech', 'umbrella']);
    after.router.addTenants(after.advanced.tenants);
    const byKey = new Map(after.router.placements.map((p) => [p.routingKey, p]));
    expect(byKey.get('acme')).toEqual(pinned[0]);
    expect(byKey.get('initech')).toEqual(pinned[2]);
    // umbrella does not take globex's priority while globex's rule may still exist during the deployment.
    expect(pinned[1]).toEqual({ routingKey: 'globex', shard: 0, priority: 2, rules: 1 });
    expect(byKey.get('umbrella')).toEqual({ routingKey: 'umbrella', shard: 0, priority: 4, rules: 1 });
    Annotations.fromStack(after.stack).hasWarning('/Test/Router', Match.stringLikeRegexp("placement of 'globex'"));
  });

  test('a shared tier can be routed before any of its tenants is known; its tenants join that route', () => {
    const { stack, router, basic } = routedStack();
    router.addSharedTier('basic', basic.routingTargets);
    router.addTenants(basic.tenants);
    expect(router.placements).toEqual([{ routingKey: 'basic', shard: 0, priority: 1, rules: 1 }]);
    expect(rulePriorities(stack)).toEqual({ basic: [1] });
    expect(router.endpointForTier('basic')).toBe(router.shards[0].url);
    expect(router.endpointFor('b2')).toBe(router.shards[0].url);
    expect(() => router.addSharedTier('basic', basic.routingTargets)).toThrow(/tier 'basic' is already routed/);
    expect(() => router.addSharedTier('advanced', basic.routingTargets)).toThrow(/tier 'advanced' is not a SHARED or ROUTING_SERVICE tier of this router; those tiers: basic/);
    expect(() => router.endpointForTier('advanced')).toThrow(/tier 'advanced' has no shared route in this router/);
  });

  test('explicit options pin one route', () => {
    const { stack, router, advanced } = routedStack();
    router.addTenant(advanced.tenants[0], { shard: 0, priority: 40 });
    router.addTenant(advanced.tenants[1]);
    expect(rulePriorities(stack)).toEqual({ acme: [40], globex: [1] });
  });

  test('routes spill to a new shard when one is full, and a dedicated tier gets a shard per tenant', () => {
    const { stack, vpc } = vpcStack();
    const app = bridgeApplication();
    const advanced = new SiloServiceTier(stack, 'Advanced', { vpc, application: app, tenants: ['t1', 't2', 't3'] });
    const premium = new ClusterPerTenantTier(stack, 'Premium', { vpc, application: app, pooledTables: advanced.pooledTables, tenants: ['p1', 'p2'] });
    const router = new TenantRouter(stack, 'Router', routerProps(vpc, {
      tiers: [{ tierName: 'advanced', routing: TierRouting.PER_TENANT }, { tierName: 'premium', routing: TierRouting.PER_TENANT, dedicatedLoadBalancer: true }],
      quotas: { rulesPerListener: 2 },
    }));
    router.addTenants([...advanced.tenants, ...premium.tenants]);
    expect(router.placements.map((p) => `${p.routingKey}@${p.shard}/${p.priority}`)).toEqual(['t1@0/1', 't2@0/2', 't3@1/1', 'p1@2/1', 'p2@3/1']);
    expect(router.shards.map((s) => s.dedicated)).toEqual([false, false, true, true]);
    expect(router.endpointFor('p2')).toBe(router.shards[3].url);
    expect(router.endpointFor('t3')).toBe(router.shards[1].url);
  });

  test('a tenant stack whose tenant id, shard and priority are template parameters attaches to the selected shard', () => {
    const app = new App();
    const env = { account: '111111111111', region: 'us-east-1' };
    const shared = new Stack(app, 'Shared', { env });
    const vpc = new ec2.Vpc(shared, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const cluster = new ecs.Cluster(shared, 'Cluster', { vpc });
    const router = new TenantRouter(shared, 'Router', routerProps(vpc, { minShards: 3 }));

    const tenantStack = new Stack(app, 'Tenant', { env });
    const tenantId = new CfnParameter(tenantStack, 'TenantId').valueAsString;
    const shard = new CfnParameter(tenantStack, 'RouterShard', { type: 'Number' }).valueAsNumber;
    const priority = new CfnParameter(tenantStack, 'RulePriority', { type: 'Number' }).valueAsNumber;
    const tier = new SiloServiceTier(tenantStack, 'Advanced', { vpc, cluster, application: pooledApplication() });
    router.addTenant(tier.addTenant(tenantId), { shard, priority });

    const t = Template.fromStack(tenantStack);
    const rule = Object.values<any>(t.findResources('AWS::ElasticLoadBalancingV2::ListenerRule'))[0].Properties;
    expect(rule.Priority).toEqual({ Ref: 'RulePriority' });
    expect(rule.Conditions[0].HttpHeaderConfig.Values).toEqual([{ Ref: 'TenantId' }]);
    expect(rule.ListenerArn['Fn::Select'][0]).toEqual({ Ref: 'RouterShard' });
    expect(rule.ListenerArn['Fn::Select'][1]).toHaveLength(3);
    // The endpoint is the selected shard's URL: a choice among the three shards' URLs by the same parameter.
    expect(tenantStack.resolve(router.endpointFor(tenantId))['Fn::Select'][0]).toEqual({ Ref: 'RouterShard' });
    // The router stack holds nothing of the tenant: its template does not depend on the tenant stack.
    const sharedTemplate = Template.fromStack(shared);
    sharedTemplate.resourceCountIs('AWS::ElasticLoadBalancingV2::ListenerRule', 0);
    sharedTemplate.resourceCountIs('AWS::ElasticLoadBalancingV2::TargetGroup', 0);
    expect(JSON.stringify(sharedTemplate.toJSON())).not.toContain('TenantId');
  });
});

describe('validation', () => {
  test.each([
    ['issuers is empty', { issuers: [] }, /issuers is empty: the router must trust at least one token issuer/],
    ['tiers is empty', { tiers: [] }, /tiers is empty/],
    ['tier name', { tiers: [{ tierName: 'Gold Tier', routing: TierRouting.SHARED }] }, /tiers\[0\]\.tierName must be 1 to 20 lowercase.*got 'Gold Tier'/],
    ['duplicate tier', { tiers: [{ tierName: 'basic', routing: TierRouting.SHARED }, { tierName: 'basic', routing: TierRouting.SHARED }] }, /tiers\[1\]\.tierName 'basic' is listed twice/],
    ['dedicated shared tier', { tiers: [{ tierName: 'basic', routing: TierRouting.SHARED, dedicatedLoadBalancer: true }] }, /tiers\[0\]\.dedicatedLoadBalancer needs routing PER_TENANT; tier 'basic' has SHARED/],
    ['cache ttl', { authorizerCacheTtl: Duration.hours(2) }, /authorizerCacheTtl must be at most 3600 seconds.*got 7200 seconds/],
    ['minShards', { minShards: 0 }, /minShards must be a whole number of at least 1; got 0/],
    ['stageName', { stageName: 'prod stage' }, /stageName must be 1 to 128 letters.*got 'prod stage'/],
    ['claims', { claims: { tenantId: 'tenant id' } }, /claims\.tenantId must be a claim name without spaces; got 'tenant id'/],
    ['role rule prefix', { roleRules: [{ pathPrefix: '/users', allowedRoles: ['Admin'] }] }, /roleRules\[0\]\.pathPrefix '\/users' is not a path prefix of the application; its prefixes: \/products, \/orders/],
    ['role rule roles', { roleRules: [{ pathPrefix: '/orders', allowedRoles: [] }] }, /roleRules\[0\]\.allowedRoles is empty/],
    ['quota', { quotas: { rulesPerListener: 0 } }, /quotas\.rulesPerListener must be a whole number of at least 1; got 0/],
    ['placement twice', { placements: [{ routingKey: 'a', shard: 0, priority: 1, rules: 1 }, { routingKey: 'a', shard: 0, priority: 5, rules: 1 }] }, /placements\[1\] \('a'\) is the second placement of routing key 'a'/],
    ['placement clash', { placements: [{ routingKey: 'a', shard: 0, priority: 1, rules: 2 }, { routingKey: 'b', shard: 0, priority: 2, rules: 1 }] }, /placements\[1\] \('b'\) takes priority 2 on shard 0, which 'a' holds/],
    ['placement shard', { placements: [{ routingKey: 'a', shard: 50, priority: 1, rules: 1 }] }, /placements\[0\] \('a'\)\.shard must be a whole number from 0 to 49.*got 50/],
    ['placement priority', { placements: [{ routingKey: 'a', shard: 0, priority: 50_000, rules: 2 }] }, /placements\[0\] \('a'\)\.priority must be a whole number from 1 to 49999 for 2 rules; got 50000/],
    ['placement rules', { placements: [{ routingKey: 'a', shard: 0, priority: 1, rules: 101 }] }, /placements\[0\] \('a'\)\.rules must be a whole number from 1 to 100.*got 101/],
  ])('%s', (_name, overrides, error) => {
    const { stack, vpc } = vpcStack();
    expect(() => new TenantRouter(stack, 'Router', routerProps(vpc, overrides as any))).toThrow(error);
  });

  test('a tenant of a tier the router does not serve', () => {
    const { stack, vpc, router } = routedStack();
    const premium = new ClusterPerTenantTier(stack, 'Premium', { vpc, application: pooledApplication(), tenants: ['p1'] });
    expect(() => router.addTenants(premium.tenants)).toThrow(/tenant 'p1' is in tier 'premium', which this router does not serve; its tiers: basic, advanced/);
  });

  test('a tier routed differently from the router\'s configuration', () => {
    const { vpc, basic } = routedStack();
    const router = new TenantRouter(Stack.of(basic), 'Router2', routerProps(vpc, {
      tiers: [{ tierName: 'basic', routing: TierRouting.PER_TENANT }, { tierName: 'advanced', routing: TierRouting.PER_TENANT }],
    }));
    expect(() => router.addTenant(basic.tenants[0])).toThrow(/tenant 'b1' has routing key 'basic', but tier 'basic' is routed PER_TENANT, whose routing key is 'b1'/);
  });

  test('a tenant routed twice, and a target routed by two routers', () => {
    const { stack, vpc, router, basic, advanced } = routedStack();
    router.addTenants([...basic.tenants, ...advanced.tenants]);
    expect(() => router.addTenant(advanced.tenants[0])).toThrow(/routing key 'acme' already has a route \(tenant acme\): a tenant is routed once/);
    expect(() => router.addTenant(basic.tenants[0])).toThrow(/tenant 'b1' is already routed/);
    const other = new TenantRouter(stack, 'Other', routerProps(vpc));
    expect(() => other.addTenant(advanced.tenants[1])).toThrow(/routing target 'globex' .* is already routed: a target belongs to one router/);
  });

  test('a route with more targets than one load balancer takes', () => {
    const { router, stack, vpc } = (() => {
      const f = vpcStack();
      const r = new TenantRouter(f.stack, 'Router', routerProps(f.vpc, { quotas: { rulesPerListener: 1 } }));
      return { router: r, stack: f.stack, vpc: f.vpc };
    })();
    const tier = new SiloServiceTier(stack, 'Advanced', { vpc, application: bridgeApplication(), proxy: false, tenants: ['acme'] });
    expect(() => router.addTenants(tier.tenants)).toThrow(/tenant 'acme' has 2 routing targets; one load balancer allows 1 rules and 100 target groups/);
  });

  test('more load balancers than the quota', () => {
    const { stack, vpc } = vpcStack();
    expect(() => new TenantRouter(stack, 'Router', routerProps(vpc, { minShards: 3, quotas: { loadBalancers: 2 } }))).toThrow(
      /the router needs 3 load balancers; the quota is 2 Application Load Balancers per Region\. Raise it in Service Quotas and set quotas\.loadBalancers/,
    );
    const f = vpcStack();
    expect(() => new TenantRouter(f.stack, 'Router', routerProps(f.vpc, { minShards: 3, quotas: { restApis: 2 } }))).toThrow(
      /the router needs 3 REST APIs \(one per shard\); the quota is 2 regional APIs/,
    );
  });

  test('more target groups or usage plans than the Region allows fail at synth with the numbers', () => {
    const { app, router, basic, advanced } = routedStack({ quotas: { targetGroups: 2 } });
    router.addTenants([...basic.tenants, ...advanced.tenants]);
    expect(() => app.synth()).toThrow(/the router has 3 target groups; the quota is 2 per Region/);

    const f = routedStack({
      quotas: { usagePlans: 2 },
      tiers: [{ tierName: 'basic', routing: TierRouting.SHARED }, { tierName: 'advanced', routing: TierRouting.PER_TENANT, apiKeyPerTenant: true }],
    });
    f.router.addTenants(f.advanced.tenants);
    expect(() => f.app.synth()).toThrow(/the router has 3 usage plans \(2 per tenant\); the quota is 2 per Region/);
  });

  test('more API keys than the Region allows fail at synth with the number and the way out', () => {
    const { app, router, basic, advanced } = routedStack({ quotas: { apiKeys: 5 } });
    router.addTenants([...basic.tenants, ...advanced.tenants]);
    expect(() => app.synth()).toThrow(/the router has 6 API keys \(one per tier plan and per tenant with a key of its own\); the quota is 5 per Region\. Raise it and set quotas\.apiKeys, or give some tiers apiKeys: TenantApiKeys\.TIER/);
    expect(() => routedStack({ quotas: { apiKeys: 0 } })).toThrow(/quotas\.apiKeys must be a whole number of at least 1; got 0/);
  });

  test('a tenant whose id is a token needs shard and priority, one target, and an existing shard', () => {
    const { stack, vpc } = routedStack();
    const tenantId = new CfnParameter(stack, 'TenantId').valueAsString;
    const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
    const tier = new SiloServiceTier(stack, 'Provisioned', { vpc, cluster, tierName: 'advanced-p', application: pooledApplication() });
    const advancedRouter = new TenantRouter(stack, 'Router2', routerProps(vpc, { tiers: [{ tierName: 'advanced-p', routing: TierRouting.PER_TENANT }] }));
    const tenant = tier.addTenant(tenantId);
    expect(() => advancedRouter.addTenant(tenant)).toThrow(/is a CloudFormation token: give options\.shard and options\.priority.*got shard undefined, priority undefined/);
    expect(() => advancedRouter.addTenant(tenant, { shard: 1, priority: 5 })).toThrow(/options\.shard must be the position of a shard open to provisioned tenants, 0 to 0; got 1/);
    expect(() => advancedRouter.addTenant(tenant, { shard: 0, priority: 0 })).toThrow(/options\.priority must be a whole number from 1 to 50000; got 0/);

    const f = vpcStack();
    const id = new CfnParameter(f.stack, 'TenantId').valueAsString;
    const noProxy = new SiloServiceTier(f.stack, 'Advanced', { vpc: f.vpc, application: bridgeApplication(), proxy: false });
    const r = new TenantRouter(f.stack, 'Router', routerProps(f.vpc));
    expect(() => r.addTenant(noProxy.addTenant(id), { shard: 0, priority: 3 })).toThrow(/has 2 routing targets; a route whose priority is a token holds one rule: use the tenant proxy/);
  });

  test('options for a literal tenant must give both numbers, and must not clash with pinned placements', () => {
    const { router, advanced } = routedStack({ placements: [{ routingKey: 'x', shard: 0, priority: 7, rules: 1 }] });
    expect(() => router.addTenant(advanced.tenants[0], { shard: 0 })).toThrow(/options for tenant 'acme' must give both shard and priority as numbers.*got shard 0, priority undefined/);
    expect(() => router.addTenant(advanced.tenants[0], { shard: 0, priority: 7 })).toThrow(/takes priority 7 on shard 0, which 'x' holds/);
  });

  test('endpointFor an unknown tenant', () => {
    const { router } = routedStack();
    expect(() => router.endpointFor('nobody')).toThrow(/tenantId 'nobody' has no route in this router: add it with addTenant first/);
  });

  test('too many issuers for the authorizer\'s environment', () => {
    const { stack, vpc } = vpcStack();
    const issuers = Array.from({ length: 40 }, (_, i) => TokenIssuer.oidc({ issuerUrl: `https://login-${i}.example.com/tenants/abcdefghij`, audiences: ['client-abcdefghijklmnop'] }));
    expect(() => new TenantRouter(stack, 'Router', routerProps(vpc, { issuers }))).toThrow(
      /the authorizer's configuration needs about \d+ bytes of environment; Lambda allows 4096 bytes in all/,
    );
  });
});
