import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vm from 'vm';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EcsSaasExample } from '../examples/saas-app';
import { synthesizeExample } from '../examples/synthesize';
import { contentSecurityPolicy, LOCAL_WEB_ORIGINS, SECURITY_HEADERS, WEB_CONFIG_FILE } from '../examples/web/shared/contract';
import { WebContentStack, WebHostingStack } from '../examples/web-hosting';
import { resolveIntrinsics } from '../local/intrinsics';

/**
 * The hosting of the example's web apps (examples/web-hosting.ts, docs/web-apps.md): S3 behind CloudFront with origin
 * access control, the security headers, the single-page-app fallback, the content and its config.json, and the CORS
 * policies of both APIs that let the apps call them. `deployable` is the app as examples/app.ts builds it; `local` as
 * synthesizeExample builds it for the local environment (LOCAL_WEB_ORIGINS allowed too).
 */
const REPO = path.join(__dirname, '..');
const REGION = 'eu-west-1';
let deployable: { example: EcsSaasExample; outdir: string };
let local: { example: EcsSaasExample; outdir: string };

beforeAll(() => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'example-web-'));
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  const example = new EcsSaasExample(app, {
    systemAdminEmail: 'admin@example.com',
    placements: JSON.parse(fs.readFileSync(path.join(REPO, 'examples', 'router-placements.json'), 'utf8')),
  });
  app.synth();
  deployable = { example, outdir };
  local = synthesizeExample();
});

afterAll(() => {
  for (const { outdir } of [deployable, local]) {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
});

/** A stack's template, read from the assembly (nested and product stacks too). */
function templateOf(synthesized: { outdir: string }, stack: Stack): any {
  return JSON.parse(fs.readFileSync(path.join(synthesized.outdir, stack.templateFile), 'utf8'));
}

const hosting = () => Template.fromJSON(templateOf(deployable, deployable.example.webHosting));
const content = () => Template.fromJSON(templateOf(deployable, deployable.example.webContent));

/** Resolves a template value in a Region, with imports and other references left as markers. */
function inRegion(value: unknown): any {
  return resolveIntrinsics(value, {
    ref: (id) => (id === 'AWS::Region' ? REGION : id === 'AWS::URLSuffix' ? 'amazonaws.com' : `<${id}>`),
    getAtt: (id, attr) => `<${id}.${attr}>`,
    importValue: (name) => `<import ${name}>`,
  });
}

/** The hosting stack's export of a distribution's domain name, by the distribution's logical id. */
function domainExport(distributionId: string): string {
  const outputs = Object.values<any>(hosting().toJSON().Outputs);
  const output = outputs.find((o) => o.Export && JSON.stringify(o.Value) === JSON.stringify({ 'Fn::GetAtt': [distributionId, 'DomainName'] }));
  expect(output).toBeDefined();
  return output.Export.Name;
}

const distributionIds = () => ({
  adminConsole: hosting().getResourceId('AWS::CloudFront::Distribution', { Properties: { DistributionConfig: { Comment: Match.stringLikeRegexp('admin-console') } } }),
  tenantApp: hosting().getResourceId('AWS::CloudFront::Distribution', { Properties: { DistributionConfig: { Comment: Match.stringLikeRegexp('tenant-app') } } }),
});

/** `https://<the distribution's domain>` as another stack imports it. */
const importedOrigin = (distributionId: string) => ({ 'Fn::Join': ['', ['https://', { 'Fn::ImportValue': domainExport(distributionId) }]] });

describe('the buckets and distributions', () => {
  test('each app: a private bucket read by its distribution only, through origin access control', () => {
    const t = hosting();
    t.resourceCountIs('AWS::CloudFront::Distribution', 2);
    t.resourceCountIs('AWS::CloudFront::OriginAccessControl', 2);
    t.resourceCountIs('AWS::CloudFront::CloudFrontOriginAccessIdentity', 0);
    t.allResourcesProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: { OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' },
    });
    const distributions = t.findResources('AWS::CloudFront::Distribution');
    for (const [id, d] of Object.entries<any>(distributions)) {
      const [origin] = d.Properties.DistributionConfig.Origins;
      expect(d.Properties.DistributionConfig.Origins).toHaveLength(1);
      expect(origin.OriginAccessControlId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/OriginAccessControl/), 'Id'] });
      expect(origin.S3OriginConfig).toEqual({ OriginAccessIdentity: '' });
      const bucket = origin.DomainName['Fn::GetAtt'][0];
      // The bucket's policy lets CloudFront read objects for this distribution only.
      const policy = Object.values<any>(t.findResources('AWS::S3::BucketPolicy')).find((p) => p.Properties.Bucket.Ref === bucket);
      const reads = policy.Properties.PolicyDocument.Statement.filter((s: any) => s.Effect === 'Allow' && s.Principal.Service === 'cloudfront.amazonaws.com');
      expect(reads).toEqual([expect.objectContaining({
        Action: 's3:GetObject',
        Condition: { StringEquals: { 'AWS:SourceArn': { 'Fn::Join': ['', expect.arrayContaining([':distribution/', { Ref: id }])] } } },
      })]);
    }
  });

  test('no bucket is public: public access blocked, TLS required, encrypted; no policy allows everyone', () => {
    const t = hosting();
    const buckets = Object.values<any>(t.findResources('AWS::S3::Bucket'));
    expect(buckets).toHaveLength(3); // the two apps' and the log bucket
    for (const b of buckets) {
      expect(b.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
      });
      expect(b.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
      expect(b.Properties.AccessControl).toBeUndefined();
    }
    for (const p of Object.values<any>(t.findResources('AWS::S3::BucketPolicy'))) {
      const statements = p.Properties.PolicyDocument.Statement;
      expect(statements.some((s: any) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false')).toBe(true);
      expect(statements.filter((s: any) => s.Effect === 'Allow' && JSON.stringify(s.Principal).includes('"*"'))).toEqual([]);
    }
    // The apps' buckets log to the log bucket, as do the distributions.
    const logged = buckets.filter((b) => b.Properties.LoggingConfiguration);
    expect(logged.map((b) => b.Properties.LoggingConfiguration.LogFilePrefix).sort()).toEqual(['s3/admin-console/', 's3/tenant-app/']);
  });

  test('HTTPS (HTTP redirected), HTTP/2 and 3, price class 100, index.html at the root, standard logging', () => {
    hosting().allResourcesProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https', AllowedMethods: ['GET', 'HEAD'] }),
        HttpVersion: 'http2and3',
        PriceClass: 'PriceClass_100',
        DefaultRootObject: 'index.html',
        Logging: { Bucket: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AccessLogs'), 'RegionalDomainName'] }, Prefix: Match.stringLikeRegexp('^cloudfront/') },
      }),
    });
  });

  test('the security headers: the CSP and headers of examples/web/shared/contract.ts, on both apps', () => {
    const t = hosting();
    const policies = t.findResources('AWS::CloudFront::ResponseHeadersPolicy');
    expect(Object.keys(policies)).toHaveLength(1);
    const [[policyId, policy]] = Object.entries<any>(policies);
    const headers = inRegion(policy.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig);
    expect(headers.ContentSecurityPolicy).toEqual({
      ContentSecurityPolicy: contentSecurityPolicy([`https://*.execute-api.${REGION}.amazonaws.com`, `https://cognito-idp.${REGION}.amazonaws.com`]),
      Override: true,
    });
    expect(headers.ContentSecurityPolicy.ContentSecurityPolicy).toContain(`connect-src 'self' https://*.execute-api.${REGION}.amazonaws.com https://cognito-idp.${REGION}.amazonaws.com;`);
    expect(headers.StrictTransportSecurity).toEqual({ AccessControlMaxAgeSec: 63072000, IncludeSubdomains: true, Override: true });
    expect(`max-age=${headers.StrictTransportSecurity.AccessControlMaxAgeSec}; includeSubDomains`).toBe(SECURITY_HEADERS['Strict-Transport-Security']);
    expect(headers.FrameOptions).toEqual({ FrameOption: SECURITY_HEADERS['X-Frame-Options'], Override: true });
    expect(headers.FrameOptions.FrameOption).toBe('DENY');
    expect(headers.ContentTypeOptions).toEqual({ Override: true });
    expect(SECURITY_HEADERS['X-Content-Type-Options']).toBe('nosniff');
    expect(headers.ReferrerPolicy).toEqual({ ReferrerPolicy: 'strict-origin-when-cross-origin', Override: true });
    expect(headers.ReferrerPolicy.ReferrerPolicy).toBe(SECURITY_HEADERS['Referrer-Policy']);
    t.allResourcesProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({ DefaultCacheBehavior: Match.objectLike({ ResponseHeadersPolicyId: { Ref: policyId } }) }),
    });
  });

  test('the apps\' URLs are outputs', () => {
    const ids = distributionIds();
    hosting().hasOutput('AdminConsoleUrl', { Value: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [ids.adminConsole, 'DomainName'] }, '/']] } });
    hosting().hasOutput('TenantAppUrl', { Value: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [ids.tenantApp, 'DomainName'] }, '/']] } });
  });
});

describe('the single-page-app fallback', () => {
  const functionOf = () => {
    const functions = Object.entries<any>(hosting().findResources('AWS::CloudFront::Function'));
    expect(functions).toHaveLength(1);
    return functions[0];
  };

  test('a CloudFront Function on the viewer request of the default (S3) behaviour only; no error responses', () => {
    const [id, fn] = functionOf();
    expect(fn.Properties.FunctionConfig.Runtime).toBe('cloudfront-js-2.0');
    for (const d of Object.values<any>(hosting().findResources('AWS::CloudFront::Distribution'))) {
      const config = d.Properties.DistributionConfig;
      expect(config.DefaultCacheBehavior.FunctionAssociations).toEqual([{ EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [id, 'FunctionARN'] } }]);
      expect(config.CacheBehaviors).toBeUndefined();
      // Distribution-wide error responses would rewrite real 403s and 404s too.
      expect(config.CustomErrorResponses).toBeUndefined();
    }
  });

  test.each([
    ['/', '/index.html'],
    ['/tenants/abc', '/index.html'],
    ['/tenants/abc/', '/index.html'],
    ['/orders', '/index.html'],
    ['/index.html', '/index.html'],
    ['/assets/index-abc.js', '/assets/index-abc.js'],
    ['/assets/index-CTwwvOTx.css', '/assets/index-CTwwvOTx.css'],
    [`/${WEB_CONFIG_FILE}`, `/${WEB_CONFIG_FILE}`],
    ['/favicon.svg', '/favicon.svg'],
  ])('its code, run: %s is served from %s', (uri, served) => {
    const [, fn] = functionOf();
    const handler = vm.runInNewContext(`${fn.Properties.FunctionCode}\nhandler`, {});
    const request = { method: 'GET', uri, querystring: { q: { value: '1' } }, headers: {} };
    const result = handler({ version: '1.0', request: { ...request } });
    expect(result).toEqual({ ...request, uri: served });
  });
});

describe('the content: the builds and config.json, resolved at deploy time', () => {
  const deployments = () => Object.entries<any>(content().findResources('Custom::CDKBucketDeployment'));

  test('per app: the hashed assets cached for a year, never pruned; the pages not cached, pruned but for assets/, invalidated', () => {
    const all = deployments();
    expect(all).toHaveLength(4);
    const assets = all.filter(([id]) => /Assets/.test(id)).map(([, d]) => d.Properties);
    const pages = all.filter(([id]) => /Pages/.test(id)).map(([, d]) => d.Properties);
    expect(assets).toHaveLength(2);
    for (const a of assets) {
      expect(a).toMatchObject({ DestinationBucketKeyPrefix: 'assets/', Prune: false, SystemMetadata: { 'cache-control': 'public, max-age=31536000, immutable' } });
      expect(a.DistributionId).toBeUndefined();
    }
    const ids = distributionIds();
    const invalidated = pages.map((p) => String(p.DistributionId['Fn::ImportValue']));
    expect([ids.adminConsole, ids.tenantApp].map((id) => invalidated.filter((name) => name.includes(`Ref${id}`)).length)).toEqual([1, 1]);
    for (const p of pages) {
      expect(p).toMatchObject({
        Prune: true,
        Exclude: ['assets/*'],
        SystemMetadata: { 'cache-control': 'no-cache' },
        DistributionPaths: ['/index.html', `/${WEB_CONFIG_FILE}`],
      });
      expect(p.DestinationBucketKeyPrefix).toBeUndefined();
    }
    // The pages after the assets they name.
    for (const [id, d] of all.filter(([i]) => /Pages/.test(i))) {
      expect(d.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^${id.replace(/Pages.*/, 'Assets')}`))]));
    }
  });

  /** The config.json a Pages deployment writes, with the values its markers stand for. */
  function configOf(app: 'AdminConsole' | 'TenantApp'): Record<string, unknown> {
    const [, d] = deployments().find(([id]) => id.startsWith(`${app}Pages`))!;
    const props = d.Properties;
    const i = props.SourceMarkers.findIndex((m: object) => Object.keys(m).length > 0);
    const dir = path.join(deployable.outdir, `asset.${props.SourceObjectKeys[i].replace(/\.zip$/, '')}`);
    expect(fs.readdirSync(dir)).toEqual([WEB_CONFIG_FILE]);
    let text = fs.readFileSync(path.join(dir, WEB_CONFIG_FILE), 'utf8');
    for (const [marker, value] of Object.entries(props.SourceMarkers[i])) {
      text = text.split(marker).join(inRegion(value));
    }
    return JSON.parse(text);
  }

  test('the admin console\'s config.json: Region, control plane API, administrators\' pool and client, tiers', () => {
    const config = configOf('AdminConsole');
    expect(Object.keys(config).sort()).toEqual(['appClientId', 'controlPlaneApiUrl', 'region', 'tiers', 'userPoolId']);
    expect(config).toEqual({
      region: REGION,
      controlPlaneApiUrl: expect.stringMatching(new RegExp(`^https://<import EcsSaasControlPlane:[^>]*controlPlaneAPI[^>]*>\\.execute-api\\.${REGION}\\.amazonaws\\.com/$`)),
      userPoolId: expect.stringMatching(/^<import EcsSaasControlPlane:ExportsOutputRefCognitoAuthUserPool[0-9A-F]+>$/),
      appClientId: expect.stringMatching(/^<import EcsSaasControlPlane:ExportsOutputRefCognitoAuthUserPoolUserClient[0-9A-F]+>$/),
      tiers: ['basic', 'advanced', 'premium'],
    });
    // The tiers are the lifecycle's, read from the application plane.
    expect(config.tiers).toEqual(deployable.example.applicationPlane.onboardingTiers);
  });

  test('the tenant app\'s config.json: Region and control plane API', () => {
    const config = configOf('TenantApp');
    expect(Object.keys(config).sort()).toEqual(['controlPlaneApiUrl', 'region']);
    expect(config.controlPlaneApiUrl).toBe(configOf('AdminConsole').controlPlaneApiUrl);
  });

  test('fails at synth, saying what to run, when a build is missing', () => {
    const app = new App();
    const hostingStack = new WebHostingStack(app, 'Hosting');
    expect(() => new WebContentStack(app, 'Content', {
      hosting: hostingStack,
      controlPlaneApiUrl: 'https://api.example.com/',
      adminUserPoolId: 'pool',
      adminAppClientId: 'client',
      tiers: ['basic'],
      buildDir: path.join(os.tmpdir(), 'no-such-web-build'),
    })).toThrow(/The web app build .*no-such-web-build\/admin-console \(index\.html and assets\/\) is missing: run `npx projen bundle:web` first\./);
  });
});

describe('the stacks and their order', () => {
  test('web hosting first (it depends on nothing), web content last (nothing depends on it)', () => {
    const { webHosting, controlPlane, applicationPlane, webContent } = deployable.example;
    expect(deployable.example.stacks).toEqual([webHosting, controlPlane, applicationPlane, webContent]);
    expect(webHosting.dependencies).toEqual([]);
    expect(controlPlane.dependencies).toEqual([webHosting]);
    expect(applicationPlane.dependencies).toEqual(expect.arrayContaining([controlPlane, webHosting]));
    expect(webContent.dependencies).toEqual(expect.arrayContaining([controlPlane, webHosting]));
    expect(webContent.dependencies).not.toContain(applicationPlane);
    for (const s of [webHosting, controlPlane, applicationPlane]) {
      expect(s.dependencies).not.toContain(webContent);
    }
  });

  test('the buckets follow the example\'s removal policy (DESTROY), emptied first; RETAIN is the hosting\'s own default', () => {
    const buckets = Object.values<any>(hosting().findResources('AWS::S3::Bucket'));
    expect(buckets.every((b) => b.DeletionPolicy === 'Delete')).toBe(true);
    hosting().resourceCountIs('Custom::S3AutoDeleteObjects', 3);
    const retained = Template.fromStack(new WebHostingStack(new App(), 'Hosting'));
    expect(Object.values<any>(retained.findResources('AWS::S3::Bucket')).every((b) => b.DeletionPolicy === 'Retain')).toBe(true);
    retained.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });
});

describe('CORS: the APIs accept the apps\' origins', () => {
  const controlPlaneCors = (synthesized: { example: EcsSaasExample; outdir: string }) => {
    const apis = Object.values<any>(Template.fromJSON(templateOf(synthesized, synthesized.example.controlPlane)).findResources('AWS::ApiGatewayV2::Api'));
    expect(apis).toHaveLength(1);
    return apis[0].Properties.CorsConfiguration;
  };

  test('the control plane\'s HTTP API: both apps\' origins, its methods and headers, 10 minutes, no credentials', () => {
    const ids = distributionIds();
    expect(controlPlaneCors(deployable)).toEqual({
      AllowOrigins: [importedOrigin(ids.adminConsole), importedOrigin(ids.tenantApp)],
      AllowHeaders: ['authorization', 'content-type'],
      AllowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      MaxAge: 600,
      AllowCredentials: false,
    });
  });

  test('with localWebOrigins (synthesizeExample\'s default), the local environment\'s apps too', () => {
    const origins = controlPlaneCors(local).AllowOrigins;
    expect(origins).toHaveLength(4);
    expect(origins.slice(2)).toEqual([LOCAL_WEB_ORIGINS.adminConsole, LOCAL_WEB_ORIGINS.tenantApp]);
    expect(JSON.stringify(controlPlaneCors(deployable))).not.toContain('127.0.0.1');
  });

  /** Every preflight and gateway response of the router's shards. */
  function routerCors(synthesized: { example: EcsSaasExample; outdir: string }) {
    const shards = synthesized.example.applicationPlane.router.shards.map((s) => Template.fromJSON(templateOf(synthesized, s)));
    const preflights = shards.flatMap((t) => Object.values<any>(t.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'OPTIONS' } })))
      .map((m) => m.Properties.Integration.IntegrationResponses[0]);
    const gatewayResponses = shards.flatMap((t) => Object.values<any>(t.findResources('AWS::ApiGateway::GatewayResponse')))
      .map((r) => r.Properties.ResponseParameters['gatewayresponse.header.Access-Control-Allow-Origin']);
    return { preflights, gatewayResponses };
  }

  test('the tenants\' API (the router): preflights and API Gateway\'s errors name the tenant app\'s origin', () => {
    const origin = { 'Fn::ImportValue': domainExport(distributionIds().tenantApp) };
    const { preflights, gatewayResponses } = routerCors(deployable);
    expect(preflights.length).toBeGreaterThanOrEqual(6);
    for (const p of preflights) {
      expect(p.ResponseParameters['method.response.header.Access-Control-Allow-Origin']).toEqual({ 'Fn::Join': ['', ["'https://", origin, "'"]] });
      expect(p.ResponseTemplates['application/json']['Fn::Join'][1]).toEqual(expect.arrayContaining([origin]));
    }
    expect(gatewayResponses.length).toBeGreaterThanOrEqual(6);
    expect(gatewayResponses.every((o) => JSON.stringify(o) === JSON.stringify({ 'Fn::Join': ['', ["'https://", origin, "'"]] }))).toBe(true);
    // Nothing of the admin console: it calls the control plane only.
    expect(JSON.stringify(routerCors(deployable))).not.toContain(domainExport(distributionIds().adminConsole));
  });

  test('with localWebOrigins, the local tenant app too: the preflight lists both, the errors repeat the request\'s Origin', () => {
    const { preflights, gatewayResponses } = routerCors(local);
    const tenantApp = `https://<import ${domainExport(distributionIds().tenantApp)}>`;
    expect(preflights.length).toBeGreaterThanOrEqual(6);
    for (const p of preflights) {
      expect(inRegion(p.ResponseTemplates['application/json'])).toContain(`#if("$!origin" == "${tenantApp}" || "$!origin" == "${LOCAL_WEB_ORIGINS.tenantApp}")`);
    }
    expect(new Set(gatewayResponses)).toEqual(new Set(['method.request.header.Origin']));
  });

  test('the tenant proxies (nginx) of the application plane and of the tenant templates allow the tenant app\'s origin', () => {
    const plane = deployable.example.applicationPlane;
    const origin = { 'Fn::ImportValue': domainExport(distributionIds().tenantApp) };
    for (const stack of [plane, ...plane.templates]) {
      const confs = Object.values<any>(Template.fromJSON(templateOf(deployable, stack)).findResources('AWS::ECS::TaskDefinition'))
        .flatMap((t) => t.Properties.ContainerDefinitions)
        .flatMap((c: any) => (c.Environment ?? []).filter((e: any) => e.Name === 'NGINX_CONF'))
        .map((e: any) => e.Value);
      expect(confs.length).toBeGreaterThan(0);
      for (const conf of confs) {
        const parts = conf['Fn::Join'][1];
        const i = parts.findIndex((p: unknown) => JSON.stringify(p) === JSON.stringify(origin));
        expect({ stack: stack.node.path, found: i > 0 }).toEqual({ stack: stack.node.path, found: true });
        expect(parts[i - 1]).toMatch(/\n {2}"https:\/\/$/);
      }
    }
  });

  test('a `cors` given explicitly replaces the default', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const example = new EcsSaasExample(app, { systemAdminEmail: 'admin@example.com', cors: { allowOrigins: ['https://app.example.com'] } });
    const shard = Template.fromStack(example.applicationPlane.router.shards[0]);
    shard.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseParameters: Match.objectLike({ 'gatewayresponse.header.Access-Control-Allow-Origin': "'https://app.example.com'" }),
    });
  });
});
