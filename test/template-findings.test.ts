import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { TemplateFindings } from '../src';

/** TemplateFindings: acknowledgements in the metadata cfn-lint and checkov read, on one resource, with the reason. */
function queue(): { stack: Stack; resource: CfnResource } {
  const stack = new Stack(new App(), 'Stack');
  const q = new sqs.Queue(stack, 'Queue');
  return { stack, resource: q.node.defaultChild as CfnResource };
}

const REASON = 'the reason this finding does not apply here';

test('a cfn-lint rule is skipped in cfn-lint\'s own metadata, its reason beside it, rules accumulating without duplicates', () => {
  const { stack, resource } = queue();
  TemplateFindings.acknowledgeCfnLint(resource, 'W3005', REASON);
  TemplateFindings.acknowledgeCfnLint(resource, 'W3005', REASON);
  TemplateFindings.acknowledgeCfnLint(resource, 'E3031', 'another reason, for another rule');
  const [q] = Object.values(Template.fromStack(stack).findResources('AWS::SQS::Queue'));
  expect(q.Metadata['cfn-lint']).toEqual({ config: { ignore_checks: ['W3005', 'E3031'] } });
  expect(q.Metadata[TemplateFindings.CFN_LINT_REASONS_KEY]).toEqual({ W3005: REASON, E3031: 'another reason, for another rule' });
});

test('a checkov check is skipped in checkov\'s own metadata with the reason as its comment; acknowledging again replaces it', () => {
  const { stack, resource } = queue();
  TemplateFindings.acknowledgeCheckov(resource, 'CKV_AWS_27', 'first reason, since replaced');
  TemplateFindings.acknowledgeCheckov(resource, 'CKV_AWS_27', REASON);
  TemplateFindings.acknowledgeCheckov(resource, 'CKV2_AWS_5', 'a graph check, acknowledged too');
  const [q] = Object.values(Template.fromStack(stack).findResources('AWS::SQS::Queue'));
  expect(q.Metadata.checkov).toEqual({ skip: [{ id: 'CKV_AWS_27', comment: REASON }, { id: 'CKV2_AWS_5', comment: 'a graph check, acknowledged too' }] });
});

test.each([
  ['W305', 'rule', "rule must be a cfn-lint rule id such as 'W3005'; got 'W305'."],
  ['w3005', 'rule', "rule must be a cfn-lint rule id such as 'W3005'; got 'w3005'."],
  ['AwsSolutions-L1', 'rule', "rule must be a cfn-lint rule id such as 'W3005'; got 'AwsSolutions-L1'."],
])('cfn-lint rule %s is refused', (rule, _prop, message) => {
  expect(() => TemplateFindings.acknowledgeCfnLint(queue().resource, rule, REASON)).toThrow(message);
});

test.each([
  ['CKV_AWS_', "checkId must be a checkov check id such as 'CKV_AWS_117'; got 'CKV_AWS_'."],
  ['ckv_aws_117', "checkId must be a checkov check id such as 'CKV_AWS_117'; got 'ckv_aws_117'."],
  ['W3005', "checkId must be a checkov check id such as 'CKV_AWS_117'; got 'W3005'."],
])('checkov check %s is refused', (checkId, message) => {
  expect(() => TemplateFindings.acknowledgeCheckov(queue().resource, checkId, REASON)).toThrow(message);
});

test.each([[''], ['   '], ['too short']])('a reason under 20 characters (%j) is refused, for either tool', (reason) => {
  const message = `reason must say why the finding does not apply, in at least 20 characters; got '${reason}'.`;
  expect(() => TemplateFindings.acknowledgeCfnLint(queue().resource, 'W3005', reason)).toThrow(message);
  expect(() => TemplateFindings.acknowledgeCheckov(queue().resource, 'CKV_AWS_27', reason)).toThrow(message);
});
