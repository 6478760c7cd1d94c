"use strict";
var __defProp = Object.defineProperty;
var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __hasOwnProp = Object.prototype.hasOwnProperty;
var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: true });
};
var __copyProps = (to, from, except, desc) => {
  if (from && typeof from === "object" || typeof from === "function") {
    for (let key of __getOwnPropNames(from))
      if (!__hasOwnProp.call(to, key) && key !== except)
        __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
  }
  return to;
};
var __toCommonJS = (mod) => __copyProps(__defProp({}, "__esModule", { value: true }), mod);

// integ/handlers/scoped-dynamo-probe.ts
var scoped_dynamo_probe_exports = {};
__export(scoped_dynamo_probe_exports, {
  handler: () => handler
});
module.exports = __toCommonJS(scoped_dynamo_probe_exports);
var import_client_dynamodb2 = require("@aws-sdk/client-dynamodb");

// src/runtime/index.ts
var import_client_dynamodb = require("@aws-sdk/client-dynamodb");
var import_client_sts = require("@aws-sdk/client-sts");

// src/private/environment.ts
var ENV_SCOPING = "SCOPED_DYNAMO_SCOPING";
var ENV_ROLE_ARN = "SCOPED_DYNAMO_ROLE_ARN";
var ENV_TAG_KEY = "SCOPED_DYNAMO_TAG_KEY";
var ENV_SESSION_POLICY = "SCOPED_DYNAMO_SESSION_POLICY";
var ENV_TENANT_ID = "SCOPED_DYNAMO_TENANT_ID";
var TENANT_ID_PLACEHOLDER = "<<tenant-id>>";

// src/private/tenant-id-pattern.ts
var TENANT_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,34}[a-z0-9])?$/;
var TENANT_ID_RULE = "1 to 36 characters of lowercase letters, digits and hyphens, starting and ending with a letter or digit";

// src/runtime/index.ts
var TenantScopedDynamo = class _TenantScopedDynamo {
  /**
   * Builds the helper from the environment variables that `ScopedDynamoAccess.addToContainer` sets.
   */
  static fromEnvironment(env = process.env, options = {}) {
    const scoping = env[ENV_SCOPING];
    if (scoping !== "SESSION_TAGS" && scoping !== "SESSION_POLICY" && scoping !== "FIXED_TENANT") {
      throw new Error(
        `${ENV_SCOPING} must be SESSION_TAGS, SESSION_POLICY or FIXED_TENANT; got '${scoping ?? ""}'. Is ScopedDynamoAccess.addToContainer applied to this container?`
      );
    }
    return new _TenantScopedDynamo({
      scoping,
      roleArn: env[ENV_ROLE_ARN],
      tagKey: env[ENV_TAG_KEY],
      sessionPolicyTemplate: env[ENV_SESSION_POLICY],
      tenantId: env[ENV_TENANT_ID],
      ...options
    });
  }
  options;
  sts;
  sessionPolicyTemplate;
  credentialCache = /* @__PURE__ */ new Map();
  clients = /* @__PURE__ */ new Map();
  inFlight = /* @__PURE__ */ new Map();
  fixedClient;
  counters = { stsCalls: 0, cacheHits: 0, sharedCalls: 0, staleOnError: 0 };
  /** One HTTP handler (and socket pool) shared by every tenant's client. */
  requestHandler;
  constructor(options) {
    this.options = options;
    switch (options.scoping) {
      case "FIXED_TENANT":
        if (!options.tenantId) {
          throw new Error("tenantId is required with scoping FIXED_TENANT.");
        }
        break;
      case "SESSION_TAGS":
        if (!options.roleArn || !options.tagKey) {
          throw new Error("roleArn and tagKey are required with scoping SESSION_TAGS.");
        }
        break;
      case "SESSION_POLICY":
        if (!options.roleArn || !options.sessionPolicyTemplate) {
          throw new Error("roleArn and sessionPolicyTemplate are required with scoping SESSION_POLICY.");
        }
        if (!JSON.stringify(JSON.parse(options.sessionPolicyTemplate)).includes(JSON.stringify(TENANT_ID_PLACEHOLDER))) {
          throw new Error(`sessionPolicyTemplate has no ${TENANT_ID_PLACEHOLDER} placeholder: it would not scope sessions to a tenant.`);
        }
        this.sessionPolicyTemplate = JSON.parse(options.sessionPolicyTemplate);
        break;
      default:
        throw new Error(`scoping must be SESSION_TAGS, SESSION_POLICY or FIXED_TENANT; got '${String(options.scoping)}'.`);
    }
    if (options.scoping !== "FIXED_TENANT") {
      this.sts = options.sts ?? new import_client_sts.STSClient({});
    }
    const duration = options.sessionDurationSeconds ?? 3600;
    if (!Number.isInteger(duration) || duration < 900 || duration > 3600) {
      throw new Error(`sessionDurationSeconds must be a whole number from 900 to 3600; got ${duration}.`);
    }
    const margin = options.refreshMarginMs ?? 3e5;
    if (!(margin >= 0 && margin < duration * 1e3)) {
      throw new Error(`refreshMarginMs must be at least 0 and less than the session (${duration * 1e3} ms); got ${margin}.`);
    }
    const max = options.maxCachedTenants ?? 1e3;
    if (!Number.isInteger(max) || max < 1) {
      throw new Error(`maxCachedTenants must be a whole number of at least 1; got ${max}.`);
    }
  }
  /** What the cache has saved so far. */
  get stats() {
    return { ...this.counters };
  }
  /**
   * A DynamoDB client that can reach only `tenantId`'s data. The client is reused for the tenant and renews
   * its credentials through the cache.
   */
  client(tenantId) {
    this.checkTenantId(tenantId);
    if (this.options.scoping === "FIXED_TENANT") {
      this.fixedClient ??= new import_client_dynamodb.DynamoDBClient({ ...this.options.clientConfig });
      return this.fixedClient;
    }
    let client = this.clients.get(tenantId);
    if (!client) {
      client = new import_client_dynamodb.DynamoDBClient({
        ...this.options.clientConfig,
        ...this.requestHandler ? { requestHandler: this.requestHandler } : {},
        credentials: () => this.credentials(tenantId)
      });
      this.requestHandler ??= client.config.requestHandler;
    }
    this.touch(this.clients, tenantId, client);
    return client;
  }
  /**
   * Temporary credentials scoped to `tenantId`, from the cache when they are still fresh.
   */
  async credentials(tenantId) {
    this.checkTenantId(tenantId);
    if (this.options.scoping === "FIXED_TENANT") {
      throw new Error("credentials() is not available with scoping FIXED_TENANT: the task role is already scoped.");
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
    const call = this.assumeRole(tenantId).then(
      (credentials) => {
        this.touch(this.credentialCache, tenantId, credentials);
        return credentials;
      },
      (error) => {
        if (cached && cached.expiration.getTime() > (this.options.now ?? Date.now)()) {
          this.counters.staleOnError++;
          return cached;
        }
        throw error;
      }
    ).finally(() => this.inFlight.delete(tenantId));
    this.inFlight.set(tenantId, call);
    return call;
  }
  get refreshMarginMs() {
    return this.options.refreshMarginMs ?? 3e5;
  }
  /** Puts `key` last in the map's least-recently-used order and drops the oldest entries over the limit. */
  touch(map, key, value) {
    map.delete(key);
    map.set(key, value);
    const max = this.options.maxCachedTenants ?? 1e3;
    while (map.size > max) {
      map.delete(map.keys().next().value);
    }
  }
  async assumeRole(tenantId) {
    this.counters.stsCalls++;
    const command = new import_client_sts.AssumeRoleCommand({
      RoleArn: this.options.roleArn,
      RoleSessionName: `tenant-${tenantId}`,
      DurationSeconds: this.options.sessionDurationSeconds ?? 3600,
      ...this.options.scoping === "SESSION_TAGS" ? { Tags: [{ Key: this.options.tagKey, Value: tenantId }] } : { Policy: JSON.stringify(substitute(this.sessionPolicyTemplate, tenantId)) }
    });
    let response;
    try {
      response = await this.sts.send(command);
    } catch (e) {
      throw new Error(`AssumeRole for tenant '${tenantId}' on ${this.options.roleArn} failed: ${e.message}`, {
        cause: e
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
      expiration: c.Expiration
    };
  }
  checkTenantId(tenantId) {
    if (typeof tenantId !== "string" || !TENANT_ID_PATTERN.test(tenantId)) {
      throw new Error(`tenantId must be ${TENANT_ID_RULE}; got '${String(tenantId)}'.`);
    }
    if (this.options.scoping === "FIXED_TENANT" && tenantId !== this.options.tenantId) {
      throw new Error(`This service serves tenant '${this.options.tenantId}' only; got '${tenantId}'.`);
    }
  }
};
function substitute(value, tenantId) {
  if (value === TENANT_ID_PLACEHOLDER) {
    return tenantId;
  }
  if (Array.isArray(value)) {
    return value.map((v) => substitute(v, tenantId));
  }
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, tenantId)]));
  }
  return value;
}

// integ/handlers/scoped-dynamo-probe.ts
var scoped = TenantScopedDynamo.fromEnvironment();
var TableName = process.env.PRODUCTS_TABLE_NAME;
async function outcome(op) {
  try {
    await op();
    return "allowed";
  } catch (e) {
    const name = e.name;
    return name === "AccessDeniedException" ? "denied" : `error:${name}`;
  }
}
async function handler(event) {
  const { tenantId, otherTenantId } = event;
  const ddb = scoped.client(tenantId);
  const ownWrite = await outcome(
    () => ddb.send(new import_client_dynamodb2.PutItemCommand({ TableName, Item: { tenantId: { S: tenantId }, id: { S: "probe" }, owner: { S: tenantId } } }))
  );
  const own = await ddb.send(new import_client_dynamodb2.GetItemCommand({ TableName, Key: { tenantId: { S: tenantId }, id: { S: "probe" } } }));
  const ownRead = own.Item?.owner?.S === tenantId ? "allowed" : "missing";
  const otherRead = await outcome(
    () => ddb.send(new import_client_dynamodb2.GetItemCommand({ TableName, Key: { tenantId: { S: otherTenantId }, id: { S: "probe" } } }))
  );
  const otherWrite = await outcome(
    () => ddb.send(new import_client_dynamodb2.PutItemCommand({ TableName, Item: { tenantId: { S: otherTenantId }, id: { S: "intruder" } } }))
  );
  const otherQuery = await outcome(
    () => ddb.send(
      new import_client_dynamodb2.QueryCommand({
        TableName,
        KeyConditionExpression: "tenantId = :t",
        ExpressionAttributeValues: { ":t": { S: otherTenantId } }
      })
    )
  );
  const scan = await outcome(() => ddb.send(new import_client_dynamodb2.ScanCommand({ TableName })));
  return {
    summary: `own-write=${ownWrite} own-read=${ownRead} other-read=${otherRead} other-write=${otherWrite} other-query=${otherQuery} scan=${scan}`
  };
}
// Annotate the CommonJS export names for ESM import in node:
0 && (module.exports = {
  handler
});
