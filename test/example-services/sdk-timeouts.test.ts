import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { cognitoIdTokenVerifier } from '../../examples/services/common/auth';
import { SDK_REQUEST_HANDLER } from '../../examples/services/common/aws';
import { createUsersApp } from '../../examples/services/users/app';
import { TestUserPool } from '../util/jwt';
import { OutputCapture, testTelemetry } from '../util/services';

/**
 * The AWS SDK clients the services make themselves (the users service's Cognito client) time out as the runtime
 * helper's do: a held connection is a 503 after the request timeout, not a request that waits for ever.
 */
const output = new OutputCapture();
beforeAll(() => output.start());
afterAll(() => output.stop());

test('the users service\'s process gives its Cognito client the shared timeouts', () => {
  const main = fs.readFileSync(path.join(__dirname, '..', '..', 'examples', 'services', 'users', 'main.ts'), 'utf8');
  expect(main).toContain('new CognitoIdentityProviderClient({ requestHandler: SDK_REQUEST_HANDLER })');
  expect(SDK_REQUEST_HANDLER).toEqual({ connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true });
});

test('with those settings, Cognito holding the connection is a 503 with Retry-After after the request timeout', async () => {
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const pool = await TestUserPool.create('us-east-1_held');
  const app = createUsersApp({
    ...testTelemetry('users'),
    verifier: cognitoIdTokenVerifier(pool.userPoolId, pool.appClientIds, pool.jwksCache()),
    cognito: new CognitoIdentityProviderClient({
      requestHandler: SDK_REQUEST_HANDLER,
      endpoint: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      maxAttempts: 1,
    }),
    userPoolId: 'us-east-1_held',
    sharedPool: false,
  });
  try {
    const token = await pool.idToken({ tenantId: 'acme', tier: 'advanced', role: 'TenantAdmin' });
    const started = Date.now();
    const res = await app.inject({ method: 'GET', url: '/users', headers: { authorization: `Bearer ${token}` } });
    const elapsed = Date.now() - started;
    expect({ status: res.statusCode, retryAfter: res.headers['retry-after'] }).toEqual({ status: 503, retryAfter: '5' });
    expect(elapsed).toBeGreaterThanOrEqual(SDK_REQUEST_HANDLER.requestTimeout);
    expect(elapsed).toBeLessThan(SDK_REQUEST_HANDLER.requestTimeout + 2_000);
    expect(sockets).toHaveLength(1);
  } finally {
    await app.close();
    sockets.forEach((s) => s.destroy());
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
