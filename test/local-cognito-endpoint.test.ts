/**
 * `CognitoPublicEndpoint` (local/identity.ts) as a browser-style client reaches it: plain unsigned POSTs with
 * `X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>`, as AWS Amplify's auth sends them, against moto (in
 * server mode, TOTP codes checked) and a user pool configured like `TenantUserPool`: email as the username, the
 * reference's custom attributes, MFA required with software tokens, administrators create the users.
 *
 * The sign-in of an administrator-created user is one sequence (new password, TOTP set up, tokens), so the tests of
 * its steps run in order and hand on what they got; each asserts one thing Amplify depends on.
 */
import {
  AdminCreateUserCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  SetUserPoolMfaConfigCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { decodeJwt } from 'jose';
import { totp } from '../local/client';
import { AdminClients } from '../local/deployment';
import { CognitoPublicEndpoint, createUser } from '../local/identity';
import { MotoServer } from '../local/moto';
import { TENANT_ADMIN_ROLE, TENANT_CLAIMS } from '../src/contract/identity';

jest.setTimeout(60_000);

const TENANT_ID = 'acme';
const USERNAME = 'admin@acme.example.com';
const TEMPORARY_PASSWORD = 'Temporary-Passw0rd-1!';
const NEW_PASSWORD = 'Endpoint-Test-Passw0rd-2!';

let moto: MotoServer;
let admin: AdminClients;
let endpoint: CognitoPublicEndpoint;
let userPoolId: string;
/** The tenant app's client (no secret, as a browser's). */
let clientId: string;
/** Another client of the same pool. */
let otherClientId: string;
/** A client of the same pool with token revocation turned off. */
let noRevocationClientId: string;

/** An unsigned call to the public endpoint, as a browser makes it: the answer's status and JSON body. */
async function cognito(operation: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(endpoint.url, {
    method: 'POST',
    headers: {
      'X-Amz-Target': `AWSCognitoIdentityProviderService.${operation}`,
      'Content-Type': 'application/x-amz-json-1.1',
    },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

beforeAll(async () => {
  moto = await MotoServer.start();
  admin = new AdminClients(moto.endpoint);
  endpoint = await CognitoPublicEndpoint.start(moto.endpoint, admin.cognito);
  // As TenantUserPool has it (src/identity/tenant-user-pool.ts), in the terms CreateUserPool takes.
  const pool = (await admin.cognito.send(new CreateUserPoolCommand({
    PoolName: 'tenant-users',
    UsernameAttributes: ['email'],
    AutoVerifiedAttributes: ['email'],
    AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
    Schema: [
      { Name: 'tenantId', AttributeDataType: 'String', Mutable: false },
      { Name: 'tenantTier', AttributeDataType: 'String', Mutable: false },
      { Name: 'userRole', AttributeDataType: 'String', Mutable: true },
    ],
    Policies: { PasswordPolicy: { MinimumLength: 12, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true } },
  }))).UserPool!;
  userPoolId = pool.Id!;
  await admin.cognito.send(new SetUserPoolMfaConfigCommand({
    UserPoolId: userPoolId,
    MfaConfiguration: 'ON',
    SoftwareTokenMfaConfiguration: { Enabled: true },
  }));
  const client = async (name: string, extra: { EnableTokenRevocation?: boolean } = {}) => (await admin.cognito.send(new CreateUserPoolClientCommand({
    UserPoolId: userPoolId,
    ClientName: name,
    ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
    PreventUserExistenceErrors: 'ENABLED',
    ...extra,
  }))).UserPoolClient!.ClientId!;
  clientId = await client('app');
  otherClientId = await client('other');
  noRevocationClientId = await client('no-revocation', { EnableTokenRevocation: false });
  await admin.cognito.send(new AdminCreateUserCommand({
    UserPoolId: userPoolId,
    Username: USERNAME,
    TemporaryPassword: TEMPORARY_PASSWORD,
    MessageAction: 'SUPPRESS',
    UserAttributes: [
      { Name: 'email', Value: USERNAME },
      { Name: 'email_verified', Value: 'true' },
      { Name: TENANT_CLAIMS.tenantId, Value: TENANT_ID },
      { Name: TENANT_CLAIMS.tier, Value: 'basic' },
      { Name: TENANT_CLAIMS.role, Value: TENANT_ADMIN_ROLE },
    ],
  }));
});

afterAll(async () => {
  await endpoint?.stop();
  admin?.destroy();
  await moto?.stop();
});

describe('the first sign-in of an administrator-created user (USER_PASSWORD_AUTH)', () => {
  let session: string;
  let challengeUsername: string;
  let secret: string;
  /** The tokens of the sign-in. */
  const tokens: { id?: string; access?: string; refresh?: string } = {};

  test('InitiateAuth with the temporary password asks for a new password, naming the user\'s attributes', async () => {
    const res = await cognito('InitiateAuth', {
      ClientId: clientId,
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME, PASSWORD: TEMPORARY_PASSWORD },
    });
    expect(res.status).toBe(200);
    expect(res.json.ChallengeName).toBe('NEW_PASSWORD_REQUIRED');
    expect(typeof res.json.Session).toBe('string');
    expect(JSON.parse(res.json.ChallengeParameters.userAttributes)).toMatchObject({ email: USERNAME, [TENANT_CLAIMS.tenantId]: TENANT_ID });
    expect(res.json.ChallengeParameters.requiredAttributes).toBe('[]');
    session = res.json.Session;
    challengeUsername = res.json.ChallengeParameters.USERNAME;
  });

  test('RespondToAuthChallenge with a new password asks to set up MFA, MFAS_CAN_SETUP being Cognito\'s JSON string', async () => {
    const res = await cognito('RespondToAuthChallenge', {
      ClientId: clientId,
      ChallengeName: 'NEW_PASSWORD_REQUIRED',
      Session: session,
      ChallengeResponses: { USERNAME: challengeUsername, NEW_PASSWORD: NEW_PASSWORD },
    });
    expect(res.status).toBe(200);
    expect(res.json.ChallengeName).toBe('MFA_SETUP');
    // Exactly what Cognito sends (moto sends "['SOFTWARE_TOKEN_MFA']", which JSON.parse refuses).
    expect(res.json.ChallengeParameters.MFAS_CAN_SETUP).toBe('["SOFTWARE_TOKEN_MFA"]');
    expect(JSON.parse(res.json.ChallengeParameters.MFAS_CAN_SETUP)).toEqual(['SOFTWARE_TOKEN_MFA']);
    session = res.json.Session;
  });

  test('AssociateSoftwareToken with the session gives a TOTP secret', async () => {
    const res = await cognito('AssociateSoftwareToken', { Session: session });
    expect(res).toMatchObject({ status: 200, json: { SecretCode: expect.stringMatching(/^[A-Za-z2-7]+=*$/) } });
    secret = res.json.SecretCode;
    session = res.json.Session ?? session;
  });

  test('VerifySoftwareToken refuses a wrong code (TOTP codes are checked)', async () => {
    const res = await cognito('VerifySoftwareToken', { Session: session, UserCode: '000000', FriendlyDeviceName: 'test' });
    expect(res.status).toBe(400);
    expect(res.json.__type).toBe('CodeMismatchException');
  });

  test('VerifySoftwareToken takes the current TOTP code, and the MFA_SETUP challenge answered then gives tokens', async () => {
    const verified = await cognito('VerifySoftwareToken', { Session: session, UserCode: await totp(secret, USERNAME), FriendlyDeviceName: 'test' });
    expect(verified.status).toBe(200);
    expect(verified.json.Status).toBe('SUCCESS');
    const res = await cognito('RespondToAuthChallenge', {
      ClientId: clientId,
      ChallengeName: 'MFA_SETUP',
      Session: verified.json.Session,
      ChallengeResponses: { USERNAME: challengeUsername },
    });
    expect(res.status).toBe(200);
    const result = res.json.AuthenticationResult;
    expect(result).toEqual(expect.objectContaining({ TokenType: 'Bearer', IdToken: expect.any(String), AccessToken: expect.any(String), RefreshToken: expect.any(String) }));
    expect(decodeJwt(result.IdToken)[TENANT_CLAIMS.tenantId]).toBe(TENANT_ID);
    tokens.id = result.IdToken;
    tokens.access = result.AccessToken;
    tokens.refresh = result.RefreshToken;
  });

  describe('GetTokensFromRefreshToken (Amplify 6.21+ refreshes with it; moto does not implement it)', () => {
    test('answers new ID and access tokens in its own shape, without a refresh token (no rotation)', async () => {
      const res = await cognito('GetTokensFromRefreshToken', { ClientId: clientId, RefreshToken: tokens.refresh });
      expect(res.status).toBe(200);
      expect(Object.keys(res.json)).toEqual(['AuthenticationResult']);
      const result = res.json.AuthenticationResult;
      expect(Object.keys(result).sort()).toEqual(['AccessToken', 'ExpiresIn', 'IdToken', 'TokenType']);
      expect(result.TokenType).toBe('Bearer');
      expect(result.ExpiresIn).toBe(3600);
      expect(result.IdToken).not.toBe(tokens.id);
      expect(result.AccessToken).not.toBe(tokens.access);
    });

    test('the new ID token is the same user\'s, with its tenant', async () => {
      const res = await cognito('GetTokensFromRefreshToken', { ClientId: clientId, RefreshToken: tokens.refresh });
      const id = decodeJwt(res.json.AuthenticationResult.IdToken);
      const first = decodeJwt(tokens.id!);
      expect(id).toMatchObject({ token_use: 'id', aud: clientId, sub: first.sub, email: USERNAME, [TENANT_CLAIMS.tenantId]: TENANT_ID });
      expect(id.iss).toBe(`https://cognito-idp.us-east-1.amazonaws.com/${userPoolId}`);
      const access = decodeJwt(res.json.AuthenticationResult.AccessToken);
      expect(access).toMatchObject({ token_use: 'access', client_id: clientId, sub: first.sub });
    });

    test('the new access token works where an access token is taken (GetUser)', async () => {
      const refreshed = await cognito('GetTokensFromRefreshToken', { ClientId: clientId, RefreshToken: tokens.refresh });
      const res = await cognito('GetUser', { AccessToken: refreshed.json.AuthenticationResult.AccessToken });
      expect(res.status).toBe(200);
      expect(res.json.UserAttributes).toEqual(expect.arrayContaining([{ Name: TENANT_CLAIMS.tenantId, Value: TENANT_ID }]));
    });

    test('a refresh token the pool never issued is refused (NotAuthorizedException)', async () => {
      const res = await cognito('GetTokensFromRefreshToken', { ClientId: clientId, RefreshToken: '00000000-0000-4000-8000-000000000000' });
      expect(res.status).toBe(400);
      expect(res.json.__type).toBe('NotAuthorizedException');
    });

    test('a refresh token issued to another client of the pool is refused (NotAuthorizedException)', async () => {
      const res = await cognito('GetTokensFromRefreshToken', { ClientId: otherClientId, RefreshToken: tokens.refresh });
      expect(res.status).toBe(400);
      expect(res.json.__type).toBe('NotAuthorizedException');
    });

    test('an unknown client is refused (ResourceNotFoundException)', async () => {
      const res = await cognito('GetTokensFromRefreshToken', { ClientId: 'nosuchclient', RefreshToken: tokens.refresh });
      expect(res.status).toBe(400);
      expect(res.json.__type).toBe('ResourceNotFoundException');
    });

    test.each([
      ['without RefreshToken', { ClientId: 'x' }],
      ['without ClientId', { RefreshToken: 'x' }],
      ['with an empty RefreshToken', { ClientId: 'x', RefreshToken: '' }],
    ])('%s: 400 InvalidParameterException', async (_what, body) => {
      const res = await cognito('GetTokensFromRefreshToken', body);
      expect(res.status).toBe(400);
      expect(res.json.__type).toBe('InvalidParameterException');
    });
  });

  describe('RevokeToken (Amplify\'s signOut calls it; moto does not implement it)', () => {
    test('a refresh token of the client: 200 {}', async () => {
      const res = await cognito('RevokeToken', { ClientId: clientId, Token: tokens.refresh });
      expect(res).toEqual({ status: 200, json: {} });
    });

    test('the same token again, or one the pool never issued: 200 {} too, as Cognito answers', async () => {
      expect(await cognito('RevokeToken', { ClientId: clientId, Token: tokens.refresh })).toEqual({ status: 200, json: {} });
      expect(await cognito('RevokeToken', { ClientId: clientId, Token: '00000000-0000-4000-8000-000000000000' })).toEqual({ status: 200, json: {} });
    });

    test('without Token: 400 InvalidParameterException', async () => {
      const res = await cognito('RevokeToken', { ClientId: clientId });
      expect(res.status).toBe(400);
      expect(res.json.__type).toBe('InvalidParameterException');
    });

    test('with an empty Token: 400 InvalidParameterException', async () => {
      const res = await cognito('RevokeToken', { ClientId: clientId, Token: '' });
      expect(res.status).toBe(400);
      expect(res.json.__type).toBe('InvalidParameterException');
    });

    test('without ClientId: 400 InvalidParameterException', async () => {
      const res = await cognito('RevokeToken', { Token: tokens.refresh });
      expect(res.status).toBe(400);
      expect(res.json.__type).toBe('InvalidParameterException');
    });

    test('an unknown client: 400', async () => {
      const res = await cognito('RevokeToken', { ClientId: 'nosuchclient', Token: tokens.refresh });
      expect(res.status).toBe(400);
      expect(res.json.__type).toBe('InvalidParameterException');
    });

    test('an access or ID token is not a token it revokes: 400 UnsupportedTokenTypeException', async () => {
      for (const token of [tokens.access, tokens.id]) {
        const res = await cognito('RevokeToken', { ClientId: clientId, Token: token });
        expect(res.status).toBe(400);
        expect(res.json.__type).toBe('UnsupportedTokenTypeException');
      }
    });

    test('a client with token revocation turned off: 400 UnsupportedOperationException', async () => {
      const res = await cognito('RevokeToken', { ClientId: noRevocationClientId, Token: tokens.refresh });
      expect(res.status).toBe(400);
      expect(res.json.__type).toBe('UnsupportedOperationException');
    });

    test('is not enforced locally: the revoked refresh token still refreshes (Cognito would refuse it; tests must not rely on either)', async () => {
      const res = await cognito('GetTokensFromRefreshToken', { ClientId: clientId, RefreshToken: tokens.refresh });
      expect(res.status).toBe(200);
    });
  });
});

test('MFAS_CAN_SETUP is Cognito\'s JSON string after an SRP sign-in too (PASSWORD_VERIFIER)', async () => {
  const username = 'user@acme.example.com';
  await createUser(admin.cognito, userPoolId, { username, attributes: { email: username, [TENANT_CLAIMS.tenantId]: TENANT_ID } });
  const started = await cognito('InitiateAuth', { ClientId: clientId, AuthFlow: 'USER_SRP_AUTH', AuthParameters: { USERNAME: username, SRP_A: 'abc' } });
  expect(started.json.ChallengeName).toBe('PASSWORD_VERIFIER');
  // moto does not check the SRP proof (docs/local.md), so any signature stands for the client's.
  const res = await cognito('RespondToAuthChallenge', {
    ClientId: clientId,
    ChallengeName: 'PASSWORD_VERIFIER',
    ChallengeResponses: {
      USERNAME: started.json.ChallengeParameters.USER_ID_FOR_SRP,
      PASSWORD_CLAIM_SECRET_BLOCK: started.json.ChallengeParameters.SECRET_BLOCK,
      PASSWORD_CLAIM_SIGNATURE: 'c2lnbmF0dXJl',
      TIMESTAMP: 'Mon Jan 1 00:00:00 UTC 2026',
    },
  });
  expect(res.status).toBe(200);
  expect(res.json.ChallengeName).toBe('MFA_SETUP');
  expect(res.json.ChallengeParameters.MFAS_CAN_SETUP).toBe('["SOFTWARE_TOKEN_MFA"]');
});

describe('what the endpoint does not answer', () => {
  test.each(['AdminGetUser', 'ListUserPools', 'AdminInitiateAuth', 'DescribeUserPoolClient'])(
    '%s (not public) is refused as AWS refuses an unsigned call', async (operation) => {
      const res = await cognito(operation, { UserPoolId: userPoolId, Username: USERNAME, ClientId: clientId });
      expect(res.status).toBe(400);
      expect(res.json).toEqual({ __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
    });

  test('a browser\'s preflight is answered with CORS headers', async () => {
    const res = await fetch(endpoint.url, { method: 'OPTIONS' });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  test('the operations answered are recorded in order, the refused ones too', () => {
    expect(endpoint.operations).toEqual(expect.arrayContaining(['GetTokensFromRefreshToken', 'RevokeToken', 'AdminGetUser']));
    expect(endpoint.operations.slice(0, 2)).toEqual(['InitiateAuth', 'RespondToAuthChallenge']);
  });
});
