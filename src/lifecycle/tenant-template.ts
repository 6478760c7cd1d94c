import { CfnOutput, CfnParameter, RemovalPolicy } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as servicecatalog from 'aws-cdk-lib/aws-servicecatalog';
import { Construct } from 'constructs';
import { administratorAttributes } from '../contract/identity';
import { TEMPLATE_OUTPUTS, TEMPLATE_PARAMETERS } from '../contract/lifecycle';
import { LISTENER_PRIORITY_MAX } from '../contract/router';
import { TENANT_ID_PATTERN } from '../contract/tenant-id';
import { TenantUserPool } from '../identity/tenant-user-pool';
import { RuntimeShardAttributes } from '../router/router-options';

/**
 * Properties of a TenantTemplate.
 */
export interface TenantTemplateProps {
  /** The tier whose tenants the template provisions. */
  readonly tierName: string;

  /**
   * Description of the template.
   *
   * @default - "Tenant stack of tier <tierName>"
   */
  readonly description?: string;

  /**
   * Whether each tenant has a route of its own: the template takes `RouterShard` and `RulePriority` (`routerShard`,
   * `rulePriority`), and the lifecycle gives each tenant a router slot. False for a tier routed by its routing
   * service (`TierRouting.ROUTING_SERVICE`), whose tenants join the tier's one route and hold no slot.
   *
   * @default true
   */
  readonly takesRoute?: boolean;
}

/**
 * What a provisioned tenant's users need, read from the tenant stack's outputs after provisioning.
 */
export interface TenantConfigOutputs {
  /** The user pool of the tenant's users. */
  readonly userPoolId: string;
  /** The app client the tenant's users sign in with. */
  readonly appClientId: string;
  /** The tenant's API endpoint (its router shard's stage URL). */
  readonly apiUrl: string;
}

/**
 * Options of a tenant's own user pool.
 */
export interface TenantIdentityOptions {
  /**
   * What happens to the pool when the tenant's stack is deleted.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A tenant's own user pool and app client.
 */
export interface TenantIdentity {
  /** The tenant's user pool. */
  readonly userPool: TenantUserPool;
  /** The app client the tenant's users sign in with. */
  readonly appClient: cognito.UserPoolClient;
}

/**
 * The template of a tenant stack: synthesized with the app, parameterized by tenant, and provisioned per tenant by
 * TenantLifecycle (a Service Catalog product version) with no build or synthesis at onboarding time.
 *
 * Build the tenant's infrastructure inside it with the template's parameters: `tenantId` for the tier's
 * `addTenant`, and `routerShard` and `rulePriority` for the router's `addTenant`. Values of other stacks of the app
 * (VPC, cluster, pooled tables, router shards) are imported with CloudFormation exports, so the app's stacks must be
 * environment-agnostic or share the template's environment. Call `configureTenant` with what the tenant's users
 * need; provisioning reports it to the control plane.
 *
 * @example
 * declare const vpc: ec2.IVpc;
 * declare const cluster: ecs.ICluster;
 * declare const application: SaasApplication;
 * declare const router: TenantRouter;
 * declare const userPool: cognito.IUserPool;
 * declare const appClient: cognito.IUserPoolClient;
 *
 * const template = new TenantTemplate(this, 'AdvancedTenant', { tierName: 'advanced' });
 * const tier = new SiloServiceTier(template, 'Advanced', { vpc, cluster, application });
 * const tenant = tier.addTenant(template.tenantId);
 * router.addTenant(tenant, { shard: template.routerShard, priority: template.rulePriority });
 * template.configureTenant({
 *   userPoolId: userPool.userPoolId,
 *   appClientId: appClient.userPoolClientId,
 *   apiUrl: router.endpointFor(template.tenantId),
 * });
 */
export class TenantTemplate extends servicecatalog.ProductStack {
  /** The tier whose tenants the template provisions. */
  public readonly tierName: string;
  /** The tenant's id (template parameter `TenantId`). */
  public readonly tenantId: string;
  /** Email of the tenant's administrator (template parameter `TenantAdminEmail`). */
  public readonly adminEmail: string;

  private configured = false;
  private runtimeShardParameters?: RuntimeShardAttributes;
  private routeParameters?: { readonly shard: number; readonly priority: number };

  constructor(scope: Construct, id: string, props: TenantTemplateProps) {
    super(scope, id, { description: props.description ?? `Tenant stack of tier ${props.tierName}` });
    this.tierName = props.tierName;
    this.tenantId = new CfnParameter(this, TEMPLATE_PARAMETERS.tenantId, {
      description: 'The tenant id',
      allowedPattern: TENANT_ID_PATTERN.source,
      constraintDescription: '1 to 36 lowercase letters, digits and hyphens, starting and ending with a letter or digit',
    }).valueAsString;
    if (props.takesRoute ?? true) {
      this.routeParameters = {
        shard: new CfnParameter(this, TEMPLATE_PARAMETERS.routerShard, { type: 'Number', minValue: 0, description: 'Router shard of the tenant route' }).valueAsNumber,
        priority: new CfnParameter(this, TEMPLATE_PARAMETERS.rulePriority, {
          type: 'Number',
          minValue: 1,
          maxValue: LISTENER_PRIORITY_MAX,
          description: 'Listener-rule priority of the tenant route, allocated by the lifecycle',
        }).valueAsNumber,
      };
    }
    this.adminEmail = new CfnParameter(this, TEMPLATE_PARAMETERS.adminEmail, { description: 'Email of the tenant administrator' }).valueAsString;
    this.node.addValidation({
      validate: () => (this.configured ? [] : [`TenantTemplate '${this.node.path}' has no tenant configuration: call configureTenant (user pool, app client, API URL).`]),
    });
  }

  /**
   * A user pool of the tenant's own, as the reference gives advanced and premium tenants: custom attributes for
   * tenant id, tier and role, the tenant's administrator created from the onboarding request's email, MFA required.
   * TenantLifecycle registers the pool with the router (which needs `issuerRegistry`), bound to this tenant.
   */
  public addTenantIdentity(options: TenantIdentityOptions = {}): TenantIdentity {
    if (this.node.tryFindChild('TenantUsers')) {
      throw new Error(`TenantTemplate '${this.node.path}' already has a tenant user pool.`);
    }
    const userPool = new TenantUserPool(this, 'TenantUsers', { removalPolicy: options.removalPolicy });
    const appClient = userPool.appClient;
    new cognito.CfnUserPoolUser(this, 'TenantAdmin', {
      userPoolId: userPool.userPoolId,
      username: this.adminEmail,
      desiredDeliveryMediums: ['EMAIL'],
      userAttributes: administratorAttributes(this.adminEmail, this.tenantId, this.tierName).map(([name, value]) => ({ name, value })),
    });
    new CfnOutput(this, TEMPLATE_OUTPUTS.tenantIssuer, { value: userPool.userPoolProviderUrl, description: 'Issuer of the tenant users\' tokens' });
    return { userPool, appClient };
  }

  /**
   * The router shard of the tenant's route (template parameter `RouterShard`, allocated by the lifecycle with
   * `rulePriority`). Throws for a template with `takesRoute: false`.
   */
  public get routerShard(): number {
    return this.route().shard;
  }

  /** The listener-rule priority of the tenant's route (template parameter `RulePriority`, see `routerShard`). */
  public get rulePriority(): number {
    return this.route().priority;
  }

  /** Whether the template takes the tenant route's parameters (`takesRoute`). */
  public get takesRoute(): boolean {
    return this.routeParameters !== undefined;
  }

  private route(): { readonly shard: number; readonly priority: number } {
    if (!this.routeParameters) {
      throw new Error(`TenantTemplate '${this.node.path}' has takesRoute: false: its tenants have no route of their own, so no router shard or rule priority.`);
    }
    return this.routeParameters;
  }

  /**
   * The shard opened at run time that the tenant's route attaches to, as template parameters (`ShardListenerArn`,
   * `ShardSecurityGroupId`, `ShardApiId`; empty for a deploy-time shard). Give it to `TenantRouter.addTenant`
   * (`runtimeShard`) when the router opens shards at run time; the lifecycle fills them.
   */
  public get runtimeShard(): RuntimeShardAttributes {
    if (!this.runtimeShardParameters) {
      const param = (name: string, description: string) =>
        new CfnParameter(this, name, { type: 'String', description: `${description} (empty: a shard created at deploy time)` }).valueAsString;
      this.runtimeShardParameters = {
        listenerArn: param(TEMPLATE_PARAMETERS.shardListenerArn, 'Listener of the tenant\'s router shard opened at run time'),
        securityGroupId: param(TEMPLATE_PARAMETERS.shardSecurityGroupId, 'Load balancer security group of that shard'),
        apiId: param(TEMPLATE_PARAMETERS.shardApiId, 'API of that shard'),
      };
    }
    return this.runtimeShardParameters;
  }

  /** Whether the template takes the parameters of a shard opened at run time (`runtimeShard` was used). */
  public get takesRuntimeShard(): boolean {
    return this.runtimeShardParameters !== undefined;
  }

  /** Declares what the tenant's users need (stack outputs `UserPoolId`, `AppClientId`, `ApiUrl`). */
  public configureTenant(config: TenantConfigOutputs): void {
    if (this.configured) {
      throw new Error(`configureTenant was already called on TenantTemplate '${this.node.path}': a tenant has one configuration.`);
    }
    this.configured = true;
    new CfnOutput(this, TEMPLATE_OUTPUTS.userPoolId, { value: config.userPoolId, description: 'User pool of the tenant users' });
    new CfnOutput(this, TEMPLATE_OUTPUTS.appClientId, { value: config.appClientId, description: 'App client of the tenant users' });
    new CfnOutput(this, TEMPLATE_OUTPUTS.apiUrl, { value: config.apiUrl, description: 'API endpoint of the tenant' });
  }
}

