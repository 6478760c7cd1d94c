import { Token } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';

/**
 * Which Cognito token the router accepts.
 */
export enum CognitoTokenUse {
  /** ID tokens: the audience (`aud`) is the app client id, and the custom attributes are claims. */
  ID = 'id',
  /** Access tokens: the app client id is in `client_id`; custom claims need a pre-token-generation trigger. */
  ACCESS = 'access',
}

/**
 * A Cognito user pool whose tokens the router accepts.
 */
export interface CognitoIssuerOptions {
  /** The user pool. */
  readonly userPool: cognito.IUserPool;

  /** App client ids whose tokens are accepted (at least one). */
  readonly clientIds: string[];

  /**
   * Token use to accept.
   *
   * @default CognitoTokenUse.ID
   */
  readonly tokenUse?: CognitoTokenUse;

  /**
   * The one tenant whose users the pool holds (a user pool per tenant). A token from this pool that claims another
   * tenant is denied, so a tenant's administrator cannot mint tokens for other tenants.
   *
   * @default - the pool may hold users of any tenant (a shared pool)
   */
  readonly tenantId?: string;
}

/**
 * An OpenID Connect issuer whose tokens the router accepts.
 */
export interface OidcIssuerOptions {
  /** The issuer URL, exactly as in the tokens' `iss` claim (https). */
  readonly issuerUrl: string;

  /** Accepted audiences (`aud`): the client ids of the applications (at least one). */
  readonly audiences: string[];

  /**
   * Where the issuer publishes its signing keys.
   *
   * @default - `<issuerUrl>/.well-known/jwks.json`
   */
  readonly jwksUri?: string;

  /**
   * The one tenant whose users the issuer signs tokens for.
   *
   * @default - any tenant
   */
  readonly tenantId?: string;
}

/**
 * A token issuer the tenant router trusts. The authorizer accepts tokens from the configured issuers only: a token
 * signed by any other issuer is denied before any key is fetched, whatever claims it carries.
 *
 * @example
 * declare const userPool: cognito.IUserPool;
 * declare const client: cognito.IUserPoolClient;
 *
 * const shared = TokenIssuer.cognito({ userPool, clientIds: [client.userPoolClientId] });
 * const partner = TokenIssuer.oidc({ issuerUrl: 'https://login.example.com', audiences: ['saas-app'] });
 */
export class TokenIssuer {
  /** Tokens of a Cognito user pool, from the given app clients. */
  public static cognito(options: CognitoIssuerOptions): TokenIssuer {
    requireList('clientIds', options.clientIds);
    const region = options.userPool.env.region;
    return new TokenIssuer(
      `https://cognito-idp.${region}.amazonaws.com/${options.userPool.userPoolId}`,
      options.clientIds,
      options.tokenUse ?? CognitoTokenUse.ID,
      undefined,
      options.tenantId,
    );
  }

  /** Tokens of an OpenID Connect issuer, for the given audiences. */
  public static oidc(options: OidcIssuerOptions): TokenIssuer {
    requireHttps('issuerUrl', options.issuerUrl);
    if (options.jwksUri !== undefined) {
      requireHttps('jwksUri', options.jwksUri);
    }
    requireList('audiences', options.audiences);
    return new TokenIssuer(options.issuerUrl.replace(/\/$/, ''), options.audiences, undefined, options.jwksUri, options.tenantId);
  }

  private constructor(
    /** The issuer (`iss`) of accepted tokens. */
    public readonly issuerUrl: string,
    /** The accepted audiences (client ids). */
    public readonly audiences: string[],
    /** The Cognito token use accepted, if a Cognito pool. */
    public readonly tokenUse: CognitoTokenUse | undefined,
    /** Where the signing keys are published, if not at the default location. */
    public readonly jwksUri: string | undefined,
    /** The one tenant this issuer is bound to, if any. */
    public readonly tenantId: string | undefined,
  ) {}
}

function requireList(prop: string, values: string[]): void {
  if (values.length === 0) {
    throw new Error(`${prop} is empty: give at least one client id, or the issuer's tokens could never be accepted.`);
  }
  for (const v of values) {
    if (!Token.isUnresolved(v) && v.trim() === '') {
      throw new Error(`${prop} has an empty value; every entry must be a client id.`);
    }
  }
}

function requireHttps(prop: string, url: string): void {
  if (Token.isUnresolved(url)) {
    return;
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || parsed.protocol !== 'https:' || parsed.search || parsed.hash) {
    throw new Error(`${prop} must be an https URL without query or fragment; got '${url}'.`);
  }
}
