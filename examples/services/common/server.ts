/**
 * Start-up and shutdown of a service process (used by each service's main.ts).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { FastifyInstance } from 'fastify';
import { idTokenVerifier, TokenVerifier } from './auth';
import { Env, ServiceConfig } from './config';
import { createTelemetry, Telemetry } from './telemetry';

/** ECS sends SIGTERM, then SIGKILL after the stop timeout (30 s by default): finish within it. */
const SHUTDOWN_TIMEOUT_MS = 25_000;

/** What runService may use of the process (replaced in tests). */
export interface ServiceProcess {
  readonly env: Env;
  readonly stderr: { write(text: string): unknown };
  exit(code: number): void;
  once(signal: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
}

/**
 * Reads the configuration, builds the application and listens on `0.0.0.0:<port>`. A configuration problem ends
 * the process with status 1 and a clear message on stderr. SIGTERM and SIGINT close the server gracefully: new
 * requests get 503, requests under way finish, then the process exits.
 */
export async function runService<C extends ServiceConfig>(
  loadConfig: (env: Env) => C,
  build: (config: C, telemetry: Telemetry) => FastifyInstance | Promise<FastifyInstance>,
  proc: ServiceProcess = process,
): Promise<FastifyInstance | undefined> {
  let config: C;
  try {
    config = loadConfig(proc.env);
  } catch (e) {
    proc.stderr.write(`${(e as Error).message}\n`);
    proc.exit(1);
    return undefined;
  }
  const telemetry = createTelemetry(config);
  const { logger } = telemetry;
  let app: FastifyInstance;
  try {
    app = await build(config, telemetry);
  } catch (e) {
    logger.error('service could not start', { error: e as Error });
    proc.exit(1);
    return undefined;
  }
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) {
      return;
    }
    closing = true;
    logger.info('shutting down', { signal });
    const timer = setTimeout(() => {
      logger.error('graceful shutdown timed out', { timeoutMs: SHUTDOWN_TIMEOUT_MS });
      proc.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    app.close().then(
      () => {
        clearTimeout(timer);
        logger.info('stopped');
        proc.exit(0);
      },
      (e: Error) => {
        logger.error('shutdown failed', { error: e });
        proc.exit(1);
      },
    );
  };
  proc.once('SIGTERM', () => shutdown('SIGTERM'));
  proc.once('SIGINT', () => shutdown('SIGINT'));
  try {
    const address = await app.listen({ host: '0.0.0.0', port: config.port });
    logger.info('listening', { address, tenantId: config.tenantId, tierName: config.tierName });
  } catch (e) {
    logger.error('could not listen', { error: e as Error, port: config.port });
    proc.exit(1);
    return undefined;
  }
  return app;
}

/**
 * The verifier of the configured issuer's id tokens (the user pool's, unless TOKEN_ISSUER names another). Its signing
 * keys are fetched in the background at start-up; if that fails (the JWKS endpoint unreachable for a moment) the
 * first request fetches them again.
 */
export function productionVerifier(config: ServiceConfig, logger: Logger): TokenVerifier {
  const verifier = idTokenVerifier({ issuer: config.tokenIssuer, audiences: config.appClientIds, jwksUri: config.jwksUri });
  verifier.hydrate?.().catch((e: Error) => logger.warn('signing keys not loaded at start-up; retrying on the first request', { error: e }));
  return verifier;
}
