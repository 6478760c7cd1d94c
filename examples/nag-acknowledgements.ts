import { CfnResource, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { TemplateFindings } from '../src';
import type { CellPlacement, TenantLifecycle, TenantMetering, TenantRouter } from '../src';

/**
 * The cdk-nag AwsSolutions findings the tiers leave by design, acknowledged per resource with the reason. The example
 * app uses it, and test/tiers.nag.test.ts proves that with it nothing is left unacknowledged:
 * - ECS2 on each task definition: its environment holds configuration (tier, tenant id, table names, role ARN, the
 *   proxy's nginx configuration), not secrets;
 * - on EC2 capacity: AS3 (scaling notifications are the operator's choice; Auto Scaling and ECS events reach
 *   EventBridge) and IAM5 on the instance role (the ECS agent's policy, written by aws-cdk-lib);
 * - with awsvpc trunking: IAM5 on ecs:PutAccountSetting, which has no resource-level permissions, and L1/IAM4 on
 *   aws-cdk-lib's AwsCustomResource provider function.
 */
export function acknowledgeTierFindings(scope: IConstruct): void {
  for (const c of scope.node.findAll()) {
    const path = c.node.path;
    const type = (c as { cfnResourceType?: string }).cfnResourceType;
    if (type === 'AWS::ECS::TaskDefinition') {
      NagSuppressions.addResourceSuppressions(c, [{ id: 'AwsSolutions-ECS2', reason: 'The environment holds configuration (tier, tenant id, table names, role ARN, nginx configuration), not secrets.' }]);
    }
    if (type === 'AWS::AutoScaling::AutoScalingGroup') {
      NagSuppressions.addResourceSuppressions(c, [{ id: 'AwsSolutions-AS3', reason: 'Scaling notifications are the operator\'s choice; Auto Scaling and ECS events reach EventBridge.' }]);
    }
    if (type === 'AWS::IAM::Policy' && /\/InstanceRole\/DefaultPolicy\/Resource$/.test(path)) {
      NagSuppressions.addResourceSuppressions(c, [{ id: 'AwsSolutions-IAM5', reason: 'The ECS agent policy that aws-cdk-lib writes for container instances (ecs:Submit*, logs, ECR auth).' }]);
    }
    if (type === 'AWS::IAM::Policy' && /\/AwsvpcTrunking\/CustomResourcePolicy\/Resource$/.test(path)) {
      NagSuppressions.addResourceSuppressions(c, [{ id: 'AwsSolutions-IAM5', reason: 'ecs:PutAccountSetting and ecs:DeleteAccountSetting have no resource-level permissions.', appliesTo: ['Resource::*'] }]);
    }
  }
  const provider = Stack.of(scope).node.tryFindChild('AWS679f53fac002430cb0da5b7982bd2287');
  if (provider) {
    NagSuppressions.addResourceSuppressions(provider, [
      { id: 'AwsSolutions-IAM4', reason: 'aws-cdk-lib\'s AwsCustomResource provider uses the basic Lambda execution role.', appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'] },
      { id: 'AwsSolutions-L1', reason: 'aws-cdk-lib chooses the runtime of its AwsCustomResource provider.' },
    ], true);
  }
}

/**
 * The cdk-nag AwsSolutions findings TenantRouter leaves by design, acknowledged per resource with the reason
 * (test/tenant-router.nag.test.ts proves nothing else is left):
 * - COG4 on each API method: the router's Lambda authorizer verifies Cognito (and OIDC) tokens with aws-jwt-verify,
 *   which a Cognito authorizer cannot do for several pools, tenant-bound issuers and tier routing;
 * - APIG2 on each API: path parameters are validated; request bodies are validated by the services, which own them;
 * - APIG3 on each stage when no `webAclArn` is given: WAF is the operator's choice (the router takes a web ACL);
 * - S1 on the access-log bucket: it is itself the log bucket of the load balancers;
 * - IAM4 on the API Gateway account role: AWS's managed policy for API Gateway logging;
 * - IAM5 on the authorizer's policy: X-Ray's PutTraceSegments/PutTelemetryRecords take no resource, and per-tenant
 *   API keys are found by listing /apikeys.
 */
export function acknowledgeRouterFindings(router: TenantRouter): void {
  for (const c of router.node.findAll()) {
    const type = (c as { cfnResourceType?: string }).cfnResourceType;
    // (Not on CORS preflights, OPTIONS mocks without an authorizer: cdk-nag's authorization rules exempt OPTIONS.)
    if (type === 'AWS::ApiGateway::Method' && !isCorsPreflight(c)) {
      NagSuppressions.addResourceSuppressions(c, [{ id: 'AwsSolutions-COG4', reason: 'The Lambda authorizer verifies Cognito and OIDC tokens of the configured issuers with aws-jwt-verify.' }]);
    }
    if (type === 'AWS::ApiGateway::RestApi') {
      NagSuppressions.addResourceSuppressions(c, [{ id: 'AwsSolutions-APIG2', reason: 'Path parameters are validated by API Gateway; request bodies by the services that own their schemas.' }]);
    }
    if (type === 'AWS::ApiGateway::Stage' && !hasWebAcl(c)) {
      NagSuppressions.addResourceSuppressions(c, [{ id: 'AwsSolutions-APIG3', reason: 'WAF is the operator\'s choice: TenantRouter associates a web ACL given as webAclArn.' }]);
    }
  }
  NagSuppressions.addResourceSuppressions(router.accessLogBucket, [{ id: 'AwsSolutions-S1', reason: 'This bucket holds the load balancers\' access logs; logging it would recurse.' }]);
  const account = router.node.tryFindChild('ApiGatewayCloudWatchRole');
  if (account) {
    NagSuppressions.addResourceSuppressions(account, [{
      id: 'AwsSolutions-IAM4',
      reason: 'AWS\'s managed policy for API Gateway\'s account-level logging role.',
      appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs'],
    }]);
  }
  NagSuppressions.addResourceSuppressions(router.node.findChild('AuthorizerRole'), [{
    id: 'AwsSolutions-IAM5',
    reason: 'X-Ray PutTraceSegments and PutTelemetryRecords take no resource; per-tenant API keys are found by listing /apikeys.',
    appliesTo: ['Resource::*'],
  }], true);
}

/** An OPTIONS method answered by a mock integration: a preflight of the application's CORS policy. */
function isCorsPreflight(c: IConstruct): boolean {
  return c instanceof apigateway.CfnMethod && c.httpMethod === 'OPTIONS'
    && (c.integration as apigateway.CfnMethod.IntegrationProperty | undefined)?.type === 'MOCK';
}

function hasWebAcl(stage: IConstruct): boolean {
  const stack = Stack.of(stage);
  return stack.node.findAll().some((c) => (c as { cfnResourceType?: string }).cfnResourceType === 'AWS::WAFv2::WebACLAssociation');
}

/**
 * The cdk-nag AwsSolutions findings TenantLifecycle leaves by design (test/tenant-lifecycle.nag.test.ts), all IAM5:
 * - the tenant role boundary: a permissions boundary is a ceiling of actions; the roles' own policies scope resources;
 * - the launch role: CloudFormation generates the names of the tenant stacks' resources, so they are scoped to the
 *   account, Region and Service Catalog's stack-name prefix, per resource type of the template;
 * - the worker: Service Catalog's record and termination actions, limited by `servicecatalog:roleLevel = self` to
 *   products this role provisioned, and X-Ray; with keys per tenant, deleting API keys and adding keys to usage plans
 *   whose ids are known only at run time, limited by `aws:ResourceTag` to those marked for the lifecycle's router;
 * - the state machines (onboarding, offboarding, updates, status changes): invoking the worker's versions, X-Ray and log delivery
 *   (written by aws-cdk-lib).
 */
/**
 * The cdk-nag findings TenantMetering leaves by design, both IAM5 on its function's policy: X-Ray's trace writes take
 * no resource, and API Gateway's daily usage is read per usage plan, whose ids (the plans of shards opened at run
 * time) are known only then.
 */
export function acknowledgeMeteringFindings(metering: TenantMetering): void {
  acknowledgeXray(metering);
  for (const c of metering.node.findAll()) {
    if ((c as { cfnResourceType?: string }).cfnResourceType === 'AWS::IAM::Policy' && /Role\/DefaultPolicy\/Resource$/.test(c.node.path)) {
      NagSuppressions.addResourceSuppressions(c, [{
        id: 'AwsSolutions-IAM5',
        reason: 'Reads the daily usage of the router\'s usage plans, including those of shards opened at run time, whose ids are known only then.',
        appliesTo: [{ regex: '/^Resource::arn:<AWS::Partition>:apigateway:(<AWS::Region>|[a-z0-9-]+)::\\/usageplans\\/\\*\\/usage$/g' }],
      }]);
    }
  }
}

/** The cdk-nag finding CellPlacement leaves by design: X-Ray's trace writes take no resource (IAM5). */
export function acknowledgeCellPlacementFindings(placement: CellPlacement): void {
  acknowledgeXray(placement);
}

/** X-Ray's trace writes, which take no resource, in the default policies of a construct's function roles. */
function acknowledgeXray(scope: IConstruct): void {
  for (const c of scope.node.findAll()) {
    if ((c as { cfnResourceType?: string }).cfnResourceType === 'AWS::IAM::Policy' && /Role\/DefaultPolicy\/Resource$/.test(c.node.path)) {
      NagSuppressions.addResourceSuppressions(c, [{
        id: 'AwsSolutions-IAM5', reason: 'X-Ray PutTraceSegments and PutTelemetryRecords take no resource.', appliesTo: ['Resource::*'],
      }]);
    }
  }
}

export function acknowledgeLifecycleFindings(lifecycle: TenantLifecycle): void {
  NagSuppressions.addResourceSuppressions(lifecycle.tenantRoleBoundary, [{
    id: 'AwsSolutions-IAM5', reason: 'A permissions boundary caps actions; each role\'s own policy scopes resources.', appliesTo: ['Resource::*'],
  }]);
  if (lifecycle.replyDeadLetterQueue) {
    // cdk-nag recognizes a function's dead-letter queue, not a rule target's.
    NagSuppressions.addResourceSuppressions(lifecycle.replyDeadLetterQueue, [{
      id: 'AwsSolutions-SQS3', reason: 'It is the dead-letter queue of the rule that forwards the replies to the control plane.',
    }]);
  }

  for (const c of lifecycle.node.findAll()) {
    const path = c.node.path;
    if ((c as { cfnResourceType?: string }).cfnResourceType !== 'AWS::IAM::Policy') {
      continue;
    }
    if (/LaunchRole\/DefaultPolicy\/Resource$/.test(path)) {
      NagSuppressions.addResourceSuppressions(c, [{
        id: 'AwsSolutions-IAM5',
        reason: 'CloudFormation names the tenant stacks\' resources: scoped per resource type to the account, Region and Service Catalog stack prefix.',
        appliesTo: [{ regex: '/^Resource::(\\*|arn:<AWS::Partition>:[a-z0-9-]+:(<AWS::Region>)?:(<AWS::AccountId>)?:.*|arn:<AWS::Partition>:s3:::cdk-.*)$/g' }],
      }]);
    }
    if (/WorkerRole\/DefaultPolicy\/Resource$/.test(path)) {
      NagSuppressions.addResourceSuppressions(c, [{
        id: 'AwsSolutions-IAM5',
        reason: 'Service Catalog records and terminations are limited to products this role provisioned (servicecatalog:roleLevel self); X-Ray takes no resource.',
        appliesTo: ['Resource::*'],
      }, {
        id: 'AwsSolutions-IAM5',
        reason: 'Tenants\' API keys and the plans of shards opened at run time get their ids then: deletes and plan additions are limited by aws:ResourceTag to the router\'s marker.',
        appliesTo: [{ regex: '/^Resource::arn:<AWS::Partition>:apigateway:(<AWS::Region>|[a-z0-9-]+)::\\/(apikeys\\/\\*|usageplans\\/\\*\\/keys)$/g' }],
      }]);
    }
    if (/(Onboarding|Offboarding|Update|StatusChange)\/Role\/DefaultPolicy\/Resource$/.test(path)) {
      NagSuppressions.addResourceSuppressions(c, [{
        id: 'AwsSolutions-IAM5',
        reason: 'aws-cdk-lib grants the state machine its worker\'s versions, X-Ray and log delivery, which take no narrower resource.',
        appliesTo: ['Resource::*', { regex: '/^Resource::<.*Worker.*\\.Arn>:\\*$/g' }],
      }]);
    }
  }
}

/**
 * cdk-nag AwsSolutions findings left unacknowledged under `root`, read from construct metadata: this covers the tenant
 * templates, which are Service Catalog product stacks and not artifacts of the assembly. Paths start with `/`, as in
 * the assembly's metadata.
 */
export function unacknowledgedFindings(root: IConstruct): string[] {
  return root.node.findAll().flatMap((c) => c.node.metadata
    .filter((m) => (m.type === 'aws:cdk:error' || m.type === 'aws:cdk:warning') && /AwsSolutions-/.test(String(m.data)))
    .map((m) => `/${c.node.path}: ${String(m.data).split('\n')[0]}`));
}

/**
 * The cdk-nag AwsSolutions findings of the example's own wiring, acknowledged per resource with the reason:
 * - IAM5 on the task execution roles: `ecr:GetAuthorizationToken` (for the microservices' images) has no
 *   resource-level permissions; aws-cdk-lib grants it with `Resource: *`;
 * - IAM5 on the tenant role boundary's user-management statement: a boundary caps actions, here on any user pool of
 *   the account and Region; each users service's own policy names its tenant's pool;
 * - checkov CKV_AWS_158 on the VPC's flow-log group: no customer managed key (the library's log groups give the same
 *   reason, docs/template-checks.md).
 */
export function acknowledgeExampleFindings(scope: IConstruct): void {
  for (const c of scope.node.findAll()) {
    if (c instanceof logs.CfnLogGroup && /\/FlowLogs\/Resource$/.test(c.node.path)) {
      TemplateFindings.acknowledgeCheckov(c, 'CKV_AWS_158', 'the VPC\'s flow logs, encrypted at rest by CloudWatch Logs with its own keys; a customer managed key is not worth its cost for the example');
    }
    if ((c as { cfnResourceType?: string }).cfnResourceType === 'AWS::IAM::ManagedPolicy' && /\/TenantRoleBoundary\/Resource$/.test(c.node.path)) {
      NagSuppressions.addResourceSuppressions(c, [{
        id: 'AwsSolutions-IAM5',
        reason: 'A permissions boundary caps actions (user management on the account\'s user pools); each users service\'s own policy names its pool.',
        appliesTo: ['Resource::arn:<AWS::Partition>:cognito-idp:<AWS::Region>:<AWS::AccountId>:userpool/*'],
      }]);
    }
    if ((c as { cfnResourceType?: string }).cfnResourceType === 'AWS::IAM::Policy' && /\/ExecutionRole\/DefaultPolicy\/Resource$/.test(c.node.path)) {
      NagSuppressions.addResourceSuppressions(c, [{
        id: 'AwsSolutions-IAM5',
        reason: 'ecr:GetAuthorizationToken, needed to pull the microservices\' images, has no resource-level permissions.',
        appliesTo: ['Resource::*'],
      }]);
    }
  }
}

/**
 * The findings inside sbt-aws's control plane that sbt-aws 0.5.25 does not acknowledge itself, acknowledged per resource
 * with the reason (test/example-app.test.ts and test/templates.checks.test.ts prove nothing else is left):
 * - cdk-nag L1 on each of its Python functions: sbt-aws pins them to Python 3.12 and ships their code and its
 *   Powertools layer for that runtime; the runtime moves with the sbt-aws version, not with our app;
 * - cfn-lint W3005 on each function: CDK makes it depend on its role and the role's policy besides referencing the role;
 * - checkov on its functions (CKV_AWS_115/116/117/173), tables (CKV_AWS_119) and log groups (CKV_AWS_158): sbt-aws's
 *   choices, with the reasons below.
 * Fixed, not acknowledged: COG8 on its administrators' user pool (the example puts the pool on the Plus tier, which the
 * threat protection sbt-aws turns on requires), and checkov CKV_AWS_111 on its user-management role, which sbt-aws lets
 * administer every user pool of the account (tenant pools included): the example narrows it to the administrators' pool.
 */
export function acknowledgeControlPlaneFindings(scope: IConstruct, adminUserPoolArn: string): void {
  for (const c of scope.node.findAll()) {
    if (c instanceof lambda.CfnFunction && String(c.runtime).startsWith('python')) {
      NagSuppressions.addResourceSuppressions(c, [{
        id: 'AwsSolutions-L1',
        reason: `sbt-aws 0.5 pins this function to ${c.runtime} and ships its code and Powertools layer for that runtime; it moves with sbt-aws.`,
      }]);
    }
    if (c instanceof lambda.CfnFunction) {
      TemplateFindings.acknowledgeCfnLint(c, 'W3005', 'CDK makes each function depend on its role and the role\'s policy besides referencing the role; the redundant role dependency is CDK\'s and harmless');
      TemplateFindings.acknowledgeCheckov(c, 'CKV_AWS_115', 'a control-plane function (sbt-aws, or CDK\'s custom-resource provider): administrators\' calls and lifecycle events are few');
      TemplateFindings.acknowledgeCheckov(c, 'CKV_AWS_116', 'a control-plane function invoked synchronously (by API Gateway or as a custom resource): its caller sees each failure');
      TemplateFindings.acknowledgeCheckov(c, 'CKV_AWS_117', 'a control-plane function that calls AWS APIs only; a VPC would add NAT cost and nothing to reach');
      TemplateFindings.acknowledgeCheckov(c, 'CKV_AWS_173', 'its environment names tables, the event bus and the user pool, no secret; Lambda encrypts it with an AWS managed key');
    }
    if (c instanceof dynamodb.CfnTable) {
      TemplateFindings.acknowledgeCheckov(c, 'CKV_AWS_119', 'sbt-aws\'s control-plane table, encrypted at rest by DynamoDB with an AWS owned key; sbt-aws offers no customer managed key');
    }
    if (c instanceof logs.CfnLogGroup) {
      TemplateFindings.acknowledgeCheckov(c, 'CKV_AWS_158', 'sbt-aws\'s log group, encrypted at rest by CloudWatch Logs with its own keys; sbt-aws offers no customer managed key');
    }
    // sbt-aws grants its user-management function the administration of every user pool (Resource: *); it manages the
    // control plane's administrators only.
    if (c instanceof iam.CfnPolicy && /\/userManagementExecRole\/DefaultPolicy\/Resource$/.test(c.node.path)) {
      const statements = Stack.of(c).resolve(c.policyDocument).Statement as Array<{ Action: string[] }>;
      if (statements.length !== 1 || !statements[0].Action.every((a) => /^cognito-idp:(Admin\w+|ListUsers)$/.test(a))) {
        throw new Error(`sbt-aws's user-management policy changed (${JSON.stringify(statements)}); review its narrowing in examples/nag-acknowledgements.ts`);
      }
      c.addPropertyOverride('PolicyDocument.Statement.0.Resource', adminUserPoolArn);
    }
  }
}

/**
 * The findings of the web apps' hosting (examples/web-hosting.ts, docs/web-apps.md), acknowledged per resource with the
 * reason:
 * - on each distribution: cdk-nag CFR1 (no geo restriction: the apps serve administrators and tenants wherever they
 *   are), CFR2 and checkov CKV_AWS_68 (no web ACL: static files only; the APIs they call have their own authorizers and
 *   usage plans), and, with CloudFront's default certificate only, cdk-nag CFR4 and checkov CKV_AWS_174 (its TLS
 *   policy is CloudFront's own; a custom domain with an ACM certificate can require TLS 1.2);
 * - checkov CKV_AWS_21 on the buckets (no versioning: the apps' files are rebuilt and deployed whole; logs are written
 *   once), and CKV_AWS_18 on the log bucket (it is the log bucket);
 * - on aws-cdk-lib's provider that empties the buckets when the example is torn down (with DESTROY only): checkov
 *   CKV_AWS_115/116/117 and cfn-lint W3005.
 */
export function acknowledgeWebHostingFindings(scope: IConstruct): void {
  for (const c of scope.node.findAll()) {
    if (c instanceof cloudfront.CfnDistribution) {
      NagSuppressions.addResourceSuppressions(c, [
        { id: 'AwsSolutions-CFR1', reason: 'The web apps serve the SaaS administrators and the tenants\' users wherever they are: no country is excluded.' },
        { id: 'AwsSolutions-CFR2', reason: 'Static files only, no data or server code; the APIs the pages call have their own authorizers and usage plans. A web ACL is a production choice.' },
      ]);
      TemplateFindings.acknowledgeCheckov(c, 'CKV_AWS_68', 'static files only, no data or server code; the APIs the pages call have their own authorizers and usage plans; a web ACL (USD 5 a month and requests) is a production choice');
      const config = Stack.of(c).resolve(c.distributionConfig) as cloudfront.CfnDistribution.DistributionConfigProperty;
      const certificate = config.viewerCertificate as cloudfront.CfnDistribution.ViewerCertificateProperty | undefined;
      if (!certificate || certificate.cloudFrontDefaultCertificate) {
        NagSuppressions.addResourceSuppressions(c, [{
          id: 'AwsSolutions-CFR4',
          reason: 'CloudFront\'s default certificate (*.cloudfront.net) has a TLS policy CloudFront sets and no minimum can be chosen; a custom domain with an ACM certificate can require TLS 1.2.',
        }]);
        TemplateFindings.acknowledgeCheckov(c, 'CKV_AWS_174', 'the default CloudFront certificate (*.cloudfront.net) takes no minimum TLS version; a custom domain with an ACM certificate can require TLS 1.2');
      }
    }
    if (c instanceof s3.CfnBucket) {
      TemplateFindings.acknowledgeCheckov(c, 'CKV_AWS_21', 'the web apps\' files are rebuilt from source and deployed whole; access logs are written once and expire; versions would keep copies for nothing');
      if (c.loggingConfiguration === undefined) {
        TemplateFindings.acknowledgeCheckov(c, 'CKV_AWS_18', 'the log bucket of the web apps\' buckets and distributions: logging it would recurse');
      }
    }
    if (c instanceof CfnResource && c.cfnResourceType === 'AWS::Lambda::Function' && /\/Custom::S3AutoDeleteObjectsCustomResourceProvider\//.test(c.node.path)) {
      acknowledgeCdkProviderFunction(c, 'aws-cdk-lib\'s provider that empties the buckets when the example is torn down');
    }
  }
}

/**
 * The findings of the web apps' content deployments (examples/web-hosting.ts), acknowledged per resource with the
 * reason, all on aws-cdk-lib's BucketDeployment function: cdk-nag IAM4 (the basic Lambda execution role), IAM5 (the
 * actions aws-cdk-lib grants on the asset bucket and on the apps' buckets' objects, and CloudFront invalidation, which
 * it grants on `*`) and L1 (aws-cdk-lib chooses its runtime); checkov CKV_AWS_111 on its policy for the same
 * invalidation, CKV_AWS_115/116/117/173 and cfn-lint W3005 on the function; checkov CKV_AWS_158 on its log group.
 */
export function acknowledgeWebContentFindings(scope: IConstruct): void {
  for (const c of scope.node.findAll()) {
    const path = c.node.path;
    if (!/\/Custom::CDKBucketDeployment[0-9A-Fa-f]{32}\//.test(path)) {
      if (c instanceof logs.CfnLogGroup) {
        TemplateFindings.acknowledgeCheckov(c, 'CKV_AWS_158', 'the web apps\' deployment logs, encrypted at rest by CloudWatch Logs with its own keys; a customer managed key is not worth its cost for the example');
      }
      continue;
    }
    if (c instanceof iam.CfnRole) {
      NagSuppressions.addResourceSuppressions(c, [{
        id: 'AwsSolutions-IAM4',
        reason: 'aws-cdk-lib\'s BucketDeployment function uses the basic Lambda execution role.',
        appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
      }]);
    }
    if (c instanceof iam.CfnPolicy) {
      NagSuppressions.addResourceSuppressions(c, [{
        id: 'AwsSolutions-IAM5',
        reason: 'aws-cdk-lib\'s BucketDeployment grants: reading the CDK asset bucket, writing the apps\' buckets\' objects, and CloudFront invalidation, which it grants on *.',
        appliesTo: [
          'Action::s3:GetObject*', 'Action::s3:GetBucket*', 'Action::s3:List*', 'Action::s3:DeleteObject*', 'Action::s3:Abort*', 'Resource::*',
          { regex: '/^Resource::arn:<AWS::Partition>:s3:::cdk-[a-z0-9]+-assets-<AWS::AccountId>-<AWS::Region>\\/\\*$/g' },
          { regex: '/^Resource::<(AdminConsole|TenantApp)Bucket[0-9A-F]{8}\\.Arn>\\/\\*$/g' },
        ],
      }]);
      TemplateFindings.acknowledgeCheckov(c, 'CKV_AWS_111', 'aws-cdk-lib\'s BucketDeployment grants cloudfront:CreateInvalidation on *; its S3 writes name the apps\' buckets');
    }
    if (c instanceof lambda.CfnFunction) {
      NagSuppressions.addResourceSuppressions(c, [{ id: 'AwsSolutions-L1', reason: 'aws-cdk-lib chooses the runtime of its BucketDeployment function.' }]);
      acknowledgeCdkProviderFunction(c, 'aws-cdk-lib\'s BucketDeployment function, which copies the web apps\' files at deploy time');
    }
  }
}

/** checkov and cfn-lint findings on a function of aws-cdk-lib's making that runs at deploy time only. */
function acknowledgeCdkProviderFunction(c: CfnResource, what: string): void {
  TemplateFindings.acknowledgeCfnLint(c, 'W3005', 'CDK makes the function depend on its role besides referencing it; the redundant dependency is CDK\'s and harmless');
  TemplateFindings.acknowledgeCheckov(c, 'CKV_AWS_115', `${what}: invoked by CloudFormation at deploy time only`);
  TemplateFindings.acknowledgeCheckov(c, 'CKV_AWS_116', `${what}: invoked synchronously by CloudFormation, which sees each failure`);
  TemplateFindings.acknowledgeCheckov(c, 'CKV_AWS_117', `${what}: calls AWS APIs only; a VPC would add NAT cost and nothing to reach`);
  TemplateFindings.acknowledgeCheckov(c, 'CKV_AWS_173', `${what}: its environment holds no secret; Lambda encrypts it with an AWS managed key`);
}
