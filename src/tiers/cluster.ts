import { Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { TierCapacity } from './tier-capacity';
import { acknowledgeFunction, acknowledgeInstancePolicy } from '../private/findings';
import { isArm } from '../private/group-options';

/** The construct id aws-cdk-lib gives the provider function of AwsCustomResource, in each stack that has one. */
const AWS_CUSTOM_RESOURCE_PROVIDER = 'AWS679f53fac002430cb0da5b7982bd2287';

/** A cluster and, for EC2 capacity, the capacity provider its services must use. */
export interface TierCluster {
  readonly cluster: ecs.Cluster;
  readonly capacityProviderName?: string;
}

/**
 * Creates a cluster with Container Insights and the requested capacity. EC2 capacity is an Auto Scaling group of
 * ECS-optimized instances (IMDSv2, encrypted root volume, detailed monitoring) behind a capacity provider with
 * managed scaling, so services placed through the capacity-provider strategy drive the instance count.
 */
export function createTierCluster(
  scope: Construct,
  vpc: ec2.IVpc,
  capacity: TierCapacity,
  vpcSubnets: ec2.SubnetSelection,
  cpuArchitecture?: ecs.CpuArchitecture,
): TierCluster {
  const cluster = new ecs.Cluster(scope, 'Cluster', {
    vpc,
    containerInsightsV2: ecs.ContainerInsights.ENABLED,
  });
  if (!capacity.isEc2) {
    return { cluster };
  }
  const options = capacity.ec2Options;
  const instanceType = options.instanceType ?? new ec2.InstanceType('m6i.large');
  const arm = instanceType.architecture === ec2.InstanceArchitecture.ARM_64;
  if (arm !== isArm(cpuArchitecture)) {
    throw new Error(`capacity's instance type ${instanceType} is ${arm ? 'ARM64' : 'x86_64'}, but cpuArchitecture is ${cpuArchitecture?._cpuArchitecture ?? 'X86_64 (the default)'}: `
      + `give cpuArchitecture: ecs.CpuArchitecture.${arm ? 'ARM64' : 'X86_64'}, or an instance type of the tasks' architecture.`);
  }
  const role = new iam.Role(scope, 'InstanceRole', {
    assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
    description: `ECS container instances of ${cluster.node.path}`,
  });
  const userData = ec2.UserData.forLinux();
  // awsvpc tasks share the host: block their access to the instance metadata service (and so the instance role).
  userData.addCommands('echo ECS_AWSVPC_BLOCK_IMDS=true >> /etc/ecs/ecs.config');
  const launchTemplate = new ec2.LaunchTemplate(scope, 'LaunchTemplate', {
    instanceType,
    machineImage: ecs.EcsOptimizedImage.amazonLinux2023(arm ? ecs.AmiHardwareType.ARM : ecs.AmiHardwareType.STANDARD),
    userData,
    role,
    requireImdsv2: true,
    // Tasks must not reach the instance's metadata: the instance role could fetch other tasks' credentials.
    httpPutResponseHopLimit: 1,
    detailedMonitoring: true,
    securityGroup: new ec2.SecurityGroup(scope, 'InstanceSecurityGroup', {
      vpc,
      description: 'ECS container instances: no inbound traffic (tasks use their own ENIs)',
      allowAllOutbound: true,
    }),
    blockDevices: [
      { deviceName: '/dev/xvda', volume: ec2.BlockDeviceVolume.ebs(30, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }) },
    ],
  });
  const autoScalingGroup = new autoscaling.AutoScalingGroup(scope, 'Instances', {
    vpc,
    vpcSubnets,
    launchTemplate,
    minCapacity: options.minInstances,
    maxCapacity: options.maxInstances,
  });
  const capacityProvider = new ecs.AsgCapacityProvider(scope, 'CapacityProvider', {
    autoScalingGroup,
    enableManagedScaling: true,
    enableManagedTerminationProtection: false,
    enableManagedDraining: true,
    targetCapacityPercent: 100,
  });
  // With ECS managed draining, CDK adds no drain-hook Lambda and SNS topic.
  cluster.addAsgCapacityProvider(capacityProvider);
  const policy = role.node.tryFindChild('DefaultPolicy');
  if (policy) {
    acknowledgeInstancePolicy(policy);
  }

  if (options.awsvpcTrunking) {
    // Account setting for the instances' role; ECS has no CloudFormation resource for it.
    const setting = {
      service: 'ECS',
      parameters: { name: 'awsvpcTrunking', value: 'enabled', principalArn: role.roleArn },
    };
    const trunking = new cr.AwsCustomResource(scope, 'AwsvpcTrunking', {
      onCreate: { ...setting, action: 'putAccountSetting', physicalResourceId: cr.PhysicalResourceId.of('awsvpcTrunking') },
      onUpdate: { ...setting, action: 'putAccountSetting', physicalResourceId: cr.PhysicalResourceId.of('awsvpcTrunking') },
      onDelete: {
        service: 'ECS',
        action: 'deleteAccountSetting',
        parameters: { name: 'awsvpcTrunking', principalArn: role.roleArn },
      },
      // ecs:PutAccountSetting has no resource-level permissions.
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['ecs:PutAccountSetting', 'ecs:DeleteAccountSetting'], resources: ['*'] }),
      ]),
      installLatestAwsSdk: false,
    });
    autoScalingGroup.node.addDependency(trunking);
    // aws-cdk-lib's provider function of AwsCustomResource, one per stack.
    const provider = Stack.of(scope).node.tryFindChild(AWS_CUSTOM_RESOURCE_PROVIDER);
    if (provider) {
      acknowledgeFunction(provider, {
        invokedSynchronouslyBy: 'CloudFormation, through aws-cdk-lib\'s AwsCustomResource, when the stack is deployed',
        noReservedConcurrency: 'runs only while CloudFormation deploys the stack, once per custom resource',
      });
    }
  }
  return { cluster, capacityProviderName: capacityProvider.capacityProviderName };
}
