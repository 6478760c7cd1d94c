import { Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as servicecatalog from 'aws-cdk-lib/aws-servicecatalog';
import { Construct } from 'constructs';
import { launchStatements } from './launch-policy';
import { TenantTemplate } from './tenant-template';
import { RouterShardTemplate } from '../router/router-shard-template';

/** A stack tier's template, published as a Service Catalog product. */
export interface TenantProduct {
  readonly product: servicecatalog.CloudFormationProduct;
  readonly template: TenantTemplate;
  readonly versionName: string;
}

/** A stack tier: its template and the name of the version to publish. */
export interface StackTierTemplate {
  readonly template: TenantTemplate;
  readonly versionName?: string;
}

/**
 * The tenant stacks as Service Catalog products: one product per stack tier in one portfolio, each deployed by a
 * launch role that may create its template's resource types only, and whose roles must carry `boundary`. With a
 * router that opens shards at run time, its shard template is a product of the portfolio too.
 */
export function createTenantProducts(
  scope: Construct,
  stacked: StackTierTemplate[],
  boundary: iam.ManagedPolicy,
  launchRoleStatements: iam.PolicyStatement[],
  shardTemplate?: RouterShardTemplate,
): { portfolio?: servicecatalog.Portfolio; products: Map<string, TenantProduct>; shardProduct?: servicecatalog.CloudFormationProduct } {
  const stack = Stack.of(scope);
  const products = new Map<string, TenantProduct>();
  if (stacked.length === 0 && !shardTemplate) {
    return { products };
  }
  const portfolio = new servicecatalog.Portfolio(scope, 'Portfolio', {
    displayName: 'Tenant stacks',
    providerName: 'cdk-ecs-saas',
    description: `Tenant stack templates of ${stack.stackName}`,
  });
  for (const tier of stacked) {
    iam.PermissionsBoundary.of(tier.template).apply(boundary);
    const product = addProduct(scope, portfolio, {
      id: `${tier.template.tierName}Product`,
      name: `${tier.template.tierName} tenant`,
      description: `Tenant stack of tier ${tier.template.tierName}`,
      template: tier.template,
      versionName: tier.versionName ?? 'v1',
      launchRoleId: `${tier.template.tierName}LaunchRole`,
      launchRoleDescription: `Deploys tenant stacks of tier ${tier.template.tierName}: their resource types only`,
      what: `TenantTemplate '${tier.template.node.path}'`,
    }, boundary, launchRoleStatements);
    products.set(tier.template.tierName, { product, template: tier.template, versionName: tier.versionName ?? 'v1' });
  }
  const shardProduct = shardTemplate && addProduct(scope, portfolio, {
    id: 'RouterShardProduct',
    name: 'router shard',
    description: 'Tenant router shard, opened when every shard is full',
    template: shardTemplate,
    versionName: 'v1',
    launchRoleId: 'RouterShardLaunchRole',
    launchRoleDescription: 'Deploys router shards opened at run time: their resource types only',
    what: `RouterShardTemplate '${shardTemplate.node.path}'`,
  }, boundary, launchRoleStatements);
  return { portfolio, products, shardProduct };
}

interface ProductDefinition {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly template: servicecatalog.ProductStack;
  readonly versionName: string;
  readonly launchRoleId: string;
  readonly launchRoleDescription: string;
  readonly what: string;
}

/** A product of the portfolio, deployed by a launch role that may create the template's resource types only. */
function addProduct(
  scope: Construct,
  portfolio: servicecatalog.Portfolio,
  d: ProductDefinition,
  boundary: iam.ManagedPolicy,
  launchRoleStatements: iam.PolicyStatement[],
): servicecatalog.CloudFormationProduct {
  const stack = Stack.of(scope);
  const product = new servicecatalog.CloudFormationProduct(scope, d.id, {
    productName: d.name,
    owner: 'cdk-ecs-saas',
    description: d.description,
    productVersions: [{
      productVersionName: d.versionName,
      cloudFormationTemplate: servicecatalog.CloudFormationTemplate.fromProductStack(d.template),
    }],
  });
  portfolio.addProduct(product);
  const launchRole = new iam.Role(scope, d.launchRoleId, {
    assumedBy: new iam.ServicePrincipal('servicecatalog.amazonaws.com'),
    description: d.launchRoleDescription,
  });
  const types = templateResourceTypes(d.template);
  // The launch role is written now: the template must be complete before the lifecycle is created.
  scope.node.addValidation({
    validate: () => {
      const added = templateResourceTypes(d.template).filter((t) => !types.includes(t));
      return added.length > 0
        ? [`${d.what} gained resource types after TenantLifecycle was created (${added.join(', ')}): create the lifecycle after the template is complete, so its launch role covers them.`]
        : [];
    },
  });
  // Roles from outside the template that its task definitions name (a SharedTaskExecution's execution role, say):
  // registering a task definition passes them, so the launch role may pass those, to ECS tasks only.
  const passed = passedRoles(d.template);
  const passing = passed.length === 0 ? [] : [new iam.PolicyStatement({
    actions: ['iam:PassRole'],
    resources: passed.map((r) => r.roleArn),
    conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
  })];
  scope.node.addValidation({
    validate: () => {
      const added = passedRoles(d.template).filter((r) => !passed.includes(r));
      return added.length > 0
        ? [`${d.what} gained task definitions that use roles from outside it (${added.map((r) => r.node.path).join(', ')}) after TenantLifecycle was created: create the lifecycle after the template is complete.`]
        : [];
    },
  });
  for (const statement of [...launchStatements(stack, types, d.what, boundary.managedPolicyArn), ...passing, ...launchRoleStatements]) {
    launchRole.addToPolicy(statement);
  }
  portfolio.setLaunchRole(product, launchRole);
  return product;
}

/**
 * The CDK CLI's version reporting (on by default in `cdk deploy`) adds this resource to every stack while the app
 * synthesizes, after the lifecycle is created. CloudFormation handles it itself: the launch role needs nothing for it.
 */
const CDK_METADATA = 'AWS::CDK::Metadata';

/** Roles defined outside a tenant template that its task definitions use as execution or task roles. */
function passedRoles(template: servicecatalog.ProductStack): iam.IRole[] {
  const roles = new Set<iam.IRole>();
  for (const c of template.node.findAll()) {
    if (c instanceof ecs.TaskDefinition && Stack.of(c) === template) {
      for (const role of [c.executionRole, c.taskRole]) {
        if (role && Stack.of(role) !== template) {
          roles.add(role);
        }
      }
    }
  }
  return [...roles];
}

/** The resource types of a template, read from its construct tree (synthesis has not happened yet). */
function templateResourceTypes(template: servicecatalog.ProductStack): string[] {
  const types = new Set<string>();
  for (const c of template.node.findAll()) {
    const type = (c as { cfnResourceType?: string }).cfnResourceType;
    if (type && type !== CDK_METADATA && Stack.of(c) === template) {
      types.add(type);
    }
  }
  return [...types];
}
