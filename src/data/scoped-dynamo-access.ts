import { Annotations, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { actionsFor, kmsActionsFor } from './dynamo-actions';
import { leadingKeysCondition, PolicyTable, pooledStatements, tableResources } from './scoped-policy';
import {
  ResolvedTable,
  resolveScoping,
  resolveTable,
  validateGrantee,
  validatePooledIndexes,
  validateSessionPolicySize,
  validateTables,
  validateTagKey,
} from './scoped-validation';
import { TableAccessLevel } from './table-access-level';
import { TenantScoping } from './tenant-scoping';
import {
  ENV_ROLE_ARN,
  ENV_SCOPING,
  ENV_SESSION_POLICY,
  ENV_TAG_KEY,
  ENV_TENANT_ID,
  TENANT_ID_PLACEHOLDER,
} from '../contract/environment';
import { validateTenantId } from '../private/tenant-id';

/**
 * A table that a ScopedDynamoAccess grants access to.
 */
export interface ScopedTable {
  /**
   * The table. For a pooled table, its partition key must be a string attribute that holds the tenant id.
   */
  readonly table: dynamodb.ITable;

  /**
   * What the grantee may do with the table's items.
   *
   * @default TableAccessLevel.READ_WRITE
   */
  readonly accessLevel?: TableAccessLevel;

  /**
   * Secondary indexes to grant along with the table, by name.
   *
   * On a pooled table an index query is fenced by the index's own partition key, so each index must be keyed by
   * the tenant id: a local secondary index, or a global secondary index whose partition key is the table's
   * partition key. This is checked for tables whose schema is known in the app; for imported tables it is your
   * responsibility (a warning says so).
   *
   * @default - no index
   */
  readonly indexNames?: string[];

  /**
   * Name of the container environment variable that carries the table's name.
   *
   * @default - derived from the table's construct id: `Products` becomes `PRODUCTS_TABLE_NAME` and
   * `OrderTable` becomes `ORDER_TABLE_NAME`
   */
  readonly environmentVariable?: string;
}

/**
 * Properties of a ScopedDynamoAccess.
 */
export interface ScopedDynamoAccessProps {
  /**
   * Who gets the access: an ECS task role, a Lambda function or any other grantable whose principal is an IAM
   * role. A grantee serves either many tenants or one: every ScopedDynamoAccess of one grantee must use the same
   * scoping and, for a fixed tenant, the same tenant id.
   */
  readonly grantee: iam.IGrantable;

  /**
   * Tables shared by many tenants, whose partition key is the tenant id. The grantee reaches only the items
   * whose partition key is its tenant's id.
   *
   * @default - no pooled tables
   */
  readonly pooledTables?: ScopedTable[];

  /**
   * Tables that belong to one tenant (`tenantId`). The grantee gets access to these tables only.
   * Requires `tenantId`: a grantee that serves many tenants must not hold one tenant's table.
   *
   * @default - no silo tables
   */
  readonly siloTables?: ScopedTable[];

  /**
   * The one tenant this grantee serves, when that is known at build time (a literal, or a CloudFormation
   * token such as a template parameter). When set, the grantee's own policy is fenced to this tenant and
   * no role is assumed at run time.
   *
   * @default - the grantee serves many tenants and scopes each request at run time (see `scoping`)
   */
  readonly tenantId?: string;

  /**
   * How requests are scoped to a tenant.
   *
   * @default - `TenantScoping.FIXED_TENANT` when `tenantId` is set, otherwise `TenantScoping.SESSION_TAGS`
   */
  readonly scoping?: TenantScoping;

  /**
   * Key of the session tag that carries the tenant id (`TenantScoping.SESSION_TAGS` only).
   * 1 to 128 characters of letters, digits and `_.:/=+-@`, not starting with `aws:`.
   *
   * @default 'TenantId'
   */
  readonly tenantIdTagKey?: string;
}

/**
 * Tenant-scoped access to DynamoDB for ECS tasks (or any grantable).
 *
 * It covers both table models of the ECS SaaS reference guide:
 *
 * - Pooled tables (one table, tenant id as partition key): every allowed action is fenced by
 *   `dynamodb:LeadingKeys`, and only actions that carry a partition key are allowed, so a tenant can never
 *   scan, administer or reach another tenant's partition.
 * - Silo tables (one table per tenant): the grantee reaches that tenant's tables only.
 *
 * For a grantee that serves many tenants, the construct creates a tenant-access role that the grantee
 * assumes per tenant, with a session tag (default) or a session policy. The runtime helper
 * `cdk-ecs-saas/lib/runtime` does that with a per-tenant credential cache.
 *
 * @example
 * declare const taskDefinition: ecs.FargateTaskDefinition;
 * declare const productTable: dynamodb.ITable;
 *
 * const access = new ScopedDynamoAccess(this, 'ProductAccess', {
 *   grantee: taskDefinition.taskRole,
 *   pooledTables: [{ table: productTable, accessLevel: TableAccessLevel.READ_WRITE }],
 * });
 * access.addToContainer(taskDefinition.defaultContainer!);
 */
export class ScopedDynamoAccess extends Construct {
  /**
   * How requests are scoped to a tenant.
   */
  public readonly scoping: TenantScoping;

  /**
   * The role the grantee assumes for one tenant at a time.
   *
   * @default - undefined with `TenantScoping.FIXED_TENANT`, where the grantee's own policy is fenced
   */
  public readonly accessRole?: iam.IRole;

  /**
   * Key of the session tag that carries the tenant id.
   *
   * @default - undefined unless `scoping` is `TenantScoping.SESSION_TAGS`
   */
  public readonly tenantIdTagKey?: string;

  /**
   * The tenant this grantee serves.
   *
   * @default - undefined unless `scoping` is `TenantScoping.FIXED_TENANT`
   */
  public readonly tenantId?: string;

  /**
   * The grantee.
   */
  public readonly grantee: iam.IGrantable;

  private readonly pooled: ResolvedTable[];
  private readonly silo: ResolvedTable[];

  constructor(scope: Construct, id: string, props: ScopedDynamoAccessProps) {
    super(scope, id);

    this.grantee = props.grantee;
    this.scoping = resolveScoping(props);
    this.pooled = (props.pooledTables ?? []).map((t, i) => resolveTable(t, `pooledTables[${i}]`, true));
    this.silo = (props.siloTables ?? []).map((t, i) => resolveTable(t, `siloTables[${i}]`, false));
    validateTables(this.pooled, this.silo);
    validateGrantee(this, props);

    if (props.siloTables?.length && props.tenantId === undefined) {
      throw new Error(
        `siloTables requires tenantId: a grantee that serves many tenants must not hold one tenant's table; got ${props.siloTables.length} silo table(s) and no tenantId.`,
      );
    }

    if (this.scoping === TenantScoping.FIXED_TENANT) {
      this.tenantId = props.tenantId!;
      this.grantFixedTenant(this.tenantId);
    } else {
      if (this.scoping === TenantScoping.SESSION_TAGS) {
        this.tenantIdTagKey = props.tenantIdTagKey ?? 'TenantId';
        validateTagKey(this.tenantIdTagKey);
      } else {
        validateSessionPolicySize(this.sessionPolicy(TENANT_ID_PLACEHOLDER));
        Annotations.of(this).addWarningV2(
          'cdk-ecs-saas:sessionPolicyRoleNotTenantFenced',
          'With scoping SESSION_POLICY the tenant-access role alone reaches every tenant\'s items (it only refuses actions without a partition key): every AssumeRole must pass the session policy. Prefer SESSION_TAGS, where the fence is in the role.',
        );
      }
      this.accessRole = this.createAccessRole();
    }

    // Silo tables are always reached with the grantee's own credentials: the table is the tenant's.
    for (const t of this.silo) {
      this.grantOnTable(this.grantee, t, actionsFor(t.level, true));
    }

    this.node.addValidation({ validate: () => this.pooled.flatMap(validatePooledIndexes) });
  }

  /**
   * Renders the policy that limits a session to one tenant's items in the pooled tables.
   *
   * This is the session policy a runtime passes to `sts:AssumeRole` with `TenantScoping.SESSION_POLICY`.
   * It is valid in every mode, as an extra fence on top of the role's own policy.
   *
   * @param tenantId the tenant's id (a literal or a token)
   */
  public renderSessionPolicy(tenantId: string): iam.PolicyDocument {
    validateTenantId('tenantId', tenantId);
    return this.sessionPolicy(tenantId);
  }

  /**
   * Environment variables that carry everything a running service needs: how to scope requests, the
   * tenant-access role ARN, the session tag key or session-policy template, the fixed tenant id, and one
   * variable per table with its name. The runtime helper `cdk-ecs-saas/lib/runtime` reads them.
   */
  public get environment(): { [key: string]: string } {
    const env: { [key: string]: string } = { [ENV_SCOPING]: this.scoping };
    if (this.accessRole) {
      env[ENV_ROLE_ARN] = this.accessRole.roleArn;
    }
    if (this.tenantIdTagKey) {
      env[ENV_TAG_KEY] = this.tenantIdTagKey;
    }
    if (this.scoping === TenantScoping.SESSION_POLICY) {
      env[ENV_SESSION_POLICY] = Stack.of(this).toJsonString(
        this.sessionPolicy(TENANT_ID_PLACEHOLDER).toJSON(),
      );
    }
    if (this.tenantId !== undefined) {
      env[ENV_TENANT_ID] = this.tenantId;
    }
    for (const t of [...this.pooled, ...this.silo]) {
      env[t.environmentVariable] = t.table.tableName;
    }
    return env;
  }

  /**
   * Hands `environment` to an ECS container.
   *
   * @param container the container that runs the service
   */
  public addToContainer(container: ecs.ContainerDefinition): void {
    for (const [name, value] of Object.entries(this.environment)) {
      container.addEnvironment(name, value);
    }
  }

  private sessionPolicy(tenantValue: string): iam.PolicyDocument {
    return iam.PolicyDocument.fromJson({
      Version: '2012-10-17',
      Statement: pooledStatements(this.policyTables(this.pooled), tenantValue),
    });
  }

  private createAccessRole(): iam.Role {
    const principal = this.grantee.grantPrincipal;
    const assumedBy =
      this.scoping === TenantScoping.SESSION_TAGS
        ? new iam.PrincipalWithConditions(new iam.SessionTagsPrincipal(principal), {
          // The session must carry the tenant tag, and no other tag.
          'StringLike': { [`aws:RequestTag/${this.tenantIdTagKey}`]: '?*' },
          'ForAllValues:StringEquals': { 'aws:TagKeys': [this.tenantIdTagKey] },
        })
        : principal;

    // Sessions last at most one hour: the grantee is itself a role, and role chaining caps sessions at one hour.
    const role = new iam.Role(this, 'AccessRole', {
      assumedBy,
      description: `Tenant-scoped DynamoDB access (${this.scoping}) for ${this.node.path}`.slice(0, 1000),
    });

    const tenantValue =
      this.scoping === TenantScoping.SESSION_TAGS ? `\${aws:PrincipalTag/${this.tenantIdTagKey}}` : undefined;
    for (const t of this.pooled) {
      // With session tags the role itself is tenant-fenced. With session policies the session policy adds the
      // tenant fence; the role still refuses any request without a partition key.
      const conditions = tenantValue
        ? leadingKeysCondition(tenantValue)
        : { Null: { 'dynamodb:LeadingKeys': 'false' } };
      this.grantOnTable(role, t, actionsFor(t.level, false), conditions);
    }

    const assumeActions =
      this.scoping === TenantScoping.SESSION_TAGS ? ['sts:AssumeRole', 'sts:TagSession'] : ['sts:AssumeRole'];
    iam.Grant.addToPrincipal({ grantee: this.grantee, actions: assumeActions, resourceArns: [role.roleArn] }).assertSuccess();
    return role;
  }

  private grantFixedTenant(tenantId: string): void {
    for (const t of this.pooled) {
      this.grantOnTable(this.grantee, t, actionsFor(t.level, false), leadingKeysCondition(tenantId));
    }
  }

  private grantOnTable(
    grantee: iam.IGrantable,
    t: ResolvedTable,
    actions: string[],
    conditions?: Record<string, Record<string, unknown>>,
  ): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions,
      resourceArns: tableResources(this.policyTable(t)),
      conditions,
    }).assertSuccess();
    if (t.table.encryptionKey) {
      // The key only through DynamoDB, in this region: not for direct encrypt or decrypt calls.
      iam.Grant.addToPrincipal({
        grantee,
        actions: kmsActionsFor(t.level),
        resourceArns: [t.table.encryptionKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com` } },
      }).assertSuccess();
    }
  }

  private policyTables(tables: ResolvedTable[]): PolicyTable[] {
    return tables.map((t) => this.policyTable(t));
  }

  private policyTable(t: ResolvedTable): PolicyTable {
    return { tableArn: t.table.tableArn, level: t.level, indexNames: t.indexNames };
  }
}
