import * as net from 'net';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { AssumeRoleCommand, AssumeRoleCommandInput, STSClient } from '@aws-sdk/client-sts';
import { App, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { ScopedDynamoAccess, TenantScoping } from '../src';
import { TenantScopedDynamo } from '../src/runtime';

const sts = mockClient(STSClient);
const ROLE = 'arn:aws:iam::111111111111:role/Access';
const HOUR = 3_600_000;

let clock = 0;
const now = () => clock;

/** STS stand-in: credentials valid for one hour from the fake clock, named after the session. */
function answerAssumeRole(delayMs = 0) {
  sts.on(AssumeRoleCommand).callsFake(async (input: AssumeRoleCommandInput) => {
    if (delayMs) {
      await new Promise((r) => setTimeout(r, delayMs));
    }
    return {
      Credentials: {
        AccessKeyId: `AKIA-${input.RoleSessionName}-${clock}`,
        SecretAccessKey: 'secret',
        SessionToken: 'token',
        Expiration: new Date(clock + HOUR),
      },
    };
  });
}

function sessionTags(options: Partial<ConstructorParameters<typeof TenantScopedDynamo>[0]> = {}) {
  return new TenantScopedDynamo({
    scoping: 'SESSION_TAGS',
    roleArn: ROLE,
    tagKey: 'TenantId',
    sts: new STSClient({ region: 'us-east-1' }),
    now,
    ...options,
  });
}

beforeEach(() => {
  sts.reset();
  clock = 1_000_000;
  answerAssumeRole();
});

test('one AssumeRole per tenant per credential lifetime, whatever the number of requests', async () => {
  const scoped = sessionTags();
  for (let i = 0; i < 1000; i++) {
    await scoped.credentials(['alpha', 'beta', 'gamma'][i % 3]);
  }
  expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(3);
  expect(scoped.stats).toEqual({ stsCalls: 3, cacheHits: 997, sharedCalls: 0, staleOnError: 0 });
});

test('the session carries the tenant tag and a session name naming the tenant', async () => {
  await sessionTags().credentials('alpha');
  expect(sts.commandCalls(AssumeRoleCommand)[0].args[0].input).toEqual({
    RoleArn: ROLE,
    RoleSessionName: 'tenant-alpha',
    DurationSeconds: 3600,
    Tags: [{ Key: 'TenantId', Value: 'alpha' }],
  });
});

test('credentials are renewed shortly before they expire, not after', async () => {
  const scoped = sessionTags({ refreshMarginMs: 300_000 });
  const first = await scoped.credentials('alpha');
  clock += HOUR - 300_000 - 1; // just inside the fresh window
  expect(await scoped.credentials('alpha')).toBe(first);
  clock += 2; // inside the refresh margin
  const second = await scoped.credentials('alpha');
  expect(second).not.toBe(first);
  expect(second.expiration.getTime()).toBe(clock + HOUR);
  expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
});

test('concurrent requests for one tenant share a single AssumeRole call', async () => {
  sts.reset();
  answerAssumeRole(20);
  const scoped = sessionTags();
  const results = await Promise.all([...Array(50)].map(() => scoped.credentials('alpha')));
  expect(new Set(results).size).toBe(1);
  expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
  expect(scoped.stats.sharedCalls).toBe(49);
});

test('an STS error reaches every waiting caller with the tenant and role, and is not cached', async () => {
  sts.reset();
  sts.on(AssumeRoleCommand).rejectsOnce(new Error('AccessDenied: not authorized to perform sts:TagSession'));
  const scoped = sessionTags();
  const calls = [scoped.credentials('alpha'), scoped.credentials('alpha')];
  for (const call of calls) {
    await expect(call).rejects.toThrow(
      `AssumeRole for tenant 'alpha' on ${ROLE} failed: AccessDenied: not authorized to perform sts:TagSession`,
    );
  }
  answerAssumeRole();
  await expect(scoped.credentials('alpha')).resolves.toMatchObject({ secretAccessKey: 'secret' });
  expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
});

test('a response without credentials is an error', async () => {
  sts.reset();
  sts.on(AssumeRoleCommand).resolves({});
  await expect(sessionTags().credentials('alpha')).rejects.toThrow("AssumeRole for tenant 'alpha' returned no credentials.");
});

test.each(['Alpha', 'alpha beta', '', '../x', 'a'.repeat(37)])('refuses an invalid tenant id (%s) before calling STS', async (id) => {
  const scoped = sessionTags();
  await expect(scoped.credentials(id)).rejects.toThrow('tenantId must be 1 to 36 characters');
  expect(() => scoped.client(id)).toThrow('tenantId must be 1 to 36 characters');
  expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
});

test('the cache holds at most maxCachedTenants tenants, least recently used out first', async () => {
  const scoped = sessionTags({ maxCachedTenants: 2 });
  await scoped.credentials('alpha');
  await scoped.credentials('beta');
  await scoped.credentials('alpha'); // alpha is now the most recent
  await scoped.credentials('gamma'); // evicts beta
  await scoped.credentials('alpha');
  expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(3);
  await scoped.credentials('beta');
  expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(4);
});

test('client() returns one client per tenant, each with its own tenant\'s credentials, sharing one HTTP handler', async () => {
  const scoped = sessionTags({ clientConfig: { region: 'us-east-1' } });
  const alpha = scoped.client('alpha');
  const beta = scoped.client('beta');
  expect(scoped.client('alpha')).toBe(alpha);
  expect(beta).not.toBe(alpha);
  expect((await alpha.config.credentials()).accessKeyId).toBe('AKIA-tenant-alpha-1000000');
  expect((await beta.config.credentials()).accessKeyId).toBe('AKIA-tenant-beta-1000000');
  expect(beta.config.requestHandler).toBe(alpha.config.requestHandler);
  expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
});

test('a failed refresh keeps serving credentials that are still valid, and an expired tenant gets the error', async () => {
  const scoped = sessionTags();
  const first = await scoped.credentials('alpha');
  clock += HOUR - 60_000; // inside the refresh margin, one minute before expiry
  sts.reset();
  sts.on(AssumeRoleCommand).rejects(new Error('Throttling: Rate exceeded'));
  expect(await scoped.credentials('alpha')).toBe(first);
  expect(scoped.stats.staleOnError).toBe(1);
  clock += 120_000; // now expired
  await expect(scoped.credentials('alpha')).rejects.toThrow("AssumeRole for tenant 'alpha' on " + ROLE + ' failed: Throttling: Rate exceeded');
});

test.each([
  [{ maxCachedTenants: 0 }, 'maxCachedTenants must be a whole number of at least 1; got 0.'],
  [{ maxCachedTenants: -1 }, 'maxCachedTenants must be a whole number of at least 1; got -1.'],
  [{ sessionDurationSeconds: 7200 }, 'sessionDurationSeconds must be a whole number from 900 to 3600; got 7200.'],
  [{ refreshMarginMs: 3_600_000 }, 'refreshMarginMs must be at least 0 and less than the session (3600000 ms); got 3600000.'],
])('refuses invalid options %j', (options, message) => {
  expect(() => sessionTags(options)).toThrow(message);
});

test.each([
  ['no placeholder', '{"Version":"2012-10-17","Statement":[]}'],
  ['the placeholder only as an object key, which is never replaced', '{"Version":"2012-10-17","Statement":[{"Condition":{"<<tenant-id>>":"x"}}]}'],
  ['the placeholder only inside a longer string', '{"Version":"2012-10-17","Statement":[{"Resource":"arn:<<tenant-id>>"}]}'],
])('refuses a session-policy template with %s', (_what, sessionPolicyTemplate) => {
  expect(
    () => new TenantScopedDynamo({ scoping: 'SESSION_POLICY', roleArn: ROLE, sessionPolicyTemplate }),
  ).toThrow('sessionPolicyTemplate has no <<tenant-id>> placeholder: it would not scope sessions to a tenant.');
});

describe('session policies', () => {
  test('passes the policy rendered by ScopedDynamoAccess for the tenant, with no tags', async () => {
    const stack = new Stack(new App(), 'S');
    const table = dynamodb.Table.fromTableArn(stack, 'T', 'arn:aws:dynamodb:us-east-1:111111111111:table/products');
    const role = new iam.Role(stack, 'R', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    const access = new ScopedDynamoAccess(stack, 'A', {
      grantee: role,
      pooledTables: [{ table }],
      scoping: TenantScoping.SESSION_POLICY,
    });
    const env = stack.resolve(access.environment);
    const scoped = TenantScopedDynamo.fromEnvironment({ ...env, SCOPED_DYNAMO_ROLE_ARN: ROLE }, { sts: new STSClient({}), now });
    await scoped.credentials('alpha');
    const input = sts.commandCalls(AssumeRoleCommand)[0].args[0].input;
    expect(input.Tags).toBeUndefined();
    expect(JSON.parse(input.Policy!)).toEqual(stack.resolve(access.renderSessionPolicy('alpha').toJSON()));
  });
});

describe('fixed tenant', () => {
  const scoped = new TenantScopedDynamo({ scoping: 'FIXED_TENANT', tenantId: 'acme', clientConfig: { region: 'us-east-1' } });

  test('serves its own tenant with one client and no STS call', () => {
    expect(scoped.client('acme')).toBe(scoped.client('acme'));
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  test('refuses any other tenant', () => {
    expect(() => scoped.client('other')).toThrow("This service serves tenant 'acme' only; got 'other'.");
  });
});

describe('fromEnvironment', () => {
  test('reads what ScopedDynamoAccess.addToContainer sets', async () => {
    const scoped = TenantScopedDynamo.fromEnvironment(
      { SCOPED_DYNAMO_SCOPING: 'SESSION_TAGS', SCOPED_DYNAMO_ROLE_ARN: ROLE, SCOPED_DYNAMO_TAG_KEY: 'tenant' },
      { sts: new STSClient({}), now },
    );
    await scoped.credentials('alpha');
    expect(sts.commandCalls(AssumeRoleCommand)[0].args[0].input.Tags).toEqual([{ Key: 'tenant', Value: 'alpha' }]);
  });

  test('explains a missing configuration', () => {
    expect(() => TenantScopedDynamo.fromEnvironment({})).toThrow(
      "SCOPED_DYNAMO_SCOPING must be SESSION_TAGS, SESSION_POLICY or FIXED_TENANT; got ''. Is ScopedDynamoAccess.addToContainer applied to this container?",
    );
    expect(() => TenantScopedDynamo.fromEnvironment({ SCOPED_DYNAMO_SCOPING: 'SESSION_TAGS' })).toThrow(
      'roleArn and tagKey are required with scoping SESSION_TAGS.',
    );
  });
});

describe('packaging', () => {
  test('the helper bundles for a service without aws-cdk-lib or constructs', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const esbuild = require('esbuild');
    const result = await esbuild.build({
      entryPoints: [require.resolve('../src/runtime')],
      bundle: true,
      platform: 'node',
      write: false,
      metafile: true,
      external: ['@aws-sdk/*'],
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((i) => /aws-cdk-lib|constructs/.test(i))).toEqual([]);
    expect(result.outputFiles[0].contents.length).toBeLessThan(50_000);
  });
});

describe('timeouts: no call waits forever on a held connection', () => {
  /** A server that accepts connections and never answers (a dependency that hangs). */
  async function heldConnections(): Promise<{ endpoint: string; accepted: () => number; close: () => Promise<void> }> {
    const sockets: net.Socket[] = [];
    const server = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      endpoint: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
      accepted: () => sockets.length,
      close: () => new Promise((resolve) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => resolve());
      }),
    };
  }
  const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

  test('a DynamoDB call through a held connection fails after requestTimeoutMs, per attempt', async () => {
    const held = await heldConnections();
    try {
      const scoped = new TenantScopedDynamo({
        scoping: 'FIXED_TENANT',
        tenantId: 'acme',
        requestTimeoutMs: 200,
        clientConfig: { endpoint: held.endpoint, region: 'us-east-1', credentials, maxAttempts: 2 },
      });
      const started = Date.now();
      await expect(scoped.client('acme').send(new GetItemCommand({ TableName: 't', Key: { tenantId: { S: 'acme' } } })))
        .rejects.toMatchObject({ name: 'TimeoutError' });
      const elapsed = Date.now() - started;
      // Two attempts of 200 ms each, plus the SDK's backoff between them: far from the 30 s a held connection took.
      expect(elapsed).toBeGreaterThanOrEqual(400);
      expect(elapsed).toBeLessThan(3000);
      expect(held.accepted()).toBe(2);
    } finally {
      await held.close();
    }
  });

  test('the STS client the helper makes times out too, and the error names the tenant and the role', async () => {
    const held = await heldConnections();
    const env = ['AWS_ENDPOINT_URL_STS', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;
    const before = env.map((name) => process.env[name]);
    Object.assign(process.env, { AWS_ENDPOINT_URL_STS: held.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' });
    sts.restore(); // the real STS client, not the file's mock (this is the file's last test)
    try {
      const scoped = new TenantScopedDynamo({ scoping: 'SESSION_TAGS', roleArn: ROLE, tagKey: 'TenantId', requestTimeoutMs: 200 });
      const started = Date.now();
      await expect(scoped.credentials('acme')).rejects.toThrow(/acme/);
      // Three attempts (the SDK's default) of 200 ms each, plus backoff.
      expect(Date.now() - started).toBeGreaterThanOrEqual(600);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(held.accepted()).toBeGreaterThanOrEqual(1);
    } finally {
      env.forEach((name, i) => {
        if (before[i] === undefined) {
          delete process.env[name];
        } else {
          process.env[name] = before[i];
        }
      });
      await held.close();
    }
  });

  test.each([
    [{ connectionTimeoutMs: 0 }, 'connectionTimeoutMs must be a whole number of milliseconds, at least 1; got 0.'],
    [{ requestTimeoutMs: 1.5 }, 'requestTimeoutMs must be a whole number of milliseconds, at least 1; got 1.5.'],
  ])('refuses timeout %j', (options, message) => {
    expect(() => new TenantScopedDynamo({ scoping: 'FIXED_TENANT', tenantId: 'acme', ...options })).toThrow(message);
  });
});
