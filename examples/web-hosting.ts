import * as fs from 'fs';
import * as path from 'path';
import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { acknowledgeWebContentFindings, acknowledgeWebHostingFindings } from './nag-acknowledgements';
import {
  AdminConsoleConfig,
  contentSecurityPolicy,
  SECURITY_HEADERS,
  TenantAppConfig,
  WEB_APPS,
  WEB_CONFIG_FILE,
} from './web/shared/contract';

/**
 * The hosting of the example's two web applications, the admin console and the tenant app (docs/web-apps.md):
 *
 * - `EcsSaasWebHosting` (deployed first): per app, a private S3 bucket behind a CloudFront distribution with origin
 *   access control, security headers and the single-page-app fallback. Its domain names are the apps' origins, which
 *   the control plane's API and the tenants' API allow (CORS), so this stack comes before both.
 * - `EcsSaasWebContent` (deployed last): the apps' builds and their `config.json`, which names the control plane's API
 *   and its administrators' pool, so it comes after the control plane.
 */

/** Where the apps' builds are (`npx projen bundle:web`): `examples/web/build/<app>`. */
export const WEB_BUILD_DIR = path.join(__dirname, 'web', 'build');

/**
 * The single-page-app fallback, a CloudFront Function on the viewer request of the S3 behaviour: a path whose last
 * segment has no file extension (`/`, `/tenants/acme`) is a route of the app, answered by `/index.html`; a file
 * (`/assets/index-1a2b3c.js`, `/config.json`) is served as it is, and a missing one stays a 403 from S3.
 */
export const SPA_FALLBACK_CODE = [
  'function handler(event) {',
  '  var request = event.request;',
  '  if (!/\\.[A-Za-z0-9]+$/.test(request.uri.split("/").pop())) {',
  '    request.uri = "/index.html";',
  '  }',
  '  return request;',
  '}',
].join('\n');

/** The origins the apps' pages call (CSP `connect-src`): any API Gateway API of the Region, and Cognito's API. */
export function webConnectSources(region: string): string[] {
  // The router's shard APIs and the control plane's API are API Gateway APIs whose ids are known only at deploy time,
  // and tenants provisioned later add shards: the Region's execute-api wildcard covers them all, without this stack
  // depending on the stacks that depend on it.
  return [`https://*.execute-api.${region}.amazonaws.com`, `https://cognito-idp.${region}.amazonaws.com`];
}

export interface WebHostingStackProps extends StackProps {
  /**
   * What happens to the buckets (the apps' files and the access logs) when the stack is deleted. With DESTROY, their
   * objects are deleted first, so that the stack tears down whole.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** One app's hosting: its bucket and its distribution. */
export class WebApp extends Construct {
  /** The app's files (private; CloudFront reads them through origin access control). */
  public readonly bucket: s3.Bucket;
  public readonly distribution: cloudfront.Distribution;
  /** `https://<the distribution's domain>`: the app's origin, known at deploy time. */
  public readonly origin: string;

  constructor(scope: Construct, id: string, props: {
    readonly name: string;
    readonly logBucket: s3.IBucket;
    readonly responseHeadersPolicy: cloudfront.IResponseHeadersPolicy;
    readonly spaFallback: cloudfront.IFunction;
    readonly removalPolicy: RemovalPolicy;
  }) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.logBucket,
      serverAccessLogsPrefix: `s3/${props.name}/`,
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: props.removalPolicy === RemovalPolicy.DESTROY,
    });
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `ECS SaaS example: ${props.name}`,
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: props.responseHeadersPolicy,
        // The fallback is on this behaviour (the S3 origin) only, never distribution-wide `errorResponses`: those
        // would turn every 403 and 404 into index.html with 200, real errors included (a missing asset, and any API
        // routed through this distribution later), and be cached as such.
        functionAssociations: [{ function: props.spaFallback, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
      },
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      // Standard logging to S3: free but for the storage.
      enableLogging: true,
      logBucket: props.logBucket,
      logFilePrefix: `cloudfront/${props.name}/`,
    });
    this.origin = `https://${this.distribution.distributionDomainName}`;
  }
}

/** The apps' buckets and distributions (`EcsSaasWebHosting`). */
export class WebHostingStack extends Stack {
  /** The S3 server access logs of the apps' buckets and the distributions' standard logs. */
  public readonly logBucket: s3.Bucket;
  /** The security headers of both apps (`SECURITY_HEADERS` and the CSP of examples/web/shared/contract.ts). */
  public readonly responseHeadersPolicy: cloudfront.ResponseHeadersPolicy;
  /** The single-page-app fallback of both apps' S3 behaviours. */
  public readonly spaFallback: cloudfront.Function;
  public readonly adminConsole: WebApp;
  public readonly tenantApp: WebApp;

  constructor(scope: Construct, id: string, props: WebHostingStackProps = {}) {
    super(scope, id, props);
    // S3 server access logs are admitted by the log bucket's policy, not by the legacy log-delivery ACL (aws-cdk-lib's
    // recommended flag for new projects).
    this.node.setContext(cxapi.S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.logBucket = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      // CloudFront's standard logging writes with an ACL, which a bucket with ACLs disabled refuses.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy,
      autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
    });
    this.responseHeadersPolicy = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      // Names of CloudFront policies are global to the account: the Region keeps deployments in several apart.
      responseHeadersPolicyName: `${this.stackName}-SecurityHeaders-${this.region}`,
      comment: 'ECS SaaS example web apps: CSP, HSTS, frame, content-type and referrer headers',
      securityHeadersBehavior: securityHeaders(Aws.REGION),
    });
    this.spaFallback = new cloudfront.Function(this, 'SpaFallback', {
      comment: 'A path without a file extension is a route of the app: serve /index.html',
      code: cloudfront.FunctionCode.fromInline(SPA_FALLBACK_CODE),
      runtime: cloudfront.FunctionRuntime.JS_2_0,
    });
    const common = { logBucket: this.logBucket, responseHeadersPolicy: this.responseHeadersPolicy, spaFallback: this.spaFallback, removalPolicy };
    this.adminConsole = new WebApp(this, 'AdminConsole', { ...common, name: WEB_APPS.adminConsole });
    this.tenantApp = new WebApp(this, 'TenantApp', { ...common, name: WEB_APPS.tenantApp });

    new CfnOutput(this, 'AdminConsoleUrl', { value: `${this.adminConsoleOrigin}/`, description: 'The admin console' });
    new CfnOutput(this, 'TenantAppUrl', { value: `${this.tenantAppOrigin}/`, description: 'The tenants\' app' });
    acknowledgeWebHostingFindings(this);
  }

  /** The admin console's origin, `https://<its distribution's domain>`. */
  public get adminConsoleOrigin(): string {
    return this.adminConsole.origin;
  }

  /** The tenant app's origin, `https://<its distribution's domain>`. */
  public get tenantAppOrigin(): string {
    return this.tenantApp.origin;
  }
}

/**
 * The response-headers policy's security headers: the same values the local environment sends (SECURITY_HEADERS and
 * contentSecurityPolicy of examples/web/shared/contract.ts), read from there.
 */
export function securityHeaders(region: string): cloudfront.ResponseSecurityHeadersBehavior {
  const hsts = /^max-age=(\d+)(; includeSubDomains)?$/.exec(SECURITY_HEADERS['Strict-Transport-Security']);
  const referrer = Object.values(cloudfront.HeadersReferrerPolicy).find((v) => v === SECURITY_HEADERS['Referrer-Policy']);
  const frame = Object.values(cloudfront.HeadersFrameOption).find((v) => v === SECURITY_HEADERS['X-Frame-Options']);
  if (!hsts || !referrer || !frame || SECURITY_HEADERS['X-Content-Type-Options'] !== 'nosniff') {
    throw new Error(`SECURITY_HEADERS (examples/web/shared/contract.ts) has a value CloudFront's response-headers policy cannot send: ${JSON.stringify(SECURITY_HEADERS)}`);
  }
  return {
    contentSecurityPolicy: { contentSecurityPolicy: contentSecurityPolicy(webConnectSources(region)), override: true },
    strictTransportSecurity: { accessControlMaxAge: Duration.seconds(Number(hsts[1])), includeSubdomains: hsts[2] !== undefined, override: true },
    frameOptions: { frameOption: frame, override: true },
    contentTypeOptions: { override: true },
    referrerPolicy: { referrerPolicy: referrer, override: true },
  };
}

export interface WebContentStackProps extends StackProps {
  readonly hosting: WebHostingStack;
  /** The control plane's API, ending with `/`. */
  readonly controlPlaneApiUrl: string;
  /** The control plane's administrators' user pool and the app client the admin console signs in with. */
  readonly adminUserPoolId: string;
  readonly adminAppClientId: string;
  /** The tiers the tenant lifecycle onboards into. */
  readonly tiers: string[];
  /** Removal policy of the deployment function's log group. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** Where the apps' builds are. @default WEB_BUILD_DIR */
  readonly buildDir?: string;
}

/**
 * The apps' files and runtime configuration (`EcsSaasWebContent`), copied into their buckets at deploy time by
 * BucketDeployment: the builds as they are (no build at deploy time), and `config.json` written from the other stacks'
 * values, which BucketDeployment resolves at deployment.
 */
export class WebContentStack extends Stack {
  /** Per app: the hashed assets, then the pages and `config.json`. */
  public readonly deployments: { [app: string]: { assets: s3deploy.BucketDeployment; pages: s3deploy.BucketDeployment } };
  /** The deployments' log group. */
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: WebContentStackProps) {
    super(scope, id, props);
    const buildDir = props.buildDir ?? WEB_BUILD_DIR;
    this.logGroup = new logs.LogGroup(this, 'DeploymentLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN });
    const adminConsole: AdminConsoleConfig = {
      region: Aws.REGION,
      controlPlaneApiUrl: props.controlPlaneApiUrl,
      userPoolId: props.adminUserPoolId,
      appClientId: props.adminAppClientId,
      tiers: props.tiers,
    };
    const tenantApp: TenantAppConfig = { region: Aws.REGION, controlPlaneApiUrl: props.controlPlaneApiUrl };
    this.deployments = {
      [WEB_APPS.adminConsole]: this.deploy('AdminConsole', path.join(buildDir, WEB_APPS.adminConsole), props.hosting.adminConsole, adminConsole),
      [WEB_APPS.tenantApp]: this.deploy('TenantApp', path.join(buildDir, WEB_APPS.tenantApp), props.hosting.tenantApp, tenantApp),
    };
    acknowledgeWebContentFindings(this);
  }

  /**
   * Two deployments, because their objects are cached differently:
   * - `assets/` (Vite names each file by its content's hash): cached for a year, immutable, and never pruned, so
   *   that a page loaded before a deploy still finds the files it names;
   * - everything else (`index.html`, `config.json`, files of the app's `public/`): `no-cache`, so that browsers
   *   revalidate and a deploy shows at once; pruned, except `assets/`; deployed after the assets it names, and then
   *   invalidated in CloudFront. Every route of the app is served from `/index.html` (the SPA fallback rewrites the
   *   URI before the cache), so invalidating it covers them all.
   */
  private deploy(id: string, dir: string, app: WebApp, config: AdminConsoleConfig | TenantAppConfig) {
    if (!fs.existsSync(path.join(dir, 'index.html')) || !fs.existsSync(path.join(dir, 'assets'))) {
      throw new Error(`The web app build ${dir} (index.html and assets/) is missing: run \`npx projen bundle:web\` first.`);
    }
    const common = { destinationBucket: app.bucket, logGroup: this.logGroup };
    const assets = new s3deploy.BucketDeployment(this, `${id}Assets`, {
      ...common,
      sources: [s3deploy.Source.asset(path.join(dir, 'assets'))],
      destinationKeyPrefix: 'assets/',
      prune: false,
      cacheControl: [s3deploy.CacheControl.setPublic(), s3deploy.CacheControl.maxAge(Duration.days(365)), s3deploy.CacheControl.immutable()],
    });
    const pages = new s3deploy.BucketDeployment(this, `${id}Pages`, {
      ...common,
      sources: [
        s3deploy.Source.asset(dir, { exclude: ['assets'] }),
        s3deploy.Source.jsonData(WEB_CONFIG_FILE, config),
      ],
      // Pruning leaves assets/ alone: the deployment above owns it.
      exclude: ['assets/*'],
      cacheControl: [s3deploy.CacheControl.noCache()],
      distribution: app.distribution,
      distributionPaths: ['/index.html', `/${WEB_CONFIG_FILE}`],
    });
    pages.node.addDependency(assets);
    return { assets, pages };
  }
}
