import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
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
  /**
   * Retries of a failed asynchronous invocation.
   *
   * @default 2 (Lambda's)
   */
  readonly retryAttempts?: number;
  /**
   * How long an asynchronous invocation may wait to be run.
   *
   * @default 6 hours (Lambda's)
   */
  readonly maxEventAge?: Duration;
  /**
   * Files to add beside the bundle (name → content): configuration too large for Lambda's 4 KB of environment. They
   * must hold no CloudFormation token.
   *
   * @default - the bundle alone
   */
  readonly files?: { [name: string]: string };
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
    code: lambda.Code.fromAsset(o.files ? withFiles(dir, o.files) : dir),
    memorySize: o.memorySize,
    timeout: o.timeout,
    tracing: lambda.Tracing.ACTIVE,
    logGroup,
    role,
    environment: o.environment,
    deadLetterQueue: o.deadLetterQueue,
    retryAttempts: o.retryAttempts,
    maxEventAge: o.maxEventAge,
  });
  acknowledgeFunction(fn, o.findings);
  acknowledgeLogGroup(logGroup);
  return { fn, role, logGroup };
}

/**
 * The bundle with files beside it, in a directory named after their content: an asset's source must exist until the
 * app is synthesized, and the same content reuses one directory however many times it is synthesized.
 */
function withFiles(bundleDir: string, files: { [name: string]: string }): string {
  for (const [name, content] of Object.entries(files)) {
    if (Token.isUnresolved(content) || !/^[A-Za-z0-9._-]+$/.test(name)) {
      throw new Error(`the file '${name}' beside a bundle must have a plain name and hold no CloudFormation token.`);
    }
  }
  const hash = createHash('sha256');
  const bundleFiles = fs.readdirSync(bundleDir).sort();
  for (const f of bundleFiles) {
    hash.update(f).update(fs.readFileSync(path.join(bundleDir, f)));
  }
  for (const name of Object.keys(files).sort()) {
    hash.update(name).update(files[name]);
  }
  const dir = path.join(os.tmpdir(), `cdk-ecs-saas-bundle-${hash.digest('hex').slice(0, 32)}`);
  if (!fs.existsSync(path.join(dir, 'index.js'))) {
    const staging = fs.mkdtempSync(`${dir}.`);
    for (const f of bundleFiles) {
      fs.copyFileSync(path.join(bundleDir, f), path.join(staging, f));
    }
    for (const [name, content] of Object.entries(files)) {
      fs.writeFileSync(path.join(staging, name), content);
    }
    try {
      fs.renameSync(staging, dir);
    } catch {
      // Another synthesis made the same directory first.
      fs.rmSync(staging, { recursive: true, force: true });
    }
  }
  return dir;
}
