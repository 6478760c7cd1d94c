import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { CorsPolicy } from './cors-policy';
import { HttpMethod } from './http-method';
import { TableAccessLevel } from '../data/table-access-level';
import { ResolvedCors, resolveCors } from '../private/cors';

/**
 * Who a table belongs to.
 */
export enum TableSharing {
  /** One table for all tenants of a tier, partitioned by tenant id and fenced by `dynamodb:LeadingKeys`. */
  POOLED = 'POOLED',
  /** One table per tenant, reached only by that tenant's task roles. Not available in the pooled tier. */
  PER_TENANT = 'PER_TENANT',
}


/**
 * A table of the SaaS application.
 */
export interface TableDefinition {
  /**
   * Name of the table in the application: lowercase letters, digits and hyphens (`products`). It names the
   * environment variable that carries the table's physical name (`PRODUCTS_TABLE_NAME`), not the table itself.
   */
  readonly name: string;

  /**
   * Whether tenants share the table or each tenant has its own.
   */
  readonly sharing: TableSharing;

  /**
   * Partition key. A pooled table's partition key holds the tenant id and must be a string.
   *
   * @default - `tenantId` (string) for a pooled table, `id` (string) for a per-tenant table
   */
  readonly partitionKey?: dynamodb.Attribute;

  /**
   * Sort key.
   *
   * @default - `id` (string) for a POOLED table, whose partition holds all of a tenant's items; none for PER_TENANT
   */
  readonly sortKey?: dynamodb.Attribute;

  /**
   * The attribute DynamoDB expires items by (time to live): a number of seconds since the epoch. Items past it are
   * deleted by DynamoDB within days, at no write cost; reads should still ignore them until then.
   *
   * @default - items do not expire
   */
  readonly timeToLiveAttribute?: string;
}

/**
 * How a service uses a table.
 */
export interface ServiceTableAccess {
  /** The table's name in the application (`TableDefinition.name`). */
  readonly table: string;

  /**
   * What the service may do with the table's items.
   *
   * @default TableAccessLevel.READ_WRITE
   */
  readonly accessLevel?: TableAccessLevel;
}

/**
 * A microservice of the SaaS application.
 */
export interface ServiceDefinition {
  /**
   * Name of the service: 1 to 20 lowercase letters, digits and hyphens, starting with a letter. It is the
   * service's Service Connect name inside a tenant (`http://<name>:<port>`).
   */
  readonly name: string;

  /** The container image. */
  readonly image: ecs.ContainerImage;

  /**
   * Path prefix the service answers under, such as `/products`. Requests are routed to the service by it.
   */
  readonly pathPrefix: string;

  /**
   * Port the container listens on.
   *
   * @default 8080
   */
  readonly containerPort?: number;

  /**
   * Task CPU units (Fargate combinations apply on Fargate capacity).
   *
   * @default 256
   */
  readonly cpu?: number;

  /**
   * Task memory in MiB.
   *
   * @default 512
   */
  readonly memoryLimitMiB?: number;

  /**
   * Path of the service's unauthenticated health check.
   *
   * @default '/health'
   */
  readonly healthCheckPath?: string;

  /**
   * The container's health check.
   *
   * @default - `wget -q -O /dev/null http://localhost:<port><healthCheckPath>` (the image needs wget, as
   * Alpine and BusyBox images have)
   */
  readonly containerHealthCheck?: ecs.HealthCheck;

  /**
   * The command of the container.
   *
   * @default - the image's command
   */
  readonly command?: string[];

  /**
   * Extra environment variables. The tiers add `TENANT_ID` (for silo tenants), `TIER_NAME`, and the
   * variables of ScopedDynamoAccess.
   *
   * @default - none
   */
  readonly environment?: { [key: string]: string };

  /**
   * HTTP methods the service answers.
   *
   * @default - GET, HEAD, POST, PUT, PATCH, DELETE and OPTIONS
   */
  readonly httpMethods?: HttpMethod[];

  /**
   * Fewest tasks. Fewer than 2 means downtime when a task fails or is replaced (the tiers warn).
   *
   * @default 2
   */
  readonly minTasks?: number;

  /**
   * Most tasks that CPU-based autoscaling may run.
   *
   * @default 10
   */
  readonly maxTasks?: number;

  /**
   * Average CPU utilization that autoscaling keeps the service at.
   *
   * @default 60
   */
  readonly targetCpuUtilizationPercent?: number;

  /**
   * Tables the service uses.
   *
   * @default - none
   */
  readonly tables?: ServiceTableAccess[];
}

/**
 * Properties of a SaasApplication.
 */
export interface SaasApplicationProps {
  /** The application's microservices. */
  readonly services: ServiceDefinition[];

  /**
   * The application's tables.
   *
   * @default - none
   */
  readonly tables?: TableDefinition[];

  /**
   * Which browser pages on other origins may call the application's API. The tenant router answers their preflights
   * and its own errors with CORS headers, and each tenant proxy adds them to the services' answers.
   *
   * @default - no CORS: only callers that are not browsers on another origin (servers, mobile apps, same-origin pages)
   */
  readonly cors?: CorsPolicy;
}

/**
 * The SaaS application, described once: its microservices and the tables they use, each table pooled or per
 * tenant. Every tier deploys the same application; tiers differ only in what their tenants share.
 *
 * The guide's bridge model (a pooled product table, per-tenant order tables) is one line per table.
 *
 * @example
 * declare const productImage: ecs.ContainerImage;
 * declare const orderImage: ecs.ContainerImage;
 *
 * const app = new SaasApplication({
 *   tables: [
 *     { name: 'products', sharing: TableSharing.POOLED },
 *     { name: 'orders', sharing: TableSharing.PER_TENANT },
 *   ],
 *   services: [
 *     { name: 'products', image: productImage, pathPrefix: '/products', tables: [{ table: 'products' }] },
 *     { name: 'orders', image: orderImage, pathPrefix: '/orders', tables: [{ table: 'orders' }] },
 *   ],
 * });
 */
export class SaasApplication {
  /** The services, with defaults applied. */
  public readonly services: ServiceDefinition[];

  /** The tables, with defaults applied. */
  public readonly tables: TableDefinition[];

  /** Which browser pages on other origins may call the API, as given. */
  public readonly cors?: CorsPolicy;

  /**
   * The CORS policy with its defaults applied.
   * @internal
   */
  public readonly _cors?: ResolvedCors;

  constructor(props: SaasApplicationProps) {
    this.cors = props.cors;
    this._cors = props.cors ? resolveCors(props.cors, 'cors') : undefined;
    this.tables = (props.tables ?? []).map((t, i) => validateTable(t, `tables[${i}]`));
    this.services = props.services.map((s, i) => validateService(s, `services[${i}]`, this.tables));
    if (this.services.length === 0) {
      throw new Error('services is empty: an application needs at least one service.');
    }
    rejectDuplicates(this.tables.map((t) => t.name), 'tables', 'name');
    rejectDuplicates(this.services.map((s) => s.name), 'services', 'name');
    rejectDuplicates(this.services.map((s) => s.pathPrefix), 'services', 'pathPrefix');
    for (let i = 0; i < this.services.length; i++) {
      for (let j = 0; j < this.services.length; j++) {
        const a = this.services[i].pathPrefix;
        const b = this.services[j].pathPrefix;
        if (i !== j && b.startsWith(`${a}/`)) {
          throw new Error(
            `services[${j}].pathPrefix '${b}' is inside services[${i}].pathPrefix '${a}': path prefixes must not nest, or routing would be ambiguous.`,
          );
        }
      }
    }
  }

  /** The table definition with this name. */
  public table(name: string): TableDefinition {
    const table = this.tables.find((t) => t.name === name);
    if (!table) {
      throw new Error(`No table '${name}' in the application; its tables: ${this.tables.map((t) => t.name).join(', ') || 'none'}.`);
    }
    return table;
  }

  /** The pooled tables. */
  public get pooledTables(): TableDefinition[] {
    return this.tables.filter((t) => t.sharing === TableSharing.POOLED);
  }

  /** The per-tenant tables. */
  public get perTenantTables(): TableDefinition[] {
    return this.tables.filter((t) => t.sharing === TableSharing.PER_TENANT);
  }

  /** The path prefixes of all services, in order (the router builds its API from them). */
  public get pathPrefixes(): string[] {
    return this.services.map((s) => s.pathPrefix);
  }
}

const NAME_PATTERN = /^[a-z][a-z0-9-]{0,19}$/;
const PATH_PATTERN = /^\/[a-z0-9][a-z0-9-]*(\/[a-z0-9][a-z0-9-]*)*$/;
const ALL_METHODS = [
  HttpMethod.GET,
  HttpMethod.HEAD,
  HttpMethod.POST,
  HttpMethod.PUT,
  HttpMethod.PATCH,
  HttpMethod.DELETE,
  HttpMethod.OPTIONS,
];

/** Attribute names the library accepts for time to live (DynamoDB allows more; these need no escaping anywhere). */
const TTL_ATTRIBUTE_PATTERN = /^[A-Za-z0-9_.-]{1,255}$/;

function validateTable(t: TableDefinition, prop: string): TableDefinition {
  if (!NAME_PATTERN.test(t.name)) {
    throw new Error(`${prop}.name must be 1 to 20 lowercase letters, digits and hyphens, starting with a letter; got '${t.name}'.`);
  }
  const partitionKey =
    t.partitionKey ??
    (t.sharing === TableSharing.POOLED
      ? { name: 'tenantId', type: dynamodb.AttributeType.STRING }
      : { name: 'id', type: dynamodb.AttributeType.STRING });
  if (t.sharing === TableSharing.POOLED && partitionKey.type !== dynamodb.AttributeType.STRING) {
    throw new Error(
      `${prop}.partitionKey of pooled table '${t.name}' has type ${partitionKey.type}; a pooled table's partition key holds the tenant id and must be STRING.`,
    );
  }
  // A pooled table holds many items per tenant: its items are keyed by tenant and id unless told otherwise.
  const sortKey = t.sortKey ?? (t.sharing === TableSharing.POOLED ? { name: 'id', type: dynamodb.AttributeType.STRING } : undefined);
  const ttl = t.timeToLiveAttribute;
  if (ttl !== undefined && (!TTL_ATTRIBUTE_PATTERN.test(ttl) || ttl === partitionKey.name || ttl === sortKey?.name)) {
    throw new Error(
      `${prop}.timeToLiveAttribute of table '${t.name}' must be 1 to 255 letters, digits, '_', '-' and '.', other than the table's key attributes (${[partitionKey.name, sortKey?.name].filter(Boolean).join(', ')}); got '${ttl}'.`,
    );
  }
  return { ...t, partitionKey, sortKey };
}

function validateService(s: ServiceDefinition, prop: string, tables: TableDefinition[]): ServiceDefinition {
  if (!NAME_PATTERN.test(s.name)) {
    throw new Error(`${prop}.name must be 1 to 20 lowercase letters, digits and hyphens, starting with a letter; got '${s.name}'.`);
  }
  if (!PATH_PATTERN.test(s.pathPrefix)) {
    throw new Error(
      `${prop}.pathPrefix must start with '/' and hold lowercase path segments of letters, digits and hyphens, without a trailing '/'; got '${s.pathPrefix}'.`,
    );
  }
  if (s.pathPrefix === '/health') {
    throw new Error(`${prop}.pathPrefix '/health' is the tenant proxy's own health endpoint: choose another prefix.`);
  }
  const port = s.containerPort ?? 8080;
  if (!Number.isInteger(port) || port < 1 || port > 65535 || port === 80) {
    throw new Error(`${prop}.containerPort must be a port from 1 to 65535 other than 80 (the tenant proxy's); got ${port}.`);
  }
  const healthCheckPath = s.healthCheckPath ?? '/health';
  if (!/^\/[A-Za-z0-9/_.-]*$/.test(healthCheckPath)) {
    throw new Error(`${prop}.healthCheckPath must be a path starting with '/'; got '${healthCheckPath}'.`);
  }
  const minTasks = s.minTasks ?? 2;
  const maxTasks = s.maxTasks ?? 10;
  if (!Number.isInteger(minTasks) || minTasks < 1) {
    throw new Error(`${prop}.minTasks must be a whole number of at least 1; got ${minTasks}.`);
  }
  if (!Number.isInteger(maxTasks) || maxTasks < minTasks) {
    throw new Error(`${prop}.maxTasks must be a whole number of at least minTasks (${minTasks}); got ${maxTasks}.`);
  }
  const target = s.targetCpuUtilizationPercent ?? 60;
  if (!(target >= 10 && target <= 90)) {
    throw new Error(`${prop}.targetCpuUtilizationPercent must be from 10 to 90; got ${target}.`);
  }
  const methods = s.httpMethods ?? ALL_METHODS;
  if (methods.length === 0) {
    throw new Error(`${prop}.httpMethods is empty: a service must answer at least one method.`);
  }
  for (const [i, access] of (s.tables ?? []).entries()) {
    if (!tables.some((t) => t.name === access.table)) {
      throw new Error(
        `${prop}.tables[${i}].table '${access.table}' is not a table of the application; its tables: ${tables.map((t) => t.name).join(', ') || 'none'}.`,
      );
    }
  }
  rejectDuplicates((s.tables ?? []).map((t) => t.table), `${prop}.tables`, 'table');
  return {
    ...s,
    containerPort: port,
    cpu: s.cpu ?? 256,
    memoryLimitMiB: s.memoryLimitMiB ?? 512,
    healthCheckPath,
    httpMethods: [...new Set(methods)],
    minTasks,
    maxTasks,
    targetCpuUtilizationPercent: target,
    tables: s.tables ?? [],
  };
}

function rejectDuplicates(values: string[], prop: string, field: string): void {
  const seen = new Map<string, number>();
  values.forEach((v, i) => {
    if (seen.has(v)) {
      throw new Error(`${prop}[${i}].${field} '${v}' is already used by ${prop}[${seen.get(v)}]: each must be unique.`);
    }
    seen.set(v, i);
  });
}
