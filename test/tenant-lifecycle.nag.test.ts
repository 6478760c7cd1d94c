import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { lifecycleStack } from './util/lifecycle-fixtures';
import { acknowledgeCellPlacementFindings, acknowledgeLifecycleFindings, acknowledgeRouterFindings, acknowledgeTierFindings } from '../examples/nag-acknowledgements';
import { CellPlacement, SbtContract } from '../src';

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

/** The acknowledgements of an application plane's tiers, router and lifecycle (examples/nag-acknowledgements.ts). */
function acknowledgeAll(p: Pick<ReturnType<typeof lifecycleStack>, 'basic' | 'template' | 'router' | 'lifecycle'>): void {
  acknowledgeTierFindings(p.basic);
  acknowledgeTierFindings(p.template);
  acknowledgeRouterFindings(p.router);
  acknowledgeLifecycleFindings(p.lifecycle);
}

test('lifecycle and tenant template: no unacknowledged findings', () => {
  const { app, stack, router, basic, template, lifecycle } = lifecycleStack();
  acknowledgeAll({ basic, template, router, lifecycle });
  Aspects.of(app).add(new AwsSolutionsChecks());
  app.synth();
  expect(findings(stack)).toEqual([]);
  expect(templateFindings(template)).toEqual([]);
});

test('with shards opened at run time: the shard template and its product have no unacknowledged findings', () => {
  const { app, stack, router, basic, template, lifecycle } = lifecycleStack({}, {}, true);
  acknowledgeAll({ basic, template, router, lifecycle });
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

test('a cell with a bus of its own, and the placement over it: no unacknowledged findings', () => {
  const app = new App();
  const control = new Stack(app, 'Control');
  const controlBus = new events.EventBus(control, 'Bus');
  const { stack, router, basic, template, lifecycle, bus } = lifecycleStack(() => ({ cell: { cellId: 'cell-2', controlPlaneBus: controlBus } }), {}, false,
    { scope: app, stackId: 'Cell' });
  const placementStack = new Stack(app, 'Placement');
  const placement = new CellPlacement(placementStack, 'Cells', {
    eventBus: controlBus,
    contract: SbtContract.V0_5,
    cells: [{ cellId: 'cell-1', eventBus: controlBus }, { cellId: 'cell-2', eventBus: bus }],
    tiers: [{ tierName: 'basic', perTenant: { users: 1 } }],
    limits: { users: 10 },
  });
  acknowledgeAll({ basic, template, router, lifecycle });
  acknowledgeCellPlacementFindings(placement);
  Aspects.of(app).add(new AwsSolutionsChecks());
  app.synth();
  expect(lifecycle.replyDeadLetterQueue).toBeDefined();
  expect(findings(stack)).toEqual([]);
  expect(findings(placementStack)).toEqual([]);
  expect(templateFindings(template)).toEqual([]);
});

test('without acknowledgements, the placement\'s findings are X-Ray\'s IAM5 only (its queue is recognized as a dead-letter queue)', () => {
  const app = new App();
  const s = new Stack(app, 'Placement');
  const bus = new events.EventBus(s, 'Bus');
  new CellPlacement(s, 'Cells', {
    eventBus: bus, contract: SbtContract.V0_5, cells: [{ cellId: 'cell-1', eventBus: bus }], tiers: [{ tierName: 'basic', perTenant: {} }], limits: {},
  });
  Aspects.of(app).add(new AwsSolutionsChecks());
  app.synth();
  expect([...new Set(findings(s).map((f) => f.split(': ')[1]))].sort()).toEqual(['AwsSolutions-IAM5']);
});

test('with the router\'s suspensions: the status state machine and the table have no unacknowledged findings', () => {
  const { app, stack, router, basic, template, lifecycle } = lifecycleStack({}, {}, false, undefined, { suspensions: true });
  acknowledgeAll({ basic, template, router, lifecycle });
  Aspects.of(app).add(new AwsSolutionsChecks());
  app.synth();
  expect(lifecycle.statusStateMachine).toBeDefined();
  expect(findings(stack)).toEqual([]);
});
