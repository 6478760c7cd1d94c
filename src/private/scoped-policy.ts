import { actionsFor, AccessLevelName } from './dynamo-actions';

/** One table as the policy builder sees it: plain strings, so the runtime can use the same code. */
export interface PolicyTable {
  readonly tableArn: string;
  readonly level: AccessLevelName;
  readonly includeIndexes: boolean;
}

/** An IAM policy statement in JSON form. */
export interface StatementJson {
  readonly Effect: 'Allow';
  readonly Action: string[];
  readonly Resource: string[];
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** The resources a table entry covers: the table and, when asked for, its indexes. */
export function tableResources(table: PolicyTable): string[] {
  return table.includeIndexes ? [table.tableArn, `${table.tableArn}/index/*`] : [table.tableArn];
}

/**
 * The condition that fences a pooled-table statement to one tenant: every leading key in the request must
 * equal `tenantValue` (a literal tenant id or a policy variable), and a request must carry at least one
 * leading key (`Null: false`), so an action without a partition key can never match.
 */
export function leadingKeysCondition(tenantValue: string): Record<string, Record<string, unknown>> {
  return {
    'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [tenantValue] },
    'Null': { 'dynamodb:LeadingKeys': 'false' },
  };
}

/**
 * Statements for pooled tables fenced to `tenantValue`, one per table. `tenantValue` is a literal tenant id
 * (session policy, fixed tenant) or `${aws:PrincipalTag/<key>}` (session tags).
 */
export function pooledStatements(tables: PolicyTable[], tenantValue: string): StatementJson[] {
  return tables.map((t) => ({
    Effect: 'Allow',
    Action: actionsFor(t.level, false),
    Resource: tableResources(t),
    Condition: leadingKeysCondition(tenantValue),
  }));
}
