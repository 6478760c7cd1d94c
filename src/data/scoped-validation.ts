import { Annotations, Stack, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { ScopedDynamoAccess, ScopedDynamoAccessProps, ScopedTable } from './scoped-dynamo-access';
import { TableAccessLevel } from './table-access-level';
import { TenantScoping } from './tenant-scoping';
import { validateTenantId } from '../private/tenant-id';

/**
 * The checks of ScopedDynamoAccess's props, each failing at synth time with the prop, the value and what is allowed.
 */
export interface ResolvedTable {
  readonly table: dynamodb.ITable;
  readonly level: TableAccessLevel;
  readonly indexNames: string[];
  readonly environmentVariable: string;
  readonly prop: string;
}

const TAG_KEY_PATTERN = /^[A-Za-z0-9_.:/=+\-@]{1,128}$/;
const ENV_VAR_PATTERN = /^[A-Z_][A-Z0-9_]*$/;

export function resolveScoping(props: ScopedDynamoAccessProps): TenantScoping {
  const scoping =
    props.scoping ?? (props.tenantId !== undefined ? TenantScoping.FIXED_TENANT : TenantScoping.SESSION_TAGS);
  if (scoping === TenantScoping.FIXED_TENANT) {
    if (props.tenantId === undefined) {
      throw new Error('scoping FIXED_TENANT requires tenantId: name the one tenant this grantee serves.');
    }
    validateTenantId('tenantId', props.tenantId);
    if (props.tenantIdTagKey !== undefined) {
      throw new Error(
        `tenantIdTagKey applies only when the grantee serves many tenants; got tenantId '${props.tenantId}' with tenantIdTagKey '${props.tenantIdTagKey}'. Remove one of them.`,
      );
    }
    return scoping;
  }
  if (props.tenantId !== undefined) {
    throw new Error(
      `tenantId '${props.tenantId}' conflicts with scoping ${scoping}: a fixed tenant uses FIXED_TENANT (the default when tenantId is set). Remove scoping or tenantId.`,
    );
  }
  if (scoping === TenantScoping.SESSION_POLICY && props.tenantIdTagKey !== undefined) {
    throw new Error(
      `tenantIdTagKey '${props.tenantIdTagKey}' applies only to scoping SESSION_TAGS; got scoping SESSION_POLICY. Remove tenantIdTagKey.`,
    );
  }
  return scoping;
}

export function resolveTable(t: ScopedTable, prop: string, pooled: boolean): ResolvedTable {
  if (pooled) {
    const type = partitionKeyType(t.table);
    if (type !== undefined && type !== 'S') {
      throw new Error(
        `${prop}.table '${t.table.node.path}' has a partition key of type ${type}; a pooled table needs a STRING partition key that holds the tenant id.`,
      );
    }
  }
  const environmentVariable = t.environmentVariable ?? defaultEnvironmentVariable(t.table.node.id);
  if (!ENV_VAR_PATTERN.test(environmentVariable)) {
    throw new Error(
      `${prop}.environmentVariable must be upper-case letters, digits and underscores, not starting with a digit; got '${environmentVariable}'.`,
    );
  }
  for (const name of t.indexNames ?? []) {
    if (!/^[A-Za-z0-9_.-]{3,255}$/.test(name)) {
      throw new Error(`${prop}.indexNames has '${name}'; index names are 3 to 255 characters of letters, digits and _.-.`);
    }
  }
  return {
    table: t.table,
    level: t.accessLevel ?? TableAccessLevel.READ_WRITE,
    indexNames: t.indexNames ?? [],
    environmentVariable,
    prop,
  };
}

export function validateTables(pooled: ResolvedTable[], silo: ResolvedTable[]): void {
  const all = [...pooled, ...silo];
  if (all.length === 0) {
    throw new Error('pooledTables and siloTables are both empty: give at least one table.');
  }
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      if (sameTable(all[i].table, all[j].table)) {
        throw new Error(
          `${all[j].prop} is the same table as ${all[i].prop} ('${all[i].table.node.path}'): list each table once, as pooled or as silo.`,
        );
      }
      if (all[i].environmentVariable === all[j].environmentVariable) {
        throw new Error(
          `${all[j].prop}.environmentVariable '${all[j].environmentVariable}' is already used by ${all[i].prop}: give each table its own environmentVariable.`,
        );
      }
    }
  }
}

export function sameTable(a: dynamodb.ITable, b: dynamodb.ITable): boolean {
  if (a === b) {
    return true;
  }
  return !Token.isUnresolved(a.tableName) && a.tableName === b.tableName;
}

export function validateTagKey(key: string): void {
  if (!TAG_KEY_PATTERN.test(key) || key.toLowerCase().startsWith('aws:')) {
    throw new Error(
      `tenantIdTagKey must be 1 to 128 characters of letters, digits and _.:/=+-@, not starting with 'aws:'; got '${key}'.`,
    );
  }
}

interface KnownSchema {
  readonly partitionKeys: string[];
  readonly attributeTypes: Record<string, string>;
  readonly globalIndexes: Record<string, string[]>;
  readonly localIndexes: string[];
}

/**
 * Key schema of a table created in this app (Table or TableV2), read from its CloudFormation resource; undefined
 * for imported tables, whose schema is unknown at synth time.
 */
export function knownSchema(table: dynamodb.ITable): KnownSchema | undefined {
  const cfn = table.node.defaultChild;
  if (!(cfn instanceof dynamodb.CfnTable) && !(cfn instanceof dynamodb.CfnGlobalTable)) {
    return undefined;
  }
  const stack = Stack.of(cfn);
  const hashKeys = (keySchema: any): string[] =>
    ((stack.resolve(keySchema) ?? []) as any[]).filter((k) => k.keyType === 'HASH').map((k) => k.attributeName);
  const attributeTypes: Record<string, string> = {};
  for (const a of (stack.resolve(cfn.attributeDefinitions) ?? []) as any[]) {
    attributeTypes[a.attributeName] = a.attributeType;
  }
  const globalIndexes: Record<string, string[]> = {};
  for (const gsi of (stack.resolve(cfn.globalSecondaryIndexes) ?? []) as any[]) {
    globalIndexes[gsi.indexName] = hashKeys(gsi.keySchema);
  }
  const localIndexes = ((stack.resolve(cfn.localSecondaryIndexes) ?? []) as any[]).map((l) => l.indexName);
  return { partitionKeys: hashKeys(cfn.keySchema), attributeTypes, globalIndexes, localIndexes };
}

/** The partition key type of a table whose schema is known here. */
export function partitionKeyType(table: dynamodb.ITable): string | undefined {
  const schema = knownSchema(table);
  return schema?.partitionKeys.length === 1 ? schema.attributeTypes[schema.partitionKeys[0]] : undefined;
}

/**
 * Checks, once the app is complete (indexes may be added after this construct), that every index granted on a
 * pooled table is keyed by the tenant id. Returns error messages.
 */
export function validatePooledIndexes(t: ResolvedTable): string[] {
  if (t.indexNames.length === 0) {
    return [];
  }
  const schema = knownSchema(t.table);
  if (!schema) {
    Annotations.of(t.table).addWarningV2(
      'cdk-ecs-saas:pooledIndexKeyUnverified',
      `${t.prop}.indexNames [${t.indexNames.join(', ')}] of an imported table cannot be checked: each must be a local index or a global index whose partition key is the table's partition key (the tenant id), or tenants can see each other's items through it.`,
    );
    return [];
  }
  const errors: string[] = [];
  for (const name of t.indexNames) {
    if (schema.localIndexes.includes(name)) {
      continue;
    }
    const keys = schema.globalIndexes[name];
    if (!keys) {
      errors.push(`${t.prop}.indexNames has '${name}', which is not an index of '${t.table.node.path}'; its indexes: ${[...Object.keys(schema.globalIndexes), ...schema.localIndexes].join(', ') || 'none'}.`);
    } else if (keys.length !== 1 || keys[0] !== schema.partitionKeys[0]) {
      errors.push(`${t.prop}.indexNames has '${name}', whose partition key is [${keys.join(', ')}]; on a pooled table an index must be partitioned by the tenant id '${schema.partitionKeys[0]}', or tenants can see each other's items through it.`);
    }
  }
  return errors;
}

/** Which scoping (and fixed tenant) each grantee already has: one grantee serves many tenants or one. */
const GRANTEES = new WeakMap<iam.IPrincipal, { scoping: TenantScoping; tenantId?: string; path: string }>();

export function validateGrantee(access: ScopedDynamoAccess, props: ScopedDynamoAccessProps): void {
  const principal = props.grantee.grantPrincipal;
  if (!(principal as Partial<iam.IRole>).roleArn) {
    throw new Error(
      `grantee must be an IAM role (an ECS task role, a Lambda function, a role): only that role may assume the tenant-access role or hold a tenant's data; got ${principal.toString()}.`,
    );
  }
  const previous = GRANTEES.get(principal);
  if (previous && (previous.scoping !== access.scoping || previous.tenantId !== props.tenantId)) {
    const describe = (scoping: TenantScoping, tenantId?: string) =>
      tenantId === undefined ? scoping : `${scoping} for tenant '${tenantId}'`;
    throw new Error(
      `grantee already has ${describe(previous.scoping, previous.tenantId)} from '${previous.path}'; got ${describe(access.scoping, props.tenantId)}. A grantee serves many tenants or one: give each tenant its own role.`,
    );
  }
  GRANTEES.set(principal, { scoping: access.scoping, tenantId: props.tenantId, path: access.node.path });
}

/** STS refuses session policies over 2,048 characters; table ARNs that are tokens count as 100 characters. */
export function validateSessionPolicySize(policy: iam.PolicyDocument): void {
  const json = JSON.stringify(policy.toJSON());
  const estimate = json.replace(/\$\{Token\[[^\]]+\]\}/g, 'x'.repeat(100)).length;
  if (estimate > 2048) {
    throw new Error(
      `pooledTables make a session policy of about ${estimate} characters; STS allows 2,048. Use scoping SESSION_TAGS, or fewer tables or indexes per grantee.`,
    );
  }
}

export function defaultEnvironmentVariable(constructId: string): string {
  const snake = constructId
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toUpperCase();
  return snake.endsWith('_TABLE') || snake === 'TABLE' ? `${snake}_NAME` : `${snake}_TABLE_NAME`;
}
