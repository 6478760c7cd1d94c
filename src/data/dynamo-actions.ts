/**
 * DynamoDB actions granted for each access level. Shared by the construct (synth time) and the runtime helper.
 *
 * Only item-level actions that carry a partition key are granted on pooled tables, so that every request
 * is fenced by `dynamodb:LeadingKeys`. Actions without a partition key (Scan, PartiQL, DescribeTable,
 * table administration, streams, exports) would be evaluated with an empty `dynamodb:LeadingKeys` set, which
 * a `ForAllValues` condition treats as a match. See docs/scoped-dynamo-access.md.
 */

/** Reads that name a partition key (Query on the table or an index names it in its key condition). */
export const KEYED_READ_ACTIONS: readonly string[] = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:ConditionCheckItem',
];

/** Writes that name a partition key. TransactWriteItems is authorised as these actions, item by item. */
export const KEYED_WRITE_ACTIONS: readonly string[] = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
];

/** Reads without a partition key: allowed on a silo table only, where the whole table is the tenant's. */
export const SILO_ONLY_READ_ACTIONS: readonly string[] = ['dynamodb:Scan'];

/** Access levels, as plain strings so the runtime helper can share this module without jsii types. */
export type AccessLevelName = 'READ' | 'WRITE' | 'READ_WRITE';

/** The actions for an access level on a pooled table (keyed actions only) or on a silo table. */
export function actionsFor(level: AccessLevelName, silo: boolean): string[] {
  const actions = new Set<string>();
  if (level === 'READ' || level === 'READ_WRITE') {
    KEYED_READ_ACTIONS.forEach((a) => actions.add(a));
    if (silo) {
      SILO_ONLY_READ_ACTIONS.forEach((a) => actions.add(a));
    }
  }
  if (level === 'WRITE' || level === 'READ_WRITE') {
    KEYED_WRITE_ACTIONS.forEach((a) => actions.add(a));
  }
  return [...actions].sort();
}

/** KMS actions needed when a table is encrypted with a customer-managed key (explicit names, no wildcards). */
export function kmsActionsFor(level: AccessLevelName): string[] {
  const actions = ['kms:Decrypt', 'kms:DescribeKey'];
  if (level === 'WRITE' || level === 'READ_WRITE') {
    actions.push('kms:Encrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom', 'kms:ReEncryptTo');
  }
  return actions;
}
