import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Aspects, CfnResource, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { EcsSaasExample, SERVICES } from '../examples/saas-app';
import { architectureFiles, renderArchitecture } from '../scripts/architecture';

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

/** cdk-nag findings as construct metadata: covers the tenant templates, which are not artifacts. */
function nagFindings(root: IConstruct): string[] {
  return root.node.findAll().flatMap((c) => c.node.metadata
    .filter((m) => (m.type === 'aws:cdk:error' || m.type === 'aws:cdk:warning') && /AwsSolutions-/.test(String(m.data)))
    .map((m) => `${c.node.path}: ${String(m.data).split('\n')[0]}`));
}

describe('cdk-nag AwsSolutions', () => {
  test('no unacknowledged finding on any stack or tenant template', () => {
    expect(nagFindings(app)).toEqual([]);
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

  test('services trust the shared pool in the declared tiers and the tenant\'s own pool in a tenant template', () => {
    const plane = template(example.applicationPlane);
    const sharedPool = plane.getResourceId('AWS::Cognito::UserPool', { Properties: { UserPoolTier: 'PLUS' } });
    const env = (containers: any[], name: string) => Object.fromEntries(
      containers.find((c) => c.Name === name).Environment.map((e: { Name: string; Value: unknown }) => [e.Name, e.Value]),
    );
    const basicTasks = Object.values<any>(plane.findResources('AWS::ECS::TaskDefinition')).map((t) => t.Properties.ContainerDefinitions);
    const products = basicTasks.filter((c) => c.some((x: any) => x.Name === 'products'));
    expect(products.length).toBeGreaterThanOrEqual(4); // basic, acme, globex, initech
    for (const containers of products) {
      expect(env(containers, 'products')).toMatchObject({ USER_POOL_ID: { Ref: sharedPool }, USER_POOL_SHARED: 'true', PORT: '3010' });
    }
    for (const t of example.applicationPlane.templates) {
      const tt = template(t);
      const ownPool = tt.getResourceId('AWS::Cognito::UserPool', {});
      const tasks = Object.values<any>(tt.findResources('AWS::ECS::TaskDefinition')).map((d) => d.Properties.ContainerDefinitions);
      const users = tasks.find((c) => c.some((x: any) => x.Name === 'users'));
      expect(env(users, 'users')).toMatchObject({ USER_POOL_ID: { Ref: ownPool }, USER_POOL_SHARED: 'false', PORT: '3030' });
    }
  });

  test('the users service may manage its own pool\'s users only; no other service gets Cognito access', () => {
    const plane = template(example.applicationPlane);
    const policies = Object.entries<any>(plane.findResources('AWS::IAM::Policy')).filter(([, p]) => JSON.stringify(p).includes('cognito-idp:AdminCreateUser'));
    // The worker of the lifecycle (shared tier onboarding), and the users service of basic, acme, globex and initech.
    const services = policies.filter(([id]) => /users/i.test(id) && !/Lifecycle/.test(id));
    expect(services.length).toBe(4);
    for (const [, policy] of services) {
      for (const statement of policy.Properties.PolicyDocument.Statement.filter((s: any) => JSON.stringify(s.Action).includes('cognito-idp'))) {
        expect(statement.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Users/), 'Arn'] });
      }
    }
  });

  test('every table of the app is keyed by tenantId and id, in every tier and template', () => {
    const stacks = [example.applicationPlane, ...example.applicationPlane.templates];
    const tables = stacks.flatMap((s) => Object.entries<any>(template(s).findResources('AWS::DynamoDB::Table')))
      .filter(([id]) => !/Lifecycle|Router/.test(id));
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

  test('both tenant templates are Service Catalog products of the lifecycle, each with a user pool of its own', () => {
    template(example.applicationPlane).resourceCountIs('AWS::ServiceCatalog::CloudFormationProduct', 2);
    expect(example.applicationPlane.templates.map((t) => t.tierName)).toEqual(['advanced', 'premium']);
    for (const t of example.applicationPlane.templates) {
      template(t).resourceCountIs('AWS::Cognito::UserPool', 1);
      template(t).hasOutput('ApiUrl', {});
    }
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
