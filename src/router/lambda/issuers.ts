/**
 * Issuers registered at run time: the user pools of tenants provisioned from templates (a pool per advanced or
 * premium tenant). The tenant lifecycle writes each pool into the router's issuer registry (DynamoDB) once its stack
 * is up, bound to its tenant, and removes it on offboarding. Not part of the jsii API.
 *
 * Only the issuer's name is read from the unverified token, to choose the verifier; the token is then verified by
 * aws-jwt-verify against that issuer alone (signature, expiry, audience = the pool's app clients, token use), and the
 * tenant claim must be the registered tenant. An issuer that is not registered is refused before any key is fetched.
 */
import { JwtVerifier } from 'aws-jwt-verify';
import { TtlCache } from './ttl-cache';
import { COGNITO_ISSUER, jwksUriFor } from '../../contract/issuers';

/** A registered issuer. */
export interface RegisteredIssuer {
  readonly tenantId: string;
  readonly clientIds: string[];
}

/** Reads a registration (undefined when the issuer is not registered). */
export type IssuerLookup = (issuer: string) => Promise<RegisteredIssuer | undefined>;

/** A verifier for one registered issuer, and the tenant it is bound to. */
export interface BoundVerifier {
  readonly tenantId: string;
  verify(token: string): Promise<Record<string, unknown>>;
}

export interface DynamicIssuersOptions {
  readonly ttlMs?: number;
  readonly missingTtlMs?: number;
  readonly now?: () => number;
  /** Called with each verifier created (tests cache local keys into it). */
  readonly onVerifier?: (verifier: { cacheJwks: (jwks: any, issuer?: string) => void }, issuer: string) => void;
}

/** Only Cognito user pools are registered at run time; where keys are fetched is the contract's rule. */
export { COGNITO_ISSUER, jwksUriFor } from '../../contract/issuers';

export class DynamicIssuers {
  private readonly cache: TtlCache<string, BoundVerifier>;

  constructor(private readonly lookup: IssuerLookup, private readonly options: DynamicIssuersOptions = {}) {
    this.cache = new TtlCache({ ttlMs: options.ttlMs ?? 5 * 60_000, missingTtlMs: options.missingTtlMs ?? 30_000, now: options.now });
  }

  /** The verifier of a registered issuer, or undefined. */
  public async verifierFor(issuer: string): Promise<BoundVerifier | undefined> {
    if (!COGNITO_ISSUER.test(issuer)) {
      return undefined;
    }
    return this.cache.get(issuer, () => this.load(issuer));
  }

  private async load(issuer: string): Promise<BoundVerifier | undefined> {
    const registered = await this.lookup(issuer);
    if (!registered || registered.clientIds.length === 0) {
      return undefined;
    }
    const verifier = JwtVerifier.create([{
      issuer,
      jwksUri: jwksUriFor(issuer),
      audience: registered.clientIds,
      customJwtCheck: ({ payload }: { payload: Record<string, unknown> }) => {
        if (payload.token_use !== 'id') {
          throw new Error("token_use must be 'id'");
        }
      },
    }] as unknown as Parameters<typeof JwtVerifier.create>[0]);
    this.options.onVerifier?.(verifier as any, issuer);
    return {
      tenantId: registered.tenantId,
      verify: async (token: string) => (await verifier.verify(token as any)) as Record<string, unknown>,
    };
  }
}
