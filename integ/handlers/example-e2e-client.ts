import { randomBytes } from 'crypto';
import {
  AdminInitiateAuthCommand,
  AdminRespondToAuthChallengeCommand,
  AdminSetUserMFAPreferenceCommand,
  AdminSetUserPasswordCommand,
  AssociateSoftwareTokenCommand,
  CognitoIdentityProviderClient,
  DescribeUserPoolClientCommand,
  VerifySoftwareTokenCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { generate } from 'otplib';

/**
 * Test support for integ.example-app: the control plane's API as its operator uses it, and a tenant user's first
 * sign-in. Answers stay small (custom-resource responses are capped at 4 KB).
 *
 * - `register`: POST /tenant-registrations with a machine token (the control plane's client-credentials client).
 * - `registration`: GET /tenant-registrations/{id}, for its status.
 * - `deregister`: DELETE /tenant-registrations/{id} (offboarding).
 * - `signIn`: signs a tenant user in to a pool that requires MFA, as a person would the first time, and returns the
 *   id token: a fresh random password, the authenticator reset so that the pool asks for MFA set-up, a TOTP
 *   authenticator registered (otplib computes the code). ADMIN_USER_PASSWORD_AUTH needs IAM permission.
 */
type Event =
  | { action: 'register'; tenantName: string; email: string; tier: string }
  | { action: 'registration' | 'deregister'; registrationId: string }
  | { action: 'signIn'; userPoolId: string; clientId: string; username: string };

const cognito = new CognitoIdentityProviderClient({});

export async function handler(event: Event): Promise<Record<string, unknown>> {
  switch (event.action) {
    case 'register': {
      const response = await controlPlane('POST', 'tenant-registrations', {
        tenantData: { tenantName: event.tenantName, email: event.email, tier: event.tier },
      });
      const data = (response.body as { data?: { tenantRegistrationId?: string; tenantId?: string } }).data ?? {};
      return { status: response.status, registrationId: data.tenantRegistrationId, tenantId: data.tenantId };
    }
    case 'registration': {
      const response = await controlPlane('GET', `tenant-registrations/${encodeURIComponent(event.registrationId)}`);
      const data = (response.body as { data?: { registrationStatus?: string; tenantId?: string } }).data ?? {};
      return { status: response.status, registrationStatus: data.registrationStatus ?? 'none', tenantId: data.tenantId };
    }
    case 'deregister': {
      const response = await controlPlane('DELETE', `tenant-registrations/${encodeURIComponent(event.registrationId)}`);
      return { status: response.status };
    }
    case 'signIn':
      return { idToken: await signIn(event.userPoolId, event.clientId, event.username) };
  }
}

async function controlPlane(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${process.env.CONTROL_PLANE_URL}${path}`, {
    method,
    headers: { 'Authorization': `Bearer ${await machineToken()}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    return { status: response.status, body: text };
  }
}

/** An access token of the control plane's machine client (OAuth client credentials). */
async function machineToken(): Promise<string> {
  const clientId = process.env.MACHINE_CLIENT_ID!;
  const described = await cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: process.env.ADMIN_POOL_ID, ClientId: clientId }));
  const secret = described.UserPoolClient?.ClientSecret;
  const response = await fetch(process.env.TOKEN_ENDPOINT!, {
    method: 'POST',
    headers: {
      'Authorization': `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  if (!response.ok) {
    throw new Error(`The token endpoint answered ${response.status}: ${await response.text()}`);
  }
  return ((await response.json()) as { access_token: string }).access_token;
}

async function signIn(UserPoolId: string, ClientId: string, Username: string): Promise<string> {
  // Upper, lower, digit and symbol, as the pool's password policy asks.
  const password = `Aa1!${randomBytes(18).toString('base64url')}`;
  await cognito.send(new AdminSetUserPasswordCommand({ UserPoolId, Username, Password: password, Permanent: true }));
  await cognito.send(new AdminSetUserMFAPreferenceCommand({
    UserPoolId,
    Username,
    SoftwareTokenMfaSettings: { Enabled: false, PreferredMfa: false },
  }));
  let result = await cognito.send(new AdminInitiateAuthCommand({
    UserPoolId,
    ClientId,
    AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
    AuthParameters: { USERNAME: Username, PASSWORD: password },
  }));
  if (result.ChallengeName === 'MFA_SETUP') {
    const association = await cognito.send(new AssociateSoftwareTokenCommand({ Session: result.Session }));
    const code = await generate({ secret: association.SecretCode! });
    const verified = await cognito.send(new VerifySoftwareTokenCommand({ Session: association.Session, UserCode: code }));
    result = await cognito.send(new AdminRespondToAuthChallengeCommand({
      UserPoolId,
      ClientId,
      ChallengeName: 'MFA_SETUP',
      Session: verified.Session,
      ChallengeResponses: { USERNAME: Username },
    }));
  }
  const idToken = result.AuthenticationResult?.IdToken;
  if (!idToken) {
    throw new Error(`Sign-in of ${Username} ended with challenge ${result.ChallengeName ?? 'none'} instead of tokens.`);
  }
  return idToken;
}
