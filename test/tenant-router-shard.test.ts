import { Template } from 'aws-cdk-lib/assertions';
import { HttpMethod, SaasApplication, TenantRouter } from '../src';
import { IMAGE, vpcStack } from './util/fixtures';
import { routerProps } from './util/router-fixtures';

/** A shard's API follows the application: nested prefixes, and only the methods each service answers. */
test('nested path prefixes become nested resources, with only the service\'s methods on both', () => {
  const { stack, vpc } = vpcStack();
  const application = new SaasApplication({
    services: [
      { name: 'catalog', image: IMAGE, pathPrefix: '/api/catalog', httpMethods: [HttpMethod.GET] },
      { name: 'users', image: IMAGE, pathPrefix: '/users', httpMethods: [HttpMethod.GET, HttpMethod.POST] },
    ],
  });
  const router = new TenantRouter(stack, 'Router', routerProps(vpc, { application }));
  const shard = Template.fromStack(router.shards[0]);
  const resources = shard.findResources('AWS::ApiGateway::Resource');
  expect(Object.values<any>(resources).map((r) => r.Properties.PathPart).sort()).toEqual(['api', 'catalog', 'users', '{proxy+}', '{proxy+}']);
  const methods = Object.values<any>(shard.findResources('AWS::ApiGateway::Method')).map((m) => m.Properties);
  expect(methods.map((m) => m.HttpMethod).sort()).toEqual(['GET', 'GET', 'GET', 'GET', 'POST', 'POST']);
  const catalogProxy = methods.find((m) => JSON.stringify(m.Integration.Uri).includes('/api/catalog/{proxy}'));
  expect(catalogProxy.HttpMethod).toBe('GET');
});

test('each shard is a nested stack of its own, numbered from 0, and its URL is that of its stage', () => {
  const { stack, vpc } = vpcStack();
  const router = new TenantRouter(stack, 'Router', routerProps(vpc, { minShards: 2 }));
  expect(router.shards.map((s) => [s.index, s.nested, s.dedicated])).toEqual([[0, true, false], [1, true, false]]);
  Template.fromStack(stack).resourceCountIs('AWS::CloudFormation::Stack', 2);
  const url = JSON.stringify(stack.resolve(router.shards[1].url));
  expect(url).toMatch(/^\{"Fn::Join":\["",\["https:\/\/",\{"Fn::GetAtt":\["RouterShard1NestedStack[^"]*","Outputs\.TestRouterShard1Api[^"]*Ref"\]\},"\.execute-api\.us-east-1\."/);
  expect(url).toContain('ApiDeploymentStageprod');
  // a shard of the default application stays well within a stack's 500 resources
  expect(Object.keys(Template.fromStack(router.shards[0]).toJSON().Resources).length).toBeLessThan(60);
});

test('each shard\'s API has a name of its own, from its path, so API Gateway\'s metrics (keyed by name) never mix', () => {
  const { stack, vpc } = vpcStack();
  const router = new TenantRouter(stack, 'Router', routerProps(vpc, { minShards: 2 }));
  const names = router.shards.map((s) => Object.values<any>(Template.fromStack(s).findResources('AWS::ApiGateway::RestApi'))[0].Properties.Name);
  // The top-level stack's name (unique in an account and Region), then the shard's path.
  expect(names[0]).toMatch(/^Test-TestRouterShard0[0-9A-F]{8}$/);
  expect(names[1]).toMatch(/^Test-TestRouterShard1[0-9A-F]{8}$/);
  expect(names[0]).not.toEqual(names[1]);
});
