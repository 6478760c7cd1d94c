/**
 * The Fastify application every service starts from:
 *
 * - `GET /health` answers without a token (the ECS container health check and the load balancer use it);
 * - every other route, including unknown paths, needs a valid id token (401 otherwise), and a silo service
 *   (`siloTenantId`) refuses the tokens of every other tenant (403);
 * - bodies are validated by JSON schema without type coercion or removal of extra properties (400 on a mismatch);
 * - errors never reach the client with internal detail, nor with anything of a rejected input: a 500 is
 *   `{"message":"Internal error"}`, and the framework's own client errors get fixed messages;
 * - a dependency that throttles or fails for a while (after the SDK's retries) is a 503 with `Retry-After`, never a 500;
 *   every 5xx is logged with the tenant and the request id;
 * - bodies are JSON (`application/json`) or nothing: any other media type is a 415;
 * - each request is logged once (Powertools Logger, with tenantId and tier) and measured once (an EMF line with the
 *   `Requests` and `Latency` metrics, dimensions service and tenantId).
 */
import { randomUUID } from 'crypto';
import Fastify, { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticate, Role, TenantClaims, TokenVerifier, Unauthenticated } from './auth';
import { dependencyUnavailable, HttpError } from './errors';
import { publishRequestMetrics, Telemetry } from './telemetry';
import { KeywordRegistry, validationKeywords } from './validation';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route needs no token. */
    readonly public?: boolean;
  }
  interface FastifyRequest {
    /** The caller, once the token is verified (null on public routes and before authentication). */
    claims: TenantClaims | null;
  }
}

export interface ServiceAppOptions extends Telemetry {
  /** Verifies the callers' id tokens. */
  readonly verifier: TokenVerifier;
  /** Set for a silo service: the one tenant it serves. */
  readonly siloTenantId?: string;
  /** The deployment's tier, logged for requests whose token is not known (such as a 401). */
  readonly tierName?: string;
}

/** Largest accepted body. */
const BODY_LIMIT = 64 * 1024;

/**
 * The services' inbound timeouts (docs/service-resilience.md): a request must arrive whole within REQUEST_TIMEOUT_MS,
 * and idle keep-alive connections stay open longer than the load balancer's and the proxy's (60 s), so that they,
 * not the service, close them (otherwise a request can meet a connection the service is closing: a 502).
 */
export const REQUEST_TIMEOUT_MS = 30_000;
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/** Fastify's own client errors (before or outside a route), answered with fixed messages that repeat no input. */
const CLIENT_ERROR_MESSAGES: { [statusCode: number]: string } = {
  400: 'Bad request',
  404: 'Not found',
  413: `Body too large: ${BODY_LIMIT / 1024} KB at most`,
  414: 'URI too long',
  415: 'Unsupported media type: send application/json',
};

/** The base application: authentication, validation, error handling, logs and metrics, and `GET /health`. */
export function createServiceApp(options: ServiceAppOptions): FastifyInstance {
  const { logger, metrics, verifier, siloTenantId } = options;
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    requestTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    // Errors raised while routing (an over-long or malformed path parameter): before authentication, so answered
    // with a fixed message only (Fastify's own quotes the path).
    frameworkErrors: (error, _request, reply) => {
      const statusCode = typeof error.statusCode === 'number' && CLIENT_ERROR_MESSAGES[error.statusCode] ? error.statusCode : 400;
      void (reply as FastifyReply).code(statusCode).send({ message: CLIENT_ERROR_MESSAGES[statusCode] });
    },
    genReqId: () => randomUUID(),
    ajv: {
      // Fastify's defaults would drop unknown properties and turn "12" into 12: reject both instead.
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false },
      plugins: [(ajv) => {
        validationKeywords(ajv as unknown as KeywordRegistry);
        return ajv;
      }],
    },
  });
  app.decorateRequest('claims', null);
  // JSON only: Fastify also parses text/plain by default, which then fails the body schema with a misleading 400.
  app.removeContentTypeParser('text/plain');

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (request.routeOptions.config.public) {
      return;
    }
    const claims = await authenticate(verifier, request.headers.authorization);
    request.claims = claims;
    if (siloTenantId !== undefined && claims.tenantId !== siloTenantId) {
      logger.warn('token of another tenant refused by a silo service', { ...logKeys(request), siloTenantId });
      throw new HttpError(403, 'Forbidden');
    }
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof Unauthenticated) {
      logger.info('request not authenticated', { ...logKeys(request), reason: error.reason });
      return reply.code(401).send({ message: error.message });
    }
    if (error instanceof HttpError && error.statusCode < 500) {
      return reply.code(error.statusCode).headers(error.headers).send({ message: error.message });
    }
    if (error.validation) {
      // Ajv's messages name the field and the rule (`body/price must be >= 0`), never the value.
      return reply.code(400).send({ message: error.message });
    }
    // Fastify's own client errors: malformed JSON, an empty JSON body, a body too large, an unsupported media type.
    // Their messages can quote the input (a JSON parse error shows the text near the fault): fixed ones instead.
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send({ message: CLIENT_ERROR_MESSAGES[error.statusCode] ?? CLIENT_ERROR_MESSAGES[400] });
    }
    const unavailable = dependencyUnavailable(error);
    if (unavailable) {
      logger.error('dependency unavailable', { ...logKeys(request), statusCode: 503, retryAfterSeconds: unavailable.retryAfterSeconds, error });
      return reply.code(503).header('retry-after', String(unavailable.retryAfterSeconds)).send({ message: unavailable.message });
    }
    logger.error('request failed', { ...logKeys(request), statusCode: 500, error });
    return reply.code(500).send({ message: 'Internal error' });
  });

  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ message: 'Not found' }));

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const latencyMs = Math.round(reply.elapsedTime * 1000) / 1000;
    const keys = { ...logKeys(request), route, statusCode: reply.statusCode, latencyMs };
    if (request.routeOptions.config.public) {
      logger.debug('request', keys);
      return;
    }
    logger.info('request', { ...keys, tier: keys.tier ?? options.tierName });
    try {
      publishRequestMetrics(metrics, {
        tenantId: request.claims?.tenantId ?? 'unauthenticated',
        latencyMs,
        statusCode: reply.statusCode,
        route,
        method: request.method,
      });
    } catch (e) {
      logger.warn('metrics not published', { ...keys, error: e as Error });
    }
  });

  app.get('/health', { config: { public: true } }, async () => ({ status: 'ok' }));
  return app;
}

/** The keys every log line of a request carries. */
export function logKeys(request: FastifyRequest): { requestId: string; method: string; tenantId?: string; tier?: string; role?: string } {
  const c = request.claims;
  return {
    requestId: request.id,
    method: request.method,
    ...(c ? { tenantId: c.tenantId, tier: c.tier, role: c.role } : {}),
  };
}

/** The verified caller of an authenticated route. */
export function claimsOf(request: FastifyRequest): TenantClaims {
  if (!request.claims) {
    // Only a route marked public can get here, and public routes do not read claims: a programming error.
    throw new Error(`route ${request.routeOptions.url} read claims without authentication`);
  }
  return request.claims;
}

/** A route hook that lets only callers with one of `roles` through (403 otherwise), before the body is validated. */
export function requireRole(...roles: Role[]) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    if (!roles.includes(claimsOf(request).role)) {
      throw new HttpError(403, `Only ${roles.join(' or ')} may do this`);
    }
  };
}
