import { ServiceDefinition } from '../application/saas-application';
import { TENANT_ID_PATTERN } from '../contract/tenant-id';
import { ResolvedCors } from '../private/cors';

/** The default image of the tenant proxy. */
export const DEFAULT_PROXY_IMAGE = 'public.ecr.aws/nginx/nginx:1.27-alpine';

/** Port the tenant proxy listens on. */
export const PROXY_PORT = 80;
/** Unauthenticated health endpoint of the tenant proxy. */
export const PROXY_HEALTH_PATH = '/health';

/**
 * The proxy's time budget (docs/service-resilience.md). The load balancer gives up on an idle connection after 60 s:
 * the proxy answers (504) before that, and keeps idle upstream connections for less time than the services do (65 s),
 * so that it never sends a request on a connection the service is closing.
 */
export const PROXY_TIMEOUTS = {
  /** Opening a connection to a service task (in the same VPC, usually under a millisecond). */
  connectSeconds: 2,
  /** Between two reads or writes of a request or answer: longer than a service's worst case (DynamoDB's 4 SDK attempts of 3 s). */
  readWriteSeconds: 30,
  /** Idle upstream connections kept per worker, and for how long. */
  keepaliveConnections: 32,
  keepaliveSeconds: 50,
} as const;

/**
 * Renders the tenant proxy's nginx configuration from the application model: one location per service path
 * prefix, proxied to the service's Service Connect name, accepting only the methods the service answers (others get
 * 405), an unauthenticated health endpoint, 404 for every other path, 413 for a body over 1 MB, and 400 for a path
 * that hides dot segments or separators in percent-encoding. Upstream connections are kept alive and reused (without
 * it, every proxied request opened a connection), and every wait on a service is bounded.
 */
export function renderNginxConfig(
  services: ServiceDefinition[],
  cors?: ResolvedCors,
  host: (s: ServiceDefinition) => string = (s) => s.name,
): string {
  const t = PROXY_TIMEOUTS;
  const upstreams = services.flatMap((s) => [
    `upstream ${upstreamName(s)} {`,
    `  server ${host(s)}:${s.containerPort};`,
    `  keepalive ${t.keepaliveConnections};`,
    `  keepalive_timeout ${t.keepaliveSeconds}s;`,
    '}',
  ]);
  return render(services, cors, upstreams, [], [], (s) => [
    `    proxy_pass http://${upstreamName(s)};`,
    '    proxy_http_version 1.1;',
    // An empty Connection header keeps the upstream connection open (HTTP/1.1 keep-alive).
    '    proxy_set_header Connection "";',
  ]);
}

/** Placeholder of the routing service's DNS resolver, replaced at start-up by the task's (its VPC's) resolver. */
export const RESOLVER_PLACEHOLDER = '@RESOLVER@';

/** Shell step that writes the task's first name server over RESOLVER_PLACEHOLDER (awsvpc: the VPC's resolver). */
export const RESOLVER_PREPARE = `NGINX_CONF=$(printf "%s" "$NGINX_CONF" | sed "s/${RESOLVER_PLACEHOLDER}/$(awk '/^nameserver/ { print $2; exit }' /etc/resolv.conf)/") && `;

/** How long the routing service keeps a tenant service's DNS answer, and the records' TTL in Cloud Map. */
export const ROUTING_DNS_TTL_SECONDS = 10;

/**
 * Renders the nginx configuration of a tier's routing service: the tenant is read from the verified routing header
 * (`<tier>/<tenant>`, written by API Gateway from the authorizer's decision) and each service path is proxied to that
 * tenant's service by its DNS name in the routing namespace (`<service>-<tenant>.<namespace>`), resolved when the
 * request comes, so that tenants onboarded after the routing tasks started are reached without a restart. A header
 * that is not a tenant of this tier gets 404, as does every path that is not a service's. Methods, body size, hidden
 * dot segments, CORS and timeouts are as in the tenant proxy.
 */
export function renderRoutingServiceConfig(
  services: ServiceDefinition[],
  cors: ResolvedCors | undefined,
  tierName: string,
  namespaceName: string,
  routingHeader: string,
): string {
  const tenant = TENANT_ID_PATTERN.source.replace(/^\^/, '').replace(/\$$/, '');
  const header = `$http_${routingHeader.toLowerCase().replace(/-/g, '_')}`;
  const http = [
    `map ${header} $routed_tenant {`,
    '  default "";',
    `  "~^${tierName}/(?<tenant>${tenant})$" $tenant;`,
    '}',
  ];
  const server = [
    `  resolver ${RESOLVER_PLACEHOLDER} valid=${ROUTING_DNS_TTL_SECONDS}s ipv6=off;`,
    `  resolver_timeout ${PROXY_TIMEOUTS.connectSeconds}s;`,
  ];
  return render(services, cors, [], http, server, (s) => [
    '    if ($routed_tenant = "") { return 404; }',
    // A variable in proxy_pass: the name is resolved per request (cached for the TTL), and the request's URI is passed.
    `    proxy_pass http://${s.name}-$routed_tenant.${namespaceName}:${s.containerPort};`,
  ]);
}

/** The configuration both nginx servers share, around their upstream blocks and their way of reaching a service. */
function render(
  services: ServiceDefinition[],
  cors: ResolvedCors | undefined,
  upstreams: string[],
  httpLines: string[],
  serverLines: string[],
  pass: (s: ServiceDefinition) => string[],
): string {
  const t = PROXY_TIMEOUTS;
  const lines = ['server_tokens off;'];
  if (cors) {
    // The request's Origin when it is an allowed one, else empty (nginx sends no header with an empty value).
    // A key must fit in one bucket of the map's hash: nginx's default (64 bytes) is too small for a long host name, and
    // a deploy-time origin's length is not known at synth. 512 bytes holds any origin (a DNS name is at most 253).
    lines.push('map_hash_bucket_size 512;');
    lines.push('map $http_origin $cors_allow_origin {', '  default "";', ...cors.allowOrigins.map((o) => `  "${o}" $http_origin;`), '}');
  }
  lines.push(...httpLines, ...upstreams);
  lines.push(
    'server {',
    `  listen ${PROXY_PORT};`,
    ...serverLines,
    '  client_max_body_size 1m;',
    ...corsHeaders(cors),
    // A path that hides dot segments or separators (%2e, %2f, %5c, /../, /./) is matched to a location after nginx
    // decodes it, but passed on as sent: the service would read another path than the one nginx routed. Refused.
    '  if ($request_uri ~* "^[^?]*(%2e|%2f|%5c|/\\.\\.?(/|\\?|$))") { return 400; }',
    `  location = ${PROXY_HEALTH_PATH} {`,
    '    access_log off;',
    '    default_type text/plain;',
    "    return 200 'ok';",
    '  }',
  );
  for (const s of services) {
    const methods = (s.httpMethods ?? []).join('|');
    for (const location of [`= ${s.pathPrefix}`, `^~ ${s.pathPrefix}/`]) {
      lines.push(
        `  location ${location} {`,
        `    if ($request_method !~ ^(${methods})$) { return 405; }`,
        ...pass(s),
        `    proxy_connect_timeout ${t.connectSeconds}s;`,
        `    proxy_send_timeout ${t.readWriteSeconds}s;`,
        `    proxy_read_timeout ${t.readWriteSeconds}s;`,
        '    proxy_set_header Host $host;',
        '    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
        '    proxy_set_header X-Request-Id $request_id;',
        '  }',
      );
    }
  }
  lines.push('  location / {', '    return 404;', '  }', '}');
  return lines.join('\n') + '\n';
}

/**
 * CORS headers on every answer of the proxy, its own (404, 405, 413, 400) and the services' (docs/cors.md). Set at
 * server level only: an `add_header` in a location would stop these from being inherited there. A service's own
 * CORS headers are hidden, so that the policy is the application's, and never doubled.
 */
function corsHeaders(cors: ResolvedCors | undefined): string[] {
  if (!cors) {
    return [];
  }
  return [
    '  proxy_hide_header Access-Control-Allow-Origin;',
    '  proxy_hide_header Access-Control-Allow-Credentials;',
    '  proxy_hide_header Access-Control-Expose-Headers;',
    '  add_header Access-Control-Allow-Origin $cors_allow_origin always;',
    `  add_header Access-Control-Expose-Headers "${cors.exposeHeaders.join(', ')}" always;`,
    '  add_header Vary Origin always;',
  ];
}

/** The upstream block of a service (its Service Connect name and port). */
function upstreamName(s: ServiceDefinition): string {
  return `${s.name.replace(/-/g, '_')}_upstream`;
}
