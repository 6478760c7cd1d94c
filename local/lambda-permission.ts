/**
 * Whether a service may invoke a Lambda function, as Lambda decides it from the function's resource policy: the
 * `AWS::Lambda::Permission` resources of every deployment (the assembly's stacks, their nested stacks, and the products'
 * stacks added at run time). One rule for every stand-in that invokes a function on a service's behalf (the HTTP API
 * and REST API stand-ins, for `apigateway.amazonaws.com`; EventBridge's rules, for `events.amazonaws.com`).
 *
 * A permission applies when:
 * - its `FunctionName` names the function: its name, its ARN, or its partial ARN (`<account>:function:<name>`);
 * - its `Action` is `lambda:InvokeFunction` (or `lambda:*`, `*`; IAM actions are case-insensitive);
 * - its `Principal` is the service;
 * - its `SourceAccount`, if any, is the local account;
 * - its `SourceArn`, if any, matches the caller's ARN as `ArnLike` matches (`arnLike`).
 */
import type { StackDeployment } from './deployment';
import { LOCAL_ACCOUNT } from './moto';

/** The permission that lets the service invoke the function. */
export interface LambdaPermissionGrant {
  readonly stackName: string;
  readonly logicalId: string;
}

/**
 * The first `AWS::Lambda::Permission` of the deployments that lets `principal` invoke `functionArn` on behalf of
 * `sourceArn`; undefined if none does (Lambda then refuses the invocation).
 */
export async function mayInvoke(
  deployments: readonly StackDeployment[], functionArn: string, principal: 'apigateway.amazonaws.com' | 'events.amazonaws.com', sourceArn: string,
):
  Promise<LambdaPermissionGrant | undefined> {
  for (const stack of deployments) {
    for (const [id, r] of Object.entries<any>(stack.template.Resources ?? {})) {
      if (r.Type !== 'AWS::Lambda::Permission') {
        continue;
      }
      // The function's name first: resolving the rest may create what it refers to.
      if (!namesFunction(String(await stack.resolve(r.Properties.FunctionName)), functionArn)) {
        continue;
      }
      const props = await stack.resolve(r.Properties);
      if (!['lambda:invokefunction', 'lambda:*', '*'].includes(String(props.Action).toLowerCase()) || props.Principal !== principal) {
        continue;
      }
      if (props.SourceAccount !== undefined && String(props.SourceAccount) !== LOCAL_ACCOUNT) {
        continue;
      }
      if (props.SourceArn === undefined || arnLike(String(props.SourceArn), sourceArn)) {
        return { stackName: stack.stackName, logicalId: id };
      }
    }
  }
  return undefined;
}

/** Whether a permission's `FunctionName` (a name, an ARN, a partial ARN) names the function of this ARN. */
function namesFunction(functionName: string, functionArn: string): boolean {
  if (functionName === functionArn) {
    return true;
  }
  if (functionName.startsWith('arn:')) {
    return false;
  }
  // `<account>:function:<name>` or `<name>`.
  return /^\d{12}:function:/.test(functionName) ? functionArn.endsWith(`:${functionName}`) : functionArn.endsWith(`:function:${functionName}`);
}

/**
 * `ArnLike`: each of an ARN's six colon-separated components matched separately (the resource, the sixth, is the rest
 * of the ARN, colons included), `*` any run of characters and `?` one character within a component, case-sensitively.
 */
export function arnLike(pattern: string, arn: string): boolean {
  const p = arnComponents(pattern);
  const a = arnComponents(arn);
  if (!p || !a) {
    // Not an ARN: the whole string, as a wildcard pattern.
    return wildcard(pattern).test(arn);
  }
  return p.every((component, i) => wildcard(component).test(a[i]));
}

function arnComponents(arn: string): string[] | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') {
    return undefined;
  }
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

function wildcard(pattern: string): RegExp {
  const re = pattern.split('').map((c) => c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')).join('');
  return new RegExp(`^${re}$`, 's');
}
