/**
 * The application plane's record of its tenants (a DynamoDB table keyed by tenant id), which makes onboarding and
 * offboarding idempotent: every transition is a conditional write, so a request delivered twice, or two requests
 * racing, act once. Not part of the jsii API.
 *
 * States: PROVISIONING → ACTIVE | FAILED; ACTIVE → DEPROVISIONING → DELETED | FAILED.
 */
import { AttributeValue, ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';

export type TenantStatus = 'PROVISIONING' | 'ACTIVE' | 'FAILED' | 'DEPROVISIONING' | 'DELETED';

export interface TenantRecord {
  readonly tenantId: string;
  readonly registrationId: string;
  readonly tier: string;
  readonly status: TenantStatus;
  /** The tenant's configuration once active (JSON). */
  readonly config?: string;
  /** Suspended by the control plane: its users are refused until it is activated again. */
  readonly suspended?: boolean;
  readonly reason?: string;
}

/** What to do with an onboarding request. */
export type OnboardingClaim =
  | { readonly action: 'PROVISION' }
  /** The same registration is already provisioned: answer success again with its configuration. */
  | { readonly action: 'ANSWER_AGAIN'; readonly record: TenantRecord }
  /** The same registration is being provisioned by an earlier delivery, which will answer. */
  | { readonly action: 'IGNORE'; readonly record: TenantRecord }
  /** Another registration holds the tenant id. */
  | { readonly action: 'REFUSE'; readonly reason: string };

/** What to do with an offboarding request. */
export type OffboardingClaim =
  | { readonly action: 'DEPROVISION'; readonly record: TenantRecord }
  | { readonly action: 'ANSWER_AGAIN'; readonly record: TenantRecord }
  | { readonly action: 'IGNORE'; readonly record: TenantRecord }
  | { readonly action: 'REFUSE'; readonly reason: string };

export class TenantRegistry {
  constructor(private readonly client: DynamoDBClient, private readonly tableName: string, private readonly now: () => Date = () => new Date()) {}

  public async get(tenantId: string): Promise<TenantRecord | undefined> {
    const key = { tenantId: { S: tenantId } };
    const result = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    const i = result.Item;
    if (!i) {
      return undefined;
    }
    return {
      tenantId: i.tenantId.S!,
      registrationId: i.registrationId.S!,
      tier: i.tier.S!,
      status: i.status.S as TenantStatus,
      config: i.config?.S,
      reason: i.reason?.S,
      suspended: i.suspended?.BOOL,
    };
  }

  /** The active tenants of a tier, sorted by tenant id (a scan: the registry holds one item per tenant). */
  public async active(tier: string): Promise<string[]> {
    const out: string[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.client.send(new ScanCommand({
        TableName: this.tableName,
        FilterExpression: '#s = :active AND tier = :tier',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':active': { S: 'ACTIVE' }, ':tier': { S: tier } },
        ProjectionExpression: 'tenantId',
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }));
      out.push(...(page.Items ?? []).map((i) => i.tenantId.S!));
      start = page.LastEvaluatedKey;
    } while (start);
    return out.sort();
  }

  /**
   * Claims a tenant id for a registration. A new tenant id, a deleted tenant, or a failed attempt of the same
   * registration is (re)claimed; anything else is classified without writing.
   */
  public async claimOnboarding(tenantId: string, registrationId: string, tier: string, owner = ''): Promise<OnboardingClaim> {
    try {
      await this.client.send(new PutItemCommand({
        TableName: this.tableName,
        Item: {
          tenantId: { S: tenantId },
          registrationId: { S: registrationId },
          tier: { S: tier },
          status: { S: 'PROVISIONING' },
          owner: { S: owner },
          updatedAt: { S: this.now().toISOString() },
        },
        // The same execution retrying its claim (owner) claims again; another delivery does not.
        ConditionExpression: 'attribute_not_exists(tenantId) OR #s = :deleted OR (#s = :failed AND registrationId = :r) '
          + 'OR (#s = :provisioning AND registrationId = :r AND #o = :o AND :o <> :none)',
        ExpressionAttributeNames: { '#s': 'status', '#o': 'owner' },
        ExpressionAttributeValues: {
          ':deleted': { S: 'DELETED' },
          ':failed': { S: 'FAILED' },
          ':provisioning': { S: 'PROVISIONING' },
          ':r': { S: registrationId },
          ':o': { S: owner },
          ':none': { S: '' },
        },
      }));
      return { action: 'PROVISION' };
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) {
        throw e;
      }
    }
    const record = (await this.get(tenantId))!;
    if (record.registrationId !== registrationId) {
      return { action: 'REFUSE', reason: `tenant id '${tenantId}' is held by registration ${record.registrationId} (${record.status})` };
    }
    if (record.status === 'ACTIVE') {
      return { action: 'ANSWER_AGAIN', record };
    }
    if (record.status === 'PROVISIONING') {
      return { action: 'IGNORE', record };
    }
    return { action: 'REFUSE', reason: `registration ${registrationId} of tenant '${tenantId}' is ${record.status}` };
  }

  /** Claims an active tenant for offboarding. */
  public async claimOffboarding(tenantId: string, registrationId: string, owner = ''): Promise<OffboardingClaim> {
    try {
      await this.transition(tenantId, registrationId, ['ACTIVE', 'FAILED'], 'DEPROVISIONING', owner ? { owner } : {}, owner);
      return { action: 'DEPROVISION', record: (await this.get(tenantId))! };
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) {
        throw e;
      }
    }
    const record = await this.get(tenantId);
    if (!record || record.registrationId !== registrationId) {
      return { action: 'REFUSE', reason: `tenant '${tenantId}' has no registration ${registrationId} here` };
    }
    if (record.status === 'DELETED') {
      return { action: 'ANSWER_AGAIN', record };
    }
    if (record.status === 'DEPROVISIONING') {
      return { action: 'IGNORE', record };
    }
    return { action: 'REFUSE', reason: `tenant '${tenantId}' is ${record.status}` };
  }

  /** Idempotent: a retried step finds the tenant ACTIVE already and writes the same. */
  public async markActive(tenantId: string, registrationId: string, config: string): Promise<void> {
    await this.transition(tenantId, registrationId, ['PROVISIONING', 'ACTIVE'], 'ACTIVE', { config });
  }

  /** Marks an ACTIVE tenant suspended or not; false when the tenant is not ACTIVE. */
  public async setSuspended(tenantId: string, suspended: boolean): Promise<boolean> {
    try {
      await this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: { tenantId: { S: tenantId } },
        UpdateExpression: suspended ? 'SET suspended = :t, updatedAt = :at' : 'REMOVE suspended SET updatedAt = :at',
        ConditionExpression: '#s = :active',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':active': { S: 'ACTIVE' }, ':at': { S: this.now().toISOString() }, ...(suspended ? { ':t': { BOOL: true } } : {}) },
      }));
      return true;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) {
        return false;
      }
      throw e;
    }
  }

  public async markDeleted(tenantId: string, registrationId: string): Promise<void> {
    await this.transition(tenantId, registrationId, ['DEPROVISIONING'], 'DELETED');
  }

  public async markFailed(tenantId: string, registrationId: string, reason: string): Promise<void> {
    await this.transition(tenantId, registrationId, ['PROVISIONING', 'ACTIVE', 'DEPROVISIONING', 'FAILED'], 'FAILED', { reason: reason.slice(0, 1000) });
  }

  private async transition(
    tenantId: string,
    registrationId: string,
    from: TenantStatus[],
    to: TenantStatus,
    extra: Record<string, string> = {},
    owner = '',
  ) {
    const names: Record<string, string> = { '#s': 'status' };
    const values: Record<string, { S: string }> = { ':r': { S: registrationId }, ':to': { S: to }, ':at': { S: this.now().toISOString() } };
    from.forEach((s, i) => (values[`:f${i}`] = { S: s }));
    const sets = ['#s = :to', 'updatedAt = :at'];
    for (const [k, v] of Object.entries(extra)) {
      names[`#${k}`] = k;
      values[`:${k}`] = { S: v };
      sets.push(`#${k} = :${k}`);
    }
    await this.client.send(new UpdateItemCommand({
      TableName: this.tableName,
      Key: { tenantId: { S: tenantId } },
      UpdateExpression: `SET ${sets.join(', ')}`,
      // A retry of the same execution (owner) may repeat its own transition.
      ConditionExpression: `registrationId = :r AND (#s IN (${from.map((_, i) => `:f${i}`).join(', ')})`
        + (owner ? ' OR (#s = :to AND #owner = :owner))' : ')'),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    }));
  }
}
