import * as fs from 'fs';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { ClusterPerTenantTier, SbtContract, SharedTaskExecution, TenantLifecycle, TenantRouter, TenantTemplate, TierRouting } from '../src';
import { pooledApplication } from './util/fixtures';
import { lifecycleStack } from './util/lifecycle-fixtures';
import { routerProps } from './util/router-fixtures';

function statements(t: Template, logicalIdPart: string): any[] {
  return Object.entries<any>(t.findResources('AWS::IAM::Policy'))
    .filter(([id]) => id.includes(logicalIdPart))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
}

function config(stack: Stack): any {
  const fn = Object.values<any>(Template.fromStack(stack).findResources('AWS::Lambda::Function')).find((f) => f.Properties.Environment?.Variables?.LIFECYCLE_CONFIG);
  const rendered = JSON.stringify(stack.resolve(fn.Properties.Environment.Variables.LIFECYCLE_CONFIG));
  // Replace intrinsic values by a marker, then read the JSON the function gets.
  const joined = JSON.parse(rendered);
  const text = typeof joined === 'string' ? joined : joined['Fn::Join'][1].map((p: any) => (typeof p === 'string' ? p : 'TOKEN')).join('');
  return JSON.parse(text);
}

const s0 = (d: any) => d.States;

function definition(stack: Stack, id: string): any {
  const sm = Object.entries<any>(Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine')).find(([k]) => k.includes(id))![1];
  const d = sm.Properties.DefinitionString;
  const text = typeof d === 'string' ? d : d['Fn::Join'][1].map((p: any) => (typeof p === 'string' ? p : 'TOKEN')).join('');
  return JSON.parse(text);
}

describe('requests and replies', () => {
  test('each request type of the contract starts its state machine, from the control plane\'s source only', () => {
    const { stack } = lifecycleStack({ contract: SbtContract.V0_9 });
    const rules = Object.values<any>(Template.fromStack(stack).findResources('AWS::Events::Rule')).map((r) => r.Properties);
    expect(rules.map((r) => r.EventPattern)).toEqual([
      { 'source': ['sbt.control.plane'], 'detail-type': ['sbt_aws_onboardingRequest'] },
      { 'source': ['sbt.control.plane'], 'detail-type': ['sbt_aws_offboardingRequest'] },
    ]);
    for (const r of rules) {
      expect(r.Targets[0].Arn).toEqual({ Ref: expect.stringMatching(/^Lifecycle(Onboarding|Offboarding)/) });
    }
  });

  test('the worker is told the reply names and source, the tiers, the pooled tables and the router\'s reserved priorities', () => {
    const { stack } = lifecycleStack();
    const c = config(stack);
    expect(c.contract).toEqual({
      source: 'applicationPlaneEventSource',
      provisionSuccess: 'provisionSuccess',
      provisionFailure: 'provisionFailure',
      deprovisionSuccess: 'deprovisionSuccess',
      deprovisionFailure: 'deprovisionFailure',
    });
    expect(Object.keys(c.tiers)).toEqual(['basic', 'advanced']);
    expect(c.tiers.basic.kind).toBe('SHARED');
    expect(c.tiers.advanced).toEqual({ kind: 'PER_TENANT', productId: 'TOKEN', provisioningArtifactName: 'v1' });
    expect(c.pooledTables.map((t: any) => [t.partitionKey, t.sortKey])).toEqual([['tenantId', 'id'], ['tenantId', 'id']]);
    // The basic tier's declared route holds priority 1 on shard 0; the router has 2 shards for provisioned tenants.
    expect(c.reserved).toEqual({ 0: [1] });
    expect(c.shards).toBe(2);
    expect(c.rulesPerListener).toBe(100);
  });
});

describe('state machines', () => {
  test('onboarding: claim, then the shared path or provision-wait-check-finish, and on any failure terminate, wait, fail', () => {
    const { stack } = lifecycleStack();
    const d = definition(stack, 'Onboarding');
    expect(d.StartAt).toBe('Init');
    expect(s0(d).Init).toMatchObject({ Type: 'Pass', Result: {}, ResultPath: '$.provisioned', Next: 'StartOnboarding' });
    const s = d.States;
    expect(s.Tier.Choices.map((c: any) => [c.StringEquals, c.Next])).toEqual([['SHARED', 'OnboardShared'], ['PER_TENANT', 'ProvisionStack']]);
    expect(s.Tier.Default).toBe('Onboarded');
    expect(s.ProvisionStack.Next).toBe('WaitForStack');
    expect(s.WaitForStack.Seconds).toBe(30);
    expect(s['StackReady?'].Choices[0]).toMatchObject({ Variable: '$.record.status', StringEquals: 'WAIT', Next: 'WaitForStack' });
    for (const name of ['ProvisionStack', 'CheckStack']) {
      expect(s[name].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'TerminateFailedStack' }]);
    }
    // A success reply that cannot be sent never removes an ACTIVE tenant: it is caught before everything else.
    expect(s.FinishStack.Catch).toEqual([
      { ErrorEquals: ['ReplyFailed'], ResultPath: '$.error', Next: 'ReplyNotSent' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'TerminateFailedStack' },
    ]);
    expect(s.OnboardShared.Catch).toEqual([
      { ErrorEquals: ['ReplyFailed'], ResultPath: '$.error', Next: 'ReplyNotSent' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'FailSharedOnboarding' },
    ]);
    expect(s.ReplyNotSent).toMatchObject({ Type: 'Fail', Error: 'ReplyFailed' });
    // Removal itself failing still answers; every worker step retries transient faults first.
    expect(s.TerminateFailedStack.Catch[0].Next).toBe('FailOnboarding');
    for (const name of ['StartOnboarding', 'ProvisionStack', 'CheckStack', 'FinishStack', 'FailOnboarding']) {
      expect(s[name].Retry).toEqual(expect.arrayContaining([expect.objectContaining({ ErrorEquals: ['States.ALL'], MaxAttempts: 3, BackoffRate: 2 })]));
    }
    expect(s.StartOnboarding.Parameters['execution.$']).toBe('$$.Execution.Id');
    expect(s['Removed?'].Default).toBe('FailOnboarding');
    expect(s.FailOnboarding.Next).toBe('OnboardingFailed');
    expect(s.OnboardingFailed.Type).toBe('Fail');
    expect(s.FailOnboarding.Parameters).toEqual({
      'step': 'failOnboarding',
      'request.$': '$.start.request',
      'provisioned.$': '$.provisioned',
      'error.$': '$.error',
    });
  });

  test('offboarding: claim, then users or the stack, then purge and answer; any failure answers with its reason', () => {
    const { stack } = lifecycleStack();
    const s = definition(stack, 'Offboarding').States;
    expect(s.OffboardTier.Choices.map((c: any) => c.Next)).toEqual(['RemoveSharedUsers', 'TerminateStack']);
    expect(s.RemoveSharedUsers.Next).toBe('FinishOffboarding');
    expect(s['StackRemoved?'].Default).toBe('FinishOffboarding');
    for (const name of ['RemoveSharedUsers', 'TerminateStack', 'CheckStackRemoval', 'FinishOffboarding']) {
      expect(s[name].Catch[0].Next).toBe('FailOffboarding');
    }
  });

  test('executions (onboarding, offboarding, updates) are traced and logged without their data, and time out after two hours', () => {
    const { stack } = lifecycleStack();
    const machines = Object.values<any>(Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine')).map((m) => m.Properties);
    expect(machines).toHaveLength(3);
    for (const m of machines) {
      expect(m.TracingConfiguration).toEqual({ Enabled: true });
      expect(m.LoggingConfiguration).toMatchObject({ IncludeExecutionData: false, Level: 'ALL' });
    }
    expect(definition(stack, 'Onboarding').TimeoutSeconds).toBe(7200);
  });
});

describe('least privilege', () => {
  test('the worker may provision its products, and terminate and describe only what it provisioned', () => {
    const { stack } = lifecycleStack();
    const s = statements(Template.fromStack(stack), 'LifecycleWorkerRole');
    const catalog = s.filter((x) => JSON.stringify(x.Action).includes('servicecatalog'));
    expect(catalog).toEqual([
      expect.objectContaining({ Action: 'servicecatalog:ProvisionProduct', Resource: { 'Fn::Join': ['', expect.arrayContaining([':catalog:', ':product/'])] } }),
      expect.objectContaining({
        Action: ['servicecatalog:TerminateProvisionedProduct', 'servicecatalog:DescribeRecord'],
        Condition: { StringEquals: { 'servicecatalog:roleLevel': 'self' } },
      }),
      expect.objectContaining({ Action: 'servicecatalog:UpdateProvisionedProduct', Condition: { StringEquals: { 'servicecatalog:roleLevel': 'self' } } }),
    ]);
    const pooled = s.filter((x) => JSON.stringify(x.Action) === '["dynamodb:Query","dynamodb:BatchWriteItem"]');
    expect(pooled).toHaveLength(2);
    const cognito = s.find((x) => JSON.stringify(x.Action).includes('cognito-idp'));
    expect(cognito.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Users/), 'Arn'] });
    expect(s.some((x) => x.Action === 'events:PutEvents')).toBe(true);
    const issuers = s.find((x) => JSON.stringify(x.Action) === '["dynamodb:PutItem","dynamodb:DeleteItem"]');
    expect(issuers.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^RouterIssuerRegistry/), 'Arn'] });
    for (const x of s) {
      expect(x.Action).not.toEqual('*');
    }
  });

  test('the launch role deploys the template\'s resource types, creates roles only with the tenant boundary, and uses CloudFormation on Service Catalog stacks only', () => {
    const { stack } = lifecycleStack();
    const s = statements(Template.fromStack(stack), 'LaunchRole');
    const actions = s.flatMap((x) => [x.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['ecs:CreateService', 'elasticloadbalancing:CreateRule', 'servicediscovery:CreateHttpNamespace', 'logs:CreateLogGroup']));
    expect(actions).toEqual(expect.arrayContaining(['cognito-idp:CreateUserPool', 'cognito-idp:AdminCreateUser']));
    // The template has no table (its tier uses the pooled tables) and no API: no permission for them.
    expect(actions.some((a) => /^(dynamodb|apigateway|lambda|s3:Put|iam:Attach)/.test(a))).toBe(false);
    const create = s.find((x) => JSON.stringify(x.Action) === '["iam:CreateRole","iam:PutRolePolicy"]');
    expect(create.Condition).toEqual({ StringEquals: { 'iam:PermissionsBoundary': { Ref: expect.stringMatching(/TenantRoleBoundary/) } } });
    expect(JSON.stringify(create.Resource)).toContain(':role/SC-');
    const cfn = s.find((x) => [x.Action].flat().includes('cloudformation:CreateStack'));
    expect(JSON.stringify(cfn.Resource)).toContain(':stack/SC-');
  });

  test('every role of the tenant template carries the tenant boundary, which allows workload actions only', () => {
    const { app, lifecycle, template } = lifecycleStack();
    app.synth();
    const roles = template.node.findAll().filter((c) => (c as any).cfnResourceType === 'AWS::IAM::Role') as iam.CfnRole[];
    expect(roles.length).toBeGreaterThan(3);
    for (const r of roles) {
      const rendered = template.resolve((r as any)._toCloudFormation()).Resources[template.getLogicalId(r)].Properties;
      expect(rendered.PermissionsBoundary).toEqual({ 'Fn::ImportValue': expect.stringMatching(/LifecycleTenantRoleBoundary/) });
    }
    const boundary = Template.fromStack(Stack.of(lifecycle)).findResources('AWS::IAM::ManagedPolicy');
    const actions = Object.values<any>(boundary)[0].Properties.PolicyDocument.Statement.flatMap((x: any) => x.Action);
    expect(actions.some((a: string) => a.startsWith('iam:') || a.endsWith(':*'))).toBe(false);
  });

  test('registry and slot tables are retained, encrypted and recoverable by default', () => {
    const { stack } = lifecycleStack();
    const tables = Object.entries<any>(Template.fromStack(stack).findResources('AWS::DynamoDB::Table')).filter(([k]) => k.startsWith('Lifecycle'));
    expect(tables).toHaveLength(2);
    for (const [, t] of tables) {
      expect(t.DeletionPolicy).toBe('Retain');
      expect(t.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(t.Properties.SSESpecification).toEqual({ SSEEnabled: true });
    }
  });
});

/** A second lifecycle, for a premium tier whose tenants (a cluster each, Fargate) are provisioned from a template. */
function premiumLifecycle(taskExecution?: (f: ReturnType<typeof lifecycleStack>) => SharedTaskExecution) {
  const f = lifecycleStack();
  const premium = new TenantTemplate(f.stack, 'PremiumTenant', { tierName: 'premium' });
  const tier = new ClusterPerTenantTier(premium, 'Premium', {
    vpc: f.vpc, application: pooledApplication(), pooledTables: f.basic.pooledTables, taskExecution: taskExecution?.(f),
  });
  const router = new TenantRouter(f.stack, 'PremiumRouter', routerProps(f.vpc, {
    application: pooledApplication(),
    issuerRegistry: true,
    tiers: [{ tierName: 'premium', routing: TierRouting.PER_TENANT }],
  }));
  router.addTenant(tier.addTenant(premium.tenantId), { shard: premium.routerShard, priority: premium.rulePriority });
  const identity = premium.addTenantIdentity();
  premium.configureTenant({
    userPoolId: identity.userPool.userPoolId,
    appClientId: identity.appClient.userPoolClientId,
    apiUrl: router.endpointFor(premium.tenantId),
  });
  const lifecycle = new TenantLifecycle(f.stack, 'PremiumLifecycle', {
    eventBus: f.bus,
    contract: SbtContract.V0_5,
    router,
    application: pooledApplication(),
    pooledTables: f.basic.pooledTables,
    stackTiers: [{ template: premium }],
  });
  return { ...f, lifecycle };
}

test('a premium template (a cluster per tenant on Fargate, with its own user pool) is covered by the launch rules', () => {
  const f = premiumLifecycle();
  const s = statements(Template.fromStack(f.stack), 'PremiumLifecyclepremiumLaunchRole');
  expect(s.flatMap((x) => [x.Action].flat())).toEqual(expect.arrayContaining(['ecs:CreateCluster', 'ecs:DeleteCluster', 'cognito-idp:CreateUserPool']));
  expect(f.lifecycle.portfolio).toBeDefined();
});

test('a template whose task definitions use a SharedTaskExecution role lets its launch role pass that role, to ECS tasks only', () => {
  const f = premiumLifecycle((x) => new SharedTaskExecution(x.stack, 'PremiumExecution'));
  const s = statements(Template.fromStack(f.stack), 'PremiumLifecyclepremiumLaunchRole');
  const pass = s.filter((x) => x.Action === 'iam:PassRole');
  expect(pass).toEqual([{
    Effect: 'Allow',
    Action: 'iam:PassRole',
    Resource: { 'Fn::GetAtt': [expect.stringMatching(/^PremiumExecutionExecutionRole/), 'Arn'] },
    Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
  }]);
  // The default lifecycle's template uses roles of its own only: no such statement.
  const own = statements(Template.fromStack(f.stack), 'LifecycleadvancedLaunchRole');
  expect(own.length).toBeGreaterThan(3);
  expect(own.filter((x) => x.Action === 'iam:PassRole')).toEqual([]);
});

describe('validation', () => {
  test('no tiers', () => {
    expect(() => lifecycleStack({ sharedTiers: [], stackTiers: [] })).toThrow(/sharedTiers and stackTiers are empty/);
  });

  test('a tier listed twice', () => {
    expect(() => {
      const f = lifecycleStack();
      new TenantLifecycle(f.stack, 'Again', {
        eventBus: f.bus,
        contract: SbtContract.V0_5,
        router: f.router,
        application: pooledApplication(),
        pooledTables: f.basic.pooledTables,
        sharedTiers: [{ tierName: 'advanced', userPool: f.pool, appClientId: 'c', apiUrl: 'u' }],
        stackTiers: [{ template: f.template }],
      });
    }).toThrow(/tier 'advanced' is listed twice in sharedTiers and stackTiers/);
  });

  test('a version name that Service Catalog would refuse', () => {
    const f = lifecycleStack();
    expect(() => new TenantLifecycle(f.stack, 'Again', {
      eventBus: f.bus,
      contract: SbtContract.V0_5,
      router: f.router,
      application: pooledApplication(),
      pooledTables: f.basic.pooledTables,
      stackTiers: [{ template: f.template, versionName: 'version one' }],
    })).toThrow(/versionName must be 1 to 100 letters.*got 'version one'/);
  });

  test('a pooled table of the application missing from pooledTables', () => {
    expect(() => lifecycleStack({ pooledTables: {} })).toThrow(/pooledTables has no table 'products'; the application's pooled tables: products, orders/);
  });

  test('a template resource type the launch role has no rule for', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const template = new TenantTemplate(stack, 'T', { tierName: 'odd' });
    new sqs.Queue(template, 'Queue');
    template.configureTenant({ userPoolId: 'p', appClientId: 'c', apiUrl: 'u' });
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 1 });
    const router = new TenantRouter(stack, 'Router', routerProps(vpc));
    expect(() => new TenantLifecycle(stack, 'L', {
      eventBus: new events.EventBus(stack, 'Bus'),
      contract: SbtContract.V0_5,
      router,
      application: pooledApplication(),
      pooledTables: {},
      stackTiers: [{ template }],
    })).toThrow(/TenantTemplate 'S\/T' has resource types the lifecycle's launch role has no rule for: AWS::SQS::Queue. Give their permissions as launchRoleStatements/);
  });
});

test('updates: plan the waves, then one wave at a time, each tenant of a wave at once, waiting for its record', () => {
  const { stack, lifecycle } = lifecycleStack();
  expect(lifecycle.updateStateMachine).toBeDefined();
  const d = definition(stack, 'LifecycleUpdate');
  expect(d.StartAt).toBe('PlanWaves');
  expect(d.States.PlanWaves.Parameters).toEqual({ 'step': 'planWaves', 'tierName.$': '$.tierName', 'waveSize.$': '$.waveSize' });
  const waves = d.States.Waves;
  expect(waves).toMatchObject({ Type: 'Map', ItemsPath: '$.plan.waves', MaxConcurrency: 1 });
  expect(waves.ItemSelector['token.$']).toBe('$$.Execution.Name');
  const wave = waves.ItemProcessor.States.UpdateWave;
  expect(wave).toMatchObject({ Type: 'Map', ItemsPath: '$.wave' });
  expect(wave.MaxConcurrency).toBeUndefined(); // every tenant of the wave at once
  const tenant = wave.ItemProcessor.States;
  expect(tenant.UpdateStack.Next).toBe('WaitForUpdate');
  expect(tenant['UpdateDone?'].Choices[0]).toMatchObject({ StringEquals: 'WAIT', Next: 'WaitForUpdate' });
  // No Catch anywhere: a failed tenant fails its wave and the execution.
  expect(JSON.stringify(d)).not.toContain('"Catch"');
  const s = statements(Template.fromStack(stack), 'LifecycleWorkerRole').find((x) => x.Action === 'servicecatalog:UpdateProvisionedProduct');
  expect(s.Condition).toEqual({ StringEquals: { 'servicecatalog:roleLevel': 'self' } });
});

test('without stack tiers there is no portfolio and no update state machine', () => {
  const f = lifecycleStack();
  const again = new TenantLifecycle(f.stack, 'SharedOnly', {
    eventBus: f.bus,
    contract: SbtContract.V0_5,
    router: f.router,
    application: pooledApplication(),
    pooledTables: f.basic.pooledTables,
    sharedTiers: [{ tierName: 'basic', userPool: f.pool, appClientId: 'c', apiUrl: 'u' }],
  });
  expect(again.portfolio).toBeUndefined();
  expect(again.updateStateMachine).toBeUndefined();
});

test('the CDK CLI\'s version reporting (AWS::CDK::Metadata, added at synthesis) does not fail the template check', () => {
  // `cdk deploy` reports versions by default: the CLI adds a metadata resource to every stack, the tenant templates
  // included, after the lifecycle was created. CloudFormation handles it itself; the launch role needs nothing for it.
  const f = lifecycleStack({}, { analyticsReporting: true });
  const assembly = f.app.synth();
  const product = Object.values(Template.fromStack(f.stack).findResources('AWS::ServiceCatalog::CloudFormationProduct'));
  expect(product).toHaveLength(1);
  const templates = assembly.directory;
  const productTemplates = fs.readdirSync(templates).filter((n: string) => n.endsWith('.product.template.json'));
  const types = productTemplates.flatMap((n: string) => Object.values(JSON.parse(fs.readFileSync(`${templates}/${n}`, 'utf8')).Resources)
    .map((r: any) => r.Type));
  expect(types).toContain('AWS::CDK::Metadata');
});

test('a template completed after the lifecycle was created fails synthesis with the types its launch role lacks', () => {
  const f = lifecycleStack();
  new sqs.Queue(f.template, 'LateQueue');
  expect(() => f.app.synth()).toThrow(/gained resource types after TenantLifecycle was created \(AWS::SQS::Queue\)/);
});

test('a shared tier whose tenants would each need an API key is refused', () => {
  const f = lifecycleStack();
  const router = new TenantRouter(f.stack, 'KeyRouter', routerProps(f.vpc, {
    application: pooledApplication(),
    tiers: [{ tierName: 'basic', routing: TierRouting.SHARED, apiKeyPerTenant: true }],
  }));
  expect(() => new TenantLifecycle(f.stack, 'KeyLifecycle', {
    eventBus: f.bus,
    contract: SbtContract.V0_5,
    router,
    application: pooledApplication(),
    pooledTables: f.basic.pooledTables,
    sharedTiers: [{ tierName: 'basic', userPool: f.pool, appClientId: 'c', apiUrl: 'u' }],
  })).toThrow(/sharedTiers 'basic' has an API key per tenant in the router/);
});

test('provisioned tenants use only the shards not dedicated to one tenant, fixed by the first template route', () => {
  const { router } = lifecycleStack();
  expect(router.provisioningShards.map((s) => s.index)).toEqual([0, 1]);
  expect(router.hasApiKeyPerTenant('basic')).toBe(false);
});
