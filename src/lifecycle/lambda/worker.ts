/**
 * The steps of the tenant lifecycle's state machines (one Lambda function, one method per step). Not part of the jsii
 * API. Every step is idempotent: a retried step, or a request delivered twice, acts once (see registry.ts, slots.ts).
 */
import {
  APIGatewayClient,
  ConflictException,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  GetApiKeysCommand,
  NotFoundException,
} from '@aws-sdk/client-api-gateway';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminGetUserCommand,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  DeleteGroupCommand,
  GroupExistsException,
  ListUsersInGroupCommand,
  ResourceNotFoundException as CognitoNotFound,
  UsernameExistsException,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { ConditionalCheckFailedException, DeleteItemCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  DescribeRecordCommand,
  ProvisionProductCommand,
  ResourceNotFoundException as CatalogNotFound,
  ServiceCatalogClient,
  TerminateProvisionedProductCommand,
  UpdateProvisionedProductCommand,
} from '@aws-sdk/client-service-catalog';
import { purgeTenantItems } from './purge';
import { TenantRegistry } from './registry';
import {
  deprovisionedReply,
  failedReply,
  InvalidRequest,
  OffboardingRequest,
  OnboardingRequest,
  parseOffboarding,
  parseOnboarding,
  parseStatusRequest,
  provisionedReply,
  ReplyDetail,
  statusFailure,
  StatusReplyDetail,
  statusReply,
  StatusRequest,
  TenantConfig,
} from './requests';
import { Slot, SlotTable } from './slots';
import { administratorAttributes, tenantGroupName, TENANT_CLAIMS } from '../../contract/identity';
import {
  DONE,
  LifecycleConfig,
  Next,
  REPLY_FAILED,
  SHARD_TEMPLATE_OUTPUTS,
  SHARD_TEMPLATE_PARAMETERS,
  parseShardUsagePlans,
  SharedTierConfig,
  StackTierConfig,
  TEMPLATE_OUTPUTS,
  TEMPLATE_PARAMETERS,
  TENANT_STATUS_REQUESTS,
} from '../../contract/lifecycle';
import { API_KEY_MARKER_TAG } from '../../contract/router';
import { PER_TENANT, SHARED, Sharing } from '../../contract/sharing';

/** The template parameters that name a shard opened at run time. */
const RUNTIME_SHARD_PARAMETERS: string[] = [
  TEMPLATE_PARAMETERS.shardListenerArn, TEMPLATE_PARAMETERS.shardSecurityGroupId, TEMPLATE_PARAMETERS.shardApiId,
];

/** The template parameters of the tenant's own route (absent behind a routing service). */
const ROUTE_PARAMETERS: string[] = [TEMPLATE_PARAMETERS.routerShard, TEMPLATE_PARAMETERS.rulePriority];

export interface Clients {
  readonly dynamodb: DynamoDBClient;
  readonly cognito: CognitoIdentityProviderClient;
  readonly catalog: ServiceCatalogClient;
  readonly events: EventBridgeClient;
  /** Only with tiers whose tenants have keys of their own (`tenantKeys`). */
  readonly apigateway?: APIGatewayClient;
}

export interface StepState {
  readonly next?: Next;
  readonly request?: OnboardingRequest | OffboardingRequest;
  readonly slot?: Slot;
  readonly recordId?: string;
  readonly status?: 'WAIT' | 'SUCCEEDED';
  readonly outputs?: Record<string, string>;
  /** Every shard is full: the next step opens one (`openShard`). */
  readonly openShard?: boolean;
  /** The shard being opened. */
  readonly shard?: number;
}

export class LifecycleWorker {
  private readonly registry: TenantRegistry;
  private readonly slots: SlotTable;

  constructor(private readonly config: LifecycleConfig, private readonly clients: Clients) {
    this.registry = new TenantRegistry(clients.dynamodb, config.registryTable);
    this.slots = new SlotTable({
      client: clients.dynamodb,
      tableName: config.slotTable,
      shards: config.shards,
      rulesPerListener: config.rulesPerListener,
      reserved: config.reserved,
      runtime: config.runtimeShards && { max: config.runtimeShards.max, reserved: config.runtimeShards.reserved },
    });
  }

  // ---------------------------------------------------------------------------------------------- onboarding

  /** Reads and claims an onboarding request; answers at once what needs no work. */
  public async startOnboarding(detail: unknown, execution = ''): Promise<StepState> {
    let request: OnboardingRequest;
    try {
      request = parseOnboarding(detail, Object.keys(this.config.tiers));
    } catch (e) {
      return this.refuse(e, detail, this.config.contract.provisionFailure);
    }
    const claim = await this.registry.claimOnboarding(request.tenantId, request.tenantRegistrationId, request.tier, execution);
    switch (claim.action) {
      case 'PROVISION':
        return { next: this.config.tiers[request.tier].kind, request };
      case 'ANSWER_AGAIN':
        await this.reply(this.config.contract.provisionSuccess, provisionedReply(request, JSON.parse(claim.record.config ?? '{}')));
        return { next: DONE };
      case 'IGNORE':
        return { next: DONE };
      default:
        await this.reply(this.config.contract.provisionFailure, failedReply(request.tenantRegistrationId, request.tenantId, claim.reason));
        return { next: DONE };
    }
  }

  /** A tenant of a shared tier: its group and admin user in the tier's pool; no infrastructure. */
  public async onboardShared(request: OnboardingRequest): Promise<StepState> {
    const tier = this.tier(request.tier, SHARED) as SharedTierConfig;
    const group = tenantGroupName(request.tenantId);
    await ignore(GroupExistsException, this.clients.cognito.send(new CreateGroupCommand({
      UserPoolId: tier.userPoolId,
      GroupName: group,
      Description: `Users of tenant ${request.tenantId}`,
    })));
    const username = request.email;
    let exists = false;
    try {
      await this.clients.cognito.send(new AdminCreateUserCommand({
        UserPoolId: tier.userPoolId,
        Username: username,
        DesiredDeliveryMediums: ['EMAIL'],
        UserAttributes: administratorAttributes(request.email, request.tenantId, request.tier).map(([Name, Value]) => ({ Name, Value })),
      }));
    } catch (e) {
      if (!(e instanceof UsernameExistsException)) {
        throw e;
      }
      exists = true;
    }
    if (exists) {
      // The user exists: from a retried step of this onboarding, or another tenant's user with this email.
      const owner = await this.userTenant(tier.userPoolId, username);
      if (owner !== request.tenantId) {
        throw new Error(`user ${username} already exists in the tier's pool for another tenant: a user belongs to one tenant`);
      }
    }
    await this.clients.cognito.send(new AdminAddUserToGroupCommand({ UserPoolId: tier.userPoolId, Username: username, GroupName: group }));
    await this.ensureTenantKey(request.tenantId, request.tier);
    await this.succeedOnboarding(request, { userPoolId: tier.userPoolId, appClientId: tier.appClientId, apiGatewayUrl: tier.apiGatewayUrl });
    return { next: DONE };
  }

  /**
   * A tenant of a stack tier: a router slot, then the product provisioned with it. When every shard is full and the
   * router opens shards at run time, nothing is provisioned yet: the state machine opens one (`openShard`), then
   * comes back here.
   */
  public async provisionStack(request: OnboardingRequest): Promise<StepState> {
    const tier = this.tier(request.tier, PER_TENANT) as StackTierConfig;
    // A tier routed by its routing service: the tenant joins the tier's one route, and holds no slot.
    const slot = tier.takesNoRoute ? undefined
      : tier.dedicatedShard ? await this.slots.allocateDedicated(request.tenantId)
        : await this.slots.allocate(request.tenantId);
    if (!tier.takesNoRoute && !slot) {
      return { request, openShard: true };
    }
    if (slot?.runtime && !tier.runtimeShardParameters) {
      throw new Error(`tier '${request.tier}' has a slot on a shard opened at run time, but its template takes no runtime shard parameters (TenantTemplate.runtimeShard)`);
    }
    // The tenant's key before its stack: its users are served as soon as the stack is up.
    await this.ensureTenantKey(request.tenantId, request.tier, slot);
    const shardParameters = !tier.runtimeShardParameters ? [] : [
      { Key: TEMPLATE_PARAMETERS.shardListenerArn, Value: slot?.runtime?.listenerArn ?? '' },
      { Key: TEMPLATE_PARAMETERS.shardSecurityGroupId, Value: slot?.runtime?.securityGroupId ?? '' },
      { Key: TEMPLATE_PARAMETERS.shardApiId, Value: slot?.runtime?.apiId ?? '' },
    ];
    const routeParameters = !slot ? [] : [
      // A shard opened at run time is named by the Shard* parameters; the index then selects nothing that is used.
      { Key: TEMPLATE_PARAMETERS.routerShard, Value: String(slot.runtime ? 0 : slot.shard) },
      { Key: TEMPLATE_PARAMETERS.rulePriority, Value: String(slot.priority) },
    ];
    const result = await this.clients.catalog.send(new ProvisionProductCommand({
      ProductId: tier.productId,
      ProvisioningArtifactName: tier.provisioningArtifactName,
      ProvisionedProductName: this.productName(request.tenantId),
      // The same registration provisions once, however often it is delivered.
      ProvisionToken: request.tenantRegistrationId.slice(0, 128),
      ProvisioningParameters: [
        { Key: TEMPLATE_PARAMETERS.tenantId, Value: request.tenantId },
        ...routeParameters,
        { Key: TEMPLATE_PARAMETERS.adminEmail, Value: request.email },
        ...shardParameters,
      ],
      Tags: [{ Key: 'TenantId', Value: request.tenantId }, { Key: 'TenantTier', Value: request.tier }],
    }));
    return { request, slot, recordId: result.RecordDetail!.RecordId! };
  }

  /**
   * Opens a router shard: claims the next shard number and provisions the router's shard template for it, or joins
   * the opening another onboarding started. A tenant of a tier with a load balancer per tenant (`tierName`'s
   * `dedicatedShard`) opens a shard of its own.
   */
  public async openShard(tenantId: string, tierName?: string): Promise<StepState> {
    const shards = this.config.runtimeShards;
    if (!shards) {
      throw new Error('the router does not open shards at run time');
    }
    const tier = tierName === undefined ? undefined : this.config.tiers[tierName];
    const dedicated = tier?.kind === PER_TENANT && tier.dedicatedShard === true;
    const { shard, claimed } = await this.slots.openShard(tenantId, dedicated);
    if (claimed) {
      const result = await this.clients.catalog.send(new ProvisionProductCommand({
        ProductId: shards.productId,
        ProvisioningArtifactName: shards.provisioningArtifactName,
        // `_` is in no tenant id: a shard's name never meets a tenant's.
        ProvisionedProductName: `${this.config.namePrefix}-shard_${shard}`,
        ProvisionToken: `shard_${shard}`,
        ProvisioningParameters: [{ Key: SHARD_TEMPLATE_PARAMETERS.shardIndex, Value: String(shard) }],
        Tags: [{ Key: 'RouterShard', Value: String(shard) }],
      }));
      await this.slots.shardProvisioning(shard, result.RecordDetail!.RecordId!);
    }
    return { shard };
  }

  /**
   * The state of a shard being opened: READY once its stack is up (its attributes recorded, so tenants can be placed
   * on it), WAIT meanwhile. A failed opening is forgotten (the next onboarding opens it again) and fails this one.
   */
  public async checkShard(shard: number): Promise<{ status: 'WAIT' | 'READY' }> {
    const record = await this.slots.shardRecord(shard);
    if (!record || record.state === 'OPEN') {
      return { status: 'READY' };
    }
    if (!record.recordId) {
      return { status: 'WAIT' }; // another onboarding claimed it and has not started its product yet
    }
    let state: Pick<StepState, 'status' | 'outputs'>;
    try {
      state = await this.checkRecord(record.recordId);
    } catch (e) {
      await this.slots.shardFailed(shard);
      throw e;
    }
    if (state.status === 'WAIT') {
      return { status: 'WAIT' };
    }
    const o = state.outputs!;
    const { listenerArn, securityGroupId, apiId } = SHARD_TEMPLATE_OUTPUTS;
    const missing = [listenerArn, securityGroupId, apiId].filter((k) => !o[k]);
    if (missing.length > 0) {
      await this.slots.shardFailed(shard);
      throw new Error(`the router shard's stack has no output ${missing.join(', ')}`);
    }
    await this.slots.shardOpened(shard, {
      listenerArn: o[listenerArn], securityGroupId: o[securityGroupId], apiId: o[apiId], usagePlans: o[SHARD_TEMPLATE_OUTPUTS.usagePlans],
    });
    return { status: 'READY' };
  }

  /** The state of a Service Catalog record: WAIT while it runs, the stack outputs once it succeeded; throws on failure. */
  public async checkRecord(recordId: string): Promise<Pick<StepState, 'status' | 'outputs'>> {
    const result = await this.clients.catalog.send(new DescribeRecordCommand({ Id: recordId }));
    const status = result.RecordDetail?.Status;
    if (status === 'SUCCEEDED') {
      const outputs = Object.fromEntries((result.RecordOutputs ?? []).map((o) => [o.OutputKey!, o.OutputValue!]));
      return { status: 'SUCCEEDED', outputs };
    }
    if (status === 'CREATED' || status === 'IN_PROGRESS') {
      return { status: 'WAIT' };
    }
    const errors = (result.RecordDetail?.RecordErrors ?? []).map((e) => `${e.Code}: ${e.Description}`).join('; ');
    throw new Error(`provisioning record ${recordId} is ${status}${errors ? `: ${errors}` : ''}`);
  }

  /** The stack is up: the tenant is active, and the control plane learns its configuration. */
  public async finishStack(request: OnboardingRequest, outputs: Record<string, string>): Promise<StepState> {
    const { userPoolId, appClientId, apiUrl, tenantIssuer } = TEMPLATE_OUTPUTS;
    const missing = [userPoolId, appClientId, apiUrl].filter((k) => !outputs[k]);
    if (missing.length > 0) {
      throw new Error(`the tenant stack has no output ${missing.join(', ')}`);
    }
    if (outputs[tenantIssuer]) {
      // The tenant's own user pool: the router trusts it for this tenant only, from now on.
      if (!this.config.issuerTable) {
        throw new Error('the tenant stack has its own user pool, but the router keeps no issuer registry (issuerRegistry: true)');
      }
      await this.clients.dynamodb.send(new PutItemCommand({
        TableName: this.config.issuerTable,
        Item: {
          issuer: { S: outputs[tenantIssuer] },
          tenantId: { S: request.tenantId },
          tier: { S: request.tier },
          clientIds: { SS: [outputs[appClientId]] },
        },
        ConditionExpression: 'attribute_not_exists(issuer) OR tenantId = :t',
        ExpressionAttributeValues: { ':t': { S: request.tenantId } },
      }));
    }
    await this.succeedOnboarding(request, { userPoolId: outputs[userPoolId], appClientId: outputs[appClientId], apiGatewayUrl: outputs[apiUrl] });
    return { next: DONE };
  }

  /** Starts removing a tenant's stack (after a failed provisioning, or to offboard). Returns no record when there is none. */
  public async terminateStack(tenantId: string, token: string): Promise<StepState> {
    try {
      const result = await this.clients.catalog.send(new TerminateProvisionedProductCommand({
        ProvisionedProductName: this.productName(tenantId),
        TerminateToken: token.slice(0, 128),
        IgnoreErrors: false,
      }));
      return { recordId: result.RecordDetail!.RecordId! };
    } catch (e) {
      if (e instanceof CatalogNotFound) {
        return {};
      }
      throw e;
    }
  }

  /**
   * A failed onboarding, once its stack (if any) is gone: a shared-tier tenant's users and group removed, slot freed,
   * tenant FAILED, failure reply with the reason.
   */
  public async failOnboarding(request: OnboardingRequest, reason: string, slot?: Slot): Promise<StepState> {
    if (this.config.tiers[request.tier]?.kind === SHARED) {
      await this.removeSharedUsers(request);
      // The administrator this onboarding created may not have joined the group yet.
      await this.removeAdministrator(request);
    }
    // The slot taken before a failed ProvisionProduct is found in the table when the state does not carry it.
    const held = slot ?? (await this.slots.find(request.tenantId));
    if (held) {
      await this.slots.release(request.tenantId, held);
    }
    // A dedicated shard it claimed, with or without a slot on it yet, is free again.
    await this.slots.releaseDedicated(request.tenantId);
    await this.unregisterIssuer(request.tenantId);
    await this.removeTenantKeys(request.tenantId);
    await this.registry.markFailed(request.tenantId, request.tenantRegistrationId, reason);
    await this.reply(this.config.contract.provisionFailure, failedReply(request.tenantRegistrationId, request.tenantId, reason));
    return { next: DONE };
  }

  // --------------------------------------------------------------------------------------------- offboarding

  public async startOffboarding(detail: unknown, execution = ''): Promise<StepState> {
    let request: OffboardingRequest;
    try {
      request = parseOffboarding(detail, Object.keys(this.config.tiers));
    } catch (e) {
      return this.refuse(e, detail, this.config.contract.deprovisionFailure);
    }
    const claim = await this.registry.claimOffboarding(request.tenantId, request.tenantRegistrationId, execution);
    switch (claim.action) {
      case 'DEPROVISION':
        return { next: this.config.tiers[claim.record.tier]?.kind ?? SHARED, request: { ...request, tier: claim.record.tier } };
      case 'ANSWER_AGAIN':
        await this.reply(this.config.contract.deprovisionSuccess, deprovisionedReply(request));
        return { next: DONE };
      case 'IGNORE':
        return { next: DONE };
      default:
        await this.reply(this.config.contract.deprovisionFailure, failedReply(request.tenantRegistrationId, request.tenantId, claim.reason));
        return { next: DONE };
    }
  }

  // ------------------------------------------------------------------------------------------- API keys

  /**
   * The tenant's own API key, in its tier's usage plan on the shard that serves it (a tier with keys per tenant):
   * API Gateway throttles and counts its requests apart from every other tenant's. Idempotent: a retried step finds
   * the key it created, and a key already in the plan stays.
   */
  private async ensureTenantKey(tenantId: string, tierName: string, slot?: Slot): Promise<void> {
    const keys = this.config.tenantKeys;
    if (!keys?.tierPlans[tierName]) {
      return;
    }
    const planId = slot?.runtime ? parseShardUsagePlans(slot.runtime.usagePlans)[tierName] : keys.tierPlans[tierName];
    if (!planId) {
      throw new Error(`the router shard ${slot?.shard} opened at run time has no usage plan of tier '${tierName}' for tenant '${tenantId}'s key`);
    }
    const apigateway = this.apigateway();
    let keyId = (await this.tenantKeyIds(tenantId))[0];
    if (!keyId) {
      const key = await apigateway.send(new CreateApiKeyCommand({
        name: `${this.config.namePrefix}-${tenantId}`,
        customerId: tenantId,
        enabled: true,
        description: `API key of tenant ${tenantId} in tier ${tierName}'s usage plan, supplied by the router's authorizer`,
        tags: { [API_KEY_MARKER_TAG]: keys.marker },
      }));
      keyId = key.id!;
    }
    // A key already in the plan (a retried step) is a conflict, and fine.
    await ignore(ConflictException, apigateway.send(new CreateUsagePlanKeyCommand({ usagePlanId: planId, keyId, keyType: 'API_KEY' })));
  }

  /** Deletes the tenant's keys marked for this router (API Gateway removes them from their plans). */
  private async removeTenantKeys(tenantId: string): Promise<void> {
    if (!this.config.tenantKeys) {
      return;
    }
    for (const id of await this.tenantKeyIds(tenantId)) {
      await ignore(NotFoundException, this.apigateway().send(new DeleteApiKeyCommand({ apiKey: id })));
    }
  }

  /** The ids of the tenant's keys marked for this router (customer id = tenant id). */
  private async tenantKeyIds(tenantId: string): Promise<string[]> {
    const ids: string[] = [];
    let position: string | undefined;
    do {
      const page = await this.apigateway().send(new GetApiKeysCommand({ customerId: tenantId, position, limit: 500 }));
      const mine = (page.items ?? []).filter((k) => k.customerId === tenantId && k.tags?.[API_KEY_MARKER_TAG] === this.config.tenantKeys!.marker);
      ids.push(...mine.map((k) => k.id!));
      position = page.position;
    } while (position);
    return ids;
  }

  private apigateway(): APIGatewayClient {
    if (!this.clients.apigateway) {
      throw new Error('the worker has no API Gateway client, but its configuration has tiers with keys per tenant');
    }
    return this.clients.apigateway;
  }

  /** Removes a shared-tier tenant's users and group. */
  public async removeSharedUsers(request: OffboardingRequest): Promise<void> {
    const tier = this.tier(request.tier, SHARED) as SharedTierConfig;
    const group = tenantGroupName(request.tenantId);
    let token: string | undefined;
    do {
      const list = new ListUsersInGroupCommand({ UserPoolId: tier.userPoolId, GroupName: group, NextToken: token });
      const page = await ignore(CognitoNotFound, this.clients.cognito.send(list));
      // Only the tenant's own users: a user of another tenant is never deleted through this group.
      const own = (page?.Users ?? []).filter((u) => u.Attributes?.find((a) => a.Name === TENANT_CLAIMS.tenantId)?.Value === request.tenantId);
      for (const user of own) {
        const remove = new AdminDeleteUserCommand({ UserPoolId: tier.userPoolId, Username: user.Username! });
        await ignore(CognitoNotFound, this.clients.cognito.send(remove));
      }
      token = page?.NextToken;
    } while (token);
    await ignore(CognitoNotFound, this.clients.cognito.send(new DeleteGroupCommand({ UserPoolId: tier.userPoolId, GroupName: group })));
  }

  /** Deletes the onboarding's administrator from the shared pool, if the user exists and belongs to this tenant. */
  private async removeAdministrator(request: OnboardingRequest): Promise<void> {
    const tier = this.tier(request.tier, SHARED) as SharedTierConfig;
    if (await this.userTenant(tier.userPoolId, request.email) !== request.tenantId) {
      return; // absent, or another tenant's user with this email: never deleted here
    }
    const remove = new AdminDeleteUserCommand({ UserPoolId: tier.userPoolId, Username: request.email });
    await ignore(UserNotFoundException, this.clients.cognito.send(remove));
  }

  /** The tenant a user of a shared pool belongs to (its `custom:tenantId`), or undefined when there is no such user. */
  private async userTenant(userPoolId: string, username: string): Promise<string | undefined> {
    const get = new AdminGetUserCommand({ UserPoolId: userPoolId, Username: username });
    const user = await ignore(UserNotFoundException, this.clients.cognito.send(get));
    return user?.UserAttributes?.find((a) => a.Name === TENANT_CLAIMS.tenantId)?.Value;
  }

  /** The tenant's infrastructure is gone: its pooled items are purged, its slot freed, and the control plane told. */
  public async finishOffboarding(request: OffboardingRequest): Promise<StepState> {
    let purged = 0;
    for (const t of this.config.pooledTables) {
      purged += await purgeTenantItems({
        client: this.clients.dynamodb,
        tableName: t.tableName,
        partitionKey: t.partitionKey,
        sortKey: t.sortKey,
        tenantId: request.tenantId,
      });
    }
    const slot = await this.slots.find(request.tenantId);
    if (slot) {
      await this.slots.release(request.tenantId, slot);
    }
    await this.slots.releaseDedicated(request.tenantId);
    await this.unregisterIssuer(request.tenantId);
    await this.removeTenantKeys(request.tenantId);
    if (this.config.suspensionTable) {
      // A tenant id offboarded while suspended may come back: it must not come back suspended.
      await this.clients.dynamodb.send(new DeleteItemCommand({ TableName: this.config.suspensionTable, Key: { tenantId: { S: request.tenantId } } }));
    }
    await this.registry.markDeleted(request.tenantId, request.tenantRegistrationId);
    await this.reply(this.config.contract.deprovisionSuccess, deprovisionedReply(request));
    console.log(JSON.stringify({ level: 'INFO', message: 'offboarded', tenantId: request.tenantId, purgedItems: purged }));
    return { next: DONE };
  }

  /**
   * Suspends (sbt-aws's `deactivateRequest`, or ours) or reactivates (`activateRequest`, or ours) an ACTIVE tenant.
   * Suspending writes the router's table of suspended tenants first, so the authorizer refuses the tenant's users as
   * soon as its cached answers expire, then marks the registry; reactivating does the reverse. Nothing else changes:
   * the tenant's data and infrastructure stay. Idempotent: a request delivered twice answers twice the same.
   */
  public async changeStatus(detailType: string, detail: unknown): Promise<StepState> {
    const suspend = this.suspends(detailType);
    const [success, failure] = this.statusReplies(suspend);
    let request: StatusRequest;
    try {
      request = parseStatusRequest(detail);
    } catch (e) {
      if (!(e instanceof InvalidRequest)) {
        throw e;
      }
      console.log(JSON.stringify({ level: 'WARN', message: 'status request without a valid tenant id dropped', reason: e.message }));
      return { next: DONE };
    }
    const refuse = async (reason: string) => {
      await this.reply(failure, statusFailure(request.tenantId, request.tenantRegistrationId, reason));
      return { next: DONE } as StepState;
    };
    if (!this.config.suspensionTable) {
      return refuse('the router keeps no table of suspended tenants (TenantRouter suspensions: true)');
    }
    const record = await this.registry.get(request.tenantId);
    if (!record || record.status !== 'ACTIVE') {
      return refuse(`tenant '${request.tenantId}' is not active here${record ? ` (${record.status})` : ''}`);
    }
    if (suspend) {
      await this.clients.dynamodb.send(new PutItemCommand({
        TableName: this.config.suspensionTable,
        Item: { tenantId: { S: request.tenantId }, suspendedAt: { S: new Date().toISOString() } },
      }));
    }
    if (!(await this.registry.setSuspended(request.tenantId, suspend))) {
      return refuse(`tenant '${request.tenantId}' is no longer active`);
    }
    if (!suspend) {
      await this.clients.dynamodb.send(new DeleteItemCommand({ TableName: this.config.suspensionTable, Key: { tenantId: { S: request.tenantId } } }));
    }
    await this.reply(success, statusReply(request, suspend));
    console.log(JSON.stringify({ level: 'INFO', message: suspend ? 'suspended' : 'reactivated', tenantId: request.tenantId }));
    return { next: DONE };
  }

  /** A status change that failed every retry: the control plane is told why. */
  public async failStatusChange(detailType: string, detail: unknown, reason: string): Promise<StepState> {
    const d = (typeof detail === 'object' && detail !== null ? detail : {}) as Record<string, unknown>;
    const [, failure] = this.statusReplies(this.suspends(detailType));
    await this.reply(failure, statusFailure(String(d.tenantId ?? ''), typeof d.tenantRegistrationId === 'string' ? d.tenantRegistrationId : undefined, reason));
    return { next: DONE };
  }

  private suspends(detailType: string): boolean {
    return detailType === this.config.contract.deactivateRequest || detailType === TENANT_STATUS_REQUESTS.suspend;
  }

  private statusReplies(suspend: boolean): [string, string] {
    const c = this.config.contract;
    // Written with the router's suspensions, the only configuration under which status requests reach the worker.
    return suspend ? [c.deactivateSuccess!, c.deactivateFailure!] : [c.activateSuccess!, c.activateFailure!];
  }

  public async failOffboarding(request: OffboardingRequest, reason: string): Promise<StepState> {
    await this.registry.markFailed(request.tenantId, request.tenantRegistrationId, reason);
    await this.reply(this.config.contract.deprovisionFailure, failedReply(request.tenantRegistrationId, request.tenantId, reason));
    return { next: DONE };
  }

  // ------------------------------------------------------------------------------------------------- updates

  /** The active tenants of a stack tier, in waves of `waveSize` (the first wave first). */
  public async planWaves(tierName: string, waveSize: number): Promise<{ waves: string[][]; tenants: number }> {
    this.tier(tierName, PER_TENANT);
    if (!(Number.isInteger(waveSize) && waveSize >= 1)) {
      throw new Error(`waveSize must be a whole number of at least 1; got ${waveSize}`);
    }
    const tenants = await this.registry.active(tierName);
    const waves: string[][] = [];
    for (let i = 0; i < tenants.length; i += waveSize) {
      waves.push(tenants.slice(i, i + waveSize));
    }
    return { waves, tenants: tenants.length };
  }

  /** Starts updating a tenant's stack to a version of its tier's product, keeping its parameters. */
  public async updateStack(tenantId: string, tierName: string, version: string, token: string): Promise<StepState> {
    const tier = this.tier(tierName, PER_TENANT) as StackTierConfig;
    const result = await this.clients.catalog.send(new UpdateProvisionedProductCommand({
      ProvisionedProductName: this.productName(tenantId),
      ProductId: tier.productId,
      ProvisioningArtifactName: version,
      UpdateToken: `${token}-${tenantId}`.replace(/[^a-zA-Z0-9_-]/g, '-').slice(0, 128),
      // The Shard* parameters only for a template that takes them (they name a shard opened at run time), and the
      // route's only for a template that has a route of its own.
      ProvisioningParameters: Object.values(TEMPLATE_PARAMETERS)
        .filter((Key) => tier.runtimeShardParameters || !RUNTIME_SHARD_PARAMETERS.includes(Key))
        .filter((Key) => !tier.takesNoRoute || !ROUTE_PARAMETERS.includes(Key))
        .map((Key) => ({ Key, UsePreviousValue: true })),
    }));
    return { recordId: result.RecordDetail!.RecordId! };
  }

  // ------------------------------------------------------------------------------------------------- helpers

  /** Removes the tenant's own user pool from the router's issuer registry (only if registered for this tenant). */
  private async unregisterIssuer(tenantId: string): Promise<void> {
    if (!this.config.issuerTable) {
      return;
    }
    const config = JSON.parse((await this.registry.get(tenantId))?.config ?? '{}') as Partial<TenantConfig>;
    const region = config.userPoolId?.split('_')[0];
    if (!config.userPoolId || !region) {
      return;
    }
    try {
      await this.clients.dynamodb.send(new DeleteItemCommand({
        TableName: this.config.issuerTable,
        Key: { issuer: { S: `https://cognito-idp.${region}.amazonaws.com/${config.userPoolId}` } },
        ConditionExpression: 'tenantId = :t',
        ExpressionAttributeValues: { ':t': { S: tenantId } },
      }));
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) {
        throw e;
      }
    }
  }

  private async succeedOnboarding(request: OnboardingRequest, config: TenantConfig): Promise<void> {
    await this.registry.markActive(request.tenantId, request.tenantRegistrationId, JSON.stringify(config));
    try {
      await this.reply(this.config.contract.provisionSuccess, provisionedReply(request, config));
    } catch (e) {
      // The tenant is provisioned and ACTIVE: the state machine must not take the failure path and remove it.
      throw new ReplyFailed(`tenant ${request.tenantId} is ACTIVE, but its success reply was not sent: ${(e as Error).message}`, e);
    }
  }

  private async refuse(e: unknown, detail: unknown, detailType: string): Promise<StepState> {
    if (!(e instanceof InvalidRequest)) {
      throw e;
    }
    const d = (typeof detail === 'object' && detail !== null ? detail : {}) as Record<string, unknown>;
    if (e.tenantRegistrationId) {
      await this.reply(detailType, failedReply(e.tenantRegistrationId, typeof d.tenantId === 'string' ? d.tenantId : '', e.message));
    } else {
      console.log(JSON.stringify({ level: 'WARN', message: 'request without a registration id dropped', reason: e.message }));
    }
    return { next: DONE };
  }

  private async reply(detailType: string, detail: ReplyDetail | StatusReplyDetail): Promise<void> {
    const result = await this.clients.events.send(new PutEventsCommand({
      Entries: [{
        EventBusName: this.config.eventBusName,
        Source: this.config.contract.source,
        DetailType: detailType,
        Detail: JSON.stringify(detail),
      }],
    }));
    if (result.FailedEntryCount) {
      throw new Error(`the reply was not accepted: ${result.Entries?.[0]?.ErrorCode} ${result.Entries?.[0]?.ErrorMessage}`);
    }
  }

  private tier(name: string, kind: Sharing): SharedTierConfig | StackTierConfig {
    const tier = this.config.tiers[name];
    if (!tier || tier.kind !== kind) {
      throw new Error(`tier '${name}' is not a ${kind === SHARED ? 'shared tier (sharedTiers)' : 'stack tier (stackTiers)'} of this lifecycle`);
    }
    return tier;
  }

  private productName(tenantId: string): string {
    return `${this.config.namePrefix}-${tenantId}`;
  }
}

async function ignore<T>(type: new (...args: any[]) => Error, p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof type) {
      return undefined;
    }
    throw e;
  }
}

/**
 * A success reply that could not be sent after the tenant became ACTIVE. Its name is the error the onboarding state
 * machine catches apart from all others: it ends the execution as failed (alarmed) without removing the tenant.
 * Delivering the same request again answers from the registry.
 */
export class ReplyFailed extends Error {
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = REPLY_FAILED;
  }
}
