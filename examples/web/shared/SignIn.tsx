/**
 * Sign-in, every step our pools can ask for: password, a new password (an administrator-created user's first
 * sign-in), TOTP set-up (the tenant pools require MFA) and a TOTP code.
 */
import { FormEvent, useState } from 'react';
import { continueSignIn, explainSignInError, SignInStep, startSignIn } from './auth';

export function SignIn(props: {
  /** Shown in the authenticator app next to the code. */
  readonly issuer: string;
  readonly heading: string;
  readonly onSignedIn: () => void;
  readonly initialUsername?: string;
}) {
  const [username, setUsername] = useState(props.initialUsername ?? '');
  const [step, setStep] = useState<SignInStep | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const run = async (action: () => Promise<SignInStep>) => {
    setBusy(true);
    setError(undefined);
    try {
      const next = await action();
      if (next.kind === 'done') {
        props.onSignedIn();
        return;
      }
      setStep(next);
    } catch (e) {
      if (step && (e as { name?: string })?.name === 'NotAuthorizedException') {
        // A challenge's session expires (3 minutes) or is spent: only a new sign-in can go on.
        setStep(undefined);
        setError('The sign-in session ended before it was finished. Sign in again.');
      } else {
        setError(explainSignInError(e));
      }
    } finally {
      setBusy(false);
    }
  };

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const value = (name: string) => String(form.get(name) ?? '');
    if (!step) {
      void run(() => startSignIn(username, value('password'), props.issuer));
    } else if (step.kind === 'new-password') {
      if (value('newPassword') !== value('confirmPassword')) {
        setError('The two passwords differ.');
        return;
      }
      void run(() => continueSignIn(value('newPassword'), props.issuer, username));
    } else {
      void run(() => continueSignIn(value('code').trim(), props.issuer, username));
    }
  };

  return (
    <article className="sign-in">
      <h1>{props.heading}</h1>
      <form onSubmit={submit} aria-describedby={error ? 'sign-in-error' : undefined}>
        {!step ? (
          <>
            <label>
              Username or email
              <input name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} />
            </label>
            <label>
              Password
              <input name="password" type="password" autoComplete="current-password" required />
            </label>
          </>
        ) : null}
        {step?.kind === 'new-password' ? (
          <>
            <p>Choose a new password to replace the temporary one.</p>
            <label>
              New password
              <input name="newPassword" type="password" autoComplete="new-password" required minLength={8} autoFocus />
            </label>
            <label>
              Confirm the new password
              <input name="confirmPassword" type="password" autoComplete="new-password" required minLength={8} />
            </label>
          </>
        ) : null}
        {step?.kind === 'totp-setup' ? (
          <>
            <p>
              This account requires a second factor. Add it to an authenticator app with this setup key, then enter the
              6-digit code the app shows.
            </p>
            <p>Setup key: <code data-testid="totp-secret">{step.secret}</code></p>
            <p><a href={step.setupUri}>Open in an authenticator app</a></p>
          </>
        ) : null}
        {step?.kind === 'totp-setup' || step?.kind === 'totp-code' ? (
          <label>
            Authentication code
            <input name="code" inputMode="numeric" autoComplete="one-time-code" pattern="[0-9]{6}" required maxLength={6} autoFocus />
          </label>
        ) : null}
        {error ? <p id="sign-in-error" role="alert" className="error-text">{error}</p> : null}
        <button type="submit" disabled={busy} aria-busy={busy ? 'true' : undefined}>
          {!step ? 'Sign in' : step.kind === 'new-password' ? 'Set password' : 'Verify'}
        </button>
        {step ? (
          <button type="button" className="secondary outline" onClick={() => { setStep(undefined); setError(undefined); }}>Start over</button>
        ) : null}
      </form>
    </article>
  );
}
