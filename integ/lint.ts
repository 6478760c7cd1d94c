import { CfnResource, IAspect, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { acknowledgeLintFinding } from '../examples/nag-acknowledgements';

/**
 * The cfn-lint findings of the integ apps that are about code we do not own, skipped on each resource with the reason
 * (test/templates.lint.test.ts lints every snapshot):
 * - W3005 on every Lambda function and integ-tests-alpha's waiter state machines: CDK makes them depend on their role
 *   besides referencing it; on integ-tests-alpha's assertion calls chained with `next()`, which depend on the call
 *   whose output they also read;
 * - W3037 on integ-tests-alpha's assertion provider role, whose policy names the action `lambda:Invoke` (not an IAM
 *   action; the provider's `lambda:InvokeFunction` is granted beside it);
 * - W2501 on the assertion that sets the integ test user's password: a throwaway user of a test pool the test deletes.
 */
export class IntegLintAcknowledgements implements IAspect {
  public visit(node: IConstruct): void {
    if (!CfnResource.isCfnResource(node)) {
      return;
    }
    const type = node.cfnResourceType;
    if (type === 'AWS::Lambda::Function' || type === 'AWS::StepFunctions::StateMachine') {
      acknowledgeLintFinding(node, 'W3005', 'CDK makes each function and state machine depend on its role and the role\'s policy besides referencing the role; the redundant role dependency is CDK\'s and harmless');
    }
    if (type.startsWith('Custom::DeployAssert')) {
      acknowledgeLintFinding(node, 'W3005', 'integ-tests-alpha makes an assertion chained with next() depend on the call before it, whose output it may also read; its ordering, harmless');
    }
    if (type === 'AWS::IAM::Role' && JSON.stringify(Stack.of(node).resolve((node as any)._toCloudFormation())).includes('"lambda:Invoke"')) {
      acknowledgeLintFinding(node, 'W3037', 'integ-tests-alpha grants its assertion provider "lambda:Invoke", which is no IAM action (it grants lambda:InvokeFunction too); not our code');
    }
    if (type.startsWith('Custom::DeployAssert') && node.node.path.includes('adminSetUserPassword')) {
      acknowledgeLintFinding(node, 'W2501', 'the password of a throwaway user of the integ test\'s own user pool, which the test deletes with its stack');
    }
  }
}
