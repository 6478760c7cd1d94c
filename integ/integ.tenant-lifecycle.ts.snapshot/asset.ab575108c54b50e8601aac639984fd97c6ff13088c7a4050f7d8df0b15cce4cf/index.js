"use strict";
var __defProp = Object.defineProperty;
var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __hasOwnProp = Object.prototype.hasOwnProperty;
var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: !0 });
}, __copyProps = (to, from, except, desc) => {
  if (from && typeof from == "object" || typeof from == "function")
    for (let key of __getOwnPropNames(from))
      !__hasOwnProp.call(to, key) && key !== except && __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
  return to;
};
var __toCommonJS = (mod) => __copyProps(__defProp({}, "__esModule", { value: !0 }), mod);

// src/lifecycle/handler.ts
var handler_exports = {};
__export(handler_exports, {
  handler: () => handler,
  reason: () => reason
});
module.exports = __toCommonJS(handler_exports);
var import_client_cognito_identity_provider2 = require("@aws-sdk/client-cognito-identity-provider"), import_client_dynamodb5 = require("@aws-sdk/client-dynamodb"), import_client_eventbridge2 = require("@aws-sdk/client-eventbridge"), import_client_service_catalog2 = require("@aws-sdk/client-service-catalog");

// src/lifecycle/worker.ts
var import_client_cognito_identity_provider = require("@aws-sdk/client-cognito-identity-provider"), import_client_dynamodb4 = require("@aws-sdk/client-dynamodb"), import_client_eventbridge = require("@aws-sdk/client-eventbridge"), import_client_service_catalog = require("@aws-sdk/client-service-catalog");

// src/lifecycle/purge.ts
var import_client_dynamodb = require("@aws-sdk/client-dynamodb");
async function purgeTenantItems(o) {
  let sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))), keys = [o.partitionKey, ...o.sortKey ? [o.sortKey] : []], deleted = 0, start;
  do {
    let page = await o.client.send(new import_client_dynamodb.QueryCommand({
      TableName: o.tableName,
      KeyConditionExpression: "#pk = :tenant",
      ExpressionAttributeNames: { "#pk": o.partitionKey, ...o.sortKey ? { "#sk": o.sortKey } : {} },
      ExpressionAttributeValues: { ":tenant": { S: o.tenantId } },
      ProjectionExpression: o.sortKey ? "#pk, #sk" : "#pk",
      ExclusiveStartKey: start
    })), items = (page.Items ?? []).map((item) => Object.fromEntries(keys.map((k) => [k, item[k]])));
    for (let i = 0; i < items.length; i += 25)
      await writeBatch(o, items.slice(i, i + 25), sleep), deleted += Math.min(25, items.length - i);
    start = page.LastEvaluatedKey;
  } while (start);
  return deleted;
}
async function writeBatch(o, keys, sleep) {
  let pending = keys.map((Key) => ({ DeleteRequest: { Key } })), attempts = o.maxAttempts ?? 8;
  for (let attempt = 1; pending.length > 0; attempt++) {
    if (attempt > attempts)
      throw new Error(`${pending.length} items of tenant '${o.tenantId}' in ${o.tableName} stayed unprocessed after ${attempts} attempts`);
    attempt > 1 && await sleep(Math.min(50 * 2 ** attempt, 5e3)), pending = (await o.client.send(new import_client_dynamodb.BatchWriteItemCommand({ RequestItems: { [o.tableName]: pending } }))).UnprocessedItems?.[o.tableName] ?? [];
  }
}

// src/lifecycle/registry.ts
var import_client_dynamodb2 = require("@aws-sdk/client-dynamodb"), TenantRegistry = class {
  constructor(client, tableName, now = () => /* @__PURE__ */ new Date()) {
    this.client = client;
    this.tableName = tableName;
    this.now = now;
  }
  client;
  tableName;
  now;
  async get(tenantId) {
    let key = { tenantId: { S: tenantId } }, i = (await this.client.send(new import_client_dynamodb2.GetItemCommand({ TableName: this.tableName, Key: key, ConsistentRead: !0 }))).Item;
    if (i)
      return {
        tenantId: i.tenantId.S,
        registrationId: i.registrationId.S,
        tier: i.tier.S,
        status: i.status.S,
        config: i.config?.S,
        reason: i.reason?.S
      };
  }
  /** The active tenants of a tier, sorted by tenant id (a scan: the registry holds one item per tenant). */
  async active(tier) {
    let out = [], start;
    do {
      let page = await this.client.send(new import_client_dynamodb2.ScanCommand({
        TableName: this.tableName,
        FilterExpression: "#s = :active AND tier = :tier",
        ExpressionAttributeNames: { "#s": "status" },
        ExpressionAttributeValues: { ":active": { S: "ACTIVE" }, ":tier": { S: tier } },
        ProjectionExpression: "tenantId",
        ConsistentRead: !0,
        ExclusiveStartKey: start
      }));
      out.push(...(page.Items ?? []).map((i) => i.tenantId.S)), start = page.LastEvaluatedKey;
    } while (start);
    return out.sort();
  }
  /**
   * Claims a tenant id for a registration. A new tenant id, a deleted tenant, or a failed attempt of the same
   * registration is (re)claimed; anything else is classified without writing.
   */
  async claimOnboarding(tenantId, registrationId2, tier, owner = "") {
    try {
      return await this.client.send(new import_client_dynamodb2.PutItemCommand({
        TableName: this.tableName,
        Item: {
          tenantId: { S: tenantId },
          registrationId: { S: registrationId2 },
          tier: { S: tier },
          status: { S: "PROVISIONING" },
          owner: { S: owner },
          updatedAt: { S: this.now().toISOString() }
        },
        // The same execution retrying its claim (owner) claims again; another delivery does not.
        ConditionExpression: "attribute_not_exists(tenantId) OR #s = :deleted OR (#s = :failed AND registrationId = :r) OR (#s = :provisioning AND registrationId = :r AND #o = :o AND :o <> :none)",
        ExpressionAttributeNames: { "#s": "status", "#o": "owner" },
        ExpressionAttributeValues: {
          ":deleted": { S: "DELETED" },
          ":failed": { S: "FAILED" },
          ":provisioning": { S: "PROVISIONING" },
          ":r": { S: registrationId2 },
          ":o": { S: owner },
          ":none": { S: "" }
        }
      })), { action: "PROVISION" };
    } catch (e) {
      if (!(e instanceof import_client_dynamodb2.ConditionalCheckFailedException))
        throw e;
    }
    let record = await this.get(tenantId);
    return record.registrationId !== registrationId2 ? { action: "REFUSE", reason: `tenant id '${tenantId}' is held by registration ${record.registrationId} (${record.status})` } : record.status === "ACTIVE" ? { action: "ANSWER_AGAIN", record } : record.status === "PROVISIONING" ? { action: "IGNORE", record } : { action: "REFUSE", reason: `registration ${registrationId2} of tenant '${tenantId}' is ${record.status}` };
  }
  /** Claims an active tenant for offboarding. */
  async claimOffboarding(tenantId, registrationId2, owner = "") {
    try {
      return await this.transition(tenantId, registrationId2, ["ACTIVE", "FAILED"], "DEPROVISIONING", owner ? { owner } : {}, owner), { action: "DEPROVISION", record: await this.get(tenantId) };
    } catch (e) {
      if (!(e instanceof import_client_dynamodb2.ConditionalCheckFailedException))
        throw e;
    }
    let record = await this.get(tenantId);
    return !record || record.registrationId !== registrationId2 ? { action: "REFUSE", reason: `tenant '${tenantId}' has no registration ${registrationId2} here` } : record.status === "DELETED" ? { action: "ANSWER_AGAIN", record } : record.status === "DEPROVISIONING" ? { action: "IGNORE", record } : { action: "REFUSE", reason: `tenant '${tenantId}' is ${record.status}` };
  }
  /** Idempotent: a retried step finds the tenant ACTIVE already and writes the same. */
  async markActive(tenantId, registrationId2, config) {
    await this.transition(tenantId, registrationId2, ["PROVISIONING", "ACTIVE"], "ACTIVE", { config });
  }
  async markDeleted(tenantId, registrationId2) {
    await this.transition(tenantId, registrationId2, ["DEPROVISIONING"], "DELETED");
  }
  async markFailed(tenantId, registrationId2, reason2) {
    await this.transition(tenantId, registrationId2, ["PROVISIONING", "ACTIVE", "DEPROVISIONING", "FAILED"], "FAILED", { reason: reason2.slice(0, 1e3) });
  }
  async transition(tenantId, registrationId2, from, to, extra = {}, owner = "") {
    let names = { "#s": "status" }, values = { ":r": { S: registrationId2 }, ":to": { S: to }, ":at": { S: this.now().toISOString() } };
    from.forEach((s, i) => values[`:f${i}`] = { S: s });
    let sets = ["#s = :to", "updatedAt = :at"];
    for (let [k, v] of Object.entries(extra))
      names[`#${k}`] = k, values[`:${k}`] = { S: v }, sets.push(`#${k} = :${k}`);
    await this.client.send(new import_client_dynamodb2.UpdateItemCommand({
      TableName: this.tableName,
      Key: { tenantId: { S: tenantId } },
      UpdateExpression: `SET ${sets.join(", ")}`,
      // A retry of the same execution (owner) may repeat its own transition.
      ConditionExpression: `registrationId = :r AND (#s IN (${from.map((_, i) => `:f${i}`).join(", ")})` + (owner ? " OR (#s = :to AND #owner = :owner))" : ")"),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values
    }));
  }
};

// src/private/tenant-id-pattern.ts
var TENANT_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,34}[a-z0-9])?$/;

// src/lifecycle/requests.ts
var InvalidRequest = class extends Error {
  constructor(message, tenantRegistrationId) {
    super(message);
    this.tenantRegistrationId = tenantRegistrationId;
    this.name = "InvalidRequest";
  }
  tenantRegistrationId;
}, EMAIL = /^[^\s@]{1,64}@[^\s@]{1,253}\.[^\s@]{2,63}$/, REGISTRATION_ID = /^[A-Za-z0-9-]{1,64}$/;
function parseOnboarding(detail, tiers) {
  let d = asObject(detail), tenantRegistrationId = registrationId(d), tenantId = tenantIdOf(d, tenantRegistrationId), tier = tierOf(d, tiers, tenantRegistrationId), email = str(d, "email", tenantRegistrationId);
  if (!EMAIL.test(email))
    throw new InvalidRequest(`email '${email}' is not an email address`, tenantRegistrationId);
  let tenantName = typeof d.tenantName == "string" && d.tenantName.length > 0 ? d.tenantName : void 0;
  return { tenantId, tenantRegistrationId, tier, email, tenantName };
}
function parseOffboarding(detail, tiers) {
  let d = asObject(detail), tenantRegistrationId = registrationId(d);
  return { tenantId: tenantIdOf(d, tenantRegistrationId), tenantRegistrationId, tier: tierOf(d, tiers, tenantRegistrationId) };
}
function provisionedReply(request, config) {
  return {
    tenantRegistrationId: request.tenantRegistrationId,
    tenantId: request.tenantId,
    jobOutput: {
      tenantRegistrationData: { registrationStatus: "Created" },
      // A JSON string, as the reference's control plane and admin console expect.
      tenantData: { tenantConfig: JSON.stringify(config), tier: request.tier }
    }
  };
}
function deprovisionedReply(request) {
  return { tenantRegistrationId: request.tenantRegistrationId, tenantId: request.tenantId, jobOutput: { tenantRegistrationData: { registrationStatus: "Deleted" } } };
}
function failedReply(tenantRegistrationId, tenantId, reason2) {
  return {
    tenantRegistrationId,
    tenantId,
    jobOutput: { tenantRegistrationData: { registrationStatus: "Failed", failureReason: reason2.slice(0, 1e3) } }
  };
}
function asObject(detail) {
  if (typeof detail != "object" || detail === null || Array.isArray(detail))
    throw new InvalidRequest("the event detail is not an object");
  return detail;
}
function str(d, name, registration) {
  let v = d[name];
  if (typeof v != "string" || v.length === 0)
    throw new InvalidRequest(`the request has no ${name}`, registration);
  return v;
}
function registrationId(d) {
  let id = str(d, "tenantRegistrationId");
  if (!REGISTRATION_ID.test(id))
    throw new InvalidRequest(`tenantRegistrationId '${id.slice(0, 80)}' is not a registration id`);
  return id;
}
function tenantIdOf(d, registration) {
  let id = str(d, "tenantId", registration);
  if (!TENANT_ID_PATTERN.test(id))
    throw new InvalidRequest(
      `tenantId '${id.slice(0, 80)}' is not a valid tenant id (1 to 36 lowercase letters, digits and hyphens, starting and ending with a letter or digit)`,
      registration
    );
  return id;
}
function tierOf(d, tiers, registration) {
  let tier = str(d, "tier", registration);
  if (!tiers.includes(tier))
    throw new InvalidRequest(`tier '${tier.slice(0, 40)}' is not served; the tiers are ${tiers.join(", ")}`, registration);
  return tier;
}

// src/lifecycle/slots.ts
var import_client_dynamodb3 = require("@aws-sdk/client-dynamodb");

// src/router/placement.ts
var PROVISIONED_PRIORITY_BASE = 25001;

// src/lifecycle/slots.ts
var SlotTable = class {
  constructor(o) {
    this.o = o;
  }
  o;
  /** The tenant's slot: the one it holds, or the lowest free priority on the first shard with room. */
  async allocate(tenantId) {
    for (let attempt = 0; attempt < 20; attempt++) {
      let sawRoom = !1;
      for (let shard = 0; shard < this.o.shards; shard++) {
        let held = await this.held(shard), mine = held.find((h) => h.tenantId === tenantId);
        if (mine)
          return { shard, priority: mine.priority };
        let reserved = this.o.reserved[String(shard)] ?? [], taken = /* @__PURE__ */ new Set([...reserved, ...held.map((h) => h.priority)]);
        if (taken.size >= this.o.rulesPerListener)
          continue;
        sawRoom = !0;
        let priority = PROVISIONED_PRIORITY_BASE;
        for (; taken.has(priority); )
          priority++;
        try {
          return await this.o.client.send(new import_client_dynamodb3.PutItemCommand({
            TableName: this.o.tableName,
            Item: { shard: { N: String(shard) }, priority: { N: String(priority) }, tenantId: { S: tenantId } },
            ConditionExpression: "attribute_not_exists(#priority)",
            ExpressionAttributeNames: { "#priority": "priority" }
          })), { shard, priority };
        } catch (e) {
          if (!(e instanceof import_client_dynamodb3.ConditionalCheckFailedException))
            throw e;
          break;
        }
      }
      if (!sawRoom)
        throw new Error(`no free router slot: ${this.o.shards} shards of ${this.o.rulesPerListener} rules are full; add shards (minShards) or raise the quota`);
    }
    throw new Error(`could not allocate a router slot for tenant '${tenantId}' after 20 attempts`);
  }
  /** The slot the tenant holds, if any. */
  async find(tenantId) {
    for (let shard = 0; shard < this.o.shards; shard++) {
      let mine = (await this.held(shard)).find((h) => h.tenantId === tenantId);
      if (mine)
        return { shard, priority: mine.priority };
    }
  }
  /** Frees the tenant's slot (after its stack is gone). */
  async release(tenantId, slot) {
    try {
      await this.o.client.send(new import_client_dynamodb3.DeleteItemCommand({
        TableName: this.o.tableName,
        Key: { shard: { N: String(slot.shard) }, priority: { N: String(slot.priority) } },
        ConditionExpression: "tenantId = :t",
        ExpressionAttributeValues: { ":t": { S: tenantId } }
      }));
    } catch (e) {
      if (!(e instanceof import_client_dynamodb3.ConditionalCheckFailedException))
        throw e;
    }
  }
  async held(shard) {
    let out = [], start;
    do {
      let page = await this.o.client.send(new import_client_dynamodb3.QueryCommand({
        TableName: this.o.tableName,
        KeyConditionExpression: "#shard = :s",
        ExpressionAttributeNames: { "#shard": "shard" },
        ExpressionAttributeValues: { ":s": { N: String(shard) } },
        ConsistentRead: !0,
        ExclusiveStartKey: start
      }));
      for (let i of page.Items ?? [])
        out.push({ priority: Number(i.priority.N), tenantId: i.tenantId.S });
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }
};

// src/lifecycle/worker.ts
var LifecycleWorker = class {
  constructor(config, clients) {
    this.config = config;
    this.clients = clients;
    this.registry = new TenantRegistry(clients.dynamodb, config.registryTable), this.slots = new SlotTable({
      client: clients.dynamodb,
      tableName: config.slotTable,
      shards: config.shards,
      rulesPerListener: config.rulesPerListener,
      reserved: config.reserved
    });
  }
  config;
  clients;
  registry;
  slots;
  // ---------------------------------------------------------------------------------------------- onboarding
  /** Reads and claims an onboarding request; answers at once what needs no work. */
  async startOnboarding(detail, execution = "") {
    let request;
    try {
      request = parseOnboarding(detail, Object.keys(this.config.tiers));
    } catch (e) {
      return this.refuse(e, detail, this.config.contract.provisionFailure);
    }
    let claim = await this.registry.claimOnboarding(request.tenantId, request.tenantRegistrationId, request.tier, execution);
    switch (claim.action) {
      case "PROVISION":
        return { next: this.config.tiers[request.tier].kind, request };
      case "ANSWER_AGAIN":
        return await this.reply(this.config.contract.provisionSuccess, provisionedReply(request, JSON.parse(claim.record.config ?? "{}"))), { next: "DONE" };
      case "IGNORE":
        return { next: "DONE" };
      default:
        return await this.reply(this.config.contract.provisionFailure, failedReply(request.tenantRegistrationId, request.tenantId, claim.reason)), { next: "DONE" };
    }
  }
  /** A tenant of a shared tier: its group and admin user in the tier's pool; no infrastructure. */
  async onboardShared(request) {
    let tier = this.tier(request.tier, "SHARED"), group = groupName(request.tenantId);
    await ignore(import_client_cognito_identity_provider.GroupExistsException, this.clients.cognito.send(new import_client_cognito_identity_provider.CreateGroupCommand({
      UserPoolId: tier.userPoolId,
      GroupName: group,
      Description: `Users of tenant ${request.tenantId}`
    })));
    let username = request.email, exists = !1;
    try {
      await this.clients.cognito.send(new import_client_cognito_identity_provider.AdminCreateUserCommand({
        UserPoolId: tier.userPoolId,
        Username: username,
        DesiredDeliveryMediums: ["EMAIL"],
        UserAttributes: [
          { Name: "email", Value: request.email },
          { Name: "email_verified", Value: "true" },
          { Name: "custom:tenantId", Value: request.tenantId },
          { Name: "custom:tenantTier", Value: request.tier },
          { Name: "custom:userRole", Value: "TenantAdmin" }
        ]
      }));
    } catch (e) {
      if (!(e instanceof import_client_cognito_identity_provider.UsernameExistsException))
        throw e;
      exists = !0;
    }
    if (exists && (await this.clients.cognito.send(new import_client_cognito_identity_provider.AdminGetUserCommand({ UserPoolId: tier.userPoolId, Username: username }))).UserAttributes?.find((a) => a.Name === "custom:tenantId")?.Value !== request.tenantId)
      throw new Error(`user ${username} already exists in the tier's pool for another tenant: a user belongs to one tenant`);
    return await this.clients.cognito.send(new import_client_cognito_identity_provider.AdminAddUserToGroupCommand({ UserPoolId: tier.userPoolId, Username: username, GroupName: group })), await this.succeedOnboarding(request, { userPoolId: tier.userPoolId, appClientId: tier.appClientId, apiGatewayUrl: tier.apiGatewayUrl }), { next: "DONE" };
  }
  /** A tenant of a stack tier: a router slot, then the product provisioned with it. */
  async provisionStack(request) {
    let tier = this.tier(request.tier, "STACK"), slot = await this.slots.allocate(request.tenantId), result = await this.clients.catalog.send(new import_client_service_catalog.ProvisionProductCommand({
      ProductId: tier.productId,
      ProvisioningArtifactName: tier.provisioningArtifactName,
      ProvisionedProductName: this.productName(request.tenantId),
      // The same registration provisions once, however often it is delivered.
      ProvisionToken: request.tenantRegistrationId.slice(0, 128),
      ProvisioningParameters: [
        { Key: "TenantId", Value: request.tenantId },
        { Key: "RouterShard", Value: String(slot.shard) },
        { Key: "RulePriority", Value: String(slot.priority) },
        { Key: "TenantAdminEmail", Value: request.email }
      ],
      Tags: [{ Key: "TenantId", Value: request.tenantId }, { Key: "TenantTier", Value: request.tier }]
    }));
    return { request, slot, recordId: result.RecordDetail.RecordId };
  }
  /** The state of a Service Catalog record: WAIT while it runs, the stack outputs once it succeeded; throws on failure. */
  async checkRecord(recordId) {
    let result = await this.clients.catalog.send(new import_client_service_catalog.DescribeRecordCommand({ Id: recordId })), status = result.RecordDetail?.Status;
    if (status === "SUCCEEDED")
      return { status: "SUCCEEDED", outputs: Object.fromEntries((result.RecordOutputs ?? []).map((o) => [o.OutputKey, o.OutputValue])) };
    if (status === "CREATED" || status === "IN_PROGRESS")
      return { status: "WAIT" };
    let errors = (result.RecordDetail?.RecordErrors ?? []).map((e) => `${e.Code}: ${e.Description}`).join("; ");
    throw new Error(`provisioning record ${recordId} is ${status}${errors ? `: ${errors}` : ""}`);
  }
  /** The stack is up: the tenant is active, and the control plane learns its configuration. */
  async finishStack(request, outputs) {
    let missing = ["UserPoolId", "AppClientId", "ApiUrl"].filter((k) => !outputs[k]);
    if (missing.length > 0)
      throw new Error(`the tenant stack has no output ${missing.join(", ")}`);
    if (outputs.TenantIssuer) {
      if (!this.config.issuerTable)
        throw new Error("the tenant stack has its own user pool, but the router keeps no issuer registry (issuerRegistry: true)");
      await this.clients.dynamodb.send(new import_client_dynamodb4.PutItemCommand({
        TableName: this.config.issuerTable,
        Item: {
          issuer: { S: outputs.TenantIssuer },
          tenantId: { S: request.tenantId },
          tier: { S: request.tier },
          clientIds: { SS: [outputs.AppClientId] }
        },
        ConditionExpression: "attribute_not_exists(issuer) OR tenantId = :t",
        ExpressionAttributeValues: { ":t": { S: request.tenantId } }
      }));
    }
    return await this.succeedOnboarding(request, { userPoolId: outputs.UserPoolId, appClientId: outputs.AppClientId, apiGatewayUrl: outputs.ApiUrl }), { next: "DONE" };
  }
  /** Starts removing a tenant's stack (after a failed provisioning, or to offboard). Returns no record when there is none. */
  async terminateStack(tenantId, token) {
    try {
      return { recordId: (await this.clients.catalog.send(new import_client_service_catalog.TerminateProvisionedProductCommand({
        ProvisionedProductName: this.productName(tenantId),
        TerminateToken: token.slice(0, 128),
        IgnoreErrors: !1
      }))).RecordDetail.RecordId };
    } catch (e) {
      if (e instanceof import_client_service_catalog.ResourceNotFoundException)
        return {};
      throw e;
    }
  }
  /**
   * A failed onboarding, once its stack (if any) is gone: a shared-tier tenant's users and group removed, slot freed,
   * tenant FAILED, failure reply with the reason.
   */
  async failOnboarding(request, reason2, slot) {
    this.config.tiers[request.tier]?.kind === "SHARED" && await this.removeSharedUsers(request);
    let held = slot ?? await this.slots.find(request.tenantId);
    return held && await this.slots.release(request.tenantId, held), await this.unregisterIssuer(request.tenantId), await this.registry.markFailed(request.tenantId, request.tenantRegistrationId, reason2), await this.reply(this.config.contract.provisionFailure, failedReply(request.tenantRegistrationId, request.tenantId, reason2)), { next: "DONE" };
  }
  // --------------------------------------------------------------------------------------------- offboarding
  async startOffboarding(detail, execution = "") {
    let request;
    try {
      request = parseOffboarding(detail, Object.keys(this.config.tiers));
    } catch (e) {
      return this.refuse(e, detail, this.config.contract.deprovisionFailure);
    }
    let claim = await this.registry.claimOffboarding(request.tenantId, request.tenantRegistrationId, execution);
    switch (claim.action) {
      case "DEPROVISION":
        return { next: this.config.tiers[claim.record.tier]?.kind ?? "SHARED", request: { ...request, tier: claim.record.tier } };
      case "ANSWER_AGAIN":
        return await this.reply(this.config.contract.deprovisionSuccess, deprovisionedReply(request)), { next: "DONE" };
      case "IGNORE":
        return { next: "DONE" };
      default:
        return await this.reply(this.config.contract.deprovisionFailure, failedReply(request.tenantRegistrationId, request.tenantId, claim.reason)), { next: "DONE" };
    }
  }
  /** Removes a shared-tier tenant's users and group. */
  async removeSharedUsers(request) {
    let tier = this.tier(request.tier, "SHARED"), group = groupName(request.tenantId), token;
    do {
      let list = new import_client_cognito_identity_provider.ListUsersInGroupCommand({ UserPoolId: tier.userPoolId, GroupName: group, NextToken: token }), page = await ignore(import_client_cognito_identity_provider.ResourceNotFoundException, this.clients.cognito.send(list));
      for (let user of (page?.Users ?? []).filter((u) => u.Attributes?.find((a) => a.Name === "custom:tenantId")?.Value === request.tenantId)) {
        let remove = new import_client_cognito_identity_provider.AdminDeleteUserCommand({ UserPoolId: tier.userPoolId, Username: user.Username });
        await ignore(import_client_cognito_identity_provider.ResourceNotFoundException, this.clients.cognito.send(remove));
      }
      token = page?.NextToken;
    } while (token);
    await ignore(import_client_cognito_identity_provider.ResourceNotFoundException, this.clients.cognito.send(new import_client_cognito_identity_provider.DeleteGroupCommand({ UserPoolId: tier.userPoolId, GroupName: group })));
  }
  /** The tenant's infrastructure is gone: its pooled items are purged, its slot freed, and the control plane told. */
  async finishOffboarding(request) {
    let purged = 0;
    for (let t of this.config.pooledTables)
      purged += await purgeTenantItems({
        client: this.clients.dynamodb,
        tableName: t.tableName,
        partitionKey: t.partitionKey,
        sortKey: t.sortKey,
        tenantId: request.tenantId
      });
    let slot = await this.slots.find(request.tenantId);
    return slot && await this.slots.release(request.tenantId, slot), await this.unregisterIssuer(request.tenantId), await this.registry.markDeleted(request.tenantId, request.tenantRegistrationId), await this.reply(this.config.contract.deprovisionSuccess, deprovisionedReply(request)), console.log(JSON.stringify({ level: "INFO", message: "offboarded", tenantId: request.tenantId, purgedItems: purged })), { next: "DONE" };
  }
  async failOffboarding(request, reason2) {
    return await this.registry.markFailed(request.tenantId, request.tenantRegistrationId, reason2), await this.reply(this.config.contract.deprovisionFailure, failedReply(request.tenantRegistrationId, request.tenantId, reason2)), { next: "DONE" };
  }
  // ------------------------------------------------------------------------------------------------- updates
  /** The active tenants of a stack tier, in waves of `waveSize` (the first wave first). */
  async planWaves(tierName, waveSize) {
    if (this.tier(tierName, "STACK"), !(Number.isInteger(waveSize) && waveSize >= 1))
      throw new Error(`waveSize must be a whole number of at least 1; got ${waveSize}`);
    let tenants = await this.registry.active(tierName), waves = [];
    for (let i = 0; i < tenants.length; i += waveSize)
      waves.push(tenants.slice(i, i + waveSize));
    return { waves, tenants: tenants.length };
  }
  /** Starts updating a tenant's stack to a version of its tier's product, keeping its parameters. */
  async updateStack(tenantId, tierName, version, token) {
    let tier = this.tier(tierName, "STACK");
    return { recordId: (await this.clients.catalog.send(new import_client_service_catalog.UpdateProvisionedProductCommand({
      ProvisionedProductName: this.productName(tenantId),
      ProductId: tier.productId,
      ProvisioningArtifactName: version,
      UpdateToken: `${token}-${tenantId}`.replace(/[^a-zA-Z0-9_-]/g, "-").slice(0, 128),
      ProvisioningParameters: ["TenantId", "RouterShard", "RulePriority", "TenantAdminEmail"].map((Key) => ({ Key, UsePreviousValue: !0 }))
    }))).RecordDetail.RecordId };
  }
  // ------------------------------------------------------------------------------------------------- helpers
  /** Removes the tenant's own user pool from the router's issuer registry (only if registered for this tenant). */
  async unregisterIssuer(tenantId) {
    if (!this.config.issuerTable)
      return;
    let config = JSON.parse((await this.registry.get(tenantId))?.config ?? "{}"), region = config.userPoolId?.split("_")[0];
    if (!(!config.userPoolId || !region))
      try {
        await this.clients.dynamodb.send(new import_client_dynamodb4.DeleteItemCommand({
          TableName: this.config.issuerTable,
          Key: { issuer: { S: `https://cognito-idp.${region}.amazonaws.com/${config.userPoolId}` } },
          ConditionExpression: "tenantId = :t",
          ExpressionAttributeValues: { ":t": { S: tenantId } }
        }));
      } catch (e) {
        if (!(e instanceof import_client_dynamodb4.ConditionalCheckFailedException))
          throw e;
      }
  }
  async succeedOnboarding(request, config) {
    await this.registry.markActive(request.tenantId, request.tenantRegistrationId, JSON.stringify(config)), await this.reply(this.config.contract.provisionSuccess, provisionedReply(request, config));
  }
  async refuse(e, detail, detailType) {
    if (!(e instanceof InvalidRequest))
      throw e;
    let d = typeof detail == "object" && detail !== null ? detail : {};
    return e.tenantRegistrationId ? await this.reply(detailType, failedReply(e.tenantRegistrationId, typeof d.tenantId == "string" ? d.tenantId : "", e.message)) : console.log(JSON.stringify({ level: "WARN", message: "request without a registration id dropped", reason: e.message })), { next: "DONE" };
  }
  async reply(detailType, detail) {
    let result = await this.clients.events.send(new import_client_eventbridge.PutEventsCommand({
      Entries: [{
        EventBusName: this.config.eventBusName,
        Source: this.config.contract.source,
        DetailType: detailType,
        Detail: JSON.stringify(detail)
      }]
    }));
    if (result.FailedEntryCount)
      throw new Error(`the reply was not accepted: ${result.Entries?.[0]?.ErrorCode} ${result.Entries?.[0]?.ErrorMessage}`);
  }
  tier(name, kind) {
    let tier = this.config.tiers[name];
    if (!tier || tier.kind !== kind)
      throw new Error(`tier '${name}' is not a ${kind} tier here`);
    return tier;
  }
  productName(tenantId) {
    return `${this.config.namePrefix}-${tenantId}`;
  }
};
function groupName(tenantId) {
  return `tenant-${tenantId}`;
}
async function ignore(type, p) {
  try {
    return await p;
  } catch (e) {
    if (e instanceof type)
      return;
    throw e;
  }
}

// src/lifecycle/handler.ts
var worker;
function load() {
  return worker ??= new LifecycleWorker(JSON.parse(process.env.LIFECYCLE_CONFIG ?? "{}"), {
    dynamodb: new import_client_dynamodb5.DynamoDBClient({}),
    cognito: new import_client_cognito_identity_provider2.CognitoIdentityProviderClient({}),
    catalog: new import_client_service_catalog2.ServiceCatalogClient({}),
    events: new import_client_eventbridge2.EventBridgeClient({})
  }), worker;
}
async function handler(event, w = load()) {
  let request = event.request;
  switch (event.step) {
    case "startOnboarding":
      return w.startOnboarding(event.detail, event.execution ?? "");
    case "onboardShared":
      return w.onboardShared(request);
    case "provisionStack":
      return w.provisionStack(request);
    case "checkRecord":
      return w.checkRecord(event.recordId);
    case "finishStack":
      return w.finishStack(request, event.outputs ?? {});
    case "terminateStack":
      return w.terminateStack(request.tenantId, request.tenantRegistrationId);
    case "failOnboarding":
      return w.failOnboarding(request, reason(event.error), event.slot ?? event.provisioned?.slot);
    case "startOffboarding":
      return w.startOffboarding(event.detail, event.execution ?? "");
    case "removeSharedUsers":
      return await w.removeSharedUsers(request), {};
    case "finishOffboarding":
      return w.finishOffboarding(request);
    case "failOffboarding":
      return w.failOffboarding(request, reason(event.error));
    case "planWaves":
      return w.planWaves(event.tierName, Number(event.waveSize));
    case "updateStack":
      return w.updateStack(event.tenantId, event.tierName, event.version, event.token);
    default:
      throw new Error(`unknown step '${event.step}'`);
  }
}
function reason(error) {
  if (!error)
    return "unknown error";
  try {
    let cause = JSON.parse(error.Cause ?? "");
    return `${cause.errorType ?? error.Error}: ${cause.errorMessage ?? ""}`.trim();
  } catch {
    return `${error.Error ?? "Error"}: ${error.Cause ?? ""}`.trim();
  }
}
// Annotate the CommonJS export names for ESM import in node:
0 && (module.exports = {
  handler,
  reason
});
