import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Aspects, CfnResource, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { unacknowledgedFindings } from '../examples/nag-acknowledgements';
import { EcsSaasExample, SERVICES } from '../examples/saas-app';
import { architectureFiles, renderArchitecture } from '../scripts/architecture';
import { TokenIssuer } from '../src';

/**
 * The example app as `synth:example` builds it (docs/example-app.md): cdk-nag on every stack and tenant template, the
 * wiring between control plane and application plane, the microservices' images and configuration, and the
 * architecture picture, which must match the committed copies.
 */
const REPO = path.join(__dirname, '..');
let app: App;
let example: EcsSaasExample;
let outdir: string;

beforeAll(() => {
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'example-app-'));
  // No bundling here: sbt-aws's Python functions would need Docker; our own functions are bundled ahead of synthesis.
  app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  example = new EcsSaasExample(app, {
    systemAdminEmail: 'admin@example.com',
    placements: JSON.parse(fs.readFileSync(path.join(REPO, 'examples', 'router-placements.json'), 'utf8')),
  });
  Aspects.of(app).add(new AwsSolutionsChecks());
  app.synth();
});

afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

/** A stack's template; a tenant template (a product stack, not an artifact) is read from its file. */
const template = (stack: Stack) => Template.fromJSON(JSON.parse(fs.readFileSync(path.join(outdir, stack.templateFile), 'utf8')));


describe('cdk-nag AwsSolutions', () => {
  test('no unacknowledged finding on any stack or tenant template', () => {
    expect(unacknowledgedFindings(app)).toEqual([]);
  });

  test('every acknowledgement is on a resource, with a reason; none is stack-wide', () => {
    const stacks = app.node.findAll().filter((c): c is Stack => Stack.isStack(c));
    expect(stacks.length).toBeGreaterThanOrEqual(4);
    for (const stack of stacks) {
      const stackWide = stack.templateOptions.metadata?.cdk_nag;
      expect({ stack: stack.node.path, stackWide }).toEqual({ stack: stack.node.path, stackWide: undefined });
    }
    const rules = app.node.findAll()
      .filter((c): c is CfnResource => CfnResource.isCfnResource(c))
      .flatMap((r) => (r.getMetadata('cdk_nag')?.rules_to_suppress ?? []).map((rule: { id: string; reason: string }) => ({ path: r.node.path, ...rule })));
    expect(rules.length).toBeGreaterThan(50);
    for (const rule of rules) {
      expect(rule.reason.length).toBeGreaterThanOrEqual(20);
    }
  });

  test('sbt-aws\'s Python functions are acknowledged for L1 one by one, and its admin pool is on the Plus plan', () => {
    const cp = template(example.controlPlane);
    const python = cp.findResources('AWS::Lambda::Function', { Properties: { Runtime: Match.stringLikeRegexp('^python') } });
    expect(Object.keys(python).length).toBeGreaterThanOrEqual(5);
    for (const resource of Object.values(python)) {
      expect(resource.Metadata.cdk_nag.rules_to_suppress).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'AwsSolutions-L1' })]));
    }
    cp.hasResourceProperties('AWS::Cognito::UserPool', { UserPoolTier: 'PLUS', UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' } });
  });
});

describe('wiring', () => {
  test('the tenant lifecycle listens on the control plane\'s event bus, imported from its stack', () => {
    const cp = template(example.controlPlane);
    const busId = Object.keys(cp.findResources('AWS::Events::EventBus'));
    expect(busId).toHaveLength(1);
    const exported = Object.values<any>(cp.toJSON().Outputs).filter((o) => JSON.stringify(o.Value).includes(busId[0]) && o.Export);
    expect(exported.length).toBeGreaterThanOrEqual(1);
    const names = exported.map((o) => o.Export.Name);
    const rules = template(example.applicationPlane).findResources('AWS::Events::Rule', {
      Properties: { EventBusName: { 'Fn::ImportValue': Match.anyValue() } },
    });
    const onBus = Object.values<any>(rules).filter((r) => names.includes(r.Properties.EventBusName['Fn::ImportValue']));
    expect(onBus.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(onBus.map((r) => r.Properties.EventPattern))).toContain('onboardingRequest');
    expect(JSON.stringify(onBus.map((r) => r.Properties.EventPattern))).toContain('offboardingRequest');
  });

  test('each microservice is an image asset built from examples/services with its SERVICE build argument', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(outdir, `${example.applicationPlane.artifactId}.assets.json`), 'utf8'));
    const images = Object.values<any>(manifest.dockerImages);
    expect(images.map((i) => i.source.dockerBuildArgs.SERVICE).sort()).toEqual(SERVICES.map((s) => s.name).sort());
    for (const image of images) {
      // Only the Dockerfile and the service's own bundle are in the build context.
      const dir = path.join(outdir, image.source.directory);
      const files = fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => !fs.statSync(path.join(dir, f)).isDirectory());
      expect(files.every((f) => f === 'Dockerfile' || f.startsWith(path.join('build', image.source.dockerBuildArgs.SERVICE)))).toBe(true);
    }
  });

  test('basic services trust the shared pool; each advanced or premium tenant\'s services trust that tenant\'s own pool', () => {
    const plane = template(example.applicationPlane);
    const logicalId = (c: IConstruct) => example.applicationPlane.resolve((c.node.defaultChild as CfnResource).logicalId);
    const sharedPool = logicalId(example.applicationPlane.userPool);
    const env = (containers: any[], name: string) => Object.fromEntries(
      containers.find((c) => c.Name === name).Environment.map((e: { Name: string; Value: unknown }) => [e.Name, e.Value]),
    );
    const tasks = Object.values<any>(plane.findResources('AWS::ECS::TaskDefinition')).map((t) => t.Properties.ContainerDefinitions);
    const withProducts = tasks.filter((c) => c.some((x: any) => x.Name === 'products'));
    expect(withProducts).toHaveLength(4); // basic, acme, globex, initech
    const seen: string[] = [];
    for (const containers of withProducts) {
      const e = env(containers, 'products');
      const tenant = e.TENANT_ID as string | undefined;
      seen.push(tenant ?? 'pooled');
      const pool = tenant ? logicalId(example.applicationPlane.tenantPools[tenant]) : sharedPool;
      expect(e).toMatchObject({ USER_POOL_ID: { Ref: pool }, USER_POOL_SHARED: tenant ? 'false' : 'true', PORT: '3010' });
    }
    expect(seen.sort()).toEqual(['acme', 'globex', 'initech', 'pooled']);
    // The router's authorizer trusts the shared pool for any tenant, and each tenant's pool for that tenant only.
    const authorizer = Object.values<any>(plane.findResources('AWS::Lambda::Function'))
      .find((f) => f.Properties.Environment?.Variables?.AUTHORIZER_CONFIG);
    const config = JSON.stringify(authorizer.Properties.Environment.Variables.AUTHORIZER_CONFIG);
    const issuerOf = (pool: string) => new RegExp(`\\{"Ref":"${pool}"\\},"\\\\",\\\\"audiences[^{]*\\{"Ref":"[A-Za-z0-9]+"\\},"\\\\"\\],\\\\"tokenUse\\\\":\\\\"id\\\\"([^}]*)}`);
    expect(config.match(issuerOf(sharedPool))?.[1]).toBe('');
    for (const tenant of ['acme', 'globex', 'initech']) {
      expect(config.match(issuerOf(logicalId(example.applicationPlane.tenantPools[tenant])))?.[1]).toBe(`,\\"tenantId\\":\\"${tenant}\\"`);
    }
    for (const t of example.applicationPlane.templates) {
      const tt = template(t);
      const ownPool = tt.getResourceId('AWS::Cognito::UserPool', {});
      const users = Object.values<any>(tt.findResources('AWS::ECS::TaskDefinition')).map((d) => d.Properties.ContainerDefinitions)
        .find((c) => c.some((x: any) => x.Name === 'users'));
      expect(env(users, 'users')).toMatchObject({ USER_POOL_ID: { Ref: ownPool }, USER_POOL_SHARED: 'false', PORT: '3030' });
    }
  });

  test('with a shared OpenID Connect issuer, the basic services and the router trust it, with its key location', () => {
    const other = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const oidc = new EcsSaasExample(other, {
      systemAdminEmail: 'admin@example.com',
      sharedIssuer: TokenIssuer.oidc({ issuerUrl: 'https://login.example.com', audiences: ['saas-app'], jwksUri: 'https://keys.example.com/jwks.json' }),
    });
    const plane = Template.fromStack(oidc.applicationPlane);
    const basicEnv = Object.values<any>(plane.findResources('AWS::ECS::TaskDefinition'))
      .map((t) => t.Properties.ContainerDefinitions.find((c: any) => c.Name === 'products'))
      .filter((c) => c && !c.Environment.some((e: any) => e.Name === 'TENANT_ID'))
      .map((c) => Object.fromEntries(c.Environment.map((e: any) => [e.Name, e.Value])));
    expect(basicEnv).toHaveLength(1);
    expect(basicEnv[0]).toMatchObject({
      TOKEN_ISSUER: 'https://login.example.com',
      JWKS_URI: 'https://keys.example.com/jwks.json',
      APP_CLIENT_IDS: 'saas-app',
    });
    // A tenant's own services still trust that tenant's pool, with no issuer override.
    const acme = Object.values<any>(plane.findResources('AWS::ECS::TaskDefinition'))
      .map((t) => t.Properties.ContainerDefinitions.find((c: any) => c.Name === 'products'))
      .find((c) => c?.Environment.some((e: any) => e.Name === 'TENANT_ID' && e.Value === 'acme'));
    expect(acme.Environment.map((e: any) => e.Name)).not.toContain('TOKEN_ISSUER');
    const authorizer = Object.values<any>(plane.findResources('AWS::Lambda::Function'))
      .find((f) => f.Properties.Environment?.Variables?.AUTHORIZER_CONFIG);
    const config = JSON.stringify(authorizer.Properties.Environment.Variables.AUTHORIZER_CONFIG);
    expect(config).toContain('https://login.example.com');
    expect(config).toContain('https://keys.example.com/jwks.json');
  });

  test('each users service may manage its own pool\'s users only; a tenant stack\'s boundary lets it', () => {
    const plane = template(example.applicationPlane);
    const pools = Object.keys(plane.findResources('AWS::Cognito::UserPool'));
    const policies = Object.entries<any>(plane.findResources('AWS::IAM::Policy'))
      .filter(([id, p]) => JSON.stringify(p).includes('cognito-idp:AdminCreateUser') && !/Lifecycle/.test(id));
    expect(policies).toHaveLength(4); // the users service of basic, acme, globex and initech
    const targets = policies.map(([, policy]) => {
      const statements = policy.Properties.PolicyDocument.Statement.filter((st: any) => JSON.stringify(st.Action).includes('cognito-idp'));
      expect(statements).toHaveLength(1);
      return statements[0].Resource['Fn::GetAtt'][0];
    });
    expect(new Set(targets).size).toBe(4);
    expect(targets.every((t) => pools.includes(t))).toBe(true);
    // Tenant stacks' roles carry the lifecycle's boundary: it allows user management on user pools.
    const boundary = JSON.stringify(plane.toJSON().Resources[example.applicationPlane.resolve(
      (example.applicationPlane.lifecycle.tenantRoleBoundary.node.defaultChild as CfnResource).logicalId)].Properties.PolicyDocument);
    expect(boundary).toContain('cognito-idp:AdminCreateUser');
    expect(boundary).toContain(':userpool/*');
    for (const t of example.applicationPlane.templates) {
      const roles = Object.values<any>(template(t).findResources('AWS::IAM::Role'));
      expect(roles.length).toBeGreaterThan(0);
      expect(roles.every((r) => r.Properties.PermissionsBoundary !== undefined)).toBe(true);
    }
  });

  test('every table of the app is keyed by tenantId and id, in every tier and template', () => {
    const stacks = [example.applicationPlane, ...example.applicationPlane.templates];
    const tables = stacks.flatMap((s) => Object.entries<any>(template(s).findResources('AWS::DynamoDB::Table')))
      .filter(([id]) => !/Lifecycle|Router|Metering/.test(id));
    expect(tables.length).toBeGreaterThanOrEqual(6);
    for (const [, table] of tables) {
      expect(table.Properties.KeySchema).toEqual([{ AttributeName: 'tenantId', KeyType: 'HASH' }, { AttributeName: 'id', KeyType: 'RANGE' }]);
    }
  });

  test('the VPC has flow logs and gateway endpoints for S3 and DynamoDB', () => {
    const plane = template(example.applicationPlane);
    plane.resourceCountIs('AWS::EC2::FlowLog', 1);
    const endpoints = Object.values<any>(plane.findResources('AWS::EC2::VPCEndpoint')).map((e) => JSON.stringify(e.Properties.ServiceName));
    expect(endpoints.some((n) => n.includes('.s3'))).toBe(true);
    expect(endpoints.some((n) => n.includes('.dynamodb'))).toBe(true);
    expect(Object.values<any>(plane.findResources('AWS::EC2::VPCEndpoint')).every((e) => e.Properties.VpcEndpointType === 'Gateway')).toBe(true);
  });

  test('both tenant templates, and the router\'s shard template, are Service Catalog products of the lifecycle; each tenant has a user pool of its own', () => {
    template(example.applicationPlane).resourceCountIs('AWS::ServiceCatalog::CloudFormationProduct', 3);
    expect(example.applicationPlane.templates.map((t) => t.tierName)).toEqual(['advanced', 'premium']);
    for (const t of example.applicationPlane.templates) {
      template(t).resourceCountIs('AWS::Cognito::UserPool', 1);
      template(t).hasOutput('ApiUrl', {});
    }
  });
});

test('the example tears down whole: its stateful resources are deleted with their stacks', () => {
  const cp = Object.values<any>(template(example.controlPlane).toJSON().Resources);
  expect(cp.filter((r) => r.DeletionPolicy !== undefined).every((r) => r.DeletionPolicy === 'Delete')).toBe(true);
  expect(cp.filter((r) => ['AWS::Cognito::UserPool', 'AWS::DynamoDB::Table'].includes(r.Type)).every((r) => r.DeletionPolicy === 'Delete')).toBe(true);
  const plane = template(example.applicationPlane);
  for (const type of ['AWS::KMS::Key', 'AWS::Logs::LogGroup', 'AWS::Cognito::UserPool', 'AWS::DynamoDB::Table']) {
    const resources = Object.values<any>(plane.findResources(type));
    expect({ type, kept: resources.filter((r) => r.DeletionPolicy !== 'Delete').length }).toEqual({ type, kept: 0 });
  }
});

describe('operations', () => {
  test('alarms on each router shard, on failed lifecycle executions and worker errors, on unsent usage, all to the encrypted topic', () => {
    const plane = template(example.applicationPlane);
    const shards = example.applicationPlane.router.shards.length;
    const alarms = Object.values<any>(plane.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(shards * 2 + 4);
    const topic = plane.getResourceId('AWS::SNS::Topic', { Properties: { KmsMasterKeyId: Match.anyValue() } });
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topic }]);
    }
    expect(alarms.map((a) => a.Properties.MetricName).sort()).toEqual(
      [
        ...Array(shards).fill('5XXError'), ...Array(shards).fill('HTTPCode_Target_5XX_Count'), ...Array(3).fill('ExecutionsFailed'),
        'ApproximateNumberOfMessagesVisible', // the metering's dead-letter queue
      ].sort(),
    );
    // The topic's policy replaces SNS's default one: CloudWatch alarms of this account may publish, and use the key.
    const fromThisAccount = { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } };
    plane.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Condition: fromThisAccount,
        })]),
      },
    });
    plane.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({
          Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Condition: fromThisAccount,
        })]),
      },
    });
  });

  test('the dashboard finds every tenant\'s metrics by SEARCH over the services\' namespace and dimensions', () => {
    const plane = template(example.applicationPlane);
    const body = JSON.stringify(Object.values<any>(plane.findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody);
    expect(body).toMatch(/SEARCH\('\{EcsSaas,service,tenantId\} MetricName=\W+Requests\W+, 'Sum', 300\)/);
    expect(body).toMatch(/SEARCH\('\{EcsSaas,service,tenantId\} MetricName=\W+Latency\W+, 'p90', 300\)/);
    // One widget per router shard, each on its own API's metrics.
    const shardApis = [...body.matchAll(/AWS\/ApiGateway\W+Count\W+ApiName\W+([A-Za-z0-9-]+)/g)].map((m) => m[1]);
    expect(new Set(shardApis).size).toBe(example.applicationPlane.router.shards.length);
  });
});

test('the architecture picture in docs/architecture.md and the README matches the app (run npx projen synth:example)', () => {
  const chart = renderArchitecture(app, outdir, { expand: [example.controlPlane.controlPlane] });
  expect(chart).toContain('subgraph EcsSaasControlPlane');
  expect(chart).toContain('EcsSaasApplicationPlane_Lifecycle --> EcsSaasControlPlane_EventManager');
  for (const f of architectureFiles(REPO, chart)) {
    expect({ file: path.relative(REPO, f.file), content: fs.readFileSync(f.file, 'utf8') }).toEqual({ file: path.relative(REPO, f.file), content: f.content });
  }
});
