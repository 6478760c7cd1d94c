import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router';
import { describe, expect, it, vi } from 'vitest';
import { AdminConsoleConfig } from '../shared/contract';
import { RecordedCall, Scripted, scriptedFetch, testApi } from '../shared/testing';
import { ConsolePages } from './App';

const config: AdminConsoleConfig = {
  region: 'us-east-1', controlPlaneApiUrl: 'http://api.test/base/', userPoolId: 'pool', appClientId: 'client', tiers: ['basic', 'advanced', 'premium'],
};

function renderConsole(path: string, routes: Record<string, Scripted | ((c: RecordedCall) => Scripted)>, calls: RecordedCall[] = []) {
  const api = testApi(scriptedFetch(routes, calls));
  render(
    <MemoryRouter initialEntries={[path]}>
      <ConsolePages console={{ config, api }} user="admin@saas.local" onSignOut={vi.fn()} />
    </MemoryRouter>,
  );
  return calls;
}

const acme = { tenantId: 't-acme', tenantName: 'acme', tier: 'advanced', email: 'admin@acme.example.com', tenantRegistrationId: 'r-acme', sbtaws_active: true };
const broken = { tenantId: 't-broken', tenantName: 'broken', tier: 'premium', email: 'a@b.co', tenantRegistrationId: 'r-broken', sbtaws_active: true };

describe('the tenants page', () => {
  it('lists name, tier and status, with a failed onboarding\'s reason', async () => {
    renderConsole('/tenants', {
      'GET /tenants?limit=10': { body: { data: [broken, acme] } },
      'GET /tenant-registrations/r-acme': { body: { data: { tenantRegistrationId: 'r-acme', registrationStatus: 'Created' } } },
      'GET /tenant-registrations/r-broken': { body: { data: { tenantRegistrationId: 'r-broken', registrationStatus: 'Failed', failureReason: 'no dedicated shard left' } } },
    });
    const rows = await screen.findAllByRole('row');
    expect(rows.map((r) => within(r).getAllByRole(r.querySelector('th') ? 'columnheader' : 'cell').map((c) => c.textContent))).toEqual([
      ['Name', 'Tier', 'Status', 'Administrator'],
      ['acme', 'advanced', 'Active', 'admin@acme.example.com'],
      ['broken', 'premium', 'Failedno dedicated shard left', 'a@b.co'],
    ]);
    expect(screen.getByRole('link', { name: 'acme' }).getAttribute('href')).toBe('/tenants/t-acme');
  });

  it('pages forward with next_token and back', async () => {
    const user = userEvent.setup();
    const calls = renderConsole('/tenants', {
      'GET /tenants?limit=10': { body: { data: [acme], next_token: 't-acme' } },
      'GET /tenants?limit=10&next_token=t-acme': { body: { data: [{ ...broken, tenantRegistrationId: undefined }] } },
      'GET /tenant-registrations/r-acme': { body: { data: { tenantRegistrationId: 'r-acme', registrationStatus: 'Created' } } },
    });
    await screen.findByRole('link', { name: 'acme' });
    expect(screen.getByRole('button', { name: 'Previous page' })).toHaveProperty('disabled', true);
    await user.click(screen.getByRole('button', { name: 'Next page' }));
    await screen.findByRole('link', { name: 'broken' });
    expect(screen.getByRole('button', { name: 'Next page' })).toHaveProperty('disabled', true);
    await user.click(screen.getByRole('button', { name: 'Previous page' }));
    await screen.findByRole('link', { name: 'acme' });
    expect(calls.map((c) => c.url.replace('http://api.test/base/', ''))).toContain('tenants?limit=10&next_token=t-acme');
  });

  it('keeps the pager on an empty last page (a full page always has a next_token)', async () => {
    const user = userEvent.setup();
    renderConsole('/tenants', {
      'GET /tenants?limit=10': { body: { data: [{ ...acme, tenantRegistrationId: undefined }], next_token: 't-acme' } },
      'GET /tenants?limit=10&next_token=t-acme': { body: { data: [] } },
    });
    await user.click(await screen.findByRole('button', { name: 'Next page' }));
    expect(await screen.findByText('No more tenants.')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Previous page' }));
    expect(await screen.findByRole('link', { name: 'acme' })).toBeTruthy();
  });

  it('says when there are no tenants', async () => {
    renderConsole('/tenants', { 'GET /tenants?limit=10': { body: { data: [] } } });
    expect(await screen.findByText('No tenants yet. Onboard the first one.')).toBeTruthy();
    expect(screen.queryByText('Loading tenants')).toBeNull();
  });

  it('explains a 429 from the control plane', async () => {
    renderConsole('/tenants', { 'GET /tenants?limit=10': { status: 429, body: { message: 'Too Many Requests' } } });
    expect((await screen.findByRole('alert')).textContent).toContain('Too many requests');
  });
});

describe('onboarding', () => {
  it('checks the form with the library\'s rules before sending anything', async () => {
    const user = userEvent.setup();
    const calls = renderConsole('/tenants/new', {});
    await user.type(screen.getByLabelText('Tenant name'), 'Hooli Inc');
    await user.type(screen.getByLabelText('Administrator email'), 'nope');
    await user.click(screen.getByRole('button', { name: 'Onboard' }));
    expect(screen.getByLabelText('Tenant name').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText(/^The name must be 1 to 36 characters/)).toBeTruthy();
    expect(screen.getByLabelText('Administrator email').getAttribute('aria-invalid')).toBe('true');
    expect(calls).toEqual([]);
  });

  it('registers the tenant through the control plane and opens its page', async () => {
    const user = userEvent.setup();
    const calls = renderConsole('/tenants/new', {
      'GET /tenant-config/hooli': { status: 404, body: { message: 'No tenant details found for hooli' } },
      'GET /tenants?limit=100': { body: { data: [acme] } },
      'POST /tenant-registrations': { status: 201, body: { data: { tenantId: 't-hooli', tenantRegistrationId: 'r-hooli' } } },
      'GET /tenants/t-hooli': { body: { data: { tenantId: 't-hooli', tenantName: 'hooli', tier: 'premium', tenantRegistrationId: 'r-hooli' } } },
      'GET /tenant-registrations/r-hooli': { body: { data: { tenantRegistrationId: 'r-hooli' } } },
    });
    await user.type(screen.getByLabelText('Tenant name'), 'hooli');
    await user.type(screen.getByLabelText('Administrator email'), 'admin@hooli.example.com');
    await user.selectOptions(screen.getByLabelText('Tier'), 'premium');
    await user.click(screen.getByRole('button', { name: 'Onboard' }));
    expect(await screen.findByRole('heading', { name: 'hooli' })).toBeTruthy();
    expect(screen.getByTestId('tenant-status').textContent).toBe('Onboarding');
    expect(calls.find((c) => c.method === 'POST')).toMatchObject({
      method: 'POST',
      body: { tenantData: { tenantName: 'hooli', email: 'admin@hooli.example.com', tier: 'premium' }, tenantRegistrationData: {} },
      headers: { Authorization: 'Bearer id-token' },
    });
  });
});

describe('a taken name', () => {
  it('is refused before anything is registered, offboarded tenants\' names included', async () => {
    const user = userEvent.setup();
    const calls = renderConsole('/tenants/new', { 'GET /tenant-config/acme': { body: '{"userPoolId":"p"}' } });
    await user.type(screen.getByLabelText('Tenant name'), 'acme');
    await user.type(screen.getByLabelText('Administrator email'), 'admin@acme.example.com');
    await user.click(screen.getByRole('button', { name: 'Onboard' }));
    expect(await screen.findByText(/^A tenant named 'acme' exists already/)).toBeTruthy();
    expect(calls.filter((c) => c.method === 'POST')).toEqual([]);
  });
});

describe('a tenant\'s page', () => {
  const created = { body: { data: { tenantRegistrationId: 'r-acme', registrationStatus: 'Created' } } };
  const withConfig = { ...acme, tenantConfig: JSON.stringify({ userPoolId: 'us-east-1_abc', appClientId: 'client-1', apiGatewayUrl: 'https://x.execute-api.us-east-1.amazonaws.com/prod/' }) };

  it('shows the configuration the lifecycle wrote', async () => {
    renderConsole('/tenants/t-acme', { 'GET /tenants/t-acme': { body: { data: withConfig } }, 'GET /tenant-registrations/r-acme': created });
    await screen.findByRole('heading', { name: 'acme' });
    expect(screen.getByText('us-east-1_abc')).toBeTruthy();
    expect(screen.getByText('client-1')).toBeTruthy();
    expect(screen.getByText('https://x.execute-api.us-east-1.amazonaws.com/prod/')).toBeTruthy();
    expect(screen.getByTestId('tenant-status').textContent).toBe('Active');
  });

  it('shows why an onboarding failed', async () => {
    renderConsole('/tenants/t-acme', {
      'GET /tenants/t-acme': { body: { data: acme } },
      'GET /tenant-registrations/r-acme': { body: { data: { tenantRegistrationId: 'r-acme', registrationStatus: 'Failed', failureReason: 'tenant id is held by registration r-0' } } },
    });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe('Onboarding failedtenant id is held by registration r-0');
  });

  it('offboards only after the name is typed, through the registration', async () => {
    const user = userEvent.setup();
    let deleted = false;
    const calls = renderConsole('/tenants/t-acme', {
      'GET /tenants/t-acme': () => ({ body: { data: { ...withConfig, sbtaws_active: !deleted } } }),
      'GET /tenant-registrations/r-acme': created,
      'DELETE /tenant-registrations/r-acme': () => {
        deleted = true;
        return { body: { data: { message: 'Tenant registration deletion initiated' } } };
      },
    });
    await user.click(await screen.findByRole('button', { name: 'Offboard acme' }));
    const dialog = screen.getByRole('dialog', { hidden: true });
    const confirm = within(dialog).getByRole('button', { name: 'Offboard', hidden: true });
    expect(confirm).toHaveProperty('disabled', true);
    await user.type(within(dialog).getByRole('textbox', { hidden: true }), 'acme');
    await user.click(confirm);
    await waitFor(() => expect(screen.getByTestId('tenant-status').textContent).toBe('Offboarding'));
    expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.url)).toEqual(['http://api.test/base/tenant-registrations/r-acme']);
    expect(screen.queryByRole('button', { name: 'Offboard acme' })).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'acme' }));
  });

  it('after a failed offboarding shows the reason and offers to offboard again', async () => {
    renderConsole('/tenants/t-acme', {
      'GET /tenants/t-acme': { body: { data: { ...acme, sbtaws_active: false } } },
      'GET /tenant-registrations/r-acme': { body: { data: { tenantRegistrationId: 'r-acme', registrationStatus: 'Failed', failureReason: 'stack delete failed' } } },
    });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('The last lifecycle operation failedstack delete failed');
    expect(screen.getByTestId('tenant-status').textContent).toBe('Offboarding');
    expect(screen.getByRole('button', { name: 'Offboard acme' })).toBeTruthy();
  });
});
