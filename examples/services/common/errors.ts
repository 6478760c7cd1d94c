import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';
import type { SdkError } from '@smithy/types';

/**
 * Errors that become HTTP answers. Their message is sent to the client, so it must never carry internal detail;
 * any other error is answered with a plain 500 (see app.ts).
 */
export class HttpError extends Error {
  /** `headers`: sent with the answer (such as `retry-after`). */
  constructor(public readonly statusCode: number, message: string, public readonly headers: Readonly<Record<string, string>> = {}) {
    super(message);
    this.name = 'HttpError';
  }
}

/** 400: the request is well formed JSON but not acceptable. */
export function badRequest(message: string): HttpError {
  return new HttpError(400, message);
}

/** 404: the resource does not exist for the caller's tenant (another tenant's resource is answered the same way). */
export function notFound(what: string): HttpError {
  return new HttpError(404, `${what} not found`);
}

/** True when an AWS SDK error (or any error) has this name. Names survive bundling; classes may be duplicated. */
export function isErrorNamed(error: unknown, ...names: string[]): boolean {
  return error instanceof Error && names.includes(error.name);
}

/**
 * Whether a call failed with `name` on a retry of the SDK's own (`$metadata.attempts > 1`): an earlier attempt may have
 * been applied with its answer lost, and the retry then meets that attempt's effect (the item it created, the user it
 * deleted).
 */
export function isOwnRetryOf(error: unknown, name: string): boolean {
  return isErrorNamed(error, name) && ((error as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1) > 1;
}

/** Seconds a client should wait before retrying, by kind of dependency failure (docs/service-resilience.md). */
export const RETRY_AFTER_SECONDS = { throttled: 1, unavailable: 5 } as const;

/**
 * 503: a dependency (DynamoDB, STS, Cognito) is throttling or unavailable, after the SDK's own retries. The client
 * may retry after `retryAfterSeconds`; nothing was half-written (each request makes at most one write).
 */
export class DependencyUnavailable extends HttpError {
  constructor(public readonly retryAfterSeconds: number, options?: { cause?: unknown }) {
    super(503, 'Service temporarily unavailable: retry later');
    this.name = 'DependencyUnavailable';
    if (options?.cause !== undefined) {
      (this as { cause?: unknown }).cause = options.cause;
    }
  }
}

/**
 * Whether an error, or one it was caused by (the runtime helper wraps STS errors), is a dependency throttling or
 * failing for a while, as the AWS SDK's own retry strategy classifies it: throttling, a timeout or dropped connection,
 * or a 5xx. Returns the 503 to answer, or undefined for anything else (a bug, answered 500).
 */
export function dependencyUnavailable(error: unknown): DependencyUnavailable | undefined {
  if (error instanceof DependencyUnavailable) {
    return error;
  }
  // Not `instanceof Error`: errors made by Node's own modules may come from another realm (in a test runner's sandbox).
  for (let e: unknown = error, depth = 0; typeof e === 'object' && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const sdk = e as SdkError;
    if (isThrottlingError(sdk)) {
      return new DependencyUnavailable(RETRY_AFTER_SECONDS.throttled, { cause: error });
    }
    if (isTransientError(sdk) || isServerError(sdk)) {
      return new DependencyUnavailable(RETRY_AFTER_SECONDS.unavailable, { cause: error });
    }
  }
  return undefined;
}
