/**
 * A whole SaaS of a synthesized assembly, running on this machine (docs/local.md): what `npx projen local` starts and
 * the end-to-end test drives. Everything is found in the assembly, nothing is described twice:
 *
 * - each HTTP API (API Gateway v2) of a stack: the control plane's API, its functions run by the runtime interface
 *   clients, its authorizers as deployed;
 * - each REST API (API Gateway v1) of a nested stack: a router shard, with its Lambda authorizer, usage plans and
 *   VPC-link integration to the shard's load balancer; and those of the shards opened at run time, as their product
 *   stacks are created;
 * - each ECS service group a load balancer forwards to: its tasks, their nginx proxy, Service Connect names;
 * - every EventBridge rule: events delivered to state machines and API destinations as they arrive;
 * - Service Catalog products provisioned at run time: their stacks' service groups started, and stopped when the
 *   product is terminated.
 *
 * `seed` adds what a deployment's operator adds by hand: an administrator of the control plane, and one for each
 * tenant the app declares, with a known password. `startWebApps` serves the example's web apps (local/web-apps.ts) with
 * the configuration the deployment would write for them, pointing at this SaaS.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DescribeUserPoolClientCommand } from '@aws-sdk/client-cognito-identity-provider';
import { StackDeployment } from './deployment';
import { LocalEnvironment, LocalServiceGroup } from './environment';
import { LocalHttpApi } from './http-api';
import { CognitoPublicEndpoint, createUser, LOCAL_PASSWORD } from './identity';
import { LocalLoadBalancer } from './load-balancer';
import { LOCAL_REGION } from './moto';
import { LocalWebApps } from './web-apps';
import { SUMMARY_FILE } from '../examples/synthesize';
import { AdminConsoleConfig, TenantAppConfig } from '../examples/web/shared/contract';
import { ENV_AUTHORIZER_CONFIG, ENV_LIFECYCLE_CONFIG } from '../src/contract/environment';
import { TENANT_ADMIN_ROLE, TENANT_CLAIMS } from '../src/contract/identity';
import { LifecycleConfig } from '../src/contract/lifecycle';
import { AuthorizerConfig, IssuerConfig } from '../src/contract/router';

export interface LocalSaasOptions {
  /** Log lines of functions and tasks, with their source. Default: kept by each of them. */
  readonly onLog?: (source: string, line: string) => void;
  /** Errors of event delivery (a failed execution, a refused API destination call). */
  readonly onError?: (source: string, error: unknown) => void;
  /**
   * How long state machines' Wait states wait locally, in milliseconds (a stack's 30 s wait for a product's stack).
   * @default 250
   */
  readonly waitMilliseconds?: number;
}

/** A user created by `seed`, with what signing in needs. */
export interface SeededUser {
  /** The tenant it administers, or undefined for the control plane's administrator. */
  readonly tenantId?: string;
  readonly tier?: string;
  readonly username: string;
  readonly password: string;
  readonly userPoolId: string;
  readonly appClientId: string;
  /** The tenant API its users call (the router shard's stage), for tenants. */
  readonly apiUrl?: string;
}

/** Where `npx projen local` writes what it started (for `npx projen local:token`). */
export const LOCAL_SESSION_FILE = path.join(__dirname, '..', '.local', 'session.json');

/** What the session file holds. */
export interface LocalSession {
  readonly endpoints: LocalSaasEndpoints;
  readonly users: SeededUser[];
  /** TOTP secrets set up by `local:token`, by username. */
  totpSecrets?: Record<string, string>;
}

/** Where the running SaaS is reached. */
export interface LocalSaasEndpoints {
  /** The control plane's API, by stack. */
  readonly controlPlane: Record<string, string>;
  /** The tenant APIs (router shards' stages): local URL by the URL it has in AWS. */
  readonly tenantApis: Record<string, string>;
  /** Cognito's public API (sign-in): `CognitoPublicEndpoint`, in front of the emulator. */
  readonly cognito: string;
}

export class LocalSaas {
  public static async start(assemblyDir: string, options: LocalSaasOptions = {}): Promise<LocalSaas> {
    const env = await LocalEnvironment.start(assemblyDir, { onLog: options.onLog });
    const saas = new LocalSaas(env, options);
    try {
      await saas.bringUp();
    } catch (e) {
      await saas.stop();
      throw e;
    }
    return saas;
  }

  /** The users `seed` created. */
  public readonly seeded: SeededUser[] = [];
  /** The service groups running, by the construct path of the group (a provisioned product's under its stack name). */
  public readonly groups = new Map<string, LocalServiceGroup>();
  private readonly productGroups = new Map<StackDeployment, string[]>();
  private cognito?: CognitoPublicEndpoint;
  private webApps?: LocalWebApps;
  private readonly httpApis: LocalHttpApi[] = [];
  private readonly controlPlaneUrls: Record<string, string> = {};
  private readonly tenantApiUrls: Record<string, string> = {};
  /** Each router shard: its tenant API (local URL) and the load balancer behind it. */
  private readonly shards: Array<{ api: string; loadBalancer: LocalLoadBalancer }> = [];

  private constructor(public readonly env: LocalEnvironment, private readonly options: LocalSaasOptions) {
    env.waitMilliseconds = options.waitMilliseconds ?? 250;
  }

  /** Creates the control plane's administrator and one administrator for each tenant the app declares. */
  public async seed(): Promise<SeededUser[]> {
    const cognito = this.env.admin.cognito;
    for (const api of await this.controlPlaneApis()) {
      const username = 'admin@saas.local';
      await createUser(cognito, api.userPoolId, { username, attributes: { email: username, email_verified: 'true' } });
      this.seeded.push({ username, password: LOCAL_PASSWORD, userPoolId: api.userPoolId, appClientId: api.appClientId });
    }
    for (const tenant of await this.declaredTenants()) {
      const username = `admin@${tenant.tenantId}.example.com`;
      await createUser(cognito, tenant.userPoolId, {
        username,
        attributes: {
          email: username,
          email_verified: 'true',
          [TENANT_CLAIMS.tenantId]: tenant.tenantId,
          [TENANT_CLAIMS.tier]: tenant.tier,
          [TENANT_CLAIMS.role]: TENANT_ADMIN_ROLE,
        },
      });
      this.seeded.push({ ...tenant, username, password: LOCAL_PASSWORD });
    }
    return this.seeded;
  }

  /** Where everything is reached. */
  public get endpoints(): LocalSaasEndpoints {
    return {
      controlPlane: { ...this.controlPlaneUrls },
      tenantApis: { ...this.tenantApiUrls },
      cognito: this.cognito?.url ?? this.env.admin.endpoint,
    };
  }

  /** The calls Cognito's public endpoint answered (sign-ins and their challenges), in order. */
  public get cognitoOperations(): readonly string[] {
    return this.cognito?.operations ?? [];
  }

  /**
   * Serves the web apps on their fixed local origins (`LOCAL_WEB_ORIGINS`), from their builds under `buildRoot`
   * (default `examples/web/build`), with `webAppConfigs()`; `stop` stops them. Fails if a build is missing (run
   * `npx projen bundle:web`) or a port is taken. Call it after `seed` to reuse the administrators' app client it found.
   */
  public async startWebApps(buildRoot?: string): Promise<LocalWebApps> {
    if (this.webApps) {
      throw new Error('the web apps are already served');
    }
    this.webApps = await LocalWebApps.start({ buildRoot, ...await this.webAppConfigs() });
    return this.webApps;
  }

  /**
   * The apps' `config.json`, as the deployment writes it, but pointing at this SaaS: the control plane's API (local
   * URL), the pool and app client of its administrators (the ones `seed` creates the administrator in), the tiers the
   * lifecycle accepts (read from its configuration in the assembly), and where Cognito and the tenant APIs are served.
   */
  public async webAppConfigs(): Promise<{ adminConsole: AdminConsoleConfig; tenantApp: TenantAppConfig }> {
    const api = this.httpApis.find((a) => a.jwtAuthorizers.length > 0) ?? this.httpApis[0];
    if (!api) {
      throw new Error('the assembly has no control plane API (AWS::ApiGatewayV2::Api) for the web apps to call');
    }
    const seededAdmin = this.seeded.find((u) => u.tenantId === undefined);
    const pool = seededAdmin ?? (await this.controlPlaneApis())[0];
    if (!pool) {
      throw new Error('the control plane API has no JWT authorizer with an app client for people: the admin console cannot sign in');
    }
    const e = this.endpoints;
    const local = { cognitoEndpoint: e.cognito, apiUrls: e.tenantApis };
    return {
      adminConsole: {
        region: LOCAL_REGION,
        controlPlaneApiUrl: api.url,
        userPoolId: pool.userPoolId,
        appClientId: pool.appClientId,
        tiers: await this.lifecycleTiers(),
        local,
      },
      tenantApp: { region: LOCAL_REGION, controlPlaneApiUrl: api.url, local },
    };
  }

  public async stop(): Promise<void> {
    await this.webApps?.stop();
    await this.cognito?.stop();
    await this.env.stop();
  }

  private async bringUp(): Promise<void> {
    const env = this.env;
    this.cognito = await CognitoPublicEndpoint.start(env.admin.endpoint, env.admin.cognito);
    // Tenants provisioned at run time: their product stack's service groups start with the stack, and stop with it.
    env.serviceCatalog.stackHooks.push({
      created: async (stack) => {
        // A router shard opened at run time (the router's shard template): its tenant API and load balancer.
        if (Object.values<any>(stack.template.Resources).some((x) => x.Type === 'AWS::ApiGateway::RestApi')) {
          const api = await env.restApi(stack);
          this.tenantApiUrls[api.awsUrl] = api.url;
          this.shards.push({ api: api.url, loadBalancer: await env.loadBalancer(stack) });
        }
        const started: string[] = [];
        this.productGroups.set(stack, started);
        for (const group of serviceGroupPaths(stack)) {
          this.groups.set(`${stack.stackName}/${group}`, await env.startServiceGroup(stack, group));
          started.push(`${stack.stackName}/${group}`);
        }
      },
      // (The load balancers learn of the product's listener rules from the environment's own hook.)
      deleting: async (stack) => {
        for (const key of this.productGroups.get(stack) ?? []) {
          await this.groups.get(key)?.stop();
          this.groups.delete(key);
        }
        this.productGroups.delete(stack);
      },
    });

    const starts: Array<Promise<void>> = [];
    for (const artifact of env.assembly.stacks()) {
      const stack = env.stack(artifact.id);
      const resources = Object.entries<any>(stack.template.Resources);
      if (resources.some(([, r]) => r.Type === 'AWS::ApiGatewayV2::Api')) {
        const api = await env.httpApi(artifact.id);
        this.httpApis.push(api);
        this.controlPlaneUrls[artifact.id] = api.url;
        // What calls the API by its AWS URL from this process (the control plane's API destination) reaches it here.
        env.serveHost(api.awsHost, async () => api.url);
      }
      for (const [id] of resources.filter(([, x]) => x.Type === 'AWS::CloudFormation::Stack')) {
        const nested = await stack.nestedStack(id);
        if (Object.values<any>(nested.template.Resources).some((x) => x.Type === 'AWS::ApiGateway::RestApi')) {
          const api = await env.restApi(nested);
          this.tenantApiUrls[api.awsUrl] = api.url;
          this.shards.push({ api: api.url, loadBalancer: await env.loadBalancer(nested) });
        }
      }
      for (const group of serviceGroupPaths(stack)) {
        starts.push(env.startServiceGroup(stack, group).then((g) => {
          this.groups.set(group, g);
        }));
      }
    }
    const failed = (await Promise.allSettled(starts)).filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed.length > 0) {
      throw failed[0].reason;
    }
    await env.startDelivery((rule, error) => this.options.onError?.(rule, error));
  }

  /** The control plane's APIs: the user pool and app client their administrators sign in with. */
  private async controlPlaneApis(): Promise<Array<{ userPoolId: string; appClientId: string }>> {
    const out = [];
    for (const api of this.httpApis) {
      for (const authorizer of api.jwtAuthorizers) {
        const userPoolId = authorizer.issuer.split('/').pop()!;
        // The app client for people: the one of the audience that has no secret (a machine client has one).
        for (const clientId of authorizer.audience) {
          const client = await this.env.admin.cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: clientId }));
          if (!client.UserPoolClient?.ClientSecret) {
            out.push({ userPoolId, appClientId: clientId });
            break;
          }
        }
      }
    }
    return out;
  }

  /** The tiers the tenant lifecycle onboards into: the keys of its worker's configuration (`LifecycleConfig.tiers`). */
  private async lifecycleTiers(): Promise<string[]> {
    const tiers = new Set<string>();
    for (const artifact of this.env.assembly.stacks()) {
      const stack = this.env.stack(artifact.id);
      for (const fn of this.env.assembly.lambdaFunctions(stack.template)) {
        if (fn.environment[ENV_LIFECYCLE_CONFIG] !== undefined) {
          const config: LifecycleConfig = JSON.parse(await stack.resolve(fn.environment[ENV_LIFECYCLE_CONFIG]));
          Object.keys(config.tiers).forEach((t) => tiers.add(t));
        }
      }
    }
    return [...tiers];
  }

  /**
   * The tenants the app declares: their tier from the synthesis summary (`saas-summary.json`, written with the
   * assembly), their user pool from the router authorizer's configuration (a pool of their own, or their tier's).
   */
  private async declaredTenants(): Promise<Array<{ tenantId: string; tier: string; userPoolId: string; appClientId: string; apiUrl?: string }>> {
    const summaryFile = path.join(this.env.assembly.dir, SUMMARY_FILE);
    if (!fs.existsSync(summaryFile)) {
      return [];
    }
    const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
    const issuers: IssuerConfig[] = [];
    for (const artifact of this.env.assembly.stacks()) {
      const stack = this.env.stack(artifact.id);
      for (const fn of this.env.assembly.lambdaFunctions(stack.template)) {
        if (fn.environment[ENV_AUTHORIZER_CONFIG] !== undefined) {
          const config: AuthorizerConfig = JSON.parse(await stack.resolve(fn.environment[ENV_AUTHORIZER_CONFIG]));
          issuers.push(...config.issuers);
        }
      }
    }
    // Which tenant API serves a routing key: the shard whose listener has a rule matching it.
    const routes = new Map<string, string>();
    for (const shard of this.shards) {
      for (const rule of shard.loadBalancer.rules) {
        for (const value of rule.conditions.flatMap((c) => c.HttpHeaderConfig?.Values ?? [])) {
          routes.set(value, shard.api);
        }
      }
    }
    const out = [];
    for (const tier of summary.tiers ?? []) {
      for (const tenantId of tier.tenants ?? []) {
        const issuer = issuers.find((i) => i.tenantId === tenantId) ?? issuers.find((i) => i.tenantId === undefined);
        if (!issuer) {
          continue;
        }
        const apiUrl = routes.get(tenantId) ?? routes.get(tier.tier);
        out.push({ tenantId, tier: tier.tier, userPoolId: issuer.issuer.split('/').pop()!, appClientId: issuer.audiences[0], apiUrl });
      }
    }
    return out;
  }
}

/** The service groups of a stack that a load balancer forwards to: the construct paths their services are under. */
export function serviceGroupPaths(stack: StackDeployment): string[] {
  const groups = new Set<string>();
  for (const r of Object.values<any>(stack.template.Resources)) {
    if (r.Type === 'AWS::ECS::Service' && (r.Properties?.LoadBalancers ?? []).length > 0) {
      // <group>/<service>/Service
      groups.add(String(r.Metadata?.['aws:cdk:path']).split('/').slice(0, -2).join('/'));
    }
  }
  return [...groups];
}
