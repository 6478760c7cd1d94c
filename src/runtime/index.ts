/**
 * Runtime helper for services that use ScopedDynamoAccess: `import { TenantScopedDynamo } from 'cdk-ecs-saas/lib/runtime'`.
 *
 * Not part of the jsii API (Python and Java services use their own SDK). It needs the AWS SDK v3 packages
 * `@aws-sdk/client-dynamodb` and `@aws-sdk/client-sts` in the service. See docs/runtime-helper.md.
 */
import { DynamoDBClient, DynamoDBClientConfig, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import {
  ENV_ROLE_ARN,
  ENV_SCOPING,
  ENV_SESSION_POLICY,
  ENV_TAG_KEY,
  ENV_TENANT_ID,
  TENANT_ID_PLACEHOLDER,
} from '../contract/environment';
import { METER_NAME_PATTERN, periodOf, USAGE_ATTRIBUTES, usageKey } from '../contract/metering';
import { TENANT_ID_PATTERN, TENANT_ID_RULE } from '../contract/tenant-id';

/** The tenant-id rule (docs/tenant-ids.md), for services that check the tenant id of a token. */
export { TENANT_ID_PATTERN, TENANT_ID_RULE };
/**
 * Who a user is (docs/runtime-helper.md): the ID-token claims of a user's tenant, tier and role, the roles, and the
 * Cognito group of a tenant's users in a shared pool, as the tenant lifecycle creates them.
 */
export { tenantGroupName, TENANT_ADMIN_ROLE, TENANT_CLAIMS, TENANT_ROLES, TENANT_USER_ROLE } from '../contract/identity';
/** Token issuers: a Cognito pool's issuer URL, and where an issuer's signing keys are fetched (docs/runtime-helper.md). */
export { COGNITO_ISSUER, cognitoIssuerUrl, jwksUriFor } from '../contract/issuers';

/** How requests are scoped to a tenant; the same values as the construct's `TenantScoping`. */
export type Scoping = 'SESSION_TAGS' | 'SESSION_POLICY' | 'FIXED_TENANT';

/** Temporary credentials for one tenant (compatible with the AWS SDK's credential identity). */
export interface TenantCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

/** Options of TenantScopedDynamo. `fromEnvironment` fills the scoping fields from the container environment. */
export interface TenantScopedDynamoOptions {
  /** How requests are scoped. */
  readonly scoping: Scoping;
  /** ARN of the tenant-access role (SESSION_TAGS and SESSION_POLICY). */
  readonly roleArn?: string;
  /** Session tag key that carries the tenant id (SESSION_TAGS). */
  readonly tagKey?: string;
  /** Session-policy template with the tenant-id placeholder (SESSION_POLICY). */
  readonly sessionPolicyTemplate?: string;
  /** The one tenant this service serves (FIXED_TENANT). */
  readonly tenantId?: string;
  /** STS client to use. Default: a new STSClient in the default region. */
  readonly sts?: STSClient;
  /** Configuration for the DynamoDB clients (region, retries...). Credentials are set by the helper. */
  readonly clientConfig?: DynamoDBClientConfig;
  /** Requested session length in seconds, 900 to 3600 (role chaining caps sessions at one hour). Default 3600. */
  readonly sessionDurationSeconds?: number;
  /** Credentials are renewed this many milliseconds before they expire. Default 300000 (5 minutes). */
  readonly refreshMarginMs?: number;
  /** Most tenants whose credentials and client are kept; the least recently used go first. Default 1000. */
  readonly maxCachedTenants?: number;
  /**
   * Longest wait for a TCP connection to DynamoDB or STS, in milliseconds; a connection that takes longer fails the
   * attempt, and the SDK retries it. Applies to the clients the helper creates (not to `sts`, nor to a
   * `clientConfig.requestHandler` you pass). Default 1000.
   */
  readonly connectionTimeoutMs?: number;
  /**
   * Longest wait for an answer on an open connection, in milliseconds, per attempt; a held connection fails the
   * attempt with a TimeoutError, which the SDK retries. Applies like `connectionTimeoutMs`. Default 3000.
   */
  readonly requestTimeoutMs?: number;
  /** Clock, for tests. Default Date.now. */
  readonly now?: () => number;
}

/** Counters that show what the cache saves. */
export interface TenantScopedDynamoStats {
  /** AssumeRole calls made. */
  readonly stsCalls: number;
  /** Credential lookups answered from the cache (the SDK client itself also caches, so not one per request). */
  readonly cacheHits: number;
  /** Refreshes that failed while the cached credentials were still valid, so the cached ones were used. */
  readonly staleOnError: number;
  /** Requests that joined an AssumeRole call already under way for the same tenant. */
  readonly sharedCalls: number;
}

/**
 * Gives a service a DynamoDB client scoped to one tenant.
 *
 * Credentials are cached per tenant until `refreshMarginMs` before they expire, and concurrent requests for the
 * same tenant share one AssumeRole call: a service makes one STS call per tenant per credential lifetime, not one
 * per request.
 *
 * Pass only a tenant id taken from a verified token: the helper scopes access to whatever tenant it is given.
 */
export class TenantScopedDynamo {
  /**
   * Builds the helper from the environment variables that `ScopedDynamoAccess.addToContainer` sets.
   */
  public static fromEnvironment(
    env: Record<string, string | undefined> = process.env,
    options: Partial<TenantScopedDynamoOptions> = {},
  ): TenantScopedDynamo {
    const scoping = env[ENV_SCOPING];
    if (scoping !== 'SESSION_TAGS' && scoping !== 'SESSION_POLICY' && scoping !== 'FIXED_TENANT') {
      throw new Error(
        `${ENV_SCOPING} must be SESSION_TAGS, SESSION_POLICY or FIXED_TENANT; got '${scoping ?? ''}'. Is ScopedDynamoAccess.addToContainer applied to this container?`,
      );
    }
    return new TenantScopedDynamo({
      scoping,
      roleArn: env[ENV_ROLE_ARN],
      tagKey: env[ENV_TAG_KEY],
      sessionPolicyTemplate: env[ENV_SESSION_POLICY],
      tenantId: env[ENV_TENANT_ID],
      ...options,
    });
  }

  private readonly options: TenantScopedDynamoOptions;
  private readonly sts?: STSClient;
  private readonly sessionPolicyTemplate?: unknown;
  private readonly credentialCache = new Map<string, TenantCredentials>();
  private readonly clients = new Map<string, DynamoDBClient>();
  private readonly inFlight = new Map<string, Promise<TenantCredentials>>();
  private fixedClient?: DynamoDBClient;
  private counters = { stsCalls: 0, cacheHits: 0, sharedCalls: 0, staleOnError: 0 };
  /** The connection and request timeouts of the HTTP handlers the helper creates. */
  private readonly timeouts: { connectionTimeout: number; requestTimeout: number; throwOnRequestTimeout: boolean };
  /** One HTTP handler (and socket pool) shared by every tenant's client. */
  private requestHandler?: DynamoDBClientConfig['requestHandler'];

  constructor(options: TenantScopedDynamoOptions) {
    this.options = options;
    switch (options.scoping) {
      case 'FIXED_TENANT':
        if (!options.tenantId) {
          throw new Error('tenantId is required with scoping FIXED_TENANT.');
        }
        break;
      case 'SESSION_TAGS':
        if (!options.roleArn || !options.tagKey) {
          throw new Error('roleArn and tagKey are required with scoping SESSION_TAGS.');
        }
        break;
      case 'SESSION_POLICY':
        if (!options.roleArn || !options.sessionPolicyTemplate) {
          throw new Error('roleArn and sessionPolicyTemplate are required with scoping SESSION_POLICY.');
        }
        // Only a string value is ever replaced (substitute): a placeholder as an object key would scope nothing.
        if (!hasPlaceholderValue(JSON.parse(options.sessionPolicyTemplate))) {
          throw new Error(`sessionPolicyTemplate has no ${TENANT_ID_PLACEHOLDER} placeholder: it would not scope sessions to a tenant.`);
        }
        this.sessionPolicyTemplate = JSON.parse(options.sessionPolicyTemplate);
        break;
      default:
        throw new Error(`scoping must be SESSION_TAGS, SESSION_POLICY or FIXED_TENANT; got '${String(options.scoping)}'.`);
    }
    for (const [name, value] of [['connectionTimeoutMs', options.connectionTimeoutMs], ['requestTimeoutMs', options.requestTimeoutMs]] as const) {
      if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
        throw new Error(`${name} must be a whole number of milliseconds, at least 1; got ${value}.`);
      }
    }
    // No SDK client waits forever: connection and request timeouts on every client the helper makes.
    this.timeouts = {
      connectionTimeout: options.connectionTimeoutMs ?? 1000,
      requestTimeout: options.requestTimeoutMs ?? 3000,
      // Without it, current @smithy/node-http-handler only logs a warning when requestTimeout passes, and waits on.
      throwOnRequestTimeout: true,
    };
    if (options.scoping !== 'FIXED_TENANT') {
      this.sts = options.sts ?? new STSClient({ requestHandler: this.timeouts });
    }
    const duration = options.sessionDurationSeconds ?? 3600;
    if (!Number.isInteger(duration) || duration < 900 || duration > 3600) {
      throw new Error(`sessionDurationSeconds must be a whole number from 900 to 3600; got ${duration}.`);
    }
    const margin = options.refreshMarginMs ?? 300_000;
    if (!(margin >= 0 && margin < duration * 1000)) {
      throw new Error(`refreshMarginMs must be at least 0 and less than the session (${duration * 1000} ms); got ${margin}.`);
    }
    const max = options.maxCachedTenants ?? 1000;
    if (!Number.isInteger(max) || max < 1) {
      throw new Error(`maxCachedTenants must be a whole number of at least 1; got ${max}.`);
    }
  }

  /** What the cache has saved so far. */
  public get stats(): TenantScopedDynamoStats {
    return { ...this.counters };
  }

  /**
   * A DynamoDB client that can reach only `tenantId`'s data. The client is reused for the tenant and renews
   * its credentials through the cache.
   */
  public client(tenantId: string): DynamoDBClient {
    this.checkTenantId(tenantId);
    if (this.options.scoping === 'FIXED_TENANT') {
      this.fixedClient ??= new DynamoDBClient({ requestHandler: this.timeouts, ...this.options.clientConfig });
      return this.fixedClient;
    }
    let client = this.clients.get(tenantId);
    if (!client) {
      client = new DynamoDBClient({
        requestHandler: this.timeouts,
        ...this.options.clientConfig,
        ...(this.requestHandler ? { requestHandler: this.requestHandler } : {}),
        credentials: () => this.credentials(tenantId),
      });
      this.requestHandler ??= client.config.requestHandler;
    }
    this.touch(this.clients, tenantId, client);
    return client;
  }

  /**
   * Temporary credentials scoped to `tenantId`, from the cache when they are still fresh.
   */
  public async credentials(tenantId: string): Promise<TenantCredentials> {
    this.checkTenantId(tenantId);
    if (this.options.scoping === 'FIXED_TENANT') {
      throw new Error('credentials() is not available with scoping FIXED_TENANT: the task role is already scoped.');
    }
    const cached = this.credentialCache.get(tenantId);
    const now = (this.options.now ?? Date.now)();
    if (cached && cached.expiration.getTime() - this.refreshMarginMs > now) {
      this.counters.cacheHits++;
      this.touch(this.credentialCache, tenantId, cached);
      return cached;
    }
    const pending = this.inFlight.get(tenantId);
    if (pending) {
      this.counters.sharedCalls++;
      return pending;
    }
    const call = this.assumeRole(tenantId)
      .then(
        (credentials) => {
          this.touch(this.credentialCache, tenantId, credentials);
          return credentials;
        },
        (error) => {
          // A failed refresh (throttling, a network blip) must not break a tenant whose credentials still work.
          if (cached && cached.expiration.getTime() > (this.options.now ?? Date.now)()) {
            this.counters.staleOnError++;
            return cached;
          }
          throw error;
        },
      )
      .finally(() => this.inFlight.delete(tenantId));
    this.inFlight.set(tenantId, call);
    return call;
  }

  private get refreshMarginMs(): number {
    return this.options.refreshMarginMs ?? 300_000;
  }

  /** Puts `key` last in the map's least-recently-used order and drops the oldest entries over the limit. */
  private touch<T>(map: Map<string, T>, key: string, value: T): void {
    map.delete(key);
    map.set(key, value);
    const max = this.options.maxCachedTenants ?? 1000;
    while (map.size > max) {
      map.delete(map.keys().next().value as string);
    }
  }

  private async assumeRole(tenantId: string): Promise<TenantCredentials> {
    this.counters.stsCalls++;
    const command = new AssumeRoleCommand({
      RoleArn: this.options.roleArn,
      RoleSessionName: `tenant-${tenantId}`,
      DurationSeconds: this.options.sessionDurationSeconds ?? 3600,
      ...(this.options.scoping === 'SESSION_TAGS'
        ? { Tags: [{ Key: this.options.tagKey, Value: tenantId }] }
        : { Policy: JSON.stringify(substitute(this.sessionPolicyTemplate, tenantId)) }),
    });
    let response;
    try {
      response = await this.sts!.send(command);
    } catch (e) {
      throw new Error(`AssumeRole for tenant '${tenantId}' on ${this.options.roleArn} failed: ${(e as Error).message}`, {
        cause: e,
      });
    }
    const c = response.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
      throw new Error(`AssumeRole for tenant '${tenantId}' returned no credentials.`);
    }
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration,
    };
  }

  private checkTenantId(tenantId: string): void {
    if (typeof tenantId !== 'string' || !TENANT_ID_PATTERN.test(tenantId)) {
      throw new Error(`tenantId must be ${TENANT_ID_RULE}; got '${String(tenantId)}'.`);
    }
    if (this.options.scoping === 'FIXED_TENANT' && tenantId !== this.options.tenantId) {
      throw new Error(`This service serves tenant '${this.options.tenantId}' only; got '${tenantId}'.`);
    }
  }
}

/** Whether some JSON string value (not a key) is the placeholder. */
function hasPlaceholderValue(value: unknown): boolean {
  if (value === TENANT_ID_PLACEHOLDER) {
    return true;
  }
  return value !== null && typeof value === 'object' && Object.values(value).some(hasPlaceholderValue);
}

/** Replaces every JSON string value equal to the placeholder with the tenant id (no text substitution). */
function substitute(value: unknown, tenantId: string): unknown {
  if (value === TENANT_ID_PLACEHOLDER) {
    return tenantId;
  }
  if (Array.isArray(value)) {
    return value.map((v) => substitute(v, tenantId));
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, tenantId)]));
  }
  return value;
}

/** Options of `recordUsage`. */
export interface RecordUsageOptions {
  /** The tenant whose usage it is. */
  readonly tenantId: string;
  /** The meter (`meterApiName` of the usage event): 1 to 64 letters, digits, `.`, `_` and `-`. */
  readonly meter: string;
  /** Units to add: a positive finite number. */
  readonly value: number;
  /** When it was used (its UTC day is the period). Default: now. */
  readonly at?: Date;
}

/**
 * Adds units of a service-defined meter to a tenant's usage of the day, in TenantMetering's usage table, which sends
 * them to the control plane with the tenant's requests once the day is over. Pass the tenant's scoped client
 * (`TenantScopedDynamo.client(tenantId)` with the table among the service's pooled tables): the table is fenced by
 * `dynamodb:LeadingKeys`, so a service can add only to the tenant it serves. Concurrent calls add up (an atomic `ADD`).
 */
export async function recordUsage(client: DynamoDBClient, tableName: string, o: RecordUsageOptions): Promise<void> {
  if (!TENANT_ID_PATTERN.test(o.tenantId)) {
    throw new Error(`tenantId must be ${TENANT_ID_RULE}; got '${o.tenantId}'.`);
  }
  if (!METER_NAME_PATTERN.test(o.meter)) {
    throw new Error(`meter must be 1 to 64 letters, digits, '.', '_' and '-'; got '${o.meter}'.`);
  }
  if (!(typeof o.value === 'number' && Number.isFinite(o.value) && o.value > 0)) {
    throw new Error(`value must be a positive finite number; got ${o.value}.`);
  }
  const period = periodOf(o.at ?? new Date());
  const a = USAGE_ATTRIBUTES;
  await client.send(new UpdateItemCommand({
    TableName: tableName,
    Key: { [a.tenantId]: { S: o.tenantId }, [a.usageKey]: { S: usageKey(period, o.meter) } },
    UpdateExpression: 'ADD #value :value SET #period = :period, #meter = :meter',
    ExpressionAttributeNames: { '#value': a.value, '#period': a.period, '#meter': a.meter },
    ExpressionAttributeValues: { ':value': { N: String(o.value) }, ':period': { S: period }, ':meter': { S: o.meter } },
  }));
}
