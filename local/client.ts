/**
 * What a user's client does, over HTTP only: sign in to a user pool the way the reference's web apps do (SRP with
 * amazon-cognito-identity-js, a new password when the pool's invitation asks for one, TOTP set up on the first sign-in
 * of a pool that requires MFA, a TOTP code on the next ones), and call APIs with the tokens.
 */
import {
  AuthenticationDetails,
  CognitoUser,
  CognitoUserPool,
  CognitoUserSession,
} from 'amazon-cognito-identity-js';
// otpauth rather than otplib (which the integ client bundles): otplib 13 loads an ES module jest cannot require.
import { Secret, TOTP } from 'otpauth';

export interface SignInResult {
  readonly idToken: string;
  readonly accessToken: string;
  /** The challenges the pool asked for, in order (NEW_PASSWORD_REQUIRED, MFA_SETUP, SOFTWARE_TOKEN_MFA). */
  readonly challenges: string[];
  /** The TOTP secret set up on this sign-in, if one was. */
  readonly totpSecret?: string;
}

export interface SignInOptions {
  /** The Cognito endpoint (the emulator's, locally). */
  readonly endpoint: string;
  readonly userPoolId: string;
  readonly clientId: string;
  readonly username: string;
  readonly password: string;
  /** The password to set when the pool asks for a new one. */
  readonly newPassword?: string;
  /** The TOTP secret of a user who set one up before. */
  readonly totpSecret?: string;
}

/** Signs a user in with SRP, answering the challenges the pool sets. */
export function signInAsClient(o: SignInOptions): Promise<SignInResult> {
  const pool = new CognitoUserPool({ UserPoolId: o.userPoolId, ClientId: o.clientId, endpoint: o.endpoint });
  const user = new CognitoUser({ Username: o.username, Pool: pool });
  const challenges: string[] = [];
  let totpSecret = o.totpSecret;
  return new Promise((resolve, reject) => {
    const done = (session: CognitoUserSession) => resolve({
      idToken: session.getIdToken().getJwtToken(),
      accessToken: session.getAccessToken().getJwtToken(),
      challenges,
      totpSecret: o.totpSecret ? undefined : totpSecret,
    });
    const callbacks = {
      onSuccess: done,
      onFailure: reject,
      newPasswordRequired: () => {
        challenges.push('NEW_PASSWORD_REQUIRED');
        if (!o.newPassword) {
          reject(new Error(`${o.username}: the pool asks for a new password and none was given`));
          return;
        }
        user.completeNewPasswordChallenge(o.newPassword, {}, callbacks);
      },
      mfaSetup: () => {
        challenges.push('MFA_SETUP');
        user.associateSoftwareToken({
          associateSecretCode: (secret: string) => {
            totpSecret = secret;
            void totp(secret, o.username).then((code) => user.verifySoftwareToken(code, 'local-e2e', { onSuccess: done, onFailure: reject }));
          },
          onFailure: reject,
        });
      },
      totpRequired: () => {
        challenges.push('SOFTWARE_TOKEN_MFA');
        if (!totpSecret) {
          reject(new Error(`${o.username}: the pool asks for a TOTP code and no secret is known`));
          return;
        }
        void totp(totpSecret, o.username).then((code) => user.sendMFACode(code, callbacks, 'SOFTWARE_TOKEN_MFA'));
      },
    };
    user.authenticateUser(new AuthenticationDetails({ Username: o.username, Password: o.password }), callbacks);
  });
}

/** The 30-second window of the last code used, by user and secret: Cognito accepts each of a user's codes once. */
const lastWindow = new Map<string, number>();

/**
 * A TOTP code of a secret (RFC 6238: SHA-1, 6 digits, 30 s), as an authenticator app shows it, that the pool will
 * accept: Cognito takes each of a user's codes once, so a user whose current code was used waits for the next window, and a code
 * with under 3 s left waits too, so that it is still current when it arrives.
 */
export async function totp(secret: string, user = ''): Promise<string> {
  const key = `${user}\n${secret}`;
  const period = 30_000;
  for (;;) {
    const now = Date.now();
    const window = Math.floor(now / period);
    const left = period - (now % period);
    if (lastWindow.get(key) !== window && left > 3_000) {
      lastWindow.set(key, window);
      return new TOTP({ secret: Secret.fromBase32(secret.toUpperCase()), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: now });
    }
    await new Promise((r) => setTimeout(r, left + 50));
  }
}

/** A JSON request; the answer's status, headers and body (parsed when it is JSON). */
export async function call(method: string, url: string, token?: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}
