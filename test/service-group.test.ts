import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { HttpMethod, SaasApplication, ServiceGroup, TableSharing } from '../src';
import { bridgeApplication, IMAGE, pooledApplication, vpcStack } from './util/fixtures';
import { renderNginxConfig } from '../src/tiers/nginx';

function tenantGroup(props: Partial<ConstructorParameters<typeof ServiceGroup>[2]> = {}) {
  const { stack, vpc } = vpcStack();
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
  const products = new dynamodb.Table(stack, 'Products', { partitionKey: { name: 'tenantId', type: dynamodb.AttributeType.STRING } });
  const group = new ServiceGroup(stack, 'Acme', {
    cluster,
    application: bridgeApplication(),
    tierName: 'advanced',
    tenantId: 'acme',
    namespaceName: 'acme.advanced.local',
    pooledTables: { products },
    ...props,
  });
  return { stack, group, template: Template.fromStack(stack), products };
}

/** The log groups the group created (not the fixture VPC's flow-log group). */
function groupLogGroups(template: Template): any[] {
  return Object.entries(template.findResources('AWS::Logs::LogGroup'))
    .filter(([id]) => id.startsWith('Acme'))
    .map(([, r]) => r);
}

describe('a tenant\'s group, production shape', () => {
  const { stack, group, template } = tenantGroup();

  test('one service per application service plus the proxy, each with at least two tasks and safe deployments', () => {
    template.resourceCountIs('AWS::ECS::Service', 3);
    template.allResourcesProperties('AWS::ECS::Service', {
      DesiredCount: 2,
      DeploymentConfiguration: {
        MinimumHealthyPercent: 100,
        MaximumPercent: 200,
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      },
      PropagateTags: 'SERVICE',
      EnableECSManagedTags: true,
      LaunchType: 'FARGATE',
      NetworkConfiguration: {
        AwsvpcConfiguration: { AssignPublicIp: 'DISABLED', SecurityGroups: [stack.resolve(group.securityGroup.securityGroupId)] },
      },
    });
  });

  test('services register with Service Connect under their name in the tenant\'s namespace; the proxy is a client', () => {
    template.hasResourceProperties('AWS::ServiceDiscovery::HttpNamespace', { Name: 'acme.advanced.local' });
    template.hasResourceProperties('AWS::ECS::Service', {
      ServiceConnectConfiguration: Match.objectLike({
        Enabled: true,
        Namespace: stack.resolve(group.namespace.namespaceArn),
        Services: [{ PortName: 'products', ClientAliases: [{ DnsName: 'products', Port: 3010 }] }],
      }),
    });
    template.hasResourceProperties('AWS::ECS::Service', {
      ServiceConnectConfiguration: Match.objectLike({ Enabled: true, Services: Match.absent() }),
    });
  });

  test('containers have health checks, logs with retention, and the tenant in their environment', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '256',
      Memory: '512',
      ContainerDefinitions: [
        Match.objectLike({
          Name: 'products',
          PortMappings: [{ ContainerPort: 3010, Name: 'products', AppProtocol: 'http', Protocol: 'tcp' }],
          HealthCheck: {
            Command: ['CMD-SHELL', 'wget -q -O /dev/null http://localhost:3010/health || exit 1'],
            Interval: 15,
            Timeout: 5,
            Retries: 3,
            StartPeriod: 30,
          },
          Environment: Match.arrayWith([
            { Name: 'TIER_NAME', Value: 'advanced' },
            { Name: 'TENANT_ID', Value: 'acme' },
            { Name: 'SCOPED_DYNAMO_SCOPING', Value: 'FIXED_TENANT' },
            { Name: 'PRODUCTS_TABLE_NAME', Value: Match.anyValue() },
          ]),
          LogConfiguration: Match.objectLike({ LogDriver: 'awslogs' }),
        }),
      ],
    });
    const logGroups = groupLogGroups(template);
    expect(logGroups).toHaveLength(6); // two per service (app, Service Connect), three services
    for (const lg of logGroups) {
      expect(lg).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain', Properties: { RetentionInDays: 30 } });
    }
  });

  test('CPU-based autoscaling between the service\'s bounds', () => {
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 3);
    template.allResourcesProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 2, MaxCapacity: 10 });
    template.allResourcesProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        TargetValue: 60,
      }),
    });
  });

  test('the tenant\'s per-tenant table is its own, retained, with point-in-time recovery', () => {
    expect(group.tables).toHaveLength(1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        BillingMode: 'PAY_PER_REQUEST',
      }),
    });
  });

  test('task roles carry no managed policies and reach the tenant\'s data only through ScopedDynamoAccess', () => {
    for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
      expect((role as any).Properties.ManagedPolicyArns).toBeUndefined();
    }
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve(group.taskRole('products').roleName)],
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Condition: Match.objectLike({ 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['acme'] } }),
          }),
        ],
      },
    });
    expect(() => group.taskRole('missing')).toThrow("No service 'missing' in the application.");
  });

  test('the security group admits only its own tasks, on the service ports', () => {
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((r: any) => r.Properties);
    expect(ingress).toHaveLength(2);
    for (const rule of ingress) {
      expect(rule.SourceSecurityGroupId).toEqual(rule.GroupId);
    }
    expect(ingress.map((r) => r.FromPort).sort()).toEqual([3010, 3020]);
  });

  test('tenant id and tier are tags on the services, propagated to tasks', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      Tags: Match.arrayWith([
        { Key: 'saas:tenant-id', Value: 'acme' },
        { Key: 'saas:tier', Value: 'advanced' },
      ]),
    });
  });

  test('one routing target: the proxy on port 80 with its health endpoint, keyed by the tenant id', () => {
    expect(group.routingTargets).toHaveLength(1);
    const [target] = group.routingTargets;
    expect(target).toMatchObject({ routingKey: 'acme', tenantId: 'acme', tierName: 'advanced', port: 80, healthCheckPath: '/health', containerName: 'proxy' });
    expect(target.pathPrefix).toBeUndefined();
    expect(target.service).toBe(group.proxyService);
  });

  test('the proxy runs nginx with the configuration rendered from the application', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          Name: 'proxy',
          Image: 'public.ecr.aws/nginx/nginx:1.27-alpine',
          Environment: [{ Name: 'NGINX_CONF', Value: renderNginxConfig(bridgeApplication().services) }],
          HealthCheck: Match.objectLike({ Command: ['CMD-SHELL', 'wget -q -O /dev/null http://localhost:80/health || exit 1'] }),
        }),
      ],
    });
  });
});

describe('the nginx configuration', () => {
  const config = renderNginxConfig(
    new SaasApplication({
      services: [
        { name: 'products', image: IMAGE, pathPrefix: '/products', containerPort: 3010, httpMethods: [HttpMethod.GET, HttpMethod.POST] },
        { name: 'users', image: IMAGE, pathPrefix: '/users' },
      ],
    }).services,
  );

  test('routes each path prefix to its Service Connect name, exactly and below', () => {
    expect(config).toContain('location = /products {');
    expect(config).toContain('location ^~ /products/ {');
    expect(config).toContain('upstream products_upstream {\n  server products:3010;\n');
    expect(config).toContain('upstream users_upstream {\n  server users:8080;\n');
    expect(config).toContain('proxy_pass http://products_upstream;');
    expect(config).toContain('proxy_pass http://users_upstream;');
  });

  test('keeps upstream connections alive, for less time than the services keep theirs', () => {
    expect(config.match(/ {2}keepalive 32;\n {2}keepalive_timeout 50s;/g)).toHaveLength(2);
    // Without both, nginx opens a new connection to the service for every request.
    expect(config.match(/proxy_http_version 1\.1;\n {4}proxy_set_header Connection "";/g)).toHaveLength(4);
  });

  test('bounds every wait on a service below the load balancer\'s 60 s idle timeout', () => {
    expect(config.match(/proxy_connect_timeout 2s;\n {4}proxy_send_timeout 30s;\n {4}proxy_read_timeout 30s;/g)).toHaveLength(4);
  });

  test('allows only the methods each service answers', () => {
    expect(config).toContain('if ($request_method !~ ^(GET|POST)$) { return 405; }');
    expect(config).toContain('if ($request_method !~ ^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)$) { return 405; }');
  });

  test('answers its health endpoint without a token and 404 for any other path', () => {
    expect(config).toMatch(/location = \/health \{\n {4}access_log off;\n {4}default_type text\/plain;\n {4}return 200 'ok';/);
    expect(config).toMatch(/location \/ \{\n {4}return 404;\n {2}\}\n\}\n$/);
  });
});

describe('without the proxy', () => {
  const { group, template } = tenantGroup({ proxy: false });

  test('each service is a routing target matched by its path prefix', () => {
    expect(group.proxyService).toBeUndefined();
    expect(group.routingTargets.map((t) => [t.pathPrefix, t.port, t.healthCheckPath, t.containerName])).toEqual([
      ['/products', 3010, '/health', 'products'],
      ['/orders', 3020, '/health', 'orders'],
    ]);
    expect(group.routingTargets[0].httpMethods).toEqual(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
    template.resourceCountIs('AWS::ECS::Service', 2);
  });
});

describe('warnings', () => {
  test('a service with fewer than two tasks is flagged', () => {
    const { stack, vpc } = vpcStack();
    new ServiceGroup(stack, 'G', {
      cluster: new ecs.Cluster(stack, 'Cluster', { vpc }),
      application: new SaasApplication({ services: [{ name: 'users', image: IMAGE, pathPrefix: '/users', minTasks: 1 }] }),
      tierName: 'basic',
    });
    Annotations.fromStack(stack).hasWarning('/Test/G', Match.stringLikeRegexp("Service 'users' runs 1 task"));
  });

  test('more than 50 Cloud Map namespaces in one app (across stacks) are flagged', () => {
    const { app, stack: first, vpc } = vpcStack();
    const application = new SaasApplication({ services: [{ name: 'users', image: IMAGE, pathPrefix: '/users' }] });
    const stacks = [first, new Stack(app, 'Second', { env: { account: '111111111111', region: 'us-east-1' } }), new Stack(app, 'Third', { env: { account: '111111111111', region: 'us-east-1' } })];
    stacks.forEach((stack, s) => {
      const cluster = ecs.Cluster.fromClusterAttributes(stack, 'Cluster', { clusterName: 'shared', vpc: s === 0 ? vpc : ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-1', availabilityZones: ['us-east-1a'], privateSubnetIds: ['subnet-1'] }) });
      for (let i = 1; i <= 17; i++) {
        new ServiceGroup(stack, `G${i}`, { cluster, application, tierName: 'advanced', tenantId: `t${s}-${i}`, proxy: false });
      }
    });
    const warnings = stacks.flatMap((stack) => Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('more than 50 Cloud Map namespaces')));
    expect(warnings.map((w) => w.id)).toEqual(['/Third/G17']);
  });
});

describe('options and rules', () => {
  test('the namespace defaults to <tenant>.<tier>.<stack name>', () => {
    const { stack, vpc } = vpcStack();
    new ServiceGroup(stack, 'G', {
      cluster: new ecs.Cluster(stack, 'Cluster', { vpc }),
      application: new SaasApplication({ services: [{ name: 'users', image: IMAGE, pathPrefix: '/users' }] }),
      tierName: 'advanced',
      tenantId: 'acme',
    });
    Template.fromStack(stack).hasResourceProperties('AWS::ServiceDiscovery::HttpNamespace', {
      Name: { 'Fn::Join': ['', ['acme.advanced.', { Ref: 'AWS::StackName' }]] },
    });
  });

  test('removalPolicy and logRetention apply to what the group creates', () => {
    const { template } = tenantGroup({ removalPolicy: RemovalPolicy.DESTROY });
    template.allResources('AWS::DynamoDB::Table', { DeletionPolicy: Match.anyValue() });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    expect(groupLogGroups(template).every((lg) => lg.DeletionPolicy === 'Delete')).toBe(true);
  });

  test('a pooled group uses session tags and has no tenant tag', () => {
    const { stack, vpc } = vpcStack();
    const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
    const products = new dynamodb.Table(stack, 'Products', { partitionKey: { name: 'tenantId', type: dynamodb.AttributeType.STRING } });
    const orders = new dynamodb.Table(stack, 'Orders', { partitionKey: { name: 'tenantId', type: dynamodb.AttributeType.STRING } });
    const group = new ServiceGroup(stack, 'Pool', {
      cluster,
      application: pooledApplication(),
      tierName: 'basic',
      namespaceName: 'basic.local',
      pooledTables: { products, orders },
    });
    const template = Template.fromStack(stack);
    expect(group.routingTargets[0].routingKey).toBe('basic');
    expect(group.tables).toEqual([]);
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ Environment: Match.arrayWith([{ Name: 'SCOPED_DYNAMO_SCOPING', Value: 'SESSION_TAGS' }]) })],
    });
    expect(JSON.stringify(template.findResources('AWS::ECS::Service'))).not.toContain('saas:tenant-id');
  });

  test('fails when a pooled group is given per-tenant tables', () => {
    const { stack, vpc } = vpcStack();
    expect(
      () =>
        new ServiceGroup(stack, 'Pool', {
          cluster: new ecs.Cluster(stack, 'Cluster', { vpc }),
          application: bridgeApplication(),
          tierName: 'basic',
          namespaceName: 'basic.local',
        }),
    ).toThrow("tables [orders] are PER_TENANT, but this group serves every tenant of tier 'basic': a pooled tier can use only POOLED tables.");
  });

  test('fails when a pooled table a service uses is missing', () => {
    expect(() => tenantGroup({ pooledTables: {} })).toThrow("pooledTables has no table 'products', which a service of the application uses.");
  });

  test('fails on an invalid tenant id', () => {
    expect(() => tenantGroup({ tenantId: 'Acme' })).toThrow("tenantId must be 1 to 36 characters of lowercase letters, digits and hyphens, starting and ending with a letter or digit; got 'Acme'.");
  });

  test('a service without tables gets no data access', () => {
    const { stack, vpc } = vpcStack();
    new ServiceGroup(stack, 'G', {
      cluster: new ecs.Cluster(stack, 'Cluster', { vpc }),
      application: new SaasApplication({ services: [{ name: 'users', image: IMAGE, pathPrefix: '/users' }], tables: [{ name: 'x', sharing: TableSharing.POOLED }] }),
      tierName: 'basic',
      namespaceName: 'basic.local',
    });
    expect(JSON.stringify(Template.fromStack(stack).findResources('AWS::IAM::Policy'))).not.toContain('dynamodb:');
  });
});
