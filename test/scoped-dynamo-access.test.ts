import { App, CfnParameter, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { ScopedDynamoAccess, ScopedDynamoAccessProps, TableAccessLevel, TenantScoping } from '../src';

function setup() {
  const stack = new Stack(new App(), 'Test');
  const table = new dynamodb.Table(stack, 'Products', {
    partitionKey: { name: 'tenantId', type: dynamodb.AttributeType.STRING },
  });
  const role = new iam.Role(stack, 'TaskRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
  return { stack, table, role };
}

const POOLED_READ_WRITE = [
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DeleteItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
];

const tableArn = (stack: Stack, t: dynamodb.ITable) => stack.resolve(t.tableArn);

describe('session tags (the default for a grantee that serves many tenants)', () => {
  const { stack, table, role } = setup();
  const access = new ScopedDynamoAccess(stack, 'Access', { grantee: role, pooledTables: [{ table }] });
  const template = Template.fromStack(stack);

  test('creates a tenant-access role that only the grantee can assume, with exactly one tenant tag', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      MaxSessionDuration: Match.absent(), // one hour: role chaining allows no more
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: ['sts:AssumeRole', 'sts:TagSession'],
            Principal: { AWS: stack.resolve(role.roleArn) },
            Condition: {
              'StringLike': { 'aws:RequestTag/TenantId': '?*' },
              'ForAllValues:StringEquals': { 'aws:TagKeys': ['TenantId'] },
            },
          },
        ],
      },
    });
    expect(access.scoping).toBe(TenantScoping.SESSION_TAGS);
    expect(access.tenantIdTagKey).toBe('TenantId');
    expect(access.accessRole).toBeDefined();
    expect(access.tenantId).toBeUndefined();
  });

  test('fences each item action on the access role by dynamodb:LeadingKeys against the session tag', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve((access.accessRole as iam.Role).roleName)],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: POOLED_READ_WRITE,
            Resource: tableArn(stack, table),
            Condition: {
              'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['${aws:PrincipalTag/TenantId}'] },
              'Null': { 'dynamodb:LeadingKeys': 'false' },
            },
          },
        ],
      },
    });
  });

  test('lets the grantee assume and tag the access role, and gives it no direct table access', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve(role.roleName)],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: ['sts:AssumeRole', 'sts:TagSession'],
            Resource: stack.resolve(access.accessRole!.roleArn),
          },
        ],
      },
    });
    const granteePolicies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [stack.resolve(role.roleName)] },
    });
    expect(JSON.stringify(granteePolicies)).not.toContain('dynamodb:');
  });

  test('exposes the environment a service needs', () => {
    expect(stack.resolve(access.environment)).toEqual({
      SCOPED_DYNAMO_SCOPING: 'SESSION_TAGS',
      SCOPED_DYNAMO_ROLE_ARN: stack.resolve(access.accessRole!.roleArn),
      SCOPED_DYNAMO_TAG_KEY: 'TenantId',
      PRODUCTS_TABLE_NAME: stack.resolve(table.tableName),
    });
  });
});

describe('options', () => {
  test('a custom tag key is required in the trust policy and used in the fence', () => {
    const { stack, table, role } = setup();
    new ScopedDynamoAccess(stack, 'Access', { grantee: role, pooledTables: [{ table }], tenantIdTagKey: 'tenant' });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Role', {
      MaxSessionDuration: Match.absent(),
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Condition: {
              'StringLike': { 'aws:RequestTag/tenant': '?*' },
              'ForAllValues:StringEquals': { 'aws:TagKeys': ['tenant'] },
            },
          }),
        ],
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Condition: Match.objectLike({
              'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['${aws:PrincipalTag/tenant}'] },
            }),
          }),
        ],
      },
    });
  });

  test('indexNames adds exactly the named indexes, under the same fence', () => {
    const { stack, table, role } = setup();
    table.addGlobalSecondaryIndex({
      indexName: 'byCategory',
      partitionKey: { name: 'tenantId', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'category', type: dynamodb.AttributeType.STRING },
    });
    new ScopedDynamoAccess(stack, 'Access', { grantee: role, pooledTables: [{ table, indexNames: ['byCategory'] }] });
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Resource: [tableArn(stack, table), { 'Fn::Join': ['', [tableArn(stack, table), '/index/byCategory']] }],
            Condition: Match.objectLike({ Null: { 'dynamodb:LeadingKeys': 'false' } }),
          }),
        ],
      },
    });
  });

  test('an index added after the construct is checked too', () => {
    const { stack, table, role } = setup();
    new ScopedDynamoAccess(stack, 'Access', { grantee: role, pooledTables: [{ table, indexNames: ['byStatus'] }] });
    table.addGlobalSecondaryIndex({
      indexName: 'byStatus',
      partitionKey: { name: 'status', type: dynamodb.AttributeType.STRING },
    });
    expect(() => Template.fromStack(stack)).toThrow(
      "pooledTables[0].indexNames has 'byStatus', whose partition key is [status]; on a pooled table an index must be partitioned by the tenant id 'tenantId', or tenants can see each other's items through it.",
    );
  });

  test('indexes of an imported pooled table cannot be checked: a warning says so', () => {
    const { stack, role } = setup();
    const table = dynamodb.Table.fromTableName(stack, 'Imported', 'orders');
    new ScopedDynamoAccess(stack, 'Access', { grantee: role, pooledTables: [{ table, indexNames: ['byTenant'] }] });
    Annotations.fromStack(stack).hasWarning(
      '/Test/Imported',
      Match.stringLikeRegexp('pooledTables\\[0\\].indexNames \\[byTenant\\] of an imported table cannot be checked'),
    );
  });

  test('a table encrypted with a customer-managed key gets the key actions it needs, no wildcards', () => {
    const { stack, role } = setup();
    const key = new kms.Key(stack, 'Key');
    const table = new dynamodb.Table(stack, 'Orders', {
      partitionKey: { name: 'tenantId', type: dynamodb.AttributeType.STRING },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: key,
    });
    const access = new ScopedDynamoAccess(stack, 'Access', {
      grantee: role,
      pooledTables: [{ table, accessLevel: TableAccessLevel.READ }],
    });
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve((access.accessRole as iam.Role).roleName)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Action: ['kms:Decrypt', 'kms:DescribeKey'],
            Resource: stack.resolve(key.keyArn),
            Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['dynamodb.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } },
          },
        ]),
      },
    });
  });

  test('an imported table and a custom environment variable', () => {
    const { stack, role } = setup();
    const table = dynamodb.Table.fromTableName(stack, 'Imported', 'orders-table');
    const access = new ScopedDynamoAccess(stack, 'Access', {
      grantee: role,
      pooledTables: [{ table, environmentVariable: 'ORDERS' }],
    });
    expect(stack.resolve(access.environment).ORDERS).toBe('orders-table');
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Resource: {
              'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':dynamodb:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':table/orders-table']],
            },
          }),
        ],
      },
    });
  });

  test('default environment variable names follow the table construct id', () => {
    const { stack, role } = setup();
    const orderTable = dynamodb.Table.fromTableName(stack, 'OrderTable', 'a');
    const productCatalog = dynamodb.Table.fromTableName(stack, 'product-catalog', 'b');
    const access = new ScopedDynamoAccess(stack, 'Access', {
      grantee: role,
      pooledTables: [{ table: orderTable }, { table: productCatalog }],
    });
    expect(Object.keys(access.environment)).toEqual(
      expect.arrayContaining(['ORDER_TABLE_NAME', 'PRODUCT_CATALOG_TABLE_NAME']),
    );
  });

  test('addToContainer hands the environment to an ECS container', () => {
    const { stack, table } = setup();
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
    const container = taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('app') });
    const access = new ScopedDynamoAccess(stack, 'Access', { grantee: taskDefinition.taskRole, pooledTables: [{ table }] });
    access.addToContainer(container);
    Template.fromStack(stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          Environment: Match.arrayWith([
            { Name: 'SCOPED_DYNAMO_SCOPING', Value: 'SESSION_TAGS' },
            { Name: 'SCOPED_DYNAMO_ROLE_ARN', Value: stack.resolve(access.accessRole!.roleArn) },
            { Name: 'SCOPED_DYNAMO_TAG_KEY', Value: 'TenantId' },
            { Name: 'PRODUCTS_TABLE_NAME', Value: stack.resolve(table.tableName) },
          ]),
        }),
      ],
    });
  });

  test('no statement anywhere grants a wildcard action, KMS included', () => {
    const { stack, table, role } = setup();
    const encrypted = new dynamodb.Table(stack, 'Encrypted', {
      partitionKey: { name: 'tenantId', type: dynamodb.AttributeType.STRING },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
    });
    new ScopedDynamoAccess(stack, 'Access', {
      grantee: role,
      pooledTables: [{ table }, { table: encrypted, accessLevel: TableAccessLevel.READ_WRITE }],
    });
    const template = Template.fromStack(stack);
    const policies = template.findResources('AWS::IAM::Policy');
    const actions = Object.values(policies).flatMap((p: any) =>
      p.Properties.PolicyDocument.Statement.flatMap((s: any) => [s.Action].flat()),
    );
    // The key policy is the key's default (account root), not widened by the construct.
    const keyPolicy = Object.values(template.findResources('AWS::KMS::Key'))[0] as any;
    expect(keyPolicy.Properties.KeyPolicy.Statement).toHaveLength(1);
    expect(actions).toEqual(expect.arrayContaining(['kms:Encrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom']));
    expect(actions.filter((a: string) => a.includes('*'))).toEqual([]);
  });
});

describe('session policies', () => {
  const { stack, table, role } = setup();
  const access = new ScopedDynamoAccess(stack, 'Access', {
    grantee: role,
    pooledTables: [{ table }],
    scoping: TenantScoping.SESSION_POLICY,
  });
  const template = Template.fromStack(stack);

  test('the grantee may assume the role without tags', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { AWS: stack.resolve(role.roleArn) } }],
      },
    });
    expect(access.tenantIdTagKey).toBeUndefined();
  });

  test('the role refuses any request without a partition key', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve((access.accessRole as iam.Role).roleName)],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: POOLED_READ_WRITE,
            Resource: tableArn(stack, table),
            Condition: { Null: { 'dynamodb:LeadingKeys': 'false' } },
          },
        ],
      },
    });
  });

  test('renderSessionPolicy fences the tables to one tenant', () => {
    expect(stack.resolve(access.renderSessionPolicy('acme').toJSON())).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: POOLED_READ_WRITE,
          Resource: tableArn(stack, table),
          Condition: {
            'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['acme'] },
            'Null': { 'dynamodb:LeadingKeys': 'false' },
          },
        },
      ],
    });
  });

  test('warns that the role alone is not tenant-fenced', () => {
    Annotations.fromStack(stack).hasWarning(
      '/Test/Access',
      Match.stringLikeRegexp('With scoping SESSION_POLICY the tenant-access role alone reaches every tenant'),
    );
  });

  test('the environment carries the session-policy template with a placeholder for the tenant', () => {
    const env = stack.resolve(access.environment);
    expect(env.SCOPED_DYNAMO_SCOPING).toBe('SESSION_POLICY');
    expect(env.SCOPED_DYNAMO_TAG_KEY).toBeUndefined();
    expect(JSON.stringify(env.SCOPED_DYNAMO_SESSION_POLICY)).toContain('<<tenant-id>>');
  });
});

describe('fixed tenant (a grantee that serves one tenant)', () => {
  test('fences the grantee\'s own policy, creates no role, and gives silo tables without a fence', () => {
    const { stack, table, role } = setup();
    const orders = new dynamodb.Table(stack, 'Orders', {
      partitionKey: { name: 'orderId', type: dynamodb.AttributeType.STRING },
    });
    const access = new ScopedDynamoAccess(stack, 'Access', {
      grantee: role,
      tenantId: 'acme',
      pooledTables: [{ table }],
      siloTables: [{ table: orders, accessLevel: TableAccessLevel.READ }],
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::IAM::Role', 1);
    expect(access.accessRole).toBeUndefined();
    expect(access.scoping).toBe(TenantScoping.FIXED_TENANT);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve(role.roleName)],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: POOLED_READ_WRITE,
            Resource: tableArn(stack, table),
            Condition: {
              'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['acme'] },
              'Null': { 'dynamodb:LeadingKeys': 'false' },
            },
          },
          {
            Effect: 'Allow',
            Action: ['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan'],
            Resource: tableArn(stack, orders),
          },
        ],
      },
    });
    expect(stack.resolve(access.environment)).toEqual({
      SCOPED_DYNAMO_SCOPING: 'FIXED_TENANT',
      SCOPED_DYNAMO_TENANT_ID: 'acme',
      PRODUCTS_TABLE_NAME: stack.resolve(table.tableName),
      ORDERS_TABLE_NAME: stack.resolve(orders.tableName),
    });
  });

  test('works when the tenant id and the table name are CloudFormation parameters', () => {
    const { stack, role } = setup();
    const tenantId = new CfnParameter(stack, 'TenantId').valueAsString;
    const tableName = new CfnParameter(stack, 'TableName').valueAsString;
    const table = dynamodb.Table.fromTableName(stack, 'Pooled', tableName);
    const access = new ScopedDynamoAccess(stack, 'Access', { grantee: role, tenantId, pooledTables: [{ table }] });
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Resource: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':table/', { Ref: 'TableName' }])] }),
            Condition: Match.objectLike({
              'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [{ Ref: 'TenantId' }] },
            }),
          }),
        ],
      },
    });
    expect(stack.resolve(access.environment).SCOPED_DYNAMO_TENANT_ID).toEqual({ Ref: 'TenantId' });
  });
});

describe('validation', () => {
  function build(props: Partial<ScopedDynamoAccessProps>, extra?: (stack: Stack) => Partial<ScopedDynamoAccessProps>) {
    const { stack, table, role } = setup();
    return () =>
      new ScopedDynamoAccess(stack, 'Access', {
        grantee: role,
        pooledTables: [{ table }],
        ...props,
        ...extra?.(stack),
      });
  }

  test('fails when no table is given', () => {
    expect(build({ pooledTables: [] })).toThrow('pooledTables and siloTables are both empty: give at least one table.');
  });

  test('fails when a pooled table has a non-string partition key', () => {
    expect(
      build({}, (stack) => ({
        pooledTables: [
          {
            table: new dynamodb.Table(stack, 'Numbers', {
              partitionKey: { name: 'id', type: dynamodb.AttributeType.NUMBER },
            }),
          },
        ],
      })),
    ).toThrow("pooledTables[0].table 'Test/Numbers' has a partition key of type N; a pooled table needs a STRING partition key that holds the tenant id.");
  });

  test.each(['Tenant Id', 'aws:tenant', 'x'.repeat(129), ''])('fails when the tag key is invalid (%s)', (key) => {
    expect(build({ tenantIdTagKey: key })).toThrow(
      `tenantIdTagKey must be 1 to 128 characters of letters, digits and _.:/=+-@, not starting with 'aws:'; got '${key}'.`,
    );
  });

  test('fails when a tag key is given with session policies', () => {
    expect(build({ scoping: TenantScoping.SESSION_POLICY, tenantIdTagKey: 'T' })).toThrow(
      "tenantIdTagKey 'T' applies only to scoping SESSION_TAGS; got scoping SESSION_POLICY. Remove tenantIdTagKey.",
    );
  });

  test('fails when a tenant id is given with a run-time scoping', () => {
    expect(build({ tenantId: 'acme', scoping: TenantScoping.SESSION_TAGS })).toThrow(
      "tenantId 'acme' conflicts with scoping SESSION_TAGS: a fixed tenant uses FIXED_TENANT (the default when tenantId is set). Remove scoping or tenantId.",
    );
  });

  test('fails when FIXED_TENANT has no tenant id', () => {
    expect(build({ scoping: TenantScoping.FIXED_TENANT })).toThrow(
      'scoping FIXED_TENANT requires tenantId: name the one tenant this grantee serves.',
    );
  });

  test('fails when a tag key is given with a fixed tenant', () => {
    expect(build({ tenantId: 'acme', tenantIdTagKey: 'T' })).toThrow(
      "tenantIdTagKey applies only when the grantee serves many tenants; got tenantId 'acme' with tenantIdTagKey 'T'. Remove one of them.",
    );
  });

  test('fails when the grantee is not a role', () => {
    expect(build({ grantee: new iam.AccountRootPrincipal() })).toThrow(
      'grantee must be an IAM role (an ECS task role, a Lambda function, a role): only that role may assume the tenant-access role or hold a tenant\'s data; got',
    );
  });

  test('fails when one grantee is given two tenants', () => {
    const { stack, table, role } = setup();
    new ScopedDynamoAccess(stack, 'Acme', { grantee: role, tenantId: 'acme', pooledTables: [{ table }] });
    expect(
      () => new ScopedDynamoAccess(stack, 'Globex', { grantee: role, tenantId: 'globex', pooledTables: [{ table }] }),
    ).toThrow(
      "grantee already has FIXED_TENANT for tenant 'acme' from 'Test/Acme'; got FIXED_TENANT for tenant 'globex'. A grantee serves many tenants or one: give each tenant its own role.",
    );
  });

  test('fails when one grantee serves many tenants and one tenant', () => {
    const { stack, table, role } = setup();
    new ScopedDynamoAccess(stack, 'Pooled', { grantee: role, pooledTables: [{ table }] });
    expect(
      () => new ScopedDynamoAccess(stack, 'Acme', { grantee: role, tenantId: 'acme', pooledTables: [{ table }] }),
    ).toThrow("grantee already has SESSION_TAGS from 'Test/Pooled'; got FIXED_TENANT for tenant 'acme'.");
  });

  test('two constructs may share a grantee with the same scoping', () => {
    const { stack, table, role } = setup();
    const other = dynamodb.Table.fromTableName(stack, 'Other', 'other');
    new ScopedDynamoAccess(stack, 'A', { grantee: role, tenantId: 'acme', pooledTables: [{ table }] });
    expect(() => new ScopedDynamoAccess(stack, 'B', { grantee: role, tenantId: 'acme', pooledTables: [{ table: other }] })).not.toThrow();
  });

  test('fails when a TableV2 pooled table has a non-string partition key', () => {
    expect(
      build({}, (stack) => ({
        pooledTables: [{ table: new dynamodb.TableV2(stack, 'V2', { partitionKey: { name: 'id', type: dynamodb.AttributeType.NUMBER } }) }],
      })),
    ).toThrow("pooledTables[0].table 'Test/V2' has a partition key of type N;");
  });

  test('fails when a granted index does not exist', () => {
    const { stack, table, role } = setup();
    new ScopedDynamoAccess(stack, 'Access', { grantee: role, pooledTables: [{ table, indexNames: ['missing'] }] });
    expect(() => Template.fromStack(stack)).toThrow(
      "pooledTables[0].indexNames has 'missing', which is not an index of 'Test/Products'; its indexes: none.",
    );
  });

  test('fails when an index name is invalid', () => {
    expect(build({}, (stack) => ({ pooledTables: [{ table: dynamodb.Table.fromTableName(stack, 'I', 'i'), indexNames: ['*'] }] }))).toThrow(
      "pooledTables[0].indexNames has '*'; index names are 3 to 255 characters of letters, digits and _.-.",
    );
  });

  test('fails when the session policy would exceed the STS limit', () => {
    expect(
      build({ scoping: TenantScoping.SESSION_POLICY }, (stack) => ({
        pooledTables: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19].map((i) => ({
          table: dynamodb.Table.fromTableName(stack, `T${i}`, `t${i}`),
          accessLevel: [TableAccessLevel.READ, TableAccessLevel.WRITE][i % 2],
        })),
      })),
    ).toThrow(/^pooledTables make a session policy of about \d+ characters; STS allows 2,048\. Use scoping SESSION_TAGS, or fewer tables or indexes per grantee\.$/);
  });

  test('fails when silo tables are given without a tenant id', () => {
    expect(
      build({}, (stack) => ({ siloTables: [{ table: dynamodb.Table.fromTableName(stack, 'Silo', 'silo') }] })),
    ).toThrow(
      "siloTables requires tenantId: a grantee that serves many tenants must not hold one tenant's table; got 1 silo table(s) and no tenantId.",
    );
  });

  test.each(['Acme', 'acme_corp', '-acme', 'acme-', 'a'.repeat(37), ''])('fails when the tenant id is invalid (%s)', (id) => {
    expect(build({ tenantId: id })).toThrow(
      `tenantId must be 1 to 36 characters of lowercase letters, digits and hyphens, starting and ending with a letter or digit; got '${id}'.`,
    );
  });

  test('fails when a table is listed twice', () => {
    const { stack, table, role } = setup();
    expect(
      () =>
        new ScopedDynamoAccess(stack, 'Access', {
          grantee: role,
          tenantId: 'acme',
          pooledTables: [{ table }],
          siloTables: [{ table, environmentVariable: 'OTHER' }],
        }),
    ).toThrow("siloTables[0] is the same table as pooledTables[0] ('Test/Products'): list each table once, as pooled or as silo.");
  });

  test('fails when an environment variable name is invalid', () => {
    const { stack, table, role } = setup();
    expect(
      () =>
        new ScopedDynamoAccess(stack, 'Access', {
          grantee: role,
          pooledTables: [{ table, environmentVariable: 'products-table' }],
        }),
    ).toThrow(
      "pooledTables[0].environmentVariable must be upper-case letters, digits and underscores, not starting with a digit; got 'products-table'.",
    );
  });

  test('fails when two tables share an environment variable', () => {
    const { stack, table, role } = setup();
    const other = dynamodb.Table.fromTableName(stack, 'Other', 'other');
    expect(
      () =>
        new ScopedDynamoAccess(stack, 'Access', {
          grantee: role,
          pooledTables: [{ table, environmentVariable: 'TABLE' }, { table: other, environmentVariable: 'TABLE' }],
        }),
    ).toThrow("pooledTables[1].environmentVariable 'TABLE' is already used by pooledTables[0]: give each table its own environmentVariable.");
  });

  test('fails when a session policy is rendered for an invalid tenant id', () => {
    const { stack, table, role } = setup();
    const access = new ScopedDynamoAccess(stack, 'Access', { grantee: role, pooledTables: [{ table }] });
    expect(() => access.renderSessionPolicy('"}],"Effect":"Allow')).toThrow('tenantId must be 1 to 36 characters');
  });
});
