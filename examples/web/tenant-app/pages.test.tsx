import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router';
import { describe, expect, it, vi } from 'vitest';
import { RecordedCall, Scripted, scriptedFetch, testApi } from '../shared/testing';
import { TenantPages } from './App';
import { TenantUser } from './tenant';

const admin: TenantUser = { email: 'admin@acme.example.com', tenantId: 'acme', role: 'TenantAdmin', isAdmin: true };
const member: TenantUser = { email: 'u@acme.example.com', tenantId: 'acme', role: 'TenantUser', isAdmin: false };
const tenant = { tenantName: 'acme', userPoolId: 'p', appClientId: 'c', apiUrl: 'http://api.test/base/' };
const anvil = { id: '5b0c6f0e-0000-4000-8000-000000000001', name: 'Anvil', price: 12.5, sku: 'ANV-1' };

function renderApp(path: string, routes: Record<string, Scripted | ((c: RecordedCall) => Scripted)>, user: TenantUser = admin) {
  const calls: RecordedCall[] = [];
  render(
    <MemoryRouter initialEntries={[path]}>
      <TenantPages context={{ tenant, user, api: testApi(scriptedFetch(routes, calls)) }} onSignOut={vi.fn()} />
    </MemoryRouter>,
  );
  return calls;
}

describe('products', () => {
  it('lists the tenant\'s products', async () => {
    renderApp('/products', { 'GET /products': { body: { items: [anvil] } } });
    const row = (await screen.findByRole('cell', { name: 'Anvil' })).closest('tr')!;
    expect(within(row).getAllByRole('cell').map((c) => c.textContent)).toEqual(['Anvil', 'ANV-1', '$12.50', 'Edit']);
  });

  it('says when there are none', async () => {
    renderApp('/products', { 'GET /products': { body: { items: [] } } });
    expect(await screen.findByText('No products yet. Create the first one.')).toBeTruthy();
  });

  it('says the tenant is throttled on a 429, with the wait', async () => {
    renderApp('/products', { 'GET /products': { status: 429, body: { message: 'Too Many Requests' }, headers: { 'Retry-After': '2' } } });
    expect((await screen.findByRole('alert')).textContent).toContain('so the API is throttling it. Try again in 2 s.');
  });

  it('loads more with nextToken', async () => {
    const user = userEvent.setup();
    renderApp('/products', {
      'GET /products': { body: { items: [anvil], nextToken: 'n1' } },
      'GET /products?nextToken=n1': { body: { items: [{ ...anvil, id: 'x2', name: 'Rocket' }] } },
    });
    await user.click(await screen.findByRole('button', { name: 'Load more' }));
    expect(await screen.findByRole('cell', { name: 'Rocket' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();
  });

  it('creates a product with an Idempotency-Key, kept for the retry of the same submission', async () => {
    const user = userEvent.setup();
    let attempts = 0;
    const calls = renderApp('/products/new', {
      'POST /products': () => (++attempts === 1 ? { status: 503, body: { message: 'busy' }, headers: { 'Retry-After': '1' } } : { status: 201, body: anvil }),
      'GET /products': { body: { items: [anvil] } },
    });
    await user.type(screen.getByLabelText('Name'), 'Anvil');
    await user.type(screen.getByLabelText('Price (USD)'), '12.5');
    await user.click(screen.getByRole('button', { name: 'Create product' }));
    expect((await screen.findByRole('alert')).textContent).toContain('Service busy');
    await user.click(screen.getByRole('button', { name: 'Create product' }));
    await screen.findByRole('heading', { name: 'Products' });
    const posts = calls.filter((c) => c.method === 'POST');
    expect(posts.map((c) => c.body)).toEqual([{ name: 'Anvil', price: 12.5 }, { name: 'Anvil', price: 12.5 }]);
    expect(posts[0].headers['Idempotency-Key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(posts[1].headers['Idempotency-Key']).toBe(posts[0].headers['Idempotency-Key']);
  });

  it('checks the product form with the service\'s limits', async () => {
    const user = userEvent.setup();
    const calls = renderApp('/products/new', {});
    await user.type(screen.getByLabelText('Price (USD)'), '-1');
    await user.type(screen.getByLabelText('SKU (optional)'), 'a b');
    await user.click(screen.getByRole('button', { name: 'Create product' }));
    expect(screen.getByText('Enter a name of 1 to 200 characters.')).toBeTruthy();
    expect(screen.getByText('Enter a price from 0 to 1,000,000.')).toBeTruthy();
    expect(screen.getByText('A SKU is 1 to 64 letters, digits, hyphens or underscores.')).toBeTruthy();
    expect(calls).toEqual([]);
  });

  it('edits a product with PUT', async () => {
    const user = userEvent.setup();
    const calls = renderApp(`/products/${anvil.id}/edit`, {
      [`GET /products/${anvil.id}`]: { body: anvil },
      [`PUT /products/${anvil.id}`]: { body: { ...anvil, price: 15 } },
      'GET /products': { body: { items: [anvil] } },
    });
    const price = await screen.findByLabelText('Price (USD)');
    await user.clear(price);
    await user.type(price, '15');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    await screen.findByRole('heading', { name: 'Products' });
    expect(calls.find((c) => c.method === 'PUT')?.body).toEqual({ name: 'Anvil', price: 15, sku: 'ANV-1' });
  });
});

describe('orders', () => {
  const order = { id: 'a1b2c3d4-0000-4000-8000-000000000009', lines: [{ productId: anvil.id, name: 'Anvil', unitPrice: 12.5, quantity: 2 }], total: 25, status: 'PLACED', createdAt: '2026-11-30T10:00:00Z' };

  it('places an order from the products and opens it', async () => {
    const user = userEvent.setup();
    const calls = renderApp('/orders/new', {
      'GET /products?limit=100': { body: { items: [anvil] } },
      'POST /orders': { status: 201, body: order },
      [`GET /orders/${order.id}`]: { body: order },
    });
    await user.type(await screen.findByLabelText('Quantity of Anvil'), '2');
    await user.click(screen.getByRole('button', { name: 'Place order' }));
    expect(await screen.findByRole('heading', { name: 'Order a1b2c3d4' })).toBeTruthy();
    expect(screen.getByRole('row', { name: 'Total $25.00' })).toBeTruthy();
    const post = calls.find((c) => c.method === 'POST')!;
    expect(post.body).toEqual({ lines: [{ productId: anvil.id, quantity: 2 }] });
    expect(post.headers['Idempotency-Key']).toBeTruthy();
  });

  it('asks for a quantity before sending', async () => {
    const user = userEvent.setup();
    const calls = renderApp('/orders/new', { 'GET /products?limit=100': { body: { items: [anvil] } } });
    await user.click(await screen.findByRole('button', { name: 'Place order' }));
    expect(screen.getByRole('alert').textContent).toBe('Choose a quantity for at least one product.');
    expect(calls.filter((c) => c.method === 'POST')).toEqual([]);
  });

  it('lists orders, and loads more with nextToken', async () => {
    const user = userEvent.setup();
    renderApp('/orders', {
      'GET /orders': { body: { items: [order], nextToken: 'n' } },
      'GET /orders?nextToken=n': { body: { items: [{ ...order, id: 'ffffffff-0000-4000-8000-000000000001' }] } },
    });
    expect(await screen.findByRole('link', { name: 'a1b2c3d4' })).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Load more' }));
    expect(await screen.findByRole('link', { name: 'ffffffff' })).toBeTruthy();
  });

  it('offers every product to an order, page after page', async () => {
    renderApp('/orders/new', {
      'GET /products?limit=100': { body: { items: [anvil], nextToken: 'n' } },
      'GET /products?limit=100&nextToken=n': { body: { items: [{ ...anvil, id: 'x2', name: 'Rocket' }] } },
    });
    expect(await screen.findByLabelText('Quantity of Rocket')).toBeTruthy();
    expect(screen.getByLabelText('Quantity of Anvil')).toBeTruthy();
  });

  it('explains an order that is not the tenant\'s', async () => {
    renderApp('/orders/other', { 'GET /orders/other': { status: 404, body: { message: 'Order not found' } } });
    expect((await screen.findByRole('alert')).textContent).toBe('Not foundOrder not found');
  });
});

describe('users', () => {
  it('shows the Users link and page to a tenant administrator, who adds a user with a role', async () => {
    const user = userEvent.setup();
    let created = false;
    const calls = renderApp('/users', {
      'GET /users?limit=60': () => ({ body: { items: [
        { username: 'u1', email: 'admin@acme.example.com', role: 'TenantAdmin', status: 'CONFIRMED', enabled: true },
        ...(created ? [{ username: 'u2', email: 'new@acme.example.com', role: 'TenantAdmin', status: 'FORCE_CHANGE_PASSWORD', enabled: true }] : []),
      ] } }),
      'POST /users': () => {
        created = true;
        return { status: 201, body: {} };
      },
    });
    expect(screen.getByRole('link', { name: 'Users' })).toBeTruthy();
    await screen.findByRole('cell', { name: 'admin@acme.example.com' });
    await user.type(screen.getByLabelText('Email'), 'new@acme.example.com');
    await user.selectOptions(screen.getByLabelText('Role'), 'TenantAdmin');
    await user.click(screen.getByRole('button', { name: 'Add user' }));
    await waitFor(() => expect(screen.getByRole('cell', { name: 'new@acme.example.com' })).toBeTruthy());
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ email: 'new@acme.example.com', role: 'TenantAdmin' });
  });

  it('hides users from a tenant user, says 403 if they go there, and calls nothing', async () => {
    const calls = renderApp('/users', {}, member);
    expect(screen.queryByRole('link', { name: 'Users' })).toBeNull();
    expect(screen.getByRole('alert').textContent).toBe('Not allowedYou do not have access to this (only a tenant administrator manages users).');
    // Anything the page would load has been asked for by now.
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toEqual([]);
  });

  it('loads more users with nextToken', async () => {
    const user = userEvent.setup();
    renderApp('/users', {
      'GET /users?limit=60': { body: { items: [{ username: 'u1', email: 'a@acme.example.com', role: 'TenantAdmin' }], nextToken: 'n' } },
      'GET /users?limit=60&nextToken=n': { body: { items: [{ username: 'u2', email: 'b@acme.example.com', role: 'TenantUser' }] } },
    });
    await user.click(await screen.findByRole('button', { name: 'Load more users' }));
    expect(await screen.findByRole('cell', { name: 'b@acme.example.com' })).toBeTruthy();
  });

  it('explains an email that is taken', async () => {
    const user = userEvent.setup();
    renderApp('/users', { 'GET /users?limit=60': { body: { items: [] } }, 'POST /users': { status: 409, body: { message: 'exists' } } });
    await user.type(screen.getByLabelText('Email'), 'a@acme.example.com');
    await user.click(screen.getByRole('button', { name: 'Add user' }));
    expect((await screen.findByRole('alert')).textContent).toContain('a@acme.example.com already has an account');
  });
});
