import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';

/**
 * The launch role of a tenant product: what CloudFormation needs to create, update and delete the resource types of
 * the tenant template, and nothing else. Actions come per resource type from the table below; resources are scoped
 * to this account and Region, and to the names Service Catalog gives its stacks (`SC-<account>-pp-*`) where the
 * service derives names from the stack name. A type missing from the table fails synthesis with its name.
 */
interface TypeRule {
  /** Actions on resources the stack names (scoped to `SC-<account>-pp-*` names). */
  readonly named?: { readonly actions: string[]; readonly arn: (s: Stack, prefix: string) => string[] };
  /** Actions on resources whose ARNs CloudFormation cannot know in advance (scoped to the account and Region). */
  readonly scoped?: { readonly actions: string[]; readonly arn: (s: Stack) => string[] };
  /** Actions without resource-level permissions. */
  readonly unscoped?: string[];
}

const arn = (s: Stack, service: string, resource: string, global = false) =>
  `arn:${s.partition}:${service}:${global ? '' : s.region}:${s.account}:${resource}`;

/** API Gateway's REST resources (`arn:<partition>:apigateway:<region>::<path>`: no account). */
const apigatewayArn = (s: Stack, path: string) => `arn:${s.partition}:apigateway:${s.region}::${path}`;

/** API Gateway authorizes its management API by HTTP method on the resource path. */
const API_GATEWAY_ACTIONS = ['apigateway:GET', 'apigateway:POST', 'apigateway:PUT', 'apigateway:PATCH', 'apigateway:DELETE'];

const COGNITO_POOL_ACTIONS = [
  'cognito-idp:DeleteUserPool', 'cognito-idp:DescribeUserPool', 'cognito-idp:UpdateUserPool', 'cognito-idp:SetUserPoolMfaConfig',
  'cognito-idp:GetUserPoolMfaConfig', 'cognito-idp:AddCustomAttributes', 'cognito-idp:TagResource', 'cognito-idp:UntagResource',
  'cognito-idp:ListTagsForResource', 'cognito-idp:SetRiskConfiguration', 'cognito-idp:DescribeRiskConfiguration',
];

export const LAUNCH_RULES: Record<string, TypeRule> = {
  'AWS::Cognito::UserPool': {
    unscoped: ['cognito-idp:CreateUserPool'],
    scoped: { actions: COGNITO_POOL_ACTIONS, arn: (s) => [arn(s, 'cognito-idp', 'userpool/*')] },
  },
  'AWS::Cognito::UserPoolClient': {
    scoped: {
      actions: ['cognito-idp:CreateUserPoolClient', 'cognito-idp:DeleteUserPoolClient', 'cognito-idp:DescribeUserPoolClient', 'cognito-idp:UpdateUserPoolClient'],
      arn: (s) => [arn(s, 'cognito-idp', 'userpool/*')],
    },
  },
  'AWS::Cognito::UserPoolUser': {
    scoped: {
      actions: ['cognito-idp:AdminCreateUser', 'cognito-idp:AdminDeleteUser', 'cognito-idp:AdminGetUser'],
      arn: (s) => [arn(s, 'cognito-idp', 'userpool/*')],
    },
  },
  // Creating roles and writing their policies is bounded separately (see launchStatements): only with the boundary.
  'AWS::IAM::Role': {
    named: {
      actions: ['iam:DeleteRole', 'iam:GetRole', 'iam:UpdateRole', 'iam:TagRole', 'iam:UntagRole', 'iam:UpdateAssumeRolePolicy', 'iam:PassRole'],
      arn: (s, p) => [arn(s, 'iam', `role/${p}*`, true)],
    },
  },
  'AWS::IAM::Policy': {
    named: {
      actions: ['iam:DeleteRolePolicy', 'iam:GetRolePolicy'],
      arn: (s, p) => [arn(s, 'iam', `role/${p}*`, true)],
    },
  },
  'AWS::ECS::Service': {
    scoped: { actions: ['ecs:CreateService', 'ecs:UpdateService', 'ecs:DeleteService', 'ecs:DescribeServices', 'ecs:TagResource', 'ecs:UntagResource'], arn: (s) => [arn(s, 'ecs', 'service/*')] },
  },
  'AWS::ECS::TaskDefinition': {
    unscoped: ['ecs:RegisterTaskDefinition', 'ecs:DeregisterTaskDefinition', 'ecs:DescribeTaskDefinition'],
    scoped: { actions: ['ecs:TagResource'], arn: (s) => [arn(s, 'ecs', 'task-definition/*')] },
  },
  'AWS::ECS::Cluster': {
    named: {
      actions: ['ecs:CreateCluster', 'ecs:DeleteCluster', 'ecs:DescribeClusters', 'ecs:UpdateCluster', 'ecs:UpdateClusterSettings', 'ecs:PutClusterCapacityProviders', 'ecs:TagResource'],
      arn: (s, p) => [arn(s, 'ecs', `cluster/${p}*`)],
    },
  },
  'AWS::Logs::LogGroup': {
    named: {
      actions: ['logs:CreateLogGroup', 'logs:DeleteLogGroup', 'logs:PutRetentionPolicy', 'logs:DeleteRetentionPolicy', 'logs:TagResource', 'logs:UntagResource', 'logs:ListTagsForResource'],
      arn: (s, p) => [arn(s, 'logs', `log-group:${p}*`)],
    },
    unscoped: ['logs:DescribeLogGroups'],
  },
  'AWS::DynamoDB::Table': {
    named: {
      actions: [
        'dynamodb:CreateTable', 'dynamodb:DeleteTable', 'dynamodb:DescribeTable', 'dynamodb:UpdateTable', 'dynamodb:TagResource',
        'dynamodb:UntagResource', 'dynamodb:ListTagsOfResource', 'dynamodb:DescribeContinuousBackups', 'dynamodb:UpdateContinuousBackups',
        'dynamodb:DescribeTimeToLive', 'dynamodb:UpdateTimeToLive',
      ],
      arn: (s, p) => [arn(s, 'dynamodb', `table/${p}*`)],
    },
  },
  'AWS::EC2::SecurityGroup': {
    scoped: {
      actions: ['ec2:CreateSecurityGroup', 'ec2:DeleteSecurityGroup', 'ec2:CreateTags', 'ec2:AuthorizeSecurityGroupEgress', 'ec2:RevokeSecurityGroupEgress'],
      arn: (s) => [arn(s, 'ec2', 'security-group/*'), arn(s, 'ec2', 'vpc/*')],
    },
    unscoped: ['ec2:DescribeSecurityGroups'],
  },
  'AWS::EC2::SecurityGroupIngress': {
    scoped: { actions: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress'], arn: (s) => [arn(s, 'ec2', 'security-group/*')] },
    unscoped: ['ec2:DescribeSecurityGroups', 'ec2:DescribeSecurityGroupRules'],
  },
  'AWS::EC2::SecurityGroupEgress': {
    scoped: { actions: ['ec2:AuthorizeSecurityGroupEgress', 'ec2:RevokeSecurityGroupEgress'], arn: (s) => [arn(s, 'ec2', 'security-group/*')] },
    unscoped: ['ec2:DescribeSecurityGroups', 'ec2:DescribeSecurityGroupRules'],
  },
  'AWS::ServiceDiscovery::HttpNamespace': {
    unscoped: ['servicediscovery:CreateHttpNamespace', 'servicediscovery:GetOperation', 'servicediscovery:ListNamespaces'],
    scoped: {
      actions: ['servicediscovery:DeleteNamespace', 'servicediscovery:GetNamespace', 'servicediscovery:TagResource', 'servicediscovery:ListTagsForResource'],
      arn: (s) => [arn(s, 'servicediscovery', 'namespace/*')],
    },
  },
  // A tenant's services behind a routing service register in its DNS namespace (ECS registers the tasks' records).
  'AWS::ServiceDiscovery::Service': {
    scoped: {
      actions: [
        'servicediscovery:CreateService', 'servicediscovery:DeleteService', 'servicediscovery:GetService', 'servicediscovery:UpdateService',
        'servicediscovery:TagResource', 'servicediscovery:UntagResource', 'servicediscovery:ListTagsForResource',
      ],
      arn: (s) => [arn(s, 'servicediscovery', 'namespace/*'), arn(s, 'servicediscovery', 'service/*')],
    },
    unscoped: ['servicediscovery:GetOperation'],
  },
  'AWS::ApplicationAutoScaling::ScalableTarget': {
    unscoped: ['application-autoscaling:DescribeScalableTargets'],
    scoped: {
      actions: ['application-autoscaling:RegisterScalableTarget', 'application-autoscaling:DeregisterScalableTarget', 'application-autoscaling:TagResource'],
      arn: (s) => [arn(s, 'application-autoscaling', 'scalable-target/*')],
    },
  },
  'AWS::ApplicationAutoScaling::ScalingPolicy': {
    unscoped: ['application-autoscaling:DescribeScalingPolicies'],
    scoped: {
      actions: ['application-autoscaling:PutScalingPolicy', 'application-autoscaling:DeleteScalingPolicy', 'cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms', 'cloudwatch:DescribeAlarms'],
      arn: (s) => [arn(s, 'application-autoscaling', 'scalable-target/*'), arn(s, 'cloudwatch', 'alarm:*')],
    },
  },
  'AWS::ElasticLoadBalancingV2::TargetGroup': {
    scoped: {
      actions: [
        'elasticloadbalancing:CreateTargetGroup', 'elasticloadbalancing:DeleteTargetGroup', 'elasticloadbalancing:ModifyTargetGroup',
        'elasticloadbalancing:ModifyTargetGroupAttributes', 'elasticloadbalancing:AddTags', 'elasticloadbalancing:RemoveTags',
      ],
      arn: (s) => [arn(s, 'elasticloadbalancing', 'targetgroup/*')],
    },
    unscoped: ['elasticloadbalancing:DescribeTargetGroups', 'elasticloadbalancing:DescribeTargetGroupAttributes', 'elasticloadbalancing:DescribeTags'],
  },
  'AWS::ElasticLoadBalancingV2::ListenerRule': {
    scoped: {
      actions: ['elasticloadbalancing:CreateRule', 'elasticloadbalancing:DeleteRule', 'elasticloadbalancing:ModifyRule', 'elasticloadbalancing:AddTags'],
      arn: (s) => [arn(s, 'elasticloadbalancing', 'listener/app/*'), arn(s, 'elasticloadbalancing', 'listener-rule/app/*'), arn(s, 'elasticloadbalancing', 'targetgroup/*')],
    },
    unscoped: ['elasticloadbalancing:DescribeRules'],
  },
  // A router shard opened at run time (RouterShardTemplate): its load balancer, listener and API.
  'AWS::ElasticLoadBalancingV2::LoadBalancer': {
    scoped: {
      actions: [
        'elasticloadbalancing:CreateLoadBalancer', 'elasticloadbalancing:DeleteLoadBalancer', 'elasticloadbalancing:ModifyLoadBalancerAttributes',
        'elasticloadbalancing:SetSecurityGroups', 'elasticloadbalancing:SetSubnets', 'elasticloadbalancing:AddTags', 'elasticloadbalancing:RemoveTags',
      ],
      arn: (s) => [arn(s, 'elasticloadbalancing', 'loadbalancer/app/*')],
    },
    unscoped: [
      'elasticloadbalancing:DescribeLoadBalancers', 'elasticloadbalancing:DescribeLoadBalancerAttributes', 'elasticloadbalancing:DescribeTags',
      'ec2:DescribeSubnets', 'ec2:DescribeVpcs', 'ec2:DescribeSecurityGroups', 'ec2:DescribeAccountAttributes', 'ec2:DescribeInternetGateways',
    ],
  },
  'AWS::ElasticLoadBalancingV2::Listener': {
    scoped: {
      actions: ['elasticloadbalancing:CreateListener', 'elasticloadbalancing:DeleteListener', 'elasticloadbalancing:ModifyListener', 'elasticloadbalancing:AddTags'],
      arn: (s) => [arn(s, 'elasticloadbalancing', 'loadbalancer/app/*'), arn(s, 'elasticloadbalancing', 'listener/app/*')],
    },
    unscoped: ['elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeListenerAttributes'],
  },
  ...Object.fromEntries(['RestApi', 'Resource', 'Method', 'Deployment', 'Stage', 'Authorizer', 'RequestValidator', 'GatewayResponse'].map((t) => [
    `AWS::ApiGateway::${t}`,
    { scoped: { actions: API_GATEWAY_ACTIONS, arn: (s: Stack) => [apigatewayArn(s, '/restapis'), apigatewayArn(s, '/restapis/*'), apigatewayArn(s, '/tags/*')] } },
  ])),
  ...Object.fromEntries(['UsagePlan', 'UsagePlanKey'].map((t) => [
    `AWS::ApiGateway::${t}`,
    // A usage plan names its stage, and a usage-plan key the tier's key, which API Gateway reads.
    { scoped: { actions: API_GATEWAY_ACTIONS, arn: (s: Stack) => [apigatewayArn(s, '/usageplans'), apigatewayArn(s, '/usageplans/*'), apigatewayArn(s, '/restapis/*'), apigatewayArn(s, '/apikeys/*'), apigatewayArn(s, '/tags/*')] } },
  ])),
  'AWS::WAFv2::WebACLAssociation': {
    scoped: {
      actions: ['wafv2:AssociateWebACL', 'wafv2:DisassociateWebACL', 'wafv2:GetWebACLForResource', 'apigateway:SetWebACL'],
      arn: (s) => [arn(s, 'wafv2', 'regional/webacl/*'), apigatewayArn(s, '/restapis/*')],
    },
  },
};

/**
 * What tenant workloads may ever do: the permissions boundary of every role a tenant template creates. The launch role
 * can create roles and write their policies only with this boundary attached, so a tenant template cannot mint a role
 * more powerful than a tenant's tasks need (which would turn the launch role into a path to administrator).
 */
export const TENANT_WORKLOAD_ACTIONS = [
  'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:DescribeTable',
  'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem',
  'sts:AssumeRole', 'sts:TagSession',
  'logs:CreateLogStream', 'logs:PutLogEvents',
  'ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetAuthorizationToken', 'ecr:GetDownloadUrlForLayer',
  'kms:Decrypt', 'kms:GenerateDataKey',
  'xray:PutTelemetryRecords', 'xray:PutTraceSegments',
  'cloudwatch:PutMetricData',
  'ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel',
];

/** Policy statements for a launch role that deploys templates with these resource types. */
export function launchStatements(stack: Stack, resourceTypes: string[], what: string, boundaryArn: string): iam.PolicyStatement[] {
  const unknown = resourceTypes.filter((t) => !LAUNCH_RULES[t]);
  if (unknown.length > 0) {
    throw new Error(
      `${what} has resource types the lifecycle's launch role has no rule for: ${unknown.join(', ')}. Give their permissions as launchRoleStatements.`,
    );
  }
  const prefix = `SC-${stack.account}-pp-`;
  const byResources = new Map<string, { resources: string[]; actions: Set<string> }>();
  const add = (actions: string[], resources: string[]) => {
    const key = JSON.stringify(stack.resolve(resources));
    const entry = byResources.get(key) ?? { resources, actions: new Set<string>() };
    actions.forEach((a) => entry.actions.add(a));
    byResources.set(key, entry);
  };
  for (const type of [...new Set(resourceTypes)].sort()) {
    const rule = LAUNCH_RULES[type];
    if (rule.named) {
      add(rule.named.actions, rule.named.arn(stack, prefix));
    }
    if (rule.scoped) {
      add(rule.scoped.actions, rule.scoped.arn(stack));
    }
    if (rule.unscoped) {
      add(rule.unscoped, ['*']);
    }
  }
  const statements = [...byResources.values()].map((e) => new iam.PolicyStatement({ actions: [...e.actions].sort(), resources: e.resources }));
  if (resourceTypes.includes('AWS::IAM::Role') || resourceTypes.includes('AWS::IAM::Policy')) {
    statements.push(new iam.PolicyStatement({
      actions: ['iam:CreateRole', 'iam:PutRolePolicy'],
      resources: [arn(stack, 'iam', `role/${prefix}*`, true)],
      conditions: { StringEquals: { 'iam:PermissionsBoundary': boundaryArn } },
    }));
  }
  // CloudFormation itself, on the stacks Service Catalog creates for this account's products.
  statements.push(new iam.PolicyStatement({
    actions: [
      'cloudformation:CreateStack', 'cloudformation:DeleteStack', 'cloudformation:DescribeStackEvents', 'cloudformation:DescribeStacks',
      'cloudformation:SetStackPolicy', 'cloudformation:UpdateStack', 'cloudformation:ListStackResources',
    ],
    resources: [arn(stack, 'cloudformation', `stack/${prefix}*/*`)],
  }));
  statements.push(new iam.PolicyStatement({ actions: ['cloudformation:GetTemplateSummary', 'cloudformation:ValidateTemplate'], resources: ['*'] }));
  // The template itself, published by the CDK to the bootstrap assets bucket.
  statements.push(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [`arn:${stack.partition}:s3:::cdk-*-assets-${stack.account}-${stack.region}/*`] }));
  return statements;
}
