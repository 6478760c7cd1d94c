import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { HttpMethod, SaasApplication, ServiceDefinition, SiloServiceTier, TableAccessLevel, TableSharing } from '../src';
import { IMAGE, vpcStack } from './util/fixtures';

const service = (o: Partial<ServiceDefinition> = {}): ServiceDefinition => ({ name: 'products', image: IMAGE, pathPrefix: '/products', ...o });

test('applies production defaults to services and tables', () => {
  const app = new SaasApplication({
    tables: [
      { name: 'products', sharing: TableSharing.POOLED },
      { name: 'orders', sharing: TableSharing.PER_TENANT },
    ],
    services: [service({ tables: [{ table: 'products', accessLevel: TableAccessLevel.READ }] })],
  });
  expect(app.services[0]).toMatchObject({
    containerPort: 8080,
    cpu: 256,
    memoryLimitMiB: 512,
    healthCheckPath: '/health',
    minTasks: 2,
    maxTasks: 10,
    targetCpuUtilizationPercent: 60,
    httpMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
  });
  expect(app.table('products').partitionKey).toEqual({ name: 'tenantId', type: dynamodb.AttributeType.STRING });
  expect(app.table('orders').partitionKey).toEqual({ name: 'id', type: dynamodb.AttributeType.STRING });
  // A pooled table holds many items per tenant: sort key 'id' unless given; a per-tenant table has none by default.
  expect(app.table('products').sortKey).toEqual({ name: 'id', type: dynamodb.AttributeType.STRING });
  expect(app.table('orders').sortKey).toBeUndefined();
  expect(app.pooledTables.map((t) => t.name)).toEqual(['products']);
  expect(app.perTenantTables.map((t) => t.name)).toEqual(['orders']);
  expect(app.pathPrefixes).toEqual(['/products']);
});

test('a table\'s time-to-live attribute is set on its tables, pooled and per tenant', () => {
  const application = new SaasApplication({
    tables: [
      { name: 'products', sharing: TableSharing.POOLED },
      { name: 'idempotency', sharing: TableSharing.POOLED, timeToLiveAttribute: 'expiration' },
      { name: 'sessions', sharing: TableSharing.PER_TENANT, timeToLiveAttribute: 'expiresAt' },
    ],
    services: [service({ tables: [{ table: 'products' }, { table: 'idempotency' }, { table: 'sessions' }] })],
  });
  const { stack, vpc } = vpcStack();
  new SiloServiceTier(stack, 'Advanced', { vpc, application, tenants: ['acme'] });
  const tables = Object.values(Template.fromStack(stack).findResources('AWS::DynamoDB::Table')).map((t: any) => ({
    keys: t.Properties.KeySchema.map((k: any) => k.AttributeName).join('+'),
    ttl: t.Properties.TimeToLiveSpecification,
  }));
  // The tier's pooled tables, and the tenant's own sessions table.
  expect(tables).toEqual(expect.arrayContaining([
    { keys: 'tenantId+id', ttl: undefined },
    { keys: 'tenantId+id', ttl: { AttributeName: 'expiration', Enabled: true } },
    { keys: 'id', ttl: { AttributeName: 'expiresAt', Enabled: true } },
  ]));
  expect(tables).toHaveLength(3);
});

describe('validation', () => {
  const build = (props: Partial<ConstructorParameters<typeof SaasApplication>[0]>) => () =>
    new SaasApplication({ services: [service()], ...props });

  test('fails when there is no service', () => {
    expect(build({ services: [] })).toThrow('services is empty: an application needs at least one service.');
  });
  test.each(['Products', '1st', 'a'.repeat(21), 'my_service'])('fails on an invalid service name (%s)', (name) => {
    expect(build({ services: [service({ name })] })).toThrow(
      `services[0].name must be 1 to 20 lowercase letters, digits and hyphens, starting with a letter; got '${name}'.`,
    );
  });
  test.each(['products', '/', '/products/', '/Products', '/a b'])('fails on an invalid path prefix (%s)', (pathPrefix) => {
    expect(build({ services: [service({ pathPrefix })] })).toThrow('services[0].pathPrefix must start with \'/\'');
  });
  test.each([0, 80, 70000, 1.5])('fails on an invalid port (%s)', (containerPort) => {
    expect(build({ services: [service({ containerPort })] })).toThrow(
      `services[0].containerPort must be a port from 1 to 65535 other than 80 (the tenant proxy's); got ${containerPort}.`,
    );
  });
  test('fails when a path prefix takes the proxy\'s health endpoint', () => {
    expect(build({ services: [service({ pathPrefix: '/health' })] })).toThrow(
      "services[0].pathPrefix '/health' is the tenant proxy's own health endpoint: choose another prefix.",
    );
  });

  test('fails on an invalid health-check path', () => {
    expect(build({ services: [service({ healthCheckPath: 'health' })] })).toThrow(
      "services[0].healthCheckPath must be a path starting with '/'; got 'health'.",
    );
  });
  test('fails on invalid scaling bounds', () => {
    expect(build({ services: [service({ minTasks: 0 })] })).toThrow('services[0].minTasks must be a whole number of at least 1; got 0.');
    expect(build({ services: [service({ minTasks: 3, maxTasks: 2 })] })).toThrow(
      'services[0].maxTasks must be a whole number of at least minTasks (3); got 2.',
    );
    expect(build({ services: [service({ targetCpuUtilizationPercent: 95 })] })).toThrow(
      'services[0].targetCpuUtilizationPercent must be from 10 to 90; got 95.',
    );
  });
  test('fails when a service answers no method', () => {
    expect(build({ services: [service({ httpMethods: [] })] })).toThrow(
      'services[0].httpMethods is empty: a service must answer at least one method.',
    );
  });
  test('fails when a service uses an unknown table', () => {
    expect(build({ services: [service({ tables: [{ table: 'orders' }] })] })).toThrow(
      "services[0].tables[0].table 'orders' is not a table of the application; its tables: none.",
    );
  });
  test('fails when a service lists a table twice', () => {
    expect(
      build({ tables: [{ name: 'products', sharing: TableSharing.POOLED }], services: [service({ tables: [{ table: 'products' }, { table: 'products' }] })] }),
    ).toThrow("services[0].tables[1].table 'products' is already used by services[0].tables[0]: each must be unique.");
  });
  test('fails on duplicate service names and path prefixes', () => {
    expect(build({ services: [service(), service({ pathPrefix: '/other' })] })).toThrow(
      "services[1].name 'products' is already used by services[0]: each must be unique.",
    );
    expect(build({ services: [service(), service({ name: 'other' })] })).toThrow(
      "services[1].pathPrefix '/products' is already used by services[0]: each must be unique.",
    );
  });
  test('fails on nested path prefixes', () => {
    expect(build({ services: [service(), service({ name: 'reviews', pathPrefix: '/products/reviews' })] })).toThrow(
      "services[1].pathPrefix '/products/reviews' is inside services[0].pathPrefix '/products': path prefixes must not nest, or routing would be ambiguous.",
    );
  });
  test('fails on an invalid or duplicate table name', () => {
    expect(build({ tables: [{ name: 'Orders', sharing: TableSharing.POOLED }] })).toThrow(
      "tables[0].name must be 1 to 20 lowercase letters, digits and hyphens, starting with a letter; got 'Orders'.",
    );
    expect(
      build({ tables: [{ name: 'orders', sharing: TableSharing.POOLED }, { name: 'orders', sharing: TableSharing.PER_TENANT }] }),
    ).toThrow("tables[1].name 'orders' is already used by tables[0]: each must be unique.");
  });
  test('fails on a time-to-live attribute that is a key attribute or not a plain name', () => {
    expect(build({ tables: [{ name: 'products', sharing: TableSharing.POOLED, timeToLiveAttribute: 'id' }] })).toThrow(
      "tables[0].timeToLiveAttribute of table 'products' must be 1 to 255 letters, digits, '_', '-' and '.', other than the table's key attributes (tenantId, id); got 'id'.",
    );
    expect(build({ tables: [{ name: 'orders', sharing: TableSharing.PER_TENANT, timeToLiveAttribute: 'expires at' }] })).toThrow(
      "tables[0].timeToLiveAttribute of table 'orders' must be 1 to 255 letters, digits, '_', '-' and '.', other than the table's key attributes (id); got 'expires at'.",
    );
    expect(build({ tables: [{ name: 'orders', sharing: TableSharing.PER_TENANT, timeToLiveAttribute: '' }] })).toThrow("got ''.");
  });
  test('fails when a pooled table has a non-string partition key', () => {
    expect(
      build({ tables: [{ name: 'products', sharing: TableSharing.POOLED, partitionKey: { name: 'n', type: dynamodb.AttributeType.NUMBER } }] }),
    ).toThrow("tables[0].partitionKey of pooled table 'products' has type N; a pooled table's partition key holds the tenant id and must be STRING.");
  });
  test('table() names the tables that exist', () => {
    expect(() => new SaasApplication({ services: [service()] }).table('x')).toThrow("No table 'x' in the application; its tables: none.");
  });
  test('duplicate HTTP methods are folded', () => {
    const app = new SaasApplication({ services: [service({ httpMethods: [HttpMethod.GET, HttpMethod.GET] })] });
    expect(app.services[0].httpMethods).toEqual(['GET']);
  });
});
