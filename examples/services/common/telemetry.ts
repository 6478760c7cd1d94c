/**
 * Structured logs (Powertools Logger) and EMF metrics (Powertools Metrics), both as JSON lines on stdout, which the
 * awslogs driver ships to CloudWatch Logs; CloudWatch extracts the metrics from the EMF lines.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ServiceConfig } from './config';

export interface Telemetry {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** A logger and a metrics publisher for the service. */
export function createTelemetry(config: Pick<ServiceConfig, 'serviceName' | 'metricsNamespace'>): Telemetry {
  return {
    logger: new Logger({ serviceName: config.serviceName }),
    metrics: new Metrics({ serviceName: config.serviceName, namespace: config.metricsNamespace }),
  };
}

/** One request, as measured when its response is sent. */
export interface RequestMeasure {
  /** The caller's tenant, or `unauthenticated`. */
  readonly tenantId: string;
  readonly latencyMs: number;
  readonly statusCode: number;
  readonly route: string;
  readonly method: string;
}

/**
 * Publishes one EMF line for a request: `Requests` (1) and `Latency` (ms), dimensions `service` (the Metrics
 * default dimension) and `tenantId`; status, route and method ride along as metadata (not dimensions, which
 * would multiply the metrics).
 *
 * Everything between adding the dimension and publishing is synchronous, so requests served concurrently by
 * this long-running process cannot mix their dimensions: Node.js runs no other code in between.
 */
export function publishRequestMetrics(metrics: Metrics, m: RequestMeasure): void {
  metrics.addDimension('tenantId', m.tenantId);
  metrics.addMetric('Requests', MetricUnit.Count, 1);
  metrics.addMetric('Latency', MetricUnit.Milliseconds, m.latencyMs);
  metrics.addMetadata('statusCode', String(m.statusCode));
  metrics.addMetadata('route', m.route);
  metrics.addMetadata('method', m.method);
  metrics.publishStoredMetrics();
}
