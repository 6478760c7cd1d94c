import * as fs from 'fs';
import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CELL_SIZING_FILE } from '../examples/cells';
import { unacknowledgedFindings } from '../examples/nag-acknowledgements';
import { EcsSaasExample, ExampleAppOptions } from '../examples/saas-app';
import { currentCellSizing } from '../scripts/cell-sizing';
import { SbtContract } from '../src';
import { placementConfig } from './util/placement-config';
import { CELL_FIELD } from '../src/contract/cells';

/**
 * The example stamped into cells (docs/cells.md): its placement, each cell's lifecycle, and the wiring between the
 * control plane's bus and the cells' buses, in one account and across accounts.
 */
const contract = SbtContract.V0_5;
const CONTROL = { account: '111111111111', region: 'eu-west-1' };
const REMOTE = { account: '222222222222', region: 'eu-west-1' };
const REPLIES = [
  contract.provisionSuccess, contract.provisionFailure, contract.deprovisionSuccess, contract.deprovisionFailure,
  contract.activateSuccess, contract.activateFailure, contract.deactivateSuccess, contract.deactivateFailure,
  // TenantMetering's usage events travel with the replies.
  contract.ingestUsage,
];
const STATUS = [contract.deactivateRequest, contract.activateRequest, 'suspendTenantRequest', 'reactivateTenantRequest'];

function example(options: Partial<ExampleAppOptions>, nag = false): { app: App; example: EcsSaasExample } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  if (nag) {
    Aspects.of(app).add(new AwsSolutionsChecks());
  }
  return { app, example: new EcsSaasExample(app, { systemAdminEmail: 'admin@example.com', ...options }) };
}


function lifecycleRules(stack: Stack): any[] {
  return Object.values(Template.fromStack(stack).findResources('AWS::Events::Rule', {
    Properties: { EventPattern: { source: [contract.controlPlaneSource] } },
  }));
}

describe('cells in one account', () => {
  const { example: ex } = example({ cells: [{ cellId: 'cell-1' }, { cellId: 'cell-2' }] });
  const [first, second] = ex.cells;

  test('one application plane per cell and a placement stack; the declared tenants live in the first cell', () => {
    expect(ex.stacks.map((s) => s.stackName)).toEqual([
      'EcsSaasWebHosting', 'EcsSaasControlPlane', 'EcsSaasApplicationPlane', 'EcsSaasApplicationPlane-cell-2', 'EcsSaasCellPlacement', 'EcsSaasWebContent',
    ]);
    expect(first.tiers.flatMap((t) => t.tenants.map((x) => x.tenantId))).toEqual(['basic-1', 'basic-2', 'acme', 'globex', 'initech']);
    expect(second.tiers.flatMap((t) => t.tenants)).toEqual([]);
  });

  test('the placement places by the committed sizing, in the cells\' order', () => {
    const config = placementConfig(ex.cellPlacement!);
    const sizing = JSON.parse(fs.readFileSync(CELL_SIZING_FILE, 'utf8'));
    expect(config.cells).toEqual(['cell-1', 'cell-2']);
    expect(Object.keys(config.tiers).sort()).toEqual(['advanced', 'basic', 'premium']);
    expect(config.limits['iam.roles']).toBe(sizing.limits['iam.roles'] * 1000);
    expect(config.tiers.advanced['elb.albs']).toBe(Math.ceil(sizing.tiers.advanced['elb.albs'] * 1000));
  });

  test('each cell\'s lifecycle takes only its requests: the first on the control plane\'s bus, the second on its own', () => {
    for (const [stack, cell] of [[first, 'cell-1'], [second, 'cell-2']] as const) {
      const rules = lifecycleRules(stack);
      // Onboarding, offboarding, and suspension or reactivation (the example's router keeps suspensions).
      expect(rules).toHaveLength(3);
      for (const r of rules) {
        expect(r.Properties.EventPattern.detail).toEqual({ [CELL_FIELD]: [cell] });
      }
    }
    expect(JSON.stringify(lifecycleRules(first)[0].Properties.EventBusName)).toContain('ImportValue');
    expect(lifecycleRules(second)[0].Properties.EventBusName.Ref).toMatch(/^CellBus/);
  });

  test('the second cell\'s requests are forwarded to its bus, and its replies to the control plane\'s bus', () => {
    const placement = Template.fromStack(ex.cellPlacement!);
    placement.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { detail: { [CELL_FIELD]: ['cell-2'] } },
      Targets: [Match.objectLike({ Arn: { 'Fn::ImportValue': Match.stringLikeRegexp('CellBus') } })],
    });
    Template.fromStack(second).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'source': [contract.applicationPlaneSource], 'detail-type': REPLIES },
      Targets: [Match.objectLike({ Arn: { 'Fn::ImportValue': Match.stringLikeRegexp('EcsSaasControlPlane') } })],
    });
    // One account: no bus policy.
    placement.resourceCountIs('AWS::Events::EventBusPolicy', 0);
    Template.fromStack(second).resourceCountIs('AWS::Events::EventBusPolicy', 0);
  });

  test('cdk-nag: no unacknowledged finding in any stack of the multi-cell app', () => {
    const { app } = example({ cells: [{ cellId: 'cell-1' }, { cellId: 'cell-2' }] }, true);
    app.synth();
    expect(unacknowledgedFindings(app)).toEqual([]);
  });
});

describe('cells across accounts', () => {
  const options: Partial<ExampleAppOptions> = {
    cells: [{ cellId: 'cell-1' }, { cellId: 'cell-2', env: REMOTE }],
    controlPlaneEnvironment: CONTROL,
    cors: { allowOrigins: ['https://app.example.com'] },
  };
  const { example: ex } = example(options);
  const remote = ex.cells[1];

  test('the remote cell is a stage in its account, taking requests on its default bus', () => {
    expect(remote.account).toBe(REMOTE.account);
    expect(ex.controlPlane.account).toBe(CONTROL.account);
    for (const r of lifecycleRules(remote)) {
      expect(r.Properties.EventBusName).toBe('default');
      expect(r.Properties.EventPattern.detail).toEqual({ [CELL_FIELD]: ['cell-2'] });
    }
  });

  test('requests go to the remote cell\'s default bus; its replies come back to the control plane\'s default bus', () => {
    Template.fromStack(ex.cellPlacement!).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { detail: { [CELL_FIELD]: ['cell-2'] } },
      Targets: [Match.objectLike({ Arn: 'arn:aws:events:eu-west-1:222222222222:event-bus/default', RoleArn: Match.anyValue() })],
    });
    Template.fromStack(remote).hasResourceProperties('AWS::Events::Rule', {
      EventBusName: 'default',
      EventPattern: { 'source': [contract.applicationPlaneSource], 'detail-type': REPLIES },
      Targets: [Match.objectLike({ Arn: 'arn:aws:events:eu-west-1:111111111111:event-bus/default' })],
    });
    // On the control plane's account, a rule takes the replies from its default bus to the control plane's bus.
    Template.fromStack(ex.cellPlacement!).hasResourceProperties('AWS::Events::Rule', {
      EventBusName: 'default',
      EventPattern: { 'source': [contract.applicationPlaneSource], 'detail-type': REPLIES },
    });
  });

  test('each account admits the other\'s events on its default bus, for their source and types only', () => {
    Template.fromStack(remote).hasResourceProperties('AWS::Events::EventBusPolicy', {
      EventBusName: 'default',
      StatementId: 'placed-requests-111111111111',
      Statement: Match.objectLike({
        Condition: {
          'ForAllValues:StringEquals': {
            'events:source': [contract.controlPlaneSource],
            'events:detail-type': [contract.onboardingRequest, contract.offboardingRequest, ...STATUS],
          },
        },
      }),
    });
    Template.fromStack(ex.cellPlacement!).hasResourceProperties('AWS::Events::EventBusPolicy', {
      EventBusName: 'default',
      StatementId: Match.stringLikeRegexp('^cell-replies-'),
      Statement: Match.objectLike({
        Principal: { AWS: [Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':iam::222222222222:root'])] })] },
        Condition: { 'ForAllValues:StringEquals': Match.objectLike({ 'events:source': [contract.applicationPlaneSource] }) },
      }),
    });
  });

  test('cdk-nag: no unacknowledged finding', () => {
    const { app } = example(options, true);
    app.synth();
    expect(unacknowledgedFindings(app)).toEqual([]);
  });
});

describe('the example\'s rules for cells', () => {
  test.each([
    ['a first cell in another account', { cells: [{ cellId: 'a', env: REMOTE }] }, /cells 'a' has env: the first cell shares the control plane's account and bus/],
    ['a remote cell without controlPlaneEnvironment', { cells: [{ cellId: 'a' }, { cellId: 'b', env: REMOTE }] }, /cells 'b' have env: controlPlaneEnvironment is needed/],
    ['a remote cell without cors', { cells: [{ cellId: 'a' }, { cellId: 'b', env: REMOTE }], controlPlaneEnvironment: CONTROL }, /cells in other accounts need cors/],
    ['cellLimits without cells', { cellLimits: { 'iam.roles': 1 } }, /cellLimits is given without cells/],
  ])('refuses %s', (_name, options, error) => {
    expect(() => example(options as Partial<ExampleAppOptions>)).toThrow(error);
  });
});

test('examples/cell-sizing.json is the capacity model of the example as it synthesizes (npx projen cells:sizing)', () => {
  expect(fs.readFileSync(CELL_SIZING_FILE, 'utf8')).toBe(currentCellSizing());
}, 120_000);
