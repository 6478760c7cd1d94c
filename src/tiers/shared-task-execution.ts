import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeLogGroup } from '../private/findings';

/**
 * Properties of a SharedTaskExecution.
 */
export interface SharedTaskExecutionProps {
  /**
   * Removal policy of the log group.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Retention of the log group.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * One task execution role and one log group, shared by the service groups of many tenants (the `taskExecution`
 * option of every tier). ECS uses the execution role to pull the images and to write the containers' logs; it holds
 * nothing of a tenant's, so tenants do not need one each. Every container writes to the one log group under the
 * stream prefix `<tenant>/<service>` (`<tier>/<service>` for a pooled group).
 *
 * Without it, each service of each tenant has an execution role and two log groups of its own: 4 roles for the
 * example's silo tenant, against 1,000 roles per account by default (docs/capacity.md). The role's policy does not
 * grow with the tenants: every group grants the same log group and images.
 *
 * The task roles, which hold a tenant's data access, stay one per service and tenant.
 *
 * @example
 * declare const vpc: ec2.IVpc;
 * declare const application: SaasApplication;
 *
 * const taskExecution = new SharedTaskExecution(this, 'AdvancedExecution');
 * new SiloServiceTier(this, 'Advanced', { vpc, application, taskExecution, tenants: ['acme', 'globex'] });
 */
export class SharedTaskExecution extends Construct {
  /** The execution role of every task definition of the groups that share it. */
  public readonly executionRole: iam.Role;

  /** The log group of every container of those groups. */
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: SharedTaskExecutionProps = {}) {
    super(scope, id);
    this.executionRole = new iam.Role(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `ECS task execution role shared by the service groups of ${this.node.path}: pulls images, writes logs`,
    });
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    acknowledgeLogGroup(this.logGroup);
  }
}
