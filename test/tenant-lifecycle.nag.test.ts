import { Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { lifecycleStack } from './util/lifecycle-fixtures';
import { acknowledgeLifecycleFindings, acknowledgeRouterFindings, acknowledgeTierFindings } from '../examples/nag-acknowledgements';

/**
 * cdk-nag AwsSolutions on the lifecycle and on the tenant template it provisions. The template is a Service Catalog
 * product stack, not an artifact of the assembly, so its findings are read from its constructs' metadata.
 */
function findings(stack: Stack): string[] {
  const a = Annotations.fromStack(stack);
  return [...a.findError('*', Match.stringLikeRegexp('AwsSolutions-')), ...a.findWarning('*', Match.stringLikeRegexp('AwsSolutions-'))].map(
    (f) => `${f.id}: ${String(f.entry.data).match(/^AwsSolutions-[A-Z0-9]+/)![0]}`,
  );
}

function templateFindings(template: IConstruct): string[] {
  return template.node.findAll().flatMap((c) => c.node.metadata
    .filter((m) => (m.type === 'aws:cdk:error' || m.type === 'aws:cdk:warning') && /^AwsSolutions-/.test(String(m.data)))
    .map((m) => `${c.node.path}: ${String(m.data).match(/^AwsSolutions-[A-Z0-9]+/)![0]}`));
}

test('lifecycle and tenant template: no unacknowledged findings', () => {
  const { app, stack, router, basic, template, lifecycle } = lifecycleStack();
  acknowledgeTierFindings(basic);
  acknowledgeTierFindings(template);
  acknowledgeRouterFindings(router);
  acknowledgeLifecycleFindings(lifecycle);
  Aspects.of(app).add(new AwsSolutionsChecks());
  app.synth();
  expect(findings(stack)).toEqual([]);
  expect(templateFindings(template)).toEqual([]);
});

test('with shards opened at run time: the shard template and its product have no unacknowledged findings', () => {
  const { app, stack, router, basic, template, lifecycle } = lifecycleStack({}, {}, true);
  acknowledgeTierFindings(basic);
  acknowledgeTierFindings(template);
  acknowledgeRouterFindings(router);
  acknowledgeLifecycleFindings(lifecycle);
  Aspects.of(app).add(new AwsSolutionsChecks());
  app.synth();
  expect(findings(stack)).toEqual([]);
  expect(templateFindings(template)).toEqual([]);
  expect(templateFindings(router.shardTemplate!)).toEqual([]);
});

test('without acknowledgements, the lifecycle\'s findings are IAM5 only, and the template\'s are the tiers\' ones', () => {
  const { app, stack, router, basic, template } = lifecycleStack();
  acknowledgeTierFindings(basic);
  acknowledgeRouterFindings(router);
  Aspects.of(app).add(new AwsSolutionsChecks());
  app.synth();
  const lifecycle = findings(stack).filter((f) => f.startsWith('/Plane/Lifecycle'));
  expect([...new Set(lifecycle.map((f) => f.split(': ')[1]))]).toEqual(['AwsSolutions-IAM5']);
  expect(lifecycle.length).toBeGreaterThanOrEqual(5);
  const fromTemplate = templateFindings(template);
  expect(fromTemplate.length).toBeGreaterThan(0);
  expect([...new Set(fromTemplate.map((f) => f.split(': ')[1]))]).toEqual(['AwsSolutions-ECS2']);
});
