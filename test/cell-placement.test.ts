import { App, RemovalPolicy, Stack, Stage } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import { CellPlacement, CellPlacementProps, SbtContract } from '../src';
import { lifecycleStack } from './util/lifecycle-fixtures';
import { placementConfig } from './util/placement-config';
import { CELL_FIELD } from '../src/contract/cells';

const CONTROL = { account: '111111111111', region: 'eu-west-1' };
const CELL_B = { account: '222222222222', region: 'eu-west-1' };
const contract = SbtContract.V0_9;
/** Suspension and reactivation requests: sbt-aws's and ours. */
const STATUS = ['sbt_aws_deactivateRequest', 'sbt_aws_activateRequest', 'suspendTenantRequest', 'reactivateTenantRequest'];
const REPLIES = [
  'sbt_aws_provisionSuccess', 'sbt_aws_provisionFailure', 'sbt_aws_deprovisionSuccess', 'sbt_aws_deprovisionFailure',
  'sbt_aws_activateSuccess', 'sbt_aws_activateFailure', 'sbt_aws_deactivateSuccess', 'sbt_aws_deactivateFailure',
  // TenantMetering's usage events travel with the replies.
  'sbt_aws_ingestUsage',
];

const defaultBus = (env: { account: string; region: string }) => `arn:aws:events:${env.region}:${env.account}:event-bus/default`;

/**
 * A control plane with its bus and a placement over two cells, each stamped as a stage of its own account: cell A
 * shares the control plane's account and bus; cell B is in another account and takes requests on its account's default
 * bus, and forwards its replies to the control plane's account's default bus (buses every account can name).
 */
function multiCell(over: Partial<CellPlacementProps> = {}) {
  const app = new App();
  const controlStage = new Stage(app, 'Control', { env: CONTROL });
  const control = new Stack(controlStage, 'ControlPlane');
  const controlBus = new events.EventBus(control, 'Bus');
  const cellA = lifecycleStack(() => ({ eventBus: controlBus, contract, cell: { cellId: 'cell-a', controlPlaneBus: controlBus } }), {}, false,
    { scope: controlStage, stackId: 'CellA', basicTenants: ['basic-a'] });
  const cellB = lifecycleStack((_bus, stack) => ({
    eventBus: events.EventBus.fromEventBusName(stack, 'DefaultBus', 'default'),
    contract,
    cell: { cellId: 'cell-b', controlPlaneBus: events.EventBus.fromEventBusArn(stack, 'ControlPlaneBus', defaultBus(CONTROL)) },
  }), {}, false, { scope: new Stage(app, 'CellB', { env: CELL_B }), stackId: 'Plane', basicTenants: ['basic-b'] });
  const placement = new CellPlacement(control, 'Cells', {
    eventBus: controlBus,
    replyBus: events.EventBus.fromEventBusName(control, 'DefaultBus', 'default'),
    contract,
    cells: [
      { cellId: 'cell-a', eventBus: controlBus },
      { cellId: 'cell-b', eventBus: events.EventBus.fromEventBusArn(control, 'CellBBus', defaultBus(CELL_B)) },
    ],
    tiers: [
      { tierName: 'basic', perTenant: { 'basic/cognito.usersPerUserPool': 1 } },
      { tierName: 'advanced', perTenant: { 'iam.roles': 3, 'elb.albs': 0.0213 } },
    ],
    limits: { 'basic/cognito.usersPerUserPool': 39000, 'iam.roles': 950, 'elb.albs': 46 },
    ...over,
  });
  return { app, control, controlBus, cellA, cellB, placement };
}


describe('CellPlacement', () => {
  test('places by footprints and limits in thousandths: limits rounded down, footprints up', () => {
    const { control } = multiCell();
    const config = placementConfig(control);
    expect(config.cells).toEqual(['cell-a', 'cell-b']);
    expect(config.draining).toEqual([]);
    expect(config.limits).toEqual({ 'basic/cognito.usersPerUserPool': 39000000, 'iam.roles': 950000, 'elb.albs': 46000 });
    expect(config.tiers).toEqual({ basic: { 'basic/cognito.usersPerUserPool': 1000 }, advanced: { 'iam.roles': 3000, 'elb.albs': 22 } });
    expect(config.contract).toMatchObject({ controlPlaneSource: 'sbt.control.plane', onboardingRequest: 'sbt_aws_onboardingRequest' });
    // The names of the table and the bus come from the template, in the function's environment.
    expect(config.eventBusName).toBe('TOKEN');
    expect(config.placementTable).toBe('TOKEN');
  });

  test('reads the requests that name no cell, and the replies that give room back', () => {
    const t = Template.fromStack(multiCell().control);
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['sbt.control.plane'],
        'detail-type': ['sbt_aws_onboardingRequest', 'sbt_aws_offboardingRequest', ...STATUS],
        'detail': { [CELL_FIELD]: [{ exists: false }] },
      },
      Targets: [Match.objectLike({
        DeadLetterConfig: Match.objectLike({ Arn: Match.anyValue() }),
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
      })],
    });
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'source': ['sbt.application.plane'], 'detail-type': ['sbt_aws_provisionSuccess', 'sbt_aws_provisionFailure', 'sbt_aws_deprovisionSuccess'] },
    });
  });

  test('forwards a cell\'s requests to its bus in another account; a cell on the control plane\'s bus needs no rule', () => {
    const t = Template.fromStack(multiCell().control);
    const forwards = t.findResources('AWS::Events::Rule', { Properties: { EventPattern: { detail: { [CELL_FIELD]: Match.anyValue() } } } });
    const placed = Object.values<any>(forwards).filter((r) => Array.isArray(r.Properties.EventPattern.detail[CELL_FIELD]) && typeof r.Properties.EventPattern.detail[CELL_FIELD][0] === 'string');
    expect(placed).toHaveLength(1);
    expect(placed[0].Properties.EventPattern.detail[CELL_FIELD]).toEqual(['cell-b']);
    const target = placed[0].Properties.Targets[0];
    expect(JSON.stringify(target.Arn)).toContain('222222222222');
    expect(target.RoleArn).toBeDefined();
    expect(target.DeadLetterConfig).toBeDefined();
  });

  test('admits the other account\'s replies on the control plane\'s bus: the application plane\'s source and reply types only', () => {
    const t = Template.fromStack(multiCell().control);
    t.resourceCountIs('AWS::Events::EventBusPolicy', 1);
    // On the account's default bus, which the other account can name; a rule forwards them to the control plane's bus.
    t.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: 'default',
      EventPattern: { 'source': ['sbt.application.plane'], 'detail-type': Match.arrayWith(['sbt_aws_provisionSuccess']) },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Bus'), 'Arn'] } })],
    });
    t.hasResourceProperties('AWS::Events::EventBusPolicy', {
      EventBusName: 'default',
      StatementId: Match.stringLikeRegexp('^cell-replies-'),
      Statement: {
        Effect: 'Allow',
        Principal: { AWS: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::222222222222:root']] }] },
        Action: 'events:PutEvents',
        Resource: Match.anyValue(),
        Condition: {
          'ForAllValues:StringEquals': {
            'events:source': ['sbt.application.plane'],
            'events:detail-type': REPLIES,
          },
        },
      },
    });
  });

  test('the function knows each cell\'s account, and ignores replies about its tenants from any other', () => {
    expect(placementConfig(multiCell().control).cellAccounts).toEqual({ 'cell-a': '111111111111', 'cell-b': '222222222222' });
  });

  test('many cells with buses of their own: one forwarding role, one statement of the dead-letter queue\'s policy', () => {
    const s = new Stack(new App(), 'S', { env: CONTROL });
    const bus = new events.EventBus(s, 'Bus');
    const cells = Array.from({ length: 100 }, (_, i) => ({
      cellId: `cell-${i}`,
      eventBus: events.EventBus.fromEventBusArn(s, `Cell${i}`, defaultBus({ account: String(300000000000 + i), region: 'eu-west-1' })),
    }));
    new CellPlacement(s, 'Cells', { eventBus: bus, contract, cells, tiers: [{ tierName: 'advanced', perTenant: {} }], limits: {} });
    const t = Template.fromStack(s);
    expect(Object.keys(t.findResources('AWS::Events::Rule'))).toHaveLength(102);
    t.resourceCountIs('AWS::IAM::Role', 2);
    const queuePolicy = Object.values<any>(t.findResources('AWS::SQS::QueuePolicy'))[0];
    expect(queuePolicy.Properties.PolicyDocument.Statement.length).toBeLessThanOrEqual(4);
    // One bus policy statement names the 100 accounts.
    const busPolicies = Object.values<any>(t.findResources('AWS::Events::EventBusPolicy'));
    expect(busPolicies).toHaveLength(1);
    expect(busPolicies[0].Properties.Statement.Principal.AWS).toHaveLength(100);
    expect(JSON.stringify(busPolicies[0].Properties.Statement).length).toBeLessThan(10_240);
    expect(() => new CellPlacement(s, 'More', {
      eventBus: bus, contract, cells: [...cells, { cellId: 'one-more', eventBus: bus }], tiers: [{ tierName: 'advanced', perTenant: {} }], limits: {},
    })).toThrow(/cells must list 1 to 100 cells; got 101/);
  });

  test('a cell in a known account needs a placement stack with an account', () => {
    const s = new Stack(new App(), 'S');
    const bus = new events.EventBus(s, 'Bus');
    expect(() => new CellPlacement(s, 'Cells', {
      eventBus: bus,
      contract,
      cells: [{ cellId: 'b', eventBus: events.EventBus.fromEventBusArn(s, 'B', defaultBus(CELL_B)) }],
      tiers: [{ tierName: 'advanced', perTenant: {} }],
      limits: {},
    })).toThrow(/cells 'b' has its bus in account 222222222222, but CellPlacement's stack has no account/);
  });

  test('the function may read and write its table and put events on the control plane\'s bus, nothing else', () => {
    const t = Template.fromStack(multiCell().control);
    const policies = t.findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('PlacerRole') } });
    const statements = Object.values<any>(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements.find((s) => s.Action === 'events:PutEvents').Condition).toEqual({
      'ForAllValues:StringEquals': {
        'events:source': ['sbt.control.plane', 'sbt.application.plane'],
        'events:detail-type': [
          'sbt_aws_onboardingRequest', 'sbt_aws_offboardingRequest', ...STATUS,
          'sbt_aws_provisionFailure', 'sbt_aws_deprovisionFailure', 'sbt_aws_activateFailure', 'sbt_aws_deactivateFailure',
        ],
      },
    });
    expect(statements.map((s) => [s.Action].flat().join(' ')).sort()).toEqual([
      'dynamodb:GetItem dynamodb:BatchGetItem dynamodb:PutItem dynamodb:UpdateItem',
      'events:PutEvents',
      'logs:CreateLogStream logs:PutLogEvents',
      // Its dead-letter queue, and active tracing.
      'sqs:SendMessage',
      'xray:PutTraceSegments xray:PutTelemetryRecords',
    ]);
  });

  test('the placement table is retained by default, and encrypted', () => {
    const t = Template.fromStack(multiCell().control);
    t.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    const t2 = Template.fromStack(multiCell({ removalPolicy: RemovalPolicy.DESTROY }).control);
    t2.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
  });

  test('the rules are a file beside the code; the environment holds the names only', () => {
    const s = new Stack(new App(), 'S');
    const bus = new events.EventBus(s, 'Bus');
    const cells = Array.from({ length: 100 }, (_, i) => ({ cellId: `cell-${i}`, eventBus: bus }));
    new CellPlacement(s, 'Cells', { eventBus: bus, contract, cells, tiers: [{ tierName: 'advanced', perTenant: { 'iam.roles': 4 } }], limits: { 'iam.roles': 960 } });
    const config = placementConfig(s);
    expect(config.cells).toHaveLength(100);
    const fn = Object.values<any>(Template.fromStack(s).findResources('AWS::Lambda::Function'))[0];
    expect(JSON.stringify(fn.Properties.Environment.Variables).length).toBeLessThan(400);
  });

  test('a cell that accepts no tenant is draining; per-cell limits override', () => {
    const s = new Stack(new App(), 'S', { env: CONTROL });
    const bus = new events.EventBus(s, 'Bus');
    new CellPlacement(s, 'Cells', {
      eventBus: bus,
      contract,
      cells: [{ cellId: 'old', eventBus: bus, acceptsTenants: false }, { cellId: 'new', eventBus: bus, limits: { 'iam.roles': 10 } }],
      tiers: [{ tierName: 'advanced', perTenant: { 'iam.roles': 3 } }],
      limits: { 'iam.roles': 100 },
    });
    const config = placementConfig(s);
    expect(config.draining).toEqual(['old']);
    expect(config.cellLimits).toEqual({ new: { 'iam.roles': 10000 } });
  });
});

describe('TenantLifecycle in a cell', () => {
  test('takes only the requests placed in it', () => {
    const t = Template.fromStack(multiCell().cellB.stack);
    for (const type of ['sbt_aws_onboardingRequest', 'sbt_aws_offboardingRequest']) {
      t.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: { 'source': ['sbt.control.plane'], 'detail-type': [type], 'detail': { [CELL_FIELD]: ['cell-b'] } },
      });
    }
  });

  test('with a bus of its own: forwards its replies to the control plane\'s bus, and admits the control plane\'s requests', () => {
    const t = Template.fromStack(multiCell().cellB.stack);
    const replies = t.findResources('AWS::Events::Rule', { Properties: { EventPattern: { source: ['sbt.application.plane'] } } });
    const rule = Object.values<any>(replies)[0];
    expect(rule.Properties.EventPattern['detail-type']).toEqual(REPLIES);
    expect(JSON.stringify(rule.Properties.Targets[0].Arn)).toContain('111111111111');
    expect(rule.Properties.Targets[0].DeadLetterConfig).toBeDefined();
    t.hasResourceProperties('AWS::Events::EventBusPolicy', {
      StatementId: 'placed-requests-111111111111',
      Statement: Match.objectLike({
        Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:root']] } },
        Condition: {
          'ForAllValues:StringEquals': { 'events:source': ['sbt.control.plane'], 'events:detail-type': ['sbt_aws_onboardingRequest', 'sbt_aws_offboardingRequest', ...STATUS] },
        },
      }),
    });
  });

  test('on the control plane\'s bus: no forwarding and no bus policy', () => {
    const t = Template.fromStack(multiCell().cellA.stack);
    t.resourceCountIs('AWS::Events::EventBusPolicy', 0);
    expect(Object.keys(t.findResources('AWS::Events::Rule', { Properties: { EventPattern: { source: ['sbt.application.plane'] } } }))).toHaveLength(0);
    t.resourceCountIs('AWS::SQS::Queue', 0);
  });

  test('refuses a cell id that is not one', () => {
    expect(() => lifecycleStack((bus) => ({ cell: { cellId: 'Cell_1', controlPlaneBus: bus } }))).toThrow(
      /cell cellId 'Cell_1' is not a cell id: 1 to 32 lowercase letters, digits and hyphens/,
    );
  });
});

describe('CellPlacement validation', () => {
  const make = (over: Partial<CellPlacementProps>) => () => {
    const s = new Stack(new App(), 'S');
    const bus = new events.EventBus(s, 'Bus');
    new CellPlacement(s, 'Cells', {
      eventBus: bus,
      contract,
      cells: [{ cellId: 'cell-1', eventBus: bus }],
      tiers: [{ tierName: 'advanced', perTenant: { 'iam.roles': 3 } }],
      limits: { 'iam.roles': 100 },
      ...over,
    });
  };
  test.each([
    ['no cells', { cells: [] }, /cells must list 1 to 100 cells; got 0/],
    ['a bad cell id', { cells: [{ cellId: 'Cell 1', eventBus: undefined as any }] }, /cells cellId 'Cell 1' is not a cell id/],
    ['no tiers', { tiers: [] }, /tiers is empty/],
    ['an empty tier name', { tiers: [{ tierName: '', perTenant: {} }] }, /tiers tierName '' is not a tier name/],
    ['a tier twice', { tiers: [{ tierName: 'a', perTenant: {} }, { tierName: 'a', perTenant: {} }] }, /tiers 'a' is listed twice/],
    ['a quota without a limit', { tiers: [{ tierName: 'a', perTenant: { 'elb.albs': 1 } }] }, /tiers 'a' perTenant counts 'elb.albs', which has no limit for cell 'cell-1'/],
    ['a negative amount', { limits: { 'iam.roles': -1 } }, /limits 'iam.roles' is -1: amounts are numbers from 0 to 10\^12/],
    ['a bad quota name', { limits: { 'iam roles': 1 } }, /limits has the quota name 'iam roles'/],
    ['a footprint above every limit', { tiers: [{ tierName: 'a', perTenant: { 'iam.roles': 101 } }] }, /tiers 'a' perTenant \{"iam.roles":101\} exceeds the limits of every cell that accepts tenants/],
  ])('refuses %s', (_name, over, error) => {
    expect(make(over as Partial<CellPlacementProps>)).toThrow(error);
  });

  test('refuses a cell id twice, and cells that all drain', () => {
    const twice = () => {
      const s = new Stack(new App(), 'S');
      const bus = new events.EventBus(s, 'Bus');
      new CellPlacement(s, 'Cells', {
        eventBus: bus,
        contract,
        tiers: [{ tierName: 'a', perTenant: {} }],
        limits: {},
        cells: [{ cellId: 'c', eventBus: bus }, { cellId: 'c', eventBus: bus }],
      });
    };
    expect(twice).toThrow(/cells cellId 'c' is listed twice/);
    const draining = () => {
      const s = new Stack(new App(), 'S');
      const bus = new events.EventBus(s, 'Bus');
      new CellPlacement(s, 'Cells', { eventBus: bus, contract, tiers: [{ tierName: 'a', perTenant: {} }], limits: {}, cells: [{ cellId: 'c', eventBus: bus, acceptsTenants: false }] });
    };
    expect(draining).toThrow(/no cell accepts tenants/);
  });
});
