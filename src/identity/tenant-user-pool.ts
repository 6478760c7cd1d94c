import { RemovalPolicy } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { TENANT_ATTRIBUTES } from '../contract/identity';

/**
 * Properties of a TenantUserPool.
 */
export interface TenantUserPoolProps {
  /**
   * What happens to the pool when its stack is deleted.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A user pool for tenants' users, as the router and the lifecycle expect it: the reference's custom attributes
 * (`custom:tenantId`, `custom:tenantTier`, `custom:userRole`), sign-in by email, no self sign-up, a strong password
 * policy, MFA required (one-time passwords), threat protection, and one app client (SRP) that may not write any
 * attribute a user could raise their own tenant, tier or role with: those change through the admin APIs only.
 *
 * Used for the shared pool of a pooled tier and, through `TenantTemplate.addTenantIdentity`, for each tenant's own.
 *
 * @example
 * const users = new TenantUserPool(this, 'Users');
 * const issuer = TokenIssuer.cognito({ userPool: users, clientIds: [users.appClient.userPoolClientId] });
 */
export class TenantUserPool extends cognito.UserPool {
  /** The app client the tenants' users sign in with. */
  public readonly appClient: cognito.UserPoolClient;

  constructor(scope: Construct, id: string, props: TenantUserPoolProps = {}) {
    super(scope, id, {
      signInAliases: { email: true },
      selfSignUpEnabled: false,
      customAttributes: {
        [TENANT_ATTRIBUTES.tenantId]: new cognito.StringAttribute({ mutable: false }),
        [TENANT_ATTRIBUTES.tier]: new cognito.StringAttribute({ mutable: false }),
        [TENANT_ATTRIBUTES.role]: new cognito.StringAttribute({ mutable: true }),
      },
      passwordPolicy: { minLength: 12, requireLowercase: true, requireUppercase: true, requireDigits: true, requireSymbols: true },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.appClient = this.addClient('App', {
      authFlows: { userSrp: true },
      preventUserExistenceErrors: true,
      writeAttributes: new cognito.ClientAttributes().withStandardAttributes({ fullname: true, phoneNumber: true }),
    });
  }
}
