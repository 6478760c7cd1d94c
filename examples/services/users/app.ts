/**
 * Users: a tenant's users in Cognito. A shared pool (many tenants) keeps each tenant's users in the group
 * `tenant-<tenantId>`; a tenant's own pool holds only that tenant. Either way every user returned, changed or
 * deleted must carry `custom:tenantId` equal to the caller's tenant (an immutable attribute set at creation from the
 * caller's verified token), so a misfiled user or a guessed username never crosses tenants.
 */
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminUpdateUserAttributesCommand,
  AttributeType,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  ListUsersCommand,
  ListUsersInGroupCommand,
  UserType,
} from '@aws-sdk/client-cognito-identity-provider';
import type { FastifyInstance } from 'fastify';
import { TENANT_ADMIN_ROLE, TENANT_CLAIMS, tenantGroupName } from '../../../src/runtime';
import { claimsOf, createServiceApp, logKeys, requireRole, ServiceAppOptions } from '../common/app';
import { Role, ROLES } from '../common/auth';
import { badRequest, HttpError, isErrorNamed, isOwnRetryOf, notFound } from '../common/errors';
import { LIST_QUERY_SCHEMA, ListQuery, pageSize, unwrapToken, wrapToken } from '../common/pagination';

export interface UsersDeps extends ServiceAppOptions {
  readonly cognito: CognitoIdentityProviderClient;
  /** The pool the service manages (the one whose tokens it trusts). */
  readonly userPoolId: string;
  /** The pool holds many tenants: users are listed through the tenant's group and added to it. */
  readonly sharedPool: boolean;
}

export interface UserInput {
  readonly email: string;
  readonly role: Role;
}

/** A user as the API shows it. */
export interface User {
  readonly username: string;
  readonly email?: string;
  readonly role?: string;
  readonly tenantId: string;
  readonly tier?: string;
  readonly status?: string;
  readonly enabled?: boolean;
  readonly createdAt?: string;
}

export const USER_BODY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['email', 'role'],
  properties: {
    email: { type: 'string', format: 'email', maxLength: 254 },
    role: { type: 'string', enum: ROLES },
  },
} as const;

export const ROLE_BODY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['role'],
  properties: { role: { type: 'string', enum: ROLES } },
} as const;

const USERNAME_PARAMS_SCHEMA = {
  type: 'object',
  required: ['username'],
  properties: { username: { type: 'string', minLength: 1, maxLength: 128, pattern: '^\\S+$' } },
} as const;


/** The users service. */
export function createUsersApp(deps: UsersDeps): FastifyInstance {
  const app = createServiceApp(deps);
  const { cognito, userPoolId: UserPoolId, sharedPool, logger } = deps;
  const adminOnly = requireRole(TENANT_ADMIN_ROLE);

  /** The user, if it exists and belongs to `tenantId`; otherwise undefined (the caller answers 404 either way). */
  const userOf = async (tenantId: string, username: string): Promise<User | undefined> => {
    try {
      const user = await cognito.send(new AdminGetUserCommand({ UserPoolId, Username: username }));
      const shown = toUser({ ...user, Attributes: user.UserAttributes });
      return shown?.tenantId === tenantId ? shown : undefined;
    } catch (e) {
      if (isErrorNamed(e, 'UserNotFoundException')) {
        return undefined;
      }
      throw e;
    }
  };

  /** Adds the user to its tenant's group, creating the group the first time. */
  const addToTenantGroup = async (tenantId: string, username: string) => {
    const add = new AdminAddUserToGroupCommand({ UserPoolId, Username: username, GroupName: tenantGroupName(tenantId) });
    try {
      await cognito.send(add);
    } catch (e) {
      if (!isErrorNamed(e, 'ResourceNotFoundException')) {
        throw e;
      }
      try {
        await cognito.send(new CreateGroupCommand({ UserPoolId, GroupName: tenantGroupName(tenantId), Description: `Users of tenant ${tenantId}` }));
      } catch (created) {
        if (!isErrorNamed(created, 'GroupExistsException')) {
          throw created;
        }
      }
      await cognito.send(add);
    }
  };

  app.get<{ Querystring: ListQuery }>('/users', { schema: { querystring: LIST_QUERY_SCHEMA } }, async (request) => {
    const { tenantId } = claimsOf(request);
    const Limit = pageSize(request.query, 60, 60);
    const token = unwrapToken(request.query.nextToken);
    let users: UserType[] = [];
    let next: string | undefined;
    if (sharedPool) {
      try {
        const page = await cognito.send(new ListUsersInGroupCommand({ UserPoolId, GroupName: tenantGroupName(tenantId), Limit, NextToken: token }));
        users = page.Users ?? [];
        next = page.NextToken;
      } catch (e) {
        // No group yet: the tenant has no users in this pool.
        if (!isErrorNamed(e, 'ResourceNotFoundException')) {
          throw e;
        }
      }
    } else {
      const page = await cognito.send(new ListUsersCommand({ UserPoolId, Limit, PaginationToken: token }));
      users = page.Users ?? [];
      next = page.PaginationToken;
    }
    // Defence in depth: only users whose tenant attribute is the caller's, whatever the group or pool holds.
    const items = users.map(toUser).filter((u): u is User => u?.tenantId === tenantId);
    const nextToken = wrapToken(next);
    return { items, ...(nextToken ? { nextToken } : {}) };
  });

  app.post<{ Body: UserInput }>('/users', { onRequest: adminOnly, schema: { body: USER_BODY_SCHEMA } }, async (request, reply) => {
    const caller = claimsOf(request);
    const { email, role } = request.body;
    let created: UserType | undefined;
    try {
      created = (await cognito.send(new AdminCreateUserCommand({
        UserPoolId,
        Username: email,
        DesiredDeliveryMediums: ['EMAIL'],
        UserAttributes: [
          { Name: 'email', Value: email },
          { Name: 'email_verified', Value: 'true' },
          // The tenant and tier come from the caller's verified token, never from the request.
          { Name: TENANT_CLAIMS.tenantId, Value: caller.tenantId },
          { Name: TENANT_CLAIMS.tier, Value: caller.tier },
          { Name: TENANT_CLAIMS.role, Value: role },
        ],
      }))).User;
    } catch (e) {
      // A retry of the SDK's own that finds the user: an earlier attempt created it and its answer was lost. The user
      // is this request's if it is of the caller's tenant, with the role asked for.
      const own = isOwnRetryOf(e, 'UsernameExistsException') ? await userOf(caller.tenantId, email) : undefined;
      if (own?.role === role) {
        created = { Username: own.username, UserStatus: own.status as UserType['UserStatus'], Enabled: own.enabled, UserCreateDate: own.createdAt ? new Date(own.createdAt) : undefined };
      } else if (isErrorNamed(e, 'UsernameExistsException')) {
        // Do not say which tenant has it.
        throw new HttpError(409, 'A user with this email already exists');
      } else {
        throw e;
      }
    }
    const username = created?.Username ?? email;
    if (sharedPool) {
      try {
        await addToTenantGroup(caller.tenantId, username);
      } catch (e) {
        // A user outside the tenant's group would be invisible to the tenant: undo the creation.
        logger.error('adding the new user to the tenant group failed; deleting the user', { ...logKeys(request), username, error: e as Error });
        await cognito.send(new AdminDeleteUserCommand({ UserPoolId, Username: username }));
        throw e;
      }
    }
    logger.info('user created', { ...logKeys(request), username, userRole: role });
    const user: User = {
      username,
      email,
      role,
      tenantId: caller.tenantId,
      tier: caller.tier,
      status: created?.UserStatus,
      enabled: created?.Enabled,
      createdAt: created?.UserCreateDate?.toISOString(),
    };
    return reply.code(201).send(user);
  });

  app.get<{ Params: { username: string } }>('/users/:username', { schema: { params: USERNAME_PARAMS_SCHEMA } }, async (request) => {
    const user = await userOf(claimsOf(request).tenantId, request.params.username);
    if (!user) {
      throw notFound('User');
    }
    return user;
  });

  app.delete<{ Params: { username: string } }>(
    '/users/:username',
    { onRequest: adminOnly, schema: { params: USERNAME_PARAMS_SCHEMA } },
    async (request, reply) => {
      const caller = claimsOf(request);
      const { username } = request.params;
      const self = (name: string) => name === caller.username || (caller.email !== undefined && name.toLowerCase() === caller.email.toLowerCase());
      if (self(username)) {
        throw badRequest('You cannot delete yourself');
      }
      const user = await userOf(caller.tenantId, username);
      if (!user) {
        throw notFound('User');
      }
      // The path may name the user by an alias (its email): compare the resolved user too.
      if (self(user.username)) {
        throw badRequest('You cannot delete yourself');
      }
      try {
        await cognito.send(new AdminDeleteUserCommand({ UserPoolId, Username: user.username }));
      } catch (e) {
        // A retry of the SDK's own that finds the user gone: an earlier attempt deleted it, its answer lost. On the
        // first attempt, someone else deleted it since the lookup.
        if (!isOwnRetryOf(e, 'UserNotFoundException')) {
          throw isErrorNamed(e, 'UserNotFoundException') ? notFound('User') : e;
        }
      }
      logger.info('user deleted', { ...logKeys(request), username: user.username });
      return reply.code(204).send();
    },
  );

  /**
   * The user named in the path, of the caller's tenant, and not the caller: an administrator changes other users, never
   * their own role or status (nothing lets a user raise their own role, or lock themself out by mistake).
   */
  const otherUserOf = async (request: Parameters<typeof claimsOf>[0], username: string, what: string): Promise<User> => {
    const caller = claimsOf(request);
    const self = (name: string) => name === caller.username || (caller.email !== undefined && name.toLowerCase() === caller.email.toLowerCase());
    if (self(username)) {
      throw badRequest(`You cannot ${what} yourself`);
    }
    const user = await userOf(caller.tenantId, username);
    if (!user) {
      throw notFound('User');
    }
    if (self(user.username)) {
      throw badRequest(`You cannot ${what} yourself`);
    }
    return user;
  };

  app.patch<{ Params: { username: string }; Body: { role: Role } }>(
    '/users/:username',
    { onRequest: adminOnly, schema: { params: USERNAME_PARAMS_SCHEMA, body: ROLE_BODY_SCHEMA } },
    async (request) => {
      const user = await otherUserOf(request, request.params.username, 'change the role of');
      const { role } = request.body;
      await cognito.send(new AdminUpdateUserAttributesCommand({
        UserPoolId,
        Username: user.username,
        UserAttributes: [{ Name: TENANT_CLAIMS.role, Value: role }],
      }));
      logger.info('user role changed', { ...logKeys(request), username: user.username, from: user.role, userRole: role });
      // The user's tokens carry the old role until they expire or are refreshed.
      return { ...user, role };
    },
  );

  for (const [action, enabled] of [['disable', false], ['enable', true]] as const) {
    app.post<{ Params: { username: string } }>(
      `/users/:username/${action}`,
      { onRequest: adminOnly, schema: { params: USERNAME_PARAMS_SCHEMA } },
      async (request) => {
        const user = await otherUserOf(request, request.params.username, action);
        await cognito.send(enabled
          ? new AdminEnableUserCommand({ UserPoolId, Username: user.username })
          : new AdminDisableUserCommand({ UserPoolId, Username: user.username }));
        logger.info(`user ${action}d`, { ...logKeys(request), username: user.username });
        return { ...user, enabled };
      },
    );
  }

  app.post<{ Params: { username: string } }>(
    '/users/:username/invitation',
    { onRequest: adminOnly, schema: { params: USERNAME_PARAMS_SCHEMA } },
    async (request, reply) => {
      const user = await userOf(claimsOf(request).tenantId, request.params.username);
      if (!user) {
        throw notFound('User');
      }
      // Cognito resends the invitation (a new temporary password) only to a user who has never signed in.
      if (user.status !== 'FORCE_CHANGE_PASSWORD') {
        throw new HttpError(409, 'The user has already signed in: there is no invitation to resend');
      }
      // A pool whose users sign in with their email takes only the email here (as at creation), not the username.
      await cognito.send(new AdminCreateUserCommand({ UserPoolId, Username: user.email ?? user.username, MessageAction: 'RESEND', DesiredDeliveryMediums: ['EMAIL'] }));
      logger.info('invitation resent', { ...logKeys(request), username: user.username });
      return reply.code(202).send({ username: user.username, status: user.status });
    },
  );

  return app;
}

/** The API's view of a Cognito user; undefined for a user without a tenant (never shown). */
function toUser(u: UserType): User | undefined {
  const attribute = (name: string) => u.Attributes?.find((a: AttributeType) => a.Name === name)?.Value;
  const tenantId = attribute(TENANT_CLAIMS.tenantId);
  if (!u.Username || !tenantId) {
    return undefined;
  }
  return {
    username: u.Username,
    email: attribute('email'),
    role: attribute(TENANT_CLAIMS.role),
    tenantId,
    tier: attribute(TENANT_CLAIMS.tier),
    status: u.UserStatus,
    enabled: u.Enabled,
    createdAt: u.UserCreateDate?.toISOString(),
  };
}
