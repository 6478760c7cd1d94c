/**
 * Users of the emulator's user pools, and their real tokens (signed by the emulator, verifiable with its JWKS), for
 * requests through the local environment.
 */
import { execFileSync } from 'child_process';
import { createPrivateKey, generateKeyPairSync, KeyObject } from 'crypto';
import * as path from 'path';
import {
  AdminCreateUserCommand,
  AdminInitiateAuthCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { SignJWT } from 'jose';
import { REPO_ROOT } from './moto';

/** A user to create: a username and its attributes (`custom:tenantId`, ...). */
export interface LocalUser {
  readonly username: string;
  readonly attributes: Record<string, string>;
}

const PASSWORD = 'Local-Passw0rd-2026!';

/** Creates a confirmed user with a permanent password. */
export async function createUser(cognito: CognitoIdentityProviderClient, userPoolId: string, user: LocalUser): Promise<void> {
  await cognito.send(new AdminCreateUserCommand({
    UserPoolId: userPoolId,
    Username: user.username,
    MessageAction: 'SUPPRESS',
    UserAttributes: Object.entries(user.attributes).map(([Name, Value]) => ({ Name, Value })),
  }));
  await cognito.send(new AdminSetUserPasswordCommand({ UserPoolId: userPoolId, Username: user.username, Password: PASSWORD, Permanent: true }));
}

/** The tokens of a user created by `createUser`, from the emulator's sign-in. */
export async function signIn(cognito: CognitoIdentityProviderClient, userPoolId: string, clientId: string, username: string) {
  const result = await cognito.send(new AdminInitiateAuthCommand({
    UserPoolId: userPoolId,
    ClientId: clientId,
    AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
    AuthParameters: { USERNAME: username, PASSWORD },
  }));
  if (!result.AuthenticationResult?.IdToken) {
    throw new Error(`no tokens for ${username}: the emulator answered ${result.ChallengeName ?? 'nothing'}`);
  }
  return { idToken: result.AuthenticationResult.IdToken, accessToken: result.AuthenticationResult.AccessToken! };
}

/**
 * The key the emulator signs every user pool's tokens with (moto ships one RSA key for all pools; in AWS each pool
 * has its own). Tests sign tokens with it to stand for what a trusted pool could issue: any claims, any issuer. moto
 * keeps only n, e and d; the venv's `cryptography` recovers the primes that Node.js needs to load the key.
 */
export function emulatorSigningKey(): KeyObject {
  const script = [
    'import base64, glob, gzip, json',
    'from cryptography.hazmat.primitives import serialization',
    'from cryptography.hazmat.primitives.asymmetric import rsa',
    "f = glob.glob('.venv/lib/python*/site-packages/moto/cognitoidp/resources/jwks-private.json.gz')[0]",
    'j = json.load(gzip.open(f))',
    "b = lambda s: int.from_bytes(base64.urlsafe_b64decode(s + '=='), 'big')",
    "n, e, d = b(j['n']), b(j['e']), b(j['d'])",
    'p, q = rsa.rsa_recover_prime_factors(n, e, d)',
    'k = rsa.RSAPrivateNumbers(p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q), rsa.RSAPublicNumbers(e, n)).private_key()',
    'print(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode())',
  ].join('\n');
  const pem = execFileSync(path.join(REPO_ROOT, '.venv', 'bin', 'python'), ['-c', script], { cwd: REPO_ROOT, encoding: 'utf8' });
  return createPrivateKey(pem);
}

/** The key id of the emulator's signing key (the `kid` of its tokens). */
export const EMULATOR_KEY_ID = 'dummy';

/**
 * A token issuer of our own that is not Cognito: an OpenID Connect issuer with its own RSA key, whose JWKS the local
 * IAM gate publishes at `jwksPath` (reachable as `https://aws.local<jwksPath>` from a task's network). Its tokens
 * carry whatever claims a test gives them.
 */
export class LocalOidcIssuer {
  public static readonly KEY_ID = 'local-oidc-1';
  private readonly key: KeyObject;

  constructor(public readonly issuerUrl: string, public readonly jwksPath: string, gate: { publish(path: string, body: string): void }) {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.key = pair.privateKey;
    const jwk = { ...pair.publicKey.export({ format: 'jwk' }), kid: LocalOidcIssuer.KEY_ID, alg: 'RS256', use: 'sig' };
    gate.publish(jwksPath, JSON.stringify({ keys: [jwk] }));
  }

  /** A token for `audience` with `claims`, valid for an hour. */
  public async sign(audience: string, subject: string, claims: Record<string, unknown>): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: LocalOidcIssuer.KEY_ID, typ: 'JWT' })
      .setIssuer(this.issuerUrl)
      .setAudience(audience)
      .setSubject(subject)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(this.key);
  }
}
