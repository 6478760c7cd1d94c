import { Annotations, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { PROXY_HEALTH_PATH, PROXY_PORT } from './nginx';
import { ServiceGroupOptions } from './service-group-options';
import { TemplateFindings } from '../checks/template-findings';
import { STOP_DRAIN_MINUTES } from '../contract/running-hours';
import { subnetsOrDefault } from '../private/defaults';
import { acknowledgeLogGroup } from '../private/findings';
import { spotMix } from '../private/group-options';

/** Where and how a construct's ECS tasks run: the group options that shape a task, and the task's network. */
export interface TaskSettings extends ServiceGroupOptions {
  readonly cluster: ecs.ICluster;
  /** Capacity provider of an EC2 cluster; Fargate when undefined. */
  readonly capacityProviderName?: string;
  /** The security group of every task. */
  readonly securityGroup: ec2.ISecurityGroup;
  /** Whose tasks these are (a tenant, or a tier): the first part of the stream prefix in a shared log group. */
  readonly streamOwner: string;
}

/** Options of one ECS service. */
export interface ServiceSpec {
  readonly serviceConnect?: ecs.ServiceConnectProps;
  readonly cloudMapOptions?: ecs.CloudMapOptions;
  readonly minTasks: number;
  readonly maxTasks: number;
  readonly targetCpuUtilizationPercent: number;
}

/**
 * Builds the ECS task definitions and services of a construct (a tenant's service group, or a tier's routing service)
 * one way: Fargate (on-demand, Spot mix, ARM64) or an EC2 capacity provider, awsvpc in the private subnets, one
 * security group, deployments that keep 100% healthy with a rolling-back circuit breaker, tags propagated to tasks,
 * CPU autoscaling, and the running hours' schedule.
 */
export class TaskFactory {
  constructor(private readonly scope: Construct, private readonly settings: TaskSettings) {}

  public taskDefinition(id: string, cpu: number, memoryLimitMiB: number): ecs.TaskDefinition {
    const s = this.settings;
    const executionRole = s.taskExecution?.executionRole;
    if (s.capacityProviderName) {
      return new ecs.Ec2TaskDefinition(this.scope, `${id}Task`, { networkMode: ecs.NetworkMode.AWS_VPC, executionRole });
    }
    return new ecs.FargateTaskDefinition(this.scope, `${id}Task`, {
      executionRole,
      cpu,
      memoryLimitMiB,
      runtimePlatform: s.cpuArchitecture && {
        cpuArchitecture: s.cpuArchitecture,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
  }

  /** Container size on EC2 capacity, where the task has none of its own. */
  public containerSize(cpu: number, memoryLimitMiB: number): { cpu?: number; memoryLimitMiB?: number } {
    return this.settings.capacityProviderName ? { cpu, memoryLimitMiB } : {};
  }

  /** The awslogs driver of a container: a log group of its own, or the shared one under `<owner>/<prefix>`. */
  public logDriver(streamPrefix: string, logGroupId: string): ecs.LogDriver {
    const shared = this.settings.taskExecution;
    if (shared) {
      return ecs.LogDrivers.awsLogs({ streamPrefix: `${this.settings.streamOwner}/${streamPrefix}`, logGroup: shared.logGroup });
    }
    const logGroup = new logs.LogGroup(this.scope, logGroupId, {
      retention: this.settings.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: this.settings.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    acknowledgeLogGroup(logGroup);
    return ecs.LogDrivers.awsLogs({ streamPrefix, logGroup });
  }

  /**
   * An nginx container that writes `conf` (the environment variable `NGINX_CONF`, rendered at synth time) as its
   * only server configuration at start-up, with `prepare` (a shell step) run on it first, and a health check on the
   * unauthenticated health path.
   */
  public addNginx(taskDefinition: ecs.TaskDefinition, image: ecs.ContainerImage, conf: string, logDriver: ecs.LogDriver, prepare = ''): void {
    taskDefinition.addContainer('proxy', {
      image,
      command: ['sh', '-c', `${prepare}printf "%s" "$NGINX_CONF" > /etc/nginx/conf.d/default.conf && exec nginx -g "daemon off;"`],
      environment: { NGINX_CONF: conf },
      portMappings: [{ name: 'proxy', containerPort: PROXY_PORT, appProtocol: ecs.AppProtocol.http }],
      logging: logDriver,
      healthCheck: {
        command: ['CMD-SHELL', `wget -q -O /dev/null http://localhost:${PROXY_PORT}${PROXY_HEALTH_PATH} || exit 1`],
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(15),
      },
      ...this.containerSize(256, 512),
    });
  }

  /** The ECS service of a task definition, scaled on CPU between `minTasks` and `maxTasks`, and on the running hours. */
  public service(id: string, taskDefinition: ecs.TaskDefinition, spec: ServiceSpec): ecs.BaseService {
    const s = this.settings;
    const common = {
      cluster: s.cluster,
      taskDefinition,
      desiredCount: spec.minTasks,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      securityGroups: [s.securityGroup],
      vpcSubnets: subnetsOrDefault(s.vpcSubnets),
      propagateTags: ecs.PropagatedTagSource.SERVICE,
      enableECSManagedTags: true,
      serviceConnectConfiguration: spec.serviceConnect,
      cloudMapOptions: spec.cloudMapOptions,
    };
    let service: ecs.BaseService;
    if (s.capacityProviderName) {
      service = new ecs.Ec2Service(this.scope, `${id}Service`, {
        ...common,
        capacityProviderStrategies: [{ capacityProvider: s.capacityProviderName, weight: 1 }],
      });
      // The capacity provider must be associated with the cluster before the service is created (and after it is
      // deleted): depend on the cluster and everything under it, the association included (CDK creates it at
      // synthesis, so it cannot be named here).
      if (s.cluster instanceof ecs.Cluster) {
        service.node.addDependency(s.cluster);
      }
    } else if (s.fargateSpot) {
      const mix = spotMix(s.fargateSpot);
      service = new ecs.FargateService(this.scope, `${id}Service`, {
        ...common,
        assignPublicIp: false,
        capacityProviderStrategies: [
          { capacityProvider: 'FARGATE', base: mix.onDemandBase, weight: mix.onDemandWeight },
          { capacityProvider: 'FARGATE_SPOT', weight: mix.spotWeight },
        ],
      });
      // As for EC2 capacity: the cluster's association with FARGATE and FARGATE_SPOT must exist first.
      if (s.cluster instanceof ecs.Cluster) {
        s.cluster.enableFargateCapacityProviders();
        service.node.addDependency(s.cluster);
      }
    } else {
      service = new ecs.FargateService(this.scope, `${id}Service`, { ...common, assignPublicIp: false });
    }
    const scaling = service.autoScaleTaskCount({ minCapacity: spec.minTasks, maxCapacity: spec.maxTasks });
    scaling.scaleOnCpuUtilization('CpuScaling', { targetUtilizationPercent: spec.targetCpuUtilizationPercent });
    this.scheduleRunningHours(scaling, spec.minTasks, spec.maxTasks);
    this.acknowledgeClusterDependency(service);
    return service;
  }

  /** Warns when a service runs fewer than two tasks. */
  public warnFewerThanTwo(id: string, what: string, tasks: number): void {
    if (tasks < 2) {
      Annotations.of(this.scope).addWarningV2(
        id,
        `${what} runs ${tasks} task: a failed or replaced task means downtime. Use minTasks of at least 2 in production.`,
      );
    }
  }

  /**
   * Outside the running hours, zero tasks: at the start hour the usual bounds come back; STOP_DRAIN_MINUTES after the
   * stop hour (when no decision the router's authorizer cached can still send requests here) both bounds go to zero.
   */
  private scheduleRunningHours(scaling: ecs.ScalableTaskCount, minCapacity: number, maxCapacity: number): void {
    const hours = this.settings.runningHours;
    if (!hours) {
      return;
    }
    const weekDay = hours.weekdaysOnly ? 'MON-FRI' : undefined;
    scaling.scaleOnSchedule('Start', {
      schedule: appscaling.Schedule.cron({ minute: '0', hour: String(hours.startHour), weekDay }),
      minCapacity,
      maxCapacity,
    });
    scaling.scaleOnSchedule('Stop', {
      schedule: appscaling.Schedule.cron({ minute: String(STOP_DRAIN_MINUTES), hour: String(hours.stopHour), weekDay }),
      minCapacity: 0,
      maxCapacity: 0,
    });
  }

  /** cfn-lint W3005 on a service that depends on its cluster (see `service`) and references it too. */
  private acknowledgeClusterDependency(service: ecs.BaseService): void {
    const s = this.settings;
    if (!((s.capacityProviderName || s.fargateSpot) && s.cluster instanceof ecs.Cluster)) {
      return;
    }
    for (const c of service.node.findAll()) {
      if (c instanceof ecs.CfnService || c instanceof appscaling.CfnScalableTarget) {
        TemplateFindings.acknowledgeCfnLint(c, 'W3005', 'the service waits for its capacity provider\'s association with the cluster, which CDK creates at synthesis under the cluster: '
          + 'it depends on the whole cluster, whose dependency cfn-lint finds redundant with the cluster reference');
      }
    }
  }
}
