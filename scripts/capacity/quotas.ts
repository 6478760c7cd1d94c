/**
 * AWS service quotas that bound how many tenants / services this construct library can put in one account.
 *
 * How the figures were checked (research session, docs as stored by the search index):
 * - `verified: true`: the default (and adjustability) was read in this session on the docs.aws.amazon.com page named
 *   in `url`, or on its official translated copy (docs.aws.amazon.com/<lang>/...) or its docs.amazonaws.cn en_us
 *   mirror; the note says which when it was not the English page itself.
 * - `verified: false`: the live page's quota table could not be read. The figure comes from the archived awsdocs/*
 *   GitHub source of the same page (archived mid/late 2023, so possibly stale) or from memory; the note says which.
 *   Re-check these with `aws service-quotas list-aws-default-service-quotas --service-code <code>` before relying on them.
 *
 * Checked, no quota (so no entry):
 * - Amazon CloudWatch alarms per account: the CloudWatch quotas page (awsdocs/amazon-cloudwatch-user-guide source)
 *   says "No limit on the total number of alarms per account" (only 10 alarms/month free; PutMetricAlarm is 3 TPS per
 *   Region). Target-tracking policies' 2 alarms each therefore cost money and API rate, not quota.
 * - AWS Cloud Map services per namespace: the Cloud Map quotas table lists no such quota (only namespaces per Region,
 *   instances per namespace, instances per service, custom attributes per instance, and API rates).
 * - AWS Service Catalog provisioned products per account: no such quota in the Service Catalog default quotas page
 *   (awsdocs/aws-service-catalog-admin-guide source, 2023). Its per-catalog quotas (portfolios 100 and products 350 per
 *   Region, products per portfolio 150) do not grow per tenant, so they are left out.
 *
 * Not researched to a documented figure in the time box: ECS Service Connect-specific quotas (Service Connect uses
 * Cloud Map namespaces and instances, so the cloudmap.* entries apply), EventBridge cross-account targets.
 */

/** Where a quota applies. */
export type QuotaScope = 'account' | 'region' | 'vpc' | 'resource';

export interface Quota {
  /** Stable id used by the capacity model, e.g. 'iam.roles'. */
  readonly id: string;
  /** 'IAM', 'Amazon ECS', ... */
  readonly service: string;
  /** The quota's name as AWS writes it. */
  readonly name: string;
  /** Account-wide (global, e.g. IAM), per account per Region, per VPC, or per resource (per ALB, per namespace...). */
  readonly scope: QuotaScope;
  /** For scope 'resource'/'vpc': what it is per, e.g. 'Application Load Balancer'. */
  readonly per?: string;
  readonly default: number;
  readonly adjustable: boolean;
  /**
   * Highest value AWS documents for an increase; undefined when adjustable but no maximum is published (say so in note).
   * Equal to default when not adjustable.
   */
  readonly maximum?: number;
  /** The AWS documentation page that states it. */
  readonly url: string;
  /** True when the figure was read on that page in the research session. */
  readonly verified: boolean;
  readonly note?: string;
}

const IAM_URL = 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html';
const LOGS_URL = 'https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html';
const CLOUD_MAP_URL = 'https://docs.aws.amazon.com/cloud-map/latest/dg/cloud-map-limits.html';
const VPC_URL = 'https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html';
const ECS_URL = 'https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-quotas.html';
const ALB_URL = 'https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html';
const NLB_URL = 'https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-limits.html';
const APIGW_REST_URL = 'https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html';
const DYNAMODB_URL = 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html';
const AAS_URL = 'https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-quotas.html';
const COGNITO_URL = 'https://docs.aws.amazon.com/cognito/latest/developerguide/quotas.html';
const CFN_URL = 'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html';
const EC2_URL = 'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-resource-limits.html';
const EVENTBRIDGE_URL = 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html';

const NO_MAX = 'no published maximum';
const AWSDOCS_2023 = 'figure from the archived awsdocs GitHub source of this page (2023); live table not read';

export const QUOTAS: readonly Quota[] = [
  // ---------------------------------------------------------------- IAM (global, per account)
  {
    id: 'iam.roles',
    service: 'IAM',
    name: 'Roles in an AWS account',
    scope: 'account',
    default: 1000,
    adjustable: true,
    maximum: 5000,
    url: IAM_URL,
    verified: false,
    note: `${AWSDOCS_2023} (awsdocs/iam-user-guide: default 1000, maximum quota 5000). `
      + 'A 2025 third-party article cites a 10,000 maximum; not confirmed on an AWS page.',
  },
  {
    id: 'iam.managedPolicies',
    service: 'IAM',
    name: 'Customer managed policies in an AWS account',
    scope: 'account',
    default: 1500,
    adjustable: true,
    maximum: 5000,
    url: IAM_URL,
    verified: false,
    note: `${AWSDOCS_2023} (awsdocs/iam-user-guide: default 1500, maximum quota 5000). `
      + 'A 2025 third-party article cites a 10,000 maximum; not confirmed on an AWS page.',
  },
  {
    id: 'iam.managedPoliciesPerRole',
    service: 'IAM',
    name: 'Managed policies attached to an IAM role',
    scope: 'resource',
    per: 'IAM role',
    default: 10,
    adjustable: true,
    maximum: 20,
    url: IAM_URL,
    verified: false,
    note: `${AWSDOCS_2023} (awsdocs/iam-user-guide: default 10, maximum quota 20).`,
  },
  {
    id: 'iam.rolePolicySize',
    service: 'IAM',
    name: 'Role policy size',
    scope: 'resource',
    per: 'IAM role (aggregate of all inline policies, non-whitespace characters)',
    default: 10240,
    adjustable: false,
    maximum: 10240,
    url: IAM_URL,
    verified: false,
    note: 'The awsdocs source says the aggregate inline policy size per entity cannot be increased and that white space is '
      + 'not counted, but renders the per-entity figures only on the live site; 10,240 (role) is from memory and '
      + 'matches third-party copies of the page and IAM\'s "Maximum policy size of 10240 bytes exceeded" error.',
  },

  // ---------------------------------------------------------------- CloudWatch Logs
  {
    id: 'logs.logGroups',
    service: 'Amazon CloudWatch Logs',
    name: 'Log groups',
    scope: 'region',
    default: 1000000,
    adjustable: true,
    url: LOGS_URL,
    verified: true,
    note: 'Read in the CreateLogGroup API description ("You can create up to 1,000,000 log groups per Region per account"), '
      + 'on the docs.aws.amazon.com .NET SDK API page and the docs.amazonaws.cn copy of this API reference page. '
      + `Adjustability not re-read (older docs, at 5,000, said an increase can be requested); ${NO_MAX}.`,
  },

  // ---------------------------------------------------------------- AWS Cloud Map
  {
    id: 'cloudmap.namespaces',
    service: 'AWS Cloud Map',
    name: 'Namespaces per Region',
    scope: 'region',
    default: 50,
    adjustable: true,
    url: CLOUD_MAP_URL,
    verified: true,
    note: `Read on the docs.amazonaws.cn en_us copy of this page; ${NO_MAX}. Each DNS namespace also creates a Route 53 `
      + 'hosted zone, which counts against the Route 53 hosted-zone quota.',
  },
  {
    id: 'cloudmap.instancesPerNamespace',
    service: 'AWS Cloud Map',
    name: 'Instances per namespace',
    scope: 'resource',
    per: 'Cloud Map namespace',
    default: 2000,
    adjustable: true,
    url: CLOUD_MAP_URL,
    verified: true,
    note: `Read on the docs.amazonaws.cn en_us copy of this page; ${NO_MAX}. Raising it for DNS namespaces also needs a `
      + 'higher Route 53 records-per-hosted-zone quota (extra charges).',
  },
  {
    id: 'cloudmap.instancesPerService',
    service: 'AWS Cloud Map',
    name: 'Instances per service',
    scope: 'resource',
    per: 'Cloud Map service',
    default: 1000,
    adjustable: false,
    maximum: 1000,
    url: CLOUD_MAP_URL,
    verified: true,
    note: 'Read on the docs.amazonaws.cn en_us copy of this page. Caps an ECS service using service discovery at 1,000 tasks.',
  },

  // ---------------------------------------------------------------- Amazon VPC
  {
    id: 'vpc.securityGroups',
    service: 'Amazon VPC',
    name: 'VPC security groups per Region',
    scope: 'region',
    default: 2500,
    adjustable: true,
    url: VPC_URL,
    verified: false,
    note: `${AWSDOCS_2023} (awsdocs/amazon-vpc-user-guide); ${NO_MAX}. Applies to own and shared VPCs; the page advises `
      + 'paginating DescribeSecurityGroups above 5,000.',
  },
  {
    id: 'vpc.inboundRulesPerSecurityGroup',
    service: 'Amazon VPC',
    name: 'Inbound rules per security group',
    scope: 'resource',
    per: 'security group',
    default: 60,
    adjustable: true,
    url: VPC_URL,
    verified: false,
    note: `${AWSDOCS_2023}, where it is one quota "Inbound or outbound rules per security group" (60), enforced separately `
      + 'for IPv4 and IPv6 rules. Rules per security group x security groups per network interface cannot exceed 1,000, '
      + `so the effective maximum depends on the other quota; ${NO_MAX} on its own.`,
  },
  {
    id: 'vpc.outboundRulesPerSecurityGroup',
    service: 'Amazon VPC',
    name: 'Outbound rules per security group',
    scope: 'resource',
    per: 'security group',
    default: 60,
    adjustable: true,
    url: VPC_URL,
    verified: false,
    note: `Same source and caveats as vpc.inboundRulesPerSecurityGroup; ${NO_MAX} on its own.`,
  },
  {
    id: 'vpc.securityGroupsPerNetworkInterface',
    service: 'Amazon VPC',
    name: 'Security groups per network interface',
    scope: 'resource',
    per: 'network interface',
    default: 5,
    adjustable: true,
    maximum: 16,
    url: VPC_URL,
    verified: false,
    note: `${AWSDOCS_2023} ("Yes (up to 16)"). This quota x rules per security group cannot exceed 1,000. `
      + 'ECS awsvpc configurations are separately limited to 5 security groups.',
  },
  {
    id: 'vpc.networkInterfaces',
    service: 'Amazon VPC',
    name: 'Network interfaces per Region',
    scope: 'region',
    default: 5000,
    adjustable: true,
    url: VPC_URL,
    verified: false,
    note: `${AWSDOCS_2023}; ${NO_MAX}. Every awsvpc/Fargate task uses one; applies to own and shared VPCs.`,
  },

  // ---------------------------------------------------------------- Amazon ECS and AWS Fargate
  {
    id: 'ecs.clusters',
    service: 'Amazon ECS',
    name: 'Clusters per account',
    scope: 'region',
    default: 10000,
    adjustable: true,
    url: ECS_URL,
    verified: true,
    note: `${NO_MAX}. The page notes new accounts might have initial lower quotas that AWS raises with usage.`,
  },
  {
    id: 'ecs.servicesPerCluster',
    service: 'Amazon ECS',
    name: 'Services per cluster',
    scope: 'resource',
    per: 'ECS cluster',
    default: 5000,
    adjustable: true,
    url: ECS_URL,
    verified: false,
    note: `${AWSDOCS_2023} (awsdocs/amazon-ecs-developer-guide); the live table was read only down to "Rate of tasks launched". `
      + `${NO_MAX}.`,
  },
  {
    id: 'ecs.tasksPerService',
    service: 'Amazon ECS',
    name: 'Tasks per service',
    scope: 'resource',
    per: 'ECS service',
    default: 5000,
    adjustable: true,
    url: ECS_URL,
    verified: false,
    note: `${AWSDOCS_2023}; ${NO_MAX}. Services using service discovery are held to 1,000 tasks by Cloud Map's instances `
      + 'per service (cloudmap.instancesPerService).',
  },
  {
    id: 'ecs.capacityProvidersPerCluster',
    service: 'Amazon ECS',
    name: 'Capacity providers per cluster',
    scope: 'resource',
    per: 'ECS cluster',
    default: 20,
    adjustable: false,
    maximum: 20,
    url: ECS_URL,
    verified: true,
    note: 'The developer guide page reads 20; the older ECS-on-Fargate user guide copy (AmazonECS/latest/userguide) still reads 10.',
  },
  {
    id: 'ecs.targetGroupsPerService',
    service: 'Amazon ECS',
    name: 'Target groups per service',
    scope: 'resource',
    per: 'ECS service',
    default: 5,
    adjustable: false,
    maximum: 5,
    url: ECS_URL,
    verified: false,
    note: `${AWSDOCS_2023}.`,
  },
  {
    id: 'fargate.onDemandVcpu',
    service: 'AWS Fargate',
    name: 'Fargate On-Demand vCPU resource count',
    scope: 'region',
    default: 6,
    adjustable: true,
    url: `${ECS_URL}#service-quotas-fargate`,
    verified: false,
    note: 'Could not read the Fargate table of the live page. 6 is the best-known AWS default (Service Quotas) for new '
      + 'accounts; the applied value varies by account (AWS raises it with usage, and accounts migrated from the 2022 '
      + 'task-count quotas got larger values, often 4,000). The archived 2023 page still showed the old task-count quota '
      + `"Fargate On-Demand resource count" = 1,000 tasks. Includes EKS pods on Fargate. ${NO_MAX}. Check the account's `
      + 'applied value (service code fargate, quota L-3032A538).',
  },
  {
    id: 'fargate.spotVcpu',
    service: 'AWS Fargate',
    name: 'Fargate Spot vCPU resource count',
    scope: 'region',
    default: 6,
    adjustable: true,
    url: `${ECS_URL}#service-quotas-fargate`,
    verified: false,
    note: 'Same caveats as fargate.onDemandVcpu (best-known default 6, varies by account; 2023 page showed 1,000 Spot tasks). '
      + `${NO_MAX}. Check the account's applied value (service code fargate, quota L-36FBB829).`,
  },

  // ---------------------------------------------------------------- Elastic Load Balancing
  {
    id: 'elb.albs',
    service: 'Elastic Load Balancing',
    name: 'Application Load Balancers per Region',
    scope: 'region',
    default: 50,
    adjustable: true,
    url: ALB_URL,
    verified: true,
    note: NO_MAX,
  },
  {
    id: 'elb.targetGroups',
    service: 'Elastic Load Balancing',
    name: 'Target Groups per Region',
    scope: 'region',
    default: 3000,
    adjustable: true,
    url: ALB_URL,
    verified: true,
    note: `Shared by Application and Network Load Balancers; ${NO_MAX}.`,
  },
  {
    id: 'elb.rulesPerAlb',
    service: 'Elastic Load Balancing',
    name: 'Rules per Application Load Balancer (excluding default rules)',
    scope: 'resource',
    per: 'Application Load Balancer',
    default: 100,
    adjustable: true,
    url: ALB_URL,
    verified: true,
    note: 'Figure and "adjustable" read on the ja_jp and zh_cn translations of this page (the English excerpt stopped before '
      + `the Rules table); ${NO_MAX}.`,
  },
  {
    id: 'elb.listenersPerAlb',
    service: 'Elastic Load Balancing',
    name: 'Listeners per Application Load Balancer',
    scope: 'resource',
    per: 'Application Load Balancer',
    default: 50,
    adjustable: true,
    url: ALB_URL,
    verified: true,
    note: NO_MAX,
  },
  {
    id: 'elb.targetGroupsPerAlb',
    service: 'Elastic Load Balancing',
    name: 'Target Groups per Application Load Balancer',
    scope: 'resource',
    per: 'Application Load Balancer',
    default: 100,
    adjustable: false,
    maximum: 100,
    url: ALB_URL,
    verified: true,
  },
  {
    id: 'elb.targetGroupsPerAction',
    service: 'Elastic Load Balancing',
    name: 'Target Groups per Action per Application Load Balancer',
    scope: 'resource',
    per: 'listener rule action',
    default: 5,
    adjustable: false,
    maximum: 5,
    url: ALB_URL,
    verified: true,
  },
  {
    id: 'elb.targetsPerAlb',
    service: 'Elastic Load Balancing',
    name: 'Targets per Application Load Balancer',
    scope: 'resource',
    per: 'Application Load Balancer',
    default: 1000,
    adjustable: true,
    url: ALB_URL,
    verified: true,
    note: NO_MAX,
  },
  {
    id: 'elb.targetsPerTargetGroup',
    service: 'Elastic Load Balancing',
    name: 'Targets per Target Group per Region (instances or IP addresses)',
    scope: 'resource',
    per: 'target group',
    default: 1000,
    adjustable: true,
    url: ALB_URL,
    verified: true,
    note: NO_MAX,
  },
  {
    id: 'elb.nlbs',
    service: 'Elastic Load Balancing',
    name: 'Network Load Balancers per Region',
    scope: 'region',
    default: 50,
    adjustable: true,
    url: NLB_URL,
    verified: true,
    note: NO_MAX,
  },

  // ---------------------------------------------------------------- Amazon API Gateway (REST APIs)
  {
    id: 'apigw.regionalRestApis',
    service: 'Amazon API Gateway',
    name: 'Regional APIs per Region',
    scope: 'region',
    default: 600,
    adjustable: false,
    maximum: 600,
    url: APIGW_REST_URL,
    verified: true,
    note: 'Separate fixed quotas: edge-optimized APIs per Region 120, private APIs per account per Region 600.',
  },
  {
    id: 'apigw.usagePlans',
    service: 'Amazon API Gateway',
    name: 'Usage plans per account per Region',
    scope: 'region',
    default: 300,
    adjustable: true,
    url: APIGW_REST_URL,
    verified: true,
    note: `Read on the ja_jp translation of this page (the English excerpt stopped before this row); ${NO_MAX}.`,
  },
  {
    id: 'apigw.apiKeys',
    service: 'Amazon API Gateway',
    name: 'API keys per account per Region',
    scope: 'region',
    default: 10000,
    adjustable: false,
    maximum: 10000,
    url: APIGW_REST_URL,
    verified: true,
    note: 'The live page marks this "Can be increased: No" (English, es_es and ja_jp agree); the archived 2023 page had 500, adjustable.',
  },
  {
    id: 'apigw.vpcLinks',
    service: 'Amazon API Gateway',
    name: 'VPC links per account per Region',
    scope: 'region',
    default: 20,
    adjustable: true,
    url: APIGW_REST_URL,
    verified: true,
    note: 'REST API (v1) VPC links; read on the ja_jp translation of this page. HTTP API VPC links have their own quota of 10 '
      + `(http-api-quotas.html). ${NO_MAX}.`,
  },
  {
    id: 'apigw.resourcesPerApi',
    service: 'Amazon API Gateway',
    name: 'Resources per API',
    scope: 'resource',
    per: 'REST API',
    default: 300,
    adjustable: true,
    url: APIGW_REST_URL,
    verified: true,
    note: `Per-API quotas can only be increased on specific APIs; ${NO_MAX}.`,
  },
  {
    id: 'apigw.authorizersPerApi',
    service: 'Amazon API Gateway',
    name: 'Authorizers per API (AWS Lambda and Amazon Cognito)',
    scope: 'resource',
    per: 'REST API',
    default: 10,
    adjustable: true,
    url: APIGW_REST_URL,
    verified: true,
    note: `Increase through the AWS Support Center; ${NO_MAX}.`,
  },
  {
    id: 'apigw.stagesPerApi',
    service: 'Amazon API Gateway',
    name: 'Stages per API',
    scope: 'resource',
    per: 'REST API',
    default: 10,
    adjustable: true,
    url: APIGW_REST_URL,
    verified: true,
    note: NO_MAX,
  },
  {
    id: 'apigw.usagePlansPerApiKey',
    service: 'Amazon API Gateway',
    name: 'Usage plans per API key',
    scope: 'resource',
    per: 'API key',
    default: 10,
    adjustable: true,
    url: APIGW_REST_URL,
    verified: true,
    note: `Read on the ja_jp translation of this page; ${NO_MAX}.`,
  },

  // ---------------------------------------------------------------- Amazon DynamoDB
  {
    id: 'dynamodb.tables',
    service: 'Amazon DynamoDB',
    name: 'Maximum number of tables per account per region',
    scope: 'region',
    default: 2500,
    adjustable: true,
    url: DYNAMODB_URL,
    verified: false,
    note: `${AWSDOCS_2023} (awsdocs/amazon-dynamodb-developer-guide: "an initial quota of 2,500 tables per AWS Region", `
      + `increase through Service Quotas or Support). ${NO_MAX} on the text read; a 10,000 ceiling is sometimes cited but `
      + 'was not found on an AWS page in this session.',
  },

  // ---------------------------------------------------------------- Application Auto Scaling
  {
    id: 'autoscaling.scalableTargets',
    service: 'Application Auto Scaling',
    name: 'Scalable targets per resource type',
    scope: 'region',
    default: 3000,
    adjustable: true,
    url: AAS_URL,
    verified: true,
    note: `Value for Amazon ECS services (DynamoDB 5,000, Amazon Keyspaces 1,500, other resource types 500); ${NO_MAX}.`,
  },
  {
    id: 'autoscaling.scalableTargetsDynamoDb',
    service: 'Application Auto Scaling',
    name: 'Scalable targets per resource type',
    scope: 'region',
    default: 5000,
    adjustable: true,
    url: AAS_URL,
    verified: true,
    note: `Value for Amazon DynamoDB (tables and GSIs, read and write dimensions are separate scalable targets); ${NO_MAX}.`,
  },
  {
    id: 'autoscaling.policiesPerTarget',
    service: 'Application Auto Scaling',
    name: 'Scaling policies per scalable target (both step scaling and target tracking policies)',
    scope: 'resource',
    per: 'scalable target',
    default: 50,
    adjustable: false,
    maximum: 50,
    url: AAS_URL,
    verified: true,
  },

  // ---------------------------------------------------------------- Amazon Cognito
  {
    id: 'cognito.userPools',
    service: 'Amazon Cognito',
    name: 'Maximum number of user pools per account',
    scope: 'region',
    default: 1000,
    adjustable: true,
    url: COGNITO_URL,
    verified: false,
    note: `${AWSDOCS_2023} (awsdocs/amazon-cognito-developer-guide, adjustable resource quotas); ${NO_MAX}.`,
  },
  {
    id: 'cognito.appClientsPerUserPool',
    service: 'Amazon Cognito',
    name: 'Maximum number of app clients per user pool',
    scope: 'resource',
    per: 'user pool',
    default: 1000,
    adjustable: true,
    url: COGNITO_URL,
    verified: false,
    note: `${AWSDOCS_2023}; ${NO_MAX}. UserPoolClientUpdate operations are also capped at 5 RPS per user pool.`,
  },
  {
    id: 'cognito.usersPerUserPool',
    service: 'Amazon Cognito',
    name: 'Maximum number of users per user pool',
    scope: 'resource',
    per: 'user pool',
    default: 40000000,
    adjustable: true,
    url: COGNITO_URL,
    verified: false,
    note: `${AWSDOCS_2023}; ${NO_MAX}.`,
  },

  // ---------------------------------------------------------------- AWS CloudFormation
  {
    id: 'cloudformation.stacks',
    service: 'AWS CloudFormation',
    name: 'Stacks',
    scope: 'region',
    default: 2000,
    adjustable: true,
    url: CFN_URL,
    verified: false,
    note: 'Best-known current value; the live table was read only down to "Nested stacks", and the archived awsdocs '
      + `version read (older) still had 200. Check with DescribeAccountLimits (StackLimit). ${NO_MAX}.`,
  },
  {
    id: 'cloudformation.resourcesPerStack',
    service: 'AWS CloudFormation',
    name: 'Resources',
    scope: 'resource',
    per: 'stack (template)',
    default: 500,
    adjustable: false,
    maximum: 500,
    url: CFN_URL,
    verified: false,
    note: 'Best-known current value (third-party 2025 articles agree on 500, not adjustable); the archived awsdocs version '
      + 'read (older) had 200. Not read on the live page in this session.',
  },
  {
    id: 'cloudformation.outputsPerTemplate',
    service: 'AWS CloudFormation',
    name: 'Outputs',
    scope: 'resource',
    per: 'stack (template)',
    default: 200,
    adjustable: false,
    maximum: 200,
    url: CFN_URL,
    verified: false,
    note: 'Best-known current value; the archived awsdocs version read (older) had 60. Not read on the live page.',
  },
  {
    id: 'cloudformation.parametersPerTemplate',
    service: 'AWS CloudFormation',
    name: 'Parameters',
    scope: 'resource',
    per: 'stack (template)',
    default: 200,
    adjustable: false,
    maximum: 200,
    url: CFN_URL,
    verified: false,
    note: 'Best-known current value; the archived awsdocs version read (older) had 60. Not read on the live page.',
  },

  // ---------------------------------------------------------------- Amazon EC2
  {
    id: 'ec2.onDemandStandardVcpu',
    service: 'Amazon EC2',
    name: 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances',
    scope: 'region',
    default: 5,
    adjustable: true,
    url: EC2_URL,
    verified: false,
    note: 'vCPU-based quota (service code ec2, L-1216C47A). Not found on an AWS page in this session; 5 vCPUs is the '
      + 'best-known Service Quotas default, but the applied value varies by account (commonly 32 or more, and AWS raises '
      + `it with usage). Check the account's applied value. ${NO_MAX}.`,
  },

  // ---------------------------------------------------------------- Amazon EventBridge
  {
    id: 'eventbridge.rulesPerBus',
    service: 'Amazon EventBridge',
    name: 'Rules per event bus',
    scope: 'resource',
    per: 'event bus',
    default: 300,
    adjustable: true,
    url: EVENTBRIDGE_URL,
    verified: false,
    note: 'Best-known value; the quota table was not reached in the excerpts read. The live page now splits quotas into '
      + '"Custom Event Bus" and "Custom Event Bus - Classic" (rules and targets); this rule quota belongs to the latter. '
      + `Rules with wildcard patterns are separately limited to 30 per bus (not adjustable). ${NO_MAX}.`,
  },
  {
    id: 'eventbridge.targetsPerRule',
    service: 'Amazon EventBridge',
    name: 'Targets per rule',
    scope: 'resource',
    per: 'rule',
    default: 5,
    adjustable: false,
    maximum: 5,
    url: 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rules-best-practices.html',
    verified: true,
    note: 'This page states "you can specify up to five targets for a given rule"; the quota table (eb-quota.html) was not '
      + 'read, so "not adjustable" is best-known rather than read.',
  },
];
