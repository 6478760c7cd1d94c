import { actionsFor, AccessLevelName } from './dynamo-actions';

/** One table as the policy builder sees it: plain strings, so the runtime can use the same code. */
export interface PolicyTable {
  readonly tableArn: string;
  readonly level: AccessLevelName;
  /** Secondary indexes granted along with the table, by name. */
  readonly indexNames: string[];
}

/** An IAM policy statement in JSON form. */
export interface StatementJson {
  readonly Effect: 'Allow';
  readonly Action: string[];
  readonly Resource: string[];
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** The resources a table entry covers: the table and the indexes named for it (never `index/*`). */
export function tableResources(table: PolicyTable): string[] {
  return [table.tableArn, ...table.indexNames.map((name) => `${table.tableArn}/index/${name}`)];
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
  // One statement per access level keeps a session policy small (STS allows 2,048 characters).
  const byLevel = new Map<AccessLevelName, string[]>();
  for (const t of tables) {
    byLevel.set(t.level, [...(byLevel.get(t.level) ?? []), ...tableResources(t)]);
  }
  return [...byLevel.entries()].map(([level, resources]) => ({
    Effect: 'Allow',
    Action: actionsFor(level, false),
    Resource: resources,
    Condition: leadingKeysCondition(tenantValue),
  }));
}
