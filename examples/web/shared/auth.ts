/**
 * Sign-in with AWS Amplify v6's auth category (SRP), against a Cognito user pool: the control plane's administrators'
 * pool in the admin console, the tenant's own pool in the tenant app. Amplify keeps and refreshes the tokens; this
 * module only names the steps the pages show (docs/web-apps.md).
 */
import { Amplify } from 'aws-amplify';
import { confirmSignIn, fetchAuthSession, signIn, signOut } from 'aws-amplify/auth';

export interface UserPoolSettings {
  readonly userPoolId: string;
  readonly appClientId: string;
  /** Cognito's endpoint when it is not AWS's (the local environment). */
  readonly endpoint?: string;
}

/** Points Amplify at a pool. Called again when the tenant app switches tenants. */
export function configureAuth(pool: UserPoolSettings): void {
  Amplify.configure({
    Auth: {
      Cognito: {
        userPoolId: pool.userPoolId,
        userPoolClientId: pool.appClientId,
        ...(pool.endpoint ? { userPoolEndpoint: pool.endpoint } : {}),
      },
    },
  });
}

/** The next thing the user must do to finish signing in. */
export type SignInStep =
  | { readonly kind: 'done' }
  | { readonly kind: 'new-password' }
  | { readonly kind: 'totp-setup'; readonly secret: string; readonly setupUri: string }
  | { readonly kind: 'totp-code' };

type AmplifyStep = Awaited<ReturnType<typeof signIn>>;

function stepOf(result: AmplifyStep, issuer: string, username: string): SignInStep {
  const next = result.nextStep;
  switch (next.signInStep) {
    case 'DONE':
      return { kind: 'done' };
    case 'CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED':
      return { kind: 'new-password' };
    case 'CONTINUE_SIGN_IN_WITH_TOTP_SETUP':
      return {
        kind: 'totp-setup',
        secret: next.totpSetupDetails.sharedSecret,
        setupUri: next.totpSetupDetails.getSetupUri(issuer, username).toString(),
      };
    case 'CONFIRM_SIGN_IN_WITH_TOTP_CODE':
      return { kind: 'totp-code' };
    default:
      throw new Error(`This sign-in needs a step the app does not offer (${next.signInStep}). Contact your administrator.`);
  }
}

/** Starts a sign-in with a username and password (ending any earlier session in this browser). */
export async function startSignIn(username: string, password: string, issuer: string): Promise<SignInStep> {
  await signOut().catch(() => undefined);
  return stepOf(await signIn({ username, password }), issuer, username);
}

/** Answers the current step: a new password, or a TOTP code. */
export async function continueSignIn(answer: string, issuer: string, username: string): Promise<SignInStep> {
  return stepOf(await confirmSignIn({ challengeResponse: answer }), issuer, username);
}

/** The signed-in user's ID token and its claims, or undefined when nobody is signed in. */
export async function currentSession(): Promise<{ idToken: string; claims: Record<string, unknown> } | undefined> {
  try {
    const session = await fetchAuthSession();
    const token = session.tokens?.idToken;
    return token ? { idToken: token.toString(), claims: token.payload as Record<string, unknown> } : undefined;
  } catch {
    return undefined;
  }
}

/** The ID token to send with an API call; throws when the session has ended. */
export async function idToken(): Promise<string> {
  const session = await currentSession();
  if (!session) {
    throw new Error('You are signed out. Sign in again to continue.');
  }
  return session.idToken;
}

export async function endSession(): Promise<void> {
  await signOut();
}

/** A Cognito error as a sentence (Amplify throws errors named after Cognito's exceptions). */
export function explainSignInError(error: unknown): string {
  const name = (error as { name?: string })?.name;
  switch (name) {
    case 'NotAuthorizedException':
      return 'Incorrect username or password, or this user can no longer sign in.';
    case 'UserNotFoundException':
      return 'Incorrect username or password, or this user can no longer sign in.';
    case 'CodeMismatchException':
    case 'EnableSoftwareTokenMFAException':
      return 'That code is not valid. Enter the current 6-digit code from your authenticator app.';
    case 'InvalidPasswordException':
      return 'That password does not meet the policy: use at least 8 characters with upper- and lowercase letters, digits and a symbol.';
    case 'ResourceNotFoundException':
      return 'This sign-in is no longer available (its user pool or app client was removed).';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
