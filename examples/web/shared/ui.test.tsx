import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from './api';
import { ConfirmDialog, ErrorNotice } from './ui';

describe('ErrorNotice', () => {
  it('says a 429 is throttling, with the wait, and offers a retry', async () => {
    const retry = vi.fn();
    render(<ErrorNotice error={new ApiError('throttled', 429, 'Too Many Requests', '3')} onRetry={retry} />);
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('Too many requests');
    expect(alert.textContent).toContain('the API is throttling it. Try again in 3 s.');
    await userEvent.setup().click(screen.getByRole('button', { name: 'Try again' }));
    expect(retry).toHaveBeenCalledTimes(1);
  });

  it('says a 403 is not allowed', () => {
    render(<ErrorNotice error={new ApiError('forbidden', 403, 'only a tenant administrator manages users')} />);
    expect(screen.getByRole('alert').textContent).toBe('Not allowedYou do not have access to this (only a tenant administrator manages users).');
  });
});

describe('ConfirmDialog', () => {
  it('enables its button only once the name is typed', async () => {
    const user = userEvent.setup();
    const confirm = vi.fn();
    render(
      <ConfirmDialog open title="Offboard acme?" confirmLabel="Offboard" typeToConfirm="acme" onConfirm={confirm} onCancel={vi.fn()}>
        <p>Cannot be undone.</p>
      </ConfirmDialog>,
    );
    const button = screen.getByRole('button', { name: 'Offboard', hidden: true });
    expect(button).toHaveProperty('disabled', true);
    await user.type(screen.getByLabelText(/to confirm/, { selector: 'input' }), 'acm');
    expect(button).toHaveProperty('disabled', true);
    await user.type(screen.getByLabelText(/to confirm/, { selector: 'input' }), 'e');
    expect(button).toHaveProperty('disabled', false);
    await user.click(button);
    expect(confirm).toHaveBeenCalledTimes(1);
  });

  it('cancels', async () => {
    const cancel = vi.fn();
    render(<ConfirmDialog open title="t" confirmLabel="Go" onConfirm={vi.fn()} onCancel={cancel}><p>x</p></ConfirmDialog>);
    await userEvent.setup().click(screen.getByRole('button', { name: 'Cancel', hidden: true }));
    expect(cancel).toHaveBeenCalledTimes(1);
  });
});
