import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { SiloServiceTier, TenantRouter, TenantTemplate } from '../src';
import { bridgeApplication } from './util/fixtures';
import { lifecycleStack } from './util/lifecycle-fixtures';
import { routerProps } from './util/router-fixtures';

/** Shards opened at run time (docs/tenant-router.md): the router's shard template, the templates' shard parameters, the lifecycle's product and steps. */
const productTemplate = (app: App, part: string) => {
  const out = app.synth();
  const file = fs.readdirSync(out.directory).find((f) => f.includes(part) && f.endsWith('.product.template.json'))!;
  return JSON.parse(fs.readFileSync(path.join(out.directory, file), 'utf8'));
};
const ofType = (t: any, type: string) => Object.values<any>(t.Resources).filter((r) => r.Type === type);

describe('the router\'s shard template', () => {
  const f = lifecycleStack({}, {}, true);
  const shard = productTemplate(f.app, 'RouterShardTemplate');

  test('holds what a deploy-time shard holds: a load balancer and listener, an API with the authorizer and the application\'s methods', () => {
    expect(ofType(shard, 'AWS::ElasticLoadBalancingV2::LoadBalancer')).toHaveLength(1);
    expect(ofType(shard, 'AWS::ElasticLoadBalancingV2::Listener')).toHaveLength(1);
    expect(ofType(shard, 'AWS::ApiGateway::RestApi')).toHaveLength(1);
    const [authorizer] = ofType(shard, 'AWS::ApiGateway::Authorizer');
    expect(JSON.stringify(authorizer.Properties.AuthorizerUri)).toContain('RouterAuthorizer');
    const nested = Template.fromStack(f.router.shards[0]).toJSON();
    expect(ofType(shard, 'AWS::ApiGateway::Method')).toHaveLength(ofType(nested, 'AWS::ApiGateway::Method').length);
  });

  test('its API is named after the provisioned stack, and its access logs go under its number', () => {
    const [api] = ofType(shard, 'AWS::ApiGateway::RestApi');
    expect(api.Properties.Name).toEqual({ 'Fn::Join': ['', [{ Ref: 'AWS::StackName' }, '-api']] });
    const [lb] = ofType(shard, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
    expect(lb.Properties.LoadBalancerAttributes).toContainEqual({ Key: 'access_logs.s3.prefix', Value: { 'Fn::Join': ['', ['shard-', { Ref: 'ShardIndex' }]] } });
    expect(Object.keys(shard.Parameters)).toContain('ShardIndex');
  });

  test('the VPC link may reach its load balancer, and nothing else may', () => {
    const ingress = ofType(shard, 'AWS::EC2::SecurityGroupIngress');
    expect(ingress).toHaveLength(1);
    expect(ingress[0].Properties).toMatchObject({ FromPort: 80, ToPort: 80, SourceSecurityGroupId: { 'Fn::ImportValue': expect.stringContaining('RouterVpcLinkSecurityGroup') } });
    const egress = ofType(shard, 'AWS::EC2::SecurityGroupEgress');
    expect(egress).toHaveLength(1);
    expect(egress[0].Properties).toMatchObject({ FromPort: 80, GroupId: { 'Fn::ImportValue': expect.stringContaining('RouterVpcLinkSecurityGroup') } });
  });

  test('a usage plan per tier plan for its stage, holding the tier\'s key, with the tier\'s limits', () => {
    const plans = ofType(shard, 'AWS::ApiGateway::UsagePlan');
    const keys = ofType(shard, 'AWS::ApiGateway::UsagePlanKey');
    expect(plans.map((p) => p.Properties.Description).sort()).toEqual(['Tier advanced, on a shard opened at run time', 'Tier basic, on a shard opened at run time']);
    for (const p of plans) {
      expect(p.Properties.ApiStages).toEqual([{ ApiId: { Ref: expect.stringMatching(/^Api/) }, Stage: 'prod' }]);
    }
    expect(keys.map((k) => JSON.stringify(k.Properties.KeyId))).toEqual(expect.arrayContaining([
      expect.stringContaining('RouterBasicApiKey'),
      expect.stringContaining('RouterAdvancedApiKey'),
    ]));
  });

  test('its outputs are what the lifecycle records', () => {
    expect(Object.keys(shard.Outputs)).toEqual(expect.arrayContaining(['ListenerArn', 'LoadBalancerSecurityGroupId', 'ApiId', 'ApiUrl']));
  });
});

describe('the tenant template', () => {
  const f = lifecycleStack({}, {}, true);
  const tenant = productTemplate(f.app, 'AdvancedTenant');

  test('takes the shard\'s listener, security group and API as parameters, and uses them when given, the deploy-time shard when empty', () => {
    for (const p of ['ShardListenerArn', 'ShardSecurityGroupId', 'ShardApiId']) {
      expect(tenant.Parameters[p]).toEqual({ Type: 'String', Description: expect.stringContaining('empty: a shard created at deploy time') });
    }
    expect(tenant.Conditions.RuntimeShardGiven).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'ShardListenerArn' }, ''] }] });
    const [rule] = ofType(tenant, 'AWS::ElasticLoadBalancingV2::ListenerRule');
    expect(rule.Properties.ListenerArn).toEqual({ 'Fn::If': ['RuntimeShardGiven', { Ref: 'ShardListenerArn' }, { 'Fn::Select': [{ Ref: 'RouterShard' }, expect.any(Array)] }] });
    expect(JSON.stringify(tenant.Outputs.ApiUrl.Value)).toContain('"Fn::If":["RuntimeShardGiven",{"Fn::Join":["",["https://",{"Ref":"ShardApiId"},".execute-api."');
  });
});

describe('the lifecycle', () => {
  test('publishes the shard template as a product whose launch role may create its load balancer and API, and lets the worker provision it', () => {
    const f = lifecycleStack({}, {}, true);
    const t = Template.fromStack(f.stack).toJSON();
    const products = Object.entries<any>(t.Resources).filter(([, r]) => r.Type === 'AWS::ServiceCatalog::CloudFormationProduct');
    expect(products.map(([, r]) => r.Properties.Name).sort()).toEqual(['advanced tenant', 'router shard']);
    const launch = Object.entries<any>(t.Resources).find(([id, r]) => r.Type === 'AWS::IAM::Policy' && id.startsWith('LifecycleRouterShardLaunchRole'))![1];
    const actions = launch.Properties.PolicyDocument.Statement.flatMap((s: any) => [s.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['elasticloadbalancing:CreateLoadBalancer', 'elasticloadbalancing:CreateListener', 'apigateway:POST', 'ec2:AuthorizeSecurityGroupEgress']));
    expect(actions.some((a: string) => a === '*' || a.endsWith(':*'))).toBe(false);
    const shardProduct = products.find(([, r]) => r.Properties.Name === 'router shard')![0];
    const worker = Object.entries<any>(t.Resources).find(([id, r]) => r.Type === 'AWS::IAM::Policy' && id.startsWith('LifecycleWorkerRoleDefaultPolicy'))![1];
    const provision = worker.Properties.PolicyDocument.Statement.find((s: any) => s.Action === 'servicecatalog:ProvisionProduct');
    expect(JSON.stringify(provision.Resource)).toContain(shardProduct);
  });

  test('tells the worker the shard product, how many shards it may open (9), and that the template takes the shard parameters', () => {
    const f = lifecycleStack({}, {}, true);
    const worker = Template.fromStack(f.stack).toJSON().Resources[f.stack.getLogicalId(f.lifecycle.worker.node.defaultChild as any)];
    const joined = worker.Properties.Environment.Variables.LIFECYCLE_CONFIG['Fn::Join'][1];
    const config = JSON.parse(joined.map((x: any) => (typeof x === 'string' ? x : 'TOKEN')).join(''));
    expect(config.runtimeShards).toEqual({ productId: 'TOKEN', provisioningArtifactName: 'v1', max: 9, reserved: [] });
    expect(config.tiers.advanced.runtimeShardParameters).toBe(true);
  });

  test('its onboarding machine opens a shard only when the router opens shards at run time', () => {
    const states = (openShards: boolean) => {
      const f = lifecycleStack({}, {}, openShards);
      const machine = Object.values<any>(Template.fromStack(f.stack).findResources('AWS::StepFunctions::StateMachine'))
        .map((m) => JSON.stringify(f.stack.resolve(m.Properties.DefinitionString)))
        .find((d) => d.includes('StartOnboarding'))!;
      return ['ShardNeeded?', 'OpenShard', 'WaitForShard', 'CheckShard', 'ShardOpen?'].filter((s) => machine.includes(`\\"${s}\\"`));
    };
    expect(states(true)).toEqual(['ShardNeeded?', 'OpenShard', 'WaitForShard', 'CheckShard', 'ShardOpen?']);
    expect(states(false)).toEqual([]);
  });
});

describe('validation', () => {
  test('a template route needs runtimeShard with openShardsAtRunTime, and may not give it without', () => {
    const build = (open: boolean, give: boolean) => {
      const stack = new Stack(new App(), 'S');
      const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 });
      const router = new TenantRouter(stack, 'Router', routerProps(vpc, { openShardsAtRunTime: open }));
      const template = new TenantTemplate(stack, 'T', { tierName: 'advanced' });
      const tier = new SiloServiceTier(template, 'Advanced', { vpc, application: bridgeApplication() });
      router.addTenant(tier.addTenant(template.tenantId), {
        shard: template.routerShard,
        priority: template.rulePriority,
        runtimeShard: give ? template.runtimeShard : undefined,
      });
    };
    expect(() => build(true, false)).toThrow(/is a token and the router opens shards at run time: give options.runtimeShard \(TenantTemplate.runtimeShard\)/);
    expect(() => build(false, true)).toThrow(/options.runtimeShard is given for tenant '.*', but the router does not open shards at run time \(openShardsAtRunTime\)/);
    expect(() => build(true, true)).not.toThrow();
  });
});
