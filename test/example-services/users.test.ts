import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminUpdateUserAttributesCommand,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  GroupExistsException,
  ListUsersCommand,
  ListUsersInGroupCommand,
  ResourceNotFoundException,
  UserNotFoundException,
  UsernameExistsException,
  UserType,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { cognitoIdTokenVerifier } from '../../examples/services/common/auth';
import { createUsersApp } from '../../examples/services/users/app';
import { TestUserPool } from '../util/jwt';
import { OutputCapture, testTelemetry } from '../util/services';

/**
 * The users service against a mocked Cognito: what it asks Cognito, and what it shows of the answers.
 */
const POOL_ID = 'us-east-1_TestPool';
const output = new OutputCapture();
const cognito = mockClient(CognitoIdentityProviderClient);

let pool: TestUserPool;
let shared: FastifyInstance;
let own: FastifyInstance;
/** acme's admin (username acme-admin, email admin@acme.example). */
let admin: string;
/** acme's ordinary user. */
let member: string;

/** A user's attributes with another role. */
function withRole(user: UserType, role: string) {
  return user.Attributes!.map((a) => (a.Name === 'custom:userRole' ? { ...a, Value: role } : a));
}

function cognitoUser(username: string, tenantId: string | undefined, extra: Partial<UserType> = {}): UserType {
  return {
    Username: username,
    Attributes: [
      { Name: 'email', Value: `${username}@example.com` },
      ...(tenantId ? [{ Name: 'custom:tenantId', Value: tenantId }] : []),
      { Name: 'custom:tenantTier', Value: 'basic' },
      { Name: 'custom:userRole', Value: 'TenantUser' },
    ],
    UserStatus: 'CONFIRMED',
    Enabled: true,
    UserCreateDate: new Date('2025-01-02T03:04:05Z'),
    ...extra,
  };
}

function usersApp(sharedPool: boolean) {
  return createUsersApp({
    ...testTelemetry('users'),
    verifier: cognitoIdTokenVerifier(pool.userPoolId, pool.appClientIds, pool.jwksCache()),
    cognito: new CognitoIdentityProviderClient({ region: 'us-east-1' }),
    userPoolId: POOL_ID,
    sharedPool,
  });
}

beforeAll(async () => {
  output.start();
  pool = await TestUserPool.create(POOL_ID);
  admin = await pool.idToken({ tenantId: 'acme', tier: 'advanced', role: 'TenantAdmin', username: 'acme-admin', email: 'admin@acme.example' });
  member = await pool.idToken({ tenantId: 'acme', tier: 'advanced', role: 'TenantUser', username: 'acme-member' });
  shared = usersApp(true);
  own = usersApp(false);
});

afterAll(async () => {
  await shared.close();
  await own.close();
  cognito.restore();
  output.stop();
});

beforeEach(() => {
  cognito.reset();
  output.clear();
});

async function call(method: 'GET' | 'POST' | 'DELETE' | 'PATCH', url: string, token?: string, body?: unknown, target = shared): Promise<LightMyRequestResponse> {
  return target.inject({
    method,
    url,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
}

describe('listing', () => {
  test('a shared pool is listed through the tenant\'s group, and only users of the tenant are shown', async () => {
    cognito.on(ListUsersInGroupCommand).resolves({
      Users: [cognitoUser('alice', 'acme'), cognitoUser('mallory', 'globex'), cognitoUser('nobody', undefined)],
      NextToken: 'cognito/next+token=',
    });
    const res = await call('GET', '/users?tenantId=globex', member);
    expect(res.statusCode).toBe(200);
    expect(res.json().items).toEqual([{
      username: 'alice',
      email: 'alice@example.com',
      role: 'TenantUser',
      tenantId: 'acme',
      tier: 'basic',
      status: 'CONFIRMED',
      enabled: true,
      createdAt: '2025-01-02T03:04:05.000Z',
    }]);
    expect(cognito.commandCalls(ListUsersInGroupCommand)[0].args[0].input).toEqual({ UserPoolId: POOL_ID, GroupName: 'tenant-acme', Limit: 60 });
    expect(cognito.commandCalls(ListUsersCommand)).toHaveLength(0);

    // The page token is opaque and URL-safe, and goes back to Cognito as it was.
    const nextToken = res.json().nextToken;
    expect(nextToken).toMatch(/^[A-Za-z0-9_-]+$/);
    cognito.reset();
    cognito.on(ListUsersInGroupCommand).resolves({ Users: [] });
    const second = await call('GET', `/users?limit=10&nextToken=${nextToken}`, member);
    expect(second.json()).toEqual({ items: [] });
    expect(cognito.commandCalls(ListUsersInGroupCommand)[0].args[0].input).toMatchObject({ Limit: 10, NextToken: 'cognito/next+token=' });
  });

  test('a tenant\'s own pool is listed with ListUsers, still filtered on the tenant attribute', async () => {
    cognito.on(ListUsersCommand).resolves({ Users: [cognitoUser('alice', 'acme'), cognitoUser('stray', 'globex')] });
    const res = await call('GET', '/users', member, undefined, own);
    expect(res.json().items.map((u: any) => u.username)).toEqual(['alice']);
    expect(cognito.commandCalls(ListUsersCommand)[0].args[0].input).toEqual({ UserPoolId: POOL_ID, Limit: 60 });
    expect(cognito.commandCalls(ListUsersInGroupCommand)).toHaveLength(0);
  });

  test('a tenant without a group yet has no users', async () => {
    cognito.on(ListUsersInGroupCommand).rejects(new ResourceNotFoundException({ message: 'Group not found.', $metadata: {} }));
    const res = await call('GET', '/users', member);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ items: [] });
  });

  test.each(['0', '61', 'x'])('limit=%p is refused', async (limit) => {
    expect((await call('GET', `/users?limit=${limit}`, member)).statusCode).toBe(400);
    expect(cognito.calls()).toHaveLength(0);
  });
});

describe('creating users', () => {
  test('a TenantAdmin creates a user of its own tenant and tier, in the tenant\'s group', async () => {
    cognito.on(AdminCreateUserCommand).resolves({ User: cognitoUser('6f1c-new', 'acme', { UserStatus: 'FORCE_CHANGE_PASSWORD' }) });
    cognito.on(AdminAddUserToGroupCommand).resolves({});
    const res = await call('POST', '/users', admin, { email: 'new@acme.example', role: 'TenantUser' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({
      username: '6f1c-new',
      email: 'new@acme.example',
      role: 'TenantUser',
      tenantId: 'acme',
      tier: 'advanced',
      status: 'FORCE_CHANGE_PASSWORD',
      enabled: true,
      createdAt: '2025-01-02T03:04:05.000Z',
    });
    expect(cognito.commandCalls(AdminCreateUserCommand)[0].args[0].input).toEqual({
      UserPoolId: POOL_ID,
      Username: 'new@acme.example',
      DesiredDeliveryMediums: ['EMAIL'],
      UserAttributes: [
        { Name: 'email', Value: 'new@acme.example' },
        { Name: 'email_verified', Value: 'true' },
        { Name: 'custom:tenantId', Value: 'acme' },
        { Name: 'custom:tenantTier', Value: 'advanced' },
        { Name: 'custom:userRole', Value: 'TenantUser' },
      ],
    });
    expect(cognito.commandCalls(AdminAddUserToGroupCommand)[0].args[0].input).toEqual({ UserPoolId: POOL_ID, Username: '6f1c-new', GroupName: 'tenant-acme' });
    expect(output.logs.find((l) => l.message === 'user created')).toMatchObject({ tenantId: 'acme', username: '6f1c-new', userRole: 'TenantUser' });
  });

  test('the tenant\'s group is created when it is missing', async () => {
    cognito.on(AdminCreateUserCommand).resolves({ User: cognitoUser('u1', 'acme') });
    cognito.on(AdminAddUserToGroupCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: 'Group not found.', $metadata: {} }))
      .resolves({});
    cognito.on(CreateGroupCommand).rejects(new GroupExistsException({ message: 'created meanwhile', $metadata: {} }));
    const res = await call('POST', '/users', admin, { email: 'u1@acme.example', role: 'TenantAdmin' });
    expect(res.statusCode).toBe(201);
    expect(cognito.commandCalls(CreateGroupCommand)[0].args[0].input).toMatchObject({ UserPoolId: POOL_ID, GroupName: 'tenant-acme' });
    expect(cognito.commandCalls(AdminAddUserToGroupCommand)).toHaveLength(2);
  });

  test('a user that cannot be put in the tenant\'s group is deleted again (500)', async () => {
    cognito.on(AdminCreateUserCommand).resolves({ User: cognitoUser('u2', 'acme') });
    cognito.on(AdminAddUserToGroupCommand).rejects(new Error('throttled'));
    cognito.on(AdminDeleteUserCommand).resolves({});
    const res = await call('POST', '/users', admin, { email: 'u2@acme.example', role: 'TenantUser' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ message: 'Internal error' });
    expect(cognito.commandCalls(AdminDeleteUserCommand)[0].args[0].input).toEqual({ UserPoolId: POOL_ID, Username: 'u2' });
  });

  test('in a tenant\'s own pool there is no group', async () => {
    cognito.on(AdminCreateUserCommand).resolves({ User: cognitoUser('u3', 'acme') });
    const res = await call('POST', '/users', admin, { email: 'u3@acme.example', role: 'TenantUser' }, own);
    expect(res.statusCode).toBe(201);
    expect(cognito.commandCalls(AdminAddUserToGroupCommand)).toHaveLength(0);
    expect(cognito.commandCalls(CreateGroupCommand)).toHaveLength(0);
  });

  test('an email already taken (by any tenant) is 409, without saying whose', async () => {
    cognito.on(AdminCreateUserCommand).rejects(new UsernameExistsException({ message: 'User account already exists', $metadata: {} }));
    const res = await call('POST', '/users', admin, { email: 'taken@globex.example', role: 'TenantUser' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({ message: 'A user with this email already exists' });
  });

  test('an answer lost after Cognito created the user: the SDK\'s retry finds it, and the request answers 201 with it', async () => {
    cognito.on(AdminCreateUserCommand).rejects(new UsernameExistsException({ message: 'User account already exists', $metadata: { attempts: 2 } }));
    cognito.on(AdminGetUserCommand).resolves({
      Username: 'lost@acme.example',
      UserStatus: 'FORCE_CHANGE_PASSWORD',
      Enabled: true,
      UserCreateDate: new Date('2026-11-30T10:00:00Z'),
      UserAttributes: withRole(cognitoUser('lost@acme.example', 'acme'), 'TenantUser'),
    });
    cognito.on(AdminAddUserToGroupCommand).resolves({});
    const res = await call('POST', '/users', admin, { email: 'lost@acme.example', role: 'TenantUser' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ username: 'lost@acme.example', tenantId: 'acme', role: 'TenantUser', status: 'FORCE_CHANGE_PASSWORD', createdAt: '2026-11-30T10:00:00.000Z' });
    // Added to the tenant's group (adding twice is harmless), and not deleted.
    expect(cognito.commandCalls(AdminAddUserToGroupCommand)).toHaveLength(1);
    expect(cognito.commandCalls(AdminDeleteUserCommand)).toHaveLength(0);
  });

  test('on a retry, a user of another tenant or with another role is still a 409', async () => {
    cognito.on(AdminCreateUserCommand).rejects(new UsernameExistsException({ message: 'User account already exists', $metadata: { attempts: 2 } }));
    for (const [tenant, role] of [['globex', 'TenantUser'], ['acme', 'TenantAdmin']]) {
      cognito.on(AdminGetUserCommand).resolves({ Username: 'someone@x.example', UserAttributes: withRole(cognitoUser('someone@x.example', tenant), role) });
      const res = await call('POST', '/users', admin, { email: 'someone@x.example', role: 'TenantUser' });
      expect({ tenant, role, status: res.statusCode, body: res.json() }).toEqual({ tenant, role, status: 409, body: { message: 'A user with this email already exists' } });
    }
  });

  test('a TenantUser may not create users (403), whatever the body, and Cognito is not called', async () => {
    for (const body of [{ email: 'x@acme.example', role: 'TenantAdmin' }, { nonsense: true }]) {
      const res = await call('POST', '/users', member, body);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toEqual({ message: 'Only TenantAdmin may do this' });
    }
    expect(cognito.calls()).toHaveLength(0);
  });

  test.each<[string, unknown]>([
    ['no email', { role: 'TenantUser' }],
    ['no role', { email: 'a@acme.example' }],
    ['an invalid email', { email: 'not-an-email', role: 'TenantUser' }],
    ['a numeric email', { email: 42, role: 'TenantUser' }],
    ['an unknown role', { email: 'a@acme.example', role: 'SystemAdmin' }],
    ['a tenant in the body', { email: 'a@acme.example', role: 'TenantUser', tenantId: 'globex' }],
    ['a tier in the body', { email: 'a@acme.example', role: 'TenantUser', tier: 'premium' }],
    ['malformed JSON', '{"email": "a@acme.example",'],
    ['an array', [{ email: 'a@acme.example', role: 'TenantUser' }]],
  ])('a body with %s is 400 and creates nothing', async (_name, body) => {
    const res = await call('POST', '/users', admin, body);
    expect(res.statusCode).toBe(400);
    expect(typeof res.json().message).toBe('string');
    expect(cognito.calls()).toHaveLength(0);
  });
});

describe('reading one user', () => {
  test('a user of the caller\'s tenant is returned', async () => {
    cognito.on(AdminGetUserCommand).resolves({ Username: 'alice', UserAttributes: cognitoUser('alice', 'acme').Attributes });
    const res = await call('GET', '/users/alice', member);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ username: 'alice', tenantId: 'acme' });
  });

  test('a user of another tenant is 404, like a user that does not exist', async () => {
    cognito.on(AdminGetUserCommand, { Username: 'mallory' }).resolves({ Username: 'mallory', UserAttributes: cognitoUser('mallory', 'globex').Attributes });
    cognito.on(AdminGetUserCommand, { Username: 'ghost' }).rejects(new UserNotFoundException({ message: 'User does not exist.', $metadata: {} }));
    for (const name of ['mallory', 'ghost']) {
      const res = await call('GET', `/users/${name}`, member);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ message: 'User not found' });
    }
  });
});

describe('deleting users', () => {
  test('a TenantAdmin deletes a user of its tenant', async () => {
    cognito.on(AdminGetUserCommand).resolves({ Username: 'alice', UserAttributes: cognitoUser('alice', 'acme').Attributes });
    cognito.on(AdminDeleteUserCommand).resolves({});
    const res = await call('DELETE', '/users/alice', admin);
    expect(res.statusCode).toBe(204);
    expect(cognito.commandCalls(AdminDeleteUserCommand)[0].args[0].input).toEqual({ UserPoolId: POOL_ID, Username: 'alice' });
  });

  test('an answer lost after Cognito deleted the user: the SDK\'s retry finds no user, and the request answers 204', async () => {
    cognito.on(AdminGetUserCommand).resolves({ Username: 'alice', UserAttributes: cognitoUser('alice', 'acme').Attributes });
    cognito.on(AdminDeleteUserCommand).rejects(new UserNotFoundException({ message: 'User does not exist.', $metadata: { attempts: 2 } }));
    expect((await call('DELETE', '/users/alice', admin)).statusCode).toBe(204);
  });

  test('a user deleted by someone else between the lookup and the delete (first attempt) is a 404, not a 204 or a 500', async () => {
    cognito.on(AdminGetUserCommand).resolves({ Username: 'alice', UserAttributes: cognitoUser('alice', 'acme').Attributes });
    cognito.on(AdminDeleteUserCommand).rejects(new UserNotFoundException({ message: 'User does not exist.', $metadata: { attempts: 1 } }));
    const res = await call('DELETE', '/users/alice', admin);
    expect({ status: res.statusCode, body: res.json() }).toEqual({ status: 404, body: { message: 'User not found' } });
  });

  test('a user of another tenant is 404 and not deleted', async () => {
    cognito.on(AdminGetUserCommand).resolves({ Username: 'mallory', UserAttributes: cognitoUser('mallory', 'globex').Attributes });
    const res = await call('DELETE', '/users/mallory', admin);
    expect(res.statusCode).toBe(404);
    expect(cognito.commandCalls(AdminDeleteUserCommand)).toHaveLength(0);
  });

  test('a TenantUser may not delete users (403)', async () => {
    const res = await call('DELETE', '/users/alice', member);
    expect(res.statusCode).toBe(403);
    expect(cognito.calls()).toHaveLength(0);
  });

  test.each([
    ['by username', 'acme-admin', 'acme-admin'],
    ['by email', 'Admin@acme.example', 'acme-admin'],
    ['by an alias Cognito resolves to the caller', 'admin-alias', 'acme-admin'],
  ])('the caller cannot delete themself (%s): 400', async (_name, path, resolved) => {
    cognito.on(AdminGetUserCommand).resolves({ Username: resolved, UserAttributes: cognitoUser(resolved, 'acme').Attributes });
    const res = await call('DELETE', `/users/${encodeURIComponent(path)}`, admin);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ message: 'You cannot delete yourself' });
    expect(cognito.commandCalls(AdminDeleteUserCommand)).toHaveLength(0);
  });
});

describe('managing users: role, status, invitation', () => {
  const alice = () => cognito.on(AdminGetUserCommand).resolves({ Username: 'alice', UserAttributes: cognitoUser('alice', 'acme').Attributes, UserStatus: 'CONFIRMED', Enabled: true });

  test('a TenantAdmin changes another user\'s role: the role attribute only, and the user is answered with it', async () => {
    alice();
    cognito.on(AdminUpdateUserAttributesCommand).resolves({});
    const res = await call('PATCH', '/users/alice', admin, { role: 'TenantAdmin' });
    expect({ status: res.statusCode, role: res.json().role }).toEqual({ status: 200, role: 'TenantAdmin' });
    expect(cognito.commandCalls(AdminUpdateUserAttributesCommand)[0].args[0].input).toEqual({
      UserPoolId: POOL_ID, Username: 'alice', UserAttributes: [{ Name: 'custom:userRole', Value: 'TenantAdmin' }],
    });
  });

  test('nobody changes their own role or status: 400, and Cognito is not asked to', async () => {
    cognito.on(AdminGetUserCommand).resolves({ Username: 'acme-admin', UserAttributes: cognitoUser('acme-admin', 'acme').Attributes });
    for (const [method, url, body] of [['PATCH', '/users/acme-admin', { role: 'TenantUser' }], ['POST', '/users/admin%40acme.example/disable', undefined]] as const) {
      const res = await call(method, url, admin, body);
      expect(res.statusCode).toBe(400);
    }
    expect(cognito.commandCalls(AdminUpdateUserAttributesCommand)).toHaveLength(0);
    expect(cognito.commandCalls(AdminDisableUserCommand)).toHaveLength(0);
  });

  test('a TenantUser changes no role, not even their own (403); an unknown role is 400; another tenant\'s user is 404', async () => {
    expect((await call('PATCH', '/users/acme-member', member, { role: 'TenantAdmin' })).statusCode).toBe(403);
    expect((await call('PATCH', '/users/alice', admin, { role: 'SystemAdmin' })).statusCode).toBe(400);
    expect((await call('PATCH', '/users/alice', admin, { role: 'TenantUser', tenantId: 'globex' })).statusCode).toBe(400);
    cognito.on(AdminGetUserCommand).resolves({ Username: 'mallory', UserAttributes: cognitoUser('mallory', 'globex').Attributes });
    expect((await call('PATCH', '/users/mallory', admin, { role: 'TenantUser' })).statusCode).toBe(404);
    expect(cognito.commandCalls(AdminUpdateUserAttributesCommand)).toHaveLength(0);
  });

  test('a TenantAdmin disables and enables another user of the tenant', async () => {
    alice();
    cognito.on(AdminDisableUserCommand).resolves({});
    cognito.on(AdminEnableUserCommand).resolves({});
    const disabled = await call('POST', '/users/alice/disable', admin);
    expect({ status: disabled.statusCode, enabled: disabled.json().enabled }).toEqual({ status: 200, enabled: false });
    const enabled = await call('POST', '/users/alice/enable', admin);
    expect({ status: enabled.statusCode, enabled: enabled.json().enabled }).toEqual({ status: 200, enabled: true });
    expect(cognito.commandCalls(AdminDisableUserCommand)[0].args[0].input).toEqual({ UserPoolId: POOL_ID, Username: 'alice' });
    expect((await call('POST', '/users/alice/disable', member)).statusCode).toBe(403);
  });

  test('an invitation is resent to a user who never signed in (202); one who did is 409', async () => {
    cognito.on(AdminGetUserCommand).resolves({ Username: 'bob', UserAttributes: cognitoUser('bob', 'acme').Attributes, UserStatus: 'FORCE_CHANGE_PASSWORD' });
    cognito.on(AdminCreateUserCommand).resolves({});
    const resent = await call('POST', '/users/bob/invitation', admin);
    expect({ status: resent.statusCode, body: resent.json() }).toEqual({ status: 202, body: { username: 'bob', status: 'FORCE_CHANGE_PASSWORD' } });
    expect(cognito.commandCalls(AdminCreateUserCommand)[0].args[0].input).toEqual({
      // By email: a pool whose users sign in with their email takes nothing else here.
      UserPoolId: POOL_ID, Username: 'bob@example.com', MessageAction: 'RESEND', DesiredDeliveryMediums: ['EMAIL'],
    });
    alice();
    const done = await call('POST', '/users/alice/invitation', admin);
    expect({ status: done.statusCode, body: done.json() }).toEqual({ status: 409, body: { message: 'The user has already signed in: there is no invitation to resend' } });
  });
});
