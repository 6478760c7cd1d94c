/**
 * Turns a synthesized CloudFormation template into concrete values for policy evaluation: resolves Ref,
 * Fn::GetAtt (Arn) and Fn::Join against a fake account, so the IAM policies under test are the ones the
 * template really contains (not hand-written copies).
 */
import { roleAccess } from '../../local/iam';
import { resolveIntrinsics } from '../../local/intrinsics';

export const ACCOUNT = '111111111111';
export const REGION = 'us-east-1';

export type Template = { Resources: Record<string, any>; Parameters?: Record<string, any> };

/** The ARN a resource's `Fn::GetAtt [id, 'Arn']` stands for in the fake account. */
export function arnOf(template: Template, logicalId: string): string {
  const type = template.Resources[logicalId]?.Type;
  switch (type) {
    case 'AWS::DynamoDB::Table':
    case 'AWS::DynamoDB::GlobalTable':
      return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${logicalId}`;
    case 'AWS::IAM::Role':
      return `arn:aws:iam::${ACCOUNT}:role/${logicalId}`;
    case 'AWS::KMS::Key':
      return `arn:aws:kms:${REGION}:${ACCOUNT}:key/${logicalId}`;
    default:
      throw new Error(`No fake ARN for ${logicalId} (${type})`);
  }
}

/** Resolves intrinsics in `value` to fake names in the fake account. `parameters` gives values for template parameters. */
export function resolve(template: Template, value: any, parameters: Record<string, string> = {}): any {
  return resolveIntrinsics(value, {
    ref: (id) => ref(template, id, parameters),
    getAtt: (id, attr) => {
      if (attr !== 'Arn') {
        throw new Error(`Unsupported attribute ${id}.${attr}`);
      }
      return arnOf(template, id);
    },
    importValue: (name) => {
      throw new Error(`Unsupported import ${name}`);
    },
  });
}

function ref(template: Template, id: string, parameters: Record<string, string>): string {
  switch (id) {
    case 'AWS::Partition':
      return 'aws';
    case 'AWS::Region':
      return REGION;
    case 'AWS::AccountId':
      return ACCOUNT;
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
  }
  if (template.Parameters?.[id]) {
    if (!(id in parameters)) {
      throw new Error(`No value given for parameter ${id}`);
    }
    return parameters[id];
  }
  if (template.Resources[id]) {
    return id; // Ref of a table or role is its name; the fake physical name is the logical id
  }
  throw new Error(`Unknown Ref ${id}`);
}

/** Logical id of the single resource of `type` whose logical id starts with `prefix`. */
export function findLogicalId(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.Resources).filter(
    (id) => template.Resources[id].Type === type && id.startsWith(prefix),
  );
  if (ids.length !== 1) {
    throw new Error(`Expected one ${type} starting with ${prefix}, found ${ids.join(', ') || 'none'}`);
  }
  return ids[0];
}

/**
 * Every IAM policy document in effect for a role: its inline policies and each AWS::IAM::Policy attached to
 * it, with intrinsics resolved. Fails if the role has managed policies from outside the template (they are not
 * evaluated here).
 */
export function policiesOfRole(template: Template, roleId: string, parameters: Record<string, string> = {}): any[] {
  const access = roleAccess(template, roleId);
  if (access.externalManagedPolicies.length > 0) {
    throw new Error(`${roleId} has managed policies, which this harness does not evaluate`);
  }
  return access.identityPolicies.map((d: any) => resolve(template, d, parameters));
}
