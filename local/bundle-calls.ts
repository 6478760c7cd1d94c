/**
 * The AWS calls a Lambda bundle can make, read from the bundle itself: every `new <client>.<Operation>Command(` of a
 * client package the bundle requires (esbuild keeps the names: the bundles are built with --minify-syntax only), as
 * the IAM action each one needs. A test then holds the role's policy to exactly these, both ways.
 */

/** IAM service prefixes of the AWS SDK's client packages. */
const IAM_PREFIX: Record<string, string> = {
  'client-api-gateway': 'apigateway',
  'client-cognito-identity-provider': 'cognito-idp',
  'client-dynamodb': 'dynamodb',
  'client-eventbridge': 'events',
  'client-service-catalog': 'servicecatalog',
  'client-sqs': 'sqs',
  'client-sts': 'sts',
};

/** API Gateway's control plane is authorized by HTTP method, not by operation. */
const REST_METHOD: Array<[RegExp, string]> = [[/^(Get|List)/, 'GET'], [/^(Create|Put|Import)/, 'POST'], [/^Update/, 'PATCH'], [/^Delete/, 'DELETE']];

export interface BundleCall {
  /** The IAM service prefix. */
  readonly service: string;
  /** The SDK operation. */
  readonly operation: string;
  /** The IAM action it needs. */
  readonly action: string;
}

export function bundleCalls(bundle: string): BundleCall[] {
  const imports = new Map<string, string>();
  for (const m of bundle.matchAll(/(import_client_\w+?)\s*=\s*require\("@aws-sdk\/([\w-]+)"\)/g)) {
    const prefix = IAM_PREFIX[m[2]];
    if (!prefix) {
      throw new Error(`the bundle requires @aws-sdk/${m[2]}, which local/bundle-calls.ts has no IAM prefix for`);
    }
    imports.set(m[1], prefix);
  }
  const out = new Map<string, BundleCall>();
  for (const m of bundle.matchAll(/new (import_client_\w+?)\.(\w+)Command\(/g)) {
    const service = imports.get(m[1]);
    if (!service) {
      throw new Error(`the bundle constructs ${m[2]}Command from ${m[1]}, which requires no known SDK client`);
    }
    const action = service === 'apigateway'
      ? `apigateway:${REST_METHOD.find(([re]) => re.test(m[2]))?.[1] ?? m[2]}`
      : `${service}:${m[2]}`;
    out.set(`${service}:${m[2]}`, { service, operation: m[2], action });
  }
  return [...out.values()].sort((a, b) => `${a.service}:${a.operation}`.localeCompare(`${b.service}:${b.operation}`));
}
