/**
 * The Fastify application every service starts from:
 *
 * - `GET /health` answers without a token (the ECS container health check and the load balancer use it);
 * - every other route, including unknown paths, needs a valid id token (401 otherwise), and a silo service
 *   (`siloTenantId`) refuses the tokens of every other tenant (403);
 * - bodies are validated by JSON schema without type coercion or removal of extra properties (400 on a mismatch);
 * - errors never reach the client with internal detail: a 500 is `{"message":"Internal error"}`;
 * - each request is logged once (Powertools Logger, with tenantId and tier) and measured once (an EMF line with the
 *   `Requests` and `Latency` metrics, dimensions service and tenantId).
 */
import { randomUUID } from 'crypto';
import Fastify, { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticate, Role, TenantClaims, TokenVerifier, Unauthenticated } from './auth';
import { HttpError } from './errors';
import { publishRequestMetrics, Telemetry } from './telemetry';

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

/** The base application: authentication, validation, error handling, logs and metrics, and `GET /health`. */
export function createServiceApp(options: ServiceAppOptions): FastifyInstance {
  const { logger, metrics, verifier, siloTenantId } = options;
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    genReqId: () => randomUUID(),
    ajv: {
      // Fastify's defaults would drop unknown properties and turn "12" into 12: reject both instead.
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false },
    },
  });
  app.decorateRequest('claims', null);

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
    if (error instanceof HttpError) {
      return reply.code(error.statusCode).send({ message: error.message });
    }
    if (error.validation) {
      return reply.code(400).send({ message: error.message });
    }
    // Fastify's own client errors: malformed JSON, an empty JSON body, a body too large, an unsupported media type.
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send({ message: error.message });
    }
    logger.error('request failed', { ...logKeys(request), error });
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
