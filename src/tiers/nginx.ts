import { ServiceDefinition } from '../application/saas-application';

/** The default image of the tenant proxy. */
export const DEFAULT_PROXY_IMAGE = 'public.ecr.aws/nginx/nginx:1.27-alpine';

/** Port the tenant proxy listens on. */
export const PROXY_PORT = 80;
/** Unauthenticated health endpoint of the tenant proxy. */
export const PROXY_HEALTH_PATH = '/health';

/**
 * Renders the tenant proxy's nginx configuration from the application model: one location per service path
 * prefix, proxied to the service's Service Connect name, accepting only the methods the service answers (others get
 * 405), an unauthenticated health endpoint, 404 for every other path, 413 for a body over 1 MB, and 400 for a path
 * that hides dot segments or separators in percent-encoding.
 */
export function renderNginxConfig(services: ServiceDefinition[]): string {
  const lines = [
    'server_tokens off;',
    'server {',
    `  listen ${PROXY_PORT};`,
    '  client_max_body_size 1m;',
    // A path that hides dot segments or separators (%2e, %2f, %5c, /../, /./) is matched to a location after nginx
    // decodes it, but passed on as sent: the service would read another path than the one nginx routed. Refused.
    '  if ($request_uri ~* "^[^?]*(%2e|%2f|%5c|/\\.\\.?(/|\\?|$))") { return 400; }',
    `  location = ${PROXY_HEALTH_PATH} {`,
    '    access_log off;',
    '    default_type text/plain;',
    "    return 200 'ok';",
    '  }',
  ];
  for (const s of services) {
    const methods = (s.httpMethods ?? []).join('|');
    for (const location of [`= ${s.pathPrefix}`, `^~ ${s.pathPrefix}/`]) {
      lines.push(
        `  location ${location} {`,
        `    if ($request_method !~ ^(${methods})$) { return 405; }`,
        `    proxy_pass http://${s.name}:${s.containerPort};`,
        '    proxy_http_version 1.1;',
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
