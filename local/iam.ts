/**
 * IAM as a template grants it, evaluated the way AWS evaluates it (@cloud-copilot/iam-simulate).
 *
 * `roleAccess` collects what a role of a synthesized template really gets: its inline policies, every
 * AWS::IAM::Policy and AWS::IAM::ManagedPolicy of the template attached to it, and its permissions boundary.
 * Managed policies from outside the template (AWS managed ones) are named, never guessed: a role that has one cannot
 * be evaluated here, and saying so is better than allowing or denying by assumption.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';

/** A CloudFormation template (the parts read here). */
export interface Template {
  readonly Resources: Record<string, any>;
  readonly Parameters?: Record<string, any>;
  readonly Outputs?: Record<string, any>;
  readonly Conditions?: Record<string, any>;
}

/** The policy documents in effect for a role, unresolved (intrinsics as in the template). */
export interface RoleAccess {
  readonly identityPolicies: any[];
  /** The permissions boundary, if the role has one. */
  readonly boundary?: any;
  /** Managed policies the template does not define (their ARNs, unresolved). */
  readonly externalManagedPolicies: any[];
}

/**
 * The AWS managed policies our templates attach, by name, with the document AWS publishes for each (IAM console,
 * policy version v1). Any other managed policy from outside a template cannot be evaluated locally, and the harness
 * refuses a role that has one rather than guess.
 */
const AWS_MANAGED_POLICIES: Record<string, any> = {
  'service-role/AWSLambdaBasicExecutionRole': {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' }],
  },
  // sbt-aws's tenant management role (v1 and v2, as the AWS managed policy reference publishes them).
  'CloudWatchLambdaInsightsExecutionRolePolicy': {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: 'logs:CreateLogGroup', Resource: '*' },
      { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: 'arn:aws:logs:*:*:log-group:/aws/lambda-insights:*' },
    ],
  },
  'AWSXrayWriteOnlyAccess': {
    Version: '2012-10-17',
    Statement: [{
      Effect: 'Allow',
      Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets', 'xray:GetSamplingStatisticSummaries'],
      Resource: ['*'],
    }],
  },
};

/** The document of an AWS managed policy from its ARN (`arn:<partition>:iam::aws:policy/<name>`, maybe joined), if known. */
function awsManagedPolicy(arn: any): any | undefined {
  const text = typeof arn === 'string' ? arn : JSON.stringify(arn);
  const name = /:iam::aws:policy\/([\w+=,.@/-]+?)"?\]*\]?\}?$/.exec(text)?.[1];
  return name ? AWS_MANAGED_POLICIES[name] : undefined;
}

/** What a role of the template gets. */
export function roleAccess(template: Template, roleId: string): RoleAccess {
  const role = template.Resources[roleId];
  if (role?.Type !== 'AWS::IAM::Role') {
    throw new Error(`${roleId} is not an AWS::IAM::Role of the template`);
  }
  const refersTo = (v: any) => v?.Ref === roleId;
  const docs = (role.Properties.Policies ?? []).map((p: any) => p.PolicyDocument);
  const external: any[] = [];
  for (const arn of role.Properties.ManagedPolicyArns ?? []) {
    const id = arn?.Ref;
    const aws = awsManagedPolicy(arn);
    if (id && template.Resources[id]?.Type === 'AWS::IAM::ManagedPolicy') {
      docs.push(template.Resources[id].Properties.PolicyDocument);
    } else if (aws) {
      docs.push(aws);
    } else {
      external.push(arn);
    }
  }
  for (const [id, resource] of Object.entries<any>(template.Resources)) {
    if (resource.Type === 'AWS::IAM::Policy' && (resource.Properties.Roles ?? []).some(refersTo)) {
      docs.push(resource.Properties.PolicyDocument);
    }
    if (resource.Type === 'AWS::IAM::ManagedPolicy' && (resource.Properties.Roles ?? []).some(refersTo)
      && !(role.Properties.ManagedPolicyArns ?? []).some((a: any) => a?.Ref === id)) {
      docs.push(resource.Properties.PolicyDocument);
    }
  }
  const boundaryRef = role.Properties.PermissionsBoundary?.Ref;
  const boundary = boundaryRef ? template.Resources[boundaryRef]?.Properties.PolicyDocument : undefined;
  if (role.Properties.PermissionsBoundary && !boundary) {
    external.push(role.Properties.PermissionsBoundary);
  }
  return { identityPolicies: docs, boundary, externalManagedPolicies: external };
}

/** One request, as IAM sees it. */
export interface IamRequest {
  /** The calling principal, such as `arn:aws:sts::123456789012:assumed-role/RoleName/session`. */
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly accountId: string;
  /** Condition keys of the request, such as `dynamodb:LeadingKeys`. */
  readonly context?: Record<string, string | string[]>;
  /** Resolved identity policies. */
  readonly identityPolicies: any[];
  readonly boundary?: any;
  readonly sessionPolicy?: any;
  readonly resourcePolicy?: any;
}

/** Whether IAM allows the request. */
export async function isAllowed(request: IamRequest): Promise<boolean> {
  const response: any = await runSimulation({
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: request.accountId },
      contextVariables: request.context ?? {},
    },
    identityPolicies: request.identityPolicies.map((policy, i) => ({ name: `policy${i}`, policy })),
    permissionBoundaryPolicies: request.boundary ? [{ name: 'boundary', policy: request.boundary }] : undefined,
    sessionPolicy: request.sessionPolicy,
    resourcePolicy: request.resourcePolicy,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  }, {});
  if (response.resultType === 'error') {
    throw new Error(`IAM simulation of ${request.action} on ${request.resource} failed: ${JSON.stringify(response.errors)}`);
  }
  return response.overallResult === 'Allowed';
}
