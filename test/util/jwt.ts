/**
 * Test tokens: an RS256 key pair standing in for a Cognito user pool's signing key, and a JWKS cache that serves
 * the pool's public key from memory, so aws-jwt-verify verifies test tokens without any network call (a fetch of
 * any other JWKS URI fails the test).
 */
import { KeyObject } from 'crypto';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { exportJWK, generateKeyPair, JWTPayload, SignJWT } from 'jose';

export interface SignOptions {
  /** Signing key. Default: the pool's key. */
  readonly key?: KeyObject;
  /** Key id in the header. Default: the pool's key id. */
  readonly kid?: string;
  /** Default: the pool's issuer. */
  readonly issuer?: string;
  /** Default: the first app client. */
  readonly audience?: string;
  /** Expiry: a duration such as '1h', or seconds since the epoch. Default '1h'. */
  readonly expires?: string | number;
}

/** The claims of a tenant user, as the tenant lifecycle creates them. */
export interface UserClaims {
  readonly tenantId: string;
  readonly tier?: string;
  readonly role?: 'TenantAdmin' | 'TenantUser';
  readonly username?: string;
  readonly email?: string;
}

export class TestUserPool {
  /** A pool with a fresh key pair (and a second, unknown key to sign forged tokens with). */
  public static async create(userPoolId = 'us-east-1_TestPool', appClientIds = ['test-client']): Promise<TestUserPool> {
    const own = await generateKeyPair('RS256', { extractable: true });
    const other = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(own.publicKey)), kid: 'test-key-1', alg: 'RS256', use: 'sig' };
    return new TestUserPool(userPoolId, appClientIds, own.privateKey as unknown as KeyObject, other.privateKey as unknown as KeyObject, jwk);
  }

  /** `https://cognito-idp.<region>.amazonaws.com/<pool id>`. */
  public readonly issuer: string;
  /** The JWKS URIs fetched (through jwksCache()). */
  public readonly fetched: string[] = [];

  private constructor(
    public readonly userPoolId: string,
    public readonly appClientIds: string[],
    private readonly privateKey: KeyObject,
    /** A key the pool does not publish. */
    public readonly unknownKey: KeyObject,
    private readonly jwk: Record<string, unknown>,
  ) {
    this.issuer = `https://cognito-idp.${userPoolId.split('_')[0]}.amazonaws.com/${userPoolId}`;
  }

  /** A JWKS cache whose fetcher serves this pool's JWKS from memory and refuses any other URI. */
  public jwksCache(): SimpleJwksCache {
    const jwksUri = `${this.issuer}/.well-known/jwks.json`;
    return new SimpleJwksCache({
      fetcher: {
        fetch: async (uri: string) => {
          this.fetched.push(uri);
          if (uri !== jwksUri) {
            throw new Error(`test fetcher: no JWKS at ${uri}`);
          }
          return new TextEncoder().encode(JSON.stringify({ keys: [this.jwk] })).buffer as ArrayBuffer;
        },
      },
    });
  }

  /** Signs any payload. */
  public async sign(payload: JWTPayload, o: SignOptions = {}): Promise<string> {
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', kid: o.kid ?? 'test-key-1' })
      .setIssuer(o.issuer ?? this.issuer)
      .setAudience(o.audience ?? this.appClientIds[0])
      .setSubject(`sub-${String(payload['cognito:username'] ?? 'anonymous')}`)
      .setIssuedAt()
      .setExpirationTime(o.expires ?? '1h')
      .sign(o.key ?? this.privateKey);
  }

  /** The payload of a tenant user's id token. */
  public claims(user: UserClaims): JWTPayload {
    const username = user.username ?? `${user.tenantId}-user`;
    return {
      'token_use': 'id',
      'cognito:username': username,
      'email': user.email ?? `${username}@example.com`,
      'custom:tenantId': user.tenantId,
      'custom:tenantTier': user.tier ?? 'basic',
      'custom:userRole': user.role ?? 'TenantUser',
    };
  }

  /** A valid id token of a tenant user. */
  public async idToken(user: UserClaims, o: SignOptions = {}): Promise<string> {
    return this.sign(this.claims(user), o);
  }

  /** An access token of the same user (Cognito shape: client_id, no aud), which the services must refuse. */
  public async accessToken(user: UserClaims): Promise<string> {
    const { email: _email, ...claims } = this.claims(user);
    return new SignJWT({ ...claims, token_use: 'access', client_id: this.appClientIds[0], scope: 'aws.cognito.signin.user.admin' })
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key-1' })
      .setIssuer(this.issuer)
      .setSubject('sub-access')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(this.privateKey);
  }
}
