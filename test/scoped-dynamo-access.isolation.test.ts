import { App, CfnParameter, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ScopedDynamoAccess, TableAccessLevel, TenantScoping } from '../src';
import { findLogicalId, policiesOfRole, resolve } from './util/cfn';
import { checkIsolation, dynamoActions, IsolationCase } from './util/iam-harness';

/**
 * Proves tenant isolation on the policies in the synthesized template: for three tenants and every DynamoDB
 * action, a session reaches its own partition (or silo table) and nothing else.
 */

const TENANTS = ['alpha', 'beta', 'gamma'];

// Independent oracle: what each access level is documented to allow (TableAccessLevel's TSDoc table).
const POOLED_READ = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'];
const POOLED_WRITE = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
];
const POOLED_READ_WRITE = [...new Set([...POOLED_READ, ...POOLED_WRITE])];
const SILO_READ_WRITE = [...POOLED_READ_WRITE, 'dynamodb:Scan'];

function pooledStack(scoping: TenantScoping) {
  const app = new App();
  const stack = new Stack(app, 'Pooled');
  const products = new dynamodb.Table(stack, 'Products', {
    partitionKey: { name: 'tenantId', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'productId', type: dynamodb.AttributeType.STRING },
  });
  products.addGlobalSecondaryIndex({
    indexName: 'byCategory',
    partitionKey: { name: 'tenantId', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'category', type: dynamodb.AttributeType.STRING },
  });
  const orders = dynamodb.Table.fromTableName(stack, 'Orders', 'orders');
  const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
  const container = taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('app') });
  const access = new ScopedDynamoAccess(stack, 'Access', {
    grantee: taskDefinition.taskRole,
    scoping,
    pooledTables: [
      { table: products, accessLevel: TableAccessLevel.READ_WRITE, indexNames: ['byCategory'] },
      { table: orders, accessLevel: TableAccessLevel.READ },
    ],
  });
  access.addToContainer(container);
  const template = Template.fromStack(stack).toJSON() as any;
  const productsArn = resolve(template, stack.resolve(products.tableArn));
  const ordersArn = resolve(template, stack.resolve(orders.tableArn));
  return {
    template,
    accessRoleId: findLogicalId(template, 'AWS::IAM::Role', 'AccessAccessRole'),
    taskRoleId: findLogicalId(template, 'AWS::IAM::Role', 'TaskTaskRole'),
    pooledTables: [
      { arn: productsArn, ownActions: POOLED_READ_WRITE, indexNames: ['byCategory'] },
      { arn: ordersArn, ownActions: POOLED_READ, indexNames: [] },
    ],
  };
}

function sessionPolicyFromContainer(template: any, tenant: string): any {
  const taskDef = Object.values<any>(template.Resources).find((r) => r.Type === 'AWS::ECS::TaskDefinition');
  const env = taskDef.Properties.ContainerDefinitions[0].Environment as { Name: string; Value: any }[];
  const raw = resolve(template, env.find((e) => e.Name === 'SCOPED_DYNAMO_SESSION_POLICY')!.Value);
  // The runtime helper substitutes parsed values; do the same here.
  const substitute = (v: any): any =>
    v === '<<tenant-id>>'
      ? tenant
      : Array.isArray(v)
        ? v.map(substitute)
        : v && typeof v === 'object'
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x)]))
          : v;
  return substitute(JSON.parse(raw));
}

describe('pooled tables with session tags', () => {
  const s = pooledStack(TenantScoping.SESSION_TAGS);

  test.each(TENANTS)('tenant %s reaches its own partitions and nothing else', async (tenant) => {
    const report = await checkIsolation({
      tenant,
      tenants: TENANTS,
      identityPolicies: policiesOfRole(s.template, s.accessRoleId),
      principalContext: { 'aws:PrincipalTag/TenantId': tenant },
      pooledTables: s.pooledTables,
      siloTables: [],
    });
    expect(report.leaks).toEqual([]);
    expect(report.missing).toEqual([]);
    // Own partition: 8 actions on Products, Query on its index, 4 actions on Orders.
    expect(report.allowed).toBe(8 + 1 + 4);
    // Every DynamoDB action against every resource type, partition and mixed batch of both tables.
    expect(report.simulations).toBeGreaterThanOrEqual(319);
  });

  test('a session without the tenant tag reaches nothing', async () => {
    const report = await checkIsolation({
      tenant: 'alpha',
      tenants: TENANTS,
      identityPolicies: policiesOfRole(s.template, s.accessRoleId),
      pooledTables: s.pooledTables.map((t) => ({ ...t, ownActions: [] })),
      siloTables: [],
    });
    expect(report.allowed).toBe(0);
  });

  test('the task role itself has no DynamoDB access', async () => {
    const report = await checkIsolation({
      tenant: 'alpha',
      tenants: TENANTS,
      identityPolicies: policiesOfRole(s.template, s.taskRoleId),
      principalContext: { 'aws:PrincipalTag/TenantId': 'alpha' },
      pooledTables: s.pooledTables.map((t) => ({ ...t, ownActions: [] })),
      siloTables: [],
    });
    expect(report.allowed).toBe(0);
  });
});

describe('pooled tables with session policies', () => {
  const s = pooledStack(TenantScoping.SESSION_POLICY);

  test.each(TENANTS)('tenant %s reaches its own partitions and nothing else', async (tenant) => {
    const report = await checkIsolation({
      tenant,
      tenants: TENANTS,
      identityPolicies: policiesOfRole(s.template, s.accessRoleId),
      sessionPolicy: sessionPolicyFromContainer(s.template, tenant),
      pooledTables: s.pooledTables,
      siloTables: [],
    });
    expect(report.leaks).toEqual([]);
    expect(report.missing).toEqual([]);
    expect(report.allowed).toBe(8 + 1 + 4);
  });

  test('without its session policy the role is not tenant-fenced, but still refuses keyless actions', async () => {
    const report = await checkIsolation({
      tenant: 'alpha',
      tenants: TENANTS,
      identityPolicies: policiesOfRole(s.template, s.accessRoleId),
      pooledTables: s.pooledTables,
      siloTables: [],
    });
    expect(report.leaks.length).toBeGreaterThan(0);
    expect(report.leaks.every((l) => /partition '(beta|gamma)'|partitions 'alpha'\+/.test(l))).toBe(true);
  });
});

describe('silo tenants with a fixed tenant id (bridge model: pooled products, silo orders)', () => {
  const app = new App();
  const stack = new Stack(app, 'Silo');
  // One tenant comes from a template parameter, as in a tenant stack provisioned from a template.
  const tenantParam = new CfnParameter(stack, 'TenantId', { type: 'String' });
  const products = new dynamodb.Table(stack, 'Products', {
    partitionKey: { name: 'tenantId', type: dynamodb.AttributeType.STRING },
  });
  const tenantIds: Record<string, string> = { alpha: 'alpha', beta: 'beta', gamma: tenantParam.valueAsString };
  const roleIds: Record<string, string> = {};
  const orderTables: Record<string, dynamodb.Table> = {};
  for (const tenant of TENANTS) {
    const role = new iam.Role(stack, `Role${tenant}`, { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    orderTables[tenant] = new dynamodb.Table(stack, `Orders${tenant}`, {
      partitionKey: { name: 'orderId', type: dynamodb.AttributeType.STRING },
    });
    new ScopedDynamoAccess(stack, `Access${tenant}`, {
      grantee: role,
      tenantId: tenantIds[tenant],
      pooledTables: [{ table: products }],
      siloTables: [{ table: orderTables[tenant] }],
    });
    roleIds[tenant] = stack.resolve(role.roleArn)['Fn::GetAtt'][0];
  }
  const template = Template.fromStack(stack).toJSON() as any;
  const params = { TenantId: 'gamma' };

  test.each(TENANTS)('tenant %s reaches its partition and its own order table only', async (tenant) => {
    const report = await checkIsolation({
      tenant,
      tenants: TENANTS,
      identityPolicies: policiesOfRole(template, roleIds[tenant], params),
      pooledTables: [{ arn: resolve(template, stack.resolve(products.tableArn)), ownActions: POOLED_READ_WRITE, indexNames: [] }],
      siloTables: TENANTS.map((owner) => ({
        arn: resolve(template, stack.resolve(orderTables[owner].tableArn)),
        owner,
        ownActions: SILO_READ_WRITE,
      })),
    });
    expect(report.leaks).toEqual([]);
    expect(report.missing).toEqual([]);
    expect(report.allowed).toBe(8 + 9);
  });
});

describe('the harness can fail', () => {
  const table = 'arn:aws:dynamodb:us-east-1:111111111111:table/Products';
  const base: Omit<IsolationCase, 'identityPolicies'> = {
    tenant: 'alpha',
    tenants: TENANTS,
    pooledTables: [{ arn: table, ownActions: POOLED_READ_WRITE, indexNames: [] }],
    siloTables: [],
  };

  test('it flags the reference guide\'s dynamodb:* policy with a ForAllValues condition', async () => {
    const report = await checkIsolation({
      ...base,
      identityPolicies: [
        {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: ['dynamodb:*'],
              Resource: [table],
              Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['alpha'] } },
            },
          ],
        },
      ],
    });
    // With no partition key the ForAllValues condition matches: Scan reads every tenant, DeleteTable drops them.
    expect(report.leaks).toEqual(
      expect.arrayContaining([
        `alpha: dynamodb:Scan on ${table} without a partition key was allowed`,
        `alpha: dynamodb:DeleteTable on ${table} without a partition key was allowed`,
        `alpha: dynamodb:PartiQLSelect on ${table} without a partition key was allowed`,
      ]),
    );
  });

  test('it flags our own synthesized policy with the tenant fence removed', async () => {
    const s = pooledStack(TenantScoping.SESSION_TAGS);
    const policies = policiesOfRole(s.template, s.accessRoleId).map((doc) => ({
      ...doc,
      Statement: doc.Statement.map((st: any) => {
        const { ['ForAllValues:StringEquals']: _removed, ...rest } = st.Condition ?? {};
        return { ...st, Condition: rest };
      }),
    }));
    const report = await checkIsolation({
      ...base,
      identityPolicies: policies,
      principalContext: { 'aws:PrincipalTag/TenantId': 'alpha' },
      pooledTables: s.pooledTables,
    });
    expect(report.leaks).toContain(
      `alpha: dynamodb:GetItem on ${s.pooledTables[0].arn} partition 'beta' was allowed`,
    );
  });

  test('it covers every DynamoDB action', async () => {
    const actions = await dynamoActions();
    expect(actions.length).toBeGreaterThanOrEqual(70);
    expect(actions.map((a) => a.action)).toEqual(
      expect.arrayContaining(['dynamodb:Scan', 'dynamodb:PartiQLSelect', 'dynamodb:DeleteTable', 'dynamodb:GetItem']),
    );
  });
});
