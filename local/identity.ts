/**
 * Users of the emulator's user pools, and their real tokens (signed by the emulator, verifiable with its JWKS), for
 * requests through the local environment.
 */
import {
  AdminCreateUserCommand,
  AdminInitiateAuthCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';

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
