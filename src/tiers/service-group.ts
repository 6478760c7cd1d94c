import { Annotations, Duration, Tags } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';
import { DEFAULT_PROXY_IMAGE, PROXY_HEALTH_PATH, PROXY_PORT, renderNginxConfig } from './nginx';
import { ServiceGroupOptions } from './service-group-options';
import { TaskFactory } from './task-factory';
import { SaasApplication, ServiceDefinition, TableSharing } from '../application/saas-application';
import { ScopedDynamoAccess } from '../data/scoped-dynamo-access';
import { TableAccessLevel } from '../data/table-access-level';
import { createTable } from '../private/defaults';
import { checkGroupOptions } from '../private/group-options';
import { checkTenantQualifiedNames, envName, namespaceName, pascal } from '../private/naming';
import { validateTenantId } from '../private/tenant-id';
import { RoutingTarget } from '../router/routing-target';

/** Default AWS Cloud Map quota of namespaces per account and region. */
const CLOUD_MAP_NAMESPACE_QUOTA = 50;
/** Namespaces created per app, to warn before the Cloud Map quota. */
const NAMESPACES = new WeakMap<object, number>();

/**
 * Properties of a ServiceGroup.
 */
export interface ServiceGroupProps extends ServiceGroupOptions {
  /** The cluster the services run in. */
  readonly cluster: ecs.ICluster;

  /** The application whose services the group deploys. */
  readonly application: SaasApplication;

  /** Name of the tier, for tags, names and routing. */
  readonly tierName: string;

  /**
   * The tenant the group serves (a literal or a CloudFormation token).
   *
   * @default - the group serves every tenant of a pooled tier
   */
  readonly tenantId?: string;

  /**
   * Name of the Cloud Map namespace the group's services use for Service Connect (unique per account and region).
   *
   * @default - `<tenant>.<tier>.<stack name>`, or `<tier>.<stack name>` for a pooled group
   */
  readonly namespaceName?: string;

  /**
   * Capacity provider the services are placed with (EC2 capacity).
   *
   * @default - Fargate
   */
  readonly capacityProviderName?: string;

  /**
   * The pooled tables, by the application's table name.
   *
   * @default - none (fails if a service uses a pooled table)
   */
  readonly pooledTables?: { [name: string]: dynamodb.ITable };

}

/**
 * The services of a SaaS application for one tenant, or for all tenants of a pooled tier: the code that every tier
 * uses to deploy its services.
 *
 * What it creates, per group: one security group that admits traffic only from itself (and from the load balancers
 * the routing targets are registered with), a Cloud Map namespace for Service Connect, per-tenant tables, and for
 * each service a task definition, task role (tenant-scoped DynamoDB access, no managed policies), log group,
 * ECS service (at least two tasks, minimum healthy 100%, circuit breaker with rollback, container health check,
 * CPU autoscaling, tags propagated to tasks) and, unless turned off, the nginx tenant proxy in front of them.
 */
export class ServiceGroup extends Construct {
  /** The security group of every task in the group. */
  public readonly securityGroup: ec2.SecurityGroup;

  /** The Cloud Map namespace of the group's Service Connect services (its own, or the shared one it was given). */
  public readonly namespace: servicediscovery.INamespace;

  /** The ECS services of the application, in the application's order. */
  public readonly services: ecs.BaseService[];

  /**
   * The tenant proxy.
   *
   * @default - undefined when `proxy` is false
   */
  public readonly proxyService?: ecs.BaseService;

  /** The group's per-tenant tables (empty for a pooled group). */
  public readonly tables: dynamodb.ITable[];

  /** The entry points the router sends requests to: the proxy, or each service when the proxy is off. */
  public readonly routingTargets: RoutingTarget[];

  /**
   * The tenant the group serves.
   *
   * @default - every tenant of a pooled tier
   */
  public readonly tenantId?: string;

  /** Name of the tier. */
  public readonly tierName: string;

  private readonly props: ServiceGroupProps;
  private readonly tasks: TaskFactory;
  private readonly tablesByName: { [name: string]: dynamodb.ITable };

  constructor(scope: Construct, id: string, props: ServiceGroupProps) {
    super(scope, id);
    if (props.tenantId !== undefined) {
      validateTenantId('tenantId', props.tenantId);
    }
    checkGroupOptions(props, props.capacityProviderName && `capacity provider ${props.capacityProviderName}`);
    this.props = props;
    this.tenantId = props.tenantId;
    this.tierName = props.tierName;
    const app = props.application;

    if (props.tenantId === undefined && app.perTenantTables.length > 0) {
      throw new Error(
        `tables [${app.perTenantTables.map((t) => t.name).join(', ')}] are PER_TENANT, but this group serves every tenant of tier '${props.tierName}': a pooled tier can use only POOLED tables.`,
      );
    }

    Tags.of(this).add('saas:tier', props.tierName);
    if (props.tenantId !== undefined) {
      Tags.of(this).add('saas:tenant-id', props.tenantId);
    }

    const who = props.tenantId === undefined ? `every tenant of tier ${props.tierName}` : `one tenant of tier ${props.tierName}`;
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.cluster.vpc,
      description: `Tasks serving ${who}: admits its own tasks and the router only`,
      allowAllOutbound: true,
    });
    for (const port of new Set(app.services.map((s) => s.containerPort!))) {
      this.securityGroup.addIngressRule(this.securityGroup, ec2.Port.tcp(port), 'Service Connect between the services of this group');
    }
    this.tasks = new TaskFactory(this, { ...props, securityGroup: this.securityGroup, streamOwner: props.tenantId ?? props.tierName });
    const routing = props.routingService;
    if (routing) {
      routing._checkGroup(props);
      for (const port of new Set(app.services.map((s) => s.containerPort!))) {
        this.securityGroup.addIngressRule(routing.securityGroup, ec2.Port.tcp(port), `The routing service of tier ${props.tierName}`);
      }
    }

    if (props.namespace) {
      checkTenantQualifiedNames(app.services.map((s) => s.name), 'namespace (shared by many groups)');
    }
    if (props.namespace && props.namespaceName !== undefined) {
      throw new Error(`namespace and namespaceName '${props.namespaceName}' conflict: namespaceName names the namespace a group creates; a group given a shared namespace creates none.`);
    }
    this.namespace = props.namespace ?? this.ownNamespace(props, who);

    this.tablesByName = { ...(props.pooledTables ?? {}) };
    this.tables = app.perTenantTables.map((t) => {
      const table = createTable(this, `${pascal(t.name)}Table`, { partitionKey: t.partitionKey!, sortKey: t.sortKey, timeToLiveAttribute: t.timeToLiveAttribute, removalPolicy: props.removalPolicy });
      this.tablesByName[t.name] = table;
      return table;
    });

    this.services = app.services.map((s) => this.addService(s));

    if (routing) {
      // The tier's routing service is the tenant's entry point: no proxy, target group or rule of its own.
      this.routingTargets = [routing.routingTarget];
    } else if (props.proxy ?? true) {
      this.proxyService = this.addProxy(props.proxyImage ?? ecs.ContainerImage.fromRegistry(DEFAULT_PROXY_IMAGE));
      this.routingTargets = [
        new RoutingTarget({
          tierName: props.tierName,
          routingKey: props.tenantId ?? props.tierName,
          tenantId: props.tenantId,
          service: this.proxyService,
          containerName: 'proxy',
          port: PROXY_PORT,
          healthCheckPath: PROXY_HEALTH_PATH,
          httpMethods: [...new Set(app.services.flatMap((s) => s.httpMethods!))],
          runningHours: props.runningHours,
        }),
      ];
    } else {
      if (app._cors) {
        Annotations.of(this).addWarningV2('@cdk-ecs-saas/tiers:corsWithoutProxy',
          'The application has a CORS policy, but this service group has no tenant proxy (proxy: false): the router answers preflights '
          + 'and its own errors, but the services must add the CORS headers to their answers themselves (docs/cors.md).');
      }
      this.routingTargets = app.services.map(
        (s, i) =>
          new RoutingTarget({
            tierName: props.tierName,
            routingKey: props.tenantId ?? props.tierName,
            tenantId: props.tenantId,
            pathPrefix: s.pathPrefix,
            service: this.services[i],
            containerName: s.name,
            port: s.containerPort!,
            healthCheckPath: s.healthCheckPath!,
            httpMethods: s.httpMethods!,
            runningHours: props.runningHours,
          }),
      );
    }
  }

  /**
   * The name by which the group's services reach a service through Service Connect: the service's name in a
   * namespace of its own, qualified by the tenant (or, in a pooled group, the tier) in a shared namespace.
   */
  public connectName(serviceName: string): string {
    if (!this.props.application.services.some((s) => s.name === serviceName)) {
      throw new Error(`No service '${serviceName}' in the application.`);
    }
    return this.props.namespace ? `${serviceName}-${this.props.tenantId ?? this.props.tierName}` : serviceName;
  }

  /** The task role of a service. */
  public taskRole(serviceName: string): iam.IRole {
    const index = this.props.application.services.findIndex((s) => s.name === serviceName);
    if (index < 0) {
      throw new Error(`No service '${serviceName}' in the application.`);
    }
    return this.services[index].taskDefinition.taskRole;
  }

  private ownNamespace(props: ServiceGroupProps, who: string): servicediscovery.HttpNamespace {
    const namespaces = (NAMESPACES.get(this.node.root) ?? 0) + 1;
    NAMESPACES.set(this.node.root, namespaces);
    if (namespaces === CLOUD_MAP_NAMESPACE_QUOTA + 1) {
      Annotations.of(this).addWarningV2(
        'cdk-ecs-saas:cloudMapNamespaceQuota',
        `This app creates more than ${CLOUD_MAP_NAMESPACE_QUOTA} Cloud Map namespaces (one per silo tenant and pooled tier). The default quota is ${CLOUD_MAP_NAMESPACE_QUOTA} namespaces per account and region: `
        + 'raise it before deploying, share namespaces between tenants (the `namespace` option), or spread tenants over regions or accounts.',
      );
    }
    return new servicediscovery.HttpNamespace(this, 'Namespace', {
      name: props.namespaceName ?? namespaceName(props.tierName, props.tenantId),
      description: `Service Connect namespace of ${who}`,
    });
  }

  private addService(def: ServiceDefinition): ecs.BaseService {
    const id = pascal(def.name);
    const minTasks = this.props.minTasks ?? def.minTasks!;
    this.tasks.warnFewerThanTwo('cdk-ecs-saas:fewerThanTwoTasks', `Service '${def.name}'`, minTasks);
    const port = def.containerPort!;
    const taskDefinition = this.tasks.taskDefinition(id, def.cpu!, def.memoryLimitMiB!);
    const container = taskDefinition.addContainer(def.name, {
      image: def.image,
      command: def.command,
      environment: {
        ...(def.environment ?? {}),
        TIER_NAME: this.props.tierName,
        ...(this.props.tenantId !== undefined ? { TENANT_ID: this.props.tenantId } : {}),
      },
      portMappings: [{ name: def.name, containerPort: port, appProtocol: ecs.AppProtocol.http }],
      logging: this.tasks.logDriver(def.name, `${id}Logs`),
      healthCheck: def.containerHealthCheck ?? {
        command: ['CMD-SHELL', `wget -q -O /dev/null http://localhost:${port}${def.healthCheckPath} || exit 1`],
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(30),
      },
      ...this.tasks.containerSize(def.cpu!, def.memoryLimitMiB!),
    });

    if (def.tables?.length) {
      const tenantId = this.props.tenantId;
      const tables = (sharing: TableSharing) =>
        def.tables!
          .filter((t) => this.props.application.table(t.table).sharing === sharing)
          .map((t) => ({
            table: sharing === TableSharing.POOLED ? this.pooledTable(t.table) : this.tablesByName[t.table],
            accessLevel: t.accessLevel ?? TableAccessLevel.READ_WRITE,
            environmentVariable: envName(t.table),
          }));
      new ScopedDynamoAccess(this, `${id}DataAccess`, {
        grantee: taskDefinition.taskRole,
        tenantId,
        pooledTables: tables(TableSharing.POOLED),
        siloTables: tenantId !== undefined ? tables(TableSharing.PER_TENANT) : undefined,
      }).addToContainer(container);
    }

    const routing = this.props.routingService;
    return this.tasks.service(id, taskDefinition, {
      serviceConnect: {
        namespace: this.namespace.namespaceArn,
        services: [this.props.namespace
          ? { portMappingName: def.name, discoveryName: this.connectName(def.name), dnsName: this.connectName(def.name), port }
          : { portMappingName: def.name, dnsName: def.name, port }],
        logDriver: this.tasks.logDriver(`${def.name}-sc`, `${id}ServiceConnectLogs`),
      },
      // Behind a routing service: the tasks' addresses in its DNS namespace, under `<service>-<tenant>`.
      cloudMapOptions: routing && this.props.tenantId !== undefined ? routing._registration(def, this.props.tenantId) : undefined,
      minTasks,
      maxTasks: Math.max(def.maxTasks!, minTasks),
      targetCpuUtilizationPercent: def.targetCpuUtilizationPercent!,
    });
  }

  private addProxy(image: ecs.ContainerImage): ecs.BaseService {
    const proxyTasks = this.props.minTasks ?? 2;
    this.tasks.warnFewerThanTwo('cdk-ecs-saas:fewerThanTwoProxyTasks', 'The tenant proxy', proxyTasks);
    const taskDefinition = this.tasks.taskDefinition('Proxy', 256, 512);
    // The configuration is rendered from the application model at synth time and written at start-up.
    this.tasks.addNginx(
      taskDefinition,
      image,
      renderNginxConfig(this.props.application.services, this.props.application._cors, (s) => this.connectName(s.name)),
      this.tasks.logDriver('proxy', 'ProxyLogs'),
    );
    const service = this.tasks.service('Proxy', taskDefinition, {
      // Client only: the proxy reaches the services by their Service Connect names.
      serviceConnect: { namespace: this.namespace.namespaceArn, logDriver: this.tasks.logDriver('proxy-sc', 'ProxyServiceConnectLogs') },
      minTasks: proxyTasks,
      maxTasks: Math.max(10, proxyTasks),
      targetCpuUtilizationPercent: 60,
    });
    // Service Connect clients need the servers registered first.
    this.services.forEach((s) => service.node.addDependency(s));
    return service;
  }

  private pooledTable(name: string): dynamodb.ITable {
    const table = this.props.pooledTables?.[name];
    if (!table) {
      throw new Error(`pooledTables has no table '${name}', which a service of the application uses.`);
    }
    return table;
  }
}
