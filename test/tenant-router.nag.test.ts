import { Aspects, CfnResource, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SaasApplication, TableSharing, TierRouting } from '../src';
import { IMAGE } from './util/fixtures';
import { routedStack } from './util/router-fixtures';
import { acknowledgeRouterFindings, acknowledgeTierFindings } from '../examples/nag-acknowledgements';

/**
 * cdk-nag AwsSolutions on the router (with the tiers it routes), with the acknowledgements the example app uses
 * (examples/nag-acknowledgements.ts): each finding left is acknowledged on its resource with a reason.
 */
function findings(stack: Stack): string[] {
  Aspects.of(stack).add(new AwsSolutionsChecks());
  const a = Annotations.fromStack(stack);
  return [...a.findError('*', Match.stringLikeRegexp('AwsSolutions-')), ...a.findWarning('*', Match.stringLikeRegexp('AwsSolutions-'))].map(
    (f) => `${f.id}: ${String(f.entry.data).match(/^AwsSolutions-[A-Z0-9]+/)![0]}`,
  );
}

test('a router with tier keys and tenant keys over two shards: no unacknowledged findings', () => {
  const { stack, router, basic, advanced } = routedStack({
    minShards: 2,
    tiers: [{ tierName: 'basic', routing: TierRouting.SHARED }, { tierName: 'advanced', routing: TierRouting.PER_TENANT, apiKeyPerTenant: true }],
  });
  router.addTenants([...basic.tenants, ...advanced.tenants]);
  acknowledgeTierFindings(basic);
  acknowledgeTierFindings(advanced);
  acknowledgeRouterFindings(router);
  expect(findings(stack)).toEqual([]);
});

test('with a CORS policy: its preflights (OPTIONS, no authorizer) raise no finding, and nothing is left unacknowledged', () => {
  const application = new SaasApplication({
    cors: { allowOrigins: ['https://app.example.com'] },
    tables: [{ name: 'products', sharing: TableSharing.POOLED }, { name: 'orders', sharing: TableSharing.PER_TENANT }],
    services: [{ name: 'products', image: IMAGE, pathPrefix: '/products', containerPort: 3010, tables: [{ table: 'products' }] }],
  });
  const { stack, router, basic, advanced } = routedStack({ application });
  router.addTenants(advanced.tenants);
  acknowledgeTierFindings(basic);
  acknowledgeTierFindings(advanced);
  const preflights = router.node.findAll().filter((c) => c.node.path.endsWith('/OPTIONS'));
  expect(preflights.length).toBe(2);
  acknowledgeRouterFindings(router);
  expect(findings(stack)).toEqual([]);
  // Nothing acknowledges the preflights: cdk-nag's API Gateway authorization rules exempt OPTIONS.
  const suppressions = preflights.map((p) => (p.node.defaultChild as CfnResource).getMetadata('cdk_nag'));
  expect(suppressions).toEqual([undefined, undefined]);
  // (while the proxied methods carry their COG4 acknowledgement)
  const get = router.node.findAll().find((c) => c.node.path.endsWith('/products/GET'))!;
  expect(JSON.stringify((get.node.defaultChild as CfnResource).getMetadata('cdk_nag'))).toContain('AwsSolutions-COG4');
});

test('with a web ACL, the stages need no WAF acknowledgement', () => {
  const { stack, router, basic, advanced } = routedStack({ webAclArn: 'arn:aws:wafv2:us-east-1:111111111111:regional/webacl/api/abc' });
  acknowledgeTierFindings(basic);
  acknowledgeTierFindings(advanced);
  acknowledgeRouterFindings(router);
  expect(findings(stack)).toEqual([]);
  const stages = router.shards.flatMap((s) => s.node.findAll()).filter((c) => (c as any).cfnResourceType === 'AWS::ApiGateway::Stage');
  for (const stage of stages) {
    expect(JSON.stringify(stage.node.metadata)).not.toContain('AwsSolutions-APIG3');
  }
});

test('without acknowledgements, the findings are exactly the ones examples/nag-acknowledgements.ts acknowledges', () => {
  const { stack, router, basic, advanced } = routedStack();
  router.addTenants(advanced.tenants);
  acknowledgeTierFindings(basic);
  acknowledgeTierFindings(advanced);
  const rules = [...new Set(findings(stack).map((f) => f.split(': ')[1]))].sort();
  expect(rules).toEqual([
    'AwsSolutions-APIG2', 'AwsSolutions-APIG3', 'AwsSolutions-COG4', 'AwsSolutions-IAM4', 'AwsSolutions-IAM5', 'AwsSolutions-S1',
  ]);
});
