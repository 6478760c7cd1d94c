/**
 * Users of the emulator's user pools, and their real tokens (signed by the emulator, verifiable with its JWKS), for
 * requests through the local environment.
 */
import { execFileSync } from 'child_process';
import { createPrivateKey, generateKeyPairSync, KeyObject, randomUUID } from 'crypto';
import * as http from 'http';
import * as path from 'path';
import {
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminInitiateAuthCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  DescribeUserPoolClientCommand,
  ListUserPoolsCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { decodeJwt, SignJWT } from 'jose';
import { LOCAL_REGION, REPO_ROOT } from './moto';

/** A user to create: a username and its attributes (`custom:tenantId`, ...). */
export interface LocalUser {
  readonly username: string;
  readonly attributes: Record<string, string>;
}

/** The password of every user `createUser` creates (local users only; printed by `npx projen local`). */
export const LOCAL_PASSWORD = 'Local-Passw0rd-2026!';
const PASSWORD = LOCAL_PASSWORD;

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

/**
 * Cognito's OAuth 2.0 token endpoint (`https://<domain>.auth.<region>.amazoncognito.com/oauth2/token`) for the
 * client-credentials grant, which moto does not serve: the client's id and secret are checked against the emulator's
 * app client, which must allow the `client_credentials` flow and every scope asked for (all its scopes when none is);
 * the access token has the claims Cognito gives such a token and is signed with the emulator's key, so the pool's
 * JWKS verifies it as it verifies the emulator's own tokens.
 */
export async function clientCredentialsToken(cognito: CognitoIdentityProviderClient, userPoolId: string, clientId: string,
  clientSecret: string, scope?: string): Promise<{ access_token: string; token_type: 'Bearer'; expires_in: number }> {
  let client;
  try {
    client = (await cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: clientId }))).UserPoolClient;
  } catch {
    client = undefined;
  }
  if (!client || client.ClientSecret !== clientSecret) {
    throw new OAuthError('invalid_client');
  }
  if (!(client.AllowedOAuthFlows ?? []).includes('client_credentials') || !client.AllowedOAuthFlowsUserPoolClient) {
    throw new OAuthError('unauthorized_client');
  }
  const allowed = client.AllowedOAuthScopes ?? [];
  const scopes = scope ? scope.split(' ').filter(Boolean) : allowed;
  if (scopes.length === 0 || scopes.some((s) => !allowed.includes(s))) {
    throw new OAuthError('invalid_scope');
  }
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ client_id: clientId, token_use: 'access', scope: scopes.join(' '), auth_time: now, version: 2, jti: randomUUID() })
    .setProtectedHeader({ alg: 'RS256', kid: EMULATOR_KEY_ID })
    .setIssuer(`https://cognito-idp.${LOCAL_REGION}.amazonaws.com/${userPoolId}`)
    .setSubject(clientId)
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(signingKey());
  return { access_token: token, token_type: 'Bearer', expires_in: 3600 };
}

/** An OAuth 2.0 error of the token endpoint (`{"error": "<code>"}` with status 400). */
export class OAuthError extends Error {
  constructor(public readonly code: string) {
    super(code);
  }
}

let cachedKey: KeyObject | undefined;
function signingKey(): KeyObject {
  cachedKey ??= emulatorSigningKey();
  return cachedKey;
}

/** Cognito operations a client calls without AWS credentials (the user pools API's public side). */
const PUBLIC_COGNITO_OPERATIONS = new Set([
  'InitiateAuth', 'RespondToAuthChallenge', 'AssociateSoftwareToken', 'VerifySoftwareToken', 'SetUserMFAPreference',
  'GetUser', 'ChangePassword', 'GlobalSignOut', 'RevokeToken', 'GetTokensFromRefreshToken', 'ForgotPassword',
  'ConfirmForgotPassword', 'SignUp', 'ConfirmSignUp', 'ResendConfirmationCode', 'GetUserAttributeVerificationCode',
  'VerifyUserAttribute', 'UpdateUserAttributes', 'DeleteUser', 'ListDevices', 'ConfirmDevice', 'GetDevice', 'ForgetDevice',
]);

/** An error as Cognito answers it (status 400 unless said): `{"__type": "<code>", "message": "..."}`. */
class CognitoError extends Error {
  constructor(public readonly code: string, message: string, public readonly status = 400) {
    super(message);
  }
}

/** A required string parameter of a request, or Cognito's answer to its absence. */
function required(params: any, name: string): string {
  const value = params?.[name];
  const member = `${name.charAt(0).toLowerCase()}${name.slice(1)}`;
  if (value === undefined || value === null) {
    throw new CognitoError('InvalidParameterException', `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  }
  if (typeof value !== 'string' || value === '') {
    throw new CognitoError('InvalidParameterException', `1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must have length greater than or equal to 1`);
  }
  return value;
}

/**
 * `MFAS_CAN_SETUP` as Cognito sends it, a JSON string (`'["SOFTWARE_TOKEN_MFA"]'`), from what moto sends: a list, or
 * (moto 5.2, whose answer's challenge parameters are all strings) the list's Python repr, `"['SOFTWARE_TOKEN_MFA']"`.
 * Anything else (Cognito's form already) is left as it is.
 */
function mfasCanSetup(value: unknown): unknown {
  if (Array.isArray(value)) {
    return JSON.stringify(value);
  }
  if (typeof value === 'string' && /^\[\s*(?:'[A-Z_]+'\s*(?:,\s*'[A-Z_]+'\s*)*)?\]$/.test(value)) {
    return JSON.stringify([...value.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]));
  }
  return value;
}

/**
 * Cognito's public endpoint as a browser or app reaches it (`https://cognito-idp.<region>.amazonaws.com/`), in front
 * of the emulator, with what it does that moto does not:
 * - only the operations a client calls without credentials are answered; any other is refused as AWS refuses an
 *   unsigned call (`MissingAuthenticationTokenException`), so no client can reach the emulator's admin side here;
 * - an app client's `ExplicitAuthFlows` are enforced at InitiateAuth (moto ignores them);
 * - USER_SRP_AUTH's challenge names the user by username in `USER_ID_FOR_SRP`, as Cognito does; moto gives its own
 *   user id there, which the next step (PASSWORD_VERIFIER) does not find;
 * - NEW_PASSWORD_REQUIRED's challenge names the user's attributes (`userAttributes`, without `sub`) and the ones still
 *   required (`requiredAttributes`, always none here), each as a JSON string, as Cognito does; moto names neither;
 * - MFA_SETUP's `MFAS_CAN_SETUP` is a JSON string (`'["SOFTWARE_TOKEN_MFA"]'`), as Cognito sends it; moto sends the
 *   list's Python repr (`"['SOFTWARE_TOKEN_MFA']"`), which a client's JSON.parse (Amplify's) fails on;
 * - GetTokensFromRefreshToken (which Amplify 6.21+ refreshes tokens with; moto does not implement it) is moto's
 *   InitiateAuth with REFRESH_TOKEN_AUTH, answered in GetTokensFromRefreshToken's shape: `AuthenticationResult` with
 *   new `AccessToken` and `IdToken`, `ExpiresIn` and `TokenType`, and never a `RefreshToken` (Cognito sends one only
 *   with refresh token rotation, which moto cannot do: the refresh token given stays valid). It is answered whatever
 *   the client's `ExplicitAuthFlows` (Cognito refreshes this way for clients with rotation, which must not allow
 *   REFRESH_TOKEN_AUTH); a refresh token another client was issued is refused (`NotAuthorizedException`); errors are
 *   moto's (`NotAuthorizedException` for a token it does not know, `ResourceNotFoundException` for an unknown client);
 * - RevokeToken (which Amplify's signOut calls; moto does not implement it) is answered here: 200 `{}` for a token
 *   that is a refresh token of that client as far as the endpoint can tell (ClientId and Token given, the client
 *   known, its `EnableTokenRevocation` not false, the token not an ID or access token), including one that is unknown
 *   or already revoked, as Cognito answers those. The revocation is NOT enforced: moto cannot revoke a refresh token,
 *   so the token keeps refreshing (GetTokensFromRefreshToken, REFRESH_TOKEN_AUTH) and its access tokens keep working;
 *   tests must not rely on a revoked refresh token failing.
 * A missing required parameter of these two is an `InvalidParameterException`. Client secrets are not handled by the
 * endpoint: a client that has one computes its own SECRET_HASH for InitiateAuth and RespondToAuthChallenge, which moto
 * checks; RevokeToken does not check a `ClientSecret`, and GetTokensFromRefreshToken forms no SECRET_HASH from one
 * (it would need the username moto keeps with the refresh token), so moto refuses it for a client with a secret.
 * moto still does not check the SRP password proof: any password passes the PASSWORD_VERIFIER step (docs/local.md).
 */
export class CognitoPublicEndpoint {
  public static async start(emulator: string, cognito: CognitoIdentityProviderClient): Promise<CognitoPublicEndpoint> {
    const endpoint = new CognitoPublicEndpoint(emulator, cognito);
    await new Promise<void>((resolve) => endpoint.server.listen(0, '127.0.0.1', resolve));
    return endpoint;
  }

  /** Operations answered, in order. */
  public readonly operations: string[] = [];
  private readonly server = http.createServer((req, res) => void this.handle(req, res));

  private constructor(private readonly emulator: string, private readonly cognito: CognitoIdentityProviderClient) {}

  public get url(): string {
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}/`;
  }

  public async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) {
      chunks.push(c as Buffer);
    }
    const body = Buffer.concat(chunks).toString('utf8');
    const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': '*', 'access-control-allow-methods': 'POST' };
    const answer = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', ...cors });
      res.end(JSON.stringify(payload));
    };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, cors);
      res.end();
      return;
    }
    const operation = String(req.headers['x-amz-target'] ?? '').replace(/^AWSCognitoIdentityProviderService\./, '');
    this.operations.push(operation);
    if (!PUBLIC_COGNITO_OPERATIONS.has(operation)) {
      answer(400, { __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
      return;
    }
    let params: any;
    try {
      params = JSON.parse(body || '{}');
    } catch {
      answer(400, { __type: 'SerializationException', message: 'the body is not JSON' });
      return;
    }
    try {
      if (operation === 'RevokeToken') {
        await this.revokeToken(params);
        answer(200, {});
        return;
      }
      if (operation === 'GetTokensFromRefreshToken') {
        answer(200, await this.tokensFromRefreshToken(params));
        return;
      }
    } catch (e) {
      const error = e instanceof CognitoError ? e : new CognitoError('InternalErrorException', String(e), 500);
      answer(error.status, { __type: error.code, message: error.message });
      return;
    }
    if (operation === 'InitiateAuth' && params.ClientId) {
      const flow = `ALLOW_${params.AuthFlow === 'REFRESH_TOKEN' ? 'REFRESH_TOKEN_AUTH' : params.AuthFlow}`;
      const client = await this.clientOf(params.ClientId);
      if (client && !(client.ExplicitAuthFlows ?? []).some((f) => f === flow)) {
        answer(400, { __type: 'InvalidParameterException', message: `${params.AuthFlow} flow not enabled for this client` });
        return;
      }
    }
    const upstream = await fetch(this.emulator, {
      method: 'POST',
      headers: { 'content-type': String(req.headers['content-type'] ?? 'application/x-amz-json-1.1'), 'x-amz-target': String(req.headers['x-amz-target']) },
      body,
    });
    const text = await upstream.text();
    let out: any;
    try {
      out = JSON.parse(text);
    } catch {
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'text/plain', ...cors });
      res.end(text);
      return;
    }
    const challenge = out?.ChallengeParameters;
    if (operation === 'InitiateAuth' && out?.ChallengeName === 'PASSWORD_VERIFIER' && challenge?.USERNAME) {
      challenge.USER_ID_FOR_SRP = challenge.USERNAME;
    }
    if (out?.ChallengeName === 'NEW_PASSWORD_REQUIRED' && challenge && challenge.userAttributes === undefined) {
      // Cognito names the user's attributes and the ones still required, each as a JSON string; moto names neither.
      const username = challenge.USERNAME ?? params.ChallengeResponses?.USERNAME ?? params.AuthParameters?.USERNAME;
      const user = await this.userOf(params.ClientId, username);
      challenge.userAttributes = JSON.stringify(Object.fromEntries((user?.UserAttributes ?? []).filter((a) => a.Name !== 'sub').map((a) => [a.Name, a.Value])));
      challenge.requiredAttributes = '[]';
    }
    if (out?.ChallengeName === 'MFA_SETUP' && challenge && challenge.MFAS_CAN_SETUP !== undefined) {
      // A JSON string in Cognito's answer; a list or the list's Python repr in moto's.
      challenge.MFAS_CAN_SETUP = mfasCanSetup(challenge.MFAS_CAN_SETUP);
    }
    answer(upstream.status, out);
  }

  /**
   * GetTokensFromRefreshToken, as moto's InitiateAuth with REFRESH_TOKEN_AUTH: new ID and access tokens of the user
   * the refresh token was issued to, no new refresh token (no rotation).
   */
  private async tokensFromRefreshToken(params: any) {
    const refreshToken = required(params, 'RefreshToken');
    const clientId = required(params, 'ClientId');
    const { status, out } = await this.emulatorCall('InitiateAuth', {
      ClientId: clientId,
      AuthFlow: 'REFRESH_TOKEN_AUTH',
      AuthParameters: { REFRESH_TOKEN: refreshToken },
      ...(params.ClientMetadata ? { ClientMetadata: params.ClientMetadata } : {}),
    });
    const result = out?.AuthenticationResult;
    if (status !== 200 || !result?.AccessToken || !result?.IdToken) {
      throw new CognitoError(out?.__type ?? 'InternalErrorException', out?.message ?? `the emulator answered ${status}`, status === 200 ? 500 : status);
    }
    // moto finds the refresh token in the client's pool whichever client it was issued to; Cognito takes it only from
    // that client. The new access token names the client the refresh token was issued to.
    if (decodeJwt(result.AccessToken).client_id !== clientId) {
      throw new CognitoError('NotAuthorizedException', 'Invalid Refresh Token');
    }
    return {
      AuthenticationResult: { AccessToken: result.AccessToken, IdToken: result.IdToken, ExpiresIn: result.ExpiresIn, TokenType: result.TokenType ?? 'Bearer' },
    };
  }

  /**
   * RevokeToken's checks (the revocation itself is not enforced: moto cannot revoke a refresh token). Cognito answers
   * an unknown or already revoked refresh token as it answers a valid one; an ID or access token is not one it revokes.
   */
  private async revokeToken(params: any): Promise<void> {
    const token = required(params, 'Token');
    const clientId = required(params, 'ClientId');
    if (!/^[A-Za-z0-9\-_=.]+$/.test(token)) {
      throw new CognitoError('InvalidParameterException', "1 validation error detected: Value at 'token' failed to satisfy constraint: Member must satisfy regular expression pattern: [A-Za-z0-9-_=.]+");
    }
    const client = await this.clientOf(clientId);
    if (!client) {
      throw new CognitoError('InvalidParameterException', `Client ${clientId} does not exist.`);
    }
    if (client.EnableTokenRevocation === false) {
      throw new CognitoError('UnsupportedOperationException', 'Token revocation is not enabled for this app client.');
    }
    let tokenUse: unknown;
    try {
      tokenUse = decodeJwt(token).token_use;
    } catch {
      tokenUse = undefined; // not a signed JWT: moto's refresh tokens are UUIDs, Cognito's are encrypted (JWE)
    }
    if (tokenUse === 'id' || tokenUse === 'access') {
      throw new CognitoError('UnsupportedTokenTypeException', `Token of type ${tokenUse} is not supported by this operation. Use a refresh token.`);
    }
  }

  /** A call to the emulator's Cognito API: its status and its JSON answer (undefined when it is not JSON). */
  private async emulatorCall(operation: string, params: unknown): Promise<{ status: number; out: any }> {
    const upstream = await fetch(this.emulator, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityProviderService.${operation}` },
      body: JSON.stringify(params),
    });
    const text = await upstream.text();
    try {
      return { status: upstream.status, out: JSON.parse(text) };
    } catch {
      return { status: upstream.status, out: undefined };
    }
  }

  private async clientOf(clientId: string) {
    const pools = await this.cognito.send(new ListUserPoolsCommand({ MaxResults: 60 }));
    for (const pool of pools.UserPools ?? []) {
      try {
        return (await this.cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: pool.Id, ClientId: clientId }))).UserPoolClient;
      } catch {
        // not this pool's
      }
    }
    return undefined;
  }

  private async userOf(clientId: string, username: string) {
    const client = await this.clientOf(clientId);
    if (!client || !username) {
      return undefined;
    }
    return this.cognito.send(new AdminGetUserCommand({ UserPoolId: client.UserPoolId, Username: username })).catch(() => undefined);
  }
}
