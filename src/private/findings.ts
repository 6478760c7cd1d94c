import { CfnResource } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { TemplateFindings } from '../checks/template-findings';

/**
 * The template checkers' findings that the library acknowledges on its own resources, each a decision recorded with
 * its reason (docs/template-checks.md). One place, so that every construct gives the same reason for the same choice.
 */

/** cfn-lint W3005: CDK makes a function or a state machine depend on its role (and the role's policy) and also reference it. */
export const ROLE_DEPENDENCY_REASON =
  'CDK makes the resource depend on its role and the role\'s default policy; the policy dependency is needed, and the role one, '
  + 'which cfn-lint finds redundant with the Role reference, is CDK\'s and harmless';

/** checkov CKV_AWS_158 on every log group of the library. */
const LOG_GROUP_KEY_REASON =
  'CloudWatch Logs encrypts every log group at rest with its own keys; a customer managed key (USD 1 a month per key, plus '
  + 'requests) is the app\'s choice, not the library\'s default';

/** checkov CKV_AWS_119 on every table of the library that the user did not give a customer managed key. */
const TABLE_KEY_REASON =
  'DynamoDB encrypts the table at rest (AWS owned or AWS managed key, at no charge); the library does not offer customer managed '
  + 'keys yet (docs/template-checks.md)';

/** The findings about a Lambda function of the library, by its role in the system. */
export interface FunctionFindings {
  /**
   * Who invokes the function, synchronously (a dead-letter queue takes asynchronous invocations only). Undefined: it
   * is invoked asynchronously and has a dead-letter queue.
   */
  readonly invokedSynchronouslyBy?: string;
  /** Why the function has no reserved concurrency. */
  readonly noReservedConcurrency: string;
}

/** Acknowledges a library function's findings: cfn-lint's role dependency; checkov's DLQ, concurrency, VPC and key checks. */
export function acknowledgeFunction(fn: IConstruct, findings: FunctionFindings): void {
  const resource = fn.node.defaultChild as CfnResource;
  TemplateFindings.acknowledgeCfnLint(resource, 'W3005', ROLE_DEPENDENCY_REASON);
  if (findings.invokedSynchronouslyBy) {
    TemplateFindings.acknowledgeCheckov(resource, 'CKV_AWS_116',
      `invoked synchronously by ${findings.invokedSynchronouslyBy}, which sees every failure; a dead-letter queue takes only asynchronous invocations`);
  }
  TemplateFindings.acknowledgeCheckov(resource, 'CKV_AWS_115', findings.noReservedConcurrency);
  TemplateFindings.acknowledgeCheckov(resource, 'CKV_AWS_117',
    'calls AWS APIs and public key endpoints only, no resource inside a VPC; outside one it needs no NAT gateway or interface endpoints');
  TemplateFindings.acknowledgeCheckov(resource, 'CKV_AWS_173',
    'its environment holds configuration only (names, ids, routing as JSON), no secret; Lambda encrypts it at rest with an AWS managed key');
}

/** Acknowledges that a dead-letter queue of the library is encrypted with SQS managed keys, not KMS. */
export function acknowledgeDeadLetterQueueKey(queue: IConstruct): void {
  TemplateFindings.acknowledgeCheckov(queue.node.defaultChild as CfnResource, 'CKV_AWS_27',
    'encrypted at rest with SQS managed keys (SqsManagedSseEnabled), which checkov does not count; EventBridge, which writes to this '
    + 'dead-letter queue, cannot use the AWS managed KMS key');
}

/** Acknowledges that a log group of the library has no customer managed key. */
export function acknowledgeLogGroup(logGroup: IConstruct): void {
  TemplateFindings.acknowledgeCheckov(logGroup.node.defaultChild as CfnResource, 'CKV_AWS_158', LOG_GROUP_KEY_REASON);
}

/** Acknowledges that a table of the library has no customer managed key. */
export function acknowledgeTableKey(table: IConstruct): void {
  TemplateFindings.acknowledgeCheckov(table.node.defaultChild as CfnResource, 'CKV_AWS_119', TABLE_KEY_REASON);
}

/** A router shard's listener (plain HTTP inside the VPC) and stage (no response cache). */
export function acknowledgeShardFindings(listener: IConstruct, stage: IConstruct): void {
  const http = 'an internal load balancer that admits only the router\'s VPC link, inside the VPC: TLS ends at API Gateway; TLS here '
    + 'would need a private CA certificate (USD 400 a month per CA)';
  TemplateFindings.acknowledgeCheckov(listener.node.defaultChild as CfnResource, 'CKV_AWS_2', http);
  TemplateFindings.acknowledgeCheckov(listener.node.defaultChild as CfnResource, 'CKV_AWS_103', http);
  TemplateFindings.acknowledgeCheckov(stage.node.defaultChild as CfnResource, 'CKV_AWS_120',
    'responses belong to one tenant and one user; a stage cache is keyed by request, not by caller, and could serve one tenant\'s data '
    + 'to another (it would also cost from USD 0.02 an hour)');
}

/** The router's access-log bucket: it is the log bucket. */
export function acknowledgeAccessLogBucket(bucket: IConstruct): void {
  const resource = bucket.node.defaultChild as CfnResource;
  TemplateFindings.acknowledgeCheckov(resource, 'CKV_AWS_18', 'this bucket receives the load balancers\' access logs; logging its own access would need another log bucket, and so on');
  TemplateFindings.acknowledgeCheckov(resource, 'CKV_AWS_21',
    'log objects are written once by log delivery, which alone may write, and expire after a year; versions would keep what the lifecycle rule removes');
}

/** The boundary of tenant stacks' roles: a ceiling of actions, on any resource. */
export function acknowledgeBoundary(boundary: IConstruct): void {
  const resource = boundary.node.defaultChild as CfnResource;
  const reason = 'a permissions boundary grants nothing: it caps the actions of the tenant stacks\' roles, whose own policies name their '
    + 'resources (docs/template-checks.md)';
  TemplateFindings.acknowledgeCheckov(resource, 'CKV_AWS_111', reason);
  TemplateFindings.acknowledgeCheckov(resource, 'CKV_AWS_107', `${reason}; ecr:GetAuthorizationToken is there for image pulls and has no resource`);
}

/** aws-cdk-lib's policy for ECS container instances. */
export function acknowledgeInstancePolicy(policy: IConstruct): void {
  TemplateFindings.acknowledgeCheckov(policy.node.defaultChild as CfnResource, 'CKV_AWS_111',
    'aws-cdk-lib writes this ECS agent policy for container instances: ecs:Poll, ecs:StartTelemetrySession, ecs:DiscoverPollEndpoint, '
    + 'ecr:GetAuthorizationToken and the agent\'s logs take no narrower resource');
}
