import * as fs from 'fs';
import * as path from 'path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeFunction, acknowledgeLogGroup, FunctionFindings } from './findings';

/** Where the build puts the library's Lambda bundles (`bundle:*` tasks); shipped in the npm package next to lib/. */
const ASSETS = path.join(__dirname, '..', '..', 'assets');

export interface BundledFunctionOptions {
  /** Folder of the bundle under assets/. */
  readonly bundle: string;
  /** What the function is, for the error when its bundle is missing ("router's authorizer"). */
  readonly label: string;
  /** The projen task that builds the bundle. */
  readonly bundleTask: string;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly environment: { [name: string]: string };
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /**
   * Where asynchronous invocations that fail every retry go.
   *
   * @default - none: the function is invoked synchronously (`findings.invokedSynchronouslyBy`)
   */
  readonly deadLetterQueue?: sqs.IQueue;
  /** Who invokes it and why it has no reserved concurrency: the reasons of its acknowledged checkov findings. */
  readonly findings: FunctionFindings;
}

export interface BundledFunction {
  readonly fn: lambda.Function;
  /** The function's own role: it may write its own log group, and gets the rest from its construct. */
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
}

/**
 * One of the library's Lambda functions, the one way they are all made: its prebuilt bundle (checked at synth time),
 * a log group of its own (`<id>Logs`), a role of its own (`<id>Role`) that may write only to that log group, Node.js
 * 24 on ARM, and active tracing.
 */
export function bundledFunction(scope: Construct, id: string, o: BundledFunctionOptions): BundledFunction {
  const dir = path.join(ASSETS, o.bundle);
  if (!fs.existsSync(path.join(dir, 'index.js'))) {
    throw new Error(`The ${o.label} bundle is missing at ${dir}: run \`npx projen ${o.bundleTask}\` (the build does).`);
  }
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: o.logRetention, removalPolicy: o.removalPolicy });
  const role = new iam.Role(scope, `${id}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
  const fn = new lambda.Function(scope, id, {
    description: o.description,
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    handler: 'index.handler',
    code: lambda.Code.fromAsset(dir),
    memorySize: o.memorySize,
    timeout: o.timeout,
    tracing: lambda.Tracing.ACTIVE,
    logGroup,
    role,
    environment: o.environment,
    deadLetterQueue: o.deadLetterQueue,
  });
  acknowledgeFunction(fn, o.findings);
  acknowledgeLogGroup(logGroup);
  return { fn, role, logGroup };
}
