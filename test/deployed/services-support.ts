/**
 * What the as-deployed tests of the example's services (and the services' benchmark) share: a request through a
 * service group's proxy, and tokens of the issuers the groups trust.
 */
import * as http from 'http';
import { APPLICATION_PLANE, logicalId } from './example';
import type { LocalEnvironment, LocalServiceGroup } from '../../local/environment';
import { createUser, LocalOidcIssuer, signIn } from '../../local/identity';
import { TokenIssuer } from '../../src';

export interface ProxyAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** One request through the group's proxy (port 80 of its network); the raw path is sent as written. */
export function request(
  group: LocalServiceGroup,
  method: string,
  rawPath: string,
  o: { token?: string; body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<ProxyAnswer> {
  return requestAt(`http://${group.network.taskIp}`, method, rawPath, o);
}

/**
 * One request to a base URL (an API stage, a task's address) with a JSON body and a bearer token; the raw path, after
 * the base URL's path, is sent as written.
 */
export function requestAt(
  baseUrl: string,
  method: string,
  rawPath: string,
  o: { token?: string; body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<ProxyAnswer> {
  const base = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: base.hostname,
      port: base.port,
      method,
      path: `${base.pathname.replace(/\/$/, '')}${rawPath}`,
      headers: {
        ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
        ...(o.body !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(o.body) } : {}),
        ...o.headers,
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

/** A signed-in administrator of a tenant, in the Cognito pool its services trust. */
export async function adminToken(env: LocalEnvironment, pool: { node: any; appClient: any }, tenantId: string, tier: string): Promise<string> {
  const stack = env.stack(APPLICATION_PLANE);
  const poolId = (await stack.resource(logicalId(pool as any))).ref;
  const clientId = (await stack.resource(logicalId(pool.appClient))).ref;
  const username = `admin@${tenantId}.example.com`;
  await createUser(env.admin.cognito, poolId, {
    username,
    attributes: { 'email': username, 'custom:tenantId': tenantId, 'custom:tenantTier': tier, 'custom:userRole': 'TenantAdmin' },
  });
  return (await signIn(env.admin.cognito, poolId, clientId, username)).idToken;
}

/** A signed-in user of a tenant provisioned at run time, in the user pool its stack outputs. */
export async function provisionedTenantToken(
  stack: { output(name: string): Promise<unknown> },
  env: LocalEnvironment,
  tenantId: string,
  tier: string,
): Promise<string> {
  const poolId = String(await stack.output('UserPoolId'));
  const clientId = String(await stack.output('AppClientId'));
  const username = `user@${tenantId}.example.com`;
  await createUser(env.admin.cognito, poolId, {
    username,
    attributes: { 'email': username, 'custom:tenantId': tenantId, 'custom:tenantTier': tier, 'custom:userRole': 'TenantAdmin' },
  });
  return (await signIn(env.admin.cognito, poolId, clientId, username)).idToken;
}

/**
 * The OpenID Connect issuer (not Cognito) the basic tier trusts in these tests: the example's `sharedIssuer`, whose
 * keys the local IAM gate publishes at `https://aws.local<jwksPath>`.
 */
export const LOCAL_OIDC = { issuerUrl: 'https://login.example.com', audience: 'saas-app', jwksPath: '/login-example/jwks.json' } as const;

/** The example's `sharedIssuer` for LOCAL_OIDC. */
export function localOidcSharedIssuer(): TokenIssuer {
  return TokenIssuer.oidc({ issuerUrl: LOCAL_OIDC.issuerUrl, audiences: [LOCAL_OIDC.audience], jwksUri: `https://aws.local${LOCAL_OIDC.jwksPath}` });
}

/** LOCAL_OIDC, its keys published by the environment's gate. */
export function startLocalOidc(env: LocalEnvironment): LocalOidcIssuer {
  return new LocalOidcIssuer(LOCAL_OIDC.issuerUrl, LOCAL_OIDC.jwksPath, env.gate);
}

/** An administrator of a tenant, signed in at LOCAL_OIDC. */
export function oidcAdminToken(oidc: LocalOidcIssuer, tenantId: string, tier: string): Promise<string> {
  return oidc.sign(LOCAL_OIDC.audience, `admin-${tenantId}`, {
    'email': `admin@${tenantId}.example.com`, 'custom:tenantId': tenantId, 'custom:tenantTier': tier, 'custom:userRole': 'TenantAdmin',
  });
}
