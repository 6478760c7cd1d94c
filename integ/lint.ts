import { CfnResource, IAspect, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { IConstruct } from 'constructs';
import { TemplateFindings } from '../src';

/**
 * The cfn-lint findings of the integ apps that are about code we do not own, skipped on each resource with the reason
 * (test/templates.checks.test.ts lints every snapshot):
 * - W3005 on every Lambda function and integ-tests-alpha's waiter state machines: CDK makes them depend on their role
 *   besides referencing it; on integ-tests-alpha's assertion calls chained with `next()`, which depend on the call
 *   whose output they also read;
 * - W3037 on integ-tests-alpha's assertion provider role, whose policy names the action `lambda:Invoke` (not an IAM
 *   action; the provider's `lambda:InvokeFunction` is granted beside it);
 * - W2501 on the assertion that sets the integ test user's password: a throwaway user of a test pool the test deletes.
 *
 * And the checkov findings on the integ apps' own resources (the library's resources carry their own acknowledgements,
 * which this leaves alone): the probes, clients and integ-tests-alpha's assertion providers (no DLQ, concurrency
 * limit, VPC or environment key), their log groups and test tables (no customer managed key, no point-in-time
 * recovery), the replies queue (SQS managed encryption, which checkov does not count), the assertion provider's role (the assertions' API calls, on any resource), and integ.tiers' stand-in
 * router (plain HTTP inside the VPC, no access logs). Each lives as long as its test.
 */
export class IntegLintAcknowledgements implements IAspect {
  public visit(node: IConstruct): void {
    if (!CfnResource.isCfnResource(node)) {
      return;
    }
    const type = node.cfnResourceType;
    this.acknowledgeCheckov(node);
    if (type === 'AWS::Lambda::Function' || type === 'AWS::StepFunctions::StateMachine') {
      TemplateFindings.acknowledgeCfnLint(node, 'W3005', 'CDK makes each function and state machine depend on its role and the role\'s policy besides referencing the role; the redundant role dependency is CDK\'s and harmless');
    }
    if (type.startsWith('Custom::DeployAssert')) {
      TemplateFindings.acknowledgeCfnLint(node, 'W3005', 'integ-tests-alpha makes an assertion chained with next() depend on the call before it, whose output it may also read; its ordering, harmless');
    }
    if (type === 'AWS::IAM::Role' && JSON.stringify(Stack.of(node).resolve((node as any)._toCloudFormation())).includes('"lambda:Invoke"')) {
      TemplateFindings.acknowledgeCfnLint(node, 'W3037', 'integ-tests-alpha grants its assertion provider "lambda:Invoke", which is no IAM action (it grants lambda:InvokeFunction too); not our code');
    }
    if (type.startsWith('Custom::DeployAssert') && node.node.path.includes('adminSetUserPassword')) {
      TemplateFindings.acknowledgeCfnLint(node, 'W2501', 'the password of a throwaway user of the integ test\'s own user pool, which the test deletes with its stack');
    }
  }

  /** checkov: the integ apps' own resources, where no acknowledgement of the library's is already in place. */
  private acknowledgeCheckov(node: CfnResource): void {
    const skipped: string[] = (node.getMetadata('checkov')?.skip ?? []).map((x: { id: string }) => x.id);
    const skip = (id: string, reason: string) => {
      if (!skipped.includes(id)) {
        TemplateFindings.acknowledgeCheckov(node, id, reason);
      }
    };
    const test = 'lives only as long as its integ test';
    switch (node.cfnResourceType) {
      case 'AWS::Lambda::Function':
        skip('CKV_AWS_115', `an integ test's own function (a probe, a client, an assertion provider), invoked a few times; it ${test}`);
        skip('CKV_AWS_116', 'an integ test\'s own function, invoked synchronously by the test\'s assertions, which see each failure');
        if (!(node as lambda.CfnFunction).vpcConfig) {
          skip('CKV_AWS_117', `an integ test's own function that calls AWS APIs and public endpoints only; it ${test}`);
        }
        if ((node as lambda.CfnFunction).environment) {
          skip('CKV_AWS_173', `an integ test's own function whose environment names the resources under test, no secret; it ${test}`);
        }
        break;
      case 'AWS::Logs::LogGroup':
        skip('CKV_AWS_158', `an integ test's log group, encrypted at rest by CloudWatch Logs with its own keys; it ${test}`);
        break;
      case 'AWS::DynamoDB::Table':
        skip('CKV_AWS_119', `an integ test's table, encrypted at rest by DynamoDB with an AWS owned key; it ${test}`);
        if (!Stack.of(node).resolve((node as dynamodb.CfnTable).pointInTimeRecoverySpecification)?.pointInTimeRecoveryEnabled) {
          skip('CKV_AWS_28', `an integ test's table, with test data only: nothing to recover; it ${test}`);
        }
        break;
      case 'AWS::IAM::Role':
        if (node.node.path.includes('/SingletonFunction')) {
          skip('CKV_AWS_111', 'integ-tests-alpha\'s assertion provider: it makes the assertions\' API calls, on the resources under test, from a role it writes');
        }
        break;
      case 'AWS::SQS::Queue':
        if (Stack.of(node).resolve((node as sqs.CfnQueue).sqsManagedSseEnabled) === true) {
          skip('CKV_AWS_27', 'encrypted at rest with SQS managed keys (SqsManagedSseEnabled), which checkov does not count; EventBridge, '
            + 'which writes to it, cannot use the AWS managed KMS key');
        }
        break;
      case 'AWS::ElasticLoadBalancingV2::LoadBalancer':
        if (!JSON.stringify(Stack.of(node).resolve((node as elbv2.CfnLoadBalancer).loadBalancerAttributes) ?? []).includes('access_logs.s3.enabled')) {
          skip('CKV_AWS_91', `integ.tiers' stand-in router, an internal load balancer reached by the test's probe only; it ${test}`);
        }
        break;
      case 'AWS::ElasticLoadBalancingV2::Listener':
        skip('CKV_AWS_2', 'integ.tiers\' stand-in router: internal, plain HTTP inside the VPC, reached by the test\'s probe only');
        skip('CKV_AWS_103', 'integ.tiers\' stand-in router: internal, plain HTTP inside the VPC, reached by the test\'s probe only');
        break;
      default:
        break;
    }
  }
}
