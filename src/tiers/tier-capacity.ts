import * as ec2 from 'aws-cdk-lib/aws-ec2';

/**
 * Options of EC2 capacity for a tier's clusters.
 */
export interface Ec2CapacityOptions {
  /**
   * Instance type of the container instances. With awsvpc networking each task takes an ENI: pick a type with
   * enough ENIs, or turn on `awsvpcTrunking`.
   *
   * @default m6i.large
   */
  readonly instanceType?: ec2.InstanceType;

  /**
   * Fewest container instances.
   *
   * @default 1
   */
  readonly minInstances?: number;

  /**
   * Most container instances that managed scaling may start. Without trunking an instance runs as many awsvpc tasks
   * as it has ENIs minus one (2 on m6i.large); a tenant of a two-service application with the proxy needs 6 tasks,
   * and deployments need room for 200%.
   *
   * @default 10
   */
  readonly maxInstances?: number;

  /**
   * Turn on awsvpc ENI trunking for the container instances' role, so each instance runs more awsvpc tasks (the
   * instance type must support trunking). ECS has no CloudFormation resource for this account setting, so it is
   * set with a custom resource calling `ecs:PutAccountSetting`.
   *
   * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/container-instance-eni.html
   * @default false
   */
  readonly awsvpcTrunking?: boolean;
}

/**
 * What runs a tier's tasks: AWS Fargate, or EC2 instances behind an ECS capacity provider with managed scaling.
 */
export class TierCapacity {
  /** AWS Fargate. */
  public static fargate(): TierCapacity {
    return new TierCapacity(false, {});
  }

  /** EC2 container instances in an Auto Scaling group, used through a capacity provider with managed scaling. */
  public static ec2(options: Ec2CapacityOptions = {}): TierCapacity {
    const min = options.minInstances ?? 1;
    const max = options.maxInstances ?? 10;
    if (!Number.isInteger(min) || min < 0) {
      throw new Error(`minInstances must be a whole number of at least 0; got ${min}.`);
    }
    if (!Number.isInteger(max) || max < Math.max(min, 1)) {
      throw new Error(`maxInstances must be a whole number of at least minInstances (${min}) and 1; got ${max}.`);
    }
    return new TierCapacity(true, { ...options, minInstances: min, maxInstances: max });
  }

  /** Whether tasks run on EC2 container instances. */
  public readonly isEc2: boolean;

  /** The EC2 options, with defaults applied (an empty object for Fargate). */
  public readonly ec2Options: Ec2CapacityOptions;

  private constructor(isEc2: boolean, ec2Options: Ec2CapacityOptions) {
    this.isEc2 = isEc2;
    this.ec2Options = ec2Options;
  }
}
