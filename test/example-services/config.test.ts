import Fastify from 'fastify';
import { ConfigError, Env } from '../../examples/services/common/config';
import { runService, ServiceProcess } from '../../examples/services/common/server';
import { loadOrdersConfig } from '../../examples/services/orders/config';
import { loadProductsConfig } from '../../examples/services/products/config';
import { loadUsersConfig } from '../../examples/services/users/config';

/**
 * Start-up configuration: the environment the CDK app sets. A missing or wrong variable stops the service at
 * start-up with a message naming it.
 */
const BASE: Env = {
  USER_POOL_ID: 'us-east-1_AbC123',
  APP_CLIENT_IDS: '1example23456789abcdefghij, 2example23456789abcdefghij',
  PRODUCTS_TABLE_NAME: 'Products-Pooled',
  ORDERS_TABLE_NAME: 'Orders-Pooled',
  IDEMPOTENCY_TABLE_NAME: 'Idempotency-Pooled',
  USER_POOL_SHARED: 'true',
};

describe('the issuer a service trusts', () => {
  test('is the user pool by default, or another OpenID Connect issuer with its own keys', () => {
    expect(loadProductsConfig(BASE)).toMatchObject({ tokenIssuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123', jwksUri: undefined });
    expect(loadProductsConfig({ ...BASE, TOKEN_ISSUER: 'https://login.example.com', JWKS_URI: 'https://login.example.com/keys' }))
      .toMatchObject({ tokenIssuer: 'https://login.example.com', jwksUri: 'https://login.example.com/keys' });
  });

  test('another issuer\'s audiences need not look like Cognito client ids; a Cognito pool\'s must', () => {
    expect(loadProductsConfig({ ...BASE, TOKEN_ISSUER: 'https://login.example.com/', APP_CLIENT_IDS: 'saas-app,urn:example:app' }))
      .toMatchObject({ tokenIssuer: 'https://login.example.com', appClientIds: ['saas-app', 'urn:example:app'] });
    expect(() => loadProductsConfig({ ...BASE, APP_CLIENT_IDS: 'saas-app' })).toThrow("APP_CLIENT_IDS holds 'saas-app', which is not a Cognito app client id");
  });

  test.each([['TOKEN_ISSUER', 'http://login.example.com'], ['JWKS_URI', 'https://login.example.com/keys?x=1']])('%s must be an https URL: %s is refused', (name, value) => {
    expect(() => loadProductsConfig({ ...BASE, [name]: value })).toThrow(`${name} must be an https URL without query or fragment; got '${value}'`);
  });
});

describe('products', () => {
  test('reads the contract, with the defaults', () => {
    expect(loadProductsConfig(BASE)).toEqual({
      serviceName: 'products',
      port: 3010,
      metricsNamespace: 'EcsSaas',
      region: undefined,
      userPoolId: 'us-east-1_AbC123',
      appClientIds: ['1example23456789abcdefghij', '2example23456789abcdefghij'],
      tokenIssuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123',
      jwksUri: undefined,
      tenantId: undefined,
      tierName: undefined,
      productsTableName: 'Products-Pooled',
      idempotencyTableName: 'Idempotency-Pooled',
    });
  });

  test('reads the optional variables', () => {
    const config = loadProductsConfig({
      ...BASE,
      PORT: '8080',
      POWERTOOLS_SERVICE_NAME: 'products-acme',
      POWERTOOLS_METRICS_NAMESPACE: 'Saas',
      AWS_REGION: 'eu-west-1',
      TENANT_ID: 'acme',
      TIER_NAME: 'premium',
    });
    expect(config).toMatchObject({ port: 8080, serviceName: 'products-acme', metricsNamespace: 'Saas', region: 'eu-west-1', tenantId: 'acme', tierName: 'premium' });
  });

  test('fails with a clear message when USER_POOL_ID is missing', () => {
    const { USER_POOL_ID: _, ...env } = BASE;
    expect(() => loadProductsConfig(env)).toThrow(ConfigError);
    expect(() => loadProductsConfig(env)).toThrow(
      'The products service cannot start: USER_POOL_ID is not set (the id of the Cognito user pool whose id tokens this service trusts, such as us-east-1_AbC123).',
    );
    expect(() => loadProductsConfig({ ...BASE, USER_POOL_ID: '  ' })).toThrow(/USER_POOL_ID is not set/);
  });

  test('names every problem at once', () => {
    let message = '';
    try {
      loadProductsConfig({ PORT: '70000', TENANT_ID: 'Acme!' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^The products service cannot start: /);
    for (const name of ['PORT must be a whole number', 'USER_POOL_ID is not set', 'APP_CLIENT_IDS is not set', 'TENANT_ID must be', 'PRODUCTS_TABLE_NAME is not set']) {
      expect(message).toContain(name);
    }
  });

  test.each<[string, Env, RegExp]>([
    ['a pool id without a region', { USER_POOL_ID: 'AbC123' }, /USER_POOL_ID must look like <region>_<id>/],
    ['an empty client list', { APP_CLIENT_IDS: ' , ' }, /APP_CLIENT_IDS names no app client/],
    ['a client id with a space', { APP_CLIENT_IDS: 'client a' }, /'client a', which is not a Cognito app client id/],
    ['a port that is not a number', { PORT: 'http' }, /PORT must be a whole number from 1 to 65535; got 'http'/],
    ['a table name with a slash', { PRODUCTS_TABLE_NAME: 'a/b' }, /PRODUCTS_TABLE_NAME must be a DynamoDB table name/],
  ])('refuses %s', (_name, change, message) => {
    expect(() => loadProductsConfig({ ...BASE, ...change })).toThrow(message);
  });
});

describe('orders', () => {
  test('reads its three tables, port 3020 by default', () => {
    expect(loadOrdersConfig(BASE)).toMatchObject({
      serviceName: 'orders', port: 3020, ordersTableName: 'Orders-Pooled', productsTableName: 'Products-Pooled', idempotencyTableName: 'Idempotency-Pooled',
    });
  });

  test('needs its three tables and USER_POOL_ID', () => {
    const { ORDERS_TABLE_NAME: _o, PRODUCTS_TABLE_NAME: _p, IDEMPOTENCY_TABLE_NAME: _i, USER_POOL_ID: _u, ...env } = BASE;
    expect(() => loadOrdersConfig(env)).toThrow(
      /^The orders service cannot start: USER_POOL_ID is not set.*ORDERS_TABLE_NAME is not set.*PRODUCTS_TABLE_NAME is not set.*IDEMPOTENCY_TABLE_NAME is not set \(the idempotency table \(Idempotency-Key on POST\)\)/,
    );
  });
});

describe('users', () => {
  test('reads USER_POOL_SHARED, port 3030 by default', () => {
    expect(loadUsersConfig(BASE)).toMatchObject({ serviceName: 'users', port: 3030, sharedPool: true });
    expect(loadUsersConfig({ ...BASE, USER_POOL_SHARED: 'false' }).sharedPool).toBe(false);
  });

  test('needs USER_POOL_SHARED to be true or false', () => {
    const { USER_POOL_SHARED: _, ...env } = BASE;
    expect(() => loadUsersConfig(env)).toThrow(/USER_POOL_SHARED is not set/);
    expect(() => loadUsersConfig({ ...BASE, USER_POOL_SHARED: 'yes' })).toThrow("USER_POOL_SHARED must be 'true' or 'false'; got 'yes'");
  });

  test('fails with a clear message when USER_POOL_ID is missing', () => {
    const { USER_POOL_ID: _, ...env } = BASE;
    expect(() => loadUsersConfig(env)).toThrow(/^The users service cannot start: USER_POOL_ID is not set/);
  });
});

describe('runService', () => {
  function fakeProcess(env: Env) {
    const written: string[] = [];
    const proc: ServiceProcess & { exit: jest.Mock; once: jest.Mock } = {
      env,
      exit: jest.fn(),
      once: jest.fn(),
      stderr: { write: (text: string) => written.push(text) },
    };
    return { proc, written };
  }

  test('a configuration problem ends the process with status 1 and the message on stderr, before anything is built', async () => {
    const { USER_POOL_ID: _, ...env } = BASE;
    const { proc, written } = fakeProcess(env);
    const build = jest.fn(() => Fastify());
    await expect(runService(loadProductsConfig, build, proc)).resolves.toBeUndefined();
    expect(proc.exit).toHaveBeenCalledWith(1);
    expect(written.join('')).toMatch(/^The products service cannot start: USER_POOL_ID is not set/);
    expect(build).not.toHaveBeenCalled();
    expect(proc.once).not.toHaveBeenCalled();
  });

  test('a failure to build the application (such as missing scoping variables) ends the process with status 1', async () => {
    const { proc } = fakeProcess(BASE);
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await runService(loadProductsConfig, () => {
        throw new Error('SCOPED_DYNAMO_SCOPING must be SESSION_TAGS, SESSION_POLICY or FIXED_TENANT');
      }, proc);
      expect(proc.exit).toHaveBeenCalledWith(1);
      expect(stderr.mock.calls.map((c) => String(c[0])).join('')).toContain('SCOPED_DYNAMO_SCOPING must be');
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
  });
});
