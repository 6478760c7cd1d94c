import { Stack } from 'aws-cdk-lib';
import { NagSuppressions } from 'cdk-nag';
import { IConstruct } from 'constructs';

/**
 * The cdk-nag AwsSolutions findings the tiers leave by design, acknowledged per resource with the reason. The example
 * app uses it, and test/tiers.nag.test.ts proves that with it nothing is left unacknowledged:
 * - ECS2 on each task definition: its environment holds configuration (tier, tenant id, table names, role ARN, the
 *   proxy's nginx configuration), not secrets;
 * - on EC2 capacity: AS3 (scaling notifications are the operator's choice; Auto Scaling and ECS events reach
 *   EventBridge) and IAM5 on the instance role (the ECS agent's policy, written by aws-cdk-lib);
 * - with awsvpc trunking: IAM5 on ecs:PutAccountSetting, which has no resource-level permissions, and L1/IAM4 on
 *   aws-cdk-lib's AwsCustomResource provider function.
 */
export function acknowledgeTierFindings(scope: IConstruct): void {
  for (const c of scope.node.findAll()) {
    const path = c.node.path;
    const type = (c as { cfnResourceType?: string }).cfnResourceType;
    if (type === 'AWS::ECS::TaskDefinition') {
      NagSuppressions.addResourceSuppressions(c, [{ id: 'AwsSolutions-ECS2', reason: 'The environment holds configuration (tier, tenant id, table names, role ARN, nginx configuration), not secrets.' }]);
    }
    if (type === 'AWS::AutoScaling::AutoScalingGroup') {
      NagSuppressions.addResourceSuppressions(c, [{ id: 'AwsSolutions-AS3', reason: 'Scaling notifications are the operator\'s choice; Auto Scaling and ECS events reach EventBridge.' }]);
    }
    if (type === 'AWS::IAM::Policy' && /\/InstanceRole\/DefaultPolicy\/Resource$/.test(path)) {
      NagSuppressions.addResourceSuppressions(c, [{ id: 'AwsSolutions-IAM5', reason: 'The ECS agent policy that aws-cdk-lib writes for container instances (ecs:Submit*, logs, ECR auth).' }]);
    }
    if (type === 'AWS::IAM::Policy' && /\/AwsvpcTrunking\/CustomResourcePolicy\/Resource$/.test(path)) {
      NagSuppressions.addResourceSuppressions(c, [{ id: 'AwsSolutions-IAM5', reason: 'ecs:PutAccountSetting and ecs:DeleteAccountSetting have no resource-level permissions.', appliesTo: ['Resource::*'] }]);
    }
  }
  const provider = Stack.of(scope).node.tryFindChild('AWS679f53fac002430cb0da5b7982bd2287');
  if (provider) {
    NagSuppressions.addResourceSuppressions(provider, [
      { id: 'AwsSolutions-IAM4', reason: 'aws-cdk-lib\'s AwsCustomResource provider uses the basic Lambda execution role.', appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'] },
      { id: 'AwsSolutions-L1', reason: 'aws-cdk-lib chooses the runtime of its AwsCustomResource provider.' },
    ], true);
  }
}
