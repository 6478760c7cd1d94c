import { Duration, Fn, Stack, Token } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { CorsPolicy, HttpMethod, SaasApplication, SiloServiceTier, TableSharing } from '../src';
import { IMAGE, vpcStack } from './util/fixtures';
import { resourcesOf, routedStack } from './util/router-fixtures';
import { renderNginxConfig } from '../src/tiers/nginx';

const APP = 'https://app.example.com';
const DEV = 'http://localhost:5173';

/** The bridge application (products pooled, orders per tenant) with a CORS policy. */
function corsApplication(cors: CorsPolicy, methods?: HttpMethod[]): SaasApplication {
  return new SaasApplication({
    cors,
    tables: [{ name: 'products', sharing: TableSharing.POOLED }, { name: 'orders', sharing: TableSharing.PER_TENANT }],
    services: [
      { name: 'products', image: IMAGE, pathPrefix: '/products', containerPort: 3010, tables: [{ table: 'products' }], httpMethods: methods },
      { name: 'orders', image: IMAGE, pathPrefix: '/orders', containerPort: 3020, tables: [{ table: 'orders' }] },
    ],
  });
}

const methodsOf = (stack: Stack) => resourcesOf(stack, 'AWS::ApiGateway::Method').filter((m) => m.stack.startsWith('Shard')).map((m) => m.props);

describe('validation: every rule names the prop, shows the value and says what is allowed', () => {
  const build = (cors: Partial<CorsPolicy>) => () => corsApplication({ allowOrigins: [APP], ...cors });

  test.each([
    ['*', '*'],
    ['a trailing slash', 'https://app.example.com/'],
    ['a path', 'https://app.example.com/app'],
    ['plain http to a public host', 'http://app.example.com'],
    ['upper case', 'https://App.example.com'],
    ['a wildcard host', 'https://*.example.com'],
    ['a quote', 'https://app.example.com"'],
    ['no scheme', 'app.example.com'],
  ])('an origin with %s is refused', (_what, origin) => {
    expect(build({ allowOrigins: [APP, origin] })).toThrow(
      'cors.allowOrigins[1] must be an origin \'https://<host>[:<port>]\' in lowercase (or \'http://localhost[:<port>]\' or \'http://127.0.0.1[:<port>]\'), '
      + `without a path, a trailing '/' or a wildcard; got '${origin}'.`,
    );
  });

  test('origins that are allowed: https with or without a port, localhost and 127.0.0.1 over http', () => {
    expect(build({ allowOrigins: [APP, 'https://app.example.com:8443', DEV, 'http://127.0.0.1:4173', 'http://localhost'] })).not.toThrow();
  });

  test('no origin, a repeated origin, an empty or OPTIONS method list', () => {
    expect(build({ allowOrigins: [] })).toThrow("cors.allowOrigins is empty: name at least one origin, such as 'https://app.example.com'.");
    expect(build({ allowOrigins: [APP, DEV, APP] })).toThrow(`cors.allowOrigins[2] '${APP}' repeats cors.allowOrigins[0]: each must be unique.`);
    expect(build({ allowMethods: [] })).toThrow("cors.allowMethods is empty: leave it out to allow each service's own methods.");
    expect(build({ allowMethods: [HttpMethod.GET, HttpMethod.OPTIONS] })).toThrow(
      'cors.allowMethods[1] is OPTIONS: preflights are answered by the router, not allowed as a method of the API.',
    );
  });

  test('header names, and repeats regardless of case', () => {
    expect(build({ allowHeaders: ['Authorization', 'X Bad'] })).toThrow(
      "cors.allowHeaders[1] must be an HTTP header name (letters, digits and !#$%&'*+.^_`|~-); got 'X Bad'.",
    );
    expect(build({ exposeHeaders: ['X-Request-Id', 'x-request-id'] })).toThrow(
      "cors.exposeHeaders[1] 'x-request-id' repeats cors.exposeHeaders[0]: each must be unique.",
    );
  });

  test('maxAge up to 2 hours', () => {
    expect(build({ maxAge: Duration.hours(3) })).toThrow('cors.maxAge must be whole seconds from 0 to 7200 (2 hours, the most Chromium honours); got 10800 seconds.');
    expect(build({ maxAge: Duration.hours(2) })).not.toThrow();
  });
});

describe('the router with a CORS policy of two origins', () => {
  const application = corsApplication({ allowOrigins: [APP, DEV] }, [HttpMethod.GET, HttpMethod.POST, HttpMethod.OPTIONS]);
  const { stack, router } = routedStack({ application });
  const methods = methodsOf(stack);
  const shard = Template.fromStack(router.shards[0]);

  test('every service path answers preflights itself: a mock, no authorizer, no API key, 204', () => {
    const preflights = methods.filter((m) => m.HttpMethod === 'OPTIONS');
    expect(preflights).toHaveLength(4); // /products, /products/{proxy+}, /orders, /orders/{proxy+}
    for (const m of preflights) {
      expect({ type: m.Integration.Type, auth: m.AuthorizationType, key: m.ApiKeyRequired, authorizer: m.AuthorizerId })
        .toEqual({ type: 'MOCK', auth: 'NONE', key: false, authorizer: undefined });
      expect(m.Integration.IntegrationResponses[0].StatusCode).toBe('204');
    }
  });

  test('the preflight allows the service\'s own methods (never OPTIONS), the default headers, for 10 minutes', () => {
    const headersOf = (m: any) => m.Integration.IntegrationResponses[0].ResponseParameters;
    const byMethods = methods.filter((m) => m.HttpMethod === 'OPTIONS').map((m) => headersOf(m)['method.response.header.Access-Control-Allow-Methods']).sort();
    expect(byMethods).toEqual(["'GET,HEAD,POST,PUT,PATCH,DELETE'", "'GET,HEAD,POST,PUT,PATCH,DELETE'", "'GET,POST'", "'GET,POST'"]);
    const one = headersOf(methods.find((m) => m.HttpMethod === 'OPTIONS'));
    expect(one).toMatchObject({
      'method.response.header.Access-Control-Allow-Origin': `'${APP}'`,
      'method.response.header.Access-Control-Allow-Headers': "'Authorization,Content-Type,Idempotency-Key'",
      'method.response.header.Access-Control-Max-Age': "'600'",
      'method.response.header.Vary': "'Origin'",
    });
    expect(one['method.response.header.Access-Control-Allow-Credentials']).toBeUndefined();
  });

  test('a listed origin is answered with itself, read from Origin or origin (the template overrides the first)', () => {
    const template = methods.find((m) => m.HttpMethod === 'OPTIONS').Integration.IntegrationResponses[0].ResponseTemplates['application/json'];
    expect(template).toBe([
      '#set($origin = $input.params().header.get("Origin"))',
      '#if("$!origin" == "")',
      '  #set($origin = $input.params().header.get("origin"))',
      '#end',
      `#if("$!origin" == "${APP}" || "$!origin" == "${DEV}")`,
      '  #set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)',
      '#end',
    ].join('\n'));
  });

  test('a service\'s OPTIONS is not proxied: every other method still needs the authorizer and a key', () => {
    const proxied = methods.filter((m) => m.HttpMethod !== 'OPTIONS');
    expect(proxied.length).toBeGreaterThan(0);
    expect(proxied.every((m) => m.AuthorizationType === 'CUSTOM' && m.ApiKeyRequired === true && m.Integration.ConnectionType === 'VPC_LINK')).toBe(true);
  });

  test('API Gateway\'s own errors (4XX, 5XX, UNAUTHORIZED) carry CORS headers; with several origins, the request\'s', () => {
    shard.resourceCountIs('AWS::ApiGateway::GatewayResponse', 3);
    for (const type of ['DEFAULT_4XX', 'DEFAULT_5XX', 'UNAUTHORIZED']) {
      shard.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        ResponseParameters: {
          'gatewayresponse.header.Access-Control-Allow-Origin': 'method.request.header.Origin',
          'gatewayresponse.header.Access-Control-Expose-Headers': "'Retry-After,X-Request-Id,Idempotent-Replayed'",
          'gatewayresponse.header.Vary': "'Origin'",
        },
      });
    }
  });
});

test('with one origin, API Gateway\'s errors name it rather than repeat the request\'s', () => {
  const { router } = routedStack({ application: corsApplication({ allowOrigins: [APP], exposeHeaders: ['X-Request-Id'] }) });
  Template.fromStack(router.shards[0]).hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
    ResponseType: 'DEFAULT_4XX',
    ResponseParameters: { 'gatewayresponse.header.Access-Control-Allow-Origin': `'${APP}'`, 'gatewayresponse.header.Access-Control-Expose-Headers': "'X-Request-Id'" },
  });
});

test('allowMethods limits each path to the methods of its service that the policy allows', () => {
  const application = corsApplication({ allowOrigins: [APP], allowMethods: [HttpMethod.GET, HttpMethod.DELETE] }, [HttpMethod.GET, HttpMethod.POST]);
  const { stack } = routedStack({ application });
  const allowed = methodsOf(stack).filter((m) => m.HttpMethod === 'OPTIONS')
    .map((m) => m.Integration.IntegrationResponses[0].ResponseParameters['method.response.header.Access-Control-Allow-Methods']).sort();
  expect(allowed).toEqual(["'GET'", "'GET'", "'GET,DELETE'", "'GET,DELETE'"]);
});

test('without a policy: no preflight mock, no gateway responses, OPTIONS goes to the services through the authorizer', () => {
  const { stack, router } = routedStack();
  const options = methodsOf(stack).filter((m) => m.HttpMethod === 'OPTIONS');
  expect(options.length).toBeGreaterThan(0);
  expect(options.every((m) => m.Integration.Type === 'HTTP_PROXY' && m.AuthorizationType === 'CUSTOM')).toBe(true);
  Template.fromStack(router.shards[0]).resourceCountIs('AWS::ApiGateway::GatewayResponse', 0);
});

describe('the tenant proxy adds the headers to every answer', () => {
  const application = corsApplication({ allowOrigins: [APP, DEV] });
  const config = renderNginxConfig(application.services, application._cors);

  test('the request\'s Origin when it is allowed, nothing otherwise; the services\' own CORS headers hidden', () => {
    expect(config).toContain(`map $http_origin $cors_allow_origin {\n  default "";\n  "${APP}" $http_origin;\n  "${DEV}" $http_origin;\n}`);
    expect(config).toContain('  add_header Access-Control-Allow-Origin $cors_allow_origin always;');
    expect(config).toContain('  add_header Access-Control-Expose-Headers "Retry-After, X-Request-Id, Idempotent-Replayed" always;');
    expect(config).toContain('  add_header Vary Origin always;');
    expect(config).toContain('  proxy_hide_header Access-Control-Allow-Origin;');
    // At server level only: a location's add_header would stop them from being inherited there.
    const locations = config.split('location ').slice(1);
    expect(locations.every((l) => !l.includes('add_header'))).toBe(true);
  });

  test('the proxy\'s configuration of a silo tenant carries them; without a policy, none', () => {
    const { stack, vpc } = vpcStack();
    new SiloServiceTier(stack, 'Advanced', { vpc, application, tenants: ['acme'] });
    const conf = (s: Stack) => JSON.stringify(Template.fromStack(s).findResources('AWS::ECS::TaskDefinition'));
    expect(conf(stack)).toContain('$cors_allow_origin');
    expect(renderNginxConfig(application.services)).not.toContain('cors');
  });

  test('a service group without the proxy warns that its services must send the headers themselves', () => {
    const { stack, vpc } = vpcStack();
    new SiloServiceTier(stack, 'Advanced', { vpc, application, tenants: ['acme'], proxy: false });
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('The application has a CORS policy, but this service group has no tenant proxy \\(proxy: false\\)'));
  });
});

describe('an origin known at deploy time (a CloudFront domain of another stack)', () => {
  /** What `https://${distribution.distributionDomainName}` of another stack is in this stack: an import. */
  const DOMAIN = Fn.importValue('Hosting:TenantAppDomain');
  const TOKEN_APP = `https://${DOMAIN}`;
  const build = (...allowOrigins: string[]) => () => corsApplication({ allowOrigins });
  const message = (i: number, origin: string) => `cors.allowOrigins[${i}] holds a token (a value known at deploy time), so it must start with exactly 'https://' `
    + 'followed by the token, as `https://${distribution.distributionDomainName}` does, and resolve to \'https://<host>[:<port>]\' (its other literal text '
    + `may hold only a-z, 0-9, '.', '-' and ':'); got '${origin}'.`;

  test('is accepted when its literal prefix is exactly https://, with a port or a literal domain after the token', () => {
    expect(build(TOKEN_APP)).not.toThrow();
    expect(build(APP, `${TOKEN_APP}:8443`, `https://${DOMAIN}.example.com`, DEV)).not.toThrow();
  });

  test.each([
    ['a whole-string token', `${DOMAIN}`],
    ['http:// with a token', `http://${DOMAIN}`],
    ['a literal before the token', `https://app-${DOMAIN}`],
    ['a path after the token', `${TOKEN_APP}/app`],
    ['a quote after the token', `${TOKEN_APP}"`],
    ['upper case after the token', `${TOKEN_APP}.Example.com`],
  ])('%s is refused, the message naming the prop and showing the value', (_what, origin) => {
    expect(Token.isUnresolved(origin)).toBe(true);
    expect(build(APP, origin)).toThrow(message(1, origin));
  });

  describe('is rendered into CloudFormation, resolved at deploy time', () => {
    const application = corsApplication({ allowOrigins: [TOKEN_APP] });
    const { stack, router } = routedStack({ application });
    const join = (...parts: unknown[]) => ({ 'Fn::Join': ['', parts] });
    const imported = { 'Fn::ImportValue': 'Hosting:TenantAppDomain' };

    test('in the preflight: the Allow-Origin header and the template that compares the request\'s Origin', () => {
      const preflights = methodsOf(stack).filter((m) => m.HttpMethod === 'OPTIONS');
      expect(preflights).toHaveLength(4);
      for (const m of preflights) {
        const response = m.Integration.IntegrationResponses[0];
        expect(response.ResponseParameters['method.response.header.Access-Control-Allow-Origin']).toEqual(join("'https://", imported, "'"));
        expect(response.ResponseTemplates['application/json']).toEqual(join(
          '#set($origin = $input.params().header.get("Origin"))\n#if("$!origin" == "")\n  #set($origin = $input.params().header.get("origin"))\n#end\n'
          + '#if("$!origin" == "https://',
          imported,
          '")\n  #set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)\n#end',
        ));
      }
    });

    test('in API Gateway\'s own errors (the one origin, named)', () => {
      const shard = Template.fromStack(router.shards[0]);
      for (const type of ['DEFAULT_4XX', 'DEFAULT_5XX', 'UNAUTHORIZED']) {
        shard.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
          ResponseType: type,
          ResponseParameters: Match.objectLike({ 'gatewayresponse.header.Access-Control-Allow-Origin': join("'https://", imported, "'") }),
        });
      }
    });

    test('in the tenant proxy\'s nginx map (its NGINX_CONF environment variable)', () => {
      const { stack: tiers, vpc } = vpcStack();
      new SiloServiceTier(tiers, 'Advanced', { vpc, application, tenants: ['acme'] });
      const proxies = Object.values<any>(Template.fromStack(tiers).findResources('AWS::ECS::TaskDefinition'))
        .flatMap((t) => t.Properties.ContainerDefinitions)
        .flatMap((c: any) => (c.Environment ?? []).filter((e: any) => e.Name === 'NGINX_CONF'));
      expect(proxies).toHaveLength(1);
      const value = proxies[0].Value;
      expect(value['Fn::Join'][0]).toBe('');
      const [before, token, after] = value['Fn::Join'][1];
      expect(before).toMatch(/map \$http_origin \$cors_allow_origin \{\n {2}default "";\n {2}"https:\/\/$/);
      expect(token).toEqual(imported);
      expect(after).toMatch(/^" \$http_origin;\n\}\n/);
    });
  });
});
