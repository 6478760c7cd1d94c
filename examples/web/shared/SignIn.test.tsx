import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { SignIn } from './SignIn';

const auth = vi.hoisted(() => ({ startSignIn: vi.fn(), continueSignIn: vi.fn() }));
vi.mock('./auth', async (original) => ({ ...(await original<typeof import('./auth')>()), ...auth }));

describe('SignIn', () => {
  beforeEach(() => {
    auth.startSignIn.mockReset();
    auth.continueSignIn.mockReset();
  });

  it('walks a first sign-in: password, new password, TOTP set-up with the key shown, code', async () => {
    const user = userEvent.setup();
    const onSignedIn = vi.fn();
    auth.startSignIn.mockResolvedValue({ kind: 'new-password' });
    auth.continueSignIn
      .mockResolvedValueOnce({ kind: 'totp-setup', secret: 'JBSWY3DPEHPK3PXP', setupUri: 'otpauth://totp/x?secret=JBSWY3DPEHPK3PXP' })
      .mockResolvedValueOnce({ kind: 'done' });
    render(<SignIn heading="Sign in" issuer="SaaS acme" onSignedIn={onSignedIn} />);

    await user.type(screen.getByLabelText('Username or email'), 'admin@acme.example.com');
    await user.type(screen.getByLabelText('Password'), 'Temp-Passw0rd!');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(auth.startSignIn).toHaveBeenCalledWith('admin@acme.example.com', 'Temp-Passw0rd!', 'SaaS acme');

    await user.type(await screen.findByLabelText('New password'), 'New-Passw0rd!');
    await user.type(screen.getByLabelText('Confirm the new password'), 'New-Passw0rd!');
    await user.click(screen.getByRole('button', { name: 'Set password' }));
    expect(auth.continueSignIn).toHaveBeenNthCalledWith(1, 'New-Passw0rd!', 'SaaS acme', 'admin@acme.example.com');

    expect(await screen.findByTestId('totp-secret')).toHaveProperty('textContent', 'JBSWY3DPEHPK3PXP');
    expect(screen.getByRole('link', { name: 'Open in an authenticator app' }).getAttribute('href')).toBe('otpauth://totp/x?secret=JBSWY3DPEHPK3PXP');
    await user.type(screen.getByLabelText('Authentication code'), '123456');
    await user.click(screen.getByRole('button', { name: 'Verify' }));
    expect(auth.continueSignIn).toHaveBeenNthCalledWith(2, '123456', 'SaaS acme', 'admin@acme.example.com');
    expect(onSignedIn).toHaveBeenCalledTimes(1);
  });

  it('refuses two different new passwords without calling Cognito', async () => {
    const user = userEvent.setup();
    auth.startSignIn.mockResolvedValue({ kind: 'new-password' });
    render(<SignIn heading="Sign in" issuer="i" onSignedIn={vi.fn()} />);
    await user.type(screen.getByLabelText('Username or email'), 'u');
    await user.type(screen.getByLabelText('Password'), 'p');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    await user.type(await screen.findByLabelText('New password'), 'New-Passw0rd!');
    await user.type(screen.getByLabelText('Confirm the new password'), 'Other-Passw0rd!');
    await user.click(screen.getByRole('button', { name: 'Set password' }));
    expect(screen.getByRole('alert').textContent).toBe('The two passwords differ.');
    expect(auth.continueSignIn).not.toHaveBeenCalled();
  });

  it.each([
    ['NotAuthorizedException', 'Incorrect username or password, or this user can no longer sign in.'],
    ['CodeMismatchException', 'That code is not valid. Enter the current 6-digit code from your authenticator app.'],
  ])('explains %s', async (name, sentence) => {
    const user = userEvent.setup();
    auth.startSignIn.mockRejectedValue(Object.assign(new Error('raw'), { name }));
    render(<SignIn heading="Sign in" issuer="i" onSignedIn={vi.fn()} />);
    await user.type(screen.getByLabelText('Username or email'), 'u');
    await user.type(screen.getByLabelText('Password'), 'p');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toBe(sentence);
  });

  it('asks for a code on a later sign-in', async () => {
    const user = userEvent.setup();
    auth.startSignIn.mockResolvedValue({ kind: 'totp-code' });
    render(<SignIn heading="Sign in" issuer="i" onSignedIn={vi.fn()} />);
    await user.type(screen.getByLabelText('Username or email'), 'u');
    await user.type(screen.getByLabelText('Password'), 'p');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByLabelText('Authentication code')).toBeTruthy();
    expect(screen.queryByTestId('totp-secret')).toBeNull();
  });

  it('starts over from a challenge, and goes back to the password when the challenge\'s session has ended', async () => {
    const user = userEvent.setup();
    auth.startSignIn.mockResolvedValue({ kind: 'totp-code' });
    auth.continueSignIn.mockRejectedValue(Object.assign(new Error('Invalid session for the user.'), { name: 'NotAuthorizedException' }));
    render(<SignIn heading="Sign in" issuer="i" onSignedIn={vi.fn()} />);
    await user.type(screen.getByLabelText('Username or email'), 'u');
    await user.type(screen.getByLabelText('Password'), 'p');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    await user.type(await screen.findByLabelText('Authentication code'), '123456');
    await user.click(screen.getByRole('button', { name: 'Verify' }));
    expect((await screen.findByRole('alert')).textContent).toBe('The sign-in session ended before it was finished. Sign in again.');
    expect(screen.getByLabelText('Password')).toBeTruthy();

    await user.type(screen.getByLabelText('Password'), 'p');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    await user.click(await screen.findByRole('button', { name: 'Start over' }));
    expect(screen.getByLabelText('Password')).toBeTruthy();
    expect(screen.queryByLabelText('Authentication code')).toBeNull();
  });
});
